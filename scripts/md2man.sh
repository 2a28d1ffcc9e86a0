#!/usr/bin/env bash
# md2man.sh MANUAL.md NAME SECTION "one-line description" > NAME.SECTION
#
# A man page from one of docs/*.md with lowdown (small; pandoc would do too, at 150 MB). The
# Markdown is written for reading on the web, so before lowdown sees it:
#   - the title line becomes NAME (what whatis/apropos read) and DESCRIPTION;
#   - headings move up one level (## -> .SH, ### -> .SS), outside code blocks only;
#   - links to the other manuals and to anchors keep their text, the manuals by their man
#     names (policy.md -> tcfw.policy(5));
# and after: no justification (.ad l): table cells are narrow, and groff warns when it cannot
# stretch a line to both margins. (Widening one column with tbl's x squeezes the others to
# nothing when they hold long text too: lowdown's equal columns are the safe choice.)
set -euo pipefail

[ $# -eq 4 ] || {
	echo "usage: $0 MANUAL.md NAME SECTION DESCRIPTION" >&2
	exit 2
}
md=$1 name=$2 section=$3 desc=$4
command -v lowdown >/dev/null || {
	echo "md2man: lowdown is missing (scripts/install-deps.sh installs it)" >&2
	exit 1
}

awk -v name="$name" -v desc="$desc" '
	BEGIN { code = 0; titled = 0 }
	/^```/ { code = !code; print; next }
	code { print; next }
	!titled && /^# / {
		titled = 1
		printf "# NAME\n\n%s - %s\n\n# DESCRIPTION\n", name, desc
		next
	}
	/^##+ / { sub(/^#/, "") }
	{
		gsub(/\[fwd\.md\]/, "[fwd(8)]")
		gsub(/\[fwctl\.md\]/, "[fwctl(8)]")
		gsub(/\[policy\.md\]/, "[tcfw.policy(5)]")
		gsub(/\]\(fwd\.md[^)]*\)/, "](fwd(8))")
		gsub(/\]\(fwctl\.md[^)]*\)/, "](fwctl(8))")
		gsub(/\]\(policy\.md[^)]*\)/, "](tcfw.policy(5))")
		print
	}
' "$md" |
	# [text](target) without a scheme: the text alone, which names the place already. On the
	# whole text, as a link's text may span lines.
	perl -0777 -pe 's/\[([^\]]*)\]\([^():]*(?:\([0-9]\))?\)/$1/g' |
	lowdown -s -Tman -M "title=$name" -M "section=$section" -M "source=tcfw" |
	sed '/^\.TH /a .ad l'

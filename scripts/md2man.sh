#!/usr/bin/env bash
# md2man.sh MANUAL.md NAME SECTION "one-line description" > NAME.SECTION
#
# A man page from one of docs/*.md with lowdown (small; pandoc would do too, at 150 MB). The
# Markdown is written for reading on the web, so before lowdown sees it:
#   - the title line becomes NAME (what whatis/apropos read) and DESCRIPTION;
#   - headings move up one level (## -> .SH, ### -> .SS), outside code blocks only;
#   - links to the other manuals and to anchors keep their text, the manuals by their man
#     names (policy.md -> tcfw.policy(5));
#   - tables become lists, one item per row (first cell, then "heading: cell" for the others):
#     80 columns cannot hold a table of metric names or option descriptions without breaking
#     words troff cannot break;
# and after: no justification (.ad l): groff warns when it cannot stretch a line to both
# margins.
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
	# Tables become lists: a man page is 80 columns, and a table of long cells (metric names,
	# option descriptions) only fits by breaking words troff cannot break. Each row is an item:
	# its first cell, then each other cell after its column's heading ("type: counter").
	perl -CSD -ne '
		BEGIN { $code = 0; @head = (); $state = 0 }
		sub cells { my $l = shift; $l =~ s/^\s*\|//; $l =~ s/\|\s*$//;
			my @c = map { s/^\s+|\s+$//gr } split /(?<!\\)\|/, $l;
			return map { s/\\\|/|/gr } @c; }
		if (/^```/) { $code = !$code; print; next }
		if ($code) { print; next }
		if ($state == 0 && /^\s*\|.*\|\s*$/) { @head = cells($_); $state = 1; next }
		if ($state == 1) {
			if (/^\s*\|[\s:|-]+\|\s*$/) { $state = 2; next }
			print "| " . join(" | ", @head) . " |\n"; $state = 0;
		}
		if ($state == 2) {
			if (/^\s*\|.*\|\s*$/) {
				my @c = cells($_); my @rest;
				for my $i (1 .. $#c) {
					next if $c[$i] eq "";
					push @rest, (@head > 2 ? "$head[$i]: " : "") . $c[$i];
				}
				print "- " . $c[0] . (@rest ? " \x{2014} " . join("; ", @rest) : "") . "\n";
				next;
			}
			$state = 0; print "\n";
		}
		print;
	' |
	# [text](target) without a scheme: the text alone, which names the place already. On the
	# whole text, as a link's text may span lines.
	perl -0777 -pe 's/\[([^\]]*)\]\([^():]*(?:\([0-9]\))?\)/$1/g' |
	lowdown -s -Tman -M "title=$name" -M "section=$section" -M "source=tcfw" |
	sed '/^\.TH /a .ad l'

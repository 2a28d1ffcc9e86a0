#!/usr/bin/env bash
# The man pages are the manuals (docs/*.md) converted at build time (scripts/md2man.sh). Check
# that each renders without a single groff/tbl warning, and that it cannot drift from the
# programs: every option `fwd --help` lists is in fwd(8), every command and global option
# `fwctl --help` lists is in fwctl(8).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
man_dir=${MAN_DIR:-$root/build/man}
fwd=${FWD:-$root/build/fwd}
fwctl=${FWCTL:-$root/build/fwctl}
failed=0

fail() {
	echo "FAIL: $*"
	failed=1
}
command -v man >/dev/null || { echo "FAIL: man is missing (scripts/install-deps.sh installs man-db)"; exit 1; }

# The page's text as its source says it: fonts and escapes gone, "\-" and "\(cq" readable.
page_text() {
	sed -e 's/\\f[A-Z(][A-Z]*//g' -e 's/\\-/-/g' -e "s/\\\\(cq/'/g" -e 's/\\e/\\/g' "$1"
}

for page in fwd.8 fwctl.8 tcfw.policy.5; do
	f=$man_dir/$page
	[ -s "$f" ] || { fail "$f missing or empty (run make)"; continue; }
	warnings=$(MANWIDTH=80 man --warnings -l "$f" 2>&1 >/dev/null || true)
	if [ -n "$warnings" ]; then
		fail "$page: man --warnings -l printed:"
		printf '%s\n' "$warnings" | head -n 10 | sed 's/^/    /'
	else
		echo "ok: $page renders at 80 columns without warnings"
	fi
	head -n 8 "$f" | grep -q '^NAME$' || fail "$page: no NAME section near the top (whatis reads it)"
done

# fwd: every long and short option in the option lines of --help (lines starting with "  -").
fwd_text=$(page_text "$man_dir/fwd.8")
n=0
for opt in $("$fwd" --help | grep -E '^  +-' | grep -oE '(^|[ ,])--?[A-Za-z][A-Za-z-]*' | tr -d ' ,' | sort -u); do
	if grep -qF -- "$opt" <<<"$fwd_text"; then
		n=$((n + 1))
	else
		fail "fwd --help lists $opt; fwd(8) (docs/fwd.md) does not mention it"
	fi
done
[ "$n" -gt 5 ] || fail "found only $n options in fwd --help: has its format changed?"
echo "ok: $n options of fwd --help are in fwd(8)"

# fwctl: "Commands:" rows ("  ct list [FILTER]  summary") and the global options.
fwctl_text=$(page_text "$man_dir/fwctl.8")
n=0
while read -r cmd; do
	if grep -qF -- "fwctl $cmd" <<<"$fwctl_text" || grep -qE -- "(^|[^a-z])$cmd([^a-z]|$)" <<<"$fwctl_text"; then
		n=$((n + 1))
	else
		fail "fwctl --help lists the command '$cmd'; fwctl(8) (docs/fwctl.md) does not mention it"
	fi
done < <("$fwctl" --help | awk '/^Commands:/ { on = 1; next } /^$/ { on = 0 }
	# A row is "  SYNOPSIS<pad to 30> SUMMARY", or a longer synopsis alone on its line: the
	# command is the words of the first 30 columns up to the first argument (FILE, [FILTER]).
	on && /^  [a-z]/ {
		n = split(substr($0, 3, 30), w, " "); out = ""
		for (i = 1; i <= n && w[i] ~ /^[a-z]+$/; i++) out = out (out == "" ? "" : " ") w[i]
		print out
	}')
[ "$n" -gt 5 ] || fail "found only $n commands in fwctl --help: has its format changed?"
echo "ok: $n commands of fwctl --help are in fwctl(8)"
n=0
for opt in $("$fwctl" --help | awk '/^Global options/ { on = 1; next } /^$/ { on = 0 } on' | grep -oE '(^|[ ,])--?[A-Za-z][A-Za-z-]*' | tr -d ' ,' | sort -u); do
	if grep -qF -- "$opt" <<<"$fwctl_text"; then
		n=$((n + 1))
	else
		fail "fwctl --help lists the global option $opt; fwctl(8) does not mention it"
	fi
done
echo "ok: $n global options of fwctl --help are in fwctl(8)"

exit $failed

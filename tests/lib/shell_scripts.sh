#!/usr/bin/env bash
# shell_scripts.sh - print every shell script of the repository, one path a line, relative to
# its top: what tests/run-all.sh's lint layer gives to shellcheck.
#
# A shell script is a file named *.sh, or one whose first line is a sh/bash shebang, or one
# that declares `# shellcheck shell=...` on its first line (sourced libraries without .sh, the
# bash completion). Files git ignores (build/) are left out; new, not yet committed files are in.
set -euo pipefail

cd "$(dirname "$0")/../.." || exit 1

candidates() {
	if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		git ls-files --cached --others --exclude-standard
	else
		find . -path ./build -prune -o -path ./.git -prune -o -type f -print | sed 's|^\./||'
	fi
}

candidates | sort -u | while IFS= read -r f; do
	[ -f "$f" ] || continue # deleted in the work tree, still in the index
	case $f in
	*.sh) printf '%s\n' "$f" ;;
	*)
		IFS= read -r first <"$f" 2>/dev/null || continue
		case $first in
		'#!'*/sh | '#!'*/bash | '#!'*'env bash' | '#!'*'env sh' | '# shellcheck shell='*)
			printf '%s\n' "$f"
			;;
		esac
		;;
	esac
done

#!/usr/bin/env bash
# The test suite's own index cannot drift from the tests:
#  - tests/e2e/README.md names every tests/e2e/test_*.sh (as `test_X.sh` in its table), and
#    every test it names exists;
#  - tests/run-all.sh refers only to files and directories of the repository that exist (a
#    path with a * must match something).
# TEST_INDEX_ROOT checks another tree (this test's own check that it can fail).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=${TEST_INDEX_ROOT:-$(cd "$here/../.." && pwd)}
cd "$root"
failed=0

fail() {
	echo "FAIL: $*"
	failed=1
}

# ---- tests/e2e/README.md -------------------------------------------------------------------
readme=tests/e2e/README.md
[ -f "$readme" ] || fail "$readme is missing"
# shellcheck disable=SC2016 # the backquotes are Markdown's, matched literally
listed=$(grep -oE '`test_[A-Za-z0-9_]+\.sh`' "$readme" | tr -d '`' | sort -u || true)
n=0
for t in tests/e2e/test_*.sh; do
	[ -e "$t" ] || continue
	n=$((n + 1))
	name=$(basename "$t")
	grep -qxF "$name" <<<"$listed" ||
		fail "$readme does not list $name: add a row to its table (test, what it shows)"
done
while IFS= read -r name; do
	[ -n "$name" ] || continue
	[ -e "tests/e2e/$name" ] || fail "$readme lists $name, which tests/e2e/ does not have"
done <<<"$listed"
echo "e2e README: $n tests, $(grep -c . <<<"$listed") listed"

# ---- tests/run-all.sh ----------------------------------------------------------------------
# Every path into the source tree (not build/, which make creates) that run-all.sh mentions,
# in code or comments: a comment naming a file that is gone misleads as much as code does.
runall=tests/run-all.sh
# The lookbehind leaves out paths inside others (/sys/fs/bpf/..., build/tests/...).
path_re='(?<![/\w.-])(tests|scripts|bench|docs|dist|lib|bpf|fwd|fwctl|policy)/[\w./*-]*[\w*/]'
m=0
while IFS= read -r path; do
	path=${path%%[.,:;)]} # sentence punctuation after a path
	m=$((m + 1))
	if [[ $path == *'*'* ]]; then
		compgen -G "$path" >/dev/null || fail "$runall refers to $path, which matches no file"
	else
		[ -e "$path" ] || fail "$runall refers to $path, which does not exist"
	fi
done < <(grep -oP "$path_re" "$runall" | sort -u)
echo "run-all.sh: $m paths checked"

exit $failed

#!/usr/bin/env bash
# run-all.sh [lint|unit|docs|datapath|fuzz|install|e2e ...] - run tcfw's test layers (default:
# all, in order).
#
#   lint      shellcheck over every shell script of the repository (tests/lib/shell_scripts.sh
#             says which files those are), one test per script
#   unit      every cmocka binary in build/tests/unit/, then again the sanitizer builds in
#             build/san/tests/unit/ (when `make SAN=1 all-user` has built them)
#   datapath  build/tests/datapath/dp_test (and its sanitizer build), then `dp_test fuzz`: a
#             million hostile packets through the datapath (tests/datapath/README.md;
#             DP_FUZZ_SEED / DP_FUZZ_PACKETS pass through)
#   fuzz      tests/fuzz/run.sh: every libFuzzer target in build/fuzz/ for a few seconds
#   install   every tests/install/test_*.sh: make install / uninstall into a temporary DESTDIR
#   e2e       every tests/e2e/test_*.sh (root: network namespaces, bpffs, tc)
#
# One line per test: "PASS name  1.2s" or "FAIL name  3.4s (why)"; the log of each failure is
# kept in build/test-logs/ and its tail printed. The last line is exactly
# "run-all: N passed, M failed"; the exit status is 0 only when M is 0.
#
# tests/e2e/XFAIL lists end-to-end tests that are known to fail, each with the reason (a feature
# not there yet). They still run: a failure prints "XFAIL name (reason)" and counts neither as
# passed nor as failed; a pass counts as failed ("XPASS"), so the entry is removed as soon as
# the feature lands and the test guards it from then on.
# Environment: FWD / FWCTL override the binaries the e2e tests run (default: the sanitizer
# build when present); E2E_TIMEOUT (seconds per e2e test, default 240).
set -uo pipefail

cd "$(dirname "$0")/.." || exit 1
LOG_DIR=build/test-logs
mkdir -p "$LOG_DIR"

PASSED=0
FAILED=0
E2E_TIMEOUT=${E2E_TIMEOUT:-240}

now() { date +%s.%N; }

# run_test NAME TIMEOUT CMD...: run one test with its output in a log; report one line.
# With XFAIL_REASON set, the test is expected to fail (see the header).
run_test() {
	local name=$1 limit=$2 start end secs rc log why="" xfail=${XFAIL_REASON:-}
	shift 2
	log="$LOG_DIR/${name//\//_}.log"
	start=$(now)
	# stdin from /dev/null: CI has none, and no test may wait for a terminal.
	timeout --kill-after=30 "$limit" "$@" >"$log" 2>&1 </dev/null
	rc=$?
	end=$(now)
	secs=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
	if [ -n "$xfail" ]; then
		if [ $rc -ne 0 ]; then
			printf 'XFAIL %-39s %6ss (expected: %s; log: %s)\n' "$name" "$secs" "$xfail" "$log"
			return 0
		fi
		FAILED=$((FAILED + 1))
		printf 'FAIL %-40s %6ss (XPASS: it passes but tests/e2e/XFAIL lists it; remove it from there)\n' \
			"$name" "$secs"
		rm -f "$log"
		return 1
	fi
	if [ $rc -eq 0 ]; then
		PASSED=$((PASSED + 1))
		printf 'PASS %-40s %6ss\n' "$name" "$secs"
		rm -f "$log"
		return 0
	fi
	FAILED=$((FAILED + 1))
	case $rc in
	124 | 137) why=" (timed out after ${limit}s)" ;;
	*) why=" (exit status $rc)" ;;
	esac
	printf 'FAIL %-40s %6ss%s\n' "$name" "$secs" "$why"
	printf '    --- last lines of %s ---\n' "$log"
	tail -n 25 "$log" | sed 's/^/    | /'
	return 1
}

# fail_test NAME WHY: a test that cannot run counts as failed (never as passed or skipped).
fail_test() {
	FAILED=$((FAILED + 1))
	printf 'FAIL %-40s %6s  (%s)\n' "$1" "-" "$2"
}

# ---- lint: shellcheck ----------------------------------------------------------------------------
# A finding that is intended gets a `# shellcheck disable=SCxxxx # why` on its line, never a
# blanket exclusion here. -x follows `source` (the `# shellcheck source=` paths are relative to
# the repository's top, where this runs).
layer_lint() {
	local f
	if ! command -v shellcheck >/dev/null; then
		fail_test lint "shellcheck is missing: scripts/install-deps.sh installs it"
		return
	fi
	while IFS= read -r f; do
		run_test "lint/$f" 60 shellcheck -x "$f"
	done < <(tests/lib/shell_scripts.sh)
}

# ---- unit --------------------------------------------------------------------------------------
# run_unit_dir DIR LABEL HOW-TO-BUILD: every binary that tests/unit/test_*.c should have given.
run_unit_dir() {
	local dir=$1 label=$2 how=$3 src name
	for src in tests/unit/test_*.c; do
		[ -e "$src" ] || continue
		name=$(basename "$src" .c)
		if [ -x "$dir/$name" ]; then
			run_test "$label/$name" 300 "$dir/$name"
		else
			fail_test "$label/$name" "$dir/$name not built: run $how"
		fi
	done
}

layer_unit() {
	if ! compgen -G 'tests/unit/test_*.c' >/dev/null; then
		echo "SKIP unit: no tests in tests/unit/"
		return
	fi
	run_unit_dir build/tests/unit unit "make"
	if [ -d build/san/tests/unit ]; then
		run_unit_dir build/san/tests/unit unit-san "make SAN=1 all-user"
	else
		echo "SKIP unit-san: no sanitizer build (make SAN=1 all-user)"
	fi
}

# ---- docs: the product contract's own examples (../shared/docs) ------------------------------
layer_docs() {
	local t
	for t in tests/docs/test_*.sh; do
		[ -e "$t" ] || continue
		run_test "docs/$(basename "$t" .sh)" 60 bash "$t"
	done
}

# ---- datapath ----------------------------------------------------------------------------------
layer_datapath() {
	if ! compgen -G 'tests/datapath/*.c' >/dev/null; then
		echo "SKIP datapath: no tests in tests/datapath/"
		return
	fi
	if [ -x build/tests/datapath/dp_test ]; then
		run_test datapath 600 build/tests/datapath/dp_test
		# Named explicitly: a plain dp_test skips it. The sanitizer build is not run with
		# it: the packets' cost is in the kernel, the harness is the same code.
		run_test datapath-fuzz 300 build/tests/datapath/dp_test fuzz
	else
		fail_test datapath "build/tests/datapath/dp_test not built: run make"
	fi
	if [ -x build/san/tests/datapath/dp_test ]; then
		run_test datapath-san 600 build/san/tests/datapath/dp_test
	fi
}

# ---- fuzz: libFuzzer targets for a few seconds each (tests/fuzz/README.md) ----------------------
layer_fuzz() {
	if ! compgen -G 'tests/fuzz/fuzz_*.c' >/dev/null; then
		echo "SKIP fuzz: no targets in tests/fuzz/"
		return
	fi
	if ! compgen -G 'build/fuzz/fuzz_*' >/dev/null; then
		fail_test fuzz "build/fuzz/ has no targets: run make fuzz"
		return
	fi
	run_test fuzz 300 tests/fuzz/run.sh
}

# ---- install -----------------------------------------------------------------------------------
layer_install() {
	local t
	for t in tests/install/test_*.sh; do
		[ -e "$t" ] || continue
		run_test "install/$(basename "$t" .sh)" 300 bash "$t"
	done
}

# ---- e2e ---------------------------------------------------------------------------------------
# The PID embedded in a leftover's name (tcfw-NAME-PID-..., /sys/fs/bpf/tcfw-e2e-NAME-PID,
# /run/tcfw/e2e-NAME-PID.sock): the last all-digit dash-separated component.
owner_pid() {
	local part pid="" IFS=-
	for part in $1; do
		[[ "$part" =~ ^[0-9]+$ ]] && pid=$part
	done
	printf '%s' "$pid"
}

# A leftover is ours to remove when its creating run is gone: the PID in its name is dead.
# Names without a PID, or whose PID still runs (a run in progress), are left alone.
is_dead_leftover() {
	local pid
	pid=$(owner_pid "$1")
	[ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null
}

sweep_leftovers() {
	local ns pid path base n=0
	for ns in $(ip netns list 2>/dev/null | awk '$1 ~ /^tcfw-/ { print $1 }'); do
		is_dead_leftover "$ns" || continue
		for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
		ip netns del "$ns" 2>/dev/null && n=$((n + 1))
	done
	for path in /sys/fs/bpf/tcfw-e2e-* /run/tcfw/e2e-*.sock /tmp/tcfw-* /etc/netns/tcfw-*; do
		[ -e "$path" ] || continue
		base=$(basename "$path")
		is_dead_leftover "${base%.sock}" || continue
		rm -rf "$path" && n=$((n + 1))
	done
	[ $n -eq 0 ] || echo "run-all: removed $n leftovers of interrupted earlier runs"
}

# The reason tests/e2e/XFAIL gives for NAME ("NAME  reason..." lines, # comments), or nothing.
xfail_reason() {
	[ -f tests/e2e/XFAIL ] || return 0
	awk -v n="$1" '$1 == n { $1 = ""; sub(/^ +/, ""); print; exit }' tests/e2e/XFAIL
}

layer_e2e() {
	local t
	if ! compgen -G 'tests/e2e/test_*.sh' >/dev/null; then
		echo "SKIP e2e: no tests in tests/e2e/"
		return
	fi
	if [ "$(id -u)" -ne 0 ]; then
		for t in tests/e2e/test_*.sh; do
			fail_test "e2e/$(basename "$t" .sh)" "needs root"
		done
		return
	fi
	sweep_leftovers
	for t in tests/e2e/test_*.sh; do
		local name reason
		name=$(basename "$t" .sh)
		reason=$(xfail_reason "$name")
		# A test killed by the timeout cannot clean up: sweep after every failure.
		XFAIL_REASON=$reason run_test "e2e/$name" "$E2E_TIMEOUT" bash "$t" || sweep_leftovers
		[ -z "$reason" ] || sweep_leftovers
	done
}

# ---- main --------------------------------------------------------------------------------------
layers=("$@")
[ ${#layers[@]} -gt 0 ] || layers=(lint unit docs datapath fuzz install e2e)
for layer in "${layers[@]}"; do
	case $layer in
	lint | unit | docs | datapath | fuzz | install | e2e) ;;
	*)
		echo "usage: $0 [lint|unit|docs|datapath|fuzz|install|e2e ...] (unknown layer '$layer')" >&2
		exit 2
		;;
	esac
done

for layer in "${layers[@]}"; do
	echo "--- $layer"
	"layer_$layer"
done

echo "run-all: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]

# shellcheck shell=bash
# lib.sh - what every end-to-end test sources: the topology (topo.sh), assertions that print what
# was expected and what was seen, connection-table queries through `fwctl -j` + jq, and the
# servers the tests talk to.
#
#   source "$(dirname "$0")/lib.sh"
#   e2e_init ct_tracking        # unique names, cleanup trap, binaries (sanitizer build first)
#   topo_create
#   start_fwd "$policy"
#   step "UDP exchange"; ...; assert_eq "udp entries" 1 "$(ct_count proto udp)"
set -euo pipefail

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/e2e/topo.sh
source "$E2E_DIR/topo.sh"

if [ -x /usr/bin/python3 ]; then PYTHON=/usr/bin/python3; else PYTHON=python3; fi
export PYTHONDONTWRITEBYTECODE=1

STEP_NO=0
step() {
	STEP_NO=$((STEP_NO + 1))
	printf '\n[%s step %d] %s\n' "${E2E_NAME:-e2e}" "$STEP_NO" "$*"
}
ok() { printf '  ok: %s\n' "$*"; }

e2e_init() {
	E2E_NAME=$1
	command -v jq >/dev/null || die "jq is missing (scripts/install-deps.sh installs it)"
	topo_pick_binaries 1
	topo_init "$E2E_NAME"
	printf '%s: fwd=%s fwctl=%s namespaces=%s-*\n' "$E2E_NAME" "$FWD" "$FWCTL" "$TOPO_PREFIX"
}

# ---- assertions ---------------------------------------------------------------------------
assert_eq() { # WHAT EXPECTED ACTUAL
	[ "$2" = "$3" ] || die "$1: expected '$2', got '$3'"
	ok "$1 = $3"
}
assert_ne() { # WHAT UNEXPECTED ACTUAL
	[ "$2" != "$3" ] || die "$1: expected anything but '$2'"
	ok "$1 = $3 (not $2)"
}
assert_ge() { # WHAT MIN ACTUAL
	[[ "$3" =~ ^[0-9]+$ ]] || die "$1: expected a number >= $2, got '$3'"
	[ "$3" -ge "$2" ] || die "$1: expected >= $2, got $3"
	ok "$1 = $3 (>= $2)"
}
assert_gt() { # WHAT BOUND ACTUAL
	[[ "$3" =~ ^[0-9]+$ ]] || die "$1: expected a number > $2, got '$3'"
	[ "$3" -gt "$2" ] || die "$1: expected > $2, got $3"
	ok "$1 = $3 (> $2)"
}
assert_match() { # WHAT EXTENDED-REGEX ACTUAL
	[[ "$3" =~ $2 ]] || die "$1: expected to match /$2/, got '$3'"
	ok "$1 matches /$2/"
}
assert_one_of() { # WHAT ACTUAL CHOICE...
	local what=$1 actual=$2 c
	shift 2
	for c in "$@"; do
		[ "$actual" = "$c" ] && {
			ok "$what = $actual"
			return 0
		}
	done
	die "$what: expected one of [$*], got '$actual'"
}

# run_expect WHAT STATUS CMD...: run CMD, its status must be STATUS; stdout+stderr of the run
# are in $RUN_OUT / $RUN_ERR for further checks.
run_expect() {
	local what=$1 want=$2 rc=0
	shift 2
	RUN_OUT=$("$@" 2>"$WORK/run.err") || rc=$?
	RUN_ERR=$(cat "$WORK/run.err")
	[ "$rc" = "$want" ] || die "$what: expected exit status $want, got $rc (stdout: '$RUN_OUT', stderr: '$RUN_ERR')"
	ok "$what: exit status $rc"
}

# ---- the connection table through fwctl ------------------------------------------------------
# ct_json [FILTER...]: `fwctl -j ct list FILTER` (a JSON array), checked to be one.
ct_json() {
	local out
	out=$(fwctl -j ct list "$@") || die "fwctl -j ct list $* failed"
	jq -e 'type == "array"' >/dev/null 2>&1 <<<"$out" ||
		die "fwctl -j ct list $*: expected a JSON array, got: ${out:0:300}"
	printf '%s\n' "$out"
}

# ct_count_json [FILTER...]: how many entries `fwctl -j ct list FILTER` shows.
# shellcheck disable=SC2120 # the filter is optional: no argument counts every entry
ct_count_json() { ct_json "$@" | jq length; }

# ct_pick JQ-CONDITION [FILTER...]: the single entry of `ct list FILTER` that satisfies the jq
# condition (e.g. '.orig.dport == 8080'); fails when there is not exactly one.
ct_pick() {
	local cond=$1 json n
	shift
	json=$(ct_json "$@")
	n=$(jq "[.[] | select($cond)] | length" <<<"$json")
	if [ "$n" != 1 ]; then
		printf 'connection table (ct list %s):\n%s\n' "$*" "$(jq -c '.[]' <<<"$json")" >&2
		die "expected exactly one connection with $cond, found $n"
	fi
	jq -c ".[] | select($cond)" <<<"$json"
}

# ct_has JQ-CONDITION: true when some entry matches (for wait_for / poll_for).
ct_has() {
	local json
	json=$(fwctl -j ct list 2>/dev/null) || return 1
	jq -e "any(.[]; $1)" >/dev/null <<<"$json"
}
ct_has_not() { ! ct_has "$1"; }

# field ENTRY JQ-PATH: one field of an entry, as text ("null" when missing).
field() { jq -r "$2" <<<"$1"; }

# assert_field WHAT ENTRY JQ-PATH EXPECTED: prints the entry when the field differs.
assert_field() {
	local got
	got=$(jq -r "$3" <<<"$2")
	[ "$got" = "$4" ] || die "$1: expected $3 = '$4', got '$got' in entry $2"
	ok "$1: $3 = $got"
}

file_size_ge() { # FILE BYTES: for wait_for
	[ -f "$1" ] && [ "$(stat -c %s "$1")" -ge "$2" ]
}

# ---- servers ----------------------------------------------------------------------------------
# start_http_server NS ADDR PORT DIR: python's http.server serving DIR; waits until it listens.
start_http_server() {
	bg_in_ns "$1" "$PYTHON" -m http.server --bind "$2" --directory "$4" "$3" \
		>"$WORK/http-$1-$3.log" 2>&1
	wait_for 10 "HTTP server on [$2]:$3 in $1" tcp_listening "$1" "$2" "$3"
}

# start_udp_echo NS ADDR PORT: the UDP echo server of udp_echo.py; waits until it is bound.
start_udp_echo() {
	bg_in_ns "$1" "$PYTHON" "$E2E_DIR/udp_echo.py" server "$2" "$3" >"$WORK/udp-$1-$3.log" 2>&1
	wait_for 10 "UDP echo server on [$2]:$3 in $1" udp_bound "$1" "$2" "$3"
}

# udp_exchange NS ADDR PORT COUNT SIZE [--sport N]: COUNT request/response pairs, all answered.
udp_exchange() {
	local ns=$1 addr=$2 port=$3 count=$4 size=$5
	shift 5
	in_ns "$ns" "$PYTHON" "$E2E_DIR/udp_echo.py" client "$addr" "$port" "$count" "$size" "$@" ||
		die "UDP exchange $ns -> [$addr]:$port ($count x $size bytes) did not get every reply"
}

# A policy that accepts everything, with the given extra lines (timeouts etc.) appended.
# write_policy FILE ZONE-LAN ZONE-WAN [EXTRA-LINES]
write_accept_policy() {
	local file=$1 lan=$2 wan=$3 extra=${4:-}
	cat >"$file" <<EOF
# $E2E_NAME: track everything, drop nothing
zone lan { $lan }
zone wan { $wan }

defaults {
    input   accept
    forward accept
    output  accept
    invalid drop
}
$extra
EOF
}

# tcp_probe NS ADDR PORT [--src ADDR] [--timeout S]: connected | refused | unreachable | timeout
tcp_probe() {
	local ns=$1
	shift
	in_ns "$ns" "$PYTHON" "$E2E_DIR/tcp_probe.py" "$@" || die "tcp_probe.py $* failed in $ns"
}

# assert_probe WHAT EXPECTED NS ADDR PORT [--src ADDR]: one TCP connection attempt ends as
# EXPECTED (see tcp_probe.py for the words).
assert_probe() {
	local what=$1 want=$2 got
	shift 2
	got=$(tcp_probe "$@")
	[ "$got" = "$want" ] || die "$what: expected the connection to be '$want', it was '$got'"
	ok "$what: $got"
}

# start_tcp_listener NS ADDR PORT: nc keeps accepting connections on ADDR:PORT.
start_tcp_listener() {
	bg_in_ns "$1" nc -n -lk "$2" "$3" >/dev/null 2>&1
	wait_for 5 "TCP listener on [$2]:$3 in $1" tcp_listening "$1" "$2" "$3"
}

# tcfw_filters DEV HOOK [NS]: how many tcfw programs are attached to DEV's HOOK (ingress or
# egress) in the gateway (or NS), cls_bpf filters and tcx links together (one of each would be
# two: the double filtering fwd must never leave). tc shows a bpf filter as "... bpf ... name
# tcfw_ingress ..."; tcx.py lists the tcx hook's programs by name.
tcfw_filters() {
	local cls tcx
	cls=$(tcfw_cls_filters "$@")
	tcx=$(tcfw_tcx_links "$@")
	echo $((cls + tcx))
}
tcfw_cls_filters() { # DEV HOOK [NS]
	ip netns exec "${3:-$NS_GW}" tc filter show dev "$1" "$2" | grep -cE ' bpf .* name tcfw_' || true
}
tcfw_tcx_links() { # DEV HOOK [NS]
	ip netns exec "${3:-$NS_GW}" "$PYTHON" "$E2E_DIR/tcx.py" progs "$1" "$2" | grep -c '^tcfw_' || true
}
# tcx_helper ARGS...: tests/e2e/tcx.py in the gateway namespace (see its usage).
tcx_helper() { ip netns exec "$NS_GW" "$PYTHON" "$E2E_DIR/tcx.py" "$@"; }

# start_monitor FILE: `fwctl -j monitor` in the background, one event (JSON) per line into FILE;
# returns once fwd counts the monitor among its clients. Its stderr is checked for sanitizer
# reports at exit like fwd's.
start_monitor() {
	local out=$1 before
	before=$(fwctl -j status | jq -r '.monitors // 0')
	TOPO_FWD_LOGS+=("$out.err")
	nsenter --net="/run/netns/$FWD_NS" -- "$FWCTL" --socket "$FWD_SOCKET" -j monitor \
		>"$out" 2>"$out.err" &
	MONITOR_PID=$!
	TOPO_PIDS+=("$MONITOR_PID")
	wait_for 10 "fwd to count the new monitor client" monitors_more_than "$before"
}
monitors_more_than() { [ "$(fwctl -j status | jq -r '.monitors // 0')" -gt "$1" ]; }

# events FILE JQ-CONDITION: the events in FILE that satisfy the condition, one JSON per line.
# (An event line is the event itself, or {"event": {...}}.)
events() {
	jq -c "if has(\"event\") then .event else . end | select($2)" "$1"
}
has_event() { [ -n "$(events "$1" "$2" 2>/dev/null)" ]; }

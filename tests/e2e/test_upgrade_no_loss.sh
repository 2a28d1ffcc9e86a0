#!/usr/bin/env bash
# test_upgrade_no_loss.sh - "upgrade and restart without loss", measured. Behind a
# default-drop policy with masquerade, an iperf3 transfer and a stream of sequence-numbered UDP
# datagrams (udp_seq.py, echoed back) run through the gateway across, one after the other:
#   a  SIGKILL of fwd + start
#   b  SIGTERM of a fwd started with --keep + start
#   c1 `fwctl policy load` of a changed policy;  c2 SIGHUP (the -c file again)
#   d  a datapath upgrade from the previous commit's build (UPGRADE_FROM, default HEAD~1, built
#      here from a git worktree): that build's fwd runs the datapath, is stopped with --keep, and
#      this build's fwd takes over (d0 is the downgrade that puts the old build in place).
# Each step prints what it lost: UDP datagrams sent / lost / lost on the way back / longest gap,
# TCP seconds without data and retransmits. The goal is zero and the test asserts it: no
# datagram lost, no 1 s interval without TCP data, both connection entries still there with
# growing counters, and the policy's default drop holding (a listening gateway port stays
# closed from the WAN) after every step.
# When the previous build's layout (TCFW_ABI_VERSION) differs, the takeover must be refused
# with a message and the old datapath must go on filtering: the test checks that instead, with
# traffic of its own started under the old build. Without git history (an exported tree) step
# d is skipped with a message.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
e2e_init upgrade_no_loss
command -v iperf3 >/dev/null || die "iperf3 is missing (scripts/install-deps.sh installs it)"

TRAFFIC_MAX=180 # seconds: the traffic ends when the steps are done, at the latest then
RATE=200M                              # iperf3, bounded: the two cores also start fwd
UDP_RATE=1000                          # datagrams a second, each way
IPERF_PORT=5201
UDP_PORT=7001
CLOSED_PORT=2222 # listens on the gateway; the policy never opens it
SETTLE=1         # seconds of traffic through the new datapath before a step's window ends

# ---- the previous commit's build ---------------------------------------------------------------
# Built before any traffic (compiling on the two shared cores would disturb the measurement).
OLD_TREE= # the git worktree, removed as soon as the binaries are copied out, or at exit
OLD_FWD=
OLD_FWCTL=
OLD_SKIP=
remove_old_tree() {
	[ -n "$OLD_TREE" ] || return 0
	git -C "$TOPO_REPO" worktree remove --force "$OLD_TREE" >/dev/null 2>&1 || rm -rf "$OLD_TREE"
	git -C "$TOPO_REPO" worktree prune >/dev/null 2>&1
	OLD_TREE=
}
# topo_cleanup reads $? first: hand it the test's status (set +e: the `exit` of a subshell
# that passes it on must not end the trap under set -e).
trap 'rc=$?; set +e; [ "$BASHPID" = "$TOPO_MAIN_PID" ] && remove_old_tree; (exit $rc); topo_cleanup' EXIT

abi_of() { sed -n 's/^#define TCFW_ABI_VERSION \([0-9]*\).*/\1/p' "$1"; }
ABI_NEW=$(abi_of "$TOPO_REPO/bpf/tcfw_abi.h")
UPGRADE_FROM=${UPGRADE_FROM:-HEAD~1}

build_old() {
	local rev shallow
	shallow=$(git -C "$TOPO_REPO" rev-parse --is-shallow-repository 2>/dev/null) || shallow=no-git
	if ! rev=$(git -C "$TOPO_REPO" rev-parse --verify -q "$UPGRADE_FROM^{commit}" 2>/dev/null); then
		[ "$shallow" != false ] ||
			die "UPGRADE_FROM=$UPGRADE_FROM is not a commit of $TOPO_REPO"
		OLD_SKIP="no git history to build $UPGRADE_FROM from ($([ "$shallow" = true ] && echo "a shallow clone" || echo "no .git in $TOPO_REPO")): step d, the upgrade from the previous build, is not tested; run from a full git clone"
		return 0
	fi
	OLD_TREE=$WORK/old-tree
	git -C "$TOPO_REPO" worktree add --detach "$OLD_TREE" "$rev" >"$WORK/old-worktree.log" 2>&1 ||
		die "git worktree add of $UPGRADE_FROM ($rev) failed: $(cat "$WORK/old-worktree.log")"
	local t0=$SECONDS
	say "building fwd and fwctl of $UPGRADE_FROM ($(git -C "$TOPO_REPO" log -1 --format='%h %s' "$rev" | cut -c1-70))"
	make -C "$OLD_TREE" -j2 build/fwd build/fwctl >"$WORK/old-build.log" 2>&1 ||
		die "building fwd and fwctl of $UPGRADE_FROM failed (last lines: $(tail -n 5 "$WORK/old-build.log"))"
	mkdir -p "$WORK/old"
	cp "$OLD_TREE/build/fwd" "$OLD_TREE/build/fwctl" "$WORK/old/"
	ABI_OLD=$(abi_of "$OLD_TREE/bpf/tcfw_abi.h")
	OLD_REV=$(git -C "$TOPO_REPO" rev-parse --short "$rev")
	remove_old_tree
	OLD_FWD=$WORK/old/fwd
	OLD_FWCTL=$WORK/old/fwctl
	ok "previous build $OLD_REV, built in $((SECONDS - t0)) s: layout version $ABI_OLD (this build: $ABI_NEW)"
}
step "the previous commit's build ($UPGRADE_FROM)"
build_old
[ -z "$OLD_SKIP" ] || printf '  SKIP step d: %s\n' "$OLD_SKIP"
NEW_FWD=$FWD
NEW_FWCTL=$FWCTL
use_build() { # old | new: which fwd the next start_fwd runs, and the fwctl that talks to it
	case $1 in
	old) FWD=$OLD_FWD FWCTL=$OLD_FWCTL ;;
	new) FWD=$NEW_FWD FWCTL=$NEW_FWCTL ;;
	esac
}

# ---- network, policy, servers -----------------------------------------------------------------
topo_create_nat

# policy FILE [EXTRA]: default drop both ways in; the LAN out through masquerade, nothing else.
policy() {
	cat >"$1" <<EOF
# $E2E_NAME: default drop, the LAN out to the WAN through masquerade
zone lan { lan0 }
zone wan { wan0 }

defaults {
    input   drop
    forward drop
    output  accept
    invalid drop
}

${2:-}
forward accept in lan out wan
nat masquerade out wan from $NAT_LAN_NET
EOF
}
policy "$WORK/policy.conf"
# The changed policy of step c1: SMTP out refused, still nothing in from the WAN.
policy "$WORK/policy-changed.conf" "forward reject in lan out wan proto tcp dport 25"

start_tcp_listener "$NS_GW" 0.0.0.0 "$CLOSED_PORT"

closed_port_stays_closed() { # WHEN
	assert_probe "$1: gateway port $CLOSED_PORT (listening) from the WAN, default drop" timeout \
		"$NS_SERVER" "$NAT_WAN_GW" "$CLOSED_PORT" --timeout 1
}

# ---- traffic ----------------------------------------------------------------------------------
TRAFFIC_PIDS=()
# start_traffic TAG: iperf3 client -> server and the UDP stream, both through masquerade, for
# TRAFFIC_MAX seconds at most; end_traffic stops them once the steps are done.
start_traffic() {
	local tag=$1 secs=$TRAFFIC_MAX
	bg_in_ns "$NS_SERVER" iperf3 -s -1 -B "$NAT_SERVER" -p "$IPERF_PORT" >"$WORK/iperf-server-$tag.log" 2>&1
	bg_in_ns "$NS_SERVER" "$PYTHON" "$E2E_DIR/udp_seq.py" recv "$NAT_SERVER" "$UDP_PORT" \
		"$WORK/udp-recv-$tag.json" --max $((secs + 30)) --idle 3
	wait_for 5 "iperf3 server listening" tcp_listening "$NS_SERVER" "$NAT_SERVER" "$IPERF_PORT"
	wait_for 5 "udp_seq receiver bound" udp_bound "$NS_SERVER" "$NAT_SERVER" "$UDP_PORT"
	bg_in_ns "$NS_CLIENT" iperf3 -c "$NAT_SERVER" -p "$IPERF_PORT" -t "$secs" -i 1 -b "$RATE" \
		-J --connect-timeout 3000 >"$WORK/iperf-$tag.json" 2>"$WORK/iperf-$tag.err"
	TRAFFIC_PIDS=("$BG_PID")
	bg_in_ns "$NS_CLIENT" "$PYTHON" "$E2E_DIR/udp_seq.py" send "$NAT_SERVER" "$UDP_PORT" \
		"$WORK/udp-send-$tag.json" --rate "$UDP_RATE" --seconds "$secs"
	TRAFFIC_PIDS+=("$BG_PID")
	TRAFFIC_START=$SECONDS
	WINDOWS=()
	wait_for 10 "the iperf3 data connection and the UDP flow in the table" traffic_tracked
	sleep 1
}
traffic_tracked() {
	[ "$(ct_json proto tcp dport "$IPERF_PORT" state established | jq length)" -ge 2 ] &&
		[ "$(ct_json proto udp dport "$UDP_PORT" | jq length)" -ge 1 ]
}
# end_traffic TAG: stop both senders (iperf3 by SIGINT: it writes its JSON and says
# "interrupt"), wait for the UDP receiver's idle end; fails when one ended early or on an error.
end_traffic() {
	local tag=$1 iperf=${TRAFFIC_PIDS[0]} udp=${TRAFFIC_PIDS[1]} rc=0 err
	TRAFFIC_SECONDS=$((SECONDS - TRAFFIC_START))
	pid_running "$udp" || die "$tag: the UDP sender ended before the steps did"
	# iperf3 ended early: the connection broke. Said after the UDP figures (report), which
	# show where it happened.
	TRAFFIC_FAULT=
	pid_running "$iperf" || TRAFFIC_FAULT="iperf3 ended before the steps did"
	[ -n "$TRAFFIC_FAULT" ] || kill -INT "$iperf"
	kill -TERM "$udp"
	wait "$iperf" || rc=$?
	err=$(jq -r '.error // empty' "$WORK/iperf-$tag.json" 2>/dev/null || true)
	[ $rc -eq 0 ] || [ "$err" = "interrupt - the client has terminated" ] ||
		TRAFFIC_FAULT="${TRAFFIC_FAULT:-iperf3 failed}: exit status $rc, $(cat "$WORK/iperf-$tag.err") $err"
	rc=0
	wait "$udp" || rc=$?
	[ $rc -eq 0 ] || die "$tag: the UDP sender (udp_seq.py) exited with $rc"
	wait_for 10 "the UDP receiver's results" test -s "$WORK/udp-recv-$tag.json"
}

# The two tracked connections: the iperf3 data connection (the established one with most bytes)
# and the UDP flow; compared by their original source port before and after each step.
conns() {
	local tcp udp
	tcp=$(ct_json proto tcp dport "$IPERF_PORT" state established | jq -c 'max_by(.counters.orig.bytes)')
	udp=$(ct_pick true proto udp dport "$UDP_PORT")
	jq -nc --argjson t "$tcp" --argjson u "$udp" '{tcp: $t, udp: $u}'
}
now() { date +%s.%N; }
retrans() { # the client's TCP retransmissions so far (tcpi_total_retrans of its connections)
	local out
	out=$(in_client ss -Htin dst "$NAT_SERVER" dport = ":$IPERF_PORT") || die "ss in the client failed"
	# ss leaves "retrans:" out until the first one: then none (grep finds nothing) is 0.
	grep -o 'retrans:[0-9]*/[0-9]*' <<<"$out" | awk -F/ '{n += $2} END {print n + 0}' || true
}

# measure NAME WHAT CMD...: CMD (the fault) in a window of its own; afterwards the same two
# connections with counters that went on, and the default drop holding.
declare -A RETRANS=()
measure() {
	local name=$1 what=$2 before after t0 t1 r0 p dir
	shift 2
	step "$name: $what"
	before=$(conns)
	r0=$(retrans)
	t0=$(now)
	"$@"
	sleep "$SETTLE"
	t1=$(now)
	RETRANS[$name]=$(($(retrans) - r0))
	WINDOWS+=("$name:$t0:$t1")
	after=$(conns)
	for p in tcp udp; do
		assert_eq "$name: the $p entry after the step (original source port)" \
			"$(jq ".$p.orig.sport" <<<"$before")" "$(jq ".$p.orig.sport" <<<"$after")"
		for dir in orig reply; do
			assert_gt "$name: $p $dir packets went on from before the step" \
				"$(jq ".$p.counters.$dir.packets" <<<"$before")" "$(jq ".$p.counters.$dir.packets" <<<"$after")"
		done
	done
	closed_port_stays_closed "$name"
}

# The faults.
kill_and_start() { stop_fwd KILL && start_fwd "$WORK/policy.conf" --keep; }
keep_stop_and_start() { stop_fwd TERM && start_fwd "$WORK/policy.conf" --keep; }
policy_load_changed() {
	local gen
	gen=$(fwctl -j status | jq .policy.generation)
	fwctl policy load "$WORK/policy-changed.conf" >/dev/null || die "fwctl policy load of the changed policy failed"
	assert_gt "c1: policy generation after the load" "$gen" "$(fwctl -j status | jq .policy.generation)"
}
sighup_reload() {
	local gen
	gen=$(fwctl -j status | jq .policy.generation)
	kill -HUP "$FWD_PID"
	wait_for 10 "the SIGHUP reload (a new policy generation)" generation_above "$gen"
}
generation_above() { [ "$(fwctl -j status | jq .policy.generation)" -gt "$1" ]; }
switch_to() { # old | new: a --keep stop of the running fwd, the other build's fwd takes over
	stop_fwd TERM
	use_build "$1"
	start_fwd "$WORK/policy.conf" --keep
	assert_eq "the $1 build's fwd took over" true "$(fwctl -j status | jq .took_over)"
}

udp_rcvbuf_errors() { # NS: Udp RcvbufErrors of /proc/net/snmp in NS
	# shellcheck disable=SC2016 # awk's program, for awk (run through ip netns exec)
	ip netns exec "$1" awk '/^Udp:/ { if (!col) { for (i = 1; i <= NF; i++) if ($i == "RcvbufErrors") col = i }
		else print $col }' /proc/net/snmp
}

# report TAG: one line per step, then the assertions on the whole of it.
report() {
	local tag=$1 t0 line name sent lost back gap zero
	t0=$(jq '.start.timestamp.timesecs' "$WORK/iperf-$tag.json")
	step "$tag: what each step lost"
	printf '  %-5s %8s %5s %10s %15s %12s %12s\n' step "UDP sent" lost "lost back" \
		"longest gap ms" "TCP 0 s" "TCP retrans"
	"$PYTHON" "$E2E_DIR/udp_seq.py" report "$WORK/udp-send-$tag.json" "$WORK/udp-recv-$tag.json" \
		"${WINDOWS[@]}" >"$WORK/udp-report-$tag.json"
	while read -r line; do
		name=$(jq -r .window <<<"$line")
		sent=$(jq .sent <<<"$line")
		lost=$(jq .lost <<<"$line")
		back=$(jq .lost_back <<<"$line")
		gap=$(jq .longest_gap_ms <<<"$line")
		local lo=0 hi=1e12 w
		for w in "${WINDOWS[@]}"; do
			[ "${w%%:*}" = "$name" ] || continue
			IFS=: read -r _ lo hi <<<"$w"
		done
		# iperf3's 1 s intervals that overlap the window (its clock starts at a whole second),
		# but the last one, cut short by the SIGINT that ends it
		zero=$(jq --argjson t0 "$t0" --argjson lo "$lo" --argjson hi "$hi" \
			'[.intervals[:-1][].sum | select($t0 + .end > $lo - 1 and $t0 + .start < $hi + 1) |
			  select(.bytes == 0)] | length' "$WORK/iperf-$tag.json")
		local rt=${RETRANS[$name]:-$(jq '.end.sum_sent.retransmits // 0' "$WORK/iperf-$tag.json")}
		printf '  %-5s %8s %5s %10s %15s %12s %12s\n' "$name" "$sent" "$lost" "$back" "$gap" "$zero" "$rt"
		printf '%s\n' "$(jq -c --argjson z "$zero" --argjson r "$rt" '. + {tcp_zero_s: $z, tcp_retrans: $r}' <<<"$line")" >>"$WORK/report-$tag.jsonl"
	done <"$WORK/udp-report-$tag.json"
	# A datagram a receiving socket dropped (its buffer full while python was not scheduled)
	# is lost too, but not by the gateway: counted apart, to tell the two causes apart.
	ok "$tag: datagrams dropped by full receive buffers (RcvbufErrors) on the server" \
		"$(udp_rcvbuf_errors "$NS_SERVER"), on the client $(udp_rcvbuf_errors "$NS_CLIENT")"
	while read -r line; do
		name=$(jq -r .window <<<"$line")
		[ "$(jq .sent <<<"$line")" -gt 0 ] || die "$tag $name: no UDP datagram sent in the window"
		assert_eq "$tag $name: UDP datagrams lost client -> server" 0 "$(jq .lost <<<"$line")"
		assert_eq "$tag $name: UDP echoes lost server -> client" 0 "$(jq .lost_back <<<"$line")"
		assert_eq "$tag $name: 1 s intervals without TCP data" 0 "$(jq .tcp_zero_s <<<"$line")"
	done <"$WORK/report-$tag.jsonl"
	[ -z "$TRAFFIC_FAULT" ] || die "$tag: $TRAFFIC_FAULT"
	assert_ge "$tag: iperf3 intervals reported (${TRAFFIC_SECONDS}s of traffic)" \
		$((TRAFFIC_SECONDS - 2)) "$(jq '.intervals | length' "$WORK/iperf-$tag.json")"
}

# ---- a, b, c, and d when the layouts agree ---------------------------------------------------
step "fwd (this build) with --keep, the traffic until the steps are done"
start_fwd "$WORK/policy.conf" --keep
closed_port_stays_closed "before any step"
start_traffic main

measure a "SIGKILL of fwd, then a new fwd" kill_and_start
measure b "SIGTERM of the --keep fwd, then a new fwd" keep_stop_and_start
measure c1 "fwctl policy load of a changed policy" policy_load_changed
measure c2 "SIGHUP: the -c policy again" sighup_reload
UPGRADE=skipped
if [ -n "$OLD_FWD" ] && [ "$ABI_OLD" = "$ABI_NEW" ]; then
	UPGRADE=same
	measure d0 "downgrade: the $OLD_REV build's fwd takes over" switch_to old
	measure d "upgrade: --keep stop of the $OLD_REV build, this build's fwd takes over" switch_to new
elif [ -n "$OLD_FWD" ]; then
	UPGRADE=differs
fi
end_traffic main
report main

# ---- d when the layouts differ: refused, the old datapath goes on ----------------------------
refused_takeover() {
	local rc=0 log=$WORK/fwd-refused.log
	stop_fwd TERM
	TOPO_FWD_LOGS+=("$log")
	timeout 60 nsenter --net="/run/netns/$FWD_NS" -- "$NEW_FWD" -c "$WORK/policy.conf" \
		--pin-dir "$FWD_PIN_DIR" --socket "$FWD_SOCKET" --keep >"$log" 2>&1 || rc=$?
	assert_eq "this build's fwd on the layout $ABI_OLD datapath: exit status" 1 "$rc"
	grep -qiE 'incompatible|layout version' "$log" ||
		die "the refusal does not name the layout (log: $(head -c 600 "$log"))"
	ok "refused: $(grep -m1 -iE 'incompatible|layout version' "$log")"
	closed_port_stays_closed "d, no fwd after the refusal"
	# The operator's way on: the fwd that matches the datapath, started again, takes it over
	# (and its fwctl reads the connections for the checks that follow).
	start_fwd "$WORK/policy.conf" --keep
}
if [ "$UPGRADE" = differs ]; then
	step "d: layouts differ ($ABI_OLD -> $ABI_NEW): the $OLD_REV build's datapath from scratch"
	stop_fwd TERM # the --keep fwd: the datapath stays; one without --keep removes it
	start_fwd "$WORK/policy.conf"
	stop_fwd TERM
	use_build old
	start_fwd "$WORK/policy.conf" --keep
	start_traffic old
	measure d "this build's fwd refuses the layout $ABI_OLD datapath, which goes on filtering; the $OLD_REV fwd again" refused_takeover
	end_traffic old
	report old
fi

case $UPGRADE in
same) echo "upgrade from $OLD_REV (layout $ABI_OLD): taken over without loss" ;;
differs) echo "upgrade from $OLD_REV (layout $ABI_OLD -> $ABI_NEW): refused, old datapath kept filtering" ;;
skipped) echo "SKIP step d: $OLD_SKIP" ;;
esac
echo "PASS test_upgrade_no_loss"

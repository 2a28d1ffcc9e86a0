#!/usr/bin/env bash
# test_lifecycle.sh - how fwd and fwctl start, fail and stop:
#   - fwctl with no daemon exits 1 with one line; usage errors exit 2
#   - fwd with a bad policy exits 1 naming file:line:col, and leaves nothing attached or pinned
#   - a clean stop (no --keep) removes the filters, the clsact qdisc fwd created, the pins and
#     the socket, and leaves a clsact qdisc (and a filter) that existed before fwd in place
#   - an interface of a zone that appears after fwd started gets the datapath
#   - two fwd in two gateway namespaces run side by side, each tracking its own traffic
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
e2e_init lifecycle
topo_create

has_clsact() { # DEV [NS]
	ip netns exec "${2:-$NS_GW}" tc qdisc show dev "$1" | grep -q clsact
}

write_accept_policy "$WORK/policy.conf" "lan0, lan1" wan0

# ---- fwctl without a daemon, usage errors -------------------------------------------------------
step "fwctl with no daemon behind its socket: exit 1, one line on stderr"
FWD_SOCKET=/run/tcfw/e2e-lifecycle-$$-nobody.sock run_expect "fwctl status (no daemon)" 1 fwctl status
assert_eq "stderr lines" 1 "$(printf '%s\n' "$RUN_ERR" | grep -c .)"
assert_eq "stdout" "" "$RUN_OUT"
printf '  message: %s\n' "$RUN_ERR"

step "fwctl usage errors: exit 2"
run_expect "fwctl --no-such-option" 2 fwctl --no-such-option
run_expect "fwctl no-such-command" 2 fwctl no-such-command
run_expect "fwctl ct list proto (value missing)" 2 fwctl ct list proto
run_expect "fwctl ct list dport 70000 (out of range)" 2 fwctl ct list dport 70000

# ---- fwd with a bad policy -----------------------------------------------------------------------
step "fwd with a bad policy: exit 1 naming file:line:col"
cat >"$WORK/bad-policy.conf" <<'EOF'
zone lan { lan0 }
zone wan { wan0 }
forward acept in lan
EOF
run_expect "fwd -c bad-policy.conf" 1 nsenter --net="/run/netns/$NS_GW" -- timeout 30 "$FWD" \
	-c "$WORK/bad-policy.conf" --pin-dir "$FWD_PIN_DIR" --socket "$FWD_SOCKET"
TOPO_PINS+=("$FWD_PIN_DIR")
TOPO_SOCKETS+=("$FWD_SOCKET")
assert_match "fwd's error names the place" 'bad-policy\.conf:3:9:' "$RUN_ERR"
printf '  message: %s\n' "$(head -n 3 <<<"$RUN_ERR")"
printf '%s\n' "$RUN_ERR" >"$WORK/fwd-bad-policy.log"
topo_sanitizer_report "$WORK/fwd-bad-policy.log" && die "sanitizer report from fwd with a bad policy (above)"
assert_eq "tcfw programs on lan0 ingress after the failed start" 0 "$(tcfw_filters lan0 ingress)"
[ ! -e "$FWD_PIN_DIR/ct" ] || die "the failed fwd left pins in $FWD_PIN_DIR"
ok "nothing pinned in $FWD_PIN_DIR"

# ---- clean stop, foreign qdisc ---------------------------------------------------------------------
step "a clsact qdisc and a filter of someone else on lan0 before fwd starts"
in_gw tc qdisc add dev lan0 clsact
in_gw tc filter add dev lan0 ingress pref 65000 u32 match u32 0 0
has_clsact wan0 && die "wan0 has a clsact qdisc before fwd started"
ok "lan0: clsact + a u32 filter (pref 65000); wan0: no clsact"

step "fwd starts: its programs on both hooks of lan0 and wan0"
start_fwd "$WORK/policy.conf"
for dev in lan0 wan0; do
	for hook in ingress egress; do
		assert_eq "tcfw programs on $dev $hook" 1 "$(tcfw_filters "$dev" "$hook")"
	done
done
[ -S "$FWD_SOCKET" ] || die "no control socket at $FWD_SOCKET"
[ -e "$FWD_PIN_DIR/ct" ] || die "no ct map pinned at $FWD_PIN_DIR/ct"
ok "socket $FWD_SOCKET and pins in $FWD_PIN_DIR exist"
in_client ping -n -q -c 2 -i 0.2 -W 2 "$WAN4_SERVER" >/dev/null || die "ping through the gateway failed"
assert_eq "ICMP connections tracked" 1 "$(ct_count_json proto icmp)"

# ---- an interface that appears later ----------------------------------------------------------------
step "lan1 (named in zone lan, absent at start) appears: fwd attaches to it"
topo_link "$NS_GW" lan1 "$NS_CLIENT" eth1
topo_addr "$NS_GW" lan1 10.77.3.1/24
topo_addr "$NS_CLIENT" eth1 10.77.3.2/24
lan1_attached() { [ "$(tcfw_filters lan1 ingress)" = 1 ] && [ "$(tcfw_filters lan1 egress)" = 1 ]; }
wait_for 10 "fwd to attach to lan1 (ingress and egress)" lan1_attached
ok "lan1 has tcfw filters on both hooks"
in_client ping -n -q -c 2 -i 0.2 -W 2 10.77.3.1 >/dev/null || die "ping of the gateway over lan1 failed"
icmp=$(ct_pick '.orig.src == "10.77.3.2"' proto icmp)
assert_field "ping over lan1" "$icmp" .orig.dst 10.77.3.1
assert_field "ping over lan1" "$icmp" .counters.orig.packets 2

# ---- clean stop -----------------------------------------------------------------------------------
step "SIGTERM without --keep: everything fwd made is gone, the rest stays"
stop_fwd TERM
for dev in lan0 wan0 lan1; do
	for hook in ingress egress; do
		assert_eq "tcfw programs on $dev $hook after stop" 0 "$(tcfw_filters "$dev" "$hook")"
	done
done
has_clsact lan0 || die "the clsact qdisc on lan0 that existed before fwd was removed"
ok "lan0 keeps its clsact qdisc (it was not fwd's)"
filters=$(in_gw tc filter show dev lan0 ingress)
grep -q "pref 65000 u32" <<<"$filters" ||
	die "the u32 filter on lan0 that existed before fwd was removed; lan0 ingress now: '$filters'"
ok "lan0 keeps the other filter"
has_clsact wan0 && die "wan0 still has the clsact qdisc fwd created"
ok "wan0's clsact qdisc (fwd's) is removed"
[ ! -e "$FWD_PIN_DIR" ] || die "pin directory still there after stop: $(find "$FWD_PIN_DIR" -mindepth 1 -maxdepth 1 -printf '%f ')"
ok "pin directory $FWD_PIN_DIR removed"
[ ! -e "$FWD_SOCKET" ] || die "control socket $FWD_SOCKET still there after stop"
ok "control socket removed"

# ---- cleanup after a crash --------------------------------------------------------------------------
step "fwd killed (SIGKILL): its programs and pins stay; fwd --cleanup removes them"
start_fwd "$WORK/policy.conf"
stop_fwd KILL
assert_eq "tcfw programs on wan0 ingress after SIGKILL" 1 "$(tcfw_filters wan0 ingress)"
[ -e "$FWD_PIN_DIR/ct" ] || die "no pins in $FWD_PIN_DIR after SIGKILL (expected them to stay)"
ok "pins still in $FWD_PIN_DIR"
run_expect "fwd --cleanup" 0 nsenter --net="/run/netns/$NS_GW" -- timeout 30 "$FWD" --cleanup \
	--pin-dir "$FWD_PIN_DIR" --socket "$FWD_SOCKET" -c "$WORK/policy.conf" -v
printf '%s\n' "$RUN_ERR" >"$WORK/fwd-cleanup.log"
cleanup_said=$RUN_ERR
topo_sanitizer_report "$WORK/fwd-cleanup.log" && die "sanitizer report from fwd --cleanup (above)"
for dev in lan0 wan0 lan1; do
	for hook in ingress egress; do
		assert_eq "tcfw programs on $dev $hook after --cleanup" 0 "$(tcfw_filters "$dev" "$hook")"
	done
done
has_clsact lan0 || die "fwd --cleanup removed the clsact qdisc on lan0 that was there before fwd"
filters=$(in_gw tc filter show dev lan0 ingress)
grep -q "pref 65000 u32" <<<"$filters" ||
	die "fwd --cleanup removed the u32 filter on lan0 that was there before fwd; lan0 ingress now: '$filters'; fwd --cleanup said: $cleanup_said"
ok "lan0 keeps its clsact qdisc and the other filter"
has_clsact wan0 && die "wan0 still has the clsact qdisc fwd created, after --cleanup"
ok "wan0's clsact qdisc removed"
[ ! -e "$FWD_PIN_DIR" ] || die "pin directory still there after --cleanup: $(find "$FWD_PIN_DIR" -mindepth 1 -maxdepth 1 -printf '%f ')"
ok "pins removed"
[ ! -e "$FWD_SOCKET" ] || die "stale control socket $FWD_SOCKET still there after --cleanup"
ok "stale control socket removed"

# ---- two instances side by side -----------------------------------------------------------------
step "a second gateway topology, and one fwd in each gateway"
B_CLIENT="$TOPO_PREFIX-b-client"
B_GW="$TOPO_PREFIX-b-gw"
B_SERVER="$TOPO_PREFIX-b-server"
topo_create "$B_CLIENT" "$B_GW" "$B_SERVER"
write_accept_policy "$WORK/policy-a.conf" lan0 wan0
start_fwd "$WORK/policy-a.conf"
fwd_save a
FWD_NS=$B_GW
FWD_PIN_DIR=/sys/fs/bpf/tcfw-e2e-lifecycle-$$-b
FWD_SOCKET=/run/tcfw/e2e-lifecycle-$$-b.sock
start_fwd "$WORK/policy-a.conf"
fwd_save b
ok "fwd a (pid $(fwd_use a && echo "$FWD_PID")) and fwd b (pid $(fwd_use b && echo "$FWD_PID")) both answer"

step "ping through gateway a, UDP through gateway b"
start_udp_echo "$B_SERVER" "$WAN4_SERVER" 5353
in_client ping -n -q -c 3 -i 0.2 -W 2 "$WAN4_SERVER" >/dev/null || die "ping through gateway a failed"
udp_exchange "$B_CLIENT" "$WAN4_SERVER" 5353 2 64 --sport 42000

fwd_use a
assert_eq "gateway a: ICMP connections" 1 "$(ct_count_json proto icmp dst "$WAN4_SERVER")"
assert_eq "gateway a: UDP connections" 0 "$(ct_count_json proto udp)"
fwd_use b
assert_eq "gateway b: ICMP connections" 0 "$(ct_count_json proto icmp)"
assert_eq "gateway b: UDP connections" 1 "$(ct_count_json proto udp sport 42000)"

step "stopping b leaves a running and tracking"
stop_fwd TERM
[ ! -e "$FWD_PIN_DIR" ] || die "fwd b's pin directory still there after stop"
ok "fwd b's pins removed"
fwd_use a
in_client ping -n -q -c 1 -W 2 "$WAN6_SERVER" >/dev/null || die "ping6 through gateway a failed"
assert_eq "gateway a: ICMPv6 connections after b stopped" 1 "$(ct_count_json proto icmpv6 dst "$WAN6_SERVER")"
stop_fwd TERM
[ ! -e "$FWD_PIN_DIR" ] || die "fwd a's pin directory still there after stop"
ok "fwd a's pins removed"
echo "PASS test_lifecycle"

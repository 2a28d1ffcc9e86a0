#!/usr/bin/env bash
# test_single_owner.sh - one datapath, one fwd, and a gateway that never runs unfiltered:
#   - a second fwd on the same interfaces (its own pin dir and socket) is refused, naming the
#     running one, and its exit leaves the first one's filters in place
#   - a second fwd on the same pin dir (another socket) is refused the same way
#   - a filter deleted by hand (`tc filter del`) or the whole clsact qdisc removed is noticed
#     and attached again within seconds, counted in `fwctl status`; on tcx (the default where
#     the kernel has it; FWD_ATTACH=tc for cls_bpf), a link detached by hand the same way
#   - once running, fwd holds only the capabilities it still uses
#   - all along, a heartbeat connection through the gateway goes on, and a WAN host still
#     cannot reach a LAN port that the policy closes
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
e2e_init single_owner
topo_create

HB_PORT=7000
CLOSED_PORT=8080
cat >"$WORK/policy.conf" <<EOF
# $E2E_NAME: the LAN goes out, nothing comes in
zone lan { lan0 }
zone wan { wan0 }
defaults {
    input   drop
    forward drop
    output  accept
    invalid drop
}
forward accept in lan out wan
EOF

step "servers: heartbeat echo on the server, a listener on the client behind the gateway"
bg_in_ns "$NS_SERVER" "$PYTHON" "$E2E_DIR/heartbeat.py" serve "$WAN4_SERVER" "$HB_PORT"
wait_for 5 "heartbeat server" tcp_listening "$NS_SERVER" "$WAN4_SERVER" "$HB_PORT"
start_tcp_listener "$NS_CLIENT" "$LAN4_CLIENT" "$CLOSED_PORT"

step "fwd on the gateway; a heartbeat connection through it for the whole test"
start_fwd "$WORK/policy.conf"
FIRST_PID=$FWD_PID
bg_in_ns "$NS_CLIENT" "$PYTHON" "$E2E_DIR/heartbeat.py" client "$WAN4_SERVER" "$HB_PORT" 20 \
	>"$WORK/heartbeat.json"
HB_PID=$BG_PID
assert_probe "WAN to the closed LAN port, first fwd running" timeout "$NS_SERVER" "$LAN4_CLIENT" "$CLOSED_PORT"
# Started as root, fwd keeps only what it runs on: CAP_NET_ADMIN (12), CAP_SYS_ADMIN (21),
# CAP_PERFMON (38), CAP_BPF (39); the bounding set too, so nothing comes back.
assert_eq "fwd's effective capabilities once running" 000000c000201000 \
	"$(awk '/^CapEff:/ { print $2 }' "/proc/$FIRST_PID/status")"
assert_eq "fwd's bounding set once running" 000000c000201000 \
	"$(awk '/^CapBnd:/ { print $2 }' "/proc/$FIRST_PID/status")"

filters_on() { # DEV: tcfw programs on ingress + egress
	echo $(($(tcfw_filters "$1" ingress) + $(tcfw_filters "$1" egress)))
}
attached_count() { fwctl -j status | jq '[.interfaces[] | select(.attached)] | length'; }
ingress_back() { [ "$(tcfw_filters "$1" ingress)" = 1 ]; }
# Both hooks: two detaches by hand are not one event, and fwd may repair the first before the
# second happens, so waiting for ingress alone can stop between its two repairs.
both_back() { [ "$(filters_on "$1")" = 2 ]; }

second_fwd() { # PIN-DIR SOCKET: run a second fwd in the gateway until it gives up
	timeout 60 nsenter --net="/run/netns/$NS_GW" -- "$FWD" -c "$WORK/policy.conf" \
		--pin-dir "$1" --socket "$2"
}

step "a second fwd with its own pin dir and socket is refused"
TOPO_PINS+=("$FWD_PIN_DIR-other")
TOPO_SOCKETS+=("$FWD_SOCKET-other" "$FWD_SOCKET-again")
run_expect "second fwd on the same interfaces" 1 second_fwd "$FWD_PIN_DIR-other" "$FWD_SOCKET-other"
printf '  its words: %s\n' "$(grep -m1 'already filtered' <<<"$RUN_ERR")"
assert_match "the refusal names the running fwd's pid" "fwd pid $FIRST_PID" "$RUN_ERR"
assert_match "the refusal names the running fwd's socket" "control socket $FWD_SOCKET" "$RUN_ERR"
assert_eq "tcfw programs on lan0 after the refused fwd exited" 2 "$(filters_on lan0)"
assert_eq "tcfw programs on wan0 after the refused fwd exited" 2 "$(filters_on wan0)"
assert_eq "interfaces the first fwd reports attached" 2 "$(attached_count)"
assert_probe "WAN to the closed LAN port after the refused fwd" timeout "$NS_SERVER" "$LAN4_CLIENT" "$CLOSED_PORT"

step "a second fwd on the same pin dir with another socket is refused"
run_expect "second fwd on the same pin dir" 1 second_fwd "$FWD_PIN_DIR" "$FWD_SOCKET-again"
printf '  its words: %s\n' "$(grep -m1 'in use by' <<<"$RUN_ERR")"
assert_match "the refusal names the running fwd" "in use by fwd pid $FIRST_PID \\(control socket $FWD_SOCKET" "$RUN_ERR"
[ -e "$FWD_PIN_DIR/ct" ] || die "the first fwd's pins are gone after the refused fwd exited"
ok "the first fwd's pins are still there"
assert_eq "the first fwd still answers, same pid" "$FIRST_PID" "$(fwctl -j status | jq .pid)"

MODE=$(fwctl -j status | jq -r '.interfaces[] | select(.name == "lan0") | .attach')
assert_one_of "how lan0 is attached" "$MODE" tcx tc
link_id() { # DEV HOOK: the id of fwd's tcx link there, from fwctl status
	fwctl -j status | jq -r --arg d "$1" --arg h "$2" '.interfaces[] | select(.name == $d) | .tcx_links[$h]'
}

if [ "$MODE" = tcx ]; then
	step "tcfw's ingress tcx link on lan0 detached by hand comes back"
	tcx_helper detach "$(link_id lan0 ingress)"
	warning="lan0: tcfw's ingress tcx link was detached"
else
	step "tcfw's ingress filter on lan0 deleted by hand comes back"
	in_gw tc filter del dev lan0 ingress
	warning="lan0: tcfw's ingress filter was removed or replaced"
fi
wait_for 5 "the ingress program on lan0 to be attached again" ingress_back lan0
assert_eq "tcfw programs on lan0" 2 "$(filters_on lan0)"
grep -q "$warning" "$FWD_LOG" || die "no warning about lan0 in fwd's log"
ok "fwd warned: $(grep -m1 "lan0: tcfw's" "$FWD_LOG")"

if [ "$MODE" = tcx ]; then
	step "both tcx links of wan0 detached by hand come back"
	tcx_helper detach "$(link_id wan0 ingress)"
	tcx_helper detach "$(link_id wan0 egress)"
else
	step "the clsact qdisc of wan0 removed by hand comes back with both filters"
	in_gw tc qdisc del dev wan0 clsact
fi
wait_for 5 "both programs on wan0 to be attached again" both_back wan0
assert_eq "tcfw programs on wan0" 2 "$(filters_on wan0)"
status=$(fwctl -j status)
assert_eq "interfaces attached" 2 "$(jq '[.interfaces[] | select(.attached)] | length' <<<"$status")"
assert_ge "re-attachments counted" 2 "$(jq .reattached <<<"$status")"
assert_eq "lan0's re-attachments" 1 "$(jq '.interfaces[] | select(.name == "lan0") | .reattached' <<<"$status")"
assert_probe "WAN to the closed LAN port after the repairs" timeout "$NS_SERVER" "$LAN4_CLIENT" "$CLOSED_PORT"

step "the heartbeat connection went on all along"
rc=0
wait "$HB_PID" || rc=$?
printf '  heartbeat: %s\n' "$(cat "$WORK/heartbeat.json")"
assert_eq "heartbeat client status" 0 "$rc"
assert_eq "heartbeat lines lost" 0 "$(jq '.sent - .echoed' "$WORK/heartbeat.json")"

stop_fwd TERM
for dev in lan0 wan0; do
	assert_eq "tcfw programs on $dev after the stop" 0 "$(filters_on "$dev")"
done
echo "PASS test_single_owner"

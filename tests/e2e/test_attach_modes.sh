#!/usr/bin/env bash
# test_attach_modes.sh - tcx links and cls_bpf filters, and how fwd moves between them:
#   - by default (auto) a kernel with tcx gets tcx links, shown in `fwctl status`, pinned per
#     interface under <pin dir>/links, and no cls_bpf filter next to them
#   - a restart updates the links in place (same link id, new program id) while an iperf3
#     transfer runs through the gateway without an empty second
#   - --keep leaves the links pinned and attached (fwctl, with fwd gone, finds the datapath
#     through them); a stop without it removes them
#   - a link detached by hand is attached again and counted
#   - a fwd under ip netns exec, which cannot see the pins, updates the links in place too
#   - --attach tc uses cls_bpf; a running cls_bpf datapath taken over by a fwd that could use
#     tcx stays cls_bpf, its filters replaced in place (never a filter and a link at once)
#   - --attach tcx is refused where the pins end with fwd (ip netns exec): a link without its
#     pin would be detached at exit, leaving the interfaces unfiltered
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
e2e_init attach_modes
topo_create
command -v iperf3 >/dev/null || die "iperf3 is missing (scripts/install-deps.sh installs it)"
[ -z "$FWD_ATTACH" ] || die "test_attach_modes chooses the modes itself: run it without FWD_ATTACH"

DURATION=6   # seconds of iperf3 transfer
RESTART_AT=2 # seconds into the transfer when fwd is restarted
RATE=200M    # bounded: the two cores keep room for fwd's (sanitizer) start
IPERF_PORT=5201
write_accept_policy "$WORK/policy.conf" lan0 wan0

status_if() { # DEV JQ-PATH: a field of DEV's entry in `fwctl -j status`
	fwctl -j status | jq -r --arg d "$1" ".interfaces[] | select(.name == \$d) | $2"
}
link_pin() { echo "$FWD_PIN_DIR/links/$(status_if "$1" .ifindex)-$2"; } # DEV HOOK
link_json() { "$PYTHON" "$E2E_DIR/tcx.py" link "$1"; } # PIN: read in the host mount namespace, where the pins are
cls_prog_id() { # DEV HOOK: the program id of tcfw's cls_bpf filter there
	in_gw tc filter show dev "$1" "$2" | sed -nE 's/.* id ([0-9]+) name tcfw_.*/\1/p'
}
kinds_on() { # DEV: "<cls_bpf filters>/<tcx links>" of tcfw on both hooks
	echo "$(($(tcfw_cls_filters "$1" ingress) + $(tcfw_cls_filters "$1" egress)))/$(($(tcfw_tcx_links "$1" ingress) + $(tcfw_tcx_links "$1" egress)))"
}

step "default mode: tcx links, shown in status, pinned per interface"
start_fwd "$WORK/policy.conf" --keep
status=$(fwctl -j status)
assert_eq "attach mode asked" auto "$(jq -r .attach.mode <<<"$status")"
assert_eq "kind for new interfaces" tcx "$(jq -r .attach.new_interfaces <<<"$status")"
for dev in lan0 wan0; do
	assert_eq "$dev attached with" tcx "$(status_if "$dev" .attach)"
	assert_eq "$dev: cls_bpf filters/tcx links" 0/2 "$(kinds_on "$dev")"
done
fwctl status | grep -q 'attach.*tcx' || die "text status does not show the attach kind"
ok "text status shows it: $(fwctl status | grep -m1 -E '^\s*attach\b' || true)"
PIN=$(link_pin lan0 ingress)
[ -e "$PIN" ] || die "no link pinned at $PIN"
LINK_BEFORE=$(link_json "$PIN")
printf '  lan0 ingress link: %s\n' "$LINK_BEFORE"
assert_eq "pinned link's id = status's" "$(status_if lan0 .tcx_links.ingress)" "$(jq .id <<<"$LINK_BEFORE")"
assert_eq "pinned link's program = status's" "$(fwctl -j status | jq .attach.prog_ingress)" "$(jq .prog_id <<<"$LINK_BEFORE")"
WAN_PIN=$(link_pin wan0 egress)
WAN_BEFORE=$(link_json "$WAN_PIN")

step "restart (--keep) during an iperf3 transfer: links updated in place"
bg_in_ns "$NS_SERVER" iperf3 -s -1 -B "$WAN4_SERVER" -p "$IPERF_PORT" >"$WORK/iperf-server.log" 2>&1
wait_for 5 "iperf3 server listening" tcp_listening "$NS_SERVER" "$WAN4_SERVER" "$IPERF_PORT"
bg_in_ns "$NS_CLIENT" iperf3 -c "$WAN4_SERVER" -p "$IPERF_PORT" -t "$DURATION" -i 1 -b "$RATE" \
	-J --connect-timeout 3000 >"$WORK/iperf.json" 2>"$WORK/iperf.err"
IPERF_PID=$BG_PID
sleep "$RESTART_AT"
stop_fwd TERM
assert_eq "lan0 with fwd stopped (--keep): cls_bpf filters/tcx links" 0/2 "$(kinds_on lan0)"
start_fwd "$WORK/policy.conf" --keep
LINK_AFTER=$(link_json "$PIN")
printf '  lan0 ingress link after: %s\n' "$LINK_AFTER"
assert_eq "lan0 ingress link id after the restart (in place)" "$(jq .id <<<"$LINK_BEFORE")" "$(jq .id <<<"$LINK_AFTER")"
assert_ne "lan0 ingress link's program after the restart" "$(jq .prog_id <<<"$LINK_BEFORE")" "$(jq .prog_id <<<"$LINK_AFTER")"
assert_eq "... the new fwd's program" "$(fwctl -j status | jq .attach.prog_ingress)" "$(jq .prog_id <<<"$LINK_AFTER")"
assert_eq "wan0 egress link id after the restart" "$(jq .id <<<"$WAN_BEFORE")" "$(jq .id <<<"$(link_json "$WAN_PIN")")"
for dev in lan0 wan0; do
	assert_eq "$dev after the restart: cls_bpf filters/tcx links" 0/2 "$(kinds_on "$dev")"
	# The takeover itself must have put the programs in, not the watch repairing afterwards.
	assert_eq "$dev re-attachments after the restart" 0 "$(status_if "$dev" .reattached)"
done
rc=0
wait "$IPERF_PID" || rc=$?
[ $rc -eq 0 ] || die "iperf3 client exited with status $rc: $(cat "$WORK/iperf.err")"
printf '  Mbit/s per interval: %s\n' "$(jq -r '[.intervals[].sum | (.bytes * 8 / .seconds / 1e6 | floor)] | map(tostring) | join(" ")' "$WORK/iperf.json")"
assert_eq "iperf3 intervals without any data" 0 "$(jq '[.intervals[].sum | select(.bytes == 0)] | length' "$WORK/iperf.json")"
assert_ge "iperf3 intervals reported" "$DURATION" "$(jq '.intervals | length' "$WORK/iperf.json")"

step "a link detached by hand is attached again and counted"
OLD_ID=$(status_if lan0 .tcx_links.egress)
tcx_helper detach "$OLD_ID"
lan0_egress_back() { [ "$(tcfw_tcx_links lan0 egress)" = 1 ]; }
wait_for 5 "lan0's egress link to be attached again" lan0_egress_back
assert_ne "lan0 egress link id (a new link)" "$OLD_ID" "$(status_if lan0 .tcx_links.egress)"
assert_eq "lan0 re-attachments" 1 "$(status_if lan0 .reattached)"
assert_eq "lan0: cls_bpf filters/tcx links" 0/2 "$(kinds_on lan0)"

step "--keep: the links stay pinned and attached after the stop"
stop_fwd TERM
for dev in lan0 wan0; do
	assert_eq "$dev after a --keep stop: cls_bpf filters/tcx links" 0/2 "$(kinds_on "$dev")"
done
[ -e "$PIN" ] || die "the link pin $PIN is gone after a --keep stop"
ok "links still pinned in $FWD_PIN_DIR/links"
run_expect "fwctl ct count with fwd gone (found through the tcx links)" 0 fwctl -j ct count
assert_match "fwctl says where it read the datapath" "reading the datapath attached to (lan0|wan0) directly" "$RUN_ERR"

step "a fwd under ip netns exec (the pins out of its sight) takes the links over in place"
LINK_BEFORE=$(link_json "$PIN")
FWD_ENTER=ipnetns
start_fwd "$WORK/policy.conf" --keep
FWD_ENTER=nsenter
assert_eq "lan0 attached with" tcx "$(status_if lan0 .attach)"
assert_eq "lan0 ingress link id (found by walking the kernel's links)" "$(jq .id <<<"$LINK_BEFORE")" "$(status_if lan0 .tcx_links.ingress)"
assert_eq "the pinned link runs the new fwd's program" "$(fwctl -j status | jq .attach.prog_ingress)" "$(jq .prog_id <<<"$(link_json "$PIN")")"
for dev in lan0 wan0; do
	assert_eq "$dev: cls_bpf filters/tcx links (no filter added next to the links)" 0/2 "$(kinds_on "$dev")"
done
stop_fwd TERM

step "a stop without --keep detaches and unpins the links"
start_fwd "$WORK/policy.conf"
stop_fwd TERM
for dev in lan0 wan0; do
	assert_eq "$dev after a full stop: cls_bpf filters/tcx links" 0/0 "$(kinds_on "$dev")"
done
[ ! -e "$FWD_PIN_DIR/links" ] || die "$FWD_PIN_DIR/links is still there after a full stop"
ok "no links pinned"

step "--attach tc: cls_bpf filters"
start_fwd "$WORK/policy.conf" --keep --attach tc
assert_eq "kind for new interfaces" tc "$(fwctl -j status | jq -r .attach.new_interfaces)"
for dev in lan0 wan0; do
	assert_eq "$dev attached with" tc "$(status_if "$dev" .attach)"
	assert_eq "$dev: cls_bpf filters/tcx links" 2/0 "$(kinds_on "$dev")"
done
CLS_BEFORE=$(cls_prog_id lan0 ingress)
assert_match "lan0 ingress cls_bpf program id" "^[0-9]+$" "$CLS_BEFORE"
stop_fwd TERM

step "a cls_bpf datapath taken over by a tcx-capable fwd stays cls_bpf, replaced in place"
start_fwd "$WORK/policy.conf"
assert_eq "kind for new interfaces" tcx "$(fwctl -j status | jq -r .attach.new_interfaces)"
for dev in lan0 wan0; do
	assert_eq "$dev attached with" tc "$(status_if "$dev" .attach)"
	assert_eq "$dev: cls_bpf filters/tcx links" 2/0 "$(kinds_on "$dev")"
done
assert_ne "lan0's cls_bpf program after the takeover" "$CLS_BEFORE" "$(cls_prog_id lan0 ingress)"
assert_eq "... the new fwd's program" "$(fwctl -j status | jq .attach.prog_ingress)" "$(cls_prog_id lan0 ingress)"
stop_fwd TERM
for dev in lan0 wan0; do
	assert_eq "$dev after the stop: cls_bpf filters/tcx links" 0/0 "$(kinds_on "$dev")"
done

step "--attach tcx is refused where the pins end with fwd (ip netns exec)"
run_expect "fwd --attach tcx under ip netns exec" 1 timeout 60 ip netns exec "$NS_GW" "$FWD" \
	-c "$WORK/policy.conf" --pin-dir "$FWD_PIN_DIR" --socket "$FWD_SOCKET" --attach tcx
assert_match "the refusal says why" "a killed fwd would leave its interfaces unfiltered" "$RUN_ERR"
assert_eq "lan0 after the refusal: cls_bpf filters/tcx links" 0/0 "$(kinds_on lan0)"
echo "PASS test_attach_modes"

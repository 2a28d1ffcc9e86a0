#!/usr/bin/env bash
# test_restart_keep.sh - fwd restarts without disturbing traffic. An iperf3 transfer runs
# through the gateway; in the middle fwd is stopped (SIGTERM with --keep, then in a second round
# SIGKILL) and a new fwd takes over the same pin directory. The transfer must go on without a
# stall (every 1 s interval moves data, iperf3 exits 0), and the connection's entry must still
# be there afterwards with larger counters than before the restart.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
e2e_init restart_keep
topo_create
command -v iperf3 >/dev/null || die "iperf3 is missing (scripts/install-deps.sh installs it)"

DURATION=8    # seconds of iperf3 transfer per round
RESTART_AT=3  # seconds into the transfer when fwd is stopped
RATE=300M     # bounded, so the two cores keep room for fwd's (sanitizer) start
IPERF_PORT=5201

write_accept_policy "$WORK/policy.conf" lan0 wan0

# The running iperf3 data connection: the established client -> server:5201 entry with the
# most bytes (the other one is iperf3's control connection; earlier rounds' are closed).
data_conn() {
	local json
	json=$(ct_json proto tcp dport "$IPERF_PORT" state established)
	[ "$(jq length <<<"$json")" -ge 1 ] || die "no iperf3 connection in the table: $json"
	jq -c 'max_by(.counters.orig.bytes)' <<<"$json"
}

filters_attached() { # DEV: tcfw's program on both hooks of DEV in the gateway
	[ "$(tcfw_filters "$1" ingress)" = 1 ] && [ "$(tcfw_filters "$1" egress)" = 1 ]
}

# round NAME SIGNAL: one transfer with a restart in the middle.
round() {
	local name=$1 sig=$2 before after key rc=0
	step "$name: iperf3 for ${DURATION}s at $RATE, client -> server"
	bg_in_ns "$NS_SERVER" iperf3 -s -1 -B "$WAN4_SERVER" -p "$IPERF_PORT" >"$WORK/iperf-server-$name.log" 2>&1
	wait_for 5 "iperf3 server listening" tcp_listening "$NS_SERVER" "$WAN4_SERVER" "$IPERF_PORT"
	bg_in_ns "$NS_CLIENT" iperf3 -c "$WAN4_SERVER" -p "$IPERF_PORT" -t "$DURATION" -i 1 -b "$RATE" \
		-J --connect-timeout 3000 >"$WORK/iperf-$name.json" 2>"$WORK/iperf-$name.err"
	local iperf_pid=$BG_PID
	sleep "$RESTART_AT"
	before=$(data_conn)
	key=$(jq -c '{src: .orig.src, sport: .orig.sport}' <<<"$before")
	printf '  data connection before the restart: %s\n' "$(jq -c '{orig, counters}' <<<"$before")"

	step "$name: stop fwd with SIG$sig while the transfer runs"
	stop_fwd "$sig"
	assert_eq "$name: lan0 still has the datapath attached" yes "$(filters_attached lan0 && echo yes || echo no)"
	assert_eq "$name: wan0 still has the datapath attached" yes "$(filters_attached wan0 && echo yes || echo no)"
	[ -e "$FWD_PIN_DIR/$TCFW_MAP_CT" ] || die "$name: the ct map pin $FWD_PIN_DIR/$TCFW_MAP_CT is gone after SIG$sig"
	ok "$name: ct map still pinned at $FWD_PIN_DIR/$TCFW_MAP_CT"
	assert_ge "$name: iperf3 connections fwctl --pin-dir reads with fwd gone" 1 \
		"$(fwctl --pin-dir "$FWD_PIN_DIR" -j ct count proto tcp dport "$IPERF_PORT" | jq .count)"

	step "$name: a new fwd takes over the same pin directory"
	start_fwd "$WORK/policy.conf" --keep
	ok "$name: new fwd (pid $FWD_PID) answers"
	assert_eq "$name: one tcfw program per hook on lan0 and wan0 after the takeover" yes \
		"$(filters_attached lan0 && filters_attached wan0 && echo yes || echo no)"

	step "$name: the transfer finishes without a stall"
	wait "$iperf_pid" || rc=$?
	[ $rc -eq 0 ] || die "$name: iperf3 client exited with status $rc: $(cat "$WORK/iperf-$name.err") $(jq -r '.error // empty' "$WORK/iperf-$name.json" 2>/dev/null)"
	ok "$name: iperf3 exited 0"
	local intervals zero
	intervals=$(jq -r '[.intervals[].sum | (.bytes * 8 / .seconds / 1e6 | floor)] | map(tostring) | join(" ")' \
		"$WORK/iperf-$name.json")
	printf '  Mbit/s per interval: %s\n' "$intervals"
	zero=$(jq '[.intervals[].sum | select(.bytes == 0)] | length' "$WORK/iperf-$name.json")
	assert_eq "$name: intervals without any data (stalls)" 0 "$zero"
	assert_ge "$name: intervals reported" "$DURATION" \
		"$(jq '.intervals | length' "$WORK/iperf-$name.json")"

	step "$name: the connection's entry survived, and its counters went on"
	after=$(ct_pick ".orig.src == $(jq .src <<<"$key") and .orig.sport == $(jq .sport <<<"$key")" \
		proto tcp dport "$IPERF_PORT")
	printf '  data connection after: %s\n' "$(jq -c '{state, counters}' <<<"$after")"
	assert_gt "$name: packets client -> server, after vs before" \
		"$(field "$before" .counters.orig.packets)" "$(field "$after" .counters.orig.packets)"
	assert_gt "$name: bytes client -> server, after vs before" \
		"$(field "$before" .counters.orig.bytes)" "$(field "$after" .counters.orig.bytes)"
	assert_gt "$name: packets server -> client, after vs before" \
		"$(field "$before" .counters.reply.packets)" "$(field "$after" .counters.reply.packets)"
	local sent
	sent=$(jq '.end.sum_sent.bytes' "$WORK/iperf-$name.json")
	assert_ge "$name: bytes client -> server counted >= iperf3's payload" "$sent" \
		"$(field "$after" .counters.orig.bytes)"
}

TCFW_MAP_CT=ct

step "fwd on the gateway, with --keep"
start_fwd "$WORK/policy.conf" --keep

round sigterm-keep TERM
round sigkill KILL

step "a final stop without --keep detaches and unpins"
# The running fwd was started with --keep: stop it, then run one without --keep and stop it.
stop_fwd TERM
start_fwd "$WORK/policy.conf"
stop_fwd TERM
for dev in lan0 wan0; do
	for hook in ingress egress; do
		assert_eq "tcfw programs on $dev $hook after the final stop" 0 "$(tcfw_filters "$dev" "$hook")"
	done
done
[ ! -e "$FWD_PIN_DIR/$TCFW_MAP_CT" ] || die "ct map still pinned at $FWD_PIN_DIR after a stop without --keep"
ok "pins removed"
echo "PASS test_restart_keep"

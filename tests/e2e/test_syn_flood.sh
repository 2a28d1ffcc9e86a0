#!/usr/bin/env bash
# test_syn_flood.sh - a SYN flood fills the connection table; established connections live on.
#
# fwd runs with a small table (--ct-max 1024, as in the fault report, where the old LRU table
# evicted a running iperf3 transfer's entry and it stalled). hping3 floods from the WAN (bounded: a few
# seconds, from a spoofed address of the server's own subnet that nobody answers for, so the
# entries stay half open: SYN_RECV, as in a real flood) first at a port forwarded to a LAN
# host, then at a port of the gateway itself, while an iperf3 transfer runs and an idle
# heartbeat connection waits. The table never evicts: new connections are refused while it is
# full (ct_insert_failed) and fwd drops the unassured ones early (ct_early_drop), so the
# transfer goes on in every second, the idle connection answers afterwards, and fwd answers
# `fwctl status` within a second throughout. The figures are printed for the README.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
e2e_init syn_flood
topo_create
command -v hping3 >/dev/null || die "hping3 is missing (scripts/install-deps.sh installs it)"
command -v iperf3 >/dev/null || die "iperf3 is missing (scripts/install-deps.sh installs it)"

CT_MAX=${CT_MAX:-1024}
FLOOD_S=4
FWD_PORT=8000 # open from the WAN to the client: the "forwarded" service
GW_PORT=2222  # open on the gateway itself
HB_PORT=7000
IPERF_PORT=5201
SPOOF4=203.0.113.99 # in the server's subnet, owned by nobody: SYN-ACKs go unanswered
cat >"$WORK/policy.conf" <<EOF
# $E2E_NAME
zone lan { lan0 }
zone wan { wan0 }
defaults {
    input   drop
    forward drop
    output  accept
    invalid drop
}
input   accept in wan proto tcp dport $GW_PORT
forward accept in lan out wan
forward accept in wan proto tcp dport $FWD_PORT
EOF

step "services: listeners at the flooded ports, heartbeat echo and iperf3 on the server"
start_tcp_listener "$NS_CLIENT" "$LAN4_CLIENT" "$FWD_PORT"
start_tcp_listener "$NS_GW" "$WAN4_GW" "$GW_PORT"
bg_in_ns "$NS_SERVER" "$PYTHON" "$E2E_DIR/heartbeat.py" serve "$WAN4_SERVER" "$HB_PORT"
wait_for 5 "heartbeat server" tcp_listening "$NS_SERVER" "$WAN4_SERVER" "$HB_PORT"
bg_in_ns "$NS_SERVER" iperf3 -s -1 -B "$WAN4_SERVER" -p "$IPERF_PORT" >"$WORK/iperf-server.log" 2>&1
wait_for 5 "iperf3 server" tcp_listening "$NS_SERVER" "$WAN4_SERVER" "$IPERF_PORT"

step "fwd with a table of $CT_MAX connections"
start_fwd "$WORK/policy.conf" --ct-max "$CT_MAX"

DURATION=$((2 * FLOOD_S + 8))
step "an idle heartbeat connection and a ${DURATION}s iperf3 transfer, client -> server"
bg_in_ns "$NS_CLIENT" "$PYTHON" "$E2E_DIR/heartbeat.py" client "$WAN4_SERVER" "$HB_PORT" \
	$((DURATION + 2)) --every 0.5 --idle-at 1 --idle-for "$DURATION" >"$WORK/heartbeat.json"
HB_PID=$BG_PID
bg_in_ns "$NS_CLIENT" timeout $((DURATION + 15)) iperf3 -c "$WAN4_SERVER" -p "$IPERF_PORT" -t "$DURATION" -i 1 -b 100M -J \
	--connect-timeout 3000 >"$WORK/iperf.json" 2>"$WORK/iperf.err"
IPERF_PID=$BG_PID
sleep 2

# status_times FILE: fwctl status every 0.3 s while the floods run, one latency (s) per line
status_times() {
	local t0 t1
	while [ -e "$WORK/flooding" ]; do
		t0=$(date +%s.%N)
		fwctl status >/dev/null || echo "fwctl status failed" >&2
		t1=$(date +%s.%N)
		echo "$t1 - $t0" | bc -l >>"$1"
		sleep 0.3
	done
}
touch "$WORK/flooding"
status_times "$WORK/status-times" &
STATUS_PID=$!
TOPO_PIDS+=("$STATUS_PID")

flood() { # WHAT DEST PORT
	local what=$1
	step "SYN flood for ${FLOOD_S}s at $what ($2:$3)"
	in_server timeout "$FLOOD_S" hping3 --flood -S -a "$SPOOF4" -p "$3" "$2" >"$WORK/hping-$what.log" 2>&1 || true
	local sent
	sent=$(grep -Eo '^[0-9]+ packets transmitted' "$WORK/hping-$what.log" | grep -Eo '^[0-9]+' || echo "?")
	printf '  hping3: %s SYNs in %ss (%s/s)\n' "$sent" "$FLOOD_S" \
		"$([ "$sent" != "?" ] && echo $((sent / FLOOD_S)) || echo "?")"
	local st
	st=$(fwctl -j status)
	printf '  table: %s of %s entries; early dropped so far %s; expiry passes %s (last %s ms)\n' \
		"$(jq .ct.entries <<<"$st")" "$(jq .ct.max_entries <<<"$st")" \
		"$(jq .expiry.early_dropped <<<"$st")" "$(jq .expiry.runs <<<"$st")" \
		"$(jq .expiry.last_pass_ms <<<"$st")"
}
flood "a forwarded LAN port" "$LAN4_CLIENT" "$FWD_PORT"
flood "the gateway's own port" "$WAN4_GW" "$GW_PORT"
rm -f "$WORK/flooding"
wait "$STATUS_PID" || true

step "fwd answered fwctl status within a second all along"
n=$(wc -l <"$WORK/status-times")
worst=$(sort -g "$WORK/status-times" | tail -1)
printf '  %s status calls during the floods, slowest %.3f s\n' "$n" "$worst"
assert_ge "status calls made" 5 "$n"
assert_eq "status calls slower than 1 s" 0 "$(awk '$1 >= 1 { n++ } END { print n + 0 }' "$WORK/status-times")"

step "the transfer went on in every second"
rc=0
wait "$IPERF_PID" || rc=$?
[ $rc -eq 0 ] || die "iperf3 exited with status $rc: $(cat "$WORK/iperf.err")"
printf '  Mbit/s per interval: %s\n' "$(jq -r '[.intervals[].sum | (.bytes * 8 / .seconds / 1e6 | floor)] | map(tostring) | join(" ")' "$WORK/iperf.json")"
assert_eq "intervals without any data" 0 "$(jq '[.intervals[].sum | select(.bytes == 0)] | length' "$WORK/iperf.json")"

step "the idle connection answers after the floods"
rc=0
wait "$HB_PID" || rc=$?
printf '  heartbeat: %s\n' "$(cat "$WORK/heartbeat.json")"
assert_eq "heartbeat client status" 0 "$rc"

step "what the table did"
stats=$(fwctl -j stats)
printf '  ct_new %s, ct_insert_failed %s, ct_early_drop %s, evictions_suspected %s\n' \
	"$(jq .ct_new <<<"$stats")" "$(jq .ct_insert_failed <<<"$stats")" \
	"$(jq .ct_early_drop <<<"$stats")" "$(jq .evictions_suspected <<<"$stats")"
assert_gt "connections dropped early (ct_early_drop)" 0 "$(jq .ct_early_drop <<<"$stats")"
assert_gt "new connections refused by the full table (ct_insert_failed)" 0 "$(jq .ct_insert_failed <<<"$stats")"
grep -q "connection table nearly full" "$FWD_LOG" || die "fwd did not warn about the full table"
ok "fwd warned: $(grep -m1 -o 'connection table nearly full.*kept)' "$FWD_LOG")"

step "the table recovers: new connections are accepted again"
assert_probe "a new connection to the forwarded port" connected "$NS_SERVER" "$LAN4_CLIENT" "$FWD_PORT"
stop_fwd TERM
echo "PASS test_syn_flood"

#!/usr/bin/env bash
# test_tcp_blind_rst.sh - a blind RST or a far-off segment must not affect a tracked TCP
# connection. A client holds an idle connection to the server through the gateway; from the
# WAN (the server's side) come an RST with the connection's 4-tuple and seq 3000000000, and
# data a gigabyte ahead of the server's next sequence number. Both are INVALID and dropped
# (ct_invalid and verdict_drop move by exactly that much), the entry stays ESTABLISHED, and
# after more than 15 s idle (with `tcp close 5s`, an entry the RST had moved to CLOSE would be
# gone by then) the connection still works both ways. Then an iperf3 transfer through the
# gateway, while the forgeries keep coming, is unharmed and none of its real segments is judged
# out of window.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
e2e_init tcp_blind_rst
command -v iperf3 >/dev/null || die "iperf3 is missing (scripts/install-deps.sh installs it)"
topo_create

PORT=9100
IPERF_PORT=5201
IDLE=16 # seconds without a packet on the held connection, after the forgeries
SEQ_RST=3000000000
GIGA=1000000000

stat() { fwctl -j stats | jq -r ".$1"; } # NAME
blind() { in_server "$PYTHON" "$E2E_DIR/tcp_blind.py" "$@"; }

step "fwd on the gateway: accept everything, invalid drop, tcp close 5s"
write_accept_policy "$WORK/policy.conf" lan0 wan0 "timeouts { tcp close 5s }"
start_fwd "$WORK/policy.conf"

step "an idle TCP connection client -> server:$PORT"
mkdir -p "$WORK/client"
bg_in_ns "$NS_SERVER" "$PYTHON" "$E2E_DIR/tcp_blind.py" server "$WAN4_SERVER" "$PORT" \
	"$WORK/server.json" >"$WORK/server.log" 2>&1
wait_for 5 "the server listening on :$PORT" tcp_listening "$NS_SERVER" "$WAN4_SERVER" "$PORT"
bg_in_ns "$NS_CLIENT" "$PYTHON" "$E2E_DIR/tcp_blind.py" client "$WAN4_SERVER" "$PORT" \
	"$WORK/client" >"$WORK/client.log" 2>&1
CLIENT_PID=$BG_PID
wait_for 10 "the client's first ping answered" test -f "$WORK/client/ready"
wait_for 5 "the server's sequence numbers" test -f "$WORK/server.json"
cport=$(cat "$WORK/client/ready")
snd_nxt=$(jq -r .snd_nxt "$WORK/server.json")
rcv_nxt=$(jq -r .rcv_nxt "$WORK/server.json")
ok "client port $cport; server snd_nxt $snd_nxt, rcv_nxt $rcv_nxt"
held() { ct_pick ".orig.dport == $PORT and .orig.sport == $cport" proto tcp; }
assert_field "held connection" "$(held)" .state established

# forge_at SPORT DPORT SND RCV: the RST with seq $SEQ_RST and data a gigabyte ahead of SND
# (acknowledging RCV), from the server's side to the client, on server:SPORT -> client:DPORT.
forge_at() {
	blind forge "$WAN4_SERVER" "$LAN4_CLIENT" "$1" "$2" --seq "$SEQ_RST" --flags R ||
		die "forging the RST failed"
	blind forge "$WAN4_SERVER" "$LAN4_CLIENT" "$1" "$2" --flags PA --payload 100 \
		--seq $((($3 + GIGA) % 4294967296)) --ack "$4" || die "forging the far-off data failed"
}

step "from the WAN: an RST with seq $SEQ_RST and data $GIGA bytes ahead"
invalid_before=$(stat ct_invalid)
drop_before=$(stat verdict_drop)
forge_at "$PORT" "$cport" "$snd_nxt" "$rcv_nxt"
wait_for 5 "both forgeries counted as invalid" \
	test "$(stat ct_invalid)" -ge $((invalid_before + 2))
assert_eq "ct_invalid after the two forgeries" $((invalid_before + 2)) "$(stat ct_invalid)"
assert_eq "verdict_drop after the two forgeries" $((drop_before + 2)) "$(stat verdict_drop)"
assert_field "held connection after the forgeries" "$(held)" .state established

step "$IDLE s idle (an entry in CLOSE would expire after 5 s)"
sleep "$IDLE"
assert_field "held connection after $IDLE s idle" "$(held)" .state established
touch "$WORK/client/go"
wait_for 10 "the client's ping after the idle time" test -f "$WORK/client/done"
ok "client -> server and server -> client after the idle time: $(cat "$WORK/client/done")"

step "iperf3 through the gateway while forged segments keep arriving"
bg_in_ns "$NS_SERVER" iperf3 -s -1 -B "$WAN4_SERVER" -p "$IPERF_PORT" >"$WORK/iperf-server.log" 2>&1
wait_for 5 "iperf3 server listening" tcp_listening "$NS_SERVER" "$WAN4_SERVER" "$IPERF_PORT"
invalid_before=$(stat ct_invalid)
# Server -> client, the direction the forgeries come from; 500 Mbit/s, not the machine's
# all: the test shares it.
bg_in_ns "$NS_CLIENT" iperf3 -c "$WAN4_SERVER" -p "$IPERF_PORT" -t 4 -R -b 500M -J \
	>"$WORK/iperf.json" 2>&1
IPERF_PID=$BG_PID
# The data connection: the established one to the iperf3 port with the most bytes back.
iperf_data() {
	ct_json proto tcp dport "$IPERF_PORT" |
		jq -e -c 'map(select(.state == "established")) | max_by(.counters.reply.bytes) |
		          select(.counters.reply.bytes > 1000000)'
}
wait_for 5 "the iperf3 data connection in the table" iperf_data
data_cport=$(field "$(iperf_data)" .orig.sport)
rounds=5
for _ in $(seq "$rounds"); do
	sleep 0.5
	# At the held connection, whose numbers are known: as above.
	forge_at "$PORT" "$cport" "$snd_nxt" "$rcv_nxt"
	# At the iperf3 data connection, whose numbers are not: data at a random seq with a
	# random ack, out of the window but for a chance of about 1 in 10^5.
	r=$(((RANDOM << 17 | RANDOM << 2) % 4294967296))
	blind forge "$WAN4_SERVER" "$LAN4_CLIENT" "$IPERF_PORT" "$data_cport" --flags PA \
		--payload 100 --seq "$r" --ack $(((r * 7 + 12345) % 4294967296)) ||
		die "forging data for the iperf3 connection failed"
done
wait "$IPERF_PID" || die "iperf3 failed: $(tail -5 "$WORK/iperf.json")"
bytes=$(jq -r '.end.sum_received.bytes' "$WORK/iperf.json")
assert_gt "iperf3 bytes received by the client" 100000000 "$bytes"
# Every real segment of the transfer (GSO/GRO super-packets included) is in the window.
assert_eq "ct_invalid: exactly the $((rounds * 3)) forged segments, no real one" \
	$((invalid_before + rounds * 3)) "$(stat ct_invalid)"
assert_field "held connection after the transfer" "$(held)" .state established

touch "$WORK/client/stop"
wait "$CLIENT_PID" || die "the client failed: $(cat "$WORK/client.log")"
ok "the held connection's last ping answered"

step "fwd stops cleanly"
stop_fwd TERM
echo "PASS test_tcp_blind_rst"

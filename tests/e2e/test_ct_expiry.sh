#!/usr/bin/env bash
# test_ct_expiry.sh - fwd expires connections after the policy's (shortened) timeouts: a TCP
# connection after its FIN exchange and TIME_WAIT, a UDP flow and an ICMP echo after theirs;
# a UDP flow that keeps sending stays; an established TCP connection survives every pass.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
e2e_init ct_expiry
topo_create

TIME_WAIT_S=2
UDP_S=3
ICMP_S=3
EXPIRE_INTERVAL_S=1
# An entry may outlive its timeout by one expiry interval, plus the datapath's last-seen
# granularity (1 s), plus scheduling slack.
SLACK_S=$((EXPIRE_INTERVAL_S + 1 + 3))

step "servers: HTTP :8080, UDP echo :5353, a held TCP connection :9000"
mkdir -p "$WORK/www"
head -c 10000 /dev/zero >"$WORK/www/file"
start_http_server "$NS_SERVER" "$WAN4_SERVER" 8080 "$WORK/www"
start_udp_echo "$NS_SERVER" "$WAN4_SERVER" 5353

step "fwd with timeouts: tcp time_wait ${TIME_WAIT_S}s, udp ${UDP_S}s, icmp ${ICMP_S}s; expiry every ${EXPIRE_INTERVAL_S}s"
write_accept_policy "$WORK/policy.conf" lan0 wan0 "
timeouts {
    tcp time_wait ${TIME_WAIT_S}s
    tcp close ${TIME_WAIT_S}s
    udp ${UDP_S}s
    udp stream ${UDP_S}s
    icmp ${ICMP_S}s
}"
start_fwd "$WORK/policy.conf" --expire-interval "$EXPIRE_INTERVAL_S"

step "a TCP connection that stays open through the whole test"
bg_in_ns "$NS_SERVER" nc -n -l "$WAN4_SERVER" 9000 >/dev/null
wait_for 5 "nc listening on the server" tcp_listening "$NS_SERVER" "$WAN4_SERVER" 9000
bg_in_ns "$NS_CLIENT" nc -n "$WAN4_SERVER" 9000 >/dev/null
wait_for 5 "the held connection established" \
	ct_has '.orig.dport == 9000 and .state == "established"'

# ---- TCP ----------------------------------------------------------------------------------------
step "HTTP GET; after the FIN exchange the entry is in time_wait with at most ${TIME_WAIT_S}s left"
in_client curl -sS --max-time 5 -o /dev/null "http://$WAN4_SERVER:8080/file" || die "curl failed"
wait_for 5 "the HTTP connection in time_wait" \
	ct_has '.orig.dport == 8080 and .state == "time_wait"'
http=$(ct_pick '.orig.dport == 8080' proto tcp)
t=$(field "$http" .timeout)
[ "$t" -le "$TIME_WAIT_S" ] || die "time_wait entry: expected timeout <= ${TIME_WAIT_S}s (policy), got ${t}s in $http"
ok "time_wait timeout left ${t}s (<= ${TIME_WAIT_S}s)"
start=$SECONDS
wait_for $((TIME_WAIT_S + SLACK_S)) "the time_wait entry to expire" ct_has_not '.orig.dport == 8080'
ok "time_wait entry gone after $((SECONDS - start))s"

step "fwctl monitor follows the table's events"
start_monitor "$WORK/events.jsonl"

# ---- UDP ----------------------------------------------------------------------------------------
step "UDP: a flow that sends every second for $((UDP_S + 3))s stays tracked (last-seen refresh)"
for ((i = 0; i < UDP_S + 3; i++)); do
	udp_exchange "$NS_CLIENT" "$WAN4_SERVER" 5353 1 50 --sport 41000
	ct_has '.orig.sport == 41000 and .proto == "udp"' ||
		die "UDP flow lost after $i s while it kept sending (timeout ${UDP_S}s)"
	sleep 1
done
udp=$(ct_pick '.orig.sport == 41000' proto udp)
assert_field "active UDP flow" "$udp" .counters.orig.packets $((UDP_S + 3))
step "UDP: silent flow expires after ${UDP_S}s"
start=$SECONDS
wait_for $((UDP_S + SLACK_S)) "the UDP entry to expire" ct_has_not '.orig.sport == 41000'
ok "UDP entry gone after $((SECONDS - start))s"
step "the monitor saw the UDP flow come and go"
wait_for 5 "a 'new' event for the UDP flow" \
	has_event "$WORK/events.jsonl" '.type == "new" and .proto == "udp" and .sport == 41000'
ev=$(events "$WORK/events.jsonl" '.type == "new" and .sport == 41000' | head -n 1)
assert_field "new event" "$ev" .src "$LAN4_CLIENT"
assert_field "new event" "$ev" .dst "$WAN4_SERVER"
assert_field "new event" "$ev" .dport 5353
wait_for 5 "a 'destroy' event for the UDP flow" \
	has_event "$WORK/events.jsonl" '.type == "destroy" and .proto == "udp" and .sport == 41000'
ev=$(events "$WORK/events.jsonl" '.type == "destroy" and .sport == 41000' | head -n 1)
printf '  destroy event: %s\n' "$ev"
assert_field "destroy event" "$ev" .reason expired
assert_field "destroy event" "$ev" .counters.orig.packets $((UDP_S + 3))
assert_field "destroy event" "$ev" .counters.reply.packets $((UDP_S + 3))

# ---- ICMP ---------------------------------------------------------------------------------------
step "ICMP: one echo, gone after ${ICMP_S}s"
in_client ping -n -q -c 1 -W 2 "$WAN4_SERVER" >/dev/null || die "ping failed"
ct_has ".proto == \"icmp\" and .orig.dst == \"$WAN4_SERVER\"" || die "no ICMP entry after the ping"
start=$SECONDS
wait_for $((ICMP_S + SLACK_S)) "the ICMP entry to expire" \
	ct_has_not ".proto == \"icmp\" and .orig.dst == \"$WAN4_SERVER\""
ok "ICMP entry gone after $((SECONDS - start))s"

# ---- what must stay -----------------------------------------------------------------------------
step "the established TCP connection survived every expiry pass"
hold=$(ct_pick '.orig.dport == 9000' proto tcp)
assert_field "held TCP" "$hold" .state established

step "fwd stops cleanly"
stop_fwd TERM
echo "PASS test_ct_expiry"

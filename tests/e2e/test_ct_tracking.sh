#!/usr/bin/env bash
# test_ct_tracking.sh - real TCP, UDP and ICMP (IPv4 and IPv6) from the client to the server
# through the gateway: `fwctl -j ct list` shows each connection with the right protocol, state,
# addresses, ports / echo id and per-direction counters that match what was sent; the filters
# of `ct list` / `ct count` select what they say; `ct del` removes exactly one connection.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
e2e_init ct_tracking
topo_create

HTTP_PORT=8080
UDP_PORT=5353
HOLD_PORT=9000
BLOB_SIZE=200000 # bytes the client downloads over HTTP
HOLD_BYTES=5000  # bytes the server sends on the held-open connection
UDP_COUNT=3
UDP_SIZE=100 # payload bytes per datagram
PING_COUNT=3

stat_above() { [ "$(fwctl -j stats | jq -r ".$1")" -gt "$2" ]; } # NAME VALUE

# Counters count IP bytes (header included, link layer not), as conntrack does.
ip_bytes() { # PACKETS IP-BYTES-PER-PACKET
	echo $(($1 * $2))
}

step "servers on the server: HTTP :$HTTP_PORT, UDP echo :$UDP_PORT (v4 and v6)"
mkdir -p "$WORK/www"
head -c "$BLOB_SIZE" /dev/urandom >"$WORK/www/blob"
start_http_server "$NS_SERVER" "$WAN4_SERVER" "$HTTP_PORT" "$WORK/www"
start_udp_echo "$NS_SERVER" "$WAN4_SERVER" "$UDP_PORT"
start_udp_echo "$NS_SERVER" "$WAN6_SERVER" "$UDP_PORT"

step "fwd on the gateway, accepting everything"
write_accept_policy "$WORK/policy.conf" lan0 wan0
start_fwd "$WORK/policy.conf"
assert_eq "connections before any traffic" 0 "$(ct_count_json)"

# ---- TCP, held open -------------------------------------------------------------------------------
step "TCP: a connection held open (nc), the server sends $HOLD_BYTES bytes"
bg_in_ns "$NS_SERVER" sh -c "head -c $HOLD_BYTES /dev/zero | exec nc -n -l $WAN4_SERVER $HOLD_PORT >/dev/null"
wait_for 5 "nc listening on the server" tcp_listening "$NS_SERVER" "$WAN4_SERVER" "$HOLD_PORT"
bg_in_ns "$NS_CLIENT" nc -n "$WAN4_SERVER" "$HOLD_PORT" >"$WORK/hold.out"
HOLD_CLIENT_PID=$BG_PID
wait_for 5 "the client to receive $HOLD_BYTES bytes" file_size_ge "$WORK/hold.out" "$HOLD_BYTES"
wait_for 5 "an established TCP entry to port $HOLD_PORT" \
	ct_has ".proto == \"tcp\" and .orig.dport == $HOLD_PORT and .state == \"established\""
hold=$(ct_pick ".orig.dport == $HOLD_PORT" proto tcp)
client_port=$(in_client ss -Htn "dst $WAN4_SERVER:$HOLD_PORT" | awk '{ split($4, a, ":"); print a[2] }')
assert_field "held TCP" "$hold" .state established
assert_field "held TCP" "$hold" .orig.src "$LAN4_CLIENT"
assert_field "held TCP" "$hold" .orig.dst "$WAN4_SERVER"
assert_field "held TCP" "$hold" .orig.sport "$client_port"
assert_field "held TCP" "$hold" .reply.src "$WAN4_SERVER"
assert_field "held TCP" "$hold" .reply.dst "$LAN4_CLIENT"
assert_field "held TCP" "$hold" .reply.sport "$HOLD_PORT"
assert_field "held TCP" "$hold" .reply.dport "$client_port"
assert_ge "held TCP: packets client -> server" 2 "$(field "$hold" .counters.orig.packets)"
assert_ge "held TCP: packets server -> client" 2 "$(field "$hold" .counters.reply.packets)"
assert_ge "held TCP: bytes server -> client" "$HOLD_BYTES" "$(field "$hold" .counters.reply.bytes)"
assert_gt "held TCP: timeout left (s)" 1000 "$(field "$hold" .timeout)"

# ---- TCP, HTTP ------------------------------------------------------------------------------------
step "TCP: curl downloads $BLOB_SIZE bytes over HTTP; the server closes, so TIME_WAIT follows"
got=$(in_client curl -sS --max-time 10 -o /dev/null -w '%{size_download}' \
	"http://$WAN4_SERVER:$HTTP_PORT/blob")
assert_eq "bytes curl downloaded" "$BLOB_SIZE" "$got"
wait_for 5 "the HTTP connection in time_wait" \
	ct_has ".orig.dport == $HTTP_PORT and .state == \"time_wait\""
http=$(ct_pick ".orig.dport == $HTTP_PORT" proto tcp)
assert_field "HTTP" "$http" .orig.src "$LAN4_CLIENT"
assert_field "HTTP" "$http" .orig.dst "$WAN4_SERVER"
assert_field "HTTP" "$http" .reply.sport "$HTTP_PORT"
assert_ge "HTTP: packets client -> server (SYN, request, ACKs, FIN)" 4 \
	"$(field "$http" .counters.orig.packets)"
assert_ge "HTTP: packets server -> client" 3 "$(field "$http" .counters.reply.packets)"
assert_ge "HTTP: bytes client -> server (the request)" 100 "$(field "$http" .counters.orig.bytes)"
assert_ge "HTTP: bytes server -> client (the blob)" "$BLOB_SIZE" \
	"$(field "$http" .counters.reply.bytes)"

# ---- UDP -----------------------------------------------------------------------------------------
step "UDP: $UDP_COUNT requests of $UDP_SIZE bytes, each answered, over IPv4 and IPv6"
udp_exchange "$NS_CLIENT" "$WAN4_SERVER" "$UDP_PORT" "$UDP_COUNT" "$UDP_SIZE" --sport 40001
udp_exchange "$NS_CLIENT" "$WAN6_SERVER" "$UDP_PORT" "$UDP_COUNT" "$UDP_SIZE" --sport 40002
udp4=$(ct_pick ".orig.sport == 40001" proto udp)
assert_field "UDP v4" "$udp4" .orig.src "$LAN4_CLIENT"
assert_field "UDP v4" "$udp4" .orig.dst "$WAN4_SERVER"
assert_field "UDP v4" "$udp4" .orig.dport "$UDP_PORT"
assert_field "UDP v4" "$udp4" .reply.src "$WAN4_SERVER"
assert_field "UDP v4" "$udp4" .reply.sport "$UDP_PORT"
assert_field "UDP v4" "$udp4" .reply.dport 40001
# Traffic both ways, then more: assured (netfilter's "stream").
assert_field "UDP v4 after $UDP_COUNT exchanges" "$udp4" .state udp_assured
assert_field "UDP v4" "$udp4" .counters.orig.packets "$UDP_COUNT"
assert_field "UDP v4" "$udp4" .counters.reply.packets "$UDP_COUNT"
assert_field "UDP v4 (IP bytes)" "$udp4" .counters.orig.bytes "$(ip_bytes "$UDP_COUNT" $((UDP_SIZE + 8 + 20)))"
assert_field "UDP v4 (IP bytes)" "$udp4" .counters.reply.bytes "$(ip_bytes "$UDP_COUNT" $((UDP_SIZE + 8 + 20)))"
udp6=$(ct_pick ".orig.sport == 40002" proto udp)
assert_field "UDP v6" "$udp6" .orig.src "$LAN6_CLIENT"
assert_field "UDP v6" "$udp6" .orig.dst "$WAN6_SERVER"
assert_field "UDP v6" "$udp6" .reply.dport 40002
assert_field "UDP v6 after $UDP_COUNT exchanges" "$udp6" .state udp_assured
assert_field "UDP v6" "$udp6" .counters.orig.packets "$UDP_COUNT"
assert_field "UDP v6" "$udp6" .counters.reply.packets "$UDP_COUNT"
assert_field "UDP v6 (IP bytes)" "$udp6" .counters.orig.bytes "$(ip_bytes "$UDP_COUNT" $((UDP_SIZE + 8 + 40)))"
assert_field "UDP v6 (IP bytes)" "$udp6" .counters.reply.bytes "$(ip_bytes "$UDP_COUNT" $((UDP_SIZE + 8 + 40)))"

# ---- ICMP ----------------------------------------------------------------------------------------
step "ICMP: ping -c $PING_COUNT over IPv4 and IPv6"
in_client ping -n -q -c "$PING_COUNT" -i 0.2 -W 2 "$WAN4_SERVER" >/dev/null ||
	die "ping $WAN4_SERVER from the client failed"
in_client ping -6 -n -q -c "$PING_COUNT" -i 0.2 -W 2 "$WAN6_SERVER" >/dev/null ||
	die "ping $WAN6_SERVER from the client failed"
icmp4=$(ct_pick ".orig.dst == \"$WAN4_SERVER\"" proto icmp)
assert_field "ICMP v4" "$icmp4" .state icmp_replied
assert_field "ICMP v4" "$icmp4" .orig.src "$LAN4_CLIENT"
assert_field "ICMP v4" "$icmp4" .reply.src "$WAN4_SERVER"
assert_match "ICMP v4 echo id" '^[0-9]+$' "$(field "$icmp4" .orig.id)"
assert_field "ICMP v4" "$icmp4" .reply.id "$(field "$icmp4" .orig.id)"
assert_field "ICMP v4" "$icmp4" .counters.orig.packets "$PING_COUNT"
assert_field "ICMP v4" "$icmp4" .counters.reply.packets "$PING_COUNT"
assert_field "ICMP v4 (IP bytes)" "$icmp4" .counters.orig.bytes "$(ip_bytes "$PING_COUNT" 84)"
assert_field "ICMP v4 (IP bytes)" "$icmp4" .counters.reply.bytes "$(ip_bytes "$PING_COUNT" 84)"
icmp6=$(ct_pick ".orig.dst == \"$WAN6_SERVER\"" proto icmpv6)
assert_field "ICMPv6" "$icmp6" .state icmp_replied
assert_field "ICMPv6" "$icmp6" .orig.src "$LAN6_CLIENT"
assert_field "ICMPv6" "$icmp6" .counters.orig.packets "$PING_COUNT"
assert_field "ICMPv6" "$icmp6" .counters.reply.packets "$PING_COUNT"
assert_field "ICMPv6 (IP bytes)" "$icmp6" .counters.orig.bytes "$(ip_bytes "$PING_COUNT" 104)"
assert_field "ICMPv6 (IP bytes)" "$icmp6" .counters.reply.bytes "$(ip_bytes "$PING_COUNT" 104)"

# ---- filters -------------------------------------------------------------------------------------
step "filters of ct list and ct count"
all=$(ct_json)
n_udp=$(jq '[.[] | select(.proto == "udp")] | length' <<<"$all")
assert_eq "UDP connections in the full list" 2 "$n_udp"
json=$(ct_json proto udp)
assert_eq "ct list proto udp: entries" 2 "$(jq length <<<"$json")"
assert_eq "ct list proto udp: all udp" true "$(jq 'all(.[]; .proto == "udp")' <<<"$json")"
json=$(ct_json family ip6)
assert_eq "ct list family ip6: no IPv4 address" true \
	"$(jq 'all(.[]; (.orig.src | contains(":")))' <<<"$json")"
assert_ge "ct list family ip6: entries (UDP + ICMPv6 at least)" 2 "$(jq length <<<"$json")"
json=$(ct_json dst "$WAN4_SERVER" dport "$HTTP_PORT")
assert_eq "ct list dst $WAN4_SERVER dport $HTTP_PORT: entries" 1 "$(jq length <<<"$json")"
json=$(ct_json state established)
assert_eq "ct list state established: the held connection only" "$HOLD_PORT" \
	"$(jq -r 'map(.orig.dport) | join(",")' <<<"$json")"
json=$(ct_json src 10.77.1.0/24 proto icmp)
assert_eq "ct list src 10.77.1.0/24 proto icmp: entries" 1 "$(jq length <<<"$json")"
json=$(ct_json port "$UDP_PORT")
assert_eq "ct list port $UDP_PORT (either side): entries" 2 "$(jq length <<<"$json")"
# ct count: the same filters, one number (text) or {"count": N} (JSON).
count=$(fwctl ct count proto udp) || die "fwctl ct count proto udp failed"
assert_eq "ct count proto udp (text)" 2 "$(tr -dc 0-9 <<<"$count")"
count=$(fwctl -j ct count proto icmpv6) || die "fwctl -j ct count proto icmpv6 failed"
assert_ge "ct count proto icmpv6 (JSON)" 1 "$(jq -r 'if type == "object" then .count else . end' <<<"$count")"
total_before=$(ct_count_json)
count=$(fwctl -j ct count) || die "fwctl -j ct count failed"
assert_eq "ct count without a filter = entries of ct list" "$total_before" \
	"$(jq -r 'if type == "object" then .count else . end' <<<"$count")"
run_expect "ct list with an unknown state (usage error)" 2 fwctl ct list state establshed

# ---- ct del -------------------------------------------------------------------------------------
step "ct del removes exactly the selected connection"
out=$(fwctl -j ct del proto udp family ip dport "$UDP_PORT") ||
	die "fwctl -j ct del proto udp family ip dport $UDP_PORT failed"
assert_eq "ct del: connections deleted (fwd's answer)" 1 "$(jq -r .deleted <<<"$out")"
assert_eq "UDP v4 entries after ct del" 0 "$(ct_count_json proto udp family ip)"
assert_eq "UDP v6 entries after ct del (untouched)" 1 "$(ct_count_json proto udp family ip6)"
assert_eq "connections after ct del" $((total_before - 1)) "$(ct_count_json)"
step "the deleted UDP flow is tracked again, from zero, when it sends again"
udp_exchange "$NS_CLIENT" "$WAN4_SERVER" "$UDP_PORT" 1 "$UDP_SIZE" --sport 40001
udp4=$(ct_pick ".orig.sport == 40001" proto udp)
assert_field "UDP v4 after re-creation" "$udp4" .counters.orig.packets 1
assert_field "UDP v4 after re-creation" "$udp4" .counters.reply.packets 1
assert_field "UDP v4 after one request and its reply" "$udp4" .state udp_replied

# ---- related ICMP ----------------------------------------------------------------------------------
step "UDP to a closed port: the server's ICMP port unreachable is RELATED to the flow"
related_before=$(fwctl -j stats | jq -r .ct_related)
in_client bash -c "echo probe >/dev/udp/$WAN4_SERVER/5999" || die "sending a UDP datagram to port 5999 failed"
wait_for 5 "the ICMP error to be counted as related" \
	stat_above ct_related "$related_before"
closed=$(ct_pick ".orig.dport == 5999" proto udp)
assert_field "UDP to a closed port" "$closed" .state udp_unreplied
assert_field "UDP to a closed port" "$closed" .counters.orig.packets 1
assert_eq "ICMP entries for the error (it belongs to the UDP flow)" 0 \
	"$(ct_count_json proto icmp src "$WAN4_SERVER")"

# ---- close ------------------------------------------------------------------------------------
step "the client closes the held connection: FIN both ways, TIME_WAIT"
kill "$HOLD_CLIENT_PID"
wait_for 5 "the held connection in time_wait" \
	ct_has ".orig.dport == $HOLD_PORT and .state == \"time_wait\""
hold=$(ct_pick ".orig.dport == $HOLD_PORT" proto tcp)
assert_field "held TCP after close" "$hold" .state time_wait
assert_ge "held TCP after close: timeout left (s)" 1 "$(field "$hold" .timeout)"

step "fwd stops cleanly"
stop_fwd TERM
echo "PASS test_ct_tracking"

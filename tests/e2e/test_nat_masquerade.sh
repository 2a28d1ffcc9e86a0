#!/usr/bin/env bash
# test_nat_masquerade.sh - masquerade of a LAN behind the gateway's WAN address (topo.sh's NAT
# topology: the server has no route back to the LAN, so nothing works untranslated): HTTP
# with curl and bulk TCP with iperf3 (the server sees the gateway's address), UDP request /
# response, ping, `fwctl nat list` and the NAT counters, 50 concurrent connections from five
# client addresses to one server port with colliding source ports, and a change of the WAN
# address followed by new connections.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
e2e_init nat_masquerade
topo_create_nat

HTTP_PORT=8080
UDP_PORT=5353
IPERF_PORT=5201
ECHO_PORT=7000
BLOB_SIZE=300000
EXTRA_CLIENTS=(10.77.1.20 10.77.1.21 10.77.1.22 10.77.1.23)
NEW_WAN=203.0.113.7

# http_peers: the client addresses of the HTTP server's access log, one a line.
http_peers() { awk '/"GET /{ print $1 }' "$WORK/http-$NS_SERVER-$HTTP_PORT.log"; }

step "servers: HTTP :$HTTP_PORT, UDP echo :$UDP_PORT, iperf3 :$IPERF_PORT, TCP echo :$ECHO_PORT"
mkdir -p "$WORK/www"
head -c "$BLOB_SIZE" /dev/urandom >"$WORK/www/blob"
start_http_server "$NS_SERVER" "$NAT_SERVER" "$HTTP_PORT" "$WORK/www"
start_udp_echo "$NS_SERVER" "$NAT_SERVER" "$UDP_PORT"
bg_in_ns "$NS_SERVER" iperf3 -s -B "$NAT_SERVER" -p "$IPERF_PORT" --logfile "$WORK/iperf-server.log"
wait_for 5 "iperf3 listening" tcp_listening "$NS_SERVER" "$NAT_SERVER" "$IPERF_PORT"
bg_in_ns "$NS_SERVER" "$PYTHON" "$E2E_DIR/nat_tcp.py" server "$NAT_SERVER" "$ECHO_PORT" \
	"$WORK/echo-peers"
wait_for 5 "TCP echo server listening" tcp_listening "$NS_SERVER" "$NAT_SERVER" "$ECHO_PORT"

step "without NAT the server cannot answer the LAN (it has no route back)"
assert_probe "TCP to the server, untranslated" timeout "$NS_CLIENT" "$NAT_SERVER" "$HTTP_PORT" \
	--timeout 1

step "fwd with masquerade of the LAN out of wan0"
cat >"$WORK/policy.conf" <<EOF
zone lan { lan0 }
zone wan { wan0 }
defaults { input accept; forward accept; output accept; invalid drop }
nat masquerade out wan from $NAT_LAN_NET
EOF
start_fwd "$WORK/policy.conf" -v # -v: the masquerade address changes are logged at info
wait_for 5 "fwd to log wan0's masquerade address" grep -q "wan0: masquerade address $NAT_WAN_GW" "$FWD_LOG"

step "HTTP download through masquerade; the server sees the gateway's address"
in_client curl -sS --max-time 10 -o "$WORK/blob.got" "http://$NAT_SERVER:$HTTP_PORT/blob" ||
	die "curl through masquerade failed"
assert_eq "downloaded blob" "$(sha256sum <"$WORK/www/blob")" "$(sha256sum <"$WORK/blob.got")"
assert_eq "HTTP peer in the server's access log" "$NAT_WAN_GW" "$(http_peers | tail -n 1)"
entry=$(fwctl -j nat list proto tcp | jq -c "[.[] | select(.orig.dport == $HTTP_PORT)] | last")
[ "$entry" != null ] || die "fwctl nat list shows no translated HTTP connection"
assert_field "nat list entry" "$entry" .kind snat
assert_field "nat list entry" "$entry" .orig.src "$NAT_CLIENT"
assert_field "nat list entry" "$entry" .orig.dst "$NAT_SERVER"
assert_field "nat list entry" "$entry" .translated.src "$NAT_WAN_GW"
assert_field "nat list entry" "$entry" .translated.dst "$NAT_SERVER"
assert_field "nat list entry" "$entry" .translated.dport "$HTTP_PORT"
ct=$(ct_pick ".orig.dport == $HTTP_PORT" proto tcp)
assert_field "ct list: reply tuple after translation" "$ct" .reply.dst "$NAT_WAN_GW"

step "UDP request/response and ping through masquerade"
udp_exchange "$NS_CLIENT" "$NAT_SERVER" "$UDP_PORT" 3 200 --sport 41000
udp=$(ct_pick ".orig.dport == $UDP_PORT" proto udp)
assert_field "UDP connection" "$udp" .reply.dst "$NAT_WAN_GW"
assert_field "UDP connection" "$udp" .reply.dport 41000
assert_eq "UDP datagrams each way" "3 3" \
	"$(field "$udp" .counters.orig.packets) $(field "$udp" .counters.reply.packets)"
in_client ping -n -c 3 -i 0.2 -W 2 "$NAT_SERVER" >/dev/null || die "ping through masquerade failed"
icmp=$(ct_pick ".orig.dst == \"$NAT_SERVER\"" proto icmp)
assert_field "ping connection" "$icmp" .reply.dst "$NAT_WAN_GW"
assert_field "ping connection" "$icmp" .counters.reply.packets 3

step "iperf3 bulk TCP through masquerade (3 s)"
in_client iperf3 -c "$NAT_SERVER" -p "$IPERF_PORT" -t 3 -J >"$WORK/iperf.json" ||
	die "iperf3 through masquerade failed: $(jq -r .error "$WORK/iperf.json" 2>/dev/null)"
gbps=$(jq '.end.sum_received.bits_per_second / 1e9 | floor' "$WORK/iperf.json")
mbps=$(jq '.end.sum_received.bits_per_second / 1e6 | floor' "$WORK/iperf.json")
printf '  iperf3: %s Mbit/s received\n' "$mbps"
assert_ge "iperf3 throughput (Mbit/s)" 200 "$mbps"
grep -q "Accepted connection from $NAT_WAN_GW" "$WORK/iperf-server.log" ||
	die "iperf3 server log does not show a connection from $NAT_WAN_GW: $(grep -m1 Accepted "$WORK/iperf-server.log")"
ok "iperf3 server accepted the connection from $NAT_WAN_GW (${gbps} Gbit/s class)"

# Over veth a CHECKSUM_PARTIAL packet (TCP from a stack with offload) reaches its receiver with
# the checksum never computed, and the receiver trusts it: a wrong pseudo-header sum would pass
# unseen. With transmit checksumming off on the gateway's two interfaces the kernel computes
# every checksum there from what NAT left in the field, and the receivers check it.
step "the same through interfaces without checksum offload: NAT's pseudo-header sums are right"
command -v ethtool >/dev/null || die "ethtool is missing (scripts/install-deps.sh installs it)"
for dev in lan0 wan0; do in_gw ethtool -K "$dev" tx off >/dev/null || die "ethtool -K $dev tx off"; done
in_client curl -sS --max-time 10 -o "$WORK/blob.got" "http://$NAT_SERVER:$HTTP_PORT/blob" ||
	die "curl without checksum offload failed"
assert_eq "downloaded blob, checksums computed by the gateway" "$(sha256sum <"$WORK/www/blob")" \
	"$(sha256sum <"$WORK/blob.got")"
in_client timeout 15 iperf3 -c "$NAT_SERVER" -p "$IPERF_PORT" -t 2 -J >"$WORK/iperf-nocsum.json" ||
	die "iperf3 without checksum offload failed: $(jq -r .error "$WORK/iperf-nocsum.json" 2>/dev/null)"
mbps=$(jq '.end.sum_received.bits_per_second / 1e6 | floor' "$WORK/iperf-nocsum.json")
assert_ge "iperf3 throughput without checksum offload (Mbit/s)" 100 "$mbps"
udp_exchange "$NS_CLIENT" "$NAT_SERVER" "$UDP_PORT" 3 300 --sport 41002
ok "UDP request/response without checksum offload"
for dev in lan0 wan0; do in_gw ethtool -K "$dev" tx on >/dev/null; done

step "50 concurrent connections from five client addresses to one server port, colliding source ports"
for a in "${EXTRA_CLIENTS[@]}"; do in_client ip addr add "$a/24" dev eth0; done
srcs=$(IFS=,; echo "$NAT_CLIENT,${EXTRA_CLIENTS[*]}")
: >"$WORK/echo-peers"
retries_before=$(fwctl -j stats | jq .nat_port_retries)
in_client "$PYTHON" "$E2E_DIR/nat_tcp.py" clients "$NAT_SERVER" "$ECHO_PORT" --src "$srcs" \
	--per-src 10 --sport 45000 --timeout 5 >"$WORK/clients.out" ||
	die "not every one of the 50 connections was echoed"
assert_eq "connections echoed" 50 "$(wc -l <"$WORK/clients.out")"
assert_eq "peers the server saw, all from the gateway" 50 "$(grep -c "^$NAT_WAN_GW:" "$WORK/echo-peers")"
assert_eq "distinct peer ports" 50 "$(sort -u "$WORK/echo-peers" | wc -l)"
assert_eq "connections that kept port 45000" 1 "$(grep -c "^$NAT_WAN_GW:45000$" "$WORK/echo-peers")"
assert_ge "nat_port_retries (4 of 5 port-45000 connections moved)" $((retries_before + 4)) \
	"$(fwctl -j stats | jq .nat_port_retries)"
assert_gt "nat_translated" 0 "$(fwctl -j stats | jq .nat_translated)"
assert_eq "nat_port_exhausted" 0 "$(fwctl -j stats | jq .nat_port_exhausted)"

step "the WAN address changes: new connections leave with the new one"
in_gw sysctl -qw net.ipv4.conf.wan0.promote_secondaries=1
in_gw ip addr add "$NEW_WAN/24" dev wan0
in_gw ip addr del "$NAT_WAN_GW/24" dev wan0
in_gw ip route replace default via "$NAT_ROUTER_WAN"
wait_for 5 "fwd to follow wan0's address to $NEW_WAN" \
	grep -q "wan0: masquerade address $NEW_WAN" "$FWD_LOG"
in_client curl -sS --max-time 10 -o /dev/null "http://$NAT_SERVER:$HTTP_PORT/blob" ||
	die "curl after the address change failed"
assert_eq "HTTP peer after the address change" "$NEW_WAN" "$(http_peers | tail -n 1)"
udp_exchange "$NS_CLIENT" "$NAT_SERVER" "$UDP_PORT" 2 100 --sport 41001
udp=$(ct_pick ".orig.sport == 41001" proto udp)
assert_field "UDP connection after the change" "$udp" .reply.dst "$NEW_WAN"

stop_fwd TERM

#!/usr/bin/env bash
# test_fast_path.sh - established forwarded packets leave at ingress (bpf/lib/fastpath.h) and
# the gateway still behaves like a router: an HTTP download (IPv4 and IPv6) arrives whole and
# is counted as fast-path traffic; pings with TTL / hop limit 1 get "time exceeded" from the
# gateway, also after their first packet (when their connection is established); a gateway
# whose WAN MTU is smaller than the client's sends "fragmentation needed" for established
# traffic too, so the client learns the path MTU and its upload completes; when the server's
# neighbour entry changes under a running ping, the fast path follows within the window it
# keeps a next hop for (10 ms), both ways. fwd --no-fast-path sends everything through the
# kernel's forwarding path again.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
e2e_init fast_path
topo_create

command -v iperf3 >/dev/null || die "iperf3 is missing (scripts/install-deps.sh installs it)"

HTTP_PORT=8080
IPERF_PORT=5201
BLOB_SIZE=2000000
WAN_MTU=1280

stat() { fwctl -j stats | jq -r ".$1"; } # NAME

step "HTTP server on the server (v4 and v6); fwd on the gateway, accepting everything"
mkdir -p "$WORK/www"
head -c "$BLOB_SIZE" /dev/urandom >"$WORK/www/blob"
start_http_server "$NS_SERVER" "$WAN4_SERVER" "$HTTP_PORT" "$WORK/www"
start_http_server "$NS_SERVER" "$WAN6_SERVER" "$HTTP_PORT" "$WORK/www"
write_accept_policy "$WORK/policy.conf" lan0 wan0
start_fwd "$WORK/policy.conf"
assert_eq "fwctl status: fast path on by default" true "$(fwctl -j status | jq -r .fast_path)"

step "downloads of $BLOB_SIZE bytes over IPv4 and IPv6"
for url in "http://$WAN4_SERVER:$HTTP_PORT/blob" "http://[$WAN6_SERVER]:$HTTP_PORT/blob"; do
	in_client curl -sS --max-time 20 -o "$WORK/got" "$url" || die "curl $url failed"
	cmp -s "$WORK/got" "$WORK/www/blob" || die "$url: the file arrived changed"
	ok "$url arrived whole"
done
# GSO: 64 KiB packets, so a few hundred packets in all. Some established packets take the
# kernel's path (before the neighbour entries exist), most must not.
fast=$(stat fast_path)
established=$(stat ct_established)
printf '  fast_path %s of ct_established %s\n' "$fast" "$established"
assert_ge "fast_path packets" 20 "$fast"
assert_ge "fast_path packets x 2 (at least half of the established ones)" "$established" $((fast * 2))
conn=$(ct_pick ".orig.dport == $HTTP_PORT" proto tcp src "$LAN4_CLIENT")
assert_ge "the IPv4 download's reply bytes, counted on the fast path too" "$BLOB_SIZE" \
	"$(field "$conn" .counters.reply.bytes)"

step "ping with TTL 1 / hop limit 1: time exceeded from the gateway for every packet"
in_client ping -n -c 3 -i 0.2 -W 1 -t 1 "$WAN4_SERVER" >"$WORK/ping4.out" 2>&1 || true
sed 's/^/  | /' "$WORK/ping4.out"
assert_eq "IPv4 'Time to live exceeded' from the gateway" 3 \
	"$(grep -cE "From $LAN4_GW .*Time to live exceeded" "$WORK/ping4.out")"
in_client ping -6 -n -c 3 -i 0.2 -W 1 -t 1 "$WAN6_SERVER" >"$WORK/ping6.out" 2>&1 || true
sed 's/^/  | /' "$WORK/ping6.out"
assert_eq "IPv6 'Time exceeded: Hop limit' from the gateway" 3 \
	"$(grep -cE "From $LAN6_GW .*Hop limit" "$WORK/ping6.out")"

step "the server's neighbour entry changes under a running ping: the established flow follows"
# One ping process is one ICMP connection: established after its first reply, fast from then
# on. For its middle second the gateway sends to a MAC nobody has (the server drops those
# frames), then forgets the entry and resolves it again: the pings of that second are lost,
# those after it answered. A next hop kept for good would lose nothing.
server_mac=$(in_server cat /sys/class/net/eth0/address)
fast_before=$(stat fast_path)
(
	sleep 1
	in_gw ip neigh replace "$WAN4_SERVER" lladdr 02:00:00:00:be:ef dev wan0 nud permanent
	sleep 1
	in_gw ip neigh del "$WAN4_SERVER" dev wan0
) &
mover=$!
TOPO_PIDS+=("$mover")
in_client ping -n -c 150 -i 0.02 -W 1 "$WAN4_SERVER" >"$WORK/ping-moves.out" 2>&1 || true
wait "$mover" || die "changing the neighbour entry failed"
tail -n 2 "$WORK/ping-moves.out" | sed 's/^/  | /'
received=$(grep -oE '[0-9]+ received' "$WORK/ping-moves.out" | cut -d' ' -f1)
assert_ge "pings lost while the neighbour had a MAC nobody has" 20 $((150 - ${received:-150}))
assert_ge "pings answered (before, and after the entry was resolved again)" 60 "${received:-0}"
assert_ge "the ping's packets on the fast path" $((fast_before + 50)) "$(stat fast_path)"
assert_match "the gateway resolved the server's MAC again" "lladdr $server_mac" \
	"$(in_gw ip neigh show "$WAN4_SERVER" dev wan0)"

# Only the gateway's side is narrowed: the server (MTU 1500) announces an MSS of 1460, so the
# client's segments are too large for wan0, and only the gateway's ICMP can tell the client.
step "gateway WAN MTU $WAN_MTU, client and server MTU 1500: an upload learns the path MTU from the gateway"
in_gw ip link set wan0 mtu "$WAN_MTU"
in_client ip route flush cache
bg_in_ns "$NS_SERVER" iperf3 -s -1 -B "$WAN4_SERVER" -p "$IPERF_PORT" >"$WORK/iperf-server.log" 2>&1
wait_for 5 "iperf3 server listening" tcp_listening "$NS_SERVER" "$WAN4_SERVER" "$IPERF_PORT"
in_client timeout 20 iperf3 -c "$WAN4_SERVER" -p "$IPERF_PORT" -t 2 -b 200M -J \
	--connect-timeout 3000 >"$WORK/iperf.json" 2>"$WORK/iperf.err" ||
	die "iperf3 upload failed: $(cat "$WORK/iperf.err") $(jq -r '.error // empty' "$WORK/iperf.json")"
received=$(jq -r '.end.sum_received.bytes' "$WORK/iperf.json")
assert_gt "bytes the server received" 1000000 "$received"
assert_match "the client's route learnt the gateway's MTU" "mtu $WAN_MTU" \
	"$(in_client ip route get "$WAN4_SERVER")"

step "fwd --no-fast-path: the same download takes the kernel's forwarding path"
stop_fwd
start_fwd "$WORK/policy.conf" --no-fast-path
assert_eq "fwctl status: fast path off" false "$(fwctl -j status | jq -r .fast_path)"
in_client curl -sS --max-time 20 -o "$WORK/got" "http://$WAN4_SERVER:$HTTP_PORT/blob" ||
	die "curl with --no-fast-path failed"
cmp -s "$WORK/got" "$WORK/www/blob" || die "the file arrived changed with --no-fast-path"
assert_ge "established packets tracked" 20 "$(stat ct_established)"
assert_eq "fast_path packets with --no-fast-path" 0 "$(stat fast_path)"

step "fwd stops cleanly"
stop_fwd TERM
echo "PASS test_fast_path"

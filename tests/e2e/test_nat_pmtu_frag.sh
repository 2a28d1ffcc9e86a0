#!/usr/bin/env bash
# test_nat_pmtu_frag.sh - ICMP errors and fragments through masquerade. The router-server link
# has an MTU of 1280: path-MTU discovery only works if the router's "fragmentation needed",
# addressed to the gateway's public address and quoting the translated packet, reaches the
# client translated back (outer and quoted header). tracepath sees every hop, the path MTU and
# the server's port unreachable. A 4,000-byte UDP datagram (fragments of a 1,500-byte MTU)
# arrives whole and its echo comes back, with the fragments sent in order, in reverse order
# (the first fragment last) and with the first fragment in the middle.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
e2e_init nat_pmtu_frag
NAT_SERVER_MTU=1280 topo_create_nat

UDP_PORT=5353

step "UDP echo on the server; fwd with masquerade"
start_udp_echo "$NS_SERVER" "$NAT_SERVER" "$UDP_PORT"
cat >"$WORK/policy.conf" <<EOF
zone lan { lan0 }
zone wan { wan0 }
defaults { input accept; forward accept; output accept; invalid drop }
nat masquerade out wan from $NAT_LAN_NET
EOF
start_fwd "$WORK/policy.conf"

step "tracepath to the server: every hop answers, the path MTU is found"
in_client timeout 20 tracepath -n -m 6 "$NAT_SERVER" >"$WORK/tracepath.out" 2>&1 ||
	die "tracepath failed: $(cat "$WORK/tracepath.out")"
sed 's/^/  | /' "$WORK/tracepath.out"
grep -qE "^ *1: +$NAT_LAN_GW " "$WORK/tracepath.out" || die "tracepath: hop 1 is not the gateway"
grep -qE "^ *2: +$NAT_ROUTER_WAN " "$WORK/tracepath.out" ||
	die "tracepath: hop 2 (the router's time exceeded, translated back) missing"
grep -qE "$NAT_SERVER +[0-9.]+ms reached" "$WORK/tracepath.out" ||
	die "tracepath: the server's port unreachable (translated back) never arrived"
grep -qE "Resume: pmtu 1280 " "$WORK/tracepath.out" ||
	die "tracepath: path MTU 1280 not discovered"
ok "tracepath: gateway, router, server reached, pmtu 1280"

step "ping -M do -s 1400: the router's fragmentation needed reaches the client"
in_client ip route flush cache
in_client ping -n -M "do" -s 1400 -c 1 -W 2 "$NAT_SERVER" >"$WORK/ping.out" 2>&1 || true
sed 's/^/  | /' "$WORK/ping.out"
grep -qE "From $NAT_ROUTER_WAN .*Frag(mentation)? needed.*mtu = 1280" "$WORK/ping.out" ||
	die "ping: no 'Frag needed (mtu = 1280)' from the router"
route=$(in_client ip route get "$NAT_SERVER")
assert_match "the client's route to the server learnt the path MTU" "mtu 1280" "$route"
in_client ping -n -M "do" -s 1200 -c 2 -i 0.2 -W 2 "$NAT_SERVER" >/dev/null ||
	die "ping -s 1200 (fits the path) failed"
ok "ping of 1228 bytes fits the path"
related=$(fwctl -j stats | jq .ct_related)
assert_ge "ct_related (ICMP errors tracked)" 2 "$related"

step "a 4,000-byte UDP datagram in fragments, in order (the client's own fragmentation)"
in_client ip route flush cache # forget the path MTU: fragments of the 1,500-byte link MTU
udp_exchange "$NS_CLIENT" "$NAT_SERVER" "$UDP_PORT" 2 4000 --sport 41000
udp=$(ct_pick ".orig.sport == 41000" proto udp)
assert_field "fragmented UDP connection" "$udp" .reply.dst "$NAT_WAN_GW"
assert_field "fragmented UDP connection: 2 datagrams of 3 fragments" "$udp" .counters.orig.packets 6

step "the same, fragments sent in reverse order (first fragment last): new connection"
in_client "$PYTHON" "$E2E_DIR/nat_frag.py" "$NAT_CLIENT" "$NAT_SERVER" "$UDP_PORT" 41001 3992 \
	--order 2,1,0 || die "out-of-order fragments (new connection) did not arrive whole"
ok "echo of the reversed datagram"
in_client "$PYTHON" "$E2E_DIR/nat_frag.py" "$NAT_CLIENT" "$NAT_SERVER" "$UDP_PORT" 41001 3992 \
	--order 1,0,2 || die "out-of-order fragments (existing connection) did not arrive whole"
ok "echo of a datagram with its first fragment in the middle"
frag=$(ct_pick ".orig.sport == 41001" proto udp)
assert_field "out-of-order UDP connection" "$frag" .reply.dst "$NAT_WAN_GW"
assert_field "out-of-order UDP connection" "$frag" .reply.dport 41001
assert_gt "fragments counted" 0 "$(fwctl -j stats | jq .fragments)"

stop_fwd TERM

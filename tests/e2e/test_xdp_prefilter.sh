#!/usr/bin/env bash
# test_xdp_prefilter.sh - the XDP pre-filter on the WAN zone: blocked sources never get through,
# packets of no connection are dropped before TC, traffic that should pass does; and one flood,
# first with the pre-filter, then TC-only, with its cost printed side by side.
#
# The server namespace gets a second address, 203.0.113.66 (and 2001:db8:77:2::66), which the
# policy's set @blocked names. With 'prefilter wan { drop from @blocked; drop untracked }' fwd
# attaches tcfw_xdp_prefilter to wan0 (native mode on veth): from .66 nothing gets through
# (TCP to a forwarded port, ping, IPv6) and prefilter_blocked grows; from .2 the forwarded port
# answers; LAN -> WAN (curl and iperf3 through masquerade) works. Then, while iperf3 runs
# LAN -> WAN, hping3 floods from the WAN for FLOOD_S seconds with SYNs from the blocked address
# and FLOOD_S seconds with ACKs of no connection; fwctl status must answer and the transfer go
# on. The policy is reloaded without the prefilter (fwd removes the XDP program) and the same
# flood repeats TC-only. Printed for bench/README.md, not asserted: packets sent, where they
# were dropped, iperf3's rate, and the softirq CPU time (/proc/stat, the whole machine: other
# work shows up too) and NET_RX softirqs per million flood packets. A full stop removes the XDP
# program, and so does fwd --cleanup after a SIGKILL.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
e2e_init xdp_prefilter
topo_create
command -v hping3 >/dev/null || die "hping3 is missing (scripts/install-deps.sh installs it)"
command -v iperf3 >/dev/null || die "iperf3 is missing (scripts/install-deps.sh installs it)"

FLOOD_S=${FLOOD_S:-3}
FWD_PORT=8000 # open from the WAN to the client
IPERF_PORT=5201
HTTP_PORT=8080
BLOCKED4=203.0.113.66
BLOCKED6=2001:db8:77:2::66
SPOOF4=203.0.113.99 # source of the ACK flood: in the server's subnet, owned by nobody
ip -n "$NS_SERVER" addr add "$BLOCKED4/24" dev eth0
ip -n "$NS_SERVER" addr add "$BLOCKED6/64" dev eth0 nodad

# policy FILE WITH-PREFILTER(0|1): the same rules, with or without the pre-filter; the blocked
# set is also dropped by a forward rule, so TC-only drops the same packets.
policy() {
	cat >"$1" <<EOF
# $E2E_NAME
zone lan { lan0 }
zone wan { wan0, wan1 }
set blocked { $BLOCKED4, $BLOCKED6 }
defaults {
    input   drop
    forward drop
    output  accept
    invalid drop
}
$([ "$2" = 1 ] && printf 'prefilter wan {\n    drop from @blocked\n    drop untracked\n}\n')
input   accept proto icmp
input   accept proto icmpv6
forward drop   in wan from @blocked
forward accept in lan out wan
forward accept in wan proto tcp dport $FWD_PORT
forward accept in wan proto icmp
forward accept in wan proto icmpv6
nat masquerade out wan
EOF
}
policy "$WORK/prefilter.conf" 1
policy "$WORK/tc-only.conf" 0

xdp_mode() { fwctl -j status | jq -r ".interfaces[] | select(.name == \"$1\") | .xdp"; }
stat() { fwctl -j stats | jq -r ".$1"; }
gw_xdp_attached() { ip -n "$NS_GW" -d link show dev wan0 | grep -q 'prog/xdp'; }

step "services: a listener on the client, HTTP and iperf3 on the server"
start_tcp_listener "$NS_CLIENT" "$LAN4_CLIENT" "$FWD_PORT"
start_tcp_listener "$NS_CLIENT" "$LAN6_CLIENT" "$FWD_PORT"
mkdir -p "$WORK/www" && head -c 200000 /dev/urandom >"$WORK/www/blob"
start_http_server "$NS_SERVER" "$WAN4_SERVER" "$HTTP_PORT" "$WORK/www"

step "fwd with the prefilter on zone wan: XDP on wan0, none on lan0"
start_fwd "$WORK/prefilter.conf"
assert_eq "XDP mode of wan0 (veth has native XDP)" native "$(xdp_mode wan0)"
assert_eq "XDP mode of lan0 (no prefilter)" off "$(xdp_mode lan0)"
gw_xdp_attached || die "ip link shows no XDP program on wan0"
ok "ip link: $(ip -n "$NS_GW" -d link show dev wan0 | grep -o 'prog/xdp id [0-9]*')"

step "an interface of zone wan that appears gets the pre-filter"
ip -n "$NS_GW" link add wan1 type veth peer name wan1p
ip -n "$NS_GW" link set wan1 up
wan1_native() { [ "$(xdp_mode wan1)" = native ]; }
wait_for 5 "the XDP pre-filter on the new wan1" wan1_native
ok "wan1: $(ip -n "$NS_GW" -d link show dev wan1 | grep -o 'prog/xdp id [0-9]*')"
ip -n "$NS_GW" link del wan1

step "from the blocked address nothing gets through"
before=$(stat prefilter_blocked)
assert_probe "TCP $BLOCKED4 -> forwarded port" timeout "$NS_SERVER" "$LAN4_CLIENT" "$FWD_PORT" --src "$BLOCKED4" --timeout 1
assert_probe "TCP [$BLOCKED6] -> forwarded port" timeout "$NS_SERVER" "$LAN6_CLIENT" "$FWD_PORT" --src "$BLOCKED6" --timeout 1
in_server ping -n -q -c 2 -i 0.2 -W 1 -I "$BLOCKED4" "$LAN4_CLIENT" >/dev/null 2>&1 && die "ping from $BLOCKED4 got through"
in_server ping -n -q -c 2 -i 0.2 -W 1 -I "$BLOCKED4" "$WAN4_GW" >/dev/null 2>&1 && die "ping from $BLOCKED4 to the gateway got through"
ok "ping from $BLOCKED4 to the client and to the gateway: no answer"
after=$(stat prefilter_blocked)
assert_ge "prefilter_blocked grew by (SYN retries, pings)" 6 $((after - before))
assert_eq "no connection from the blocked address" 0 "$(ct_count_json src "$BLOCKED4")"

step "from an allowed WAN address, and from the LAN, traffic flows"
assert_probe "TCP $WAN4_SERVER -> forwarded port" connected "$NS_SERVER" "$LAN4_CLIENT" "$FWD_PORT" --src "$WAN4_SERVER"
assert_probe "TCP [$WAN6_SERVER] -> forwarded port" connected "$NS_SERVER" "$LAN6_CLIENT" "$FWD_PORT" --src "$WAN6_SERVER"
in_server ping -n -q -c 2 -i 0.2 -W 1 "$LAN4_CLIENT" >/dev/null || die "ping from $WAN4_SERVER failed"
ok "ping $WAN4_SERVER -> client"
in_client curl -sf -o "$WORK/blob" "http://$WAN4_SERVER:$HTTP_PORT/blob" || die "curl through masquerade failed"
cmp -s "$WORK/blob" "$WORK/www/blob" || die "curl through masquerade: the file differs"
ok "curl through masquerade: 200000 bytes, identical"
grep -q "$WAN4_GW" "$WORK/http-$NS_SERVER-$HTTP_PORT.log" || die "the HTTP server did not see the gateway's address"
ok "the server saw the masqueraded address $WAN4_GW"

COST=$TOPO_REPO/build/bench/prefilter_cost
if [ -x "$COST" ]; then
	step "cost per packet of the two flood packets, XDP program vs TC program (bench/prefilter_cost.c)"
	in_gw "$COST" wan0 "$BLOCKED4" "$SPOOF4" "$LAN4_CLIENT" 1000000 | tee -a "$WORK/results" ||
		die "bench/prefilter_cost failed"
fi

step "the XDP program removed by hand is attached again within seconds"
ip -n "$NS_GW" link set dev wan0 xdp off
wait_for 5 "the XDP pre-filter back on wan0" gw_xdp_attached
ok "back: $(ip -n "$NS_GW" -d link show dev wan0 | grep -o 'prog/xdp id [0-9]*'); reattached $(fwctl -j status | jq '.interfaces[] | select(.name == "wan0") | .reattached')"
grep -q "wan0: the XDP pre-filter was removed; attached again" "$FWD_LOG" || die "fwd did not warn about the removed XDP program"

# flood_run LABEL: iperf3 LAN -> WAN while hping3 floods from the WAN (blocked SYNs, then ACKs
# of no connection); prints one result line and keeps its figures in R[LABEL.sent|xdp|tc].
declare -A R=()
flood_run() {
	local label=$1 dur=$((2 * FLOOD_S + 4)) st0 st1 sent_syn sent_ack netrx0 netrx1
	local xdp0 xdp1 tc0 tc1 rc
	bg_in_ns "$NS_SERVER" iperf3 -s -1 -B "$WAN4_SERVER" -p "$IPERF_PORT" >"$WORK/iperf-server-$label.log" 2>&1
	wait_for 5 "iperf3 server" tcp_listening "$NS_SERVER" "$WAN4_SERVER" "$IPERF_PORT"
	bg_in_ns "$NS_CLIENT" timeout $((dur + 15)) iperf3 -c "$WAN4_SERVER" -p "$IPERF_PORT" -t "$dur" -i 1 -b 200M -J \
		--connect-timeout 3000 >"$WORK/iperf-$label.json" 2>"$WORK/iperf-$label.err"
	local iperf_pid=$BG_PID
	sleep 2
	xdp0=$(($(stat prefilter_blocked) + $(stat prefilter_untracked)))
	tc0=$(stat verdict_drop)
	read -r -a st0 < <(grep '^cpu ' /proc/stat)
	netrx0=$(awk '/NET_RX/ { for (i = 2; i <= NF; i++) s += $i; print s }' /proc/softirqs)
	touch "$WORK/flooding"
	(while [ -e "$WORK/flooding" ]; do
		fwctl status >/dev/null || echo fail >>"$WORK/status-$label"
		echo ok >>"$WORK/status-$label"
		sleep 0.3
	done) &
	local status_pid=$!
	TOPO_PIDS+=("$status_pid")
	in_server timeout "$FLOOD_S" hping3 --flood -S -a "$BLOCKED4" -p "$FWD_PORT" "$LAN4_CLIENT" >"$WORK/hping-syn-$label.log" 2>&1 || true
	in_server timeout "$FLOOD_S" hping3 --flood -A -a "$SPOOF4" -p "$FWD_PORT" "$LAN4_CLIENT" >"$WORK/hping-ack-$label.log" 2>&1 || true
	rm -f "$WORK/flooding"
	wait "$status_pid" || true
	read -r -a st1 < <(grep '^cpu ' /proc/stat)
	netrx1=$(awk '/NET_RX/ { for (i = 2; i <= NF; i++) s += $i; print s }' /proc/softirqs)
	xdp1=$(($(stat prefilter_blocked) + $(stat prefilter_untracked)))
	tc1=$(stat verdict_drop)
	sent_syn=$(grep -Eo '^[0-9]+ packets transmitted' "$WORK/hping-syn-$label.log" | grep -Eo '^[0-9]+' || echo 0)
	sent_ack=$(grep -Eo '^[0-9]+ packets transmitted' "$WORK/hping-ack-$label.log" | grep -Eo '^[0-9]+' || echo 0)
	rc=0
	wait "$iperf_pid" || rc=$?
	[ $rc -eq 0 ] || die "$label: iperf3 exited with status $rc: $(cat "$WORK/iperf-$label.err")"
	assert_eq "$label: iperf3 intervals without any data" 0 "$(jq '[.intervals[].sum | select(.bytes == 0)] | length' "$WORK/iperf-$label.json")"
	assert_eq "$label: fwctl status failures during the flood" 0 "$(grep -c fail "$WORK/status-$label" || true)"
	assert_ge "$label: fwctl status answers during the flood" 3 "$(grep -c ok "$WORK/status-$label")"
	local sent=$((sent_syn + sent_ack))
	[ "$sent" -gt 0 ] || die "$label: hping3 sent nothing ($(cat "$WORK/hping-syn-$label.log"))"
	# /proc/stat: user nice system idle iowait irq softirq (USER_HZ ticks, every CPU)
	local soft=$((st1[7] - st0[7])) hz
	hz=$(getconf CLK_TCK)
	R[$label.sent]=$sent
	R[$label.xdp]=$((xdp1 - xdp0))
	R[$label.tc]=$((tc1 - tc0))
	printf '  %-9s flood %7d pkts (%6d/s: SYN %d/s, ACK %d/s) | dropped at XDP %7d, at TC %7d | softirq CPU %5.2f s = %6.2f s per M pkts | NET_RX softirqs per M pkts %7d | iperf3 %s Mbit/s\n' \
		"$label" "$sent" $((sent / (2 * FLOOD_S))) $((sent_syn / FLOOD_S)) $((sent_ack / FLOOD_S)) \
		$((xdp1 - xdp0)) $((tc1 - tc0)) "$(echo "$soft / $hz" | bc -l)" \
		"$(echo "$soft / $hz * 1000000 / $sent" | bc -l)" $(((netrx1 - netrx0) * 1000000 / sent)) \
		"$(jq -r '.end.sum_received.bits_per_second / 1e6 | floor' "$WORK/iperf-$label.json")" | tee -a "$WORK/results"
}

step "flood with the prefilter (XDP), ${FLOOD_S}s blocked SYNs + ${FLOOD_S}s untracked ACKs, iperf3 LAN -> WAN"
flood_run xdp
assert_gt "flood packets dropped at XDP" 0 "${R[xdp.xdp]}"
# What the XDP program dropped never reached TC: TC's drops stay a small part of the flood.
assert_gt "XDP dropped more of the flood than TC" "${R[xdp.tc]}" "${R[xdp.xdp]}"

step "reload without the prefilter: fwd removes the XDP program"
fwctl policy load "$WORK/tc-only.conf" >/dev/null
assert_eq "XDP mode of wan0 after the reload" off "$(xdp_mode wan0)"
gw_xdp_attached && die "an XDP program is still on wan0"
ok "no XDP program on wan0"
assert_probe "TC-only: TCP $BLOCKED4 -> forwarded port (dropped by the forward rule)" timeout "$NS_SERVER" "$LAN4_CLIENT" "$FWD_PORT" --src "$BLOCKED4" --timeout 1

step "the same flood TC-only"
flood_run tc_only
assert_eq "flood packets dropped at XDP when TC-only" 0 "${R[tc_only.xdp]}"
assert_gt "flood packets dropped at TC when TC-only" 0 "${R[tc_only.tc]}"

step "comparison (for bench/README.md; the machine is shared, so softirq time is noisy)"
cat "$WORK/results"

step "reload with the prefilter again; a killed fwd leaves it, the next one replaces it in place"
fwctl policy load "$WORK/prefilter.conf" >/dev/null
assert_eq "XDP mode of wan0 after reloading the prefilter" native "$(xdp_mode wan0)"
stop_fwd KILL
gw_xdp_attached || die "fwd was killed and the XDP program went with it"
ok "fwd killed: $(ip -n "$NS_GW" -d link show dev wan0 | grep -o 'prog/xdp id [0-9]*') stays"
assert_probe "TCP $BLOCKED4 -> forwarded port with fwd dead" timeout "$NS_SERVER" "$LAN4_CLIENT" "$FWD_PORT" --src "$BLOCKED4" --timeout 1
start_fwd "$WORK/prefilter.conf"
grep -q "wan0: XDP pre-filter replaced in place (native mode)" "$FWD_LOG" || die "the new fwd did not replace the XDP program in place: $(grep -i xdp "$FWD_LOG")"
ok "the new fwd replaced the XDP program in place"
assert_probe "TCP $BLOCKED4 -> forwarded port after the restart" timeout "$NS_SERVER" "$LAN4_CLIENT" "$FWD_PORT" --src "$BLOCKED4" --timeout 1

step "a full stop removes it"
stop_fwd TERM
gw_xdp_attached && die "fwd stopped but its XDP program is still on wan0"
ok "no XDP program on wan0 after the stop"

step "after a SIGKILL, fwd --cleanup removes it"
start_fwd "$WORK/prefilter.conf"
stop_fwd KILL
gw_xdp_attached || die "fwd was killed and the XDP program went with it"
run_expect "fwd --cleanup" 0 nsenter --net="/run/netns/$NS_GW" -- timeout 30 "$FWD" --cleanup \
	--pin-dir "$FWD_PIN_DIR" --socket "$FWD_SOCKET" -c "$WORK/prefilter.conf"
gw_xdp_attached && die "fwd --cleanup left the XDP program on wan0"
ok "no XDP program on wan0 after fwd --cleanup"
echo "PASS test_xdp_prefilter"

#!/usr/bin/env bash
# test_policy_gateway.sh - the example gateway policy of the policy language, adapted to the
# test's interfaces and addresses, enforced on real connections:
#   - the LAN reaches the WAN (IPv4 and IPv6); replies come back through conntrack
#   - the WAN cannot open connections to the LAN, nor to the gateway's ports (drop: timeout)
#   - 'reject' answers with a reset (the client sees "connection refused" at once)
#   - port 22 on the gateway is open to @admins only
#   - a policy reload during an iperf3 transfer does not disturb it
#   - a policy that fails to load changes nothing
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
e2e_init policy_gateway
topo_create
command -v iperf3 >/dev/null || die "iperf3 is missing (scripts/install-deps.sh installs it)"

ADMIN4=$WAN4_SERVER     # in @admins
OTHER4=203.0.113.3      # a second address of the server, not in @admins
ADMIN6=$WAN6_SERVER
BLOCKED4=203.0.113.66     # in @blocked
ip -n "$NS_SERVER" addr add "$OTHER4/24" dev eth0
ip -n "$NS_SERVER" addr add "$BLOCKED4/24" dev eth0

# The example of policy-language.md with this topology's zones and addresses; the port
# forward and NAT lines belong to the NAT tests.
policy() { # EXTRA-RULE-LINES
	cat <<EOF
# test_policy_gateway: the documented home/office gateway
zone lan { lan0 }
zone wan { wan0 }

set admins { $ADMIN4, 2001:db8:77:2::/64 }
set blocked { 203.0.113.66, 203.0.113.128/25 }

defaults {
    input   drop
    forward drop
    output  accept
    invalid drop
}

input   accept in lan
input   accept proto tcp dport 22 from @admins
input   accept proto icmp
input   accept proto icmpv6
input   reject in wan proto tcp dport 23          # telnet: refuse loudly
forward drop   from @blocked log
forward reject in lan proto tcp dport 25          # SMTP out: refuse with a TCP reset
forward accept in lan out wan
$1
EOF
}
policy "" >"$WORK/policy.conf"
fwctl_policy_check() { nsenter --net="/run/netns/$NS_GW" -- "$FWCTL" policy check "$1"; }
fwctl_policy_check "$WORK/policy.conf" >/dev/null || die "fwctl policy check rejects the test's policy"

step "listeners: HTTP on the server and on the client, ports 22/23/80 on the gateway, 25 on the server"
mkdir -p "$WORK/www"
echo hello >"$WORK/www/index.html"
start_http_server "$NS_SERVER" "$WAN4_SERVER" 80 "$WORK/www"
start_http_server "$NS_SERVER" "$WAN6_SERVER" 80 "$WORK/www"
start_http_server "$NS_CLIENT" "$LAN4_CLIENT" 80 "$WORK/www"
start_http_server "$NS_CLIENT" "$LAN6_CLIENT" 80 "$WORK/www"
start_tcp_listener "$NS_SERVER" "$WAN4_SERVER" 25
start_tcp_listener "$NS_GW" :: 22 # IPv4 and IPv6 (dual-stack socket)
start_tcp_listener "$NS_GW" 0.0.0.0 23
start_tcp_listener "$NS_GW" 0.0.0.0 80
start_tcp_listener "$NS_GW" :: 2222

step "without fwd every connection goes through (so what follows is the policy's doing)"
assert_probe "server -> client:80" connected "$NS_SERVER" "$LAN4_CLIENT" 80
assert_probe "server -> gateway:80" connected "$NS_SERVER" "$WAN4_GW" 80
assert_probe "client -> server:25" connected "$NS_CLIENT" "$WAN4_SERVER" 25

step "fwd with the gateway policy"
start_fwd "$WORK/policy.conf"

step "LAN -> WAN: accepted, replies come back"
assert_probe "client -> server:80 (IPv4)" connected "$NS_CLIENT" "$WAN4_SERVER" 80
assert_probe "client -> server:80 (IPv6)" connected "$NS_CLIENT" "$WAN6_SERVER" 80
got=$(in_client curl -sS --max-time 5 "http://$WAN4_SERVER/") || die "curl client -> server failed"
assert_eq "HTTP body from the server" hello "$got"
in_client ping -n -q -c 1 -W 2 "$WAN4_SERVER" >/dev/null || die "ping client -> server failed"
ok "ping client -> server"

step "WAN -> LAN: dropped (forward drop)"
assert_probe "server -> client:80 (IPv4)" timeout "$NS_SERVER" "$LAN4_CLIENT" 80
assert_probe "server -> client:80 (IPv6)" timeout "$NS_SERVER" "$LAN6_CLIENT" 80
in_server ping -n -q -c 1 -W 1 "$LAN4_CLIENT" >/dev/null 2>&1 && die "ping server -> client went through"
ok "ping server -> client: no answer"

step "WAN -> gateway: closed ports dropped, 'reject' refused, ICMP accepted"
assert_probe "server -> gateway:80 (input drop)" timeout "$NS_SERVER" "$WAN4_GW" 80
assert_probe "server -> gateway:23 (input reject)" refused "$NS_SERVER" "$WAN4_GW" 23
in_server ping -n -q -c 1 -W 2 "$WAN4_GW" >/dev/null || die "ping server -> gateway failed (input accept proto icmp)"
ok "ping server -> gateway"

step "port 22 on the gateway: from @admins only"
assert_probe "admin $ADMIN4 -> gateway:22" connected "$NS_SERVER" "$WAN4_GW" 22 --src "$ADMIN4"
assert_probe "other $OTHER4 -> gateway:22" timeout "$NS_SERVER" "$WAN4_GW" 22 --src "$OTHER4"
assert_probe "admin $ADMIN6 -> gateway:22 (IPv6)" connected "$NS_SERVER" "$WAN6_GW" 22

step "forward drop from @blocked log: dropped, and logged to fwctl monitor"
start_monitor "$WORK/events.jsonl"
assert_probe "blocked $BLOCKED4 -> client:80" timeout "$NS_SERVER" "$LAN4_CLIENT" 80 --src "$BLOCKED4"
wait_for 5 "a log event for the blocked source" \
	has_event "$WORK/events.jsonl" ".type == \"log\" and .src == \"$BLOCKED4\""
ev=$(events "$WORK/events.jsonl" ".type == \"log\" and .src == \"$BLOCKED4\"" | head -n 1)
printf '  log event: %s\n' "$ev"
assert_field "log event" "$ev" .verdict drop
assert_field "log event" "$ev" .chain forward
assert_field "log event" "$ev" .dport 80

step "LAN -> gateway: everything (input accept in lan)"
assert_probe "client -> gateway:80" connected "$NS_CLIENT" "$LAN4_GW" 80

step "forward reject in lan proto tcp dport 25: the client is refused at once"
assert_probe "client -> server:25" refused "$NS_CLIENT" "$WAN4_SERVER" 25

step "fwctl rule list counts the hits of the rules that decided"
rules=$(fwctl -j rule list) || die "fwctl -j rule list failed"
rule_hits() { jq -r --arg t "$1" '.[] | select(.text == $t) | .hits' <<<"$rules"; }
assert_ge "hits of 'forward accept in lan out wan'" 3 "$(rule_hits "forward accept in lan out wan")"
assert_ge "hits of 'input accept from @admins proto tcp dport 22'" 2 \
	"$(rule_hits "input accept from @admins proto tcp dport 22")"
assert_ge "hits of 'forward drop from @blocked log'" 1 "$(rule_hits "forward drop from @blocked log")"
assert_ge "hits of 'forward reject in lan proto tcp dport 25'" 1 \
	"$(rule_hits "forward reject in lan proto tcp dport 25")"
assert_eq "hits of 'input reject in wan proto tcp dport 23'" 1 \
	"$(rule_hits "input reject in wan proto tcp dport 23")"

# ---- reload during a transfer --------------------------------------------------------------------
step "policy reload during an iperf3 transfer"
policy "input   accept in wan proto tcp dport 2222   # added by the reload" >"$WORK/policy2.conf"
bg_in_ns "$NS_SERVER" iperf3 -s -1 -B "$WAN4_SERVER" >"$WORK/iperf-server.log" 2>&1
wait_for 5 "iperf3 server" tcp_listening "$NS_SERVER" "$WAN4_SERVER" 5201
bg_in_ns "$NS_CLIENT" iperf3 -c "$WAN4_SERVER" -t 6 -i 1 -b 300M -J --connect-timeout 3000 \
	>"$WORK/iperf.json" 2>"$WORK/iperf.err"
iperf_pid=$BG_PID
sleep 2
assert_probe "server -> gateway:2222 before the reload" timeout "$NS_SERVER" "$WAN6_GW" 2222
fwctl policy load "$WORK/policy2.conf" || die "fwctl policy load policy2.conf failed"
ok "policy2.conf loaded"
assert_probe "server -> gateway:2222 after the reload" connected "$NS_SERVER" "$WAN6_GW" 2222
rc=0
wait "$iperf_pid" || rc=$?
[ $rc -eq 0 ] || die "iperf3 across the reload exited with status $rc: $(cat "$WORK/iperf.err")"
printf '  Mbit/s per interval: %s\n' \
	"$(jq -r '[.intervals[].sum | (.bytes * 8 / .seconds / 1e6 | floor | tostring)] | join(" ")' "$WORK/iperf.json")"
assert_eq "iperf3 intervals without data across the reload" 0 \
	"$(jq '[.intervals[].sum | select(.bytes == 0)] | length' "$WORK/iperf.json")"

# ---- a bad policy changes nothing -----------------------------------------------------------------
step "a policy that fails to load changes nothing"
# Rules only: hit counts ("# hits N") may move.
policy_rules() { fwctl policy show | sed 's/ *# *hits [0-9]*//'; }
shown_before=$(policy_rules) || die "fwctl policy show failed"
printf 'zone lan { lan0 }\nforward accept in lan out nowhere\n' >"$WORK/bad.conf"
run_expect "fwctl policy load bad.conf" 1 fwctl policy load "$WORK/bad.conf"
assert_match "the error names the place" 'bad\.conf:2:[0-9]+:' "$RUN_ERR"
assert_eq "fwctl policy show after the failed load" "$shown_before" "$(policy_rules)"
assert_probe "client -> server:80 still accepted" connected "$NS_CLIENT" "$WAN4_SERVER" 80
assert_probe "server -> client:80 still dropped" timeout "$NS_SERVER" "$LAN4_CLIENT" 80
assert_probe "server -> gateway:2222 (rule of the reload) still open" connected "$NS_SERVER" "$WAN6_GW" 2222

step "fwd stops cleanly"
stop_fwd TERM
echo "PASS test_policy_gateway"

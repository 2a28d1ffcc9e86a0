#!/usr/bin/env bash
# test_policy_vocab.sh - the policy language's names and lists, and rule counters:
#   - 'dport ssh' (a service name) lets port 22 through and not 23 (nc)
#   - 'proto icmp type echo-request': ping gets through, an ICMP timestamp request does not
#   - 'from { ADDR, FIRST-LAST }' and 'proto { tcp, udp }' in the same policy
#   - NAT66 is refused by 'policy check' and 'policy load' with file:line:col
#   - rule hit counts survive 'policy load' of the same policy with one rule added in front
#     (the ids move), 'fwctl rule reset ID' and 'fwctl rule reset' zero them, and a restart of
#     fwd over its pinned maps (--keep) keeps them; bytes beside hits
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
e2e_init policy_vocab
topo_create
command -v hping3 >/dev/null || die "hping3 is missing (scripts/install-deps.sh installs it)"

# RULES: the rules after the zones and defaults.
policy() {
	cat <<EOF
zone lan { lan0 }
zone wan { wan0 }
defaults { input drop; forward drop; output accept; invalid drop }
$1
input accept in lan proto icmpv6 type echo-request
forward accept in lan out wan from { $LAN4_CLIENT, 10.77.1.100-10.77.1.120 } proto { tcp, udp } dport ssh comment "ssh out"
forward accept in lan out wan proto icmp type echo-request comment "ping out"
EOF
}
policy "" >"$WORK/policy.conf"
policy "forward accept in lan out wan proto udp dport domain" >"$WORK/policy2.conf"

# hits ID-OR-COMMENT: the hits of the rule with that comment in `fwctl rule list -j`.
hits_of() {
	fwctl -j rule list | jq -r --arg c "$1" '.[] | select(.text | contains("comment \"" + $c + "\"")) | .hits'
}
bytes_of() {
	fwctl -j rule list | jq -r --arg c "$1" '.[] | select(.text | contains("comment \"" + $c + "\"")) | .bytes'
}
id_of() {
	fwctl -j rule list | jq -r --arg c "$1" '.[] | select(.text | contains("comment \"" + $c + "\"")) | .id'
}

step "fwctl policy check accepts the names and lists"
fwctl policy check "$WORK/policy.conf" || die "policy check of policy.conf failed"

step "NAT66 is refused with file:line:col, by check and by load"
printf 'zone lan { lan0 }\nzone wan { wan0 }\nnat masquerade out wan from 2001:db8:77:1::/64\n' \
	>"$WORK/nat66.conf"
run_expect "fwctl policy check nat66.conf" 1 fwctl policy check "$WORK/nat66.conf"
assert_match "the error names file:line:col and NAT66" 'nat66\.conf:3:1: NAT66 is not supported' "$RUN_ERR"
printf 'zone lan { lan0 }\nzone wan { wan0 }\nnat dnat in wan proto tcp dport 80 -> [2001:db8:77:1::2]:80\n' \
	>"$WORK/dnat66.conf"
run_expect "fwctl policy check dnat66.conf" 1 fwctl policy check "$WORK/dnat66.conf"
assert_match "the error names the IPv6 target" 'dnat66\.conf:3:39: NAT66 is not supported: the IPv6 target 2001:db8:77:1::2' "$RUN_ERR"

step "fwd with the policy"
start_fwd "$WORK/policy.conf" --keep
start_tcp_listener "$NS_SERVER" "$WAN4_SERVER" 22
start_tcp_listener "$NS_SERVER" "$WAN4_SERVER" 23
run_expect "fwctl policy load nat66.conf" 1 fwctl policy load "$WORK/nat66.conf"
assert_match "policy load names file:line:col" 'nat66\.conf:3:1: NAT66 is not supported' "$RUN_ERR"

step "'dport ssh': port 22 through, port 23 not (nc)"
in_client nc -n -z -w 3 "$WAN4_SERVER" 22 || die "nc to port 22 (dport ssh) failed"
ok "nc -z $WAN4_SERVER 22 connected"
if in_client nc -n -z -w 2 "$WAN4_SERVER" 23; then
	die "nc to port 23 connected: only ssh (22) is allowed"
fi
ok "nc -z $WAN4_SERVER 23 did not connect"
assert_probe "client -> server:23" timeout "$NS_CLIENT" "$WAN4_SERVER" 23

step "'proto icmp type echo-request': ping through, timestamp requests not"
in_client ping -n -c 2 -i 0.2 -W 2 "$WAN4_SERVER" >/dev/null || die "ping through the gateway failed"
ok "ping $WAN4_SERVER"
ts=$(in_client hping3 --icmp --icmptype 13 -c 3 -i u200000 "$WAN4_SERVER" 2>&1 || true)
assert_match "hping3 timestamp requests: none answered" '3 packets transmitted, 0 packets received' "$ts"
in_client ping -n -c 1 -W 2 "$LAN6_GW" >/dev/null || die "IPv6 ping of the gateway (icmpv6 type echo-request) failed"
ok "ping $LAN6_GW (icmpv6 type echo-request; neighbour discovery passes)"

step "rule counters"
ssh_hits=$(hits_of "ssh out")
ping_hits=$(hits_of "ping out")
assert_ge "hits of the ssh rule" 1 "$ssh_hits"
assert_eq "hits of the ping rule (one ping run: one connection)" 1 "$ping_hits"
ssh_id=$(id_of "ssh out")
ping_bytes=$(bytes_of "ping out")
# ping's first echo request: 20 (IPv4) + 8 (ICMP) + 56 (data) bytes
assert_eq "bytes of the ping rule (one echo request decided)" 84 "$ping_bytes"
assert_match "fwctl rule list shows hits and bytes" '# hits 1 bytes 84' "$(fwctl rule list)"

step "policy load of the same policy with one rule in front: unchanged rules keep their hits"
fwctl policy load "$WORK/policy2.conf" || die "fwctl policy load policy2.conf failed"
new_ssh_id=$(id_of "ssh out")
assert_ne "the ssh rule's id after the load (a rule came in front)" "$ssh_id" "$new_ssh_id"
assert_eq "hits of the ssh rule after the load" "$ssh_hits" "$(hits_of "ssh out")"
assert_eq "hits of the ping rule after the load" "$ping_hits" "$(hits_of "ping out")"
assert_eq "bytes of the ping rule after the load" "$ping_bytes" "$(bytes_of "ping out")"
assert_eq "hits of the new rule" 0 "$(fwctl -j rule list | jq -r '.[] | select(.text | contains("dport 53")) | .hits')"
in_client ping -n -c 1 -W 2 "$WAN4_SERVER" >/dev/null || die "ping after the load failed"
assert_eq "hits of the ping rule after one more ping" $((ping_hits + 1)) "$(hits_of "ping out")"

step "a restart of fwd over its pinned maps keeps the counters"
stop_fwd TERM
start_fwd "$WORK/policy2.conf" --keep
assert_eq "hits of the ssh rule after the restart" "$ssh_hits" "$(hits_of "ssh out")"
assert_eq "hits of the ping rule after the restart" $((ping_hits + 1)) "$(hits_of "ping out")"
assert_eq "bytes of the ping rule after the restart" $((2 * ping_bytes)) "$(bytes_of "ping out")"

step "fwctl rule reset ID, then fwctl rule reset"
fwctl rule reset "$new_ssh_id" >/dev/null || die "fwctl rule reset $new_ssh_id failed"
assert_eq "hits of the ssh rule after its reset" 0 "$(hits_of "ssh out")"
assert_eq "bytes of the ssh rule after its reset" 0 "$(bytes_of "ssh out")"
assert_eq "hits of the ping rule (not reset)" $((ping_hits + 1)) "$(hits_of "ping out")"
run_expect "fwctl rule reset of a rule that does not exist" 1 fwctl rule reset 999
run_expect "fwctl rule reset with a bad id" 2 fwctl rule reset x
fwctl rule reset >/dev/null || die "fwctl rule reset failed"
assert_eq "hits of the ping rule after reset of all" 0 "$(hits_of "ping out")"
assert_eq "bytes of the ping rule after reset of all" 0 "$(bytes_of "ping out")"
in_client nc -n -z -w 3 "$WAN4_SERVER" 22 || die "nc to port 22 after the resets failed"
assert_eq "hits of the ssh rule count again" 1 "$(hits_of "ssh out")"

step "fwd stops cleanly"
stop_fwd TERM
start_fwd "$WORK/policy2.conf"
stop_fwd TERM
echo "PASS test_policy_vocab"

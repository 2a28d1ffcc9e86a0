#!/usr/bin/env bash
# test_nmap_scan.sh - what a scanner on the WAN sees is exactly what the policy opens.
#
# nmap SYN and UDP scans from the WAN side, against the gateway and against a LAN host behind
# it. Services listen on ports the policy opens and on ports it does not; a port the policy
# opens answers (open, or closed when nothing listens: the host's RST / ICMP unreachable comes
# back through conntrack as a reply / RELATED), a port it does not open gives no answer at all
# (filtered; for UDP open|filtered). The set of answering ports must equal the set the policy
# opens, for both targets and both protocols. Scans are bounded (a port list, -T4, one retry).
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
e2e_init nmap_scan
topo_create
command -v nmap >/dev/null || die "nmap is missing (scripts/install-deps.sh installs it)"

# On the gateway: tcp 22 and 2222 open by policy (22 listens, 2222 does not), 8081 listens but
# is closed by policy; udp 53 open (echo listens), 54 open (nothing listens), 55 listens, closed.
# On the LAN host: tcp 8000 open (listens), 8001 open (nothing), 8080 listens but closed; udp
# 5353 open (echo), 5354 open (nothing), 5355 listens, closed.
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
input   accept in wan proto tcp dport { 22, 2222 }
input   accept in wan proto udp dport { 53, 54 }
input   accept in wan proto icmp
forward accept in lan out wan
forward accept in wan proto tcp dport { 8000, 8001 }
forward accept in wan proto udp dport { 5353, 5354 }
EOF
GW_TCP_OPEN="22,2222"
GW_UDP_OPEN="53,54"
LAN_TCP_OPEN="8000,8001"
LAN_UDP_OPEN="5353,5354"
TCP_PORTS="1-1024,2222,8000,8001,8080,8081"
UDP_PORTS="53,54,55,5353,5354,5355"

step "listeners: on ports the policy opens and on ports it does not"
start_tcp_listener "$NS_GW" "$WAN4_GW" 22
start_tcp_listener "$NS_GW" "$WAN4_GW" 8081
start_tcp_listener "$NS_CLIENT" "$LAN4_CLIENT" 8000
start_tcp_listener "$NS_CLIENT" "$LAN4_CLIENT" 8080
start_udp_echo "$NS_GW" "$WAN4_GW" 53
start_udp_echo "$NS_GW" "$WAN4_GW" 55
start_udp_echo "$NS_CLIENT" "$LAN4_CLIENT" 5353
start_udp_echo "$NS_CLIENT" "$LAN4_CLIENT" 5355
start_fwd "$WORK/policy.conf"

# answering HOW TARGET PORTS: the ports nmap found open or closed (not filtered), comma-joined
answering() {
	local how=$1 target=$2 ports=$3 out
	out="$WORK/nmap-${how#-}-$target.gnmap"
	in_server timeout 120 nmap -n -Pn "$how" -p "$ports" -T4 --max-retries 1 \
		--host-timeout 100s -oG "$out" "$target" >/dev/null ||
		die "nmap $how $target failed: $(cat "$out" 2>/dev/null)"
	# Greppable output: "Ports: 22/open/tcp//ssh///, 23/filtered/tcp//..."
	grep -o 'Ports: .*' "$out" | tr ',' '\n' | sed 's/^ *Ports: //; s/^ *//' |
		awk -F/ '$2 == "open" || $2 == "closed" { print $1 }' | sort -n | paste -sd, -
}

for spec in "gateway $WAN4_GW -sS $TCP_PORTS $GW_TCP_OPEN" \
	"gateway $WAN4_GW -sU $UDP_PORTS $GW_UDP_OPEN" \
	"lan-host $LAN4_CLIENT -sS $TCP_PORTS $LAN_TCP_OPEN" \
	"lan-host $LAN4_CLIENT -sU $UDP_PORTS $LAN_UDP_OPEN"; do
	read -r what target how ports want <<<"$spec"
	step "nmap $how from the WAN against the $what ($target), ports $ports"
	got=$(answering "$how" "$target" "$ports")
	printf '  answering ports: %s\n' "${got:-none}"
	assert_eq "ports answering an $how scan of the $what (= what the policy opens)" "$want" "$got"
done

stats=$(fwctl -j stats)
printf '  dropped by policy: %s packets; invalid: %s\n' "$(jq .verdict_drop <<<"$stats")" "$(jq .ct_invalid <<<"$stats")"
stop_fwd TERM
echo "PASS test_nmap_scan"

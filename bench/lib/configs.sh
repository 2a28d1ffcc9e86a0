# shellcheck shell=bash
# configs.sh - what the gateway is, one configuration at a time: set up, check, tear down.
#
#   plain         forwarding only, no firewall: the physical limit of this chain. No NAT, so
#                 the router gets a return route to the LAN.
#   tcfw          fwd with bench/policies/gateway.conf (the language's example gateway policy:
#                 stateful forward policy + masquerade).
#   nftables      bench/nftables/gateway.nft: the same policy for nftables (ct state
#                 established,related accept, the same rules, masquerade).
#   tcfw-10k      tcfw with the example policy + 10,000 filler rules before its accept rule.
#   nftables-10k  nftables with the same 10,000 rules at the same place.
#
# Every configuration is checked before it is measured: a request from the client must reach
# the server, and the address the server sees must be the gateway's (NAT) or the client's (no
# NAT). A tcfw build that lacks a feature the policy needs is detected here, once, and the
# configuration is measured in the nearest way that works, with a note that says how
# (CFG_NOTE); nothing is measured as "tcfw" that tcfw did not do.

CONFIGS_ALL="plain tcfw nftables tcfw-10k nftables-10k"
FILLER_RULES=10000

# shellcheck disable=SC2034 # read by run.sh and phases.sh
declare -gA CFG_MODE=() # tcfw: nat | routed | open-nat | open-routed; unknown until probed
# shellcheck disable=SC2034
declare -gA CFG_NOTE=() # what differs from the configuration's definition, for the results
declare -gA CFG_FAILED=() # a reason when the configuration could not be set up at all

config_title() {
	case $1 in
	plain) echo "plain forwarding" ;;
	tcfw) echo "tcfw" ;;
	nftables) echo "nftables" ;;
	tcfw-10k) echo "tcfw, 10,000 rules" ;;
	nftables-10k) echo "nftables, 10,000 rules" ;;
	esac
}

# configs_prepare: generate the rule files once (deterministic, see gen_rules.py).
configs_prepare() {
	local g="$BENCH_DIR/gen_rules.py"
	if ! { "$PYTHON" "$g" gateway-tcfw 0 "$WORK/tcfw.conf" &&
		"$PYTHON" "$g" gateway-tcfw "$FILLER_RULES" "$WORK/tcfw-10k.conf" &&
		"$PYTHON" "$g" gateway-nft 0 "$WORK/nftables.nft" &&
		"$PYTHON" "$g" gateway-nft "$FILLER_RULES" "$WORK/nftables-10k.nft"; }; then
		die "cannot generate the rule files with $g"
	fi
	# The same policies with 'forward accept' as the default: used only if the datapath does not
	# classify rules (then 'forward drop' would stop every connection), and then said so.
	local c
	for c in tcfw tcfw-10k; do
		sed 's/^    forward drop$/    forward accept/' "$WORK/$c.conf" >"$WORK/$c-open.conf"
		if cmp -s "$WORK/$c.conf" "$WORK/$c-open.conf"; then
			die "cannot make the forward-accept variant of $c.conf (no '    forward drop' line)"
		fi
	done
}

# ---- nftables ---------------------------------------------------------------------------------
nft_setup() { # FILE
	in_ns "$NS_GW" nft -f "$1" || return 1
	# The policy's timeouts block, as conntrack settings (they exist once nft loaded conntrack).
	in_ns "$NS_GW" sysctl -qw net.netfilter.nf_conntrack_tcp_timeout_established=86400 \
		net.netfilter.nf_conntrack_tcp_timeout_syn_sent=30 \
		net.netfilter.nf_conntrack_udp_timeout=30 \
		net.netfilter.nf_conntrack_udp_timeout_stream=180 \
		net.netfilter.nf_conntrack_icmp_timeout=30 2>/dev/null ||
		say "    (could not apply the policy's timeouts as nf_conntrack sysctls; defaults stay)"
}

nft_teardown() {
	# Connections conntrack tracked stay in its table until they time out, unused while no
	# ruleset asks for conntrack (tcfw and plain forwarding do not).
	in_ns "$NS_GW" nft delete table inet tcfwbench 2>/dev/null || true
}

# ---- tcfw -------------------------------------------------------------------------------------
# tcfw_try NAME POLICY ROUTE EXPECT: fwd with POLICY, return route on|off; the server must see
# EXPECT. Leaves fwd running on success.
tcfw_try() {
	local name=$1 policy=$2 route=$3 expect=$4 seen
	bench_route_lan "$route"
	fwd_start "$name" "$policy"
	seen=$(whoami)
	[ "$seen" = "$expect" ] && return 0
	fwd_stop
	return 1
}

# tcfw_probe NAME: find, once, how this tcfw build can run the configuration.
tcfw_probe() {
	local name=$1 policy="$WORK/$1.conf" open="$WORK/$1-open.conf"
	if tcfw_try "$name" "$policy" off "$BENCH_GW_WAN"; then
		CFG_MODE[$name]="nat"
		return 0
	fi
	if tcfw_try "$name" "$policy" on "$BENCH_CLIENT"; then
		CFG_MODE[$name]="routed"
		CFG_NOTE[$name]="masquerade not executed by this datapath build; measured with routing instead (the router has a return route to the LAN)"
		return 0
	fi
	if tcfw_try "$name" "$open" off "$BENCH_GW_WAN"; then
		CFG_MODE[$name]="open-nat"
		CFG_NOTE[$name]="rules not classified by this datapath build (the policy's 'forward drop' default would stop every connection); measured with 'forward accept' as the default, conntrack and masquerade as configured"
		return 0
	fi
	if tcfw_try "$name" "$open" on "$BENCH_CLIENT"; then
		CFG_MODE[$name]="open-routed"
		# shellcheck disable=SC2034 # read by run.sh (the results), which sources this file
		CFG_NOTE[$name]="rules not classified and masquerade not executed by this datapath build; measured with 'forward accept' as the default (every connection still tracked) and routing instead of NAT (the router has a return route to the LAN)"
		return 0
	fi
	CFG_FAILED[$name]="no traffic passes the gateway with tcfw, even with 'forward accept' and a return route (fwd logs in $WORK)"
	return 1
}

tcfw_setup() { # NAME
	local name=$1
	case ${CFG_MODE[$name]:-} in
	"") tcfw_probe "$name" ;;
	nat) tcfw_try "$name" "$WORK/$name.conf" off "$BENCH_GW_WAN" ;;
	routed) tcfw_try "$name" "$WORK/$name.conf" on "$BENCH_CLIENT" ;;
	open-nat) tcfw_try "$name" "$WORK/$name-open.conf" off "$BENCH_GW_WAN" ;;
	open-routed) tcfw_try "$name" "$WORK/$name-open.conf" on "$BENCH_CLIENT" ;;
	esac || return 1
	# The datapath must really be in the path: the probe's packets were counted.
	local packets
	packets=$(fwctl -j stats 2>/dev/null | jq -r '.packets // 0')
	if [ "${packets:-0}" -eq 0 ]; then
		say "    tcfw counted no packet of the probe request: is the datapath attached?"
		return 1
	fi
}

# ---- entry points ---------------------------------------------------------------------------
# config_setup NAME: 0 when the gateway is ready for the workloads.
config_setup() {
	local name=$1
	[ -z "${CFG_FAILED[$name]:-}" ] || return 1
	case $name in
	plain)
		bench_route_lan on
		[ "$(whoami)" = "$BENCH_CLIENT" ]
		;;
	nftables | nftables-10k)
		bench_route_lan off
		nft_setup "$WORK/$name.nft" && [ "$(whoami)" = "$BENCH_GW_WAN" ]
		;;
	tcfw | tcfw-10k) tcfw_setup "$name" ;;
	*) die "unknown configuration '$name' (known: $CONFIGS_ALL)" ;;
	esac
}

config_teardown() {
	case $1 in
	nftables | nftables-10k) nft_teardown ;;
	tcfw | tcfw-10k) fwd_stop ;;
	esac
	bench_route_lan off
}

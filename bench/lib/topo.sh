# shellcheck shell=bash
# topo.sh - the benchmark's network, built with the test kit (tests/lib/topo.sh: namespaces,
# veth pairs, background processes, fwd instances and the cleanup are the tests' own code):
# four namespaces in a chain.
#
#   client (c0) ──── (lan0) gateway (wan0) ──── (r0) router (r1) ──── (s0) server
#   10.10.1.2        10.10.1.1    192.0.2.1     192.0.2.2   203.0.113.1      203.0.113.2
#
# The router knows the gateway's WAN network and the server's, not the LAN: replies reach the
# client only when the gateway translates (masquerade). Configurations without NAT (plain
# forwarding, and a tcfw build that does not translate yet) add a return route on the router
# (bench_route_lan on|off) and say so in the results.
#
# Names carry the prefix tcfw-bench-PID (tests/run-all.sh removes leftovers of a run whose PID
# is gone). Everything made here is removed at exit, on error and on Ctrl-C by the kit's
# cleanup: namespaces (with their nft tables, qdiscs and processes), fwd pins and sockets, the
# scratch directory, and the one host setting the bench changes (kernel.bpf_stats_enabled,
# restored). The logs of a failed run are kept (topo_cleanup_hook below).

# shellcheck source=tests/lib/topo.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../tests/lib/topo.sh"

# shellcheck disable=SC2034 # read by the other bench/lib files, which run.sh sources too
BENCH_LAN_NET=10.10.1.0/24
BENCH_CLIENT=10.10.1.2
BENCH_GW_LAN=10.10.1.1
BENCH_GW_WAN=192.0.2.1
BENCH_RT_WAN=192.0.2.2
BENCH_RT_SRV=203.0.113.1
BENCH_SERVER=203.0.113.2

# The bench's progress goes to stderr (stdout carries the workloads' JSON), its failures say
# "bench:"; these replace the kit's say and die.
say() { printf '%s\n' "$*" >&2; }
die() {
	printf 'bench: FAIL: %s\n' "$*" >&2
	BENCH_SAID_WHY=1
	exit 1
}

# bench_init: the kit's unique names, scratch directory and cleanup trap, under the name bench.
bench_init() {
	topo_init bench
	BENCH_PREFIX=$TOPO_PREFIX
	NS_ROUTER="$TOPO_PREFIX-router"
	trap 'say "bench: interrupted, cleaning up"; exit 130' INT
	trap 'say "bench: terminated, cleaning up"; exit 143' TERM
}

# Called by the kit's cleanup once everything is stopped, before WORK is removed.
topo_cleanup_hook() {
	local rc=$1
	# A command that failed where nothing checked it ended the run (set -e): say which.
	if [ "$rc" -ne 0 ] && [ "$rc" -lt 128 ] && [ -z "${BENCH_SAID_WHY:-}" ]; then
		say "bench: FAIL: stopped by a failed command (exit status $rc): $TOPO_LAST_COMMAND"
	fi
	if [ "$rc" -ne 0 ] && [ "$rc" -lt 128 ] && [ -n "${WORK:-}" ] && [ -d "$WORK" ]; then
		# Keep the logs of a failed run where the user can read them.
		local keep="${BENCH_LOG_KEEP:-/tmp/$BENCH_PREFIX-logs}"
		rm -rf "$keep" && mv "$WORK" "$keep" && say "bench: logs of this run kept in $keep"
	fi
	say "bench: cleaned up (namespaces, processes, pins, sockets)"
}

# bench_bg NS LOG CMD...: CMD in NS in the background, its output to LOG; PID in BG_PID.
bench_bg() {
	local ns=$1 log=$2
	shift 2
	bg_in_ns "$ns" "$@" >"$log" 2>&1
}

bench_topo_create() {
	local ns
	for ns in "$NS_CLIENT" "$NS_GW" "$NS_ROUTER" "$NS_SERVER"; do topo_new_ns "$ns"; done
	topo_link "$NS_CLIENT" c0 "$NS_GW" lan0
	topo_link "$NS_GW" wan0 "$NS_ROUTER" r0
	topo_link "$NS_ROUTER" r1 "$NS_SERVER" s0
	topo_addr "$NS_CLIENT" c0 "$BENCH_CLIENT/24"
	topo_addr "$NS_GW" lan0 "$BENCH_GW_LAN/24"
	topo_addr "$NS_GW" wan0 "$BENCH_GW_WAN/24"
	topo_addr "$NS_ROUTER" r0 "$BENCH_RT_WAN/24"
	topo_addr "$NS_ROUTER" r1 "$BENCH_RT_SRV/24"
	topo_addr "$NS_SERVER" s0 "$BENCH_SERVER/24"
	in_ns "$NS_GW" sysctl -qw net.ipv4.ip_forward=1
	in_ns "$NS_ROUTER" sysctl -qw net.ipv4.ip_forward=1
	ip -n "$NS_CLIENT" route add default via "$BENCH_GW_LAN"
	ip -n "$NS_GW" route add default via "$BENCH_RT_WAN"
	ip -n "$NS_SERVER" route add default via "$BENCH_RT_SRV"
	# Many short connections (the connection-rate workload): the whole port range on the
	# client, deep accept queues on the server.
	in_ns "$NS_CLIENT" sysctl -qw net.ipv4.ip_local_port_range="1024 65535"
	in_ns "$NS_SERVER" sysctl -qw net.core.somaxconn=4096 net.ipv4.tcp_max_syn_backlog=4096
}

# bench_route_lan on|off: the router's return route to the LAN (configurations without NAT).
bench_route_lan() {
	if [ "$1" = on ]; then
		ip -n "$NS_ROUTER" route replace "$BENCH_LAN_NET" via "$BENCH_GW_WAN"
	else
		ip -n "$NS_ROUTER" route del "$BENCH_LAN_NET" 2>/dev/null || true
	fi
}

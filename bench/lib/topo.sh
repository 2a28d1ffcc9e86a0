# shellcheck shell=bash
# topo.sh - the benchmark's network: four namespaces in a chain, and a cleanup that always runs.
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
# is gone). Everything made here is recorded and removed at exit, on error and on Ctrl-C:
# namespaces (with their nft tables, qdiscs and processes), fwd pins and sockets, the scratch
# directory, and the one host setting the bench changes (kernel.bpf_stats_enabled, restored).

BENCH_LAN_NET=10.10.1.0/24
BENCH_CLIENT=10.10.1.2
BENCH_GW_LAN=10.10.1.1
BENCH_GW_WAN=192.0.2.1
BENCH_RT_WAN=192.0.2.2
BENCH_RT_SRV=203.0.113.1
BENCH_SERVER=203.0.113.2

BENCH_NAMESPACES=() # created, deleted at exit
BENCH_PIDS=()       # background processes we started, killed at exit
BENCH_PINS=()       # fwd pin directories, removed at exit
BENCH_SOCKETS=()    # fwd control sockets, removed at exit
BENCH_RESTORE=()    # commands that restore host settings, run at exit

say() { printf '%s\n' "$*" >&2; }
die() {
	printf 'bench: FAIL: %s\n' "$*" >&2
	BENCH_SAID_WHY=1
	exit 1
}

# pid_running PID: alive and not a zombie (kill -0 succeeds on zombies).
pid_running() {
	local stat
	[ -r "/proc/$1/stat" ] || return 1
	read -r stat <"/proc/$1/stat" 2>/dev/null || return 1
	stat=${stat##*) }
	[ -n "$stat" ] && [ "${stat:0:1}" != Z ]
}

# bench_init: unique names, scratch directory, cleanup trap.
bench_init() {
	[ "$(id -u)" -eq 0 ] || die "needs root (network namespaces, bpffs, tc, nftables)"
	BENCH_MAIN_PID=$BASHPID
	BENCH_PREFIX="tcfw-bench-$$"
	NS_C="$BENCH_PREFIX-client"
	NS_G="$BENCH_PREFIX-gw"
	NS_R="$BENCH_PREFIX-router"
	NS_S="$BENCH_PREFIX-server"
	WORK=$(mktemp -d "/tmp/$BENCH_PREFIX.XXXXXX")
	mkdir -p /run/tcfw
	mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
	trap bench_cleanup EXIT
	trap 'say "bench: interrupted, cleaning up"; exit 130' INT
	trap 'say "bench: terminated, cleaning up"; exit 143' TERM
	trap 'exit 129' HUP
}

# ns_pids NS: PIDs inside a namespace, into NS_PIDS (no command substitution: trap-safe).
ns_pids() {
	NS_PIDS=()
	ip netns pids "$1" >"$WORK/.ns_pids" 2>/dev/null || return 0
	mapfile -t NS_PIDS <"$WORK/.ns_pids"
}

bench_kill_all() { # SIGNAL
	local pid ns
	for pid in "${BENCH_PIDS[@]}"; do kill "-$1" "$pid" 2>/dev/null; done
	for ns in "${BENCH_NAMESPACES[@]}"; do
		ns_pids "$ns"
		for pid in "${NS_PIDS[@]}"; do kill "-$1" "$pid" 2>/dev/null; done
	done
}

bench_anything_alive() {
	local pid ns
	for pid in "${BENCH_PIDS[@]}"; do pid_running "$pid" && return 0; done
	for ns in "${BENCH_NAMESPACES[@]}"; do
		ns_pids "$ns"
		[ ${#NS_PIDS[@]} -gt 0 ] && return 0
	done
	return 1
}

bench_cleanup() {
	local rc=$? i ns failed_cmd=$BASH_COMMAND
	if [ "$BASHPID" != "$BENCH_MAIN_PID" ]; then
		exec 2>/dev/null
		return "$rc"
	fi
	trap - EXIT INT TERM HUP
	set +e
	# A command that failed where nothing checked it ended the run (set -e): say which.
	if [ "$rc" -ne 0 ] && [ "$rc" -lt 128 ] && [ -z "${BENCH_SAID_WHY:-}" ]; then
		say "bench: FAIL: stopped by a failed command (exit status $rc): $failed_cmd"
	fi
	# SIGTERM first (fwd detaches and unpins), SIGKILL for what did not stop within 5 s.
	bench_kill_all TERM
	for ((i = 0; i < 50; i++)); do
		bench_anything_alive || break
		sleep 0.1
	done
	bench_kill_all KILL
	for i in "${BENCH_PIDS[@]}"; do wait "$i" 2>/dev/null; done
	for ns in "${BENCH_NAMESPACES[@]}"; do
		ip netns del "$ns" 2>/dev/null
		rm -rf "/etc/netns/$ns"
	done
	for i in "${BENCH_PINS[@]}"; do [ -e "$i" ] && rm -rf "$i"; done
	for i in "${BENCH_SOCKETS[@]}"; do rm -f "$i"; done
	for ((i = ${#BENCH_RESTORE[@]} - 1; i >= 0; i--)); do eval "${BENCH_RESTORE[i]}"; done
	if [ "$rc" -ne 0 ] && [ "$rc" -lt 128 ] && [ -n "${WORK:-}" ] && [ -d "$WORK" ]; then
		# Keep the logs of a failed run where the user can read them.
		local keep="${BENCH_LOG_KEEP:-/tmp/$BENCH_PREFIX-logs}"
		rm -rf "$keep" && mv "$WORK" "$keep" && say "bench: logs of this run kept in $keep"
	else
		[ -n "${WORK:-}" ] && rm -rf "$WORK"
	fi
	say "bench: cleaned up (namespaces, processes, pins, sockets)"
	exit "$rc"
}

bench_new_ns() {
	local ns=$1
	ip netns add "$ns" || die "cannot create network namespace $ns"
	BENCH_NAMESPACES+=("$ns")
	# Name lookups stay inside the namespace (nothing is resolved over the gateway).
	mkdir -p "/etc/netns/$ns"
	echo "nameserver 127.0.0.1" >"/etc/netns/$ns/resolv.conf"
	ip -n "$ns" link set lo up
}

# bench_link NS_A IF_A NS_B IF_B: a veth pair made straight inside the two namespaces.
bench_link() {
	ip link add "$2" netns "$1" type veth peer name "$4" netns "$3" ||
		die "cannot create veth $1/$2 <-> $3/$4"
	ip -n "$1" link set "$2" up
	ip -n "$3" link set "$4" up
}

in_ns() {
	local ns=$1
	shift
	ip netns exec "$ns" "$@"
}

# bg_in_ns NS LOG CMD...: start CMD in NS in the background (output to LOG); PID in BG_PID.
bg_in_ns() {
	local ns=$1 log=$2
	shift 2
	ip netns exec "$ns" "$@" >"$log" 2>&1 &
	BG_PID=$!
	BENCH_PIDS+=("$BG_PID")
	/bin/true
}

topo_create() {
	local ns
	for ns in "$NS_C" "$NS_G" "$NS_R" "$NS_S"; do bench_new_ns "$ns"; done
	bench_link "$NS_C" c0 "$NS_G" lan0
	bench_link "$NS_G" wan0 "$NS_R" r0
	bench_link "$NS_R" r1 "$NS_S" s0
	ip -n "$NS_C" addr add "$BENCH_CLIENT/24" dev c0
	ip -n "$NS_G" addr add "$BENCH_GW_LAN/24" dev lan0
	ip -n "$NS_G" addr add "$BENCH_GW_WAN/24" dev wan0
	ip -n "$NS_R" addr add "$BENCH_RT_WAN/24" dev r0
	ip -n "$NS_R" addr add "$BENCH_RT_SRV/24" dev r1
	ip -n "$NS_S" addr add "$BENCH_SERVER/24" dev s0
	in_ns "$NS_G" sysctl -qw net.ipv4.ip_forward=1
	in_ns "$NS_R" sysctl -qw net.ipv4.ip_forward=1
	ip -n "$NS_C" route add default via "$BENCH_GW_LAN"
	ip -n "$NS_G" route add default via "$BENCH_RT_WAN"
	ip -n "$NS_S" route add default via "$BENCH_RT_SRV"
	# Many short connections (the connection-rate workload): the whole port range on the
	# client, deep accept queues on the server.
	in_ns "$NS_C" sysctl -qw net.ipv4.ip_local_port_range="1024 65535"
	in_ns "$NS_S" sysctl -qw net.core.somaxconn=4096 net.ipv4.tcp_max_syn_backlog=4096
}

# bench_route_lan on|off: the router's return route to the LAN (configurations without NAT).
bench_route_lan() {
	if [ "$1" = on ]; then
		ip -n "$NS_R" route replace "$BENCH_LAN_NET" via "$BENCH_GW_WAN"
	else
		ip -n "$NS_R" route del "$BENCH_LAN_NET" 2>/dev/null || true
	fi
}

# bench_set_host_sysctl NAME VALUE: change a host setting, restored at exit.
bench_set_host_sysctl() {
	local old
	old=$(sysctl -n "$1") || return 1
	BENCH_RESTORE+=("sysctl -qw $1=$old")
	sysctl -qw "$1=$2"
}

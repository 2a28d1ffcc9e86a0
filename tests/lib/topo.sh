# shellcheck shell=bash disable=SC2034 # a library: the variables are for the scripts sourcing it
# topo.sh - network namespaces for tcfw's end-to-end tests, the demo and the bench (the one test
# kit's shell half, tests/lib/): namespaces joined by veth pairs, fwd started in the gateway,
# and a cleanup that always runs. tests/e2e/topo.sh sources it for the tests (their path).
#
#   client (eth0) ──── (lan0) gateway (wan0) ──── (eth0) server
#   10.77.1.2          10.77.1.1      203.0.113.1        203.0.113.2
#   2001:db8:77:1::2   2001:db8:77:1::1  2001:db8:77:2::1  2001:db8:77:2::2
#
# Source it, call topo_init NAME (sets the unique prefix and the EXIT trap), then topo_create.
# Everything it makes carries the prefix tcfw-NAME-PID, so tests run side by side, and
# tests/run-all.sh can tell leftovers of a dead run (its PID is gone) from a live one.
#
# Names that other scripts use: NS_CLIENT NS_GW NS_SERVER, FWD FWCTL, FWD_NS FWD_PIN_DIR
# FWD_SOCKET (the instance that fwctl talks to; override per call: FWD_SOCKET=... fwctl ...),
# WORK (a scratch directory, removed at exit), the address variables below.
#
# Other topologies (the bench's chain) are built from topo_new_ns, topo_link and topo_addr;
# topo_set_host_sysctl changes a host setting until exit; a script may define
# topo_cleanup_hook RC, called by the cleanup after everything is stopped and before WORK is
# removed (the bench keeps its logs there).

TOPO_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

LAN4_NET=10.77.1.0/24
LAN4_GW=10.77.1.1
LAN4_CLIENT=10.77.1.2
WAN4_NET=203.0.113.0/24
WAN4_GW=203.0.113.1
WAN4_SERVER=203.0.113.2
LAN6_NET=2001:db8:77:1::/64
LAN6_GW=2001:db8:77:1::1
LAN6_CLIENT=2001:db8:77:1::2
WAN6_NET=2001:db8:77:2::/64
WAN6_GW=2001:db8:77:2::1
WAN6_SERVER=2001:db8:77:2::2

TOPO_NAMESPACES=() # every namespace we created, deleted at exit
TOPO_PIDS=()       # every background process we started, killed at exit
TOPO_PINS=()       # every pin directory handed to an fwd, removed at exit
TOPO_SOCKETS=()    # every control socket path handed to an fwd, removed at exit
TOPO_FWD_LOGS=()   # every fwd log, scanned for sanitizer reports
TOPO_RESTORE=()    # commands that restore host settings, run at exit (last first)

say() { printf '==> %s\n' "$*"; }

# pid_running PID: the process exists and is not a zombie waiting to be reaped (kill -0 alone
# succeeds on zombies, and our own children stay zombies until we `wait` for them).
# Read with the `read` builtin, not $(ps ...): no subshell, so it is safe inside the EXIT trap.
pid_running() {
	local stat
	[ -r "/proc/$1/stat" ] || return 1
	read -r stat <"/proc/$1/stat" 2>/dev/null || return 1
	stat=${stat##*) } # after "pid (comm) ": the state letter first
	[ -n "$stat" ] && [ "${stat:0:1}" != Z ]
}
die() {
	printf 'FAIL: %s\n' "$*" >&2
	exit 1
}

# Pick the binaries: FWD/FWCTL from the environment, else the sanitizer build when it exists
# (so ASan/UBSan watch the daemon under real traffic), else the plain build.
topo_pick_binaries() {
	local prefer_san=${1:-1}
	if [ -z "${FWD:-}" ]; then
		if [ "$prefer_san" = 1 ] && [ -x "$TOPO_REPO/build/san/fwd" ]; then
			FWD=$TOPO_REPO/build/san/fwd
		else
			FWD=$TOPO_REPO/build/fwd
		fi
	fi
	if [ -z "${FWCTL:-}" ]; then
		if [ "$prefer_san" = 1 ] && [ -x "$TOPO_REPO/build/san/fwctl" ]; then
			FWCTL=$TOPO_REPO/build/san/fwctl
		else
			FWCTL=$TOPO_REPO/build/fwctl
		fi
	fi
	[ -x "$FWD" ] || die "fwd not found at $FWD (run make, or set FWD=/path/to/fwd)"
	[ -x "$FWCTL" ] || die "fwctl not found at $FWCTL (run make, or set FWCTL=/path/to/fwctl)"
}

# topo_init NAME: unique names for this run, a scratch directory, the cleanup trap.
topo_init() {
	local name=$1
	[ "$(id -u)" -eq 0 ] || die "needs root (network namespaces, bpffs, tc)"
	TOPO_MAIN_PID=$BASHPID
	TOPO_PREFIX="tcfw-$name-$$"
	NS_CLIENT="$TOPO_PREFIX-client"
	NS_GW="$TOPO_PREFIX-gw"
	NS_SERVER="$TOPO_PREFIX-server"
	FWD_NS=$NS_GW
	FWD_PIN_DIR="/sys/fs/bpf/tcfw-e2e-$name-$$"
	FWD_SOCKET="/run/tcfw/e2e-$name-$$.sock"
	WORK=$(mktemp -d "/tmp/$TOPO_PREFIX.XXXXXX")
	TOPO_STATUS_FILE=$WORK/.failed
	mkdir -p /run/tcfw
	mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
	trap topo_cleanup EXIT
	# Ctrl-C / kill: leave through the EXIT trap, which cleans up.
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap 'exit 129' HUP
}

# Mark the run as failed without stopping it (used from subshells, e.g. $(fwctl ...)).
topo_mark_failed() {
	printf '%s\n' "$*" >>"$TOPO_STATUS_FILE"
}

# Sanitizer reports in a log: ASan, LSan, UBSan. Prints the report's first lines.
topo_sanitizer_report() {
	local log=$1
	[ -f "$log" ] || return 1
	if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:|SUMMARY: UndefinedBehaviorSanitizer' "$log"; then
		grep -m1 -A25 -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$log" >&2 || true
		return 0
	fi
	return 1
}

# ns_pids NS: the PIDs of processes in a namespace, into the array NS_PIDS. No command
# substitution: bash may re-run the EXIT trap in a subshell forked while the trap runs.
ns_pids() {
	NS_PIDS=()
	ip netns pids "$1" >"$WORK/.ns_pids" 2>/dev/null || return 0
	mapfile -t NS_PIDS <"$WORK/.ns_pids"
}

topo_kill_all() { # SIGNAL: our processes and anything else inside our namespaces
	local pid ns
	for pid in "${TOPO_PIDS[@]}"; do kill "-$1" "$pid" 2>/dev/null; done
	for ns in "${TOPO_NAMESPACES[@]}"; do
		ns_pids "$ns"
		for pid in "${NS_PIDS[@]}"; do kill "-$1" "$pid" 2>/dev/null; done
	done
}

topo_anything_alive() {
	local pid ns
	for pid in "${TOPO_PIDS[@]}"; do pid_running "$pid" && return 0; done
	for ns in "${TOPO_NAMESPACES[@]}"; do
		ns_pids "$ns"
		[ ${#NS_PIDS[@]} -gt 0 ] && return 0
	done
	return 1
}

topo_cleanup() {
	local rc=$? ns log i
	TOPO_LAST_COMMAND=$BASH_COMMAND # what ended the run, for topo_cleanup_hook
	# Only the shell that called topo_init cleans up. bash 5.2 may run the EXIT trap in the
	# subshell of a pipeline that ran before a background job was started; that subshell must
	# not clean up, and bash has it print a stray "wait_for: No record of process N", hence
	# the quiet stderr (bg_in_ns also avoids the case).
	if [ "$BASHPID" != "$TOPO_MAIN_PID" ]; then
		exec 2>/dev/null
		return "$rc"
	fi
	trap - EXIT INT TERM HUP
	set +e
	# SIGTERM first (fwd detaches and unpins), SIGKILL for whatever did not listen in 5 s.
	topo_kill_all TERM
	for ((i = 0; i < 50; i++)); do
		topo_anything_alive || break
		sleep 0.1
	done
	topo_kill_all KILL
	for i in "${TOPO_PIDS[@]}"; do wait "$i" 2>/dev/null; done
	for ns in "${TOPO_NAMESPACES[@]}"; do
		ip netns del "$ns" 2>/dev/null
		rm -rf "/etc/netns/$ns"
	done
	for i in "${TOPO_PINS[@]}"; do [ -e "$i" ] && rm -rf "$i"; done
	for i in "${TOPO_SOCKETS[@]}"; do rm -f "$i"; done
	for ((i = ${#TOPO_RESTORE[@]} - 1; i >= 0; i--)); do eval "${TOPO_RESTORE[i]}"; done
	for log in "${TOPO_FWD_LOGS[@]}"; do
		if topo_sanitizer_report "$log"; then
			printf 'FAIL: sanitizer report in %s (above)\n' "${log##*/}" >&2
			rc=1
		fi
	done
	if [ -s "${TOPO_STATUS_FILE:-/nonexistent}" ]; then
		printf 'FAIL: ' >&2
		cat "$TOPO_STATUS_FILE" >&2
		rc=1
	fi
	# fwd's own words are the best clue to a failure: show the end of each of its logs.
	if [ "$rc" -ne 0 ]; then
		for log in "${TOPO_FWD_LOGS[@]}"; do
			[ -s "$log" ] || continue
			printf -- '--- last lines of %s ---\n' "${log##*/}" >&2
			tail -n 30 "$log" >&2
		done
	fi
	if declare -F topo_cleanup_hook >/dev/null; then topo_cleanup_hook "$rc"; fi
	[ -n "${WORK:-}" ] && rm -rf "$WORK"
	exit "$rc"
}

# topo_set_host_sysctl NAME VALUE: change a setting of the host (outside every namespace); the
# cleanup puts the old value back.
topo_set_host_sysctl() {
	local old
	old=$(sysctl -n "$1") || return 1
	TOPO_RESTORE+=("sysctl -qw $1='$old'")
	sysctl -qw "$1=$2"
}

in_ns() {
	local ns=$1
	shift
	ip netns exec "$ns" "$@"
}
in_client() { ip netns exec "$NS_CLIENT" "$@"; }
in_gw() { ip netns exec "$NS_GW" "$@"; }
in_server() { ip netns exec "$NS_SERVER" "$@"; }

# Start a background command in a namespace; its PID goes to $BG_PID and into the cleanup list.
# `ip netns exec` execs the command, so the PID is the command's own.
bg_in_ns() {
	local ns=$1
	shift
	ip netns exec "$ns" "$@" &
	BG_PID=$!
	TOPO_PIDS+=("$BG_PID")
	# One foreground command after the `&`: without it, bash 5.2 may run the EXIT trap a
	# second time in the subshell of an earlier pipeline and print "wait_for: No record of
	# process N" when the script ends right after starting a background process.
	/bin/true
}

topo_new_ns() {
	local ns=$1
	ip netns add "$ns" || die "cannot create network namespace $ns"
	TOPO_NAMESPACES+=("$ns")
	# Name lookups stay inside the namespace: `ip netns exec` puts /etc/netns/NS/resolv.conf
	# over /etc/resolv.conf, and a resolver on the namespace's own loopback answers nothing.
	# Otherwise tools that resolve (python's http.server, ping) send DNS through the gateway,
	# and those flows would show up in the connection table.
	mkdir -p "/etc/netns/$ns"
	echo "nameserver 127.0.0.1" >"/etc/netns/$ns/resolv.conf"
	ip -n "$ns" link set lo up
	# No router solicitations or DAD delays: addresses are usable at once.
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.accept_dad=0
}

# topo_link NS_A IF_A NS_B IF_B: a veth pair created straight inside the two namespaces, so
# no name is ever taken in the host's namespace.
topo_link() {
	ip link add "$2" netns "$1" type veth peer name "$4" netns "$3" ||
		die "cannot create veth $1/$2 <-> $3/$4"
	ip -n "$1" link set "$2" up
	ip -n "$3" link set "$4" up
}

topo_addr() {
	local ns=$1 dev=$2 addr=$3
	case $addr in
	*:*) ip -n "$ns" -6 addr add "$addr" dev "$dev" nodad ;;
	*) ip -n "$ns" addr add "$addr" dev "$dev" ;;
	esac
}

# topo_create [CLIENT GW SERVER]: the three namespaces, links, addresses and routes.
# shellcheck disable=SC2120 # the arguments are optional: tests call it without any
topo_create() {
	local c=${1:-$NS_CLIENT} g=${2:-$NS_GW} s=${3:-$NS_SERVER}
	topo_new_ns "$c"
	topo_new_ns "$g"
	topo_new_ns "$s"
	topo_link "$g" lan0 "$c" eth0
	topo_link "$g" wan0 "$s" eth0
	topo_addr "$c" eth0 "$LAN4_CLIENT/24"
	topo_addr "$c" eth0 "$LAN6_CLIENT/64"
	topo_addr "$g" lan0 "$LAN4_GW/24"
	topo_addr "$g" lan0 "$LAN6_GW/64"
	topo_addr "$g" wan0 "$WAN4_GW/24"
	topo_addr "$g" wan0 "$WAN6_GW/64"
	topo_addr "$s" eth0 "$WAN4_SERVER/24"
	topo_addr "$s" eth0 "$WAN6_SERVER/64"
	ip netns exec "$g" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
	ip -n "$c" route add default via "$LAN4_GW"
	ip -n "$c" -6 route add default via "$LAN6_GW"
	ip -n "$s" route add default via "$WAN4_GW"
	ip -n "$s" -6 route add default via "$WAN6_GW"
}

# ---- waiting ------------------------------------------------------------------------------
# wait_for SECONDS WHAT CMD...: poll CMD every 0.1 s until it succeeds; fail naming WHAT.
wait_for() {
	local secs=$1 what=$2
	shift 2
	local deadline=$((SECONDS + secs))
	while :; do
		"$@" >/dev/null 2>&1 && return 0
		[ $SECONDS -ge "$deadline" ] && break
		sleep 0.1
	done
	die "timed out after ${secs}s waiting for: $what"
}

# Like wait_for but returns 1 instead of failing the test.
poll_for() {
	local secs=$1
	shift
	local deadline=$((SECONDS + secs))
	while :; do
		"$@" >/dev/null 2>&1 && return 0
		[ $SECONDS -ge "$deadline" ] && return 1
		sleep 0.1
	done
}

tcp_listening() { # NS ADDR PORT
	ip netns exec "$1" ss -Hltn "src [$2]:$3" | grep -q .
}
udp_bound() { # NS ADDR PORT
	ip netns exec "$1" ss -Hlun "src [$2]:$3" | grep -q .
}

# ---- fwd and fwctl ----------------------------------------------------------------------------
# Default sanitizer options: fail on the first report, print stacks, check leaks at exit.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# How fwd and fwctl enter the gateway's namespace, as operators do it:
#   nsenter  nsenter --net: the host's mount namespace, where the host's bpffs and pins are
#   ipnetns  ip netns exec: a mount namespace of its own for every command (/sys remounted),
#            so a bpffs that fwd mounts there is seen by nobody else
#   host     no namespace at all: fwctl only (it reaches fwd through the socket path)
FWD_ENTER=${FWD_ENTER:-nsenter}
# fwd's --attach for every start_fwd (auto, tcx, tc; unset: fwd's default), so that the tests
# that touch attachment run in either mode: `FWD_ATTACH=tc bash tests/e2e/test_X.sh`. Arguments
# a test gives start_fwd come after, and win.
FWD_ATTACH=${FWD_ATTACH:-}
FWCTL_ENTER=${FWCTL_ENTER:-$FWD_ENTER}
# enter_cmd HOW: ENTER_CMD, the command prefix that runs a command in $FWD_NS that way (an array,
# so that `"${ENTER_CMD[@]}" fwd ... &` gives $! = fwd's own PID: nsenter and ip netns exec
# both exec the command).
enter_cmd() {
	case $1 in
	nsenter) ENTER_CMD=(nsenter --net="/run/netns/$FWD_NS" --) ;;
	ipnetns) ENTER_CMD=(ip netns exec "$FWD_NS") ;;
	host) ENTER_CMD=() ;;
	*) die "unknown way to enter a namespace: $1" ;;
	esac
}

# fwctl ARGS...: run fwctl in $FWD_NS (as $FWCTL_ENTER says) against $FWD_SOCKET. Output as
# fwctl's; exit status as fwctl's. A sanitizer report in its stderr marks the run failed.
fwctl() {
	local errf rc=0
	errf=$(mktemp "$WORK/fwctl-err.XXXXXX")
	enter_cmd "$FWCTL_ENTER"
	"${ENTER_CMD[@]}" "$FWCTL" --socket "$FWD_SOCKET" "$@" 2>"$errf" || rc=$?
	cat "$errf" >&2
	if topo_sanitizer_report "$errf" 2>/dev/null; then
		topo_mark_failed "sanitizer report from: fwctl $*"
		cp "$errf" "$WORK/fwctl-sanitizer-$(date +%s%N).log"
	fi
	rm -f "$errf"
	return $rc
}

# fwd_alive: the current instance's process still runs.
fwd_alive() { [ -n "${FWD_PID:-}" ] && pid_running "$FWD_PID"; }

fwd_ready() {
	fwd_alive && [ -S "$FWD_SOCKET" ] && fwctl status >/dev/null 2>&1
}

# start_fwd POLICY [FWD ARGS...]: start fwd in $FWD_NS with $FWD_PIN_DIR and $FWD_SOCKET, wait
# until it answers on its socket (FWD_START_TIMEOUT seconds, default 20). Sets FWD_PID and
# FWD_LOG (FWD_LOG_NAME, when set, names the log: fwd-N-NAME.log).
FWD_SEQ=0
start_fwd() {
	local policy=$1
	shift
	FWD_SEQ=$((FWD_SEQ + 1))
	FWD_LOG="$WORK/fwd-$FWD_SEQ${FWD_LOG_NAME:+-$FWD_LOG_NAME}.log"
	TOPO_FWD_LOGS+=("$FWD_LOG")
	TOPO_PINS+=("$FWD_PIN_DIR")
	TOPO_SOCKETS+=("$FWD_SOCKET")
	enter_cmd "$FWD_ENTER"
	"${ENTER_CMD[@]}" "$FWD" -c "$policy" --pin-dir "$FWD_PIN_DIR" \
		--socket "$FWD_SOCKET" ${FWD_ATTACH:+--attach "$FWD_ATTACH"} "$@" >"$FWD_LOG" 2>&1 &
	FWD_PID=$!
	TOPO_PIDS+=("$FWD_PID")
	local limit=${FWD_START_TIMEOUT:-20}
	local deadline=$((SECONDS + limit))
	while ! fwd_ready; do
		if ! fwd_alive; then
			local rc=0
			wait "$FWD_PID" || rc=$?
			die "fwd (instance $FWD_SEQ in $FWD_NS) exited with status $rc before answering on $FWD_SOCKET"
		fi
		[ $SECONDS -ge $deadline ] && die "fwd (instance $FWD_SEQ in $FWD_NS) did not answer on $FWD_SOCKET within ${limit}s"
		sleep 0.1
	done
}

# stop_fwd [SIGNAL]: signal fwd (default TERM) and wait for it; sets FWD_EXIT. A TERM stop
# must exit 0 within 15 s (the sanitizer build checks leaks at exit).
stop_fwd() {
	local sig=${1:-TERM} pid=$FWD_PID timed_out=0
	kill "-$sig" "$pid" 2>/dev/null || die "fwd (pid $pid) was not running when asked to stop"
	local deadline=$((SECONDS + 15))
	FWD_EXIT=0
	# stderr hidden here only: after SIGKILL bash prints a "Killed" job notice, expected.
	{
		while pid_running "$pid"; do
			if [ $SECONDS -ge $deadline ]; then
				timed_out=1
				kill -KILL "$pid"
				break
			fi
			sleep 0.1
		done
		wait "$pid" || FWD_EXIT=$?
	} 2>/dev/null
	[ $timed_out = 0 ] || die "fwd (pid $pid) did not exit within 15s of SIG$sig"
	if [ "$sig" = TERM ] && [ "$FWD_EXIT" -ne 0 ]; then
		die "fwd exited with status $FWD_EXIT after SIGTERM (expected 0)"
	fi
	if topo_sanitizer_report "$FWD_LOG"; then
		die "sanitizer report in fwd's log $FWD_LOG (above)"
	fi
}

# Several fwd instances (one per gateway namespace): save the current one's variables under a
# name, and switch back to it later.
declare -gA TOPO_INSTANCES=()
fwd_save() { # NAME
	TOPO_INSTANCES[$1]="$FWD_NS|$FWD_PIN_DIR|$FWD_SOCKET|${FWD_PID:-}|${FWD_LOG:-}"
}
fwd_use() { # NAME
	[ -n "${TOPO_INSTANCES[$1]:-}" ] || die "no fwd instance saved as '$1'"
	IFS='|' read -r FWD_NS FWD_PIN_DIR FWD_SOCKET FWD_PID FWD_LOG <<<"${TOPO_INSTANCES[$1]}"
}

# ---- NAT topology ---------------------------------------------------------------------------
# topo_create_nat: a LAN behind the gateway and an "internet" that knows nothing about it.
#
#   client (eth0) ─┐
#   10.77.1.2      ├─ switch ─ (lan0) gateway (wan0) ── (eth0) router (eth1) ── (eth0) server
#   lansrv (eth0) ─┘           10.77.1.1   203.0.113.1   203.0.113.254  198.51.100.254  198.51.100.2
#   10.77.1.3
#
# The router forwards between the gateway's WAN and the server's network and has no route to
# 10.77.1.0/24, the server's only route is the router: nothing from the LAN gets an answer
# unless the gateway translates it. The switch (a bridge in a namespace of its own) puts the
# client and a LAN server on one segment, as hairpin needs. NAT_SERVER_MTU (default 1500) is
# the MTU of the router-server link, for path-MTU discovery through the gateway.
# shellcheck disable=SC2034 # used by the NAT tests
NAT_LAN_NET=10.77.1.0/24
NAT_LAN_GW=10.77.1.1
NAT_CLIENT=10.77.1.2
NAT_LANSRV=10.77.1.3
NAT_WAN_GW=203.0.113.1
NAT_ROUTER_WAN=203.0.113.254
NAT_ROUTER_SRV=198.51.100.254
NAT_SERVER=198.51.100.2

topo_create_nat() {
	NS_SWITCH="$TOPO_PREFIX-sw"
	NS_LANSRV="$TOPO_PREFIX-lansrv"
	NS_ROUTER="$TOPO_PREFIX-rtr"
	local ns mtu=${NAT_SERVER_MTU:-1500}
	for ns in "$NS_CLIENT" "$NS_LANSRV" "$NS_SWITCH" "$NS_GW" "$NS_ROUTER" "$NS_SERVER"; do
		topo_new_ns "$ns"
	done
	ip -n "$NS_SWITCH" link add br0 type bridge || die "cannot create the LAN bridge"
	topo_link "$NS_SWITCH" p-gw "$NS_GW" lan0
	topo_link "$NS_SWITCH" p-client "$NS_CLIENT" eth0
	topo_link "$NS_SWITCH" p-lansrv "$NS_LANSRV" eth0
	for ns in p-gw p-client p-lansrv; do ip -n "$NS_SWITCH" link set "$ns" master br0; done
	ip -n "$NS_SWITCH" link set br0 up
	topo_link "$NS_GW" wan0 "$NS_ROUTER" eth0
	topo_link "$NS_ROUTER" eth1 "$NS_SERVER" eth0
	ip -n "$NS_ROUTER" link set eth1 mtu "$mtu"
	ip -n "$NS_SERVER" link set eth0 mtu "$mtu"

	topo_addr "$NS_CLIENT" eth0 "$NAT_CLIENT/24"
	topo_addr "$NS_LANSRV" eth0 "$NAT_LANSRV/24"
	topo_addr "$NS_GW" lan0 "$NAT_LAN_GW/24"
	topo_addr "$NS_GW" wan0 "$NAT_WAN_GW/24"
	topo_addr "$NS_ROUTER" eth0 "$NAT_ROUTER_WAN/24"
	topo_addr "$NS_ROUTER" eth1 "$NAT_ROUTER_SRV/24"
	topo_addr "$NS_SERVER" eth0 "$NAT_SERVER/24"
	ip netns exec "$NS_GW" sysctl -qw net.ipv4.ip_forward=1
	ip netns exec "$NS_ROUTER" sysctl -qw net.ipv4.ip_forward=1
	ip -n "$NS_CLIENT" route add default via "$NAT_LAN_GW"
	ip -n "$NS_LANSRV" route add default via "$NAT_LAN_GW"
	ip -n "$NS_GW" route add default via "$NAT_ROUTER_WAN"
	ip -n "$NS_SERVER" route add default via "$NAT_ROUTER_SRV"
}
in_lansrv() { ip netns exec "$NS_LANSRV" "$@"; }
in_router() { ip netns exec "$NS_ROUTER" "$@"; }

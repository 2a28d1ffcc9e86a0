# shellcheck shell=bash
# gwcost.sh - what the gateway itself spends, per forwarded packet and per new connection, for
# every configuration in the same run (phase gwcost, bench/README.md "The gateway's own cost").
#
# A throughput ratio alone does not show what a firewall costs: when the load generators or
# the receiver set the pace, plain forwarding, nftables and tcfw all come out at 1.00x. So this
# phase gives the gateway a CPU of its own and measures that CPU:
#
#   - RPS on the gateway's two ingress veths (lan0, wan0: rps_cpus = GW_CPU's mask) moves
#     everything the gateway does with a packet - tc ingress, the IP stack or tcfw's fast
#     path, netfilter, tc egress, the transmit - into GW_CPU's NET_RX softirq. Without it,
#     veth hands a packet to the backlog of the CPU that sent it, and the forwarding runs in
#     the sender's softirq (the other phases).
#   - The veths the gateway transmits into (c0, r0) run threaded NAPI (GRO on, threaded = 1,
#     their NAPI threads pinned to GW_CPU): the transmit puts the packet in the peer's ring and
#     wakes a thread on the same CPU, outside the gateway's softirq and without an IPI. (RPS
#     on them instead made GW_CPU send an IPI per softirq, which in a paravirtualized guest
#     cost more than the forwarding.) veth uses the peer's NAPI only for senders without TSO,
#     so TSO is off on lan0, wan0, c0 and r0: every packet forwarded is one wire packet.
#   - RPS on r1 and s0 to LOAD_CPU, and every process of the bench's namespaces (iperf3, wrk,
#     nginx, tcp_rr, fwd) pinned to LOAD_CPU for the phase.
#
# Then for each run: the NET_RX softirqs on GW_CPU are traced (irq:softirq_entry/exit): their
# time, less the rate of other users' NET_RX on that CPU in the second before the run, is the
# gateway's time, exactly. perf samples both CPUs (cpu-clock, with call stacks): on GW_CPU the
# samples in net_rx_action split that time by stack into tcfw (programs, helpers, hook,
# redirect), netfilter, the kernel's IP forwarding path, the transmit and the rest of the
# receive path; on LOAD_CPU they tell the bench's work from other users' (bench/gwcost.py).
# Divided by what the gateway received (lan0 + wan0 packet counters) -> ns per forwarded
# packet; by wrk's requests (each a new connection) -> ns per new connection. Each run names
# its bottleneck. Without perf the gateway's time is /proc/stat's softirq + irq of GW_CPU
# (tick-sampled at CONFIG_HZ: coarser, other users' included).

GW_CPU=$(($(nproc) > 1 ? 1 : 0))
LOAD_CPU=0
# shellcheck disable=SC2034 # read by run.sh, which sources this file
GWCOST_WORKLOADS_ALL="udp64rate udp64 tcp1 tcp8 connrate"
GWCOST_UDP_PPS=20000
GWCOST_HZ=4999 # not a multiple of the 250 Hz tick, so sampling does not lock onto it

# rps NS DEV MASK: RPS mask of DEV's receive queue (hex; 0: none), in NS's own sysfs.
rps() {
	in_ns "$1" sh -c "echo $3 > /sys/class/net/$2/queues/rx-0/rps_cpus"
}

# napi_threads: the PIDs of the kernel's threaded-NAPI threads (comm napi/DEV-ID), sorted.
napi_threads() {
	local f comm
	for f in /proc/[0-9]*/comm; do
		{ read -r comm <"$f"; } 2>/dev/null || continue
		case $comm in napi/*) f=${f#/proc/} && echo "${f%/comm}" ;; esac
	done | sort
}

# gwcost_steer on|off: the steering described at the top, or back to the veths' defaults.
gwcost_steer() {
	local gw load before ns dev pid
	gw=$(printf '%x' $((1 << GW_CPU)))
	load=$(printf '%x' $((1 << LOAD_CPU)))
	if [ "$1" = off ]; then
		rps "$NS_GW" lan0 0 && rps "$NS_GW" wan0 0 && rps "$NS_ROUTER" r1 0 && rps "$NS_SERVER" s0 0 || return 1
		for ns in "$NS_CLIENT:c0" "$NS_ROUTER:r0"; do
			dev=${ns#*:} ns=${ns%%:*}
			in_ns "$ns" sh -c "echo 0 > /sys/class/net/$dev/threaded" || return 1
			ip netns exec "$ns" ethtool -K "$dev" gro off tso on >/dev/null 2>&1 || return 1
		done
		ip netns exec "$NS_GW" ethtool -K lan0 tso on >/dev/null 2>&1 &&
			ip netns exec "$NS_GW" ethtool -K wan0 tso on >/dev/null 2>&1
		return
	fi
	rps "$NS_GW" lan0 "$gw" && rps "$NS_GW" wan0 "$gw" || return 1
	rps "$NS_ROUTER" r1 "$load" && rps "$NS_SERVER" s0 "$load" || return 1
	# veth hands a packet to the peer's NAPI only if the sender has no TSO (or it comes from a
	# local socket): TSO off on the gateway's and the senders' veths, so every packet the
	# gateway forwards is one wire packet and the peers' NAPI takes it.
	ip netns exec "$NS_GW" ethtool -K lan0 tso off >/dev/null 2>&1 &&
		ip netns exec "$NS_GW" ethtool -K wan0 tso off >/dev/null 2>&1 || return 1
	before=$(napi_threads)
	for ns in "$NS_CLIENT:c0" "$NS_ROUTER:r0"; do
		dev=${ns#*:} ns=${ns%%:*}
		ip netns exec "$ns" ethtool -K "$dev" tso off gro on >/dev/null 2>&1 || return 1
		in_ns "$ns" sh -c "echo 1 > /sys/class/net/$dev/threaded" || return 1
	done
	# The new NAPI threads (ours: they appeared just now) on the gateway's CPU: woken from
	# the gateway's softirq on its own CPU, without an IPI.
	for pid in $(comm -13 <(echo "$before") <(napi_threads)); do
		taskset -p -c "$GW_CPU" "$pid" >/dev/null 2>&1 || true
	done
}

# gwcost_pin CPU: every process in the bench's namespaces (all threads) onto CPU.
gwcost_pin() {
	local ns pid
	for ns in "$NS_CLIENT" "$NS_GW" "$NS_ROUTER" "$NS_SERVER"; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			taskset -a -p -c "$1" "$pid" >/dev/null 2>&1 || true
		done
	done
}

# mono_ns: CLOCK_MONOTONIC in ns (ktime_get, the clock of perf -k monotonic's timestamps).
mono_ns() {
	awk '/^now at/ { print $3; exit }' /proc/timer_list
}

# gwcost_snapshot DIR NAME: the counters the cost is computed from.
gwcost_snapshot() {
	cat /proc/stat >"$1/$2.stat"
	cat /proc/softirqs >"$1/$2.softirqs"
	ip -n "$NS_GW" -s -j link show >"$1/$2.links.json"
}

# gw_workload NAME: the macro phase's workloads, unlimited, and udp64rate: 64-byte UDP at a
# fixed rate every configuration sustains, so that each forwards the same packets at the same
# pace (ns per packet depends on how many packets share a softirq).
gw_workload() {
	if [ "$1" = udp64rate ]; then
		run_iperf3 "$GWCOST_DURATION" -u -l 64 -b $((GWCOST_UDP_PPS * 64 * 8)) || return 1
		jq -c '.end.sum | {value: ((.packets - .lost_packets) / .seconds), unit: "packets/s",
			sent_pps: (.packets / .seconds), lost_percent: .lost_percent, packets_sent: .packets,
			seconds: .seconds}' "$WORK/iperf3.json"
	else
		run_workload "$1" "$GWCOST_DURATION"
	fi
}

# gwcost_run CONFIG ROUND WORKLOAD: one run with perf on GW_CPU; appends to gwcost.jsonl.
gwcost_run() {
	local c=$1 r=$2 w=$3 d="$WORK/gwcost-run" perf_pid='' trace_pid='' load out=''
	rm -rf "$d" && mkdir -p "$d"
	if [ "$GWCOST_PERF" = 1 ]; then
		perf record -q -m 2048 -g -C "$LOAD_CPU,$GW_CPU" -e cpu-clock -F "$GWCOST_HZ" -o "$d/perf.data" \
			>/dev/null 2>"$d/perf-record.err" &
		perf_pid=$!
		# Every NET_RX softirq on the gateway's CPU, entry and exit: its time exactly.
		perf record -q -m 2048 -k monotonic -C "$GW_CPU" -e irq:softirq_entry --filter 'vec == 3' \
			-e irq:softirq_exit --filter 'vec == 3' -o "$d/trace.data" \
			>/dev/null 2>"$d/trace-record.err" &
		trace_pid=$!
		sleep 0.5 # perf is sampling before the counters are read
		# A second without the bench's traffic: the NET_RX time of other users of this CPU
		# (the machine is shared), subtracted at that rate from the run's.
		mono_ns >"$d/mark.background"
		sleep 1
	fi
	read -r load _ </proc/loadavg
	mono_ns >"$d/mark.before"
	gwcost_snapshot "$d" before
	gw_workload "$w" >"$d/workload.json" || out=failed
	gwcost_snapshot "$d" after
	mono_ns >"$d/mark.after"
	if [ -n "$perf_pid" ]; then
		kill -INT "$perf_pid" "$trace_pid" 2>/dev/null || true
		wait "$perf_pid" 2>/dev/null || true
		wait "$trace_pid" 2>/dev/null || true
		perf script -i "$d/trace.data" --ns -F cpu,time,event 2>"$d/trace-script.err" >"$d/trace.txt" || : >"$d/trace.txt"
		if [ -s "$d/perf.data" ]; then
			perf script -i "$d/perf.data" -F comm,cpu,ip,sym 2>/dev/null >"$d/perf.txt" || : >"$d/perf.txt"
		else
			say "    (perf recorded nothing: $(tail -n 1 "$d/perf-record.err"))"
		fi
	fi
	if [ "$out" = failed ]; then
		record_skip "gwcost:$c" "$r" "$w failed (see the message above)"
		return 0
	fi
	"$PYTHON" "$BENCH_DIR/gwcost.py" --dir "$d" --config "$c" --round "$r" --workload "$w" \
		--gw-cpu "$GW_CPU" --load-cpu "$LOAD_CPU" --hz "$GWCOST_HZ" --load "$load" \
		>>"$WORK/gwcost.jsonl" || {
		say "    gwcost.py could not summarize this run (data in $d)"
		return 0
	}
	if [ -n "${GWCOST_KEEP:-}" ]; then rm -rf "$GWCOST_KEEP/$c-$w-$r" && mkdir -p "$GWCOST_KEEP" && cp -r "$d" "$GWCOST_KEEP/$c-$w-$r"; fi
	tail -n 1 "$WORK/gwcost.jsonl" | jq -r --arg t "$(config_title "$c")" '"    \($t): " +
		(if .gw_ns_per_packet then "\(.gw_ns_per_packet | round) ns per forwarded packet" else "" end) +
		(if (.config | startswith("tcfw")) and .tcfw_own_ns_per_packet then " (tcfw itself \(.tcfw_own_ns_per_packet | round))" else "" end) +
		(if .gw_ns_per_connection then ", \(.gw_ns_per_connection | round) ns per new connection" else "" end) +
		"; CPU \(.gw_cpu): \(.gw_share_pct | round)% forwarding; CPU \(.load_cpu): " +
		(if .load_bench_pct then "\(.load_bench_pct | round)% the bench, \(.load_other_pct | round)% other work" else "\(.cpu.load.busy_pct | round)% busy" end) +
		"; bottleneck: \(.bottleneck)"' >&2
}

gwcost_secs() {
	local n nc
	n=$(wc -w <<<"$GWCOST_WORKLOADS")
	nc=$(wc -w <<<"$CONFIGS")
	# Each run: the workload, perf's start, a second of background, perf script.
	echo $((GWCOST_ROUNDS * n * nc * (GWCOST_DURATION + 8) + 10))
}

phase_gwcost() {
	local r c w i why
	progress "gwcost: the gateway's own CPU per forwarded packet and per new connection (gateway on CPU $GW_CPU, everything else on CPU $LOAD_CPU)"
	: >"$WORK/gwcost.jsonl"
	GWCOST_UPTIME_BEFORE=$(uptime)
	GWCOST_PERF=0
	if command -v perf >/dev/null; then
		GWCOST_PERF=1
	else
		say "    (perf is not installed: the gateway's time is /proc/stat's softirq + irq of CPU $GW_CPU, tick-sampled)"
	fi
	if [ "$GW_CPU" = "$LOAD_CPU" ]; then
		say "    one CPU only: the gateway cannot have a CPU of its own; skipped"
		echo '{"skipped": "one CPU: the gateway cannot have a CPU of its own"}' >"$WORK/gwcost-params.json"
		return 0
	fi
	if ! command -v ethtool >/dev/null; then
		say "    ethtool is missing (scripts/install-deps.sh installs it): skipped"
		echo '{"skipped": "ethtool is missing"}' >"$WORK/gwcost-params.json"
		return 0
	fi
	gwcost_steer on || die "cannot steer the bench's veths (RPS, threaded NAPI, TSO)"
	gwcost_pin "$LOAD_CPU"
	for ((r = 1; r <= GWCOST_ROUNDS; r++)); do
		i=0
		for w in $GWCOST_WORKLOADS; do
			progress "gwcost round $r/$GWCOST_ROUNDS: $(workload_title "$w")"
			for c in $(serpentine $i); do
				if ! switch_to "$c"; then
					why=${CFG_FAILED[$c]:-"the set-up check failed"}
					say "    $(config_title "$c"): skipped: $why"
					record_skip "gwcost:$c" "$r" "$why"
					continue
				fi
				gwcost_pin "$LOAD_CPU" # a new fwd
				gwcost_run "$c" "$r" "$w"
			done
			i=$((i + 1))
		done
	done
	[ -z "$ACTIVE_CONFIG" ] || config_teardown "$ACTIVE_CONFIG"
	ACTIVE_CONFIG=
	gwcost_steer off || say "    (could not clear the RPS masks)"
	# The servers back where the other phases expect them.
	local ns pid
	for pid in $(ip netns pids "$NS_SERVER" 2>/dev/null); do
		taskset -a -p -c "$CPU_SERVER" "$pid" >/dev/null 2>&1 || true
	done
	for ns in "$NS_CLIENT" "$NS_GW" "$NS_ROUTER"; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			taskset -a -p -c "0-$(($(nproc) - 1))" "$pid" >/dev/null 2>&1 || true
		done
	done
	jq -n --argjson gw "$GW_CPU" --argjson load "$LOAD_CPU" --argjson hz "$GWCOST_HZ" \
		--argjson perf "$GWCOST_PERF" --argjson rounds "$GWCOST_ROUNDS" \
		--argjson secs "$GWCOST_DURATION" --arg wl "$GWCOST_WORKLOADS" \
		--arg up_before "$GWCOST_UPTIME_BEFORE" --arg up_after "$(uptime)" \
		'{gw_cpu: $gw, load_cpu: $load, hz: $hz, perf: ($perf == 1), rounds: $rounds,
		  duration_s: $secs, workloads: ($wl | split(" ")), uptime_before: $up_before,
		  uptime_after: $up_after}' >"$WORK/gwcost-params.json"
}

# shellcheck shell=bash
# phases.sh - the parts of a benchmark run, each writing its findings into $WORK for report.py:
#
#   phase_macro    rounds of every configuration x every workload, interleaved   samples.jsonl
#   phase_profile  tcfw's own ns per packet under real traffic (bpf_stats)       profile.json
#   phase_micro    microbench: ns per packet with BPF_PROG_TEST_RUN, rules     micro.json
#   phase_scale    the table filled to --ct-entries, lookups, memory, expiry     scale.json
#
# Progress goes to stderr: "[elapsed / estimated total] what".

# ---- progress and time budget ----------------------------------------------------------------
fmt_secs() { printf '%d:%02d' $(($1 / 60)) $(($1 % 60)); }

progress() {
	printf '[%s / ~%s] %s\n' "$(fmt_secs $((SECONDS - BENCH_T0)))" "$(fmt_secs "$BENCH_ESTIMATE")" \
		"$*" >&2
}

# Seconds of set-up of a configuration (fwd's load, nft -f of 10,000 rules).
setup_secs_of() {
	case $1 in
	plain | nftables) echo 0 ;;
	tcfw | tcfw-10k) echo 1 ;;
	nftables-10k) echo 3 ;;
	esac
}

# Seconds one round takes: every workload under every configuration (with tool start-up), and
# a set-up per configuration and workload (one fewer: the serpentine order keeps the last).
round_secs() {
	local c setup=0
	for c in $CONFIGS; do setup=$((setup + $(setup_secs_of "$c"))); done
	echo $((NWORKLOADS * NCONFIGS * (2 * DURATION + 1) / 2 + NWORKLOADS * setup * (NCONFIGS - 1) / NCONFIGS))
}

micro_secs() { echo 8; }
scale_secs() { echo $((CT_ENTRIES / 150000 + 4 * EXPIRE_INTERVAL + 12)); }
profile_secs() { echo $((3 * DURATION + 6)); }

estimate_total() {
	local total=5
	# The first round also finds what the tcfw build can do (a few fwd starts).
	has_phase macro && total=$((total + ROUNDS * $(round_secs) + 8))
	has_phase gwcost && total=$((total + $(gwcost_secs)))
	has_phase profile && total=$((total + $(profile_secs)))
	has_phase micro && total=$((total + $(micro_secs)))
	has_phase scale && total=$((total + $(scale_secs)))
	echo "$total"
}

has_phase() { [[ ",$PHASES," == *",$1,"* ]]; }

# ---- macro: interleaved rounds ----------------------------------------------------------------
record_sample() { # CONFIG ROUND WORKLOAD JSON
	jq -c --arg c "$1" --argjson r "$2" --arg w "$3" '{config: $c, round: $r, workload: $w} + .' \
		<<<"$4" >>"$WORK/samples.jsonl"
}

record_skip() { # CONFIG ROUND WHY
	jq -nc --arg c "$1" --argjson r "$2" --arg why "$3" '{config: $c, round: $r, skipped: $why}' \
		>>"$WORK/skips.jsonl"
}

show_value() { # JSON -> "15.77 Gbit/s"
	jq -r '(if .value >= 1000 then (.value | round) else (.value * 100 | round / 100) end) as $v |
		"\($v) \(.unit)" + (if .p99_us then " (p99 \(.p99_us) us)" else "" end)' <<<"$1"
}

# The configurations in serpentine order: forward for even workloads, backward for odd ones,
# so the last configuration of one workload is the first of the next (one switch saved).
serpentine() { # INDEX -> configurations
	local c list=()
	for c in $CONFIGS; do list+=("$c"); done
	if (($1 % 2)); then
		for ((c = ${#list[@]} - 1; c >= 0; c--)); do printf '%s ' "${list[c]}"; done
	else
		printf '%s ' "${list[@]}"
	fi
}

ACTIVE_CONFIG=
# switch_to CONFIG: tear down the active configuration, set up CONFIG. 1 when it cannot be set
# up (the reason is said and kept).
switch_to() {
	local c=$1
	[ "$ACTIVE_CONFIG" = "$c" ] && return 0
	[ -z "$ACTIVE_CONFIG" ] || config_teardown "$ACTIVE_CONFIG"
	ACTIVE_CONFIG=
	if ! config_setup "$c"; then
		config_teardown "$c"
		return 1
	fi
	ACTIVE_CONFIG=$c
	if [ -n "${CFG_NOTE[$c]:-}" ] && [ -z "${NOTE_SAID[$c]:-}" ]; then
		say "    note on $(config_title "$c"): ${CFG_NOTE[$c]}"
		NOTE_SAID[$c]=1
	fi
}

phase_macro() {
	local r c w out rest later i why load
	declare -gA NOTE_SAID=()
	: >"$WORK/samples.jsonl"
	: >"$WORK/skips.jsonl"
	# Warm-up, not recorded: neighbour entries, socket buffers, page cache, CPU frequency.
	progress "warm-up (plain forwarding, not recorded)"
	bench_route_lan on
	run_workload tcp1 1 >/dev/null || true
	run_workload connrate 1 >/dev/null || true
	bench_route_lan off
	for ((r = 1; r <= ROUNDS; r++)); do
		# Keep to the time budget: a round that would not finish before the deadline (with the
		# phases still to come) is skipped, and the results say so.
		rest=$(round_secs)
		later=0
		has_phase gwcost && later=$((later + $(gwcost_secs)))
		has_phase profile && later=$((later + $(profile_secs)))
		has_phase micro && later=$((later + $(micro_secs)))
		has_phase scale && later=$((later + $(scale_secs)))
		if [ $r -gt 1 ] && [ $((SECONDS - BENCH_T0 + rest + later)) -gt "$BUDGET" ]; then
			progress "round $r/$ROUNDS skipped: it would pass the time budget of $(fmt_secs "$BUDGET")"
			break
		fi
		# Within a round every workload runs under every configuration back to back, so
		# that the runs compared with each other are seconds apart, not minutes.
		i=0
		for w in $WORKLOADS; do
			progress "round $r/$ROUNDS: $(workload_title "$w")"
			for c in $(serpentine $i); do
				if ! switch_to "$c"; then
					why=${CFG_FAILED[$c]:-"the set-up check failed (the client's request did not reach the server as expected)"}
					say "    $(config_title "$c"): skipped: $why"
					record_skip "$c" "$r" "$why"
					continue
				fi
				read -r load _ </proc/loadavg
				if out=$(run_workload "$w" "$DURATION"); then
					out=$(jq -c --argjson l "$load" '. + {loadavg_1min: $l}' <<<"$out")
					record_sample "$c" "$r" "$w" "$out"
					say "    $(config_title "$c"): $(show_value "$out")"
				else
					record_skip "$c" "$r" "$w failed (see the message above)"
				fi
			done
			i=$((i + 1))
		done
		# shellcheck disable=SC2034 # read by run.sh, which sources this file, for the results
		ROUNDS_DONE=$r
	done
	[ -z "$ACTIVE_CONFIG" ] || config_teardown "$ACTIVE_CONFIG"
	ACTIVE_CONFIG=
}

# ---- profile: where tcfw's time goes under real traffic ---------------------------------------
# run_time_ns / run_cnt of each tcfw program over one workload, with kernel.bpf_stats_enabled
# (which itself adds two clock reads per run: this phase is apart from the measured rounds).
prog_ids() { # -> "ID NAME WHERE" lines, one per program (all interfaces share one program)
	# From fwd's status: bpftool 7.1's `net show` lists cls_bpf filters but not tcx links.
	fwctl -j status 2>/dev/null | jq -r '. as $s |
		([$s.interfaces[] | select(.attached) | "\(.name)/\(.attach)"] | join(",")) as $at |
		"\($s.attach.prog_ingress) tcfw_ingress \($at)", "\($s.attach.prog_egress) tcfw_egress \($at)"'
}

prog_counters() { # ID -> "run_time_ns run_cnt"
	bpftool -j prog show id "$1" 2>/dev/null | jq -r '"\(.run_time_ns // 0) \(.run_cnt // 0)"'
}

phase_profile() {
	local mode=${CFG_MODE[tcfw]:-} w id name where before after
	progress "profile: tcfw's ns per packet in real traffic (bpf_stats)"
	if ! config_setup tcfw; then
		say "    skipped: tcfw could not be set up (${CFG_FAILED[tcfw]:-see above})"
		echo '{"skipped": "tcfw could not be set up"}' >"$WORK/profile.json"
		return 0
	fi
	topo_set_host_sysctl kernel.bpf_stats_enabled 1
	: >"$WORK/profile.jsonl"
	for w in udp64 tcp1; do
		mapfile -t progs < <(prog_ids)
		declare -A start=()
		for line in "${progs[@]}"; do
			read -r id name where <<<"$line"
			start[$id]=$(prog_counters "$id")
		done
		run_workload "$w" "$DURATION" >"$WORK/profile-$w.json" || true
		for line in "${progs[@]}"; do
			read -r id name where <<<"$line"
			before=${start[$id]}
			after=$(prog_counters "$id")
			jq -nc --arg w "$w" --arg p "$name" --arg at "$where" \
				--argjson b "[${before// /,}]" --argjson a "[${after// /,}]" \
				'{workload: $w, program: $p, at: $at, runs: ($a[1] - $b[1]),
				  ns_per_run: (if $a[1] > $b[1] then ($a[0] - $b[0]) / ($a[1] - $b[1]) else null end)}' \
				>>"$WORK/profile.jsonl"
		done
		unset start
	done
	sysctl -qw kernel.bpf_stats_enabled=0
	jq -r '"    \(.workload): \(.program) on \(.at): \(.ns_per_run | round) ns per run over \(.runs) runs"' \
		<(jq -c 'select(.runs > 0)' "$WORK/profile.jsonl") >&2
	perf_profile
	jq -s --arg mode "$mode" --arg attach "${BENCH_FWD_ATTACH:-auto}" --slurpfile perf "$WORK/perf.json" \
		'{mode: $mode, attach: $attach, programs: ., perf: $perf[0]}' "$WORK/profile.jsonl" >"$WORK/profile.json"
	config_teardown tcfw
}

# perf_profile: where the forwarding CPU's time goes during udp64 under tcfw (bpf_stats off).
# The sending CPU runs the whole forwarding path in its softirq, so tcfw's samples there (its
# programs, what they call, the TC hook; attributed by call stack, perf_summary.py) divided by
# the datagrams sent are ns per packet. cpu-clock sampling: this machine has no hardware PMU
# (so no `bpftool prog profile` either).
perf_profile() {
	local hz=5000 secs=$((DURATION + 1)) p
	echo '{}' >"$WORK/perf.json"
	command -v perf >/dev/null || { say "    (perf is not installed: no CPU profile)"; return 0; }
	perf record -q -g -o "$WORK/perf.data" -C "$CPU_CLIENT" -e cpu-clock -F $hz -- sleep "$secs" \
		>/dev/null 2>"$WORK/perf-record.err" &
	p=$!
	run_workload udp64 "$DURATION" >"$WORK/perf-udp64.json" || true
	wait $p || { say "    (perf record failed: $(tail -n 1 "$WORK/perf-record.err"))"; return 0; }
	perf script -i "$WORK/perf.data" -F ip,sym 2>/dev/null | "$PYTHON" "$BENCH_DIR/perf_summary.py" \
		>"$WORK/perf-summary.json" || { say "    (perf script could not be summarized)"; return 0; }
	jq -n --argjson hz $hz --argjson secs "$secs" --argjson cpu "$CPU_CLIENT" \
		--slurpfile w "$WORK/perf-udp64.json" --slurpfile sum "$WORK/perf-summary.json" \
		'{hz: $hz, seconds: $secs, cpu: $cpu, workload: $w[0], summary: $sum[0]}' >"$WORK/perf.json"
	jq -r '(.workload.packets_sent // 0) as $p | .hz as $hz | .summary as $s | if $p > 0 then
		"    perf: tcfw per forwarded datagram: programs \($s.programs / $hz * 1e9 / $p | round) ns, what they call \($s.helpers / $hz * 1e9 / $p | round) ns, TC hook \($s.hook / $hz * 1e9 / $p | round) ns, hook callers (self) \($s.hook_callers / $hz * 1e9 / $p | round) ns"
		else "    perf: no datagrams counted" end' "$WORK/perf.json" >&2
}

# ---- micro: BPF_PROG_TEST_RUN -------------------------------------------------------------------
phase_micro() {
	local g="$BENCH_DIR/gen_rules.py" args=() kind addr
	progress "micro: ns per packet with BPF_PROG_TEST_RUN (10 and 10,000 rules, a 100,000-prefix set)"
	if ! { "$PYTHON" "$g" micro 10 "$WORK/micro-10.conf" &&
		"$PYTHON" "$g" micro-nonat 10 "$WORK/micro-10-nonat.conf" &&
		"$PYTHON" "$g" micro 10000 "$WORK/micro-10k.conf" &&
		"$PYTHON" "$g" bigset 100000 "$WORK/bigset.conf" &&
		"$PYTHON" "$g" micro-open 0 "$WORK/micro-open.conf"; }; then
		die "cannot generate the micro-benchmark policies"
	fi
	while read -r kind addr; do args+=("--$kind" "$addr"); done <"$WORK/bigset.conf.probes"
	bench_route_lan off
	fwd_start micro "$WORK/micro-10.conf"
	if ! nsenter --net="/run/netns/$NS_GW" -- "$BENCH_BIN/microbench" --socket "$FWD_SOCKET" \
		--pin-dir "$FWD_PIN_DIR" --lan lan0 --wan wan0 \
		--policy "10 rules=$WORK/micro-10.conf" \
		--policy "10 rules, no NAT rule=$WORK/micro-10-nonat.conf" \
		--policy "10,000 rules=$WORK/micro-10k.conf" \
		--bigset "$WORK/bigset.conf" "${args[@]}" --fallback "$WORK/micro-open.conf" \
		--repeat "$MICRO_REPEAT" --calls "$MICRO_CALLS" --json "$WORK/micro.json"; then
		say "    microbench failed (its message is above)"
		echo '{"error": "microbench failed (see the run log)"}' >"$WORK/micro.json"
	fi
	fwd_stop
}

# ---- scale: a full connection table ---------------------------------------------------------------
# The tcfw configuration's policy (as probed), a table of CT_MAX, filled to CT_ENTRIES.
scale_policy_and_route() {
	[ -n "${CFG_MODE[tcfw]:-}" ] || {
		tcfw_probe tcfw || return 1
		fwd_stop
	}
	case ${CFG_MODE[tcfw]} in
	nat) SCALE_POLICY=$WORK/tcfw.conf SCALE_ROUTE=off ;;
	routed) SCALE_POLICY=$WORK/tcfw.conf SCALE_ROUTE=on ;;
	open-nat) SCALE_POLICY=$WORK/tcfw-open.conf SCALE_ROUTE=off ;;
	open-routed) SCALE_POLICY=$WORK/tcfw-open.conf SCALE_ROUTE=on ;;
	esac
}

# ping_through SECONDS OUT: 100 pings a second from the client to the server, summary as JSON.
ping_through() {
	local secs=$1 out=$2 txt
	txt=$(in_ns "$NS_CLIENT" timeout $((secs + 10)) ping -n -q -i 0.01 -W 1 -c $((secs * 100)) \
		"$BENCH_SERVER" 2>&1) || true
	awk '/packets transmitted/ { tx = $1; rx = $4 }
	     /rtt|round-trip/ { split($4, v, "/"); mn = v[1]; avg = v[2]; mx = v[3] }
	     END { printf "{\"sent\": %d, \"received\": %d, \"rtt_min_ms\": %s, \"rtt_avg_ms\": %s, \"rtt_max_ms\": %s}\n",
	           tx, rx, mn == "" ? "null" : mn, avg == "" ? "null" : avg, mx == "" ? "null" : mx }' \
		<<<"$txt" >"$out"
}

phase_scale() {
	# shellcheck disable=SC2153 # CT_MAX is run.sh's option (--ct-max), set before this runs
	local runs_before runs_after walked deadline ct_max=$CT_MAX
	progress "scale: $CT_ENTRIES connections through the datapath (table of $ct_max), lookups, memory, expiry"
	if ! scale_policy_and_route; then
		say "    skipped: ${CFG_FAILED[tcfw]}"
		echo "{\"skipped\": \"${CFG_FAILED[tcfw]}\"}" >"$WORK/scale.json"
		return 0
	fi
	bench_route_lan "$SCALE_ROUTE"
	fwd_start scale "$SCALE_POLICY" --ct-max "$ct_max" --expire-interval "$EXPIRE_INTERVAL"
	ping_through 2 "$WORK/ping-idle.json"
	if ! nsenter --net="/run/netns/$NS_GW" -- "$BENCH_BIN/ct_scale" --pin-dir "$FWD_PIN_DIR" \
		--lan lan0 --wan wan0 --entries "$CT_ENTRIES" --sample "$MICRO_CALLS" \
		--json "$WORK/ct_scale.json"; then
		say "    ct_scale failed (its message is above)"
		echo '{"error": "ct_scale failed (see the run log)"}' >"$WORK/ct_scale.json"
	fi
	# bpftool's view of the same maps, to cross-check the memory figure.
	bpftool -j map show pinned "$FWD_PIN_DIR/ct" >"$WORK/bpftool-ct.json" 2>/dev/null || echo '{}' >"$WORK/bpftool-ct.json"
	# Wait for a pass that walked the whole table, then ping through two more passes.
	deadline=$((SECONDS + 4 * EXPIRE_INTERVAL + 30))
	until walked=$(fwd_status_field .expiry.last_walked) && [ "${walked:-0}" -ge $((CT_ENTRIES * 99 / 100)) ]; do
		[ $SECONDS -lt $deadline ] || break
		sleep 0.2
	done
	runs_before=$(fwd_status_field .expiry.runs)
	progress "scale: pinging through the gateway during expiry passes over ${walked:-?} connections"
	ping_through $((2 * EXPIRE_INTERVAL + 1)) "$WORK/ping-passes.json"
	runs_after=$(fwd_status_field .expiry.runs)
	fwctl -j status >"$WORK/status-scale.json" 2>/dev/null || echo '{}' >"$WORK/status-scale.json"
	jq -n --slurpfile fill "$WORK/ct_scale.json" --slurpfile st "$WORK/status-scale.json" \
		--slurpfile idle "$WORK/ping-idle.json" --slurpfile busy "$WORK/ping-passes.json" \
		--slurpfile bct "$WORK/bpftool-ct.json" \
		--argjson rb "${runs_before:-0}" --argjson ra "${runs_after:-0}" \
		--argjson entries "$CT_ENTRIES" --argjson ctmax "$ct_max" --argjson iv "$EXPIRE_INTERVAL" \
		--arg mode "${CFG_MODE[tcfw]}" \
		'{mode: $mode, entries_requested: $entries, ct_max: $ctmax, expire_interval_s: $iv,
		  fill: $fill[0], ct_entries_after: $st[0].ct.entries, expiry: $st[0].expiry,
		  passes_during_ping: ($ra - $rb), ping_idle: $idle[0], ping_during_passes: $busy[0],
		  bpftool_memlock: {ct: $bct[0].bytes_memlock}}' \
		>"$WORK/scale.json"
	jq -r '"    expiry pass over \(.expiry.last_walked) connections: \(.expiry.last_pass_ms) ms; during \(.passes_during_ping) passes \(.ping_during_passes.received)/\(.ping_during_passes.sent) pings answered, rtt max \(.ping_during_passes.rtt_max_ms) ms (idle: \(.ping_idle.rtt_max_ms) ms)"' \
		"$WORK/scale.json" >&2
	fwd_stop
	bench_route_lan off
}

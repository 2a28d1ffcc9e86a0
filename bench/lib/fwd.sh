# shellcheck shell=bash
# fwd.sh - one fwd at a time in the gateway namespace, for the tcfw configurations and the
# micro and scale phases, started and reached with the test kit's start_fwd and fwctl
# (tests/lib/topo.sh: `nsenter --net`, not `ip netns exec`, which remounts /sys and would hide
# the host's bpffs where fwd pins its maps).
#
#   fwd_start NAME POLICY [FWD ARGS...]   start, wait until it answers (FWD_PID, FWD_LOG, ...)
#   fwd_stop                              SIGTERM, wait: fwd detaches and unpins
#   fwctl ARGS...                         fwctl against the running instance (the kit's)

FWD_PID=

# Each instance gets pins and a socket of its own: a configuration never inherits the maps of
# the one before. 60 s to answer: a policy of 10,000 rules and a table of a million take time.
fwd_start() {
	local name=$1 policy=$2
	shift 2
	# shellcheck disable=SC2034 # start_fwd (tests/lib/topo.sh) reads it
	FWD_PIN_DIR="/sys/fs/bpf/$BENCH_PREFIX-$((FWD_SEQ + 1))"
	# shellcheck disable=SC2034 # start_fwd and fwctl read it
	FWD_SOCKET="/run/tcfw/$BENCH_PREFIX-$((FWD_SEQ + 1)).sock"
	FWD_ATTACH=${BENCH_FWD_ATTACH:-} FWD_LOG_NAME=$name FWD_START_TIMEOUT=60 start_fwd "$policy" "$@"
}

# Unlike the tests' stop_fwd, a stop that takes long or ends badly is said and the run goes on:
# the bench measures, fwd's correctness is the tests' business.
fwd_stop() {
	[ -n "$FWD_PID" ] || return 0
	local deadline=$((SECONDS + 20)) pid=$FWD_PID
	FWD_PID=
	kill -TERM "$pid" 2>/dev/null
	while pid_running "$pid"; do
		if [ $SECONDS -ge $deadline ]; then
			say "bench: fwd (pid $pid) did not stop within 20 s of SIGTERM; killing it"
			kill -KILL "$pid" 2>/dev/null
			break
		fi
		sleep 0.1
	done
	wait "$pid" 2>/dev/null || true
}

# fwd_status_field JQ-PATH: one field of `fwctl -j status` (e.g. .expiry.last_pass_ms).
fwd_status_field() {
	fwctl -j status 2>/dev/null | jq -r "$1"
}

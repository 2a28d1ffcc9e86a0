# shellcheck shell=bash
# fwd.sh - one fwd at a time in the gateway namespace, for the tcfw configurations and the
# micro and scale phases. fwd and fwctl run under `nsenter --net` (not `ip netns exec`, which
# remounts /sys and would hide the host's bpffs where fwd pins its maps).
#
#   fwd_start NAME POLICY [FWD ARGS...]   start, wait until it answers (FWD_PID, FWD_LOG, ...)
#   fwd_stop                              SIGTERM, wait: fwd detaches and unpins
#   fwctl ARGS...                         fwctl against the running instance

FWD_PID=
FWD_SEQ=0

fwctl() {
	nsenter --net="/run/netns/$NS_G" -- "$FWCTL" --socket "$FWD_SOCKET" "$@"
}

fwd_start() {
	local name=$1 policy=$2
	shift 2
	FWD_SEQ=$((FWD_SEQ + 1))
	FWD_PIN_DIR="/sys/fs/bpf/$BENCH_PREFIX-$FWD_SEQ"
	FWD_SOCKET="/run/tcfw/$BENCH_PREFIX-$FWD_SEQ.sock"
	FWD_LOG="$WORK/fwd-$FWD_SEQ-$name.log"
	BENCH_PINS+=("$FWD_PIN_DIR")
	BENCH_SOCKETS+=("$FWD_SOCKET")
	nsenter --net="/run/netns/$NS_G" -- "$FWD" -c "$policy" --pin-dir "$FWD_PIN_DIR" \
		--socket "$FWD_SOCKET" ${BENCH_FWD_ATTACH:+--attach "$BENCH_FWD_ATTACH"} "$@" >"$FWD_LOG" 2>&1 &
	FWD_PID=$!
	BENCH_PIDS+=("$FWD_PID")
	local deadline=$((SECONDS + 60))
	until [ -S "$FWD_SOCKET" ] && fwctl status >/dev/null 2>&1; do
		if ! pid_running "$FWD_PID"; then
			tail -n 20 "$FWD_LOG" >&2
			die "fwd ($name) exited before answering on $FWD_SOCKET (its log is above)"
		fi
		[ $SECONDS -lt $deadline ] || die "fwd ($name) did not answer within 60 s (log: $FWD_LOG)"
		sleep 0.1
	done
}

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

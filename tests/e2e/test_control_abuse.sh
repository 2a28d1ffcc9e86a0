#!/usr/bin/env bash
# test_control_abuse.sh - control-socket clients that misbehave cannot take fwd's memory or keep
# other clients waiting (fwd/control_limits.h, docs/fwd.md "Limits of the control socket").
# With a 48,000-rule policy in fwd, at the same time:
#   - one client pipelines 100 policy-show requests (megabytes of answer each) and reads nothing
#   - 30 clients each send one request line that never ends, past the 16 MiB request limit
#   - one client sends garbage, a 100,000-character command name and half a request
# while `fwctl status` from another client must answer within STATUS_MAX_MS every time and fwd's
# resident memory (VmRSS) must stay below RSS_MAX_MB. Then: the 30 were disconnected, each with a
# warning naming its pid, uid and the limit; the pipelining client, once it reads, gets all 100
# answers (it was paused, not served into memory, nor dropped); past 64 clients new connections
# are refused with a reason; fwd still serves and stops cleanly.
#
# fwd and fwctl are the plain builds unless FWD / FWCTL say otherwise: the test measures time
# and memory, and with AddressSanitizer its shadow memory and quarantine (freed memory kept up
# to 256 MiB) would be most of fwd's, and fwctl's start (100 ms when idle, several times that
# on two busy CPUs) most of each status call's.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
FWD=${FWD:-$TOPO_REPO/build/fwd}
FWCTL=${FWCTL:-$TOPO_REPO/build/fwctl}
e2e_init control_abuse
# shellcheck disable=SC2119 # topo_create: its arguments are optional
topo_create

STATUS_MAX_MS=${STATUS_MAX_MS:-1000}
# The bound on fwd's memory: what it uses with the policy loaded (about 60 MB) plus the most the
# clients may hold together (CONTROL_MAX_HELD, 128 MiB), plus 64 MiB for what is transient (an
# answer exists as a JSON string before it is copied into the client's queue) and for malloc's
# fragmentation. Without the limits fwd went past 500 MB.
RSS_MAX_MB=${RSS_MAX_MB:-300}
HUGE_CLIENTS=30
HUGE_BYTES=$((17 << 20)) # past the 16 MiB limit for one request

rss_mb() { awk '/^VmRSS:/ { print int($2 / 1024) }' "/proc/$FWD_PID/status"; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# abuse_client OUT ARGS...: ctl_abuse.py in the background, stdout into OUT; pid in $BG_PID.
abuse_client() {
	local out=$1
	shift
	"$PYTHON" "$E2E_DIR/ctl_abuse.py" "$@" >"$out" 2>&1 &
	BG_PID=$!
	TOPO_PIDS+=("$BG_PID")
	/bin/true # see bg_in_ns in topo.sh
}

step "fwd with a generated policy of 48,000 rules"
# bench/gen_rules.py's filler rules, 16,000 in each of forward, input and output (a chain holds
# at most 16,384): a policy-show answer of several megabytes.
"$PYTHON" - "$TOPO_REPO/bench" 16000 >"$WORK/policy.conf" <<'EOF' || die "cannot generate the policy"
import sys
sys.path.insert(0, sys.argv[1])
import gen_rules
n = int(sys.argv[2])
rules = []
for text, _ in gen_rules.filler_rules(n):
    body = text[len("forward "):]
    rules += ["input " + body, "output " + body.replace(" in lan", "")]
sys.stdout.write(gen_rules.gateway_tcfw(n) + "\n".join(rules) + "\n")
EOF
start_fwd "$WORK/policy.conf"
assert_ge "rules in fwd" 48000 "$(fwctl -j status | jq -r '.policy.rules')"
rss_base=$(rss_mb)
t0=$(now_ms)
show_bytes=$(fwctl -j policy show | wc -c)
show_ms=$(($(now_ms) - t0))
printf '  fwd VmRSS %s MB with the policy; one policy-show: %s bytes in %s ms\n' \
	"$rss_base" "$show_bytes" "$show_ms"

step "abuse: 100 pipelined policy-show, $HUGE_CLIENTS endless request lines, garbage"
abuse_client "$WORK/pipeline.out" pipeline "$FWD_SOCKET" 100 "$WORK/pipeline.ready"
pipeline_pid=$BG_PID
wait_for 10 "the pipelining client to send its 100 requests" test -e "$WORK/pipeline.ready"
abuse_client "$WORK/huge.out" hugelines "$FWD_SOCKET" "$HUGE_CLIENTS" "$HUGE_BYTES"
huge_pid=$BG_PID
abuse_client "$WORK/garbage.out" garbage "$FWD_SOCKET"
garbage_pid=$BG_PID

step "meanwhile: fwctl status answers within ${STATUS_MAX_MS} ms, VmRSS stays below ${RSS_MAX_MB} MB"
samples=0 slow=0 failed=0 max_ms=0 max_rss=$rss_base latencies=""
# Until the huge-line clients are done, and for 5 s at least (the pipeliner alone).
min_end=$((SECONDS + 5)) deadline=$((SECONDS + 150))
while pid_running "$huge_pid" || [ $SECONDS -lt $min_end ]; do
	[ $SECONDS -lt $deadline ] || die "the abusive clients did not finish within 150 s"
	t0=$(now_ms)
	fwctl status >/dev/null 2>&1 || failed=$((failed + 1))
	ms=$(($(now_ms) - t0))
	latencies+=" $ms"
	samples=$((samples + 1))
	[ "$ms" -le "$STATUS_MAX_MS" ] || slow=$((slow + 1))
	[ "$ms" -le "$max_ms" ] || max_ms=$ms
	fwd_alive || die "fwd died under the abuse"
	rss=$(rss_mb)
	[ "$rss" -le "$max_rss" ] || max_rss=$rss
	sleep 0.1
done
printf '  %d status calls: slowest %d ms, %d slower than %d ms, %d failed; VmRSS at most %d MB\n' \
	"$samples" "$max_ms" "$slow" "$STATUS_MAX_MS" "$failed" "$max_rss"
printf '  each (ms):%s\n' "$latencies"
assert_ge "status calls during the abuse" 5 "$samples"
assert_eq "status calls that failed" 0 "$failed"
assert_eq "status calls slower than ${STATUS_MAX_MS} ms (slowest: ${max_ms} ms)" 0 "$slow"
[ "$max_rss" -lt "$RSS_MAX_MB" ] ||
	die "fwd's VmRSS reached $max_rss MB under the abuse (bound: $RSS_MAX_MB MB, at start $rss_base MB)"
ok "fwd's VmRSS at most $max_rss MB (< $RSS_MAX_MB MB; $rss_base MB at start)"

step "the endless request lines were disconnected, each with a warning naming it"
wait "$huge_pid" || die "ctl_abuse.py hugelines failed: $(cat "$WORK/huge.out")"
cat "$WORK/huge.out"
assert_eq "huge-line clients fwd disconnected" "dropped $HUGE_CLIENTS of $HUGE_CLIENTS" \
	"$(grep '^dropped' "$WORK/huge.out")"
warnings=$(grep -c "dropping client pid $huge_pid uid 0: " "$FWD_LOG" || true)
assert_eq "warnings in fwd's log naming the huge-line client (pid $huge_pid uid 0)" \
	"$HUGE_CLIENTS" "$warnings"
grep "dropping client pid $huge_pid " "$FWD_LOG" | sed 's/^/    /' | sort | uniq -c | head -5
assert_match "a warning names the request limit" "longer than 16 MiB" "$(cat "$FWD_LOG")"

step "garbage got short error answers, and did not disturb fwd"
rc=0
wait "$garbage_pid" || rc=$?
cut -c1-160 "$WORK/garbage.out" | sed 's/^/    /'
assert_eq "ctl_abuse.py garbage (exit status)" 0 "$rc"
assert_match "the unknown command is quoted shortened, with its length" \
	"unknown command 'y{64}…' \(100000 bytes\)" "$(grep '^answer5' "$WORK/garbage.out")"

step "the pipelining client, once it reads, gets all 100 answers"
kill -USR1 "$pipeline_pid"
rc=0
wait "$pipeline_pid" || rc=$?
cat "$WORK/pipeline.out"
grep "pid $pipeline_pid " "$FWD_LOG" | sed 's/^/    /' | head -5 || true
assert_eq "ctl_abuse.py pipeline (exit status)" 0 "$rc"
assert_eq "answers to the pipelined requests" "answers 100" "$(grep '^answers' "$WORK/pipeline.out")"
printf '  fwd VmRSS %s MB after the abuse\n' "$(rss_mb)"

step "past 64 clients, connections are refused with a reason"
abuse_client "$WORK/many.out" many "$FWD_SOCKET" 70
many_pid=$BG_PID
rc=0
wait "$many_pid" || rc=$?
cat "$WORK/many.out"
assert_eq "ctl_abuse.py many (exit status)" 0 "$rc"
assert_eq "70 connections at once" "served 64 refused 6" "$(grep '^served' "$WORK/many.out")"
assert_match "the refusal says why" "at most 64 control clients" "$(grep '^refusal' "$WORK/many.out")"
assert_match "fwd's log says so" "refused client pid $many_pid uid 0: 64 clients already" \
	"$(cat "$FWD_LOG")"

step "fwd still serves"
assert_eq "clients connected (fwctl status itself)" 1 "$(fwctl -j status | jq -r '.clients')"
assert_ge "rules in fwd" 48000 "$(fwctl -j status | jq -r '.policy.rules')"
stop_fwd TERM

#!/usr/bin/env bash
# test_policy_reload.sh - policy changes at run time, with the chains' defaults as the policy:
#   - `fwctl policy load` during an iperf3 transfer: the established transfer goes on without a
#     stall, new connections follow the new policy at once
#   - a policy that fails to parse changes nothing (exit 1 naming file:line:col; the old policy
#     stays active and in force)
#   - SIGHUP re-reads the -c file
# (Rules are exercised by test_policy_gateway.sh.)
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
e2e_init policy_reload
topo_create
command -v iperf3 >/dev/null || die "iperf3 is missing (scripts/install-deps.sh installs it)"

# policy FORWARD-DEFAULT: zones and defaults; input stays open (neighbour discovery, pings).
policy() {
	write_accept_policy /dev/stdout lan0 wan0 | sed "s/^    forward accept/    forward $1/"
}
generation() { fwctl -j status | jq -r '.policy.generation'; }
test_generation_is() { [ "$(generation)" = "$1" ]; }

policy accept >"$WORK/open.conf"
policy drop >"$WORK/closed.conf"
grep -q '^    forward drop' "$WORK/closed.conf" || die "test bug: closed.conf has no 'forward drop'"

step "servers: HTTP and iperf3 on the server"
mkdir -p "$WORK/www"
echo hello >"$WORK/www/index.html"
start_http_server "$NS_SERVER" "$WAN4_SERVER" 80 "$WORK/www"
start_http_server "$NS_SERVER" "$WAN6_SERVER" 80 "$WORK/www"
bg_in_ns "$NS_SERVER" iperf3 -s -1 -B "$WAN4_SERVER" >"$WORK/iperf-server.log" 2>&1
wait_for 5 "iperf3 server" tcp_listening "$NS_SERVER" "$WAN4_SERVER" 5201

step "fwd with forward accept"
cp "$WORK/open.conf" "$WORK/policy.conf"
start_fwd "$WORK/policy.conf"
gen0=$(generation)
assert_probe "client -> server:80 with forward accept" connected "$NS_CLIENT" "$WAN4_SERVER" 80

# ---- reload during a transfer ---------------------------------------------------------------
step "iperf3 for 6 s; after 2 s, fwctl policy load of a policy with forward drop"
bg_in_ns "$NS_CLIENT" iperf3 -c "$WAN4_SERVER" -t 6 -i 1 -b 300M -J --connect-timeout 3000 \
	>"$WORK/iperf.json" 2>"$WORK/iperf.err"
iperf_pid=$BG_PID
sleep 2
fwctl policy load "$WORK/closed.conf" || die "fwctl policy load closed.conf failed"
assert_eq "policy generation after the load" $((gen0 + 1)) "$(generation)"
assert_probe "new connection client -> server:80 after the load (forward drop)" timeout \
	"$NS_CLIENT" "$WAN4_SERVER" 80
assert_probe "new connection client -> server:80 over IPv6 (forward drop)" timeout \
	"$NS_CLIENT" "$WAN6_SERVER" 80
rc=0
wait "$iperf_pid" || rc=$?
[ $rc -eq 0 ] || die "iperf3 across the reload exited with status $rc: $(cat "$WORK/iperf.err") $(jq -r '.error // empty' "$WORK/iperf.json" 2>/dev/null)"
ok "iperf3 (established before the reload) exited 0"
printf '  Mbit/s per interval: %s\n' \
	"$(jq -r '[.intervals[].sum | (.bytes * 8 / .seconds / 1e6 | floor | tostring)] | join(" ")' "$WORK/iperf.json")"
assert_eq "iperf3 intervals without data across the reload" 0 \
	"$(jq '[.intervals[].sum | select(.bytes == 0)] | length' "$WORK/iperf.json")"
assert_ge "iperf3 intervals reported" 6 "$(jq '.intervals | length' "$WORK/iperf.json")"

# ---- a bad policy changes nothing ------------------------------------------------------------
step "a policy with an error: refused, the loaded one stays"
shown_before=$(fwctl policy show) || die "fwctl policy show failed"
printf 'zone lan { lan0 }\nzone wan { wan0 }\ndefaults {\n    forward acept\n}\n' >"$WORK/bad.conf"
run_expect "fwctl policy load bad.conf" 1 fwctl policy load "$WORK/bad.conf"
assert_match "the error names file:line:col" 'bad\.conf:4:13:' "$RUN_ERR"
printf '  message: %s\n' "$(head -n 1 <<<"$RUN_ERR")"
assert_eq "policy generation after the failed load" $((gen0 + 1)) "$(generation)"
assert_eq "fwctl policy show after the failed load" "$shown_before" "$(fwctl policy show)"
assert_probe "client -> server:80 still dropped (the loaded policy)" timeout \
	"$NS_CLIENT" "$WAN4_SERVER" 80

step "fwctl policy check finds the same error without a daemon"
run_expect "fwctl policy check bad.conf" 1 fwctl policy check "$WORK/bad.conf"
assert_match "the error names file:line:col" 'bad\.conf:4:13:' "$RUN_ERR"

# ---- SIGHUP ---------------------------------------------------------------------------------
step "SIGHUP re-reads the -c file (now: forward accept)"
# policy.conf is what fwd was started with; it still says forward accept.
kill -HUP "$FWD_PID"
wait_for 10 "the policy generation to move on after SIGHUP" \
	test_generation_is $((gen0 + 2))
assert_probe "client -> server:80 after SIGHUP (forward accept)" connected "$NS_CLIENT" "$WAN4_SERVER" 80
step "SIGHUP with a broken -c file: fwd keeps running with the policy it has"
cp "$WORK/bad.conf" "$WORK/policy.conf"
kill -HUP "$FWD_PID"
wait_for 10 "fwd to report the broken file (policy.conf:4:13) in its log" \
	grep -q 'policy\.conf:4:13:' "$FWD_LOG"
fwd_alive || die "fwd exited after SIGHUP with a broken policy file"
assert_eq "policy generation after a SIGHUP with a broken file" $((gen0 + 2)) "$(generation)"
assert_probe "client -> server:80 still accepted" connected "$NS_CLIENT" "$WAN4_SERVER" 80

step "fwd stops cleanly"
stop_fwd TERM
echo "PASS test_policy_reload"

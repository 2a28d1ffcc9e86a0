#!/usr/bin/env bash
# test_fwctl_polish.sh - fwctl's operator conveniences against a running fwd:
#   - every `--help` exits 0 (`fwctl help --help` too), usage errors exit 2; -p pretty JSON
#   - `monitor` filters (type, proto, port, addr) and the wall-clock time on each text line
#   - `rule add --before/--after ID` places the rule (rule list shows it, traffic obeys it), a
#     note says how long the edit lasts; `policy save` writes a file that loads back to the same
#     policy, and saved to fwd's -c file the edits survive SIGHUP
#   - conntrack's spellings: -L, -C, -D, -F, -E
#   - `policy check` and `policy load` print the checker's warnings (exit 0)
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
e2e_init fwctl_polish
topo_create

# ---- help and usage: no daemon needed --------------------------------------------------------
step "--help exits 0 everywhere, usage errors exit 2"
run_expect "fwctl help --help" 0 fwctl help --help
assert_match "help of help" '^usage: fwctl help' "$RUN_OUT"
run_expect "fwctl --help" 0 fwctl --help
for a in -L -C -D -F -E "policy save" "rule add [--before ID | --after ID]" "-p, --pretty"; do
	grep -qF -- "$a" <<<"$RUN_OUT" || die "fwctl --help does not mention '$a'"
done
ok "fwctl --help names the aliases, policy save and rule add --before"
n=0
for c in status ct "ct list" "ct count" "ct del" "ct flush" stats policy "policy check" \
	"policy load" "policy show" "policy save" rule "rule add" "rule del" "rule list" "rule reset" nat \
	"nat list" monitor help -L -C -D -F -E; do
	# shellcheck disable=SC2086 # the words of the command
	fwctl $c --help >/dev/null || die "fwctl $c --help: expected exit status 0, got $?"
	# shellcheck disable=SC2086
	fwctl help $c >/dev/null || die "fwctl help $c: expected exit status 0"
	n=$((n + 1))
done
ok "$n commands: --help and help COMMAND exit 0"
run_expect "fwctl bogus" 2 fwctl bogus
run_expect "fwctl help bogus" 2 fwctl help bogus
run_expect "fwctl monitor type lgo" 2 fwctl monitor type lgo
assert_match "monitor filter hint" "unknown event type 'lgo' \(did you mean 'log'\?\)" "$RUN_ERR"
run_expect "fwctl rule add --before x" 2 fwctl rule add --before x forward drop
run_expect "fwctl monitor -j (global option after the command)" 2 fwctl monitor -j

# ---- the policy and fwd ------------------------------------------------------------------------
cat >"$WORK/policy.conf" <<EOF
# $E2E_NAME
zone lan { lan0 }
zone wan { wan0 }
defaults {
    input   accept
    forward accept
    output  accept
    invalid drop
}
forward accept proto tcp dport 80 log
forward accept proto tcp dport 81
EOF

step "policy check and policy load print the checker's warnings and exit 0"
{
	cat "$WORK/policy.conf"
	echo "forward accept proto tcp dport 81"
	echo "nat dnat in wan proto tcp dport 8080 -> 10.77.1.2:80"
	echo "forward accept in wan proto tcp dport 8080"
} >"$WORK/warn.conf"
run_expect "fwctl policy check warn.conf" 0 fwctl policy check "$WORK/warn.conf"
assert_match "duplicate rule warning" \
	"warn\.conf:12:1: warning: duplicate of the rule at line 11" "$RUN_ERR"
assert_match "public port warning" \
	"warn\.conf:14:[0-9]+: warning: port 8080 is the public port .* use 'dport 80'" "$RUN_ERR"
run_expect "fwctl -j policy check warn.conf" 0 fwctl -j policy check "$WORK/warn.conf"
assert_eq "warnings in -j" 2 \
	"$(jq '[.diagnostics[] | select(.severity == "warning")] | length' <<<"$RUN_OUT")"

start_fwd "$WORK/policy.conf"
run_expect "fwctl policy load warn.conf" 0 fwctl policy load "$WORK/warn.conf"
assert_match "policy load prints fwd's warnings" "warn\.conf:12:1: warning: duplicate" "$RUN_ERR"
run_expect "fwctl policy load policy.conf" 0 fwctl policy load "$WORK/policy.conf"

step "-p: indented JSON, the same document as -j"
pretty=$(fwctl -p status) || die "fwctl -p status failed"
assert_gt "lines of fwctl -p status" 5 "$(wc -l <<<"$pretty")"
assert_eq "fwctl -p and -j give the same keys" "$(fwctl -j status | jq -c 'keys')" \
	"$(jq -c 'keys' <<<"$pretty")"

# ---- monitor filters -----------------------------------------------------------------------
mkdir -p "$WORK/www"
echo hello >"$WORK/www/index.html"
start_http_server "$NS_SERVER" "$WAN4_SERVER" 80 "$WORK/www"
start_tcp_listener "$NS_SERVER" "$WAN4_SERVER" 81
start_udp_echo "$NS_SERVER" "$WAN4_SERVER" 7

# start_filtered_monitor FILE FWCTL-ARGS...: like start_monitor, with the given words.
start_filtered_monitor() {
	local out=$1 before
	shift
	before=$(fwctl -j status | jq -r '.monitors // 0')
	TOPO_FWD_LOGS+=("$out.err")
	nsenter --net="/run/netns/$FWD_NS" -- "$FWCTL" --socket "$FWD_SOCKET" "$@" \
		>"$out" 2>"$out.err" &
	TOPO_PIDS+=("$!")
	wait_for 10 "fwd to count the monitor '$*'" monitors_more_than "$before"
}
lines_ge() { [ -f "$1" ] && [ "$(grep -c . "$1")" -ge "$2" ]; }

step "monitors: 'monitor type log proto tcp port 80 addr SERVER' (text), '-j -E type new proto udp'"
start_filtered_monitor "$WORK/log80.txt" monitor type log proto tcp port 80 addr "$WAN4_SERVER"
start_filtered_monitor "$WORK/newudp.jsonl" -j -E type new proto udp
assert_probe "client -> server:80 (logged)" connected "$NS_CLIENT" "$WAN4_SERVER" 80
assert_probe "client -> server:81" connected "$NS_CLIENT" "$WAN4_SERVER" 81
in_client ping -n -c 1 -W 2 "$WAN4_SERVER" >/dev/null || die "ping client -> server failed"
udp_exchange "$NS_CLIENT" "$WAN4_SERVER" 7 2 100
# A second logged connection: once it is shown, everything before it was read too.
assert_probe "client -> server:80 again" connected "$NS_CLIENT" "$WAN4_SERVER" 80
wait_for 10 "two [LOG] lines in the filtered text monitor" lines_ge "$WORK/log80.txt" 2
wait_for 10 "a new UDP event in the filtered JSON monitor" lines_ge "$WORK/newudp.jsonl" 1
printf '  text: %s\n' "$(head -n 1 "$WORK/log80.txt")"
ts='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}[+-][0-9]{2}:[0-9]{2}'
assert_eq "text lines that are not a timestamped [LOG] tcp to port 80" 0 \
	"$(grep -cvE "^$ts \[LOG\] tcp src=$LAN4_CLIENT dst=$WAN4_SERVER sport=[0-9]+ dport=80 " \
		"$WORK/log80.txt" || true)"
first=$(head -n 1 "$WORK/log80.txt" | cut -d' ' -f1)
age=$(($(date +%s) - $(date -d "$first" +%s)))
if [ "$age" -lt -2 ] || [ "$age" -gt 60 ]; then
	die "the event's time $first is $age s from now"
fi
ok "the first line's time ($first) is $age s old"
assert_eq "JSON events that are not new UDP ones" 0 \
	"$(jq -c 'select(.type != "new" or .proto != "udp")' "$WORK/newudp.jsonl" | grep -c . || true)"
assert_eq "JSON events without \"time\"" 0 \
	"$(jq -c 'select(.time | type != "string")' "$WORK/newudp.jsonl" | grep -c . || true)"
assert_ge "UDP new events" 1 "$(grep -c . "$WORK/newudp.jsonl")"

# ---- aliases -----------------------------------------------------------------------------------
step "conntrack's spellings: -L, -C, -D, -F"
assert_eq "fwctl -L proto udp = fwctl ct list proto udp" \
	"$(fwctl -j ct list proto udp | jq -c 'map(.orig)')" "$(fwctl -j -L proto udp | jq -c 'map(.orig)')"
assert_eq "fwctl -j -C proto tcp = ct count" "$(fwctl -j ct count proto tcp | jq .count)" \
	"$(fwctl -j -C proto tcp | jq .count)"
assert_ge "UDP connections before -D" 1 "$(fwctl -j -C proto udp | jq .count)"
run_expect "fwctl -D proto udp" 0 fwctl -D proto udp
assert_eq "UDP connections after -D" 0 "$(fwctl -j -C proto udp | jq .count)"
run_expect "fwctl -F" 0 fwctl -F
assert_eq "TCP connections after -F" 0 "$(fwctl -j -C proto tcp | jq .count)"

# ---- rule add --before / --after ---------------------------------------------------------------
forward_ids() { fwctl -j rule list | jq -c '[.[] | select(.chain == "forward") | .id]'; }
step "rule add --before / --after: the order rule list shows, and traffic obeys"
assert_eq "forward rules at start" "[1,2]" "$(forward_ids)"
run_expect "rule add --before 2" 0 fwctl rule add --before 2 forward drop proto tcp dport 81
assert_match "the new rule's id" "rule 3 added before rule 2" "$RUN_OUT"
assert_match "the note on how long it lasts" \
	"note: this edit lasts until fwd loads $WORK/policy.conf again.*policy save" "$RUN_ERR"
run_expect "rule add --after 1" 0 fwctl rule add --after=1 forward reject proto tcp dport 82
assert_eq "forward rules in order" "[1,4,3,2]" "$(forward_ids)"
assert_probe "client -> server:81 now dropped by rule 3 (before rule 2's accept)" timeout \
	"$NS_CLIENT" "$WAN4_SERVER" 81
run_expect "rule add --before a rule of another chain" 1 fwctl rule add --before 1 input drop
assert_match "the reason" "rule 1 is in the forward chain and the new rule in input" "$RUN_ERR"
run_expect "rule add --before a rule that does not exist" 1 fwctl rule add --before 99 forward drop
run_expect "rule del 4" 0 fwctl rule del 4
assert_match "rule del's note" "note: this edit lasts until" "$RUN_ERR"
assert_eq "forward rules after rule del 4" "[1,3,2]" "$(forward_ids)"

# ---- policy save round trip ------------------------------------------------------------------
strip_hits() { sed -E 's/[[:space:]]*# hits [0-9]+$//'; }
step "policy save: a file that loads back to the same policy"
shown=$(fwctl policy show | strip_hits) || die "fwctl policy show failed"
run_expect "fwctl policy save saved.conf" 0 fwctl policy save "$WORK/saved.conf"
grep -q '# hits' "$WORK/saved.conf" && die "saved.conf holds hit counts"
grep -q '^\[3\] forward drop proto tcp dport 81$' "$WORK/saved.conf" || die "saved.conf lacks rule 3"
ok "saved.conf: rule 3 with its id, no hit counts"
run_expect "fwctl policy check saved.conf" 0 fwctl policy check "$WORK/saved.conf"
run_expect "fwctl policy load saved.conf" 0 fwctl policy load "$WORK/saved.conf"
assert_eq "policy show after loading the saved file" "$shown" "$(fwctl policy show | strip_hits)"
assert_eq "forward rules after the load" "[1,3,2]" "$(forward_ids)"
run_expect "fwctl policy save - (stdout)" 0 fwctl policy save -
assert_eq "policy save - and the file" "$(grep -v '^#' "$WORK/saved.conf")" \
	"$(grep -v '^#' <<<"$RUN_OUT")"

step "saved to fwd's -c file, the edits survive SIGHUP"
# The load of saved.conf began a new policy: ids go on from its highest, 3.
run_expect "rule add --before 1" 0 fwctl rule add --before 1 forward drop proto tcp dport 83
assert_match "the new rule's id" "rule 4 added before rule 1" "$RUN_OUT"
run_expect "fwctl policy save policy.conf" 0 fwctl policy save "$WORK/policy.conf"
gen=$(fwctl -j status | jq -r '.policy.generation')
kill -HUP "$FWD_PID"
gen_is_more() { [ "$(fwctl -j status | jq -r '.policy.generation')" -gt "$1" ]; }
wait_for 10 "fwd to reload its file after SIGHUP" gen_is_more "$gen"
assert_eq "forward rules after SIGHUP" "[4,1,3,2]" "$(forward_ids)"
assert_match "fwd logs the checker's warnings of its file" \
	"policy\.conf:[0-9]+:[0-9]+: warning: rule can never match" "$(cat "$FWD_LOG")"

stop_fwd TERM
ok "fwctl polish: help, pretty JSON, monitor filters and times, rule positions, policy save, aliases"

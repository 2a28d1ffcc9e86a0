#!/usr/bin/env bash
# test_metrics.sh - fwd --metrics: bad listen addresses are usage errors (exit 2), a port in use
# stops fwd at start (exit 1, saying so, nothing left behind); curl to /metrics inside the
# gateway namespace gets the Prometheus text format (every sample line parses, every family has
# HELP and TYPE, prometheus_client reads it, other paths 404), and the figures move with real
# traffic: connections created, a TCP connection in tcfw_ct_entries, the hits of the rules that
# matched, the interfaces' packets, the expiry histogram, the forward chain's drops; a refused
# policy load and a refused SIGHUP reload count in tcfw_policy_reload_failures_total,
# tcfw_policy_generation follows a reload; [::1] serves too.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
e2e_init metrics
topo_create

PORT=9464
METRICS=127.0.0.1:$PORT
HTTP_PORT=8080
HOLD_PORT=9000
UDP_PORT=5353

# scrape [ADDR]: the page, fetched with curl inside the gateway namespace, into $PAGE.
scrape() {
	PAGE=$(in_gw curl -sS --fail --max-time 5 "http://${1:-$METRICS}/metrics") ||
		die "curl http://${1:-$METRICS}/metrics in the gateway namespace failed"
}
# metric SERIES: the value of one exact series of the last scrape ("absent" when not there).
metric() {
	awk -v s="$1" '$1 == s { v = $2 } END { print (v == "" ? "absent" : v) }' <<<"$PAGE"
}
# metric_ge SERIES MIN: scrape; true when the series is a number >= MIN (for wait_for).
metric_ge() {
	scrape
	local v
	v=$(metric "$1")
	[[ "$v" =~ ^[0-9]+$ ]] && [ "$v" -ge "$2" ]
}
rule_id() { # TEXT-REGEX: the id of the one rule of `fwctl rule list` whose text matches
	fwctl -j rule list | jq -r --arg re "$1" '[.[] | select(.text | test($re))] |
		if length == 1 then .[0].id else "none" end'
}

# check_format: every line of $PAGE is HELP, TYPE or a sample that parses, each family has HELP
# then TYPE once, each sample follows the HELP/TYPE of its family; prints what is wrong.
check_format() {
	"$PYTHON" - <<'EOF' "$WORK/page.txt"
import re, sys
NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
SAMPLE = re.compile(r"^(%s)(\{%s(?:,%s)*\})? (\S+)$" % (NAME, LABEL, LABEL))
text = open(sys.argv[1]).read()
errors, help_, type_, samples = [], {}, {}, 0
if not text.endswith("\n"):
    errors.append("the page does not end with a newline")
for n, line in enumerate(text.splitlines(), 1):
    if line.startswith("# HELP "):
        name = line.split(" ")[2]
        if name in help_:
            errors.append("line %d: second HELP for %s" % (n, name))
        help_[name] = n
    elif line.startswith("# TYPE "):
        parts = line.split(" ")
        if len(parts) != 4 or parts[3] not in ("counter", "gauge", "histogram", "summary", "untyped"):
            errors.append("line %d: bad TYPE line %r" % (n, line))
            continue
        if parts[2] in type_:
            errors.append("line %d: second TYPE for %s" % (n, parts[2]))
        type_[parts[2]] = parts[3]
        if parts[3] == "counter" and not parts[2].endswith("_total"):
            errors.append("line %d: counter %s does not end in _total" % (n, parts[2]))
    elif line.startswith("#") or not line:
        errors.append("line %d: unexpected line %r" % (n, line))
    else:
        m = SAMPLE.match(line)
        if not m:
            errors.append("line %d: sample does not parse: %r" % (n, line))
            continue
        try:
            float(m.group(3))
        except ValueError:
            errors.append("line %d: value %r is not a number" % (n, m.group(3)))
        name, fam = m.group(1), None
        for cand in (name, re.sub(r"_(bucket|sum|count)$", "", name)):
            if cand in type_:
                fam = cand
                break
        if fam is None:
            errors.append("line %d: sample %s has no TYPE before it" % (n, name))
        elif fam != name and type_[fam] != "histogram":
            errors.append("line %d: %s is not a histogram's series" % (n, name))
        samples += 1
for name in help_:
    if name not in type_:
        errors.append("family %s has HELP but no TYPE" % name)
for name in type_:
    if name not in help_:
        errors.append("family %s has TYPE but no HELP" % name)
for e in errors:
    print(e)
print("families=%d samples=%d" % (len(type_), samples), file=sys.stderr)
sys.exit(1 if errors else 0)
EOF
}

cat >"$WORK/policy.conf" <<EOF
# metrics: a rule per kind of traffic, so that each one's hits can be followed
zone lan { lan0 }
zone wan { wan0 }

defaults {
    input   accept
    forward drop
    output  accept
    invalid drop
}

forward accept in lan proto tcp dport $HOLD_PORT
forward accept in lan proto tcp dport $HTTP_PORT
forward accept in lan proto udp
forward accept in lan proto icmp
forward accept in lan proto icmpv6
EOF

# ---- bad --metrics values, a port in use ------------------------------------------------------------
step "bad --metrics values are usage errors (exit 2) naming what is wrong"
for bad in "127.0.0.1" "127.0.0.1:0" "127.0.0.1:70000" "127.0.0.1:http" "::1:$PORT" \
	"nosuchhost.invalid:$PORT" "[::1]$PORT"; do
	run_expect "fwd --metrics $bad" 2 "$FWD" -c "$WORK/policy.conf" --metrics "$bad"
	assert_match "its message" "--metrics .*: " "$RUN_ERR"
	printf '  message: %s\n' "$(head -n 1 <<<"$RUN_ERR")"
done

step "a port in use: fwd exits 1 at start, says so, leaves nothing behind"
start_tcp_listener "$NS_GW" 127.0.0.1 "$PORT"
holder=$BG_PID
run_expect "fwd --metrics $METRICS (port taken)" 1 nsenter --net="/run/netns/$NS_GW" -- \
	timeout 30 "$FWD" -c "$WORK/policy.conf" --pin-dir "$FWD_PIN_DIR" --socket "$FWD_SOCKET" \
	--metrics "$METRICS"
TOPO_PINS+=("$FWD_PIN_DIR")
TOPO_SOCKETS+=("$FWD_SOCKET")
assert_match "fwd's message" "--metrics $METRICS: cannot listen: the port is in use" "$RUN_ERR"
printf '  message: %s\n' "$(grep -- --metrics <<<"$RUN_ERR")"
[ ! -e "$FWD_PIN_DIR" ] || die "fwd left its pin dir $FWD_PIN_DIR although it did not start"
assert_eq "tcfw filters on lan0 after the failed start" 0 "$(tcfw_filters lan0 ingress)"
kill "$holder"
wait "$holder" 2>/dev/null || true
ok "no pins and no filters left"

# ---- the page -----------------------------------------------------------------------------------
step "servers on the server: HTTP :$HTTP_PORT, UDP echo :$UDP_PORT, nc :$HOLD_PORT"
mkdir -p "$WORK/www"
head -c 100000 /dev/urandom >"$WORK/www/blob"
start_http_server "$NS_SERVER" "$WAN4_SERVER" "$HTTP_PORT" "$WORK/www"
start_udp_echo "$NS_SERVER" "$WAN4_SERVER" "$UDP_PORT"

step "fwd --metrics $METRICS; the page's format"
start_fwd "$WORK/policy.conf" --metrics "$METRICS"
wait_for 5 "the first expiry pass (tcfw_expiry_pass_seconds_count)" \
	metric_ge tcfw_expiry_pass_seconds_count 1
printf '%s\n' "$PAGE" >"$WORK/page.txt"
problems=$(check_format 2>"$WORK/format.summary") || {
	printf '%s\n' "$problems" | head -n 20 >&2
	die "the /metrics page is not valid text exposition format (page in $WORK/page.txt)"
}
ok "every line parses, every family has HELP and TYPE ($(cat "$WORK/format.summary"))"
# And Prometheus' own Python parser (python3-prometheus-client) reads it.
"$PYTHON" -c 'import prometheus_client' 2>/dev/null ||
	die "python3-prometheus-client is missing (scripts/install-deps.sh installs it)"
families=$("$PYTHON" -c '
import sys
from prometheus_client.parser import text_string_to_metric_families
print(len(list(text_string_to_metric_families(open(sys.argv[1]).read()))))' "$WORK/page.txt") ||
	die "prometheus_client cannot parse the page ($WORK/page.txt)"
ok "prometheus_client parses it: $families families"
for family in tcfw_build_info tcfw_ct_entries tcfw_ct_max tcfw_ct_created_total \
	tcfw_ct_expired_total tcfw_ct_evicted_total tcfw_ct_insert_failed_total tcfw_packets_total \
	tcfw_drop_total tcfw_rule_hits_total tcfw_nat_bindings tcfw_nat_port_exhausted_total \
	tcfw_events_lost_total tcfw_policy_generation tcfw_policy_reload_failures_total \
	tcfw_expiry_pass_seconds tcfw_interface_packets_total tcfw_interface_bytes_total; do
	grep -q "^# TYPE $family " <<<"$PAGE" || die "no family $family on the page"
done
ok "every documented family is there"
dashboard=$TOPO_REPO/contrib/grafana/tcfw.json
for name in $(jq -r '.. | .expr? // empty' "$dashboard" | grep -o 'tcfw_[a-z_]*' | sort -u); do
	family=${name%_bucket}
	grep -q "^# TYPE $family " <<<"$PAGE" || die "the dashboard ($dashboard) uses $name, which the page lacks"
done
ok "every metric the Grafana dashboard queries is on the page"
ctype=$(in_gw curl -sS -o /dev/null -w '%{content_type}' "http://$METRICS/metrics")
assert_eq "Content-Type" "text/plain; version=0.0.4; charset=utf-8" "$ctype"
assert_eq "HTTP status of /" 404 \
	"$(in_gw curl -sS -o /dev/null -w '%{http_code}' "http://$METRICS/")"
assert_eq "HTTP status of /metricsx" 404 \
	"$(in_gw curl -sS -o /dev/null -w '%{http_code}' "http://$METRICS/metricsx")"
assert_eq "HTTP status of POST /metrics" 405 \
	"$(in_gw curl -sS -o /dev/null -w '%{http_code}' -d x "http://$METRICS/metrics")"
assert_eq "tcfw_ct_max" "$(fwctl -j status | jq -r .ct.max_entries)" "$(metric tcfw_ct_max)"
assert_eq "tcfw_policy_generation = fwctl status' generation" \
	"$(fwctl -j status | jq -r .policy.generation)" "$(metric tcfw_policy_generation)"
assert_eq "fwctl status: metrics.listen" "$METRICS" "$(fwctl -j status | jq -r .metrics.listen)"
assert_ge "fwctl status: metrics.scrapes" 2 "$(fwctl -j status | jq -r .metrics.scrapes)"
assert_eq "tcfw_policy_reload_failures_total at start" 0 \
	"$(metric tcfw_policy_reload_failures_total)"

# ---- values move with traffic -------------------------------------------------------------------
HOLD_RULE=$(rule_id "dport $HOLD_PORT")
HTTP_RULE=$(rule_id "dport $HTTP_PORT")
UDP_RULE=$(rule_id "proto udp")
[[ "$HOLD_RULE$HTTP_RULE$UDP_RULE" =~ ^[0-9]+$ ]] ||
	die "cannot find the rules' ids in fwctl rule list ($HOLD_RULE, $HTTP_RULE, $UDP_RULE)"
hold_series="tcfw_rule_hits_total{chain=\"forward\",rule=\"$HOLD_RULE\"}"
http_series="tcfw_rule_hits_total{chain=\"forward\",rule=\"$HTTP_RULE\"}"
udp_series="tcfw_rule_hits_total{chain=\"forward\",rule=\"$UDP_RULE\"}"
tcp_est='tcfw_ct_entries{family="ipv4",proto="tcp",state="established"}'
lan_rx='tcfw_interface_packets_total{interface="lan0",direction="rx"}'
wan_tx='tcfw_interface_packets_total{interface="wan0",direction="tx"}'
scrape
created0=$(metric tcfw_ct_created_total)
hold0=$(metric "$hold_series")
http0=$(metric "$http_series")
udp0=$(metric "$udp_series")
lanrx0=$(metric "$lan_rx")
wantx0=$(metric "$wan_tx")
passes0=$(metric tcfw_expiry_pass_seconds_count)
slow0=$(metric 'tcfw_packets_total{path="slow"}')
assert_eq "established TCP connections before any traffic" 0 "$(metric "$tcp_est")"

step "traffic: a TCP connection held open, curl over HTTP, a UDP exchange, ping"
bg_in_ns "$NS_SERVER" sh -c "head -c 5000 /dev/zero | exec nc -n -l $WAN4_SERVER $HOLD_PORT >/dev/null"
wait_for 5 "nc listening on the server" tcp_listening "$NS_SERVER" "$WAN4_SERVER" "$HOLD_PORT"
bg_in_ns "$NS_CLIENT" nc -n "$WAN4_SERVER" "$HOLD_PORT" >"$WORK/hold.out"
wait_for 5 "the held connection's 5000 bytes" file_size_ge "$WORK/hold.out" 5000
got=$(in_client curl -sS --max-time 10 -o /dev/null -w '%{size_download}' \
	"http://$WAN4_SERVER:$HTTP_PORT/blob") || die "curl through the gateway failed"
assert_eq "bytes curl downloaded" 100000 "$got"
udp_exchange "$NS_CLIENT" "$WAN4_SERVER" "$UDP_PORT" 3 100
in_client ping -n -q -c 3 -i 0.2 "$WAN4_SERVER" >/dev/null || die "ping through the gateway failed"

step "the figures moved"
# The connection census comes from the expiry pass: wait for one that began after the traffic.
scrape
passes=$(metric tcfw_expiry_pass_seconds_count)
wait_for 5 "an expiry pass after the traffic" metric_ge tcfw_expiry_pass_seconds_count $((passes + 1))
assert_ge "tcfw_ct_created_total grew by the 4 connections (TCP x2, UDP, ICMP)" \
	$((created0 + 4)) "$(metric tcfw_ct_created_total)"
assert_ge "$tcp_est" 1 "$(metric "$tcp_est")"
assert_eq "hits of rule $HOLD_RULE (dport $HOLD_PORT)" $((hold0 + 1)) "$(metric "$hold_series")"
assert_eq "hits of rule $HTTP_RULE (dport $HTTP_PORT)" $((http0 + 1)) "$(metric "$http_series")"
assert_eq "hits of rule $UDP_RULE (proto udp)" $((udp0 + 1)) "$(metric "$udp_series")"
assert_ge "$lan_rx grew by the client's packets" $((lanrx0 + 20)) "$(metric "$lan_rx")"
assert_ge "$wan_tx grew" $((wantx0 + 20)) "$(metric "$wan_tx")"
assert_gt "tcfw_packets_total{path=\"slow\"} grew" "$slow0" "$(metric 'tcfw_packets_total{path="slow"}')"
assert_gt "tcfw_expiry_pass_seconds_count grew" "$passes0" "$(metric tcfw_expiry_pass_seconds_count)"
udp_entries=$(metric 'tcfw_ct_entries{family="ipv4",proto="udp",state="replied"}')
udp_assured=$(metric 'tcfw_ct_entries{family="ipv4",proto="udp",state="assured"}')
assert_ge "the UDP exchange in tcfw_ct_entries (replied + assured)" 1 $((udp_entries + udp_assured))
assert_eq "tcfw_ct_entries in all = fwctl ct count" "$(ct_count_json)" \
	"$(awk '/^tcfw_ct_entries\{/ { n += $2 } END { print n }' <<<"$PAGE")"

step "a connection no rule accepts: forward's default drops it, tcfw_drop_total says which chain"
fwd_drops='tcfw_drop_total{reason="policy",chain="forward"}'
input_drops='tcfw_drop_total{reason="policy",chain="input"}'
drops0=$(metric "$fwd_drops")
input0=$(metric "$input_drops")
assert_probe "client -> server:81 (no rule)" timeout "$NS_CLIENT" "$WAN4_SERVER" 81
scrape
assert_gt "$fwd_drops" "$drops0" "$(metric "$fwd_drops")"
assert_eq "$input_drops (input accepts)" "$input0" "$(metric "$input_drops")"

# ---- policy changes -----------------------------------------------------------------------------
step "a policy that does not parse: fwctl policy load exits 1, tcfw_policy_reload_failures_total 1"
gen=$(metric tcfw_policy_generation)
printf 'zone lan { lan0 }\nforward acept in lan\n' >"$WORK/bad.conf"
run_expect "fwctl policy load bad.conf" 1 fwctl policy load "$WORK/bad.conf"
scrape
assert_eq "tcfw_policy_reload_failures_total" 1 "$(metric tcfw_policy_reload_failures_total)"
assert_eq "tcfw_policy_generation (unchanged)" "$gen" "$(metric tcfw_policy_generation)"

step "SIGHUP with a broken -c file: refused, counted"
cp "$WORK/policy.conf" "$WORK/policy.good"
cp "$WORK/bad.conf" "$WORK/policy.conf"
kill -HUP "$FWD_PID"
wait_for 10 "tcfw_policy_reload_failures_total 2 after SIGHUP" \
	metric_ge tcfw_policy_reload_failures_total 2
assert_eq "tcfw_policy_generation (unchanged)" "$gen" "$(metric tcfw_policy_generation)"
cp "$WORK/policy.good" "$WORK/policy.conf"

step "a good policy load: tcfw_policy_generation follows"
fwctl policy load "$WORK/policy.conf" >/dev/null || die "fwctl policy load policy.conf failed"
scrape
assert_eq "tcfw_policy_generation" $((gen + 1)) "$(metric tcfw_policy_generation)"
assert_eq "tcfw_policy_generation = fwctl status' generation" \
	"$(fwctl -j status | jq -r .policy.generation)" "$(metric tcfw_policy_generation)"
assert_eq "tcfw_policy_reload_failures_total (no new failure)" 2 \
	"$(metric tcfw_policy_reload_failures_total)"

step "fwd stops cleanly"
stop_fwd TERM
assert_eq "fwd's exit status" 0 "$FWD_EXIT"

# ---- IPv6 ---------------------------------------------------------------------------------------
step "fwd --metrics [::1]:$PORT serves over IPv6"
start_fwd "$WORK/policy.conf" --metrics "[::1]:$PORT"
scrape "[::1]:$PORT"
assert_eq "tcfw_build_info over [::1]" 1 "$(metric "tcfw_build_info{version=\"$(fwctl -j status | jq -r .version)\"}")"
stop_fwd TERM
assert_eq "fwd's exit status" 0 "$FWD_EXIT"

echo "PASS test_metrics"

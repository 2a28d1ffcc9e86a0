#!/usr/bin/env bash
# demo.sh - tcfw on a gateway between two network namespaces, with real traffic (`make demo`).
#
#   client 10.77.1.2 ── lan0 [gateway: fwd] wan0 ── server 203.0.113.2
#
# Builds the three namespaces, starts fwd on the gateway with scripts/demo-policy.conf, sends
# HTTP (curl), a UDP request/response and pings (IPv4 and IPv6) from the client to the server,
# tries a connection the other way (the policy drops it, and its logged default leaves a line
# in fwd's event log), shows `fwctl ct list`, `fwctl stats`, `fwctl status`, the event log,
# fwd's Prometheus metrics and a reload the way `systemctl reload tcfw` does it, and removes
# everything it created, on success, failure or Ctrl-C.
# Needs root and a build (make). FWD=/path FWCTL=/path pick other binaries.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=tests/lib/topo.sh
source "$REPO/tests/lib/topo.sh"
POLICY=${DEMO_POLICY:-$REPO/scripts/demo-policy.conf}
if [ -x /usr/bin/python3 ]; then PYTHON=/usr/bin/python3; else PYTHON=python3; fi

# on WHERE CMD...: print the command as an operator would type it on WHERE (client, server or
# gateway), run it there, indent its output; a failure stops the demo saying what failed.
on() {
	local where=$1 rc=0
	shift
	printf '    %s# %s\n' "$where" "$*"
	case $where in
	client) in_client "$@" ;;
	server) in_server "$@" ;;
	gateway) "$@" ;; # fwctl: the wrapper already runs it in the gateway's namespace
	esac >"$WORK/on.out" 2>&1 || rc=$?
	sed 's/^/      /' "$WORK/on.out"
	[ $rc -eq 0 ] || die "$where: '$*' failed (exit status $rc)"
}

topo_pick_binaries 0
topo_init demo

say "creating namespaces client / gateway / server ($TOPO_PREFIX-*)"
topo_create
printf '    client %s %s -- lan0 [gateway] wan0 -- server %s %s\n' \
	"$LAN4_CLIENT" "$LAN6_CLIENT" "$WAN4_SERVER" "$WAN6_SERVER"

say "starting servers on the server: HTTP on $WAN4_SERVER:8080, UDP echo on port 5353"
mkdir -p "$WORK/www"
printf 'hello from the server behind tcfw\n' >"$WORK/www/index.html"
bg_in_ns "$NS_SERVER" "$PYTHON" -m http.server --bind "$WAN4_SERVER" --directory "$WORK/www" 8080 \
	>"$WORK/http.log" 2>&1
bg_in_ns "$NS_SERVER" "$PYTHON" "$REPO/tests/e2e/udp_echo.py" server "$WAN4_SERVER" 5353 \
	>"$WORK/udp.log" 2>&1
wait_for 10 "HTTP server on the server" tcp_listening "$NS_SERVER" "$WAN4_SERVER" 8080
wait_for 10 "UDP echo server on the server" udp_bound "$NS_SERVER" "$WAN4_SERVER" 5353

say "starting fwd on the gateway with $(basename "$POLICY")"
sed 's/^/      /' "$POLICY" | grep -v '^      #' | grep -v '^ *$'
EVENT_LOG="$WORK/events.jsonl"
start_fwd "$POLICY" --metrics 127.0.0.1:9464 --event-log "$EVENT_LOG"
printf '    fwd is running (pid %s), pins in %s, socket %s, metrics on 127.0.0.1:9464,\n' \
	"$FWD_PID" "$FWD_PIN_DIR" "$FWD_SOCKET"
printf '    event log %s\n' "$EVENT_LOG"

say "client: HTTP GET through the gateway"
on client curl -sS --max-time 5 "http://$WAN4_SERVER:8080/"

say "client: a UDP request and its response (3 datagrams each way)"
on client "$PYTHON" "$REPO/tests/e2e/udp_echo.py" client "$WAN4_SERVER" 5353 3 64
echo "      3 replies received"

say "client: ping the server over IPv4 and IPv6"
on client ping -n -c 3 -i 0.2 -W 2 "$WAN4_SERVER"
on client ping -6 -n -c 3 -i 0.2 -W 2 "$WAN6_SERVER"

say "client: a connection held open (nc, 30 s at most) so that one entry is ESTABLISHED"
bg_in_ns "$NS_SERVER" timeout 30 nc -n -l "$WAN4_SERVER" 9000 >/dev/null 2>&1
wait_for 5 "nc listening on the server" tcp_listening "$NS_SERVER" "$WAN4_SERVER" 9000
bg_in_ns "$NS_CLIENT" timeout 30 sh -c "sleep 30 | nc -n $WAN4_SERVER 9000" >/dev/null 2>&1
sleep 0.5

say "server: open a connection to an HTTP server on the client (WAN -> LAN; what the policy says)"
bg_in_ns "$NS_CLIENT" "$PYTHON" -m http.server --bind "$LAN4_CLIENT" --directory "$WORK/www" 8080 \
	>"$WORK/http-client.log" 2>&1
wait_for 10 "HTTP server on the client" tcp_listening "$NS_CLIENT" "$LAN4_CLIENT" 8080
rc=0
in_server curl -sS --max-time 2 -o /dev/null "http://$LAN4_CLIENT:8080/" 2>/dev/null || rc=$?
case $rc in
0) echo "      connected: the policy lets the WAN open connections to the LAN" ;;
7) echo "      refused: the gateway rejected it" ;;
28) echo "      no answer within 2 s: the gateway dropped it" ;;
*) echo "      curl failed with status $rc" ;;
esac

say "fwd's event log: the WAN's attempt, logged by the forward default (no monitor was attached)"
wait_for 5 "the event log line" grep -q wan-to-lan "$EVENT_LOG"
printf '    gateway# tail -n 2 %s\n' "$EVENT_LOG"
tail -n 2 "$EVENT_LOG" | sed 's/^/      /'

say "the connections the gateway tracks"
on gateway fwctl ct list
say "the same, as JSON, filtered (fwctl -j ct list proto icmp)"
on gateway fwctl -j ct list proto icmp
say "the policy's rules, with how many new connections each one decided"
on gateway fwctl rule list
say "datapath counters"
on gateway fwctl stats
say "daemon status"
on gateway fwctl status
say "Prometheus metrics (docs/fwd.md, Metrics): the series that are not 0, without the histogram"
printf '    gateway# curl -s http://127.0.0.1:9464/metrics\n'
in_gw curl -sS --max-time 5 http://127.0.0.1:9464/metrics | grep -v '^#' |
	grep -v '^tcfw_expiry_pass_seconds' | awk '$NF != "0"' | sed 's/^/      /'

say "reload the way systemd does (tcfw.service: ExecReload=fwctl policy load /etc/tcfw/policy.conf)"
on gateway fwctl policy load "$POLICY"
printf '      the policy generation is now %s; a refused policy would fail the reload, changing nothing\n' \
	"$(fwctl -j status | jq .policy.generation)"

say "stopping fwd (detaches from lan0/wan0, removes its pins) and cleaning up"
stop_fwd TERM
echo "    done: namespaces, processes and pins are removed on exit"

# shellcheck shell=bash
# workloads.sh - the five workloads, run from the client namespace against servers in the
# server namespace, through whatever the gateway is configured as. Each prints one JSON object
# on stdout, {"value": N, "unit": "...", ...details}, or returns 1 with the reason on stderr.
# Every tool is bounded by `timeout`; all traffic stays between the bench's own namespaces.
#
#   tcp1     iperf3, one TCP stream, receiver's throughput                  Gbit/s
#   tcp8     iperf3, eight parallel TCP streams, receiver's throughput      Gbit/s
#   udp64    iperf3 UDP, 64-byte payloads, unlimited rate: datagrams the server received
#            per second (sent - lost)                                       packets/s
#   connrate wrk with "Connection: close" against nginx: every request is a new TCP connection
#            through the gateway (and through its NAT)                      connections/s
#   latency  tcp_rr: 64-byte request/response round trips on one connection, p50 (p99 kept)
#                                                                           microseconds

WORKLOADS_ALL="tcp1 tcp8 udp64 connrate latency"

# CPU placement, the same for every configuration. Left to the scheduler, a request/response
# pair lands on one CPU in some runs and on two in others, and in a virtual machine the
# cross-CPU wake-up alone costs tens of microseconds: latency came out as 7 or 77 us by chance.
# So: load generators on CPU_CLIENT, servers on CPU_SERVER (the forwarding itself runs in the
# softirq of the sending CPU: veth hands packets to the same CPU's backlog); the latency pair
# shares CPU_SERVER, so it measures the path's cost, not the hypervisor's wake-ups.
CPU_CLIENT=0
CPU_SERVER=$(($(nproc) > 1 ? 1 : 0))
IPERF_PORT=5201
HTTP_PORT=80
RR_PORT=9000
WRK_CONNECTIONS=32

workload_title() {
	case $1 in
	tcp1) echo "TCP, 1 stream" ;;
	tcp8) echo "TCP, 8 streams" ;;
	udp64) echo "UDP 64 B" ;;
	connrate) echo "connections/s" ;;
	latency) echo "latency p50" ;;
	udp64rate) echo "UDP 64 B at a fixed rate" ;;
	esac
}

# servers_start: iperf3, nginx and the tcp_rr server in the server namespace.
servers_start() {
	mkdir -p "$WORK/nginx"
	cat >"$WORK/nginx/nginx.conf" <<-EOF
		# nginx for the connection-rate workload (bench/lib/workloads.sh)
		daemon off;
		master_process on;
		worker_processes 1;
		pid $WORK/nginx/nginx.pid;
		error_log $WORK/nginx/error.log warn;
		events { worker_connections 4096; }
		http {
		    access_log off;
		    client_body_temp_path $WORK/nginx/body;
		    proxy_temp_path $WORK/nginx/proxy;
		    keepalive_timeout 0;
		    server {
		        listen $BENCH_SERVER:$HTTP_PORT backlog=4096;
		        # The address the server sees: the gateway's when it masquerades.
		        location = /whoami { return 200 "\$remote_addr\n"; }
		        location / { return 200 "ok\n"; }
		    }
		}
	EOF
	bench_bg "$NS_SERVER" "$WORK/iperf3-server.log" taskset -c "$CPU_SERVER" \
		iperf3 -s -B "$BENCH_SERVER" -p "$IPERF_PORT"
	bench_bg "$NS_SERVER" "$WORK/nginx/stderr.log" taskset -c "$CPU_SERVER" \
		nginx -c "$WORK/nginx/nginx.conf" -p "$WORK/nginx"
	bench_bg "$NS_SERVER" "$WORK/tcp_rr-server.log" taskset -c "$CPU_SERVER" \
		"$BENCH_BIN/tcp_rr" server --bind "$BENCH_SERVER" --port "$RR_PORT"
	local deadline=$((SECONDS + 10)) p
	for p in "$IPERF_PORT" "$HTTP_PORT" "$RR_PORT"; do
		until in_ns "$NS_SERVER" ss -Hltn "src $BENCH_SERVER:$p" | grep -q .; do
			[ $SECONDS -lt $deadline ] || die "no server listening on $BENCH_SERVER:$p after 10 s (logs in $WORK)"
			sleep 0.1
		done
	done
}

# whoami: the client's address as the server sees it, through the gateway (empty on failure).
whoami() {
	# Round trips here take microseconds: a second means "does not pass".
	in_ns "$NS_CLIENT" curl -s --max-time 1 "http://$BENCH_SERVER:$HTTP_PORT/whoami" 2>/dev/null || true
}

# iperf3 from the client; its JSON in $WORK/iperf3.json.
run_iperf3() {
	local secs=$1
	shift
	if ! in_ns "$NS_CLIENT" timeout $((secs + 15)) taskset -c "$CPU_CLIENT" iperf3 -c "$BENCH_SERVER" -p "$IPERF_PORT" \
		-t "$secs" -J "$@" >"$WORK/iperf3.json" 2>"$WORK/iperf3.err"; then
		say "    iperf3 $* failed: $(jq -r '.error // empty' "$WORK/iperf3.json" 2>/dev/null) $(tail -n 2 "$WORK/iperf3.err")"
		return 1
	fi
}

wl_tcp() { # SECONDS STREAMS
	run_iperf3 "$1" -P "$2" || return 1
	jq -c '{value: (.end.sum_received.bits_per_second / 1e9), unit: "Gbit/s",
		retransmits: .end.sum_sent.retransmits}' "$WORK/iperf3.json"
}

wl_udp64() { # SECONDS
	run_iperf3 "$1" -u -l 64 -b 0 || return 1
	jq -c '.end.sum | {value: ((.packets - .lost_packets) / .seconds), unit: "packets/s",
		sent_pps: (.packets / .seconds), lost_percent: .lost_percent, packets_sent: .packets,
		seconds: .seconds}' "$WORK/iperf3.json"
}

wl_connrate() { # SECONDS
	local secs=$1 out rps errors non2xx requests
	out=$(in_ns "$NS_CLIENT" timeout $((secs + 15)) taskset -c "$CPU_CLIENT" wrk -t1 -c "$WRK_CONNECTIONS" -d "${secs}s" \
		-H "Connection: close" "http://$BENCH_SERVER:$HTTP_PORT/" 2>&1) || {
		say "    wrk failed: $(tail -n 2 <<<"$out")"
		return 1
	}
	rps=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")
	errors=$(awk '/Socket errors:/ { gsub(",", ""); print $4 + $6 + $8 + $10 }' <<<"$out")
	non2xx=$(awk '/Non-2xx/ { print $NF }' <<<"$out")
	# "  123456 requests in 4.00s, ...": every request a new connection.
	requests=$(awk '/ requests in / { print $1; exit }' <<<"$out")
	[ -n "$rps" ] || {
		say "    wrk printed no Requests/sec: $(tail -n 3 <<<"$out")"
		return 1
	}
	jq -nc --argjson v "$rps" --argjson e "${errors:-0}" --argjson n "${non2xx:-0}" \
		--argjson req "${requests:-0}" --argjson s "$secs" \
		'{value: $v, unit: "connections/s", socket_errors: $e, non_2xx: $n, requests: $req, seconds: $s,
		  tool: "wrk -t1 -c32 -H \"Connection: close\" against nginx"}'
}

wl_latency() { # SECONDS
	local out
	out=$(in_ns "$NS_CLIENT" timeout $(($1 + 15)) taskset -c "$CPU_SERVER" "$BENCH_BIN/tcp_rr" client --connect "$BENCH_SERVER" \
		--port "$RR_PORT" --duration "$1" --size 64 2>"$WORK/tcp_rr.err") || {
		say "    tcp_rr failed: $(tail -n 2 "$WORK/tcp_rr.err")"
		return 1
	}
	jq -c '{value: .p50_us, unit: "us", p99_us: .p99_us, round_trips: .round_trips}' <<<"$out"
}

# run_workload NAME SECONDS: one measurement, JSON on stdout.
run_workload() {
	case $1 in
	tcp1) wl_tcp "$2" 1 ;;
	tcp8) wl_tcp "$2" 8 ;;
	udp64) wl_udp64 "$2" ;;
	connrate) wl_connrate "$2" ;;
	latency) wl_latency "$2" ;;
	*) die "unknown workload '$1' (known: $WORKLOADS_ALL)" ;;
	esac
}

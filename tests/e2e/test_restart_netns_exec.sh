#!/usr/bin/env bash
# test_restart_netns_exec.sh - fwd run the way many operators run it, `ip netns exec NS fwd`,
# keeps every connection across its own restarts. ip netns exec gives each command a mount
# namespace of its own, so the bpffs fwd mounts at /sys/fs/bpf (and the pins in it) ends with
# fwd; the next fwd finds the datapath through the programs attached to its interfaces and
# takes it over. An iperf3 transfer through masquerade runs across a SIGKILL + start and a
# --keep stop + start: no 1 s interval without data, the same connection entry afterwards.
# fwctl works the same run under ip netns exec, under nsenter, and from the host namespace, and
# while no fwd runs it reads the datapath attached to the interfaces.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
e2e_init restart_netns_exec
topo_create
command -v iperf3 >/dev/null || die "iperf3 is missing (scripts/install-deps.sh installs it)"
FWD_ENTER=ipnetns

DURATION=8
RESTART_AT=3
RATE=300M
IPERF_PORT=5201
write_accept_policy "$WORK/policy.conf" lan0 wan0 "nat masquerade out wan from $LAN4_NET"

data_conn() {
	local json
	json=$(ct_json proto tcp dport "$IPERF_PORT" state established)
	[ "$(jq length <<<"$json")" -ge 1 ] || die "no iperf3 connection in the table: $json"
	jq -c 'max_by(.counters.orig.bytes)' <<<"$json"
}

# every fwctl listing, run HOW (ipnetns, nsenter, host), must answer and agree
fwctl_everywhere() {
	local how count
	for how in ipnetns nsenter host; do
		FWCTL_ENTER=$how fwctl status >/dev/null || die "fwctl status under $how failed"
		count=$(FWCTL_ENTER=$how fwctl -j ct count) || die "fwctl ct count under $how failed"
		FWCTL_ENTER=$how fwctl -j ct list >/dev/null || die "fwctl ct list under $how failed"
		FWCTL_ENTER=$how fwctl -j stats >/dev/null || die "fwctl stats under $how failed"
		FWCTL_ENTER=$how fwctl -j nat list >/dev/null || die "fwctl nat list under $how failed"
		ok "fwctl status, ct count ($count), ct list, stats, nat list answer under $how"
	done
}

round() { # NAME: stop fwd that way in the middle of a transfer, start a new one
	local name=$1 before after key rc=0
	step "$name: iperf3 for ${DURATION}s at $RATE through masquerade"
	bg_in_ns "$NS_SERVER" iperf3 -s -1 -B "$WAN4_SERVER" -p "$IPERF_PORT" >"$WORK/iperf-server-$name.log" 2>&1
	wait_for 5 "iperf3 server listening" tcp_listening "$NS_SERVER" "$WAN4_SERVER" "$IPERF_PORT"
	bg_in_ns "$NS_CLIENT" iperf3 -c "$WAN4_SERVER" -p "$IPERF_PORT" -t "$DURATION" -i 1 -b "$RATE" \
		-J --connect-timeout 3000 >"$WORK/iperf-$name.json" 2>"$WORK/iperf-$name.err"
	local iperf_pid=$BG_PID
	sleep "$RESTART_AT"
	before=$(data_conn)
	key=$(jq -c '{src: .orig.src, sport: .orig.sport}' <<<"$before")

	case $name in
	sigkill) stop_fwd KILL ;;
	keep) stop_fwd TERM ;;
	esac
	assert_eq "$name: tcfw programs on lan0 with fwd gone" 2 \
		"$(($(tcfw_filters lan0 ingress) + $(tcfw_filters lan0 egress)))"
	local how n
	for how in ipnetns nsenter; do
		# No fwd, no pins this fwctl can see: it reads the datapath attached to lan0.
		n=$(FWCTL_ENTER=$how fwctl -j ct count proto tcp dport "$IPERF_PORT" | jq .count) ||
			die "$name: fwctl ct count under $how without fwd failed"
		assert_ge "$name: iperf3 connections fwctl sees under $how with fwd gone" 1 "$n"
		FWCTL_ENTER=$how fwctl -j stats >/dev/null || die "$name: fwctl stats under $how without fwd failed"
		FWCTL_ENTER=$how fwctl -j nat list >/dev/null || die "$name: fwctl nat list under $how without fwd failed"
	done

	step "$name: a new fwd, again by ip netns exec, takes over"
	start_fwd "$WORK/policy.conf" --keep
	grep -q "taking over the datapath attached to" "$FWD_LOG" ||
		die "$name: the new fwd did not take over (log: $(head -c 600 "$FWD_LOG"))"
	ok "$name: $(grep -m1 'taking over' "$FWD_LOG")"
	assert_eq "$name: status says it took over" true "$(fwctl -j status | jq .took_over)"

	wait "$iperf_pid" || rc=$?
	[ $rc -eq 0 ] || die "$name: iperf3 client exited with status $rc: $(cat "$WORK/iperf-$name.err")"
	printf '  Mbit/s per interval: %s\n' "$(jq -r '[.intervals[].sum | (.bytes * 8 / .seconds / 1e6 | floor)] | map(tostring) | join(" ")' "$WORK/iperf-$name.json")"
	assert_eq "$name: intervals without any data (stalls)" 0 \
		"$(jq '[.intervals[].sum | select(.bytes == 0)] | length' "$WORK/iperf-$name.json")"
	after=$(ct_pick ".orig.src == $(jq .src <<<"$key") and .orig.sport == $(jq .sport <<<"$key")" \
		proto tcp dport "$IPERF_PORT")
	assert_gt "$name: bytes client -> server, after vs before" \
		"$(field "$before" .counters.orig.bytes)" "$(field "$after" .counters.orig.bytes)"
	fwctl_everywhere
}

step "fwd started by ip netns exec, with --keep"
start_fwd "$WORK/policy.conf" --keep
fwctl_everywhere

round sigkill
round keep

step "a stop without --keep removes everything, qdiscs included"
stop_fwd TERM
start_fwd "$WORK/policy.conf"
stop_fwd TERM
for dev in lan0 wan0; do
	assert_eq "tcfw programs on $dev" 0 "$(($(tcfw_filters "$dev" ingress) + $(tcfw_filters "$dev" egress)))"
	assert_eq "clsact qdisc on $dev" 0 "$(in_gw tc qdisc show dev "$dev" | grep -c clsact || true)"
done
echo "PASS test_restart_netns_exec"

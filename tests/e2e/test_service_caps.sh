#!/usr/bin/env bash
# test_service_caps.sh - fwd with exactly the privileges tcfw.service gives it, read from the
# unit file (CapabilityBoundingSet=, AmbientCapabilities=, NoNewPrivileges=) so that the two
# cannot drift: root with that bounding set, as systemd runs a unit without User=. No systemd
# needed (CI has none as PID 1); NOTIFY_SOCKET and JOURNAL_STREAM are played by this test.
#   - with the unit's set and its ExecStart options (--keep): fwd starts, says READY=1 with a
#     STATUS= line, attaches, filters (a connection through the gateway, fwctl status and
#     ct list answer), its messages carry syslog priorities for the journal
#   - SIGHUP and `fwctl policy load` (ExecReload) reload: RELOADING=1 with MONOTONIC_USEC, then
#     READY=1 and the new generation; a refused policy makes ExecReload exit 1
#   - a stop and a new start with the same set (Restart=, an upgrade) take the datapath over
#     without losing a live connection: STOPPING=1, then READY=1 again
#   - each capability removed in turn: fwd refuses to start, naming the missing one and what
#     it is for, and touches nothing; or, for one the kernel does not need while the others
#     are there, the test says so
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
e2e_init service_caps
topo_create

UNIT=$TOPO_REPO/dist/systemd/tcfw.service.in
HB_PORT=5701
REAL_FWD=$FWD
REAL_FWCTL=$FWCTL
command -v setpriv >/dev/null || die "setpriv is missing (util-linux)"

# ---- the unit's privileges ---------------------------------------------------------------------
step "the privileges tcfw.service gives fwd"
unit_value() { # KEY: the values of every KEY= line, joined by spaces (systemd appends them)
	sed -n "s/^$1=//p" "$UNIT" | tr '\n' ' ' | sed 's/ *$//'
}
UNIT_CAPS=$(unit_value CapabilityBoundingSet)
UNIT_AMBIENT=$(unit_value AmbientCapabilities)
[ -n "$UNIT_CAPS" ] || die "$UNIT has no CapabilityBoundingSet= line"
grep -qx 'Type=notify' "$UNIT" || die "$UNIT is not Type=notify"
# ExecStart's options but -c (the test's policy instead of /etc's).
UNIT_ARGS=$(sed -n 's|^ExecStart=@SBINDIR@/fwd ||p' "$UNIT" | sed -E 's/(^| )-c [^ ]+//')
[[ " $UNIT_ARGS " == *" --keep "* ]] || die "ExecStart does not pass --keep: a restart would drop every connection"
ok "CapabilityBoundingSet=$UNIT_CAPS"
ok "AmbientCapabilities=${UNIT_AMBIENT:-(none: fwd runs as root)}"
ok "ExecStart options besides -c: $UNIT_ARGS"
NNP=()
[ "$(unit_value NoNewPrivileges)" = yes ] && NNP=(--no-new-privs) && ok "NoNewPrivileges=yes"

# setpriv's form of a capability list: "CAP_BPF CAP_NET_ADMIN" -> "+bpf,+net_admin".
setpriv_caps() {
	local out="" c
	for c in $1; do
		c=${c#CAP_}
		out+=",+${c,,}"
	done
	printf '%s' "${out#,}"
}
# The bit mask /proc/PID/status shows for a list: `setpriv --list-caps` is in kernel order.
caps_mask() {
	local mask=0 c n
	for c in $1; do
		n=$(setpriv --list-caps | grep -nx "${c#CAP_}" -i | cut -d: -f1)
		[ -n "$n" ] || die "setpriv does not know $c"
		mask=$((mask | (1 << (n - 1))))
	done
	printf '%016x' "$mask"
}

# with_caps CAPS CMD...: CMD as root with exactly CAPS, as systemd starts the unit.
with_caps() {
	local caps=$1
	shift
	setpriv "${NNP[@]}" --inh-caps=-all --ambient-caps=-all --bounding-set="-all,$(setpriv_caps "$caps")" -- "$@"
}

# $FWD for start_fwd: a wrapper that execs fwd with $FWD_CAPS (so $! is fwd itself). The
# journal is played by the log file: JOURNAL_STREAM names it, as systemd names its stream.
cat >"$WORK/fwd-caps" <<WRAP
#!/usr/bin/env bash
export NOTIFY_SOCKET=$WORK/notify.sock
export JOURNAL_STREAM=\$(stat -L -c '%d:%i' /proc/self/fd/2)
caps=\$(cat "$WORK/fwd-caps.set")
nnp=(${NNP[*]})
plus=\$(for c in \$caps; do c=\${c#CAP_}; printf ',+%s' "\${c,,}"; done)
exec setpriv "\${nnp[@]}" --inh-caps=-all --ambient-caps=-all --bounding-set="-all\$plus" -- "$REAL_FWD" "\$@"
WRAP
chmod +x "$WORK/fwd-caps"
FWD=$WORK/fwd-caps

# The service manager's end of NOTIFY_SOCKET: every datagram, one per line ("\n" -> " | ").
"$PYTHON" - "$WORK/notify.sock" "$WORK/notify.log" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a", buffering=1) as log:
    while True:
        log.write(s.recv(4096).decode().replace("\n", " | ") + "\n")
PY
TOPO_PIDS+=($!)
wait_for 5 "the notify socket" test -S "$WORK/notify.sock"
notified() { grep -qE "$1" "$WORK/notify.log" 2>/dev/null; }
assert_logged() { # WHAT EXTENDED-REGEX: a line of fwd's log matches
	local line
	line=$(grep -m1 -E "$2" "$FWD_LOG") || die "$1: no line of $FWD_LOG matches /$2/"
	ok "$1: $line"
}

write_accept_policy "$WORK/policy.conf" lan0 wan0
filters_on() { echo $(($(tcfw_filters "$1" ingress) + $(tcfw_filters "$1" egress))); }

# ---- start, filter -------------------------------------------------------------------------------
step "fwd with exactly the unit's capabilities and options"
echo "$UNIT_CAPS" >"$WORK/fwd-caps.set"
# shellcheck disable=SC2086 # the unit's options, word by word
start_fwd "$WORK/policy.conf" $UNIT_ARGS
FIRST_LOG=$FWD_LOG
eff=$(awk '/^CapEff:/ { print $2 }' "/proc/$FWD_PID/status")
assert_eq "fwd's effective capabilities (CapEff)" "$(caps_mask "$UNIT_CAPS")" "$eff"
wait_for 5 "READY=1 from fwd" notified 'READY=1'
assert_match "READY's STATUS=" 'READY=1 \| STATUS=filtering 2 interfaces, policy generation 1, [0-9]+ connections' \
	"$(grep -m1 READY=1 "$WORK/notify.log")"
for dev in lan0 wan0; do
	assert_eq "tcfw programs on $dev (ingress + egress)" 2 "$(filters_on "$dev")"
done
assert_eq "interfaces attached (fwctl status)" 2 "$(fwctl -j status | jq '[.interfaces[] | select(.attached)] | length')"

step "a connection through the gateway; fwctl reads the table through fwd's read-only fds"
bg_in_ns "$NS_SERVER" "$PYTHON" "$E2E_DIR/heartbeat.py" serve "$WAN4_SERVER" "$HB_PORT"
wait_for 5 "heartbeat server" tcp_listening "$NS_SERVER" "$WAN4_SERVER" "$HB_PORT"
bg_in_ns "$NS_CLIENT" "$PYTHON" "$E2E_DIR/heartbeat.py" client "$WAN4_SERVER" "$HB_PORT" 14 \
	>"$WORK/heartbeat.json"
HB_PID=$BG_PID
wait_for 5 "the heartbeat connection in the table" ct_has ".orig.dport == $HB_PORT"
fwctl -v ct list proto tcp >/dev/null 2>"$WORK/ct-list.err"
if grep -q 'passed no map fds' "$WORK/ct-list.err"; then
	die "fwd could not hand fwctl its map fds with the unit's capabilities: $(cat "$WORK/ct-list.err")"
fi
ok "fwctl ct list read the maps through fds fwd passed"
wait_for 5 "STATUS= to count the connection" notified 'STATUS=filtering 2 interfaces, policy generation 1, [1-9][0-9]* connections?$'
ok "$(grep -E 'STATUS=.*[1-9][0-9]* connections?$' "$WORK/notify.log" | tail -n 1)"

step "messages for the journal: syslog priorities, notices by default"
assert_logged "start notice" '^<5>running: 2 interface\(s\), policy generation 1'
assert_logged "attach notice" '^<5>lan0 \(ifindex [0-9]+\): (attached|taken over) in zone lan' 
[ -z "$(grep -v '^<[0-7]>' "$FWD_LOG" || true)" ] || die "lines without a priority prefix in $FWD_LOG: $(grep -v '^<[0-7]>' "$FWD_LOG" | head -3)"
ok "every line of fwd's log has a priority prefix"

step "bash completion of rule add offers the running policy's zones"
zones=$(bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _fwctl
	printf "%s\n" "${COMPREPLY[@]}"' _ "$TOPO_REPO/dist/bash-completion/fwctl" \
	"$REAL_FWCTL" --socket "$FWD_SOCKET" rule add forward accept in "" | sort | tr '\n' ' ')
assert_eq "zones offered after 'rule add forward accept in'" "lan wan " "$zones"

# ---- reload ------------------------------------------------------------------------------------
step "SIGHUP: RELOADING=1 with MONOTONIC_USEC, READY=1, generation 2"
kill -HUP "$FWD_PID"
wait_for 10 "READY=1 after the reload" notified 'STATUS=.*policy generation 2'
assert_match "RELOADING=1" 'RELOADING=1 \| STATUS=reloading the policy \| MONOTONIC_USEC=[0-9]+' "$(cat "$WORK/notify.log")"
assert_logged "reload notice" '^<5>policy .*policy.conf installed: generation 2' 

step "ExecReload (fwctl policy load, with the unit's capabilities): generation 3; a refused policy exits 1"
reload() { with_caps "$UNIT_CAPS" nsenter --net="/run/netns/$FWD_NS" -- "$REAL_FWCTL" --socket "$FWD_SOCKET" policy load "$1"; }
write_accept_policy "$WORK/policy-lan9.conf" "lan0, lan9" wan0
run_expect "ExecReload with a good policy (zone lan also names lan9, which does not exist)" 0 reload "$WORK/policy-lan9.conf"
wait_for 10 "STATUS= with generation 3" notified 'READY=1 \| STATUS=.*policy generation 3'
assert_logged "a notice for the missing interface" '^<5>zone lan: interface lan9 does not exist'
printf 'zone lan { lan0 }\nforward acept in lan\n' >"$WORK/bad.conf"
run_expect "ExecReload with a policy that has an error" 1 reload "$WORK/bad.conf"
assert_match "the error, for systemctl status / the journal" 'bad\.conf:2:9:' "$RUN_ERR"
assert_eq "generation after the refused reload" 3 "$(fwctl -j status | jq .policy.generation)"

# ---- restart ------------------------------------------------------------------------------------
step "stop (--keep: STOPPING=1, the filters stay) and start again with the same capabilities"
stop_fwd TERM
notified 'STOPPING=1' || die "no STOPPING=1 from fwd at stop"
ok "STOPPING=1"
assert_eq "tcfw programs on lan0 while no fwd runs" 2 "$(filters_on lan0)"
: >"$WORK/notify.log"
# shellcheck disable=SC2086
start_fwd "$WORK/policy.conf" $UNIT_ARGS
wait_for 5 "READY=1 from the new fwd" notified 'READY=1'
assert_logged "the new fwd took the datapath over" 'lan0 .*taken over in zone lan' 
assert_eq "generation continues" 4 "$(fwctl -j status | jq .policy.generation)"

step "the heartbeat connection went on across the restart"
rc=0
wait "$HB_PID" || rc=$?
printf '  heartbeat: %s\n' "$(cat "$WORK/heartbeat.json")"
assert_eq "heartbeat client status" 0 "$rc"
assert_eq "heartbeat lines lost" 0 "$(jq '.sent - .echoed' "$WORK/heartbeat.json")"
stop_fwd TERM
# nsenter, not ip netns exec: the pins are in the host's bpffs.
cleanup_fwd() { nsenter --net="/run/netns/$FWD_NS" -- "$REAL_FWD" --cleanup --pin-dir "$FWD_PIN_DIR" --socket "$FWD_SOCKET"; }
run_expect "fwd --cleanup after the --keep stop" 0 cleanup_fwd
assert_eq "tcfw programs on lan0 after cleanup" 0 "$(filters_on lan0)"
[ ! -e "$FWD_PIN_DIR/ct" ] || die "pins left in $FWD_PIN_DIR after fwd --cleanup"

# ---- one capability less -----------------------------------------------------------------------
for cap in $UNIT_CAPS; do
	step "the unit's set without $cap"
	less=$(tr ' ' '\n' <<<"$UNIT_CAPS" | grep -vx "$cap" | tr '\n' ' ')
	echo "$less" >"$WORK/fwd-caps.set"
	rc=0
	# Without --keep: a fwd that does start removes everything at its stop.
	nsenter --net="/run/netns/$FWD_NS" -- timeout 60 "$FWD" -c "$WORK/policy.conf" \
		--pin-dir "$FWD_PIN_DIR" --socket "$FWD_SOCKET" >"$WORK/less-$cap.log" 2>&1 &
	pid=$!
	TOPO_PIDS+=("$pid")
	wait_for 60 "fwd without $cap to exit or answer" eval \
		"! pid_running $pid || fwctl status >/dev/null 2>&1"
	if pid_running "$pid"; then
		# The kernel took another capability of the set for it (CAP_SYS_ADMIN stands in
		# for CAP_BPF and CAP_PERFMON).
		FWD_PID=$pid FWD_LOG=$WORK/less-$cap.log stop_fwd TERM
		case $cap in
		CAP_BPF | CAP_PERFMON)
			ok "fwd runs without $cap: the kernel accepts CAP_SYS_ADMIN in its place (measured; the unit lists it for what it is for)"
			;;
		*) die "fwd ran without $cap: the unit grants a capability fwd does not need (remove it from CapabilityBoundingSet=)" ;;
		esac
		continue
	fi
	wait "$pid" || rc=$?
	assert_eq "fwd's exit status without $cap" 1 "$rc"
	msg=$(grep -m1 'lacks' "$WORK/less-$cap.log" || true)
	assert_match "its message names $cap and what for" "lacks $cap \(for [a-z]" "$msg"
	printf '  its words: %s\n' "${msg#<[0-7]>}"
	assert_eq "tcfw programs on lan0 after the refusal" 0 "$(filters_on lan0)"
	[ ! -e "$FWD_PIN_DIR/ct" ] || die "fwd without $cap left pins in $FWD_PIN_DIR"
done
FWD_LOG=$FIRST_LOG

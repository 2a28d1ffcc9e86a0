#!/usr/bin/env bash
# test_event_log.sh - `log` rules and logged defaults leave a trace without any monitor attached:
#   - fwd --event-log FILE: a `log prefix "ssh-in"` rule and a logged default drop give JSON
#     lines in FILE (the monitor's JSON with "time" and "prefix"), no fwctl monitor connected
#   - --event-log-rate 100 caps a flood of 2000 logged SYNs (hping3, one every 500 us): the
#     excess is counted in `fwctl status` and written as {"type":"lost"} records
#   - SIGHUP after an external `mv` of FILE: the next events go to a new FILE
#   - rotation at --event-log-size 4k: FILE.1 .. FILE.N, none bigger than 4 KiB, whole lines
#   - --event-log-connections: new and destroy events too
#   - a write error (ulimit -f: EFBIG) is reported once and in status, fwd goes on, and the
#     queued lines are written once there is room again
#   - --event-log journal: the same events in a journald (run for the test in a mount
#     namespace of its own) with TCFW_* fields
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
e2e_init event_log
topo_create
command -v hping3 >/dev/null || die "hping3 is missing (scripts/install-deps.sh installs it)"

LOG=$WORK/log/events.jsonl
mkdir -p "$WORK/log"

cat >"$WORK/policy.conf" <<EOF
# $E2E_NAME
zone lan { lan0 }
zone wan { wan0 }

defaults {
    input   drop log prefix "in-default"
    forward drop log
    output  accept
    invalid drop
}

input   accept proto tcp dport 22 log prefix "ssh-in"
input   accept in lan
input   accept proto icmp
forward drop   proto tcp dport 9 log prefix "discard"
forward accept in lan out wan
EOF

# lines FILE JQ-CONDITION: how many lines of FILE (each one JSON object) satisfy the condition.
lines() { [ -f "$1" ] || { echo 0; return; }; jq -c "select($2)" "$1" | wc -l; }
has_lines() { [ "$(lines "$1" "$2")" -ge "${3:-1}" ]; }
has_lines_all() { [ -n "$(all_lines | jq -c "select($1)")" ]; }
status_field() { fwctl -j status | jq -r ".event_log.$1"; }
# For wait_for, which runs its command again each time: status_cmp FIELD OP N (test's -ge, -eq).
status_cmp() { test "$(status_field "$1")" "$2" "$3"; }
# all_lines: every line of FILE and its rotated copies, oldest first.
all_lines() {
	local f i
	for ((i = 9; i >= 1; i--)); do
		f="$LOG.$i"
		[ -f "$f" ] && cat "$f"
	done
	[ -f "$LOG" ] && cat "$LOG"
	return 0
}

step "listeners: ssh on the gateway (22), a closed port 80 behind the logged default"
start_tcp_listener "$NS_GW" 0.0.0.0 22

step "fwd --event-log $LOG --event-log-rate 100"
start_fwd "$WORK/policy.conf" --event-log "$LOG" --event-log-rate 100
assert_eq "monitors connected" 0 "$(fwctl -j status | jq -r .monitors)"
assert_eq "status event_log.path" "$LOG" "$(status_field path)"

step "a 'log prefix \"ssh-in\"' rule and the logged default drop, no monitor attached"
assert_probe "server -> gateway:22 (ssh-in, accepted)" connected "$NS_SERVER" "$WAN4_GW" 22
assert_probe "server -> gateway:80 (input default drop)" timeout "$NS_SERVER" "$WAN4_GW" 80
wait_for 5 "the ssh-in line in $LOG" has_lines "$LOG" '.prefix == "ssh-in"'
wait_for 5 "the default drop's line in $LOG" has_lines "$LOG" '.dport == 80'
ssh=$(jq -c 'select(.prefix == "ssh-in")' "$LOG" | head -n 1)
printf '  %s\n' "$ssh"
assert_field "ssh-in line" "$ssh" .type log
assert_field "ssh-in line" "$ssh" .verdict accept
assert_field "ssh-in line" "$ssh" .chain input
assert_field "ssh-in line" "$ssh" .src "$WAN4_SERVER"
assert_field "ssh-in line" "$ssh" .dport 22
assert_field "ssh-in line" "$ssh" .ifname wan0
assert_match "ssh-in line: wall-clock time" "^$(date -u +%Y-%m-%d)T[0-9:]{8}\.[0-9]{6}Z$" \
	"$(field "$ssh" .time)"
def=$(jq -c 'select(.dport == 80)' "$LOG" | head -n 1)
printf '  %s\n' "$def"
assert_field "default drop line" "$def" .rule 0
assert_field "default drop line" "$def" .verdict drop
assert_field "default drop line" "$def" .prefix in-default
assert_eq "lines that are not log events" 0 "$(lines "$LOG" '.type != "log"')"

step "--event-log-rate 100 caps a flood: 2000 logged SYNs in about a second"
logged0=$(status_field logged)
in_server hping3 -q -S -p 9 -c 2000 -i u500 "$LAN4_CLIENT" >/dev/null 2>&1 || true
flood_counted() { [ $(($(status_field logged) - logged0 + $(status_field dropped_rate_limited))) -ge 2000 ]; }
wait_for 5 "fwd to account for the 2000 events" flood_counted
logged=$(($(status_field logged) - logged0))
dropped=$(status_field dropped_rate_limited)
printf '  logged %s, dropped by the rate limit %s\n' "$logged" "$dropped"
# Exactly 2000 unless the gateway's own noise (an IPv6 multicast report to its input default,
# say) got logged meanwhile.
if [ $((logged + dropped)) -lt 2000 ] || [ $((logged + dropped)) -gt 2020 ]; then
	die "logged + dropped: expected 2000 (the flood), got $((logged + dropped))"
fi
ok "logged + dropped = $((logged + dropped))"
# Burst 100, then 100 a second for the flood's one to two seconds.
[ "$logged" -le 400 ] || die "the rate limit let $logged of 2000 events through (expected <= 400)"
ok "logged $logged <= 400"
assert_ge "dropped by the rate limit" 1600 "$dropped"
# A lost record goes out whenever a token lets logging resume: during the flood before each
# event that passes, and after it with the last count (within a second).
lost_sum() { jq -s '[.[] | select(.type == "lost") | .count] | add // 0' "$LOG"; }
lost_all_counted() { [ "$(lost_sum)" -eq "$dropped" ]; }
wait_for 5 "lost records counting every dropped event" lost_all_counted
ok "lost records: $(lines "$LOG" '.type == "lost"'), their counts add up to $dropped"
jq -c 'select(.type == "lost")' "$LOG" | tail -n 2 | sed 's/^/  /'
assert_eq "port-9 lines in the file" "$logged" "$(lines "$LOG" '.dport == 9 and .prefix == "discard"')"
fwctl -j status | jq -c .event_log | sed "s/^/  status: /"

step "SIGHUP after an external mv: the next events go to a new $LOG"
mv "$LOG" "$LOG.moved"
rm -f "$LOG".[0-9]*
moved_ssh=$(lines "$LOG.moved" '.prefix == "ssh-in"')
kill -HUP "$FWD_PID"
wait_for 5 "fwd to reopen the file" status_cmp reopens -ge 1
[ -f "$LOG" ] || die "no new $LOG after SIGHUP"
assert_probe "server -> gateway:22 after the reopen" connected "$NS_SERVER" "$WAN4_GW" 22
wait_for 5 "the ssh-in line in the new $LOG" has_lines "$LOG" '.prefix == "ssh-in"'
assert_eq "ssh-in lines in the moved file (none added after the reopen)" "$moved_ssh" \
	"$(lines "$LOG.moved" '.prefix == "ssh-in"')"
assert_eq "event_log.error" null "$(status_field error)"
stop_fwd TERM


step "a second fwd: --event-log-size 4k --event-log-keep 3 --event-log-connections"
rm -f "$LOG"*
start_fwd "$WORK/policy.conf" --event-log "$LOG" --event-log-size 4k --event-log-keep 3 \
	--event-log-connections

step "rotation at 4 KiB: a bounded burst of 40 logged SYNs (forward default drop)"
in_server hping3 -q -S -p 81 -c 40 -i u5000 "$LAN4_CLIENT" >/dev/null 2>&1 || true
port81_lines() { all_lines | jq -c 'select(.dport == 81)' | wc -l; }
port81_all() { [ "$(port81_lines)" -ge 40 ]; }
# 40 lines of about 265 bytes fit in FILE.1..FILE.3 and FILE: every one is kept.
wait_for 5 "the 40 logged port-81 events written" port81_all
assert_eq "port-81 lines over the 4 files" 40 "$(port81_lines)"
assert_ge "rotations" 2 "$(status_field rotations)"
[ -f "$LOG.1" ] || die "no $LOG.1 after rotations"
[ -e "$LOG.4" ] && die "$LOG.4 exists: --event-log-keep 3 keeps 3"
for f in "$LOG" "$LOG".[0-9]*; do
	size=$(stat -c %s "$f")
	[ "$size" -le 4096 ] || die "$f is $size bytes: more than --event-log-size 4k"
	jq -e . "$f" >/dev/null || die "$f holds a line that is not JSON"
done
ok "every file at most 4096 bytes, every line JSON: $(for f in "$LOG"*; do printf '%s ' "${f##*/}"; done)"

step "--event-log-connections: new and destroy events too"
assert_probe "client -> gateway:22" connected "$NS_CLIENT" "$LAN4_GW" 22
fwctl ct del proto tcp dport 22 >/dev/null || die "fwctl ct del failed"
wait_for 5 "a new event for port 22" has_lines_all '.type == "new" and .dport == 22'
wait_for 5 "a destroy event for port 22" has_lines_all '.type == "destroy" and .dport == 22'
assert_eq "status event_log.connections" true "$(status_field connections)"
stop_fwd TERM

step "write errors: fwd under ulimit -f 16 (16 KiB files: EFBIG, standing in for a full disk)"
rm -f "$LOG"*
cat >"$WORK/fwd-fsize.sh" <<EOF
#!/usr/bin/env bash
ulimit -S -f 16
exec "$FWD" "\$@"
EOF
chmod +x "$WORK/fwd-fsize.sh"
REAL_FWD=$FWD
FWD=$WORK/fwd-fsize.sh
start_fwd "$WORK/policy.conf" --event-log "$LOG" --event-log-size 0
FWD=$REAL_FWD
in_server hping3 -q -S -p 82 -c 150 -i u2000 "$LAN4_CLIENT" >/dev/null 2>&1 || true
wait_for 5 "fwd to report the write error in status" status_cmp write_errors -ge 1
assert_match "status event_log.error" "^write: File too large$" "$(status_field error)"
fwd_alive || die "fwd died of the write error"
assert_eq "warnings about it in fwd's log" 1 "$(grep -c 'event log .*: write failed: File too large' "$FWD_LOG")"
queued=$(status_field queued_bytes)
assert_gt "bytes kept queued" 0 "$queued"
prlimit --pid "$FWD_PID" --fsize=unlimited:unlimited # room again
if ! poll_for 5 status_cmp queued_bytes -eq 0; then
	grep -i 'file size' "/proc/$FWD_PID/limits"
	fwctl -j status | jq -c .event_log
	die "the queued lines were not written after the error"
fi
assert_eq "status event_log.error after" null "$(status_field error)"
grep -q "event log .*: writing works again" "$FWD_LOG" || die "fwd did not say that writing works again"
ok "fwd said: $(grep -o 'event log .*: writing works again' "$FWD_LOG")"
jq -e . "$LOG" >/dev/null || die "$LOG holds a line that is not JSON (a line split by the error?)"
assert_eq "port-82 lines: every one, none lost or split" 150 "$(lines "$LOG" '.dport == 82')"
stop_fwd TERM

# ---- journald --------------------------------------------------------------------------------
step "--event-log journal: a journald of the test's own, in a private mount namespace"
# journald_wrapper DIR SCRIPT [PREFIX...]: SCRIPT runs fwd with a journald of its own:
# /run/systemd, /run/log and /var/log/journal are DIR's subdirectories in a private mount
# namespace, so the host's are never touched; PREFIX (e.g. systemd-cat) goes before fwd.
journald_wrapper() {
	local dir=$1 out=$2
	shift 2
	mkdir -p "$dir/run-systemd" "$dir/run-log" "$dir/var-journal"
	cat >"$out" <<EOF
#!/usr/bin/env bash
exec unshare --mount --propagation private -- bash -c '
	mount --bind "$dir/run-systemd" /run/systemd
	mount --bind "$dir/run-log" /run/log
	mount --bind "$dir/var-journal" /var/log/journal
	/lib/systemd/systemd-journald </dev/null >"$dir/journald.log" 2>&1 &
	for i in \$(seq 100); do [ -S /run/systemd/journal/socket ] && break; sleep 0.05; done
	exec $* "$FWD" "\$@"' fwd "\$@"
EOF
	chmod +x "$out"
}
JDIR=$WORK/journal
journald_wrapper "$JDIR" "$WORK/fwd-journald.sh"
if [ ! -x /lib/systemd/systemd-journald ]; then
	die "/lib/systemd/systemd-journald is missing (the systemd package): cannot test the journal"
fi
REAL_FWD=$FWD
FWD=$WORK/fwd-journald.sh
start_fwd "$WORK/policy.conf" --event-log journal
FWD=$REAL_FWD
assert_eq "status event_log.journal" true "$(status_field journal)"
assert_probe "server -> gateway:22 (ssh-in)" connected "$NS_SERVER" "$WAN4_GW" 22
assert_probe "server -> gateway:80 (input default drop)" timeout "$NS_SERVER" "$WAN4_GW" 80
journal_json() {
	local files=() f
	while IFS= read -r f; do files+=(--file "$f"); done < <(find "$JDIR" -type f -name '*.journal')
	[ ${#files[@]} -gt 0 ] || return 1
	journalctl --no-pager -o json "${files[@]}" TCFW_EVENT=log 2>/dev/null || true
}
journal_has() { journal_json | jq -s -e "any(.[]; $1)" >/dev/null 2>&1; }
if ! poll_for 10 journal_has '.TCFW_PREFIX == "ssh-in"'; then
	echo "--- fwd's log"; cat "$FWD_LOG"
	echo "--- journald's log"; cat "$JDIR/journald.log"
	echo "--- journal files"; find "$JDIR" -ls
	echo "--- the journal's TCFW entries"; journal_json | head -n 5
	die "no ssh-in entry in the journal after 10s"
fi
wait_for 10 "the default drop's entry in the journal" journal_has '.TCFW_DPORT == "80"'
ent=$(journal_json | jq -c 'select(.TCFW_PREFIX == "ssh-in")' | head -n 1)
assert_field "journal entry" "$ent" .TCFW_RULE 1
assert_field "journal entry" "$ent" .TCFW_CHAIN input
assert_field "journal entry" "$ent" .TCFW_VERDICT accept
assert_field "journal entry" "$ent" .TCFW_SRC "$WAN4_SERVER"
assert_field "journal entry" "$ent" .TCFW_DST "$WAN4_GW"
assert_field "journal entry" "$ent" .TCFW_PROTO tcp
assert_field "journal entry" "$ent" .TCFW_DPORT 22
assert_field "journal entry" "$ent" .PRIORITY 5
assert_match "journal MESSAGE" "^ssh-in: input accept tcp $WAN4_SERVER:[0-9]+ -> $WAN4_GW:22 on wan0 \(rule 1\)$" \
	"$(field "$ent" .MESSAGE)"
ent=$(journal_json | jq -c 'select(.TCFW_DPORT == "80")' | head -n 1)
assert_field "journal entry of the default" "$ent" .TCFW_RULE 0
assert_field "journal entry of the default" "$ent" .TCFW_PREFIX in-default
assert_field "journal entry of the default" "$ent" .PRIORITY 4
assert_ge "status event_log.journal_sent" 2 "$(status_field journal_sent)"
stop_fwd TERM

step "under systemd (stderr is the journal, JOURNAL_STREAM names it): the journal by default"
# systemd-cat connects stderr to journald as systemd does for a service; JOURNAL_STREAM is
# what systemd would set (device:inode of that stream), here by a small shell step.
JDIR=$WORK/journal2
cat >"$WORK/journal-stream.sh" <<'EOF'
#!/usr/bin/env bash
export JOURNAL_STREAM=$(stat -L -c %d:%i /proc/self/fd/2)
exec "$@"
EOF
chmod +x "$WORK/journal-stream.sh"
journald_wrapper "$JDIR" "$WORK/fwd-journald2.sh" systemd-cat -t fwd "$WORK/journal-stream.sh"
FWD=$WORK/fwd-journald2.sh
start_fwd "$WORK/policy.conf"
FWD=$REAL_FWD
assert_eq "status event_log.journal (no --event-log given)" true "$(status_field journal)"
assert_eq "status event_log.path" null "$(status_field path)"
assert_probe "server -> gateway:22 (ssh-in)" connected "$NS_SERVER" "$WAN4_GW" 22
wait_for 10 "the ssh-in entry in the journal" journal_has '.TCFW_PREFIX == "ssh-in"'
ok "the journal has it: $(journal_json | jq -r 'select(.TCFW_PREFIX == "ssh-in") | .MESSAGE' | head -n 1)"
stop_fwd TERM

echo
echo "PASS: $E2E_NAME"

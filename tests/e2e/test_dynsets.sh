#!/usr/bin/env bash
# test_dynsets.sh - dynamic sets, from the command line and from rules, with real connections:
#   - `fwctl set add blocked CLIENT`: the client's next connection through the gateway is
#     dropped at once (no reload); `set list` shows it; `set del`: allowed again
#   - an element with `timeout 6s` stops matching after 6 s
#   - elements survive `fwctl policy load` of a policy that keeps the set, and a restart of fwd
#     (--keep: the maps stay pinned); a policy without the set removes it; members written in
#     the policy come and go with the file, elements added by fwctl stay
#   - `forward drop ... dport 23 add @scanners`: one real SYN (hping3) to port 23 puts the
#     client into @scanners, and `forward drop from @scanners` then stops its connections to
#     port 80; the element carries the set's timeout and the origin "rule"
#   - `limit 2/minute burst 2 per source`: a source gets two connections, then falls through
#     to the drop default; the rule's refusals show in `rule list -j` ("limited")
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
e2e_init dynsets
topo_create
command -v hping3 >/dev/null || die "hping3 is missing (scripts/install-deps.sh installs it)"

# policy [EXTRA-SETS]: forward from the LAN to the server's ports 80, 23 (dropped, and the
# source remembered) and 8080 (rate-limited per source); everything else forwarded is dropped.
policy() {
	cat <<EOF2
zone lan { lan0 }
zone wan { wan0 }
set blocked { } flags dynamic
set scanners { } flags dynamic timeout 1h
$1
defaults { input accept; forward drop; output accept; invalid drop }
forward drop from @blocked
forward drop from @scanners
forward drop in lan proto tcp dport 23 add @scanners
forward accept in lan proto tcp dport 8080 limit 2/minute burst 2 per source
forward accept in lan proto tcp dport 80
EOF2
}
policy "" >"$WORK/policy.conf"
policy "set extra { 192.0.2.0/24 }" >"$WORK/policy2.conf"
sed '/^set blocked/d; /@blocked/d' "$WORK/policy.conf" >"$WORK/noblocked.conf"
grep -q blocked "$WORK/noblocked.conf" && die "test bug: noblocked.conf still names @blocked"

probe80() { tcp_probe "$NS_CLIENT" "$WAN4_SERVER" 80 --timeout 1; }
elements() { fwctl -j set list "$1" | jq -c '[.elements[].addr]'; }

start_tcp_listener "$NS_SERVER" "$WAN4_SERVER" 80
start_tcp_listener "$NS_SERVER" "$WAN4_SERVER" 8080
start_fwd "$WORK/policy.conf" --keep

step "no element: the client reaches the server"
assert_probe "client -> server:80" connected "$NS_CLIENT" "$WAN4_SERVER" 80 --timeout 1
assert_eq "fwctl set list blocked" "[]" "$(elements blocked)"

step "fwctl set add blocked CLIENT: dropped at once"
fwctl set add blocked "$LAN4_CLIENT" || die "fwctl set add failed"
assert_probe "client -> server:80 while blocked" timeout "$NS_CLIENT" "$WAN4_SERVER" 80 --timeout 1
assert_eq "fwctl set list blocked" "[\"$LAN4_CLIENT\"]" "$(elements blocked)"
assert_eq "its origin" '"fwctl"' "$(fwctl -j set list blocked | jq -c '.elements[0].origin')"
assert_eq "its expiry (none)" null "$(fwctl -j set list blocked | jq -c '.elements[0].expires')"

step "fwctl set del: allowed again"
fwctl set del blocked "$LAN4_CLIENT" || die "fwctl set del failed"
assert_probe "client -> server:80 after del" connected "$NS_CLIENT" "$WAN4_SERVER" 80 --timeout 1
run_expect "fwctl set del of an absent element" 1 fwctl set del blocked "$LAN4_CLIENT"
run_expect "fwctl set add to a misspelt set" 1 fwctl set add blocke "$LAN4_CLIENT"
assert_match "suggests the set" "did you mean 'blocked'" "$RUN_ERR"
run_expect "fwctl set add with host bits" 2 fwctl set add blocked 10.77.1.2/24
run_expect "fwctl set add with a bad timeout" 2 fwctl set add blocked 10.77.1.2 timeout soon

step "an element with timeout 6s expires"
added_at=$(date +%s.%N)
fwctl set add blocked "$LAN4_CLIENT" timeout 6s || die "fwctl set add timeout 6s failed"
left=$(fwctl -j set list blocked | jq '.elements[0].expires')
if ! [[ $left =~ ^[0-9]+$ ]] || [ "$left" -lt 1 ] || [ "$left" -gt 6 ]; then
	die "seconds left shown by set list: expected 1 to 6, got '$left'"
fi
ok "seconds left shown by set list: $left"
assert_probe "client -> server:80 within the 6 s" timeout "$NS_CLIENT" "$WAN4_SERVER" 80 --timeout 1
# Past the element's time (however long the steps above took), it no longer matches.
sleep "$(awk -v a="$added_at" -v n="$(date +%s.%N)" 'BEGIN { d = a + 6.2 - n; print (d > 0 ? d : 0) }')"
assert_probe "client -> server:80 after the timeout" connected "$NS_CLIENT" "$WAN4_SERVER" 80 --timeout 1
assert_eq "fwctl set list blocked after the timeout" "[]" "$(elements blocked)"

step "policy load of a policy that keeps the set: the element stays"
fwctl set add blocked "$LAN4_CLIENT" || die "fwctl set add failed"
fwctl policy load "$WORK/policy2.conf" || die "fwctl policy load policy2.conf failed"
assert_eq "fwctl set list blocked after the load" "[\"$LAN4_CLIENT\"]" "$(elements blocked)"
assert_probe "client -> server:80 after the load" timeout "$NS_CLIENT" "$WAN4_SERVER" 80 --timeout 1

step "members written in the policy: loaded with it, removed when the file drops them"
sed "s/^set blocked { }/set blocked { $WAN4_GW, 192.0.2.0\/24 }/" "$WORK/policy2.conf" >"$WORK/members.conf"
grep -q "^set blocked { $WAN4_GW" "$WORK/members.conf" || die "test bug: members.conf has no members"
fwctl policy load "$WORK/members.conf" || die "fwctl policy load members.conf failed"
assert_eq "fwctl set list blocked with members" "[\"$LAN4_CLIENT\",\"192.0.2.0/24\",\"$WAN4_GW\"]" \
	"$(fwctl -j set list blocked | jq -c '[.elements[].addr] | sort')"
assert_eq "the members' origin" '["policy","policy"]' \
	"$(fwctl -j set list blocked | jq -c '[.elements[] | select(.addr != "'"$LAN4_CLIENT"'") | .origin]')"
fwctl policy load "$WORK/policy2.conf" || die "fwctl policy load policy2.conf failed"
assert_eq "fwctl set list blocked, members gone, the fwctl element kept" "[\"$LAN4_CLIENT\"]" \
	"$(elements blocked)"

step "fwd restart (--keep): the element stays"
stop_fwd TERM
start_fwd "$WORK/policy2.conf" --keep
assert_eq "fwctl set list blocked after the restart" "[\"$LAN4_CLIENT\"]" "$(elements blocked)"
assert_probe "client -> server:80 after the restart" timeout "$NS_CLIENT" "$WAN4_SERVER" 80 --timeout 1

step "a policy without the set drops it; loaded again, it starts empty"
fwctl policy load "$WORK/noblocked.conf" || die "fwctl policy load noblocked.conf failed"
run_expect "fwctl set list blocked without the set" 1 fwctl set list blocked
assert_probe "client -> server:80 without the set" connected "$NS_CLIENT" "$WAN4_SERVER" 80 --timeout 1
fwctl policy load "$WORK/policy.conf" || die "fwctl policy load policy.conf failed"
assert_eq "fwctl set list blocked, declared again" "[]" "$(elements blocked)"
assert_probe "client -> server:80 with the empty set" connected "$NS_CLIENT" "$WAN4_SERVER" 80 --timeout 1

step "add @scanners: one SYN to port 23 (hping3) puts the client in the set"
assert_eq "fwctl set list scanners" "[]" "$(elements scanners)"
in_client hping3 -q -S -c 1 -p 23 "$WAN4_SERVER" >/dev/null 2>&1 || true
wait_for 3 "the client in @scanners" test "$(elements scanners)" = "[\"$LAN4_CLIENT\"]"
ok "fwctl set list scanners: $(elements scanners)"
assert_eq "its origin" '"rule"' "$(fwctl -j set list scanners | jq -c '.elements[0].origin')"
assert_ge "it carries the set's timeout (1h)" 3590 "$(fwctl -j set list scanners | jq '.elements[0].expires')"
assert_probe "client -> server:80 once in @scanners" timeout "$NS_CLIENT" "$WAN4_SERVER" 80 --timeout 1
assert_ge "stat dynset_added" 1 "$(fwctl -j stats | jq '.dynset_added')"
fwctl set flush scanners || die "fwctl set flush failed"
assert_probe "client -> server:80 after set flush" connected "$NS_CLIENT" "$WAN4_SERVER" 80 --timeout 1

step "limit 2/minute burst 2 per source: two connections, then the default drops"
for i in 1 2; do
	assert_probe "connection $i to :8080" connected "$NS_CLIENT" "$WAN4_SERVER" 8080 --timeout 1
done
assert_probe "connection 3 to :8080 (over the limit)" timeout "$NS_CLIENT" "$WAN4_SERVER" 8080 --timeout 1
limited=$(fwctl -j rule list | jq '[.[] | select(.text | test("dport 8080")) | .limited][0]')
assert_ge "rule list: what the limit refused" 1 "$limited"
assert_eq "status: per-source buckets" 65536 "$(fwctl -j status | jq '.limits.per_source_buckets')"
stop_fwd TERM

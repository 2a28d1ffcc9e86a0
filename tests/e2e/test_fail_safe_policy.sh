#!/usr/bin/env bash
# test_fail_safe_policy.sh - what an operator may get wrong never unfilters the gateway, and
# what they may read they can read:
#   - a policy whose zones name no interface is refused by `policy load` (and by a SIGHUP
#     reload) unless --force; with --force the gateway is detached on purpose
#   - a policy over the datapath's limits fails `policy check` and `policy load` with
#     file:line:col, and fwd started with it stops before touching anything
#   - `ct_new` counts connections created, not packets the policy dropped
#   - members of fwd's --group read what they may change: stats, ct list, ct count, nat list;
#     other users are refused with a clear message and exit status 1
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
e2e_init fail_safe_policy
topo_create

OPEN_PORT=8000
CLOSED_PORT=8080
good_policy() {
	cat <<EOF
# $E2E_NAME
zone lan { lan0 }
zone wan { wan0 }
defaults {
    input   drop
    forward drop
    output  accept
    invalid drop
}
forward accept in lan out wan
forward accept in wan proto tcp dport $OPEN_PORT
EOF
}
good_policy >"$WORK/policy.conf"
printf 'defaults {\n    input drop\n    forward drop\n    output accept\n}\n' >"$WORK/empty.conf"
{
	good_policy
	for i in $(seq 1 17000); do echo "forward accept in lan proto udp dport $((i + 10000))"; done
} >"$WORK/big.conf"
BIG_LINE=$(($(good_policy | wc -l) + 16384 - 1)) # forward's rule 16385: two forward rules come first

filters_on() { echo $(($(tcfw_filters "$1" ingress) + $(tcfw_filters "$1" egress))); }
generation() { fwctl -j status | jq .policy.generation; }

step "listeners on the client: $OPEN_PORT (open from the WAN), $CLOSED_PORT (closed)"
start_tcp_listener "$NS_CLIENT" "$LAN4_CLIENT" "$OPEN_PORT"
start_tcp_listener "$NS_CLIENT" "$LAN4_CLIENT" "$CLOSED_PORT"

step "fwd refuses at start a policy over the datapath's limits, before touching anything"
TOPO_PINS+=("$FWD_PIN_DIR")
run_expect "fwd -c big.conf" 1 timeout 60 nsenter --net="/run/netns/$NS_GW" -- "$FWD" \
	-c "$WORK/big.conf" --pin-dir "$FWD_PIN_DIR" --socket "$FWD_SOCKET"
assert_match "fwd names file:line:col of the first rule over the limit" \
	"big.conf:$BIG_LINE:1: chain forward has 17002 rules: at most 16384 fit" "$RUN_ERR"
[ ! -e "$FWD_PIN_DIR" ] || die "fwd created $FWD_PIN_DIR although it refused the policy"
ok "no pin dir created"
assert_eq "tcfw programs on lan0" 0 "$(filters_on lan0)"

step "fwd with a good policy"
start_fwd "$WORK/policy.conf"
gen=$(generation)

step "policy check and policy load refuse the policy over the limits the same way"
run_expect "fwctl policy check big.conf" 1 fwctl policy check "$WORK/big.conf"
assert_match "policy check: file:line:col" "big.conf:$BIG_LINE:1: chain forward has 17002 rules" "$RUN_ERR"
run_expect "fwctl policy load big.conf" 1 fwctl policy load "$WORK/big.conf"
assert_match "policy load: file:line:col" "big.conf:$BIG_LINE:1: chain forward has 17002 rules" "$RUN_ERR"
assert_eq "policy generation after the refused load" "$gen" "$(generation)"

step "a policy with no interface in its zones is refused unless --force"
run_expect "fwctl policy check empty.conf" 0 fwctl policy check "$WORK/empty.conf"
assert_match "policy check warns" "warning: no zone names an interface" "$RUN_ERR"
run_expect "fwctl policy load empty.conf" 1 fwctl policy load "$WORK/empty.conf"
assert_match "the refusal says why" "would detach tcfw from every interface and leave the gateway unfiltered" "$RUN_ERR"
assert_eq "policy generation after the refused load" "$gen" "$(generation)"
assert_eq "tcfw programs on lan0" 2 "$(filters_on lan0)"
assert_probe "WAN to the closed LAN port" timeout "$NS_SERVER" "$LAN4_CLIENT" "$CLOSED_PORT"

step "the same policy through SIGHUP (fwd -c FILE rewritten) is refused too"
cp "$WORK/policy.conf" "$WORK/policy.conf.good"
cp "$WORK/empty.conf" "$WORK/policy.conf"
kill -HUP "$FWD_PID"
wait_for 5 "fwd to log the refused reload" grep -q "reload of .* refused.*no zone names an interface" "$FWD_LOG"
assert_eq "policy generation after the refused SIGHUP" "$gen" "$(generation)"
assert_eq "tcfw programs on wan0" 2 "$(filters_on wan0)"
cp "$WORK/policy.conf.good" "$WORK/policy.conf"

step "with --force the gateway is detached on purpose, and a good policy attaches again"
run_expect "fwctl policy load --force empty.conf" 0 fwctl policy load --force "$WORK/empty.conf"
assert_eq "tcfw programs on lan0 after the forced load" 0 "$(filters_on lan0)"
run_expect "fwctl policy load policy.conf" 0 fwctl policy load "$WORK/policy.conf"
assert_eq "tcfw programs on lan0 after the good policy" 2 "$(filters_on lan0)"

step "ct_new counts connections created, not packets dropped"
before=$(fwctl -j stats | jq .ct_new)
assert_probe "WAN to the open LAN port" connected "$NS_SERVER" "$LAN4_CLIENT" "$OPEN_PORT"
assert_probe "WAN to the closed LAN port" timeout "$NS_SERVER" "$LAN4_CLIENT" "$CLOSED_PORT"
after=$(fwctl -j stats | jq .ct_new)
assert_eq "ct_new grew by the one connection created" $((before + 1)) "$after"

step "a --group member reads what it may change; another user is refused"
GROUP="tcfw$$"
USER_IN="tcfwin$$"
USER_OUT="tcfwout$$"
cleanup_users() {
	userdel "$USER_IN" 2>/dev/null || true
	userdel "$USER_OUT" 2>/dev/null || true
	groupdel "$GROUP" 2>/dev/null || true
}
trap 'cleanup_users; topo_cleanup' EXIT
groupadd "$GROUP"
useradd -M -N -g "$GROUP" -s /usr/sbin/nologin "$USER_IN"
useradd -M -N -s /usr/sbin/nologin "$USER_OUT"
stop_fwd TERM
start_fwd "$WORK/policy.conf" --group "$GROUP"
as_user() { # USER FWCTL-ARGS...: fwctl in the gateway's namespace as USER
	local user=$1
	shift
	nsenter --net="/run/netns/$FWD_NS" -- setpriv --reuid "$user" --regid "$(id -g "$user")" \
		--init-groups -- "$FWCTL" --socket "$FWD_SOCKET" "$@"
}
for cmd in "stats" "ct list" "ct count" "nat list" "status"; do
	# shellcheck disable=SC2086 # the command's words
	run_expect "$USER_IN: fwctl -j $cmd" 0 as_user "$USER_IN" -j $cmd
done
run_expect "$USER_IN: fwctl ct flush" 0 as_user "$USER_IN" ct flush
run_expect "$USER_OUT: fwctl stats" 1 as_user "$USER_OUT" stats
# The socket's mode (0660, group $GROUP) refuses it before fwd's credential check would.
assert_match "the refusal says who may" "Permission denied \\(run as root, or as a member of the group given to fwd --group\\)" "$RUN_ERR"
stop_fwd TERM
echo "PASS test_fail_safe_policy"

#!/usr/bin/env bash
# test_nat_forward.sh - a port forward from the WAN to a LAN web server (nat dnat plus the
# forward accept rule it needs, which sees the translated destination), and hairpin: a LAN
# client using the public address:port reaches the LAN server, which sees the gateway's LAN
# address as its peer (policy-language.md, "NAT loopback").
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
e2e_init nat_forward
topo_create_nat

WEB_PORT=80
PUBLIC_PORT=8080

# web_peers: the client addresses of the LAN web server's access log, one a line.
web_peers() { awk '/"GET /{ print $1 }' "$WORK/http-$NS_LANSRV-$WEB_PORT.log"; }
fetch() { # NS: the page through the public address, into $WORK/page.got
	in_ns "$1" curl -sS --max-time 5 -o "$WORK/page.got" "http://$NAT_WAN_GW:$PUBLIC_PORT/page"
}

step "a web server on the LAN ($NAT_LANSRV:$WEB_PORT)"
mkdir -p "$WORK/www"
echo "the page behind the port forward $$" >"$WORK/www/page"
start_http_server "$NS_LANSRV" "$NAT_LANSRV" "$WEB_PORT" "$WORK/www"

step "fwd: forward drop by default, LAN out, the forward to the web server, masquerade, the port forward"
cat >"$WORK/policy.conf" <<EOF
zone lan { lan0 }
zone wan { wan0 }
defaults { input accept; forward drop; output accept; invalid drop }
forward accept in lan out wan
forward accept proto tcp dport $WEB_PORT to $NAT_LANSRV comment "the web server behind the port forward"
nat masquerade out wan from $NAT_LAN_NET
nat dnat in wan proto tcp dport $PUBLIC_PORT -> $NAT_LANSRV:$WEB_PORT
EOF
start_fwd "$WORK/policy.conf"

step "port forward: the server on the WAN fetches $NAT_WAN_GW:$PUBLIC_PORT"
fetch "$NS_SERVER" || die "the port forward did not answer"
assert_eq "page through the port forward" "$(cat "$WORK/www/page")" "$(cat "$WORK/page.got")"
assert_eq "peer the LAN server saw (DNAT only: the real client)" "$NAT_SERVER" "$(web_peers | tail -n 1)"
fwd_entry=$(fwctl -j nat list src "$NAT_SERVER" | jq -c 'last')
[ "$fwd_entry" != null ] || die "fwctl nat list shows no port-forwarded connection"
assert_field "nat list" "$fwd_entry" .kind dnat
assert_field "nat list" "$fwd_entry" .orig.dst "$NAT_WAN_GW"
assert_field "nat list" "$fwd_entry" .orig.dport "$PUBLIC_PORT"
assert_field "nat list" "$fwd_entry" .translated.dst "$NAT_LANSRV"
assert_field "nat list" "$fwd_entry" .translated.dport "$WEB_PORT"
assert_field "nat list" "$fwd_entry" .translated.src "$NAT_SERVER"

step "the forward rule decides on the translated destination: without it, no port forward"
rule_id=$(fwctl -j rule list | jq -r ".[] | select(.chain == \"forward\" and (.text | test(\"to $NAT_LANSRV\"))) | .id")
[[ "$rule_id" =~ ^[0-9]+$ ]] || die "fwctl rule list shows no single forward rule to $NAT_LANSRV (got '$rule_id')"
hits=$(fwctl -j rule list | jq -r ".[] | select(.id == $rule_id) | .hits")
assert_ge "hits of the forward accept rule for the translated destination" 1 "$hits"
run_expect "fwctl rule del $rule_id" 0 fwctl rule del "$rule_id"
assert_probe "port forward without its forward accept rule" timeout "$NS_SERVER" "$NAT_WAN_GW" \
	"$PUBLIC_PORT" --timeout 1
run_expect "fwctl rule add (the forward accept again)" 0 fwctl rule add \
	forward accept proto tcp dport "$WEB_PORT" to "$NAT_LANSRV"
fetch "$NS_SERVER" || die "the port forward did not answer after the rule came back"
ok "the port forward answers again"

step "hairpin: the LAN client fetches the public address $NAT_WAN_GW:$PUBLIC_PORT"
fetch "$NS_CLIENT" || die "hairpin: the LAN client did not reach the LAN server through the public address"
assert_eq "page through hairpin" "$(cat "$WORK/www/page")" "$(cat "$WORK/page.got")"
assert_eq "peer the LAN server saw (the gateway's LAN address)" "$NAT_LAN_GW" "$(web_peers | tail -n 1)"
hp=$(fwctl -j nat list src "$NAT_CLIENT" | jq -c 'last')
[ "$hp" != null ] || die "fwctl nat list shows no hairpin connection"
assert_field "hairpin in nat list" "$hp" .kind "snat+dnat"
assert_field "hairpin in nat list" "$hp" .orig.dst "$NAT_WAN_GW"
assert_field "hairpin in nat list" "$hp" .translated.src "$NAT_LAN_GW"
assert_field "hairpin in nat list" "$hp" .translated.dst "$NAT_LANSRV"
assert_field "hairpin in nat list" "$hp" .translated.dport "$WEB_PORT"
for i in 1 2 3; do fetch "$NS_CLIENT" || die "hairpin fetch $i of 3 failed"; done
ok "three more hairpin fetches"

stop_fwd TERM

#!/usr/bin/env bash
# tcfw's own manual, docs/policy.md, is checked like the contract: every ``` block in it that
# is a policy (not a grammar, an error listing or a shell session) must pass `fwctl policy
# check`, and the error messages it quotes for 'log prefix' and a logged 'invalid' must be what
# the parser says, place included.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
doc=${MANUAL_DOC:-$root/docs/policy.md}
fwctl=${FWCTL:-$root/build/fwctl}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

[ -r "$doc" ] || { echo "FAIL: cannot read $doc"; exit 1; }

awk -v dir="$tmp" '
	/^```/ { if (inb) { inb = 0; close(f) } else { inb = 1; n++; f = sprintf("%s/block%d.conf", dir, n) } next }
	inb { print > f }' "$doc"
checked=0
for f in "$tmp"/block*.conf; do
	grep -q ':=' "$f" && continue     # a grammar
	grep -qF "'{'" "$f" && continue   # a grammar line with quoted tokens
	grep -qE '^(zone|set|defaults|timeouts|input|forward|output|nat|\[[0-9]+\]) ' "$f" || continue
	if ! out=$("$fwctl" policy check "$f" 2>&1); then
		echo "FAIL: an example of docs/policy.md does not parse:"; cat "$f"; echo "$out"; exit 1
	fi
	echo "ok: example $(basename "$f") ($(head -n 1 "$f" | cut -c1-50)...): $out"
	checked=$((checked + 1))
done
[ "$checked" -ge 3 ] || { echo "FAIL: found only $checked policy examples in $doc"; exit 1; }
grep -q 'log prefix "ssh-in"' "$doc" || { echo "FAIL: $doc has no 'log prefix' example"; exit 1; }

# expect_error NAME TEXT: the policy TEXT must fail with the line of the manual that starts
# with "policy.conf:" and contains the message the parser gives.
expect_error() {
	local name=$1 out rc want
	printf '%b' "$2" >"$tmp/policy.conf"
	set +e
	out=$(cd "$tmp" && "$fwctl" policy check policy.conf 2>&1)
	rc=$?
	set -e
	want=$(grep -F "$3" "$doc" | head -n 1)
	if [ -z "$want" ]; then
		echo "FAIL: $name: the manual quotes no error containing '$3'"; exit 1
	fi
	if [ "$rc" -ne 1 ] || ! grep -qxF "$want" <<<"$out"; then
		echo "FAIL: $name: the manual says '$want'; fwctl said (exit $rc):"; echo "$out"; exit 1
	fi
	echo "ok: $name reported as the manual says: $want"
}
long=$(printf 'x%.0s' $(seq 70))
expect_error "a log prefix over 64 characters" \
	"$(printf '#\\n%.0s' $(seq 32))input   accept proto tcp dport 22 log prefix \"$long\"\n" \
	"log prefix is 70 characters long"
expect_error "log on invalid" \
	'zone lan { lan0 }\nzone wan { wan0 }\ndefaults {\n    invalid drop log\n}\n' \
	"'invalid' takes no 'log'"
expect_error "an unknown set in a prefilter" \
	'zone lan { lan0 }\nzone wan { wan0 }\nset blocked { 203.0.113.66 }\n#\n#\n#\n#\n#\nprefilter wan {\n    drop from @blocke\n}\n' \
	"unknown set '@blocke'"

# The vocabulary's errors (service names, ranges, protocol lists, ICMP types, neighbour
# discovery) and NAT66's, each at the place the manual shows.
zones='zone lan { lan0 }\nzone wan { wan0 }\n'
expect_error "an unknown service name" \
	'#\n#\n#\n#\ninput accept proto tcp sport shh\n' "unknown service 'shh'"
expect_error "a reversed address range" \
	'#\n#\n#\n#\n#\nforward accept from 192.0.2.9-192.0.2.1\n' "is reversed (did you mean 192.0.2.1-"
expect_error "dport with a protocol list that has icmp" \
	'#\n#\n#\n#\n#\n#\nforward accept proto { tcp, icmp } dport 22\n' "but the list has 'icmp'"
expect_error "a misspelt ICMP type" \
	'#\n#\n#\n#\n#\n#\n#\ninput accept proto icmp type echo-requets\n' "unknown icmp type"
expect_error "a drop rule naming neighbour discovery" \
	'#\n#\n#\n#\n#\n#\n#\n#\ninput drop proto icmpv6 type { echo-request, nd-neighbor-solicit }\n' \
	"a rule cannot drop icmpv6 type"
expect_error "an IPv6-only masquerade (NAT66)" \
	"${zones}#\\n#\\n#\\n#\\n#\\n#\\n#\\nnat masquerade out wan from 2001:db8:1::/48\\n" \
	"this masquerade matches IPv6 connections only"
expect_error "an IPv6 snat target (NAT66)" \
	"${zones}#\\n#\\n#\\n#\\n#\\n#\\n#\\n#\\nnat snat out wan -> 2001:db8::1-2001:db8::9\\n" \
	"the IPv6 target 2001:db8::1 would"
expect_error "an IPv6 dnat target (NAT66)" \
	"${zones}#\\n#\\n#\\n#\\n#\\n#\\nnat dnat in wan -> 2001:db8::5\\n" \
	"the IPv6 target 2001:db8::5 would"

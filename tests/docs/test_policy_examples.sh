#!/usr/bin/env bash
# The policy language document is a product contract: every example in it must work as written.
# Extract each ``` block of ../shared/docs/policy-language.md that is a policy (not the grammar)
# and check it with the real parser (fwctl policy check), and check that an error reads the way
# the document shows (file:line:col, a suggestion for a misspelt set).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
doc=${POLICY_DOC:-$root/../shared/docs/policy-language.md}
fwctl=${FWCTL:-$root/build/fwctl}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

[ -r "$doc" ] || { echo "FAIL: cannot read $doc (is ../shared beside the repository?)"; exit 1; }

# Split the document's fenced blocks into files; keep those that look like policies.
awk -v dir="$tmp" '
	/^```/ { if (inb) { inb = 0; close(f) } else { inb = 1; n++; f = sprintf("%s/block%d.conf", dir, n) } next }
	inb { print > f }' "$doc"
checked=0
for f in "$tmp"/block*.conf; do
	grep -q ':=' "$f" && continue # the informal grammar, not a policy
	grep -qE '^(zone|set|defaults|input|forward|output|nat) ' "$f" || continue
	if ! out=$("$fwctl" policy check "$f" 2>&1); then
		echo "FAIL: an example of policy-language.md does not parse:"; echo "$out"; exit 1
	fi
	echo "ok: example $(basename "$f"): $out"
	checked=$((checked + 1))
done
[ "$checked" -gt 0 ] || { echo "FAIL: found no policy example in $doc"; exit 1; }

# The document's error example: a misspelt set name is reported with file:line:col and a suggestion.
printf 'set admins { 198.51.100.0/24 }\ninput accept proto tcp dport 22 from @admin\n' > "$tmp/policy.conf"
set +e
out=$(cd "$tmp" && "$fwctl" policy check policy.conf 2>&1); rc=$?
set -e
want="policy.conf:2:38: unknown set '@admin' (did you mean '@admins'?)"
if [ "$rc" -ne 1 ] || ! grep -qF "$want" <<<"$out"; then
	echo "FAIL: expected exit 1 and '$want', got exit $rc:"; echo "$out"; exit 1
fi
echo "ok: misspelt set reported as: $want"

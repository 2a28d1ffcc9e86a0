#!/usr/bin/env bash
# test_layout_guard.sh - a fwd never takes over a pinned datapath of another layout, even when
# every map has the shape it expects. The pinned owner record is changed to claim layout 99
# while fwd is stopped with --keep; the next fwd must exit 1 naming the layout version and what
# to do, and leave the datapath attached and its pins in place. With the
# record restored, a fwd takes it over as usual, which shows the record was the only obstacle.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
e2e_init layout_guard
topo_create

TCFW_MAP_CT=ct
TCFW_MAP_CONFIG=config
write_accept_policy "$WORK/policy.conf" lan0 wan0

# The byte offset of tcfw_config.owner.abi_version, from the one ABI header.
cat >"$WORK/offset.c" <<'EOF'
#include <stddef.h>
#include <stdio.h>
#include "tcfw_abi.h"
int main(void) { printf("%zu\n", offsetof(struct tcfw_config, owner.abi_version)); return 0; }
EOF
cc -I"$TOPO_REPO/bpf" -o "$WORK/offset" "$WORK/offset.c" || die "cannot build the offset probe"
OFFSET=$("$WORK/offset")

# set_layout VERSION: write VERSION into the pinned config's owner record (little endian).
set_layout() {
	local pin=$FWD_PIN_DIR/$TCFW_MAP_CONFIG value
	value=$(bpftool -j map lookup pinned "$pin" key 0 0 0 0 | jq -r --argjson off "$OFFSET" --argjson v "$1" '
		.value | to_entries | map(
			if .key == $off then ($v % 256)
			elif .key == $off + 1 then (($v / 256 | floor) % 256)
			elif .key == $off + 2 or .key == $off + 3 then 0
			else (.value | ltrimstr("0x") | explode | map(if . >= 97 then . - 87 else . - 48 end) | .[0] * 16 + .[1])
			end) | map(tostring) | join(" ")')
	[ -n "$value" ] || die "cannot read $pin"
	# shellcheck disable=SC2086 # one argument per byte
	bpftool map update pinned "$pin" key 0 0 0 0 value $value || die "cannot write $pin"
}

step "fwd runs, then stops with --keep: the datapath stays"
start_fwd "$WORK/policy.conf" --keep
stop_fwd TERM
assert_eq "lan0 keeps the datapath after --keep" 1 "$(tcfw_filters lan0 ingress)"

step "the pinned owner record claims layout 99"
set_layout 99
enter_cmd "$FWD_ENTER"
rc=0
timeout 20 "${ENTER_CMD[@]}" "$FWD" -c "$WORK/policy.conf" --pin-dir "$FWD_PIN_DIR" \
	--socket "$FWD_SOCKET" >"$WORK/refused.log" 2>&1 || rc=$?
cat "$WORK/refused.log"
assert_eq "fwd refuses a pinned datapath of another layout (exit status)" 1 "$rc"
grep -q "layout version 99" "$WORK/refused.log" || die "the refusal does not name layout version 99"
grep -q "fwd --cleanup --pin-dir" "$WORK/refused.log" || die "the refusal does not say what to do"
ok "refused, naming the layout and the way out"
assert_eq "lan0 still carries the datapath after the refusal" 1 "$(tcfw_filters lan0 ingress)"
assert_eq "wan0 still carries the datapath after the refusal" 1 "$(tcfw_filters wan0 egress)"
[ -e "$FWD_PIN_DIR/$TCFW_MAP_CT" ] || die "the refused fwd removed the pins"
ok "the pins are still there"

step "with the record restored, a fwd takes the datapath over"
set_layout "$(grep -m1 -o 'TCFW_ABI_VERSION [0-9]*' "$TOPO_REPO/bpf/tcfw_abi.h" | awk '{print $2}')"
start_fwd "$WORK/policy.conf"
grep -q "taken over" "$FWD_LOG" || die "fwd did not say it took the datapath over"
ok "taken over"
stop_fwd TERM
echo "PASS test_layout_guard"

#!/usr/bin/env bash
# run.sh [SECONDS] - run every libFuzzer target (build/fuzz/fuzz_*, `make fuzz`) for SECONDS
# each (default $FUZZ_SECONDS or 15), from a corpus seeded with the repository's own policies
# (the manuals' examples, the demo and bench policies) and control requests. A crash, leak,
# timeout or broken invariant fails the run; the input that did it is kept in
# build/fuzz/crashes/ and printed as a reproduction command. CI runs this short; see README.md
# beside this file for long runs.
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_EACH=${1:-${FUZZ_SECONDS:-15}}
WORK=$(mktemp -d /tmp/tcfw-fuzz.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/policy" "$WORK/ctl" build/fuzz/crashes

# Policies: every fenced block of the manuals, and the policies the demo and bench run.
python3 - "$WORK/policy" docs/policy.md ../shared/docs/policy-language.md <<'PY'
import re, sys, os
out, n = sys.argv[1], 0
for path in sys.argv[2:]:
    if not os.path.exists(path):
        continue
    for m in re.finditer(r"```[a-z]*\n(.*?)```", open(path).read(), re.S):
        open(os.path.join(out, "doc%d.conf" % n), "w").write(m.group(1))
        n += 1
PY
cp scripts/demo-policy.conf bench/policies/*.conf "$WORK/policy/"
# Control requests: each command fwd knows, a filter, garbage and a cut line.
printf '{"cmd":"hello"}\n{"cmd":"status"}\n' >"$WORK/ctl/hello"
printf '{"cmd":"ct-del","args":["proto","tcp","dport","22","state","established"]}\n' >"$WORK/ctl/ctdel"
printf '{"cmd":"ct-del","args":["src","192.0.2.0/24","dst","2001:db8::1","sport","1-1024"]}\n' >"$WORK/ctl/ctdel6"
printf '{"cmd":"policy-load","name":"p","text":"zone lan { lan0 }\\n"}\n' >"$WORK/ctl/load"
printf '{"cmd":"maps","names":["ct","stats"]}\nnot json\n{"cmd":' >"$WORK/ctl/garbage"

status=0
for bin in build/fuzz/fuzz_*; do
	[ -x "$bin" ] || continue
	name=$(basename "$bin")
	corpus="$WORK/ctl"
	[ "$name" = fuzz_policy ] && corpus="$WORK/policy"
	echo "fuzz: $name for ${SECONDS_EACH}s"
	if ! "$bin" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix=build/fuzz/crashes/"$name"- -print_final_stats=1 "$corpus" \
		>"$WORK/$name.log" 2>&1; then
		tail -40 "$WORK/$name.log"
		echo "fuzz: $name FAILED; reproduce with: $bin build/fuzz/crashes/$name-*"
		status=1
	else
		grep -E '^stat::number_of_executed_units|^Done' "$WORK/$name.log" | tail -1
	fi
done
exit $status

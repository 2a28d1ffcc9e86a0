#!/usr/bin/env bash
# run.sh - tcfw's benchmark harness (`make bench`; bench/README.md says what it measures).
#
# Builds a client - gateway - router - server chain of network namespaces, then measures
# plain forwarding, tcfw and nftables (each also with 10,000 rules) on five workloads in
# interleaved rounds, tcfw's datapath per packet with BPF_PROG_TEST_RUN, and a connection table
# filled to a million entries. Writes OUT/NAME.json, OUT/NAME.md and OUT/NAME.png.
# Everything it creates is removed when it ends, also on error or Ctrl-C.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)
# shellcheck source=bench/lib/topo.sh
source "$BENCH_DIR/lib/topo.sh"
# shellcheck source=bench/lib/fwd.sh
source "$BENCH_DIR/lib/fwd.sh"
# shellcheck source=bench/lib/configs.sh
source "$BENCH_DIR/lib/configs.sh"
# shellcheck source=bench/lib/workloads.sh
source "$BENCH_DIR/lib/workloads.sh"
# shellcheck source=bench/lib/phases.sh
source "$BENCH_DIR/lib/phases.sh"
# shellcheck source=bench/lib/gwcost.sh
source "$BENCH_DIR/lib/gwcost.sh"

usage() {
	cat <<EOF
usage: bench/run.sh [--quick] [OPTIONS]      (make bench BENCH_ARGS="...")

  --quick             a short run (under 8 minutes): 2 rounds of 1 s, 100,000 connections
  --rounds N          rounds of every configuration x workload (default 5)
  --duration S        seconds per workload run (default 4)
  --configs LIST      comma-separated, from: ${CONFIGS_ALL// /,}
  --workloads LIST    comma-separated, from: ${WORKLOADS_ALL// /,}
  --phases LIST       comma-separated, from: macro,gwcost,profile,micro,scale (default: all)
  --gwcost-rounds N   rounds of the gwcost phase (the gateway's own CPU cost; default 2,
                      quick 1); its workloads: UDP 64 B at a fixed rate, and those of
                      --workloads except latency
  --ct-entries N      connections in the scale phase (default 1000000)
  --ct-max N          fwd --ct-max in the scale phase (default: N + 3%, rounded up to 64Ki)
  --budget MINUTES    stop starting rounds that would end later (default 30; quick 8)
  --attach MODE       fwd --attach for every fwd started: auto (default), tcx or tc, to
                      measure the hook cost both ways (README.md "tcx and cls_bpf")
  --out DIR           where results go (default bench/results)
  --name NAME         results file names NAME.{json,md,png} (default latest; quick: quick)
  -h, --help          this text

Needs root, the build (make), and iperf3 wrk nginx nft gnuplot jq bpftool curl ping
(scripts/install-deps.sh installs them).
EOF
}

# ---- options ------------------------------------------------------------------------------------
QUICK=0 ROUNDS='' DURATION='' GWCOST_ROUNDS='' CT_ENTRIES='' CT_MAX='' BUDGET_MIN='' NAME=''
OUT_DIR="$BENCH_DIR/results"
CONFIGS=$CONFIGS_ALL WORKLOADS=$WORKLOADS_ALL PHASES=macro,gwcost,profile,micro,scale
while [ $# -gt 0 ]; do
	case $1 in
	--quick) QUICK=1 ;;
	--rounds) ROUNDS=$2 && shift ;;
	--duration) DURATION=$2 && shift ;;
	--gwcost-rounds) GWCOST_ROUNDS=$2 && shift ;;
	--configs) CONFIGS=${2//,/ } && shift ;;
	--workloads) WORKLOADS=${2//,/ } && shift ;;
	--phases) PHASES=$2 && shift ;;
	--ct-entries) CT_ENTRIES=$2 && shift ;;
	--ct-max) CT_MAX=$2 && shift ;;
	--budget) BUDGET_MIN=$2 && shift ;;
	--attach) BENCH_FWD_ATTACH=$2 && shift ;;
	--out) OUT_DIR=$2 && shift ;;
	--name) NAME=$2 && shift ;;
	-h | --help) usage && exit 0 ;;
	*) usage >&2 && exit 2 ;;
	esac
	shift
done
if [ $QUICK = 1 ]; then
	: "${ROUNDS:=2}" "${DURATION:=1}" "${GWCOST_ROUNDS:=1}" "${CT_ENTRIES:=100000}" "${BUDGET_MIN:=8}" "${NAME:=quick}"
	MICRO_REPEAT=200000 MICRO_CALLS=5000 EXPIRE_INTERVAL=2
else
	: "${ROUNDS:=5}" "${DURATION:=4}" "${GWCOST_ROUNDS:=2}" "${CT_ENTRIES:=1000000}" "${BUDGET_MIN:=30}" "${NAME:=latest}"
	MICRO_REPEAT=1000000 MICRO_CALLS=20000 EXPIRE_INTERVAL=3
fi
for v in ROUNDS DURATION GWCOST_ROUNDS CT_ENTRIES BUDGET_MIN; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: --${v,,} wants a positive integer, got '${!v}'" >&2; exit 2; }
done
if [ -z "$CT_MAX" ]; then
	# Two table entries per connection: the tcfw configuration masquerades, and a translated
	# connection keeps a reference entry for its reply tuple (bpf/lib/ct_table.h).
	CT_MAX=$(((2 * CT_ENTRIES + CT_ENTRIES / 16 + 65535) / 65536 * 65536))
fi
[ "$CT_MAX" -ge "$CT_ENTRIES" ] || { echo "run.sh: --ct-max ($CT_MAX) is below --ct-entries ($CT_ENTRIES)" >&2; exit 2; }
for c in $CONFIGS; do [[ " $CONFIGS_ALL " == *" $c "* ]] || { echo "run.sh: unknown configuration '$c' (known: $CONFIGS_ALL)" >&2; exit 2; }; done
for w in $WORKLOADS; do [[ " $WORKLOADS_ALL " == *" $w "* ]] || { echo "run.sh: unknown workload '$w' (known: $WORKLOADS_ALL)" >&2; exit 2; }; done
for p in ${PHASES//,/ }; do [[ " macro gwcost profile micro scale " == *" $p "* ]] || { echo "run.sh: unknown phase '$p'" >&2; exit 2; }; done
# Ratios and the gateway's cost need plain forwarding as the reference.
if { has_phase macro || has_phase gwcost; } && [[ " $CONFIGS " != *" plain "* ]]; then
	CONFIGS="plain $CONFIGS"
fi
NWORKLOADS=$(wc -w <<<"$WORKLOADS")
NCONFIGS=$(wc -w <<<"$CONFIGS")
# The gwcost phase: the throughput workloads (latency's cost is a round trip's, not the
# gateway's), at least 2 s each so that perf has samples enough.
GWCOST_WORKLOADS=udp64rate
for w in $WORKLOADS; do [[ " $GWCOST_WORKLOADS_ALL " == *" $w "* ]] && GWCOST_WORKLOADS+=" $w"; done
GWCOST_DURATION=$((DURATION > 2 ? DURATION : 2))
BUDGET=$((BUDGET_MIN * 60))

# ---- preflight ------------------------------------------------------------------------------------
FWD=${FWD:-$REPO/build/fwd}
FWCTL=${FWCTL:-$REPO/build/fwctl}
BENCH_BIN=${BENCH_BIN:-$REPO/build/bench}
if [ -x /usr/bin/python3 ]; then PYTHON=/usr/bin/python3; else PYTHON=python3; fi
export PYTHONDONTWRITEBYTECODE=1
for b in "$FWD" "$FWCTL" "$BENCH_BIN/microbench" "$BENCH_BIN/ct_scale" "$BENCH_BIN/tcp_rr"; do
	[ -x "$b" ] || { echo "run.sh: $b is missing: build first (make, or make bench)" >&2; exit 1; }
done
for t in iperf3 wrk nginx nft gnuplot jq bpftool curl ping nsenter "$PYTHON"; do
	command -v "$t" >/dev/null || { echo "run.sh: $t is missing (scripts/install-deps.sh installs it)" >&2; exit 1; }
done

bench_init
BENCH_T0=$SECONDS
BENCH_ESTIMATE=$(estimate_total)
ROUNDS_DONE=0
say "bench: configurations: $CONFIGS; workloads: $WORKLOADS; $ROUNDS rounds of ${DURATION}s;" \
	"phases: $PHASES; estimated $(fmt_secs "$BENCH_ESTIMATE") (budget $(fmt_secs "$BUDGET"))"
say "bench: the machine is shared and has $(nproc) CPUs: numbers move with whatever else runs"

# What the numbers were measured on.
jq -n --arg cpu "$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)" \
	--argjson nproc "$(nproc)" --arg kernel "$(uname -r)" --arg host "$(uname -n)" \
	--arg mem "$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)" \
	--arg virt "$(systemd-detect-virt 2>/dev/null || echo unknown)" \
	--arg load "$(cut -d' ' -f1-3 /proc/loadavg)" --arg uptime "$(uptime)" --arg date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
	--arg commit "$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)" \
	--arg dirty "$(git -C "$REPO" status --porcelain -- bpf fwd lib policy 2>/dev/null | head -c 1)" \
	--arg iperf "$(iperf3 --version | head -n 1)" --arg wrk "$(wrk --version 2>&1 | head -n 1 | cut -d' ' -f1-2)" \
	--arg nginx "$(nginx -v 2>&1)" --arg nft "$(nft --version)" \
	'{cpu: $cpu, nproc: $nproc, kernel: $kernel, host: $host, memory: $mem, virtualization: $virt,
	  loadavg_at_start: $load, uptime_at_start: $uptime, date: $date, commit: $commit, tree_modified: ($dirty != ""),
	  tools: {iperf3: $iperf, wrk: $wrk, nginx: $nginx, nft: $nft}}' >"$WORK/machine.json"

progress "topology: client - gateway - router - server ($BENCH_PREFIX-*)"
bench_topo_create
servers_start
configs_prepare

has_phase macro && phase_macro
has_phase gwcost && phase_gwcost
has_phase profile && phase_profile
has_phase micro && phase_micro
has_phase scale && phase_scale

# ---- report ---------------------------------------------------------------------------------------
progress "report: $OUT_DIR/$NAME.{json,md,png}"
jq -n --argjson quick "$QUICK" --argjson rounds "$ROUNDS" --argjson rounds_done "$ROUNDS_DONE" \
	--argjson duration "$DURATION" --arg configs "$CONFIGS" --arg workloads "$WORKLOADS" \
	--arg phases "$PHASES" --argjson entries "$CT_ENTRIES" --argjson ctmax "$CT_MAX" \
	--argjson budget "$BUDGET" --argjson elapsed $((SECONDS - BENCH_T0)) --arg uptime "$(uptime)" \
	'{quick: ($quick == 1), rounds: $rounds, rounds_done: $rounds_done, duration_s: $duration,
	  configs: ($configs | split(" ")), workloads: ($workloads | split(" ")),
	  phases: ($phases | split(",")), ct_entries: $entries, ct_max: $ctmax,
	  budget_s: $budget, elapsed_s: $elapsed, uptime_at_end: $uptime}' >"$WORK/params.json"
for c in $CONFIGS; do
	jq -nc --arg c "$c" --arg title "$(config_title "$c")" --arg mode "${CFG_MODE[$c]:-}" \
		--arg note "${CFG_NOTE[$c]:-}" --arg failed "${CFG_FAILED[$c]:-}" \
		'{($c): {title: $title, mode: $mode, note: $note, failed: $failed}}'
done | jq -s 'add // {}' >"$WORK/configs.json"
mkdir -p "$OUT_DIR"
"$PYTHON" "$BENCH_DIR/report.py" --work "$WORK" --out "$OUT_DIR" --name "$NAME" ||
	die "report.py could not write the results (the raw data is in $WORK)"
progress "done: $OUT_DIR/$NAME.md"

#!/usr/bin/env python3
"""perf_summary.py - where tcfw's share of a CPU goes, from `perf script -F ip,sym` (samples
recorded with call stacks, -g) on stdin; JSON on stdout.

Each sample is attributed by its stack, not by the name of the function it landed in (a hash
computed for another BPF user on the same CPU is not tcfw's):
  programs  the sample is in one of tcfw's BPF programs or their subprograms
            (leaf bpf_prog_*, with tcfw_ingress or tcfw_egress on the stack);
  helpers   tcfw's programs are on the stack, the leaf is the kernel code they called
            (map lookups and updates, hashing, checksum helpers, bpf_fib_lookup ...);
  hook      the TC hook that runs the programs (tc_run, cls_bpf_classify, tcf_classify ...),
            without a tcfw program on the stack;
  hook_callers  the self time of the functions the hooks are inlined into
            (__netif_receive_skb_core, __dev_queue_xmit: sch_handle_ingress/egress and tcx_run
            are __always_inline, so a tcx hook costs nothing the stack can name). Their own
            work is the same with either kind, so the kinds compare by hook + hook_callers.
Also the leaves inside tcfw's samples, most frequent first.
"""
import json
import re
import sys
from collections import Counter

TCFW_PROG = re.compile(r"^bpf_prog_[0-9a-f]+_tcfw_(ingress|egress)$")
HOOK_CALLERS = {"__netif_receive_skb_core", "__dev_queue_xmit"}
HOOK = {"tc_run", "tcx_run", "cls_bpf_classify", "tcf_classify", "__tcf_classify",
        "sch_handle_ingress", "sch_handle_egress"}


def samples(stream):
    """Yield each sample's stack as a list of symbols, leaf first."""
    stack = []
    for line in stream:
        line = line.strip()
        if not line:
            if stack:
                yield stack
            stack = []
            continue
        parts = line.split(None, 1)
        sym = parts[1] if len(parts) == 2 else "[unknown]"
        stack.append(sym.split("+")[0])
    if stack:
        yield stack


def main():
    total = 0
    cats = Counter()
    leaves = Counter()
    for stack in samples(sys.stdin):
        total += 1
        base = [s.split(".")[0] for s in stack]
        in_tcfw = any(TCFW_PROG.match(s) for s in base)
        leaf = base[0]
        if in_tcfw:
            cats["programs" if leaf.startswith("bpf_prog_") else "helpers"] += 1
            # Program names carry a tag: keep the readable part.
            leaves[re.sub(r"^bpf_prog_[0-9a-f]+_", "bpf:", leaf)] += 1
        elif any(s in HOOK or s.startswith("__tcf_classify") for s in base):
            cats["hook"] += 1
            leaves["hook:" + leaf] += 1
        elif leaf in HOOK_CALLERS:
            cats["hook_callers"] += 1
            leaves["caller:" + leaf] += 1
    json.dump({"samples": total, "programs": cats["programs"], "helpers": cats["helpers"],
               "hook": cats["hook"], "hook_callers": cats["hook_callers"], "leaves": leaves.most_common(20)}, sys.stdout)
    print()


if __name__ == "__main__":
    main()

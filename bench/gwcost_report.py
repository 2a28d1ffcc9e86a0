"""gwcost_report.py - the gwcost phase's results (bench/lib/gwcost.sh, bench/gwcost.py) for
report.py: summary() gives medians per configuration and workload, markdown() the tables and
the targets, each with met / not met and the figures (a bench evaluation, never a test).
"""
import re
import statistics

TITLES = {"udp64rate": "UDP 64 B, fixed rate", "udp64": "UDP 64 B, unlimited",
          "tcp1": "TCP, 1 stream", "tcp8": "TCP, 8 streams", "connrate": "new connections"}
CATEGORY_TITLES = [
    ("tcfw_programs", "tcfw's BPF programs"),
    ("tcfw_helpers", "kernel code they call (maps, bpf_fib_lookup, ...)"),
    ("tc_hook", "cls_bpf hook (tc_run, tcf_classify; tcx: inlined, ~0)"),
    ("tcfw_redirect", "bpf_redirect's hand-over (skb_do_redirect)"),
    ("netfilter", "netfilter (hooks, conntrack, NAT)"),
    ("ip_forwarding", "kernel IP path (ip_rcv, ip_forward, ip_output, fib, neigh)"),
    ("transmit", "transmit to the next veth (dev_queue_xmit, veth_xmit)"),
    ("receive", "receive path (backlog, __netif_receive_skb_core, skb handling)"),
]
TCFW_OWN_MAX_NS = 400  # tcfw's own cost per forwarded established packet (programs+helpers+hook)
THROUGHPUT_MIN = 1.00  # ratio to plain forwarding


def med(vals):
    vals = [v for v in vals if v is not None]
    return (statistics.median(vals), min(vals), max(vals), len(vals)) if vals else None


def summary(runs, configs):
    """{workload: {config: {...medians...}}} and same-round throughput ratios to plain."""
    out = {}
    workloads = []
    for r in runs:
        if r["workload"] not in workloads:
            workloads.append(r["workload"])
    for w in workloads:
        out[w] = {}
        plain = {r["round"]: r.get("value") for r in runs
                 if r["config"] == "plain" and r["workload"] == w}
        for c in configs:
            rs = [r for r in runs if r["config"] == c and r["workload"] == w]
            if not rs:
                continue
            s = {"runs": len(rs),
                 "value": med([r.get("value") for r in rs]),
                 "unit": rs[0].get("unit"),
                 "ns_per_packet": med([r.get("gw_ns_per_packet") for r in rs]),
                 "ns_per_connection": med([r.get("gw_ns_per_connection") for r in rs]),
                 "packets_per_connection": med([r.get("packets_per_connection") for r in rs]),
                 "bytes_per_packet": med([r.get("bytes_per_packet") for r in rs]),
                 "tcfw_own_ns": med([r.get("tcfw_own_ns_per_packet") for r in rs]),
                 "gw_share_pct": med([r.get("gw_share_pct") for r in rs]),
                 "load_bench_pct": med([r.get("load_bench_pct") for r in rs]),
                 "load_other_pct": med([r.get("load_other_pct") for r in rs]),
                 "sample_coverage": med([r.get("sample_coverage") for r in rs]),
                 "bottlenecks": sorted({re.sub(r" \(\d+% of it\)$", "", r.get("bottleneck", "?"))
                                        for r in rs}),
                 "by": {k: med([(r.get("gw_ns_per_packet_by") or {}).get(k) for r in rs])
                        for k, _ in CATEGORY_TITLES}}
            # tcfw's kernel calls by function: ns per packet summed over the rounds' samples,
            # divided by the rounds (a mean: a function seldom sampled has no median).
            leaves = {}
            for r in rs:
                for k, v in (r.get("tcfw_helpers_ns_by_leaf") or {}).items():
                    leaves[k] = leaves.get(k, 0.0) + v / len(rs)
            s["helpers_by_leaf"] = dict(sorted(leaves.items(), key=lambda kv: -kv[1]))
            ratios = [r["value"] / plain[r["round"]] for r in rs
                      if r.get("value") and plain.get(r["round"])]
            s["ratio"] = med(ratios)
            out[w][c] = s
    return out


def f0(m, unit=""):
    return "–" if not m else f"{m[0]:,.0f}{unit}"


def rng(m, unit=""):
    if not m:
        return "–"
    if m[3] == 1:
        return f"{m[0]:,.0f}{unit}"
    return f"{m[0]:,.0f}{unit} ({m[1]:,.0f}–{m[2]:,.0f})"


def markdown(summ, params, cfginfo, configs):
    if not summ:
        return ["Not run." if not params or "skipped" not in params
                else f"Skipped: {params['skipped']}"]
    title = {c: cfginfo.get(c, {}).get("title", c) for c in configs}
    cs = [c for c in configs if any(c in summ[w] for w in summ)]
    gw, load = params.get("gw_cpu", 1), params.get("load_cpu", 0)
    out = [f"The gateway's forwarding on a CPU of its own (CPU {gw}: RPS on lan0/wan0; the "
           f"veths after it hand packets to threaded NAPI on the same CPU, without an IPI), "
           f"every process and the router/receivers' network work on CPU {load}. The gateway's "
           f"time is the NET_RX softirq time on CPU {gw} (irq:softirq_entry/exit, exact), minus "
           f"the rate of other users' NET_RX on that CPU measured in the second before each run "
           f"(the machine is shared), over the packets the gateway received on lan0 + wan0; "
           f"perf samples (cpu-clock, {params.get('hz')} Hz, call stacks) split it. "
           f"{params.get('rounds')} round(s) of {params.get('duration_s')} s per workload, "
           f"configurations interleaved; median (min–max) of the rounds. The gateway's veths "
           f"have TSO off here, so a TCP packet is one wire packet (not a 64 KB GSO packet).",
           "",
           f"Machine load: before the phase `{params.get('uptime_before', '?').strip()}`; "
           f"after `{params.get('uptime_after', '?').strip()}`.", ""]
    out += ["| workload | " + " | ".join(title[c] for c in cs) + " |",
            "| --- | " + " | ".join("---:" for _ in cs) + " |"]

    # One row per workload and figure: gateway CPU, throughput, CPUs and bottleneck.
    def gw_cpu_cell(c, s):
        cell = f"{rng(s['ns_per_packet'], ' ns')}/pkt"
        if s["ns_per_connection"]:
            cell += f"; **{rng(s['ns_per_connection'], ' ns')}/conn**"
        return cell

    def throughput_cell(c, s):
        if not s["value"]:
            return "–"
        v = s["value"][0]
        cell = f"{v:,.2f} {s['unit']}" if v < 1000 else f"{v:,.0f} {s['unit']}"
        return cell + (f" **{s['ratio'][0]:.2f}x**" if c != "plain" and s["ratio"] else "")

    def cpus_cell(c, s):
        lb = s["load_bench_pct"]
        return (f"CPU {gw} {f0(s['gw_share_pct'], '%')} forwarding; CPU {load} "
                + (f"{f0(lb, '%')} bench + {f0(s['load_other_pct'], '%')} other" if lb else "?")
                + f": {' / '.join(s['bottlenecks'])}")

    for w in summ:
        for what, cell in (("gateway CPU", gw_cpu_cell), ("throughput", throughput_cell),
                           ("CPUs, bottleneck", cpus_cell)):
            cells = [cell(c, summ[w][c]) if summ[w].get(c) else "–" for c in cs]
            out.append(f"| {TITLES.get(w, w)}: {what} | " + " | ".join(cells) + " |")
    out += ["", "Bottleneck: *gateway CPU* when its forwarding took ≥ 90 % of CPU "
            f"{gw}; *load CPU* when the bench's processes and the router/receivers' softirq took "
            f"≥ 90 % of CPU {load}; *shared with other work* when that CPU was full but partly "
            "with other users' work; *neither* otherwise. Where the bottleneck is not the "
            "gateway CPU, a throughput ratio near 1.00x says that the gateway was not what "
            "limited the run, not that the firewall costs nothing: its cost is the ns columns.",
            ""]

    # Where the time goes, per forwarded packet, at the fixed rate.
    w = "udp64rate" if "udp64rate" in summ else next(iter(summ))
    out += [f"Per forwarded packet, {TITLES.get(w, w)}, by call stack (ns, median of the rounds; "
            "the samples split the exact total):", "",
            "| where | " + " | ".join(title[c] for c in cs if c in summ[w]) + " |",
            "| --- | " + " | ".join("---:" for c in cs if c in summ[w]) + " |"]
    for k, t in CATEGORY_TITLES:
        out.append(f"| {t} | " + " | ".join(f0(summ[w][c]["by"].get(k)) for c in cs
                                             if c in summ[w]) + " |")
    out.append("| **total** | " + " | ".join(f"**{f0(summ[w][c]['ns_per_packet'])}**"
                                             for c in cs if c in summ[w]) + " |")
    out.append("| perf's samples / the traced time | " + " | ".join(
        ("–" if not summ[w][c]["sample_coverage"] else f"{summ[w][c]['sample_coverage'][0]:.2f}")
        for c in cs if c in summ[w]) + " |")
    out += ["", "tcfw's own figures (programs, helpers, hook, redirect) in other "
            "configurations are other users' tcfw instances on the shared CPU: the noise floor.", ""]

    # The kernel code tcfw's programs call, by function (the leaf of the sampled stack).
    rows = [(w2, c) for w2 in summ for c in ("tcfw", "tcfw-10k")
            if c in summ[w2] and summ[w2][c].get("helpers_by_leaf")]
    if rows:
        out += ["The kernel code tcfw's programs call, by function, ns per forwarded packet "
                "(mean of the rounds; the top five, the rest summed):", "",
                "| workload | configuration | functions |", "| --- | --- | --- |"]
        for w2, c in rows:
            hl = list(summ[w2][c]["helpers_by_leaf"].items())
            cells = [f"{k} {v:,.0f}" for k, v in hl[:5]]
            if len(hl) > 5:
                cells.append(f"other {sum(v for _, v in hl[5:]):,.0f}")
            out.append(f"| {TITLES.get(w2, w2)} | {title[c]} | " + " · ".join(cells) + " |")
        out.append("")
    return out


def targets(summ, macro_res):
    """[(target, figures, verdict)] of the gateway-cost targets, and throughput."""
    rows = []

    def get(w, c, key):
        m = summ.get(w, {}).get(c, {}).get(key)
        return m[0] if m else None

    # Every workload of established packets, the fixed rate (one packet per softirq, caches
    # cold) as well as the batched ones: a target met on one only is not met.
    per_packet = [w for w in summ if w != "connrate"]
    for c in ("tcfw", "tcfw-10k"):
        for w in per_packet:
            own = get(w, c, "tcfw_own_ns")
            rows.append((f"{c}: own cost per forwarded established packet (programs + helpers"
                         f" + hook + redirect) ≤ {TCFW_OWN_MAX_NS} ns, {w}",
                         "not measured" if own is None else f"{own:.0f} ns",
                         None if own is None else own <= TCFW_OWN_MAX_NS))
            pm = summ.get(w, {}).get("plain", {}).get("by", {}).get("ip_forwarding")
            ipf = pm[0] if pm else None
            rows.append((f"{c}: own cost below the kernel IP path plain forwarding spends (which"
                         f" the fast path bypasses), {w}",
                         "not measured" if own is None or ipf is None else
                         f"{own:.0f} ns vs plain's IP path {ipf:.0f} ns",
                         None if own is None or ipf is None else own < ipf))
            tot, ptot = get(w, c, "ns_per_packet"), get(w, "plain", "ns_per_packet")
            rows.append((f"{c}: gateway's total per packet at or below plain forwarding's, {w}",
                         "not measured" if tot is None or ptot is None else
                         f"{tot:.0f} ns vs plain {ptot:.0f} ns",
                         None if tot is None or ptot is None else tot <= ptot))
    for c, ref in (("tcfw", "nftables"), ("tcfw-10k", "nftables-10k"), ("tcfw-10k", "nftables")):
        a, b = get("connrate", c, "ns_per_connection"), get("connrate", ref, "ns_per_connection")
        rows.append((f"{c}: gateway CPU per new connection at or below {ref}'s",
                     "not measured" if a is None or b is None else f"{a:,.0f} ns vs {b:,.0f} ns",
                     None if a is None or b is None else a <= b))
    for c in ("tcfw", "tcfw-10k"):
        for wl, r in (macro_res.get(c) or {}).items():
            v = r.get("ratio")
            rows.append((f"{c}: throughput ≥ {THROUGHPUT_MIN:.2f}x plain, {wl} (interleaved rounds)",
                         "not measured" if v is None else f"{v:.2f}x",
                         None if v is None else v >= THROUGHPUT_MIN))
        for wl, per in summ.items():
            m = per.get(c, {}).get("ratio")
            if wl == "udp64rate" or not m:
                continue
            rows.append((f"{c}: throughput ≥ {THROUGHPUT_MIN:.2f}x plain, {wl} (gateway on its "
                         "own CPU)", f"{m[0]:.2f}x", m[0] >= THROUGHPUT_MIN))
    return rows


def targets_markdown(rows):
    out = ["| target | measured | |", "| --- | --- | --- |"]
    for t, fig, ok in rows:
        out.append(f"| {t} | {fig} | " + ("–" if ok is None else ("**met**" if ok else
                                                                   "**not met**")) + " |")
    return out

#!/usr/bin/env python3
"""report.py - turn one benchmark run's raw findings into results: NAME.json (everything,
raw samples included), NAME.md (the tables a person reads; README material) and NAME.png
(the same comparison as a picture, drawn by gnuplot with bench/plot.gp).

  report.py --work DIR --out DIR --name NAME

DIR (bench/run.sh's scratch directory) holds: machine.json, params.json, configs.json,
samples.jsonl, skips.jsonl, and, when those phases ran, profile.json, micro.json, scale.json.

Statistics: per configuration and workload the median of the rounds, with the minimum and
maximum. Ratio to plain forwarding: the median over the rounds of this run / plain's run of
the same round (the two run seconds apart), so 1.0 means "as fast as no firewall"; for
latency it is plain's p50 / this p50, so that higher is better everywhere.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

import gwcost_report

HERE = os.path.dirname(os.path.abspath(__file__))

WORKLOADS = {  # name: (title, unit, higher_is_better, decimals)
    "tcp1": ("TCP, 1 stream", "Gbit/s", True, 2),
    "tcp8": ("TCP, 8 streams", "Gbit/s", True, 2),
    "udp64": ("UDP, 64-byte datagrams", "packets/s", True, 0),
    "connrate": ("new connections (wrk + nginx)", "connections/s", True, 0),
    "latency": ("latency p50 (TCP request/response)", "µs", False, 1),
}

SHORT = {"tcp1": "TCP, 1 stream", "tcp8": "TCP, 8 streams", "udp64": "UDP 64 B pps",
         "connrate": "connections/s", "latency": "latency p50"}

# tcfw in blues, nftables in oranges, the 10,000-rule variants darker.
COLORS = {"plain": "#7f8c8d", "tcfw": "#2e86c1", "tcfw-10k": "#1b4f72", "nftables": "#e67e22",
          "nftables-10k": "#a04000"}

# The performance targets, as ratios to plain forwarding (measured, not asserted).
NFT_REFERENCE = {"tcp1": "~0.89", "connrate": "~0.78", "udp64": "0.68–0.78"}
TCFW_TARGET = gwcost_report.THROUGHPUT_MIN


def load(work, name, default=None):
    path = os.path.join(work, name)
    if not os.path.exists(path) or os.path.getsize(path) == 0:
        return default
    with open(path) as f:
        if name.endswith(".jsonl"):
            return [json.loads(line) for line in f if line.strip()]
        return json.load(f)


def fmt(v, decimals):
    if v is None:
        return "–"
    if decimals == 0:
        return f"{v:,.0f}"
    return f"{v:,.{decimals}f}"


def ratio_of(value, plain, higher_is_better):
    if value is None or plain is None or value == 0 or plain == 0:
        return None
    return value / plain if higher_is_better else plain / value


# ---- the macro table ------------------------------------------------------------------------
def summarize(samples, configs, workloads):
    """{config: {workload: {...}}} with median, min, max, n, ratios."""
    res = {}
    for c in configs:
        res[c] = {}
        for w in workloads:
            vals = [s["value"] for s in samples
                    if s["config"] == c and s["workload"] == w and s.get("value") is not None]
            rounds = {s["round"]: s["value"] for s in samples
                      if s["config"] == c and s["workload"] == w}
            extra = [s for s in samples if s["config"] == c and s["workload"] == w]
            res[c][w] = {
                "n": len(vals),
                "unit": WORKLOADS[w][1],
                "median": statistics.median(vals) if vals else None,
                "min": min(vals) if vals else None,
                "max": max(vals) if vals else None,
                "by_round": rounds,
                "samples": extra,
            }
    for w in workloads:
        hib = WORKLOADS[w][2]
        plain = res.get("plain", {}).get(w, {}).get("median")
        plain_rounds = res.get("plain", {}).get(w, {}).get("by_round", {})
        for c in configs:
            r = res[c][w]
            r["ratio_of_medians"] = ratio_of(r["median"], plain, hib)
            # Same-round ratios: within a round, the runs of one workload under every
            # configuration follow each other within seconds, so the machine's drift (other
            # work on it) mostly cancels in their ratio. Their median is the headline figure.
            r["ratio_by_round"] = {k: ratio_of(v, plain_rounds.get(k), hib)
                                   for k, v in r["by_round"].items()
                                   if plain_rounds.get(k) is not None}
            rr = [v for v in r["ratio_by_round"].values() if v is not None]
            if rr:
                r["ratio"], r["ratio_min"], r["ratio_max"] = statistics.median(rr), min(rr), max(rr)
            else:
                r["ratio"] = r["ratio_min"] = r["ratio_max"] = None
    return res


def macro_markdown(res, configs, workloads, cfginfo):
    titles = [cfginfo.get(c, {}).get("title", c) for c in configs]
    out = ["| workload | " + " | ".join(titles) + " |",
           "| --- | " + " | ".join("---:" for _ in configs) + " |"]
    for w in workloads:
        title, unit, _, dec = WORKLOADS[w]
        cells = []
        for c in configs:
            r = res[c][w]
            if r["median"] is None:
                cells.append("not measured")
                continue
            cell = f"{fmt(r['median'], dec)} ({fmt(r['min'], dec)}–{fmt(r['max'], dec)})"
            if c != "plain" and r["ratio"] is not None:
                cell += f" **{r['ratio']:.2f}x**"
            cells.append(cell)
        out.append(f"| {title}, {unit} | " + " | ".join(cells) + " |")
    return out


def ratio_markdown(res, configs, workloads, cfginfo):
    others = [c for c in configs if c != "plain"]
    out = ["| same-round ratio to plain: median (min–max) | " + " | ".join(cfginfo.get(c, {}).get("title", c)
                                                 for c in others) + " |",
           "| --- | " + " | ".join("---:" for _ in others) + " |"]
    for w in workloads:
        cells = []
        for c in others:
            r = res[c][w]
            if r["ratio"] is None:
                cells.append("–")
            else:
                cells.append(f"{r['ratio']:.2f}x ({r['ratio_min']:.2f}–{r['ratio_max']:.2f})")
        out.append(f"| {WORKLOADS[w][0]} | " + " | ".join(cells) + " |")
    return out


def targets_markdown(res, configs, workloads):
    out = ["| workload | nftables (reference) | nftables measured | tcfw target | "
           "tcfw measured | tcfw, 10,000 rules |",
           "| --- | ---: | ---: | ---: | ---: | ---: |"]

    def r(c, w):
        v = res.get(c, {}).get(w, {}).get("ratio")
        return "–" if v is None else f"{v:.2f}x"

    def verdict(c, w):
        v = res.get(c, {}).get(w, {}).get("ratio")
        if v is None:
            return "–"
        return f"{v:.2f}x " + ("(met)" if v >= TCFW_TARGET else "(short)")

    for w in workloads:
        out.append(f"| {WORKLOADS[w][0]} | {NFT_REFERENCE.get(w, '–')} | {r('nftables', w)} | "
                   f">= {TCFW_TARGET:.2f}x | {verdict('tcfw', w)} | {verdict('tcfw-10k', w)} |")
    return out


# ---- the picture ------------------------------------------------------------------------------
def plot(res, configs, workloads, cfginfo, machine, dat, png):
    with open(dat, "w") as f:
        f.write("workload " + " ".join(f'"{cfginfo.get(c, {}).get("title", c)}" lo hi'
                                       for c in configs) + "\n")
        for w in workloads:
            row = [f'"{SHORT[w]}"']
            for c in configs:
                r = res[c][w]
                if r["ratio"] is None:
                    row += ["NaN", "NaN", "NaN"]
                else:
                    row += [f"{r['ratio']:.4f}", f"{r['ratio_min']:.4f}", f"{r['ratio_max']:.4f}"]
            f.write(" ".join(row) + "\n")
    subtitle = (f"{machine.get('cpu', '?')}, {machine.get('nproc', '?')} CPUs, "
                f"Linux {machine.get('kernel', '?')}, {machine.get('date', '')}")
    subtitle = subtitle.replace("'", "")
    colors = " ".join(COLORS.get(c, "#27ae60") for c in configs)
    cmd = ["gnuplot", "-e",
           f"datafile='{dat}'; outfile='{png}'; nconfigs={len(configs)}; subtitle='{subtitle}'; "
           f"colors='{colors}'",
           os.path.join(HERE, "plot.gp")]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        print(f"report.py: gnuplot failed: {proc.stderr.strip()}", file=sys.stderr)
        return False
    return True


# ---- micro, scale, profile --------------------------------------------------------------------
def ns(v):
    return "–" if v is None else f"{v:,.0f} ns"


def micro_markdown(m):
    if not m:
        return ["Not run."]
    if "error" in m:
        return [f"Failed: {m['error']}"]
    out = []
    emp = m.get("empty", {})
    out += ["| packet | ns per packet (kernel loop) | per call p50 (p99) | notes |",
            "| --- | ---: | ---: | --- |",
            f"| empty TC program (`r0 = TC_ACT_OK; exit`) | {ns(emp.get('loop_ns'))} | "
            f"{ns(emp.get('per_call', {}).get('p50_ns'))} "
            f"({ns(emp.get('per_call', {}).get('p99_ns'))}) | the floor: test-run overhead |"]
    est_rows = []  # the established flow does not depend on the policy: the first one shown
    for p in m.get("policies", []):
        est = p.get("established", {})
        if "ingress_loop_ns" in est:
            est_rows.append((p["name"], est))
            break
    fb = m.get("fallback", {})
    if "ingress_loop_ns" in fb.get("established", {}):
        est_rows.append(("fallback policy (forward accept)", fb["established"]))
    for name, est in est_rows:
        pc = est.get("ingress_per_call", {})
        out.append(f"| established flow, LAN ingress ({name}) | {ns(est.get('ingress_loop_ns'))} | "
                   f"{ns(pc.get('p50_ns'))} ({ns(pc.get('p99_ns'))}) | conntrack hit, counters |")
        out.append(f"| established flow, WAN egress ({name}) | {ns(est.get('egress_loop_ns'))} | "
                   f"– | forwarded packet leaving |")
    tw = m.get("tcp_window", {})
    if "tracked" in tw:
        for mode, what in (("tracked", "window tracked (default)"),
                           ("liberal", "window not tracked (`fwd --tcp-liberal`)")):
            out.append(f"| established flow, LAN ingress, {what} | "
                       f"{ns(tw[mode].get('ingress_loop_ns'))} | "
                       f"{ns(tw[mode].get('ingress_per_call_p50_ns'))} | one connection, the two "
                       f"modes alternating, median of {tw.get('rounds')} rounds |")
        out.append(f"| **window tracking's cost** (tracked − liberal) | "
                   f"{tw.get('cost_loop_ns', 0):+,.1f} ns | {tw.get('cost_per_call_ns', 0):+,.0f} ns"
                   f" | no extra map lookup: the checks on the entry already read |")
    elif tw:
        out.append(f"| TCP window tracking's cost | not measured | – | {tw.get('error', '')} |")
    for p in m.get("policies", []):
        nc = p.get("new_connection", {})
        note = "classified" if p.get("classified") else "**not classified**: " + \
            p.get("classification", "")
        out.append(f"| new connection, {p['name']} ({p.get('forward_rules', '?')} forward rules, "
                   f"{p.get('classes', '?')} classes) | – (each call a new flow) | "
                   f"{ns(nc.get('p50_ns'))} ({ns(nc.get('p99_ns'))}) | {note} |")
    nat = m.get("nat", {})
    if nat.get("executed"):
        pc = nat.get("egress_per_call", {})
        out.append(f"| NAT-translated packet, WAN egress | – | {ns(pc.get('p50_ns'))} "
                   f"({ns(pc.get('p99_ns'))}) | {nat.get('translated_from')} -> "
                   f"{nat.get('translated_to')}; {nat.get('how', '')} |")
    else:
        out.append(f"| NAT-translated packet | not measured | – | {nat.get('note', '')} |")
    out.append("")
    i4 = m.get("rule_scaling", m.get("issue4"))  # results written before the key was renamed
    if i4:
        out.append(f"**Rule scaling** (new connection with 10,000 rules at most 2x the cost with 10): "
                   f"ratio of p50s {i4.get('ratio_p50', 0):.2f}x — **{i4.get('verdict')}**"
                   + (f" ({i4['why']})" if i4.get("why") else "") + ".")
    for p in m.get("policies", []):
        out.append(f"- {p['name']}: {p.get('rules')} rules, {p.get('classes')} classes, "
                   f"{p.get('src_prefixes')}+{p.get('dst_prefixes')} prefixes; compiled in "
                   f"{p.get('compile_ms', 0):.0f} ms, installed by fwd in "
                   f"{p.get('install_ms', 0):.0f} ms.")
    b = m.get("bigset")
    if b:
        if b.get("loaded"):
            out.append(f"- Set of {b.get('src_prefixes'):,} prefixes: compiled in "
                       f"{b.get('compile_ms', 0):.0f} ms, installed in {b.get('install_ms', 0):.0f}"
                       f" ms; members dropped {b.get('members_dropped')}/{b.get('members_probed')}, "
                       f"outsiders accepted {b.get('outsiders_accepted')}/"
                       f"{b.get('outsiders_probed')}: "
                       + ("**matches**." if b.get("matched") else "**does not match as it should**")
                       + (f" ({b['note']})" if b.get("note") else ""))
        else:
            out.append(f"- Set of 100,000 prefixes: **did not load**: {b.get('error')}")
    if fb:
        out.append(f"- {fb.get('why', '')}.")
    out.append(f"- Kernel loops of {m.get('repeat'):,} runs; per-call figures over "
               f"{m.get('calls'):,} calls (each new-connection call a different source address/port, "
               f"so every SYN is really new).")
    return out


def scale_markdown(s):
    if not s:
        return ["Not run."]
    if "skipped" in s:
        return [f"Skipped: {s['skipped']}"]
    fill = s.get("fill", {})
    if "error" in fill:
        return [f"Failed: {fill['error']}"]
    mem = fill.get("memory", {})
    out = [f"- {fill.get('opened', 0):,} connections opened through the datapath (SYN, SYN-ACK, "
           f"ACK each) in {fill.get('fill_s', 0):.1f} s into a table of {s.get('ct_max'):,} "
           f"(fwd --ct-max); fwd counted {s.get('ct_entries_after')} after its pass.",
           f"- Memory: {mem.get('bytes_per_connection', 0):.0f} bytes per connection without "
           f"NAT, {mem.get('bytes_per_nat_connection', 0):.0f} with NAT (two entries) "
           f"(ct {mem.get('ct_memlock_bytes', 0) / 2**20:.0f} MiB memlock for "
           f"{mem.get('ct_max_entries', 0):,} entries, preallocated; bpftool shows "
           f"{(s.get('bpftool_memlock', {}).get('ct') or 0) / 2**20:.0f} MiB).",
           "",
           "| connections in the table | established packet, hot (loop) | random connection, "
           "per call p50 (p99) | empty program per call |",
           "| ---: | ---: | ---: | ---: |"]
    for cp in fill.get("checkpoints", []):
        out.append(f"| {cp.get('connections', 0):,} | {ns(cp.get('hot_loop_ns'))} | "
                   f"{ns(cp.get('spread_p50_ns'))} ({ns(cp.get('spread_p99_ns'))}) | "
                   f"{ns(cp.get('empty_per_call_p50_ns'))} |")
    e, busy, idle = s.get("expiry", {}), s.get("ping_during_passes", {}), s.get("ping_idle", {})
    out += ["",
            f"- Expiry: one full pass of fwd over {e.get('last_walked', 0):,} connections took "
            f"**{e.get('last_pass_ms', 0):.0f} ms** (`fwctl status`, last_pass_ms; every "
            f"{s.get('expire_interval_s')} s).",
            f"- Forwarding meanwhile: ping every 10 ms through the gateway during "
            f"{s.get('passes_during_ping')} passes: {busy.get('received')}/{busy.get('sent')} "
            f"answered, rtt avg {busy.get('rtt_avg_ms')} ms, max {busy.get('rtt_max_ms')} ms "
            f"(before the fill: {idle.get('received')}/{idle.get('sent')}, max "
            f"{idle.get('rtt_max_ms')} ms)."]
    return out


def perf_markdown(perf):
    summ = (perf or {}).get("summary")
    if not summ or not summ.get("samples"):
        return []
    w = perf.get("workload") or {}
    packets, hz = w.get("packets_sent"), perf.get("hz", 1)

    def per(n):
        return f"{n / hz * 1e9 / packets:.0f}" if packets else "–"

    out = ["", f"perf (cpu-clock, {hz} Hz, with call stacks) on CPU {perf.get('cpu')}, the sending "
           f"CPU that runs the whole forwarding path, during UDP 64 B under tcfw: "
           f"{packets or 0:,} datagrams sent in {w.get('seconds', 0):.1f} s. A sample is "
           f"tcfw's when tcfw_ingress or tcfw_egress is on its stack (bench/perf_summary.py); "
           f"ns per packet = samples / {hz} Hz / datagrams.", "",
           "| where | samples | ns per packet |", "| --- | ---: | ---: |",
           f"| tcfw's BPF programs and subprograms | {summ['programs']} | {per(summ['programs'])} |",
           f"| kernel code they call (maps, hashing, checksum helpers) | {summ['helpers']} | "
           f"{per(summ['helpers'])} |",
           f"| the TC hook that runs them (tc_run, cls_bpf_classify, ...) | {summ['hook']} | "
           f"{per(summ['hook'])} |",
           f"| **total** | {summ['programs'] + summ['helpers'] + summ['hook']} | "
           f"**{per(summ['programs'] + summ['helpers'] + summ['hook'])}** |", "",
           "Inside those samples, by function: " +
           ", ".join(f"{name} {per(n)} ns" for name, n in summ.get("leaves", [])[:14]) + "."]
    return out


def profile_markdown(p):
    if not p:
        return ["Not run."]
    if "skipped" in p:
        return [f"Skipped: {p['skipped']}"]
    out = ["run_time_ns / run_cnt of each program with kernel.bpf_stats_enabled=1 (which adds "
           "its own two clock reads to every run), over one run of the workload.", "",
           "| workload | program | where | runs | ns per run |", "| --- | --- | --- | ---: | ---: |"]
    for r in p.get("programs", []):
        if r.get("runs"):
            out.append(f"| {r['workload']} | {r['program']} | {r['at']} | {r['runs']:,} | "
                       f"{r['ns_per_run']:.0f} |")
    return out + perf_markdown(p.get("perf"))


# ---- main ---------------------------------------------------------------------------------------
def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--work", help="bench/run.sh's scratch directory")
    src.add_argument("--from-json", help="an earlier NAME.json: write its .md and .png again")
    ap.add_argument("--out", required=True)
    ap.add_argument("--name", required=True)
    a = ap.parse_args()

    if a.from_json:
        with open(a.from_json) as f:
            old = json.load(f)
        machine, params, cfginfo = old["machine"], old["params"], old["configs"]
        samples = [s for per_w in old["results"].values() for r in per_w.values()
                   for s in r["samples"]]
        skips, micro, scale, profile = old["skipped"], old["micro"], old["scale"], old["profile"]
        gwc = old.get("gwcost") or {}
        gw_runs, gw_params = gwc.get("runs", []), gwc.get("params", {})
        work_dat = os.path.join(a.out, ".plot.dat")
    else:
        machine = load(a.work, "machine.json", {})
        params = load(a.work, "params.json", {})
        cfginfo = load(a.work, "configs.json", {})
        samples = load(a.work, "samples.jsonl", [])
        skips = load(a.work, "skips.jsonl", [])
        micro, scale, profile = (load(a.work, "micro.json"), load(a.work, "scale.json"),
                                 load(a.work, "profile.json"))
        gw_runs = load(a.work, "gwcost.jsonl", [])
        gw_params = load(a.work, "gwcost-params.json", {})
        work_dat = os.path.join(a.work, "plot.dat")
    configs = [c for c in params.get("configs", []) if c]
    workloads = [w for w in params.get("workloads", []) if w in WORKLOADS]
    macro_ran = "macro" in params.get("phases", [])
    res = summarize(samples, configs, workloads) if macro_ran else {}
    gw_summ = gwcost_report.summary(gw_runs, configs)
    gw_targets = gwcost_report.targets(gw_summ, res)

    base = os.path.join(a.out, a.name)
    ok_png = False
    if macro_ran and samples:
        ok_png = plot(res, configs, workloads, cfginfo, machine, work_dat, base + ".png")
        if a.from_json:
            os.unlink(work_dat)

    with open(base + ".json", "w") as f:
        json.dump({"machine": machine, "params": params, "configs": cfginfo, "results": res,
                   "skipped": skips, "micro": micro, "scale": scale, "profile": profile,
                   "gwcost": {"params": gw_params, "runs": gw_runs, "summary": gw_summ,
                              "targets": [{"target": t, "measured": m, "met": ok}
                                          for t, m, ok in gw_targets]},
                   "targets": {"nftables_reference": NFT_REFERENCE, "tcfw": TCFW_TARGET}},
                  f, indent=1, ensure_ascii=False)

    md = [f"# tcfw benchmark: {a.name}", "",
          f"Measured on **{machine.get('cpu', '?')}**, {machine.get('nproc', '?')} CPUs, "
          f"Linux {machine.get('kernel', '?')}, {machine.get('memory', '?')} RAM "
          f"({machine.get('virtualization', '?')}), {machine.get('date', '?')}, commit "
          f"{machine.get('commit', '?')}" + (" (with uncommitted changes)"
                                             if machine.get("tree_modified") else "")
          + f"; load average at start {machine.get('loadavg_at_start', '?')}"
          + (f", at the end {params['uptime_at_end'].split('load average:')[-1].strip()}"
             if "load average:" in params.get("uptime_at_end", "") else "") + ".",
          "",
          f"{params.get('rounds_done', 0)} of {params.get('rounds', 0)} rounds of "
          f"{params.get('duration_s', '?')} s per workload, configurations interleaved in each "
          f"round; {params.get('elapsed_s', 0) // 60} min {params.get('elapsed_s', 0) % 60} s in "
          f"all{' (--quick)' if params.get('quick') else ''}. The machine was shared with other "
          f"work (builds, tests): treat differences of a few percent as noise.", ""]
    if macro_ran:
        md += ["## Through the gateway (client – gateway – router – server)", "",
               "Median of the rounds (min–max), and in bold the **ratio to plain forwarding**: "
               "the median of the same-round ratios (this run / plain's run of the same "
               "workload in the same round, seconds apart). For latency the ratio is plain's "
               "p50 / this p50, so higher is better everywhere.", ""]
        md += macro_markdown(res, configs, workloads, cfginfo)
        md += [""]
        md += ratio_markdown(res, configs, workloads, cfginfo)
        md += [""]
        if ok_png:
            md += [f"![relative to plain forwarding]({a.name}.png)", ""]
        md += ["### Against the targets", ""]
        md += targets_markdown(res, configs, workloads)
        md += [""]
        notes = [(c, i) for c, i in cfginfo.items() if i.get("note") or i.get("failed")]
        if notes or skips:
            md += ["### What was not measured as defined", ""]
            for c, i in notes:
                md.append(f"- **{i.get('title', c)}**: {i.get('note') or i.get('failed')}")
            for s in skips:
                md.append(f"- {cfginfo.get(s['config'], {}).get('title', s['config'])}, round "
                          f"{s['round']}: skipped: {s['skipped']}")
            md.append("")
    if "gwcost" in params.get("phases", []) or gw_runs:
        md += ["## What the gateway itself spends (gateway on a CPU of its own)", ""]
        md += gwcost_report.markdown(gw_summ, gw_params, cfginfo, configs)
        md += ["### Targets (a bench evaluation: met / not met, never a test)", ""]
        md += gwcost_report.targets_markdown(gw_targets) + [""]
    md += ["## tcfw's datapath per packet (BPF_PROG_TEST_RUN on fwd's programs)", ""]
    md += micro_markdown(micro) + [""]
    md += ["## The connection table at scale", ""]
    md += scale_markdown(scale) + [""]
    md += ["## tcfw's programs under real traffic (kernel.bpf_stats_enabled)", ""]
    md += profile_markdown(profile) + [""]
    md += ["See bench/README.md for what each configuration and workload is and how to read "
           "these numbers."]
    with open(base + ".md", "w") as f:
        f.write("\n".join(md) + "\n")
    print(f"report.py: wrote {base}.json, {base}.md" + (f", {base}.png" if ok_png else ""),
          file=sys.stderr)


if __name__ == "__main__":
    main()

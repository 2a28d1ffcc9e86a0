#!/usr/bin/env python3
"""gwcost.py - one run of the gwcost phase (bench/lib/gwcost.sh) as one JSON line: what the
gateway's CPU spent per forwarded packet and per new connection, where that time went, how busy
each CPU was, and which one set the pace.

  gwcost.py --dir DIR --config C --round R --workload W --gw-cpu N --load-cpu N --hz HZ --load L

DIR holds before.* and after.* snapshots (/proc/stat, /proc/softirqs, `ip -s -j link show` of
the gateway), workload.json (the workload's own result) and, when perf ran, perf.txt
(`perf script -F ip,sym` of cpu-clock samples with call stacks, on the gateway's CPU only).

A sample is the gateway's when its stack is in the NET_RX softirq (net_rx_action) or the RPS
wake-up (rps_trigger_softirq): on the gateway's CPU, with RPS steering every packet of the
gateway's interfaces there and every process elsewhere, that is the forwarding. Its time is
then split by the first that applies, leaf to root:
  tcfw_programs  leaf in one of tcfw's BPF programs (tcfw_ingress / tcfw_egress on the stack)
  tcfw_helpers   tcfw's programs on the stack, leaf in the kernel code they call
  tc_hook        cls_bpf / tc_run / tcf_classify on the stack, no tcfw program (tcx: inlined,
                 so ~0)
  netfilter      nf_* / nft_* / ipv4_conntrack* on the stack (hooks, conntrack, NAT)
  transmit       __dev_queue_xmit / veth_xmit on the stack: handing the packet on (common to
                 every configuration: the IP stack's output and tcfw's bpf_redirect alike)
  ip_forwarding  the kernel's IP path: ip_rcv*, ip_forward*, ip_output, ip_finish_output*,
                 ip_route_input*, fib_*, neigh_* (what tcfw's fast path bypasses)
  receive        the rest: the backlog, __netif_receive_skb_core's own time (where tcx's
                 hook is inlined), skb handling
Apart, and not counted as the gateway's: rps_handoff, RPS's IPI to the other CPU and its
handler (the steering's own cost, see HANDOFF).
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from perf_summary import HOOK, TCFW_PROG  # noqa: E402

USER_HZ = os.sysconf("SC_CLK_TCK")
GW_MARK = {"net_rx_action", "rps_trigger_softirq"}
# RPS's hand-off between the CPUs: the IPI that wakes the other CPU's backlog and its handler.
# An artifact of the steering (a NIC would interrupt instead), and in a paravirtualized guest
# very dear (an x2APIC write is a hypercall): counted apart, not as the gateway's cost.
HANDOFF = {"net_rps_send_ipi", "rps_trigger_softirq"}
IDLE_MARK = {"do_idle", "cpu_startup_entry", "default_idle", "default_idle_call",
             "cpuidle_idle_call", "pv_native_safe_halt", "native_safe_halt", "acpi_idle_do_entry"}
XMIT = {"__dev_queue_xmit", "dev_queue_xmit", "veth_xmit", "dev_hard_start_xmit"}
IP_PREFIX = ("ip_rcv", "ip_list_rcv", "ip_sublist_rcv", "ip_forward", "ip_output",
             "ip_finish_output", "__ip_finish_output", "ip_route_input", "ip_route_use_hint",
             "ip_mkroute", "fib_", "fib4_", "neigh_", "__neigh", "ip_skb_dst_mtu", "ip_rcv_core",
             "__ip_local_out", "ip_local_out", "ip4_")
CATEGORIES = ("tcfw_programs", "tcfw_helpers", "tc_hook", "tcfw_redirect", "netfilter", "transmit",
              "ip_forwarding", "receive", "rps_handoff")
SATURATED = 90.0  # percent busy: this CPU sets the pace
# The bench's own processes (load generators, servers, fwd), by perf's comm.
BENCH_COMMS = {"iperf3", "wrk", "nginx", "tcp_rr", "fwd"}
REDIRECT = {"skb_do_redirect", "__bpf_redirect", "__bpf_redirect_no_mac", "dev_get_by_index_rcu"}


def cpu_samples(stream):
    """Yield (comm, cpu, stack leaf first) of each sample of `perf script -F comm,cpu,ip,sym`."""
    head, stack = None, []
    for line in stream:
        if not line.strip():
            continue
        if not line[0].isspace():  # "comm [001] ": a new sample
            if head:
                yield head[0], head[1], stack
            comm, _, rest = line.rstrip().rpartition(" [")
            head, stack = (comm.strip(), int(rest.rstrip("] ") or -1)), []
            continue
        parts = line.strip().split(None, 1)
        stack.append((parts[1] if len(parts) == 2 else "[unknown]").split("+")[0])
    if head:
        yield head[0], head[1], stack


def classify(stack):
    """(is_gateway, is_idle, category) of one sample, stack leaf first."""
    base = [s.split(".")[0] for s in stack]
    if not any(s in GW_MARK for s in base):
        return False, any(s in IDLE_MARK for s in base) and not any(
            s.startswith("__do_softirq") or s == "handle_softirqs" for s in base), None
    if any(s in HANDOFF for s in base):
        return True, False, "rps_handoff"
    if any(TCFW_PROG.match(s) for s in base):
        return True, False, "tcfw_programs" if base[0].startswith("bpf_prog_") else "tcfw_helpers"
    if any(s in HOOK or s.startswith("__tcf_classify") for s in base):
        return True, False, "tc_hook"
    if any(s in REDIRECT for s in base) and not any(s in XMIT for s in base):
        return True, False, "tcfw_redirect"
    if any(s.startswith(("nf_", "nft_", "__nf_", "ipv4_conntrack", "ipv4_confirm", "nf_nat"))
           for s in base):
        return True, False, "netfilter"
    if any(s in XMIT for s in base):
        return True, False, "transmit"
    if any(s.startswith(IP_PREFIX) for s in base):
        return True, False, "ip_forwarding"
    return True, False, "receive"


def perf_split(path, gw_cpu, load_cpu):
    """Per CPU: samples, idle, the bench's processes, other work; on the gateway's CPU the
    gateway's (by category), on the load CPU the network softirq (router, receivers)."""
    cpus = {c: {"samples": 0, "idle": 0, "bench_processes": 0, "net_softirq": 0, "gateway": 0,
                "rps_handoff": 0, "other": 0} for c in (gw_cpu, load_cpu)}
    cats = dict.fromkeys(CATEGORIES, 0)
    # Which kernel functions tcfw's programs were in when sampled (the leaf of the stack; a
    # map lookup, the routing lookup, a checksum helper): the profile of tcfw_helpers.
    helper_leaves = {}
    with open(path, errors="replace") as f:
        for comm, cpu, stack in cpu_samples(f):
            if cpu not in cpus:
                continue
            c = cpus[cpu]
            c["samples"] += 1
            is_net, is_idle, cat = classify(stack)
            if is_net and cpu == gw_cpu:
                cats[cat] += 1
                if cat == "tcfw_helpers":
                    leaf = stack[0].split(".")[0] if stack else "[unknown]"
                    helper_leaves[leaf] = helper_leaves.get(leaf, 0) + 1
                c["rps_handoff" if cat == "rps_handoff" else "gateway"] += 1
            elif is_net:
                c["net_softirq"] += 1
            elif is_idle:
                c["idle"] += 1
            elif comm in BENCH_COMMS:
                c["bench_processes"] += 1
            else:
                c["other"] += 1
    for c in cpus.values():
        n = c["samples"] or 1
        c["pct"] = {k: 100.0 * c[k] / n for k in ("idle", "bench_processes", "net_softirq",
                                                    "gateway", "rps_handoff", "other")}
    return {"gw_cpu": cpus[gw_cpu], "load_cpu": cpus[load_cpu], "gateway": cpus[gw_cpu]["gateway"],
            "categories": cats, "helper_leaves": helper_leaves}


def net_rx_time(path, cpu, windows):
    """Per window (start, end) in seconds of CLOCK_MONOTONIC: (seconds, count) of the NET_RX
    softirqs on CPU that began in it, from `perf script --ns -F cpu,time,event` of
    irq:softirq_entry / irq:softirq_exit (filtered to NET_RX, perf -k monotonic)."""
    res = [[0.0, 0] for _ in windows]
    start = None
    with open(path, errors="replace") as f:
        for line in f:
            p = line.split()
            if len(p) < 3 or p[0] != f"[{cpu:03d}]":
                continue
            t = float(p[1].rstrip(":"))
            if p[2].startswith("irq:softirq_entry"):
                start = t
            elif p[2].startswith("irq:softirq_exit") and start is not None:
                for i, (a, b) in enumerate(windows):
                    if a <= start < b:
                        res[i][0] += t - start
                        res[i][1] += 1
                start = None
    return res


def mark(d, name):
    try:
        with open(os.path.join(d, "mark." + name)) as f:
            return int(f.read().strip()) / 1e9
    except (OSError, ValueError):
        return None


def proc_stat(path):
    cpus = {}
    with open(path) as f:
        for line in f:
            p = line.split()
            if p[0].startswith("cpu") and p[0] != "cpu":
                v = [int(x) for x in p[1:]] + [0] * 10
                cpus[int(p[0][3:])] = {"user": v[0] + v[1], "system": v[2], "idle": v[3] + v[4],
                                       "irq": v[5], "softirq": v[6], "steal": v[7]}
    return cpus


def softirq_row(path, name):
    with open(path) as f:
        for line in f:
            p = line.split()
            if p and p[0] == name + ":":
                return [int(x) for x in p[1:]]
    return []


def links(path):
    with open(path) as f:
        return {l["ifname"]: l.get("stats64", {}) for l in json.load(f)}


def cpu_use(before, after, cpu):
    b, a = before.get(cpu), after.get(cpu)
    if not b or not a:
        return None
    d = {k: a[k] - b[k] for k in a}
    total = sum(d.values())
    if total <= 0:
        return None
    pct = {k: 100.0 * v / total for k, v in d.items()}
    return {"busy_pct": 100.0 - pct["idle"], "user_pct": pct["user"], "system_pct": pct["system"],
            "softirq_irq_pct": pct["softirq"] + pct["irq"], "steal_pct": pct["steal"],
            "softirq_irq_s": (d["softirq"] + d["irq"]) / USER_HZ, "window_s": total / USER_HZ}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dir", required=True)
    ap.add_argument("--config", required=True)
    ap.add_argument("--round", type=int, required=True)
    ap.add_argument("--workload", required=True)
    ap.add_argument("--gw-cpu", type=int, required=True)
    ap.add_argument("--load-cpu", type=int, required=True)
    ap.add_argument("--hz", type=int, required=True)
    ap.add_argument("--load", type=float, default=None)
    a = ap.parse_args()
    d = a.dir

    with open(os.path.join(d, "workload.json")) as f:
        wl = json.load(f)
    sb, sa = proc_stat(os.path.join(d, "before.stat")), proc_stat(os.path.join(d, "after.stat"))
    cpu = {"gw": cpu_use(sb, sa, a.gw_cpu), "load": cpu_use(sb, sa, a.load_cpu)}
    nb = softirq_row(os.path.join(d, "before.softirqs"), "NET_RX")
    na = softirq_row(os.path.join(d, "after.softirqs"), "NET_RX")
    net_rx = [y - x for x, y in zip(nb, na)]
    lb, la = links(os.path.join(d, "before.links.json")), links(os.path.join(d, "after.links.json"))

    def delta(dev, direction, what):
        try:
            return la[dev][direction][what] - lb[dev][direction][what]
        except KeyError:
            return 0

    rx_packets = delta("lan0", "rx", "packets") + delta("wan0", "rx", "packets")
    tx_packets = delta("lan0", "tx", "packets") + delta("wan0", "tx", "packets")
    rx_bytes = delta("lan0", "rx", "bytes") + delta("wan0", "rx", "bytes")
    out = {"config": a.config, "round": a.round, "workload": a.workload, "loadavg_1min": a.load,
           "gw_cpu": a.gw_cpu, "load_cpu": a.load_cpu,
           "value": wl.get("value"), "unit": wl.get("unit"), "workload_result": wl,
           "packets_in": rx_packets, "packets_out": tx_packets,
           "bytes_per_packet": rx_bytes / rx_packets if rx_packets else None,
           "net_rx_softirqs": {"gw_cpu": net_rx[a.gw_cpu] if len(net_rx) > a.gw_cpu else None,
                               "load_cpu": net_rx[a.load_cpu] if len(net_rx) > a.load_cpu else None},
           "cpu": cpu}

    perf_txt = os.path.join(d, "perf.txt")
    if os.path.exists(perf_txt) and os.path.getsize(perf_txt) > 0:
        p = perf_split(perf_txt, a.gw_cpu, a.load_cpu)
        out["perf"] = p
        out["gw_seconds_sampled"] = p["gateway"] / a.hz
        out["gw_seconds"] = out["gw_seconds_sampled"]
        out["gw_source"] = f"perf cpu-clock samples at {a.hz} Hz on CPU {a.gw_cpu}"
        out["gw_share_pct"] = p["gw_cpu"]["pct"]["gateway"]
        trace = os.path.join(d, "trace.txt")
        t_bg, t0, t1 = mark(d, "background"), mark(d, "before"), mark(d, "after")
        if os.path.exists(trace) and os.path.getsize(trace) > 0 and t_bg and t0 and t1:
            (bg_s, bg_n), (run_s, n) = net_rx_time(trace, a.gw_cpu, [(t_bg, t0), (t0, t1)])
            bg_rate = bg_s / (t0 - t_bg)
            secs = max(run_s - bg_rate * (t1 - t0), 0.0)
            out["net_rx_traced"] = {"seconds": run_s, "softirqs": n, "window_s": t1 - t0,
                                    "background_s_per_s": bg_rate, "background_softirqs": bg_n,
                                    "gateway_seconds": secs}
            if n > 0:
                # The exact time; the samples only split it (cpu-clock sampling in this guest
                # sometimes misses much of the softirq time: coverage says how much it saw).
                out["gw_seconds"] = secs
                out["gw_source"] = (f"NET_RX softirq time on CPU {a.gw_cpu} "
                                    "(irq:softirq_entry/exit), split by perf samples")
                out["sample_coverage"] = out["gw_seconds_sampled"] / secs if secs else None
                win = cpu["gw"]["window_s"] if cpu["gw"] else None
                if win:
                    out["gw_share_pct"] = 100.0 * secs / win
        lp = p["load_cpu"]["pct"]
        out["load_bench_pct"] = lp["bench_processes"] + lp["net_softirq"]
        out["load_other_pct"] = lp["other"]
    else:
        out["gw_seconds"] = cpu["gw"]["softirq_irq_s"] if cpu["gw"] else None
        out["gw_source"] = f"/proc/stat softirq + irq of CPU {a.gw_cpu} (tick-sampled)"
        out["gw_share_pct"] = cpu["gw"]["softirq_irq_pct"] if cpu["gw"] else 0.0

    gws = out["gw_seconds"]
    out["gw_ns_per_packet"] = gws * 1e9 / rx_packets if gws is not None and rx_packets else None
    if "perf" in out and rx_packets and gws and out["perf"]["gateway"]:
        cats = out["perf"]["categories"]
        n = out["perf"]["gateway"]
        out["gw_ns_per_packet_by"] = {k: out["gw_ns_per_packet"] * v / n for k, v in cats.items()
                                      if k != "rps_handoff"}
        hl = out["perf"].get("helper_leaves") or {}
        out["tcfw_helpers_ns_by_leaf"] = {k: out["gw_ns_per_packet"] * v / n
                                          for k, v in hl.items()}
        out["tcfw_own_ns_per_packet"] = sum(out["gw_ns_per_packet_by"][k] for k in (
            "tcfw_programs", "tcfw_helpers", "tc_hook", "tcfw_redirect"))
    if a.workload == "connrate":
        conns = wl.get("requests") or (wl.get("value", 0) * wl.get("seconds", 0))
        out["connections"] = conns
        out["packets_per_connection"] = rx_packets / conns if conns else None
        out["gw_ns_per_connection"] = gws * 1e9 / conns if gws is not None and conns else None

    # Which CPU set the pace: the gateway's forwarding near a full CPU, or the load CPU (the
    # load generators, the router, the receivers) near a full CPU, or neither (round trips,
    # the tool's own pacing).
    # With perf, the load CPU's share is split into the bench's (its processes and the network
    # softirq) and other work on the shared machine; without, /proc/stat's busy is all there is.
    gw_busy = out["gw_share_pct"]
    load_bench = out.get("load_bench_pct", cpu["load"]["busy_pct"] if cpu["load"] else 0.0)
    load_other = out.get("load_other_pct", 0.0)
    if gw_busy >= SATURATED:
        out["bottleneck"] = "gateway CPU"
    elif load_bench >= SATURATED:
        out["bottleneck"] = "load CPU (senders, router, receivers)"
    elif load_bench + load_other >= SATURATED:
        out["bottleneck"] = "load CPU, shared with other work"
    else:
        out["bottleneck"] = "neither CPU saturated (round trips, the tool's pacing)"
    json.dump(out, sys.stdout)
    print()


if __name__ == "__main__":
    main()

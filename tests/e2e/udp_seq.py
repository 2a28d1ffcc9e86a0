#!/usr/bin/env python3
"""udp_seq.py - a stream of sequence-numbered UDP datagrams, to count what a gateway loses.

  udp_seq.py recv ADDR PORT OUT.json [--idle S] [--max S]
        count every datagram (sequence number, arrival time) and echo it back to its sender;
        exits when nothing came for --idle seconds after the first (default 5) or after --max
        seconds (default 600), and writes OUT.json
  udp_seq.py send ADDR PORT OUT.json --rate N --seconds S [--size B]
        send N datagrams a second for S seconds (at most 300,000 in all), or until SIGTERM /
        SIGINT, each carrying its sequence number and send time, on one socket (one flow),
        and count the echoes; writes OUT.json
  udp_seq.py report SEND.json RECV.json [NAME:T0:T1 ...]
        one JSON line per window (wall-clock seconds; the datagrams sent in [T0, T1)) and one
        for the whole stream ("all"): sent, lost (never reached the receiver), lost_back
        (reached it, no echo came back), duplicated, reordered, and the longest gap between
        two arrivals at the receiver and between two echoes at the sender, in ms

The pacing follows an absolute schedule (datagram i at start + i / rate), so a late wake-up is
caught up, not lost: the count sent is exact. Clocks: both ends run on the same host, so their
time.time() agree; windows are compared with the sender's send times.
"""
import argparse
import json
import select
import signal
import socket
import struct
import sys
import time

HEADER = struct.Struct("!Qd")  # sequence number, send time (time.time())
MAX_DATAGRAMS = 300_000


def family_of(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def big_buffers(sock):
    """4 MiB each way, past net.core.rmem_max/wmem_max when root (SO_*BUFFORCE): on a loaded
    machine python may not run for a few hundred ms, and a default buffer (~200 KiB, a few
    hundred datagrams) would then drop at the socket what the gateway delivered."""
    # SO_RCVBUFFORCE (33) and SO_SNDBUFFORCE (32): Linux, not named by the socket module
    for force, plain in ((33, socket.SO_RCVBUF), (32, socket.SO_SNDBUF)):
        try:
            sock.setsockopt(socket.SOL_SOCKET, force, 4 << 20)
        except OSError:
            sock.setsockopt(socket.SOL_SOCKET, plain, 4 << 20)


def recv(args):
    sock = socket.socket(family_of(args.addr), socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    big_buffers(sock)
    sock.bind((args.addr, args.port))
    arrivals = []  # [seq, arrival time]
    start = time.monotonic()
    last = None
    while True:
        now = time.monotonic()
        if now - start > args.max or (last is not None and now - last > args.idle):
            break
        ready, _, _ = select.select([sock], [], [], 0.2)
        if not ready:
            continue
        data, peer = sock.recvfrom(65535)
        if len(data) < HEADER.size:
            continue
        seq, _ = HEADER.unpack_from(data)
        arrivals.append([seq, round(time.time(), 6)])
        last = time.monotonic()
        sock.sendto(data[: HEADER.size], peer)
    with open(args.out, "w") as f:
        json.dump({"arrivals": arrivals}, f)
    return 0


def send(args):
    total = int(args.rate * args.seconds)
    if total > MAX_DATAGRAMS or args.rate <= 0:
        print(f"udp_seq: {total} datagrams asked, at most {MAX_DATAGRAMS} at a positive rate",
              file=sys.stderr)
        return 2
    sock = socket.socket(family_of(args.addr), socket.SOCK_DGRAM)
    big_buffers(sock)
    sock.connect((args.addr, args.port))
    sock.setblocking(False)
    pad = b"." * max(0, args.size - HEADER.size)
    sent_at = []
    echoes = []  # [seq, arrival time]
    start = time.monotonic()
    stop = []  # SIGTERM / SIGINT: stop sending, collect the last echoes, write OUT
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))

    def drain():
        while True:
            try:
                data = sock.recv(65535)
            except (BlockingIOError, InterruptedError):
                return
            except ConnectionRefusedError:
                continue  # an ICMP error on the way back: counted as a missing echo
            if len(data) >= HEADER.size:
                echoes.append([HEADER.unpack_from(data)[0], round(time.time(), 6)])

    for i in range(total):
        if stop:
            break
        due = start + i / args.rate
        while not stop:
            wait = due - time.monotonic()
            if wait <= 0:
                break
            try:
                select.select([sock], [], [], wait)
            except InterruptedError:
                pass
            drain()
        if stop:
            break
        t = time.time()
        try:
            sock.send(HEADER.pack(i, t) + pad)
        except (BlockingIOError, ConnectionRefusedError):
            pass  # a full socket buffer or an earlier ICMP error: the receiver counts it lost
        sent_at.append(round(t, 6))
        drain()
    deadline = time.monotonic() + 2.0  # the last echoes
    while time.monotonic() < deadline:
        try:
            select.select([sock], [], [], 0.1)
        except InterruptedError:
            pass
        drain()
    with open(args.out, "w") as f:
        json.dump({"rate": args.rate, "sent_at": sent_at, "echoes": echoes}, f)
    return 0


def longest_gap_ms(times):
    times = sorted(times)
    return round(max((b - a for a, b in zip(times, times[1:])), default=0.0) * 1000, 1)


def window_stats(name, lo, hi, sent_at, arrivals, echoes):
    seqs = [i for i, t in enumerate(sent_at) if lo <= t < hi]
    if not seqs:
        return {"window": name, "sent": 0}
    first, last = seqs[0], seqs[-1]
    inside = [a for a in arrivals if first <= a[0] <= last]
    got = {}
    for seq, _ in inside:
        got[seq] = got.get(seq, 0) + 1
    back = {seq for seq, _ in echoes if first <= seq <= last}
    reordered, highest = 0, -1
    for seq, _ in inside:
        if seq < highest:
            reordered += 1
        highest = max(highest, seq)
    # Gaps: the arrivals of this window's datagrams, and the echoes of them.
    return {
        "window": name,
        "sent": len(seqs),
        "lost": sum(1 for s in seqs if s not in got),
        "lost_back": sum(1 for s in seqs if s in got and s not in back),
        "duplicated": sum(n - 1 for n in got.values()),
        "reordered": reordered,
        "longest_gap_ms": longest_gap_ms([t for _, t in inside]),
        "longest_echo_gap_ms": longest_gap_ms([t for s, t in echoes if first <= s <= last]),
    }


def report(args):
    with open(args.send) as f:
        snd = json.load(f)
    with open(args.recv) as f:
        rcv = json.load(f)
    sent_at, arrivals, echoes = snd["sent_at"], rcv["arrivals"], snd["echoes"]
    for w in args.windows:
        name, lo, hi = w.rsplit(":", 2)
        print(json.dumps(window_stats(name, float(lo), float(hi), sent_at, arrivals, echoes)))
    print(json.dumps(window_stats("all", 0, float("inf"), sent_at, arrivals, echoes)))
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="mode", required=True)
    r = sub.add_parser("recv")
    r.add_argument("addr")
    r.add_argument("port", type=int)
    r.add_argument("out")
    r.add_argument("--idle", type=float, default=5.0)
    r.add_argument("--max", type=float, default=600.0)
    s = sub.add_parser("send")
    s.add_argument("addr")
    s.add_argument("port", type=int)
    s.add_argument("out")
    s.add_argument("--rate", type=float, required=True)
    s.add_argument("--seconds", type=float, required=True)
    s.add_argument("--size", type=int, default=64)
    rp = sub.add_parser("report")
    rp.add_argument("send")
    rp.add_argument("recv")
    rp.add_argument("windows", nargs="*")
    args = p.parse_args()
    return {"recv": recv, "send": send, "report": report}[args.mode](args)


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""nat_frag.py - one fragmented UDP datagram, its fragments sent in a chosen order.

  nat_frag.py SRC DST DPORT SPORT SIZE --order 2,1,0 [--mtu 1500] [--timeout S]

Builds a UDP datagram of SIZE payload bytes from SRC:SPORT to DST:DPORT, cuts it into IPv4
fragments for the MTU, and sends them through a raw socket in the order given (fragment 0
carries the UDP header). A UDP socket bound to SRC:SPORT waits for the echo (udp_echo.py's
server sends the datagram back). Exits 0 when the echo is the datagram, 1 otherwise, saying
what came back.
"""
import argparse
import os
import socket
import struct
import sys


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("src")
    p.add_argument("dst")
    p.add_argument("dport", type=int)
    p.add_argument("sport", type=int)
    p.add_argument("size", type=int)
    p.add_argument("--order", required=True)
    p.add_argument("--mtu", type=int, default=1500)
    p.add_argument("--timeout", type=float, default=3.0)
    args = p.parse_args()

    payload = bytes((i * 7 + 13) % 256 for i in range(args.size))
    src, dst = socket.inet_aton(args.src), socket.inet_aton(args.dst)
    udp_len = 8 + len(payload)
    pseudo = src + dst + struct.pack("!BBH", 0, socket.IPPROTO_UDP, udp_len)
    header = struct.pack("!HHHH", args.sport, args.dport, udp_len, 0)
    c = csum(pseudo + header + payload) or 0xFFFF
    dgram = struct.pack("!HHHH", args.sport, args.dport, udp_len, c) + payload

    per_frag = (args.mtu - 20) // 8 * 8
    pieces = [dgram[off:off + per_frag] for off in range(0, len(dgram), per_frag)]
    order = [int(i) for i in args.order.split(",")]
    if sorted(order) != list(range(len(pieces))):
        print("nat_frag: --order must name each of the %d fragments once" % len(pieces),
              file=sys.stderr)
        return 2
    ident = int.from_bytes(os.urandom(2), "big") or 1

    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx.bind((args.src, args.sport))
    rx.settimeout(args.timeout)
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    for i in order:
        more = 0x2000 if i < len(pieces) - 1 else 0
        frag_off = more | (i * per_frag // 8)
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(pieces[i]), ident, frag_off, 64,
                         socket.IPPROTO_UDP, 0, src, dst)
        ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
        raw.sendto(ip + pieces[i], (args.dst, 0))
    try:
        data, peer = rx.recvfrom(65535)
    except socket.timeout:
        print("nat_frag: no echo of the %d-byte datagram (fragments sent in order %s) within "
              "%.1fs" % (udp_len, args.order, args.timeout), file=sys.stderr)
        return 1
    if data != payload:
        print("nat_frag: the echo from %s:%d differs: %d bytes back, %d sent"
              % (peer[0], peer[1], len(data), len(payload)), file=sys.stderr)
        return 1
    print("echo of %d bytes from %s:%d, fragments sent in order %s"
          % (len(data), peer[0], peer[1], args.order))
    return 0


if __name__ == "__main__":
    sys.exit(main())

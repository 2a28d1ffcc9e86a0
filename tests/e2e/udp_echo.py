#!/usr/bin/env python3
"""udp_echo.py - the UDP request/response of tcfw's end-to-end tests.

  udp_echo.py server ADDR PORT              echo every datagram back to its sender, forever
  udp_echo.py client ADDR PORT COUNT SIZE [--sport N] [--timeout S]
                                            send COUNT datagrams of SIZE bytes, one at a time,
                                            each must come back unchanged within --timeout

The client exits 0 when every reply came back, 1 naming the first datagram that did not, so a
test knows exactly how many datagrams went each way.
"""
import argparse
import socket
import sys


def family_of(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def server(args):
    sock = socket.socket(family_of(args.addr), socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.addr, args.port))
    while True:
        data, peer = sock.recvfrom(65535)
        sock.sendto(data, peer)


def client(args):
    sock = socket.socket(family_of(args.addr), socket.SOCK_DGRAM)
    if args.sport:
        sock.bind(("::" if ":" in args.addr else "0.0.0.0", args.sport))
    sock.settimeout(args.timeout)
    for i in range(args.count):
        payload = (b"tcfw-%d-" % i).ljust(args.size, b".")[: args.size]
        sock.sendto(payload, (args.addr, args.port))
        try:
            data, _ = sock.recvfrom(65535)
        except socket.timeout:
            print(f"udp_echo: datagram {i + 1}/{args.count} to {args.addr}:{args.port}: "
                  f"no reply within {args.timeout}s", file=sys.stderr)
            return 1
        if data != payload:
            print(f"udp_echo: datagram {i + 1}/{args.count}: reply differs from what was sent "
                  f"({len(data)} bytes back, {len(payload)} sent)", file=sys.stderr)
            return 1
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="mode", required=True)
    s = sub.add_parser("server")
    s.add_argument("addr")
    s.add_argument("port", type=int)
    c = sub.add_parser("client")
    c.add_argument("addr")
    c.add_argument("port", type=int)
    c.add_argument("count", type=int)
    c.add_argument("size", type=int)
    c.add_argument("--sport", type=int, default=0)
    c.add_argument("--timeout", type=float, default=2.0)
    args = p.parse_args()
    if args.mode == "server":
        server(args)
        return 0
    return client(args)


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""nat_tcp.py - many TCP clients at once through NAT, and a server that says who it saw.

  nat_tcp.py server ADDR PORT PEERS-FILE
      accept connections forever; echo each line back prefixed with the peer "IP:PORT ";
      append every peer to PEERS-FILE (one "IP:PORT" a line) as it connects
  nat_tcp.py clients ADDR PORT --src A,B,... --per-src N [--sport P] [--timeout S]
      open N connections from each source address, all at the same time (every one is
      connected before any sends), send one line on each and check the echo; with --sport,
      the first connection of every source binds port P, so that NAT must move all but one
      of them to another port

The client prints one line per connection ("SRC:SPORT -> seen as IP:PORT") and exits 0 when
every connection was echoed, 1 naming the first that failed.
"""
import argparse
import socket
import sys
import threading


def server(args):
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind((args.addr, args.port))
    lsock.listen(256)
    lock = threading.Lock()

    def serve(conn, peer):
        name = "%s:%d" % peer
        with lock, open(args.peers, "a") as f:
            f.write(name + "\n")
        with conn:
            buf = b""
            while True:
                data = conn.recv(4096)
                if not data:
                    return
                buf += data
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    conn.sendall(name.encode() + b" " + line + b"\n")

    while True:
        conn, peer = lsock.accept()
        threading.Thread(target=serve, args=(conn, peer), daemon=True).start()


def clients(args):
    srcs = args.src.split(",")
    socks = []
    for src in srcs:
        for i in range(args.per_src):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.settimeout(args.timeout)
            s.bind((src, args.sport if (args.sport and i == 0) else 0))
            socks.append((src, s))
    try:
        for n, (src, s) in enumerate(socks):
            try:
                s.connect((args.addr, args.port))
            except OSError as e:
                print("nat_tcp: connection %d/%d from %s:%d: connect failed: %s"
                      % (n + 1, len(socks), src, s.getsockname()[1], e), file=sys.stderr)
                return 1
        for n, (src, s) in enumerate(socks):
            token = b"hello-%d" % n
            local = "%s:%d" % s.getsockname()
            try:
                s.sendall(token + b"\n")
                data = b""
                while not data.endswith(b"\n"):
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    data += chunk
            except OSError as e:
                print("nat_tcp: connection %d/%d from %s: %s" % (n + 1, len(socks), local, e),
                      file=sys.stderr)
                return 1
            parts = data.strip().split(b" ")
            if len(parts) != 2 or parts[1] != token:
                print("nat_tcp: connection %d/%d from %s: expected the echo of %r, got %r"
                      % (n + 1, len(socks), local, token, data), file=sys.stderr)
                return 1
            print("%s -> seen as %s" % (local, parts[0].decode()))
    finally:
        for _, s in socks:
            s.close()
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="mode", required=True)
    s = sub.add_parser("server")
    s.add_argument("addr")
    s.add_argument("port", type=int)
    s.add_argument("peers")
    c = sub.add_parser("clients")
    c.add_argument("addr")
    c.add_argument("port", type=int)
    c.add_argument("--src", required=True)
    c.add_argument("--per-src", type=int, default=1)
    c.add_argument("--sport", type=int, default=0)
    c.add_argument("--timeout", type=float, default=5.0)
    args = p.parse_args()
    if args.mode == "server":
        server(args)
        return 0
    return clients(args)


if __name__ == "__main__":
    sys.exit(main())

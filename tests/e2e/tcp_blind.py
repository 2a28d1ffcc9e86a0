#!/usr/bin/env python3
"""tcp_blind.py - an idle TCP connection and forged segments aimed at it, for
test_tcp_blind_rst.sh.

  tcp_blind.py server ADDR PORT INFO      accept one connection; write its sequence numbers
                                          to INFO as JSON; answer every line "X" with "pong X"
  tcp_blind.py client ADDR PORT DIR       connect; one ping; write DIR/ready; idle until
                                          DIR/go exists; one more ping; write DIR/done; idle
                                          until DIR/stop exists; a last ping
  tcp_blind.py forge SRC DST SPORT DPORT --seq N [--ack N] [--flags R|PA] [--payload N]
                                          send one IPv4 TCP segment built here (raw socket)

The server reads its own next sequence number and the next one it expects through
TCP_REPAIR (root): the forger needs them to aim "far off" at a known distance. Leaving repair
mode sends a window probe; the connection goes on as before.
Exit status 0 on success; a message on stderr and 1 otherwise.
"""
import argparse
import json
import os
import socket
import struct
import sys
import time

TCP_REPAIR = 19
TCP_REPAIR_QUEUE = 20
TCP_QUEUE_SEQ = 21
TCP_RECV_QUEUE = 1
TCP_SEND_QUEUE = 2


def queue_seq(sock, queue):
    sock.setsockopt(socket.IPPROTO_TCP, TCP_REPAIR_QUEUE, queue)
    return sock.getsockopt(socket.IPPROTO_TCP, TCP_QUEUE_SEQ) & 0xFFFFFFFF


def server(args):
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind((args.addr, args.port))
    lsock.listen(1)
    conn, peer = lsock.accept()
    lsock.close()
    conn.setsockopt(socket.IPPROTO_TCP, TCP_REPAIR, 1)
    snd_nxt = queue_seq(conn, TCP_SEND_QUEUE)
    rcv_nxt = queue_seq(conn, TCP_RECV_QUEUE)
    conn.setsockopt(socket.IPPROTO_TCP, TCP_REPAIR, 0)
    info = {"client": peer[0], "cport": peer[1], "snd_nxt": snd_nxt, "rcv_nxt": rcv_nxt}
    tmp = args.info + ".tmp"
    with open(tmp, "w") as f:
        json.dump(info, f)
    os.rename(tmp, args.info)
    buf = b""
    while True:
        data = conn.recv(4096)
        if not data:
            return 0
        buf += data
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            conn.sendall(b"pong " + line + b"\n")


def ping(sock, text):
    sock.sendall(text.encode() + b"\n")
    want = ("pong " + text + "\n").encode()
    got = b""
    while not got.endswith(b"\n"):
        data = sock.recv(4096)
        if not data:
            raise OSError("connection closed by the server")
        got += data
    if got != want:
        raise OSError(f"expected {want!r}, got {got!r}")


def client(args):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.settimeout(5)
    try:
        sock.connect((args.addr, args.port))
        ping(sock, "before")
        with open(os.path.join(args.dir, "ready"), "w") as f:
            f.write(str(sock.getsockname()[1]))
        go = os.path.join(args.dir, "go")
        while not os.path.exists(go):
            time.sleep(0.1)
        ping(sock, "after")
        with open(os.path.join(args.dir, "done"), "w") as f:
            f.write("ok")
        # Held open (idle) until told to stop: later forgeries still aim at a live connection.
        stop = os.path.join(args.dir, "stop")
        while not os.path.exists(stop):
            time.sleep(0.1)
        ping(sock, "last")
    except OSError as e:
        print(f"tcp_blind client: {e}", file=sys.stderr)
        return 1
    sock.close()
    return 0


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def forge(args):
    flags = {"R": 0x04, "RA": 0x14, "PA": 0x18, "A": 0x10}[args.flags]
    payload = b"x" * args.payload
    src, dst = socket.inet_aton(args.src), socket.inet_aton(args.dst)
    tcp = struct.pack("!HHIIBBHHH", args.sport, args.dport, args.seq & 0xFFFFFFFF,
                      args.ack & 0xFFFFFFFF, 5 << 4, flags, 0 if flags == 0x04 else 502, 0, 0)
    pseudo = src + dst + struct.pack("!BBH", 0, socket.IPPROTO_TCP, len(tcp) + len(payload))
    tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp + payload)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp) + len(payload), 0x4242, 0x4000,
                     64, socket.IPPROTO_TCP, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    sock.sendto(ip + tcp + payload, (args.dst, 0))
    sock.close()
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("server")
    s.add_argument("addr")
    s.add_argument("port", type=int)
    s.add_argument("info")
    c = sub.add_parser("client")
    c.add_argument("addr")
    c.add_argument("port", type=int)
    c.add_argument("dir")
    f = sub.add_parser("forge")
    f.add_argument("src")
    f.add_argument("dst")
    f.add_argument("sport", type=int)
    f.add_argument("dport", type=int)
    f.add_argument("--seq", type=int, required=True)
    f.add_argument("--ack", type=int, default=0)
    f.add_argument("--flags", default="R", choices=["R", "RA", "PA", "A"])
    f.add_argument("--payload", type=int, default=0)
    args = p.parse_args()
    return {"server": server, "client": client, "forge": forge}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""heartbeat.py - a TCP connection that must stay alive: the operator's view of "a live
connection through the gateway".

  heartbeat.py serve ADDR PORT            echo every line back, for any number of clients
  heartbeat.py client ADDR PORT SECONDS [--every S] [--idle-at T --idle-for D]
                                          send a line every S seconds (default 0.2) for SECONDS
                                          on one connection and expect each echo; optionally
                                          stay silent for D seconds starting at T.

The client prints one JSON line: {"sent", "echoed", "max_gap_s", "error"} and exits 0 only
when every line came back on the same connection, none later than 2 s.
"""
import json
import socket
import sys
import threading
import time


def serve(addr, port):
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    srv = socket.socket(family, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((addr, port))
    srv.listen(16)

    def echo(conn):
        with conn:
            while True:
                try:
                    data = conn.recv(4096)
                except OSError:
                    return
                if not data:
                    return
                conn.sendall(data)

    while True:
        conn, _ = srv.accept()
        threading.Thread(target=echo, args=(conn,), daemon=True).start()


def client(addr, port, seconds, every, idle_at, idle_for):
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    result = {"sent": 0, "echoed": 0, "max_gap_s": 0.0, "error": None}
    try:
        s = socket.create_connection((addr, port), timeout=5)
    except OSError as e:
        result["error"] = "connect: %s" % e
        print(json.dumps(result))
        return 1
    s.settimeout(2.0)
    start = time.monotonic()
    last_echo = start
    buf = b""
    n = 0
    try:
        while time.monotonic() - start < seconds:
            now = time.monotonic() - start
            if idle_for and idle_at <= now < idle_at + idle_for:
                time.sleep(min(every, idle_at + idle_for - now))
                last_echo = time.monotonic()  # an idle stretch is not a gap
                continue
            n += 1
            line = ("beat %d\n" % n).encode()
            s.sendall(line)
            result["sent"] += 1
            while line not in buf:
                data = s.recv(4096)
                if not data:
                    raise OSError("connection closed by the peer")
                buf += data
            buf = buf[buf.index(line) + len(line):]
            result["echoed"] += 1
            t = time.monotonic()
            result["max_gap_s"] = round(max(result["max_gap_s"], t - last_echo), 3)
            last_echo = t
            time.sleep(every)
    except (OSError, socket.timeout) as e:
        result["error"] = "beat %d: %s" % (n, e or "timeout")
    finally:
        s.close()
    print(json.dumps(result))
    return 0 if result["error"] is None and result["sent"] == result["echoed"] else 1


def main(argv):
    if len(argv) >= 4 and argv[1] == "serve":
        serve(argv[2], int(argv[3]))
        return 0
    if len(argv) >= 5 and argv[1] == "client":
        every, idle_at, idle_for = 0.2, 0.0, 0.0
        rest = argv[5:]
        while rest:
            opt, val = rest[0], float(rest[1])
            rest = rest[2:]
            if opt == "--every":
                every = val
            elif opt == "--idle-at":
                idle_at = val
            elif opt == "--idle-for":
                idle_for = val
            else:
                print("heartbeat.py: unknown option %s" % opt, file=sys.stderr)
                return 2
        return client(argv[2], int(argv[3]), float(argv[4]), every, idle_at, idle_for)
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))

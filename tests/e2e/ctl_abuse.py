#!/usr/bin/env python3
"""ctl_abuse.py - control-socket clients that misbehave, for test_control_abuse.sh.

  ctl_abuse.py pipeline SOCK N READY        send N policy-show requests, read nothing; touch
                                            READY once all are sent; on SIGUSR1 read the
                                            answers and print how many came ("answers N"),
                                            then exit
  ctl_abuse.py hugelines SOCK N BYTES       N clients at once, each sending one request line
                                            of BYTES that never ends; print how many fwd
                                            disconnected ("dropped N of M") and how many bytes
                                            each got through at most ("max_sent N")
  ctl_abuse.py garbage SOCK                 lines that are not requests, a request whose
                                            command is 100,000 characters, then half a request
                                            and a close; checks each answer (exit 1 if wrong)
  ctl_abuse.py many SOCK N                  N connections held open at once, then one hello on
                                            each; prints "served N refused M" and the first
                                            refusal's error

Every client reports on stdout, one "key value" line; exit status 0 when it could run.
"""
import json
import os
import select
import signal
import socket
import sys
import time


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    return s


def read_lines(s, n, timeout=30.0):
    """n newline-terminated lines from s (fewer at EOF or timeout)."""
    buf, lines = b"", []
    deadline = time.monotonic() + timeout
    s.settimeout(timeout)
    while len(lines) < n and time.monotonic() < deadline:
        try:
            chunk = s.recv(1 << 20)
        except socket.timeout:
            break
        if not chunk:
            break
        buf += chunk
        while b"\n" in buf and len(lines) < n:
            line, buf = buf.split(b"\n", 1)
            lines.append(line)
    return lines


def pipeline(path, n, ready):
    s = connect(path)
    got = []
    signal.signal(signal.SIGUSR1, lambda *_: got.append(1))
    s.sendall(b'{"cmd":"policy-show"}\n' * n)
    open(ready, "w").close()
    while not got:
        time.sleep(0.05)
    # Count answers without keeping them: each is megabytes.
    s.settimeout(60)
    count, partial = 0, b""
    while count < n:
        chunk = s.recv(1 << 20)
        if not chunk:
            break
        count += chunk.count(b"\n")
        partial = chunk[-200:]
    print(f"answers {count}")
    print(f"last_tail {partial[-80:]!r}")
    return 0


def hugelines(path, n, size):
    socks = [connect(path) for _ in range(n)]
    for s in socks:
        s.setblocking(False)
    head = b'{"cmd":"policy-load","name":"huge","text":"'
    chunk = b"x" * 65536
    sent = {s: 0 for s in socks}
    live = set(socks)
    dropped = 0
    deadline = time.monotonic() + 120
    while live and time.monotonic() < deadline:
        _, writable, _ = select.select([], list(live), [], 1.0)
        for s in writable:
            data = head if sent[s] == 0 else chunk[: max(0, min(len(chunk), size - sent[s]))]
            if not data:
                live.discard(s)  # all sent, and still connected: fwd did not drop it
                continue
            try:
                sent[s] += s.send(data)
            except (BrokenPipeError, ConnectionResetError):
                dropped += 1
                live.discard(s)
    # Clients that sent everything are past fwd's limit too: wait (10 s in all) for the
    # hang-up of each.
    waiting = {s for s in socks if s not in live and sent[s] >= size}
    deadline = time.monotonic() + 10
    while waiting and time.monotonic() < deadline:
        readable, _, _ = select.select(list(waiting), [], [], 0.5)
        for s in readable:
            try:
                if s.recv(65536):
                    continue
            except (ConnectionResetError, BrokenPipeError):
                pass
            dropped += 1
            waiting.discard(s)
    print(f"dropped {dropped} of {n}")
    print(f"max_sent {max(sent.values())}")
    return 0


def garbage(path):
    s = connect(path)
    long_cmd = "y" * 100000
    reqs = [
        b"not json at all\n",
        b"\x00\xff\xfe binary \x1b[31m\n",
        b'{"cmd": 5}\n',
        b"[1, 2, 3]\n",
        json.dumps({"cmd": long_cmd}).encode() + b"\n",
        b'{"cmd":"hello"}\n',
    ]
    s.sendall(b"".join(reqs))
    lines = read_lines(s, len(reqs))
    ok = True
    if len(lines) != len(reqs):
        print(f"error: {len(lines)} answers to {len(reqs)} lines")
        ok = False
    for i, line in enumerate(lines):
        resp = json.loads(line)
        last = i == len(reqs) - 1
        if resp.get("ok") != last:
            print(f"error: answer {i + 1} is {line[:200]!r}")
            ok = False
        if len(line) > 400:
            print(f"error: answer {i + 1} is {len(line)} bytes long: {line[:200]!r}...")
            ok = False
        print(f"answer{i + 1} {line[:300].decode(errors='replace')}")
    # Half a request, then the end: fwd must drop the connection and go on.
    s.sendall(b'{"cmd":"sta')
    s.close()
    # And a connection that sends half a request and stays.
    s2 = connect(path)
    s2.sendall(b'{"cmd":"policy-load","text":"zone')
    time.sleep(0.2)
    s2.close()
    return 0 if ok else 1


def many(path, n):
    socks = []
    for _ in range(n):
        socks.append(connect(path))
    served, refused, first = 0, 0, ""
    for s in socks:
        try:
            s.sendall(b'{"cmd":"hello"}\n')
        except (BrokenPipeError, ConnectionResetError):
            pass
    for s in socks:
        lines = read_lines(s, 1, timeout=10)
        if not lines:
            refused += 1
            continue
        resp = json.loads(lines[0])
        if resp.get("ok"):
            served += 1
        else:
            refused += 1
            first = first or resp.get("error", "")
    print(f"served {served} refused {refused}")
    print(f"refusal {first}")
    return 0


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    what, path = argv[1], argv[2]
    if what == "pipeline":
        return pipeline(path, int(argv[3]), argv[4])
    if what == "hugelines":
        return hugelines(path, int(argv[3]), int(argv[4]))
    if what == "garbage":
        return garbage(path)
    if what == "many":
        return many(path, int(argv[3]))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))

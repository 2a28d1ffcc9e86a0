#!/usr/bin/env python3
"""tcp_probe.py - try one TCP connection and say how it ended, for policy tests.

  tcp_probe.py ADDR PORT [--src ADDR] [--timeout S]

Prints exactly one word and exits 0 whatever the outcome (the caller compares the word):
  connected    the three-way handshake completed
  refused      a TCP reset came back (a closed port, or a 'reject' rule)
  unreachable  an ICMP unreachable came back (host / network / administratively prohibited)
  timeout      nothing came back within the timeout (a 'drop' rule)
Anything else (a local error) is printed on stderr and exits 2.
"""
import argparse
import errno
import socket
import sys


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("addr")
    p.add_argument("port", type=int)
    p.add_argument("--src", default=None)
    p.add_argument("--timeout", type=float, default=2.0)
    args = p.parse_args()

    family = socket.AF_INET6 if ":" in args.addr else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.settimeout(args.timeout)
    if args.src:
        sock.bind((args.src, 0))
    try:
        sock.connect((args.addr, args.port))
        print("connected")
    except socket.timeout:
        print("timeout")
    except ConnectionRefusedError:
        print("refused")
    except OSError as e:
        if e.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EACCES, errno.EPERM):
            print("unreachable")
        else:
            print(f"tcp_probe: connect to {args.addr}:{args.port}: {e}", file=sys.stderr)
            return 2
    finally:
        sock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

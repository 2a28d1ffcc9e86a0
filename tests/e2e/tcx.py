#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""tcx.py - what the e2e tests need to see and break tcx links, which Debian 12's bpftool (7.1)
does not know: raw bpf(2) calls through ctypes, in the caller's network namespace.

  tcx.py progs DEV ingress|egress   names of the programs on DEV's tcx hook, one a line
  tcx.py link PIN                   the pinned link as JSON: {"id", "prog_id", "ifindex"}
  tcx.py detach LINK_ID             BPF_LINK_DETACH, as someone tidying up by hand would
"""
import ctypes
import json
import os
import socket
import struct
import sys

SYS_BPF = {"x86_64": 321, "aarch64": 280}[os.uname().machine]
BPF_OBJ_GET, BPF_PROG_GET_FD_BY_ID, BPF_OBJ_GET_INFO_BY_FD = 7, 13, 15
BPF_PROG_QUERY, BPF_LINK_GET_FD_BY_ID, BPF_LINK_DETACH = 16, 30, 34
BPF_TCX = {"ingress": 46, "egress": 47}

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long


def bpf(cmd, attr):
    buf = ctypes.create_string_buffer(bytes(attr), 128)
    ret = libc.syscall(SYS_BPF, cmd, buf, 128)
    if ret < 0:
        err = ctypes.get_errno()
        raise OSError(err, f"bpf cmd {cmd}: {os.strerror(err)}")
    return ret, buf


def info(fd, size):
    out = ctypes.create_string_buffer(size)
    bpf(BPF_OBJ_GET_INFO_BY_FD, struct.pack("=IIQ", fd, size, ctypes.addressof(out)))
    return out.raw


def progs(dev, hook):
    ids = (ctypes.c_uint32 * 64)()
    attr = struct.pack("=IIIIQI", socket.if_nametoindex(dev), BPF_TCX[hook], 0, 0,
                       ctypes.addressof(ids), 64)
    try:
        _, buf = bpf(BPF_PROG_QUERY, attr)
    except OSError as e:
        if e.errno in (22, 2):  # no tcx in this kernel / nothing there
            return []
        raise
    count = struct.unpack_from("=I", buf.raw, 24)[0]
    names = []
    for pid in ids[:count]:
        fd, _ = bpf(BPF_PROG_GET_FD_BY_ID, struct.pack("=I", pid))
        names.append(info(fd, 80)[64:80].split(b"\0")[0].decode())
        os.close(fd)
    return names


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "progs":
        for name in progs(sys.argv[2], sys.argv[3]):
            print(name)
    elif len(sys.argv) == 3 and sys.argv[1] == "link":
        path = ctypes.create_string_buffer(sys.argv[2].encode())
        fd, _ = bpf(BPF_OBJ_GET, struct.pack("=QII", ctypes.addressof(path), 0, 0))
        _, link_id, prog_id, _, ifindex = struct.unpack_from("=IIIII", info(fd, 24))
        os.close(fd)
        print(json.dumps({"id": link_id, "prog_id": prog_id, "ifindex": ifindex}))
    elif len(sys.argv) == 3 and sys.argv[1] == "detach":
        fd, _ = bpf(BPF_LINK_GET_FD_BY_ID, struct.pack("=I", int(sys.argv[2])))
        bpf(BPF_LINK_DETACH, struct.pack("=I", fd))
        os.close(fd)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Receive one fd over an AF_UNIX socket (SCM_RIGHTS), as a console socket or a
pidfd socket receiver does, and report what arrived.

    recv-fd.py SOCKET_PATH OUT_FILE [--pty-input TEXT] [--timeout SECONDS]

Listens on SOCKET_PATH (created here), accepts one connection, receives one
message and writes to OUT_FILE:
    payload=<message payload>
    fd=<readlink of the received fd>
    pid=<Pid: line of its fdinfo, for a pidfd>
With --pty-input, the fd is taken as a pty master: TEXT is written to it and
everything read from it until EOF/EIO is appended as  output=<...>.
Exits 0 once OUT_FILE is complete; a READY file (OUT_FILE.ready) appears when
the socket listens, so a test can wait for it.
"""
import array
import os
import socket
import sys
import time


def main():
    args = sys.argv[1:]
    path, out = args[0], args[1]
    pty_input = None
    timeout = 30.0
    if "--pty-input" in args:
        pty_input = args[args.index("--pty-input") + 1]
    if "--timeout" in args:
        timeout = float(args[args.index("--timeout") + 1])
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(1)
    srv.settimeout(timeout)
    open(out + ".ready", "w").close()
    conn, _ = srv.accept()
    conn.settimeout(timeout)
    fds = array.array("i")
    msg, anc, _, _ = conn.recvmsg(4096, socket.CMSG_SPACE(fds.itemsize))
    for level, typ, data in anc:
        if level == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
            fds.frombytes(data[: len(data) - (len(data) % fds.itemsize)])
    lines = ["payload=" + msg.decode(errors="replace")]
    if not fds:
        lines.append("fd=none")
    else:
        fd = fds[0]
        lines.append("fd=" + os.readlink("/proc/self/fd/%d" % fd))
        with open("/proc/self/fdinfo/%d" % fd) as f:
            for line in f:
                if line.startswith("Pid:"):
                    lines.append("pid=" + line.split()[1])
        if pty_input is not None:
            os.write(fd, pty_input.encode())
            got = b""
            deadline = time.time() + timeout
            while time.time() < deadline:
                try:
                    chunk = os.read(fd, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                got += chunk
            lines.append("output=" + got.decode(errors="replace").replace("\r", ""))
    with open(out + ".tmp", "w") as f:
        f.write("\n".join(lines) + "\n")
    os.rename(out + ".tmp", out)


if __name__ == "__main__":
    main()

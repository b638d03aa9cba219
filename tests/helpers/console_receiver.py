#!/usr/bin/env python3
"""A --console-socket peer, the way engines implement it: listen on a unix
socket, receive one pty master over SCM_RIGHTS, then copy everything the
container writes to its terminal into OUT (until the pty hangs up).

    console_receiver.py SOCKET OUT [INPUT]

INPUT, when given, is written to the terminal once the master arrives.
The pty's name (the message payload) goes to OUT.name."""
import array
import os
import socket
import sys

sock_path, out_path = sys.argv[1], sys.argv[2]
to_send = sys.argv[3] if len(sys.argv) > 3 else None
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(sock_path)
srv.listen(1)
ready = sock_path + ".ready"
open(ready, "w").close()
conn, _ = srv.accept()
fds = array.array("i")
msg, anc, _, _ = conn.recvmsg(4096, socket.CMSG_SPACE(fds.itemsize))
for level, kind, data in anc:
    if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
        fds.frombytes(data[: len(data) - (len(data) % fds.itemsize)])
with open(out_path + ".name", "w") as f:
    f.write(msg.decode(errors="replace"))
if not fds:
    sys.exit("no fd received")
master = fds[0]
if to_send:
    os.write(master, to_send.encode())
with open(out_path, "wb") as out:
    while True:
        try:
            data = os.read(master, 4096)
        except OSError:
            break
        if not data:
            break
        out.write(data)
        out.flush()

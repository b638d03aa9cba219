# A vsock host peer for the test guests: listen on the AF_UNIX path that
# husk's vsock device connects to for guest port P (PATH_P), echo one
# connection back, then exit.
import os, socket, sys
path = sys.argv[1]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path); s.listen(1)
print("ready", flush=True)
c, _ = s.accept()
while True:
    b = c.recv(4096)
    if not b: break
    c.sendall(b)
c.close(); s.close(); os.unlink(path)

"""Opens N connections to 127.0.0.1:PORT (an echo service behind a proxy pair), proves each one
works end to end (1-byte echo), touches READY_FILE, then holds them all idle for HOLD seconds."""
import socket
import sys
import time

port, count, ready_file, hold = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
conns = []
for _ in range(count):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(b"x")
    conns.append(s)
for s in conns:
    if s.recv(1) != b"x":
        sys.exit("bad echo")
open(ready_file, "w").close()
time.sleep(hold)
for s in conns:
    s.close()

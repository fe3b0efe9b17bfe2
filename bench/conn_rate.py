"""Connection rate: N times connect, send one byte, read it back, close; 4 threads. Prints conn/s."""
import socket
import sys
import threading
import time

port, total = int(sys.argv[1]), int(sys.argv[2])
threads = 4
per_thread = total // threads
errors = []


def run():
    for _ in range(per_thread):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                s.sendall(b"x")
                if s.recv(1) != b"x":
                    errors.append("bad echo")
        except OSError as e:
            errors.append(str(e))


start = time.perf_counter()
workers = [threading.Thread(target=run) for _ in range(threads)]
for w in workers:
    w.start()
for w in workers:
    w.join()
elapsed = time.perf_counter() - start
if errors:
    print("errors: %d (%s)" % (len(errors), errors[0]), file=sys.stderr)
print("%.0f" % (per_thread * threads / elapsed))

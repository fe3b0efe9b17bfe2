"""Prints bench/compare.sh's results: medians per pair, ratios to stunnel and to the plaintext
pair, and the issue's targets checked against them (all from the same run)."""
import statistics
import sys
from collections import defaultdict

path, rounds = sys.argv[1], sys.argv[2]
values = defaultdict(list)
for line in open(path):
    pair, metric, value = line.rstrip("\n").split("\t")
    values[(pair, metric)].append(float(value))
pairs = list(dict.fromkeys(p for p, _ in values))


def med(pair, metric):
    v = values.get((pair, metric))
    return statistics.median(v) if v else None


def total(pair, metric):
    v = values.get((pair, metric))
    return sum(v) if v else None


columns = [("bulk1_gbps", "1 stream Gbit/s", "%.2f"), ("bulk4_gbps", "4 streams Gbit/s", "%.2f"),
           ("small_rps", "small req/s", "%.0f"), ("small_p50_ms", "p50 ms", "%.3f"),
           ("small_p99_ms", "p99 ms", "%.2f"), ("big_mbps", "1 MiB MB/s", "%.0f"),
           ("conn_per_s", "conn/s", "%.0f"), ("rss_idle_mib", "RSS idle MiB", "%.0f"),
           ("kb_per_idle_conn", "RSS KB/idle conn", "%.1f"), ("heap_kb_per_idle_conn", "JVM heap KB/idle conn", "%.1f"),
           ("cpu_s_per_gb", "CPU s/GB", "%.2f")]


def cell(pair, metric, fmt):
    v = med(pair, metric)
    return "-" if v is None else fmt % v


print("\nmedians of %s rounds (http errors summed over all rounds)\n" % rounds)
print("| pair | " + " | ".join(c[1] for c in columns) + " | http errors |")
print("| --- " * (len(columns) + 2) + "|")
for p in pairs:
    errs = total(p, "http_errors")
    print("| %s | %s | %s |" % (p, " | ".join(cell(p, m, f) for m, _, f in columns),
                                "-" if errs is None else "%d" % errs))

higher_is_better = {"bulk1_gbps", "bulk4_gbps", "small_rps", "big_mbps", "conn_per_s"}
print("\nratios (higher is better for throughput, lower for latency, memory and CPU)\n")
for ref in ("stunnel", "plain"):
    if ref not in pairs:
        continue
    print("| vs %s | " % ref + " | ".join(c[1] for c in columns) + " |")
    print("| --- " * (len(columns) + 1) + "|")
    for p in pairs:
        if p in (ref, "direct"):
            continue
        cells = []
        for m, _, _ in columns:
            a, r = med(p, m), med(ref, m)
            cells.append("-" if a is None or not r else "%.2f" % (a / r))
        print("| %s | %s |" % (p, " | ".join(cells)))
    print()


def check(name, ok, detail):
    if ok is None:
        print("  [ n/a ] %s" % name)
    else:
        print("  [%s] %s: %s" % (" met " if ok else "MISSED", name, detail))


def ratio(a, b):
    return None if a is None or b is None or b == 0 else a / b


print("targets")
x, s, pl = med("sscmic-tcp", "bulk1_gbps"), med("stunnel", "bulk1_gbps"), med("plain", "bulk1_gbps")
r = ratio(x, s)
check("TCP bulk >= 1.5 x stunnel pair", None if r is None else r >= 1.5, "%.2f x" % r if r else "")
r = ratio(x, pl)
check("TCP bulk >= 0.5 x plaintext pair", None if r is None else r >= 0.5, "%.2f x" % r if r else "")
for mode in ("sscmic-tcp", "sscmic-http"):
    r = ratio(med(mode, "small_rps"), med("haproxy-tls", "small_rps"))
    check("%s small req/s >= haproxy TLS pair" % mode, None if r is None else r >= 1, "%.2f x" % r if r else "")
    d = med("direct", "small_p99_ms")
    a, st = med(mode, "small_p99_ms"), med("stunnel", "small_p99_ms")
    if None not in (a, st, d):
        check("%s added p99 <= stunnel's" % mode, a - d <= st - d, "+%.2f ms vs +%.2f ms" % (a - d, st - d))
r = ratio(med("sscmic-rot", "bulk1_gbps"), x)
check("rotation every 100 ms costs < 2 % bulk", None if r is None else r >= 0.98,
      "%.1f %% of the 10 s-interval pair" % (100 * r) if r else "")
k = med("sscmic-tcp", "kb_per_idle_conn")
h = med("sscmic-tcp", "heap_kb_per_idle_conn")
# A JVM's RSS hides growth inside committed heap: without the heap figure there is no verdict.
worst = None if k is None or h is None else max(k, h)
check("<= 20 KB per idle tunnel connection (RSS, and JVM heap after a full GC)", None if worst is None else worst <= 20,
      "RSS %.1f KB, heap %s KB" % (k, "%.1f" % h if h is not None else "n/a") if k is not None else "")

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
           ("small_p99_ms", "p99 ms", "%.2f"), ("fixed_p50_ms", "p50 ms at 1k req/s", "%.2f"),
           ("fixed_p99_ms", "p99 ms at 1k req/s", "%.2f"), ("redis_rps", "redis req/s", "%.0f"),
           ("big_mbps", "1 MiB MB/s", "%.0f"),
           ("conn_per_s", "conn/s", "%.0f"), ("rss_idle_mib", "RSS idle MiB", "%.0f"),
           ("kb_per_idle_conn", "RSS KB/idle conn", "%.1f"), ("heap_kb_per_idle_conn", "JVM heap KB/idle conn", "%.1f"),
           ("cpu_s_per_gb", "CPU s/GB", "%.2f")]
# Derived per-node and per-1000-stream figures (each pair is two processes), and start-up.
for pair_metric, node_metric, f in (("rss_idle_mib", "rss_idle_mib_per_node", 0.5),
                                    ("kb_per_idle_conn", "rss_mib_per_1000_streams", 1000 / 1024),
                                    ("heap_kb_per_idle_conn", "heap_mib_per_1000_streams", 1000 / 1024)):
    for (p_, m_), v_ in list(values.items()):
        if m_ == pair_metric:
            values[(p_, node_metric)] = [x * f for x in v_]
footprint = [("rss_start_mib_per_node", "RSS MiB per node idle after start", "%.0f"),
             ("rss_after_mib_per_node", "RSS MiB per node idle after the loads", "%.0f"),
             ("rss_idle_mib_per_node", "RSS MiB per node 1 s after each round's loads", "%.0f"),
             ("rss_mib_per_1000_streams", "RSS MiB per 1000 idle streams (pair)", "%.1f"),
             ("heap_mib_per_1000_streams", "JVM heap MiB per 1000 idle streams (pair)", "%.1f"),
             ("startup_ms", "start to ready ms", "%.0f"),
             ("startup_first_ms", "first start ms (writes the CDS archive)", "%.0f")]


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

print("\nfootprint and start-up (medians; start-up after the rounds, %s)\n" % "one proxy process")
print("| pair | " + " | ".join(c[1] for c in footprint) + " |")
print("| --- " * (len(footprint) + 1) + "|")
for p in pairs:
    print("| %s | %s |" % (p, " | ".join(cell(p, m, f) for m, _, f in footprint)))

print("\nscaling: 4 iperf3 streams over 1 (same pair, same round)\n")
print("| pair | 1 stream Gbit/s | 4 streams Gbit/s | 4 / 1 |")
print("| --- | --- | --- | --- |")
for p in pairs:
    a1, a4 = med(p, "bulk1_gbps"), med(p, "bulk4_gbps")
    if a1 and a4:
        print("| %s | %.2f | %.2f | %.2f |" % (p, a1, a4, a4 / a1))

higher_is_better = {"bulk1_gbps", "bulk4_gbps", "small_rps", "big_mbps", "conn_per_s", "redis_rps"}
print("\nratios (higher is better for throughput, lower for latency, memory and CPU)\n")
for ref in ("stunnel", "plain", "sscmic-ref", "sscmic-ref-v2"):
    if ref not in pairs:
        continue
    cols = columns + footprint
    print("| vs %s | " % ref + " | ".join(c[1] for c in cols) + " |")
    print("| --- " * (len(cols) + 1) + "|")
    for p in pairs:
        if p in (ref, "direct"):
            continue
        cells = []
        for m, _, _ in cols:
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
for mode in ("sscmic-tcp", "sscmic-http", "sscmic-http2"):
    r = ratio(med(mode, "small_rps"), med("haproxy-tls", "small_rps"))
    check("%s small req/s >= haproxy TLS pair" % mode, None if r is None else r >= 1, "%.2f x" % r if r else "")
    d = med("direct", "small_p99_ms")
    a, st = med(mode, "small_p99_ms"), med("stunnel", "small_p99_ms")
    if None not in (a, st, d):
        check("%s added p99 <= stunnel's" % mode, a - d <= st - d, "+%.2f ms vs +%.2f ms" % (a - d, st - d))
for mode in ("sscmic-tcp", "sscmic-v2"):
    r = ratio(med(mode, "conn_per_s"), med("plain", "conn_per_s"))
    check("%s new connections/s >= 0.8 x plaintext pair (issue 15)" % mode, None if r is None else r >= 0.8,
          "%.2f x" % r if r else "")
    a, t = med(mode, "small_p99_ms"), med("haproxy-tls", "small_p99_ms")
    if None not in (a, t):
        check("%s p99 under saturation <= haproxy TLS pair's (issue 15)" % mode, a <= t, "%.2f ms vs %.2f ms" % (a, t))
# Issue 15 on v2 (and v1 for reference): fixed-rate latency added to direct's, redis, bulk against stunnel.
d50, d99 = med("direct", "fixed_p50_ms"), med("direct", "fixed_p99_ms")
s50, s99 = med("stunnel", "fixed_p50_ms"), med("stunnel", "fixed_p99_ms")
for mode in ("sscmic-tcp", "sscmic-v2", "sscmic-http", "sscmic-http2"):
    a50, a99 = med(mode, "fixed_p50_ms"), med(mode, "fixed_p99_ms")
    if None not in (a50, a99, d50, d99, s50, s99):
        check("%s added p99 at a fixed 1,000 req/s <= stunnel's (issues 15, 16)" % mode, a99 - d99 <= s99 - d99,
              "+%.2f ms p99 (+%.2f p50) vs stunnel +%.2f ms p99 (+%.2f p50)"
              % (a99 - d99, a50 - d50, s99 - d99, s50 - d50))
for mode in ("sscmic-tcp", "sscmic-v2"):
    r = ratio(med(mode, "redis_rps"), med("direct", "redis_rps"))
    check("%s redis-benchmark -c 50 >= 0.5 x direct (issue 15)" % mode, None if r is None else r >= 0.5,
          "%.2f x" % r if r else "")
for metric, bound, label in (("bulk1_gbps", 1.5, "one stream"), ("bulk4_gbps", 1.2, "four streams")):
    r = ratio(med("sscmic-v2", metric), med("stunnel", metric))
    check("sscmic-v2 bulk, %s >= %.1f x stunnel pair (issue 15)" % (label, bound), None if r is None else r >= bound,
          "%.2f x" % r if r else "")
r = ratio(med("sscmic-rot", "bulk1_gbps"), x)
check("rotation every 100 ms costs < 2 % bulk", None if r is None else r >= 0.98,
      "%.1f %% of the 10 s-interval pair" % (100 * r) if r else "")
k = med("sscmic-tcp", "kb_per_idle_conn")
h = med("sscmic-tcp", "heap_kb_per_idle_conn")
# A JVM's RSS hides growth inside committed heap: without the heap figure there is no verdict.
worst = None if k is None or h is None else max(k, h)
check("<= 20 KB per idle tunnel connection (RSS, and JVM heap after a full GC)", None if worst is None else worst <= 20,
      "RSS %.1f KB, heap %s KB" % (k, "%.1f" % h if h is not None else "n/a") if k is not None else "")
# Issue 20 (footprint and start-up), against the same run's sscmic-ref pair where one ran.
for metric, label in (("rss_start_mib_per_node", "idle after start"), ("rss_after_mib_per_node", "idle after the loads")):
    v = med("sscmic-tcp", metric)
    check("RSS per node <= 64 MiB, %s" % label, None if v is None else v <= 64, "%.0f MiB" % v if v else "")
v = med("sscmic-tcp", "startup_ms")
check("start to ready <= 1 s (a node with a seed file, JVM start included)", None if v is None else v <= 1000,
      "%.0f ms" % v if v else "")
for metric, label in (("bulk1_gbps", "1-stream bulk"), ("small_rps", "small req/s"), ("cpu_s_per_gb", "CPU s/GB")):
    r = ratio(med("sscmic-tcp", metric), med("sscmic-ref", metric))
    if metric == "cpu_s_per_gb" and r:
        r = 1 / r
    check("%s within 5 %% of the sscmic-ref pair (or better)" % label, None if r is None else r >= 0.95,
          "%.2f x" % r if r else "")
r = ratio(med("sscmic-tcp", "bulk4_gbps"), med("sscmic-tcp", "bulk1_gbps"))
check("four streams >= 1.5 x one stream (issue 20 item 3)", None if r is None else r >= 1.5, "%.2f x" % r if r else "")

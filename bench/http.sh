#!/usr/bin/env bash
# HTTP-mode benchmark on loopback with wrk, every path measured in the same run against the same
# nginx (Debian's nginx-light):
#   direct       wrk -> nginx
#   sscmic-tcp   wrk -> sidecar A outbound TCP port -> tunnel -> sidecar B -> nginx     (L4)
#   sscmic-http  wrk -> sidecar A HTTP listener (pooled tunnel streams) -> sidecar B -> nginx  (L7)
# For small responses (wrk -c32): requests/s, p50 and p99 latency; for 1 MiB responses: MB/s.
# Prints ratios to direct; the machines are shared and noisy, so compare ratios, not absolutes.
# Needs: java 17+, maven, wrk, nginx. Every load is bounded (DURATION seconds per run).
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10}
CONNS=${CONNS:-32}
source bench/lib.sh
needs bench/http.sh "wrk nginx-light" wrk /usr/sbin/nginx python3

# Ports: nginx 16200; sidecar B tunnel 16102; sidecar A TCP 16101, HTTP 16110.
start_nginx 16200

"$JAVA" -jar gateway/target/sscmic.jar seed --out "$work/seed" >/dev/null
genesis=$(date -u -d '1 hour ago' +%Y-%m-%dT%H:00:00Z)
cat > "$work/b.yaml" <<YAML
node: {id: bench-b}
keysyn: {genesis: "$genesis", interval: 10s, seed-file: $work/seed}
tunnel: {listen: "127.0.0.1:16102"}
services: {web: "127.0.0.1:16200"}
admin: {listen: none}
YAML
cat > "$work/a.yaml" <<YAML
node: {id: bench-a}
keysyn: {genesis: "$genesis", interval: 10s, seed-file: $work/seed}
outbound: [{listen: "127.0.0.1:16101", service: web, peer: "127.0.0.1:16102"}]
http:
  listen: 127.0.0.1:16110
  services: {web: ["127.0.0.1:16102"]}
  routes: [{path-prefix: /, service: web}]
admin: {listen: none}
YAML
"$JAVA" -Xmx512m -jar gateway/target/sscmic.jar node --config "$work/b.yaml" > "$work/b.log" 2>&1 & pids+=($!)
"$JAVA" -Xmx512m -jar gateway/target/sscmic.jar node --config "$work/a.yaml" > "$work/a.log" 2>&1 & pids+=($!)
wait_ports 16200 16102 16101 16110

# wrk's summary -> "req_per_s p50_ms p99_ms mb_per_s"
measure() { # port path [connections]
  local c=${3:-$CONNS}
  wrk -t"$(( c < 2 ? 1 : 2 ))" -c"$c" -d"${DURATION}s" --latency "http://127.0.0.1:$1$2" | python3 -c '
import re, sys
t = sys.stdin.read()
def ms(label):
    m = re.search(r"^\s*" + label + r"\s+([\d.]+)(us|ms|s)\s*$", t, re.M)
    v, u = float(m.group(1)), m.group(2)
    return v / 1000 if u == "us" else v * 1000 if u == "s" else v
def mb():
    m = re.search(r"Transfer/sec:\s+([\d.]+)(B|KB|MB|GB)", t)
    return float(m.group(1)) * {"B": 1e-6, "KB": 1e-3, "MB": 1, "GB": 1e3}[m.group(2)]
errors = re.search(r"Non-2xx or 3xx responses: (\d+)|Socket errors: .*", t)
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
print("%.0f %.3f %.3f %.1f %s" % (rps, ms("50%"), ms("99%"), mb(), "errors" if errors else "ok"))'
}
# Warm the JIT on both sidecar paths first.
wrk -t2 -c"$CONNS" -d5s "http://127.0.0.1:16110/small.bin" >/dev/null
wrk -t2 -c"$CONNS" -d3s "http://127.0.0.1:16101/small.bin" >/dev/null

echo "path          small: req/s   p50_ms   p99_ms   | 1 MiB: MB/s | one client: p50_ms p99_ms"
declare -A rps p50 p99 big s50 s99
for path in direct sscmic-tcp sscmic-http; do
  case $path in direct) port=16200;; sscmic-tcp) port=16101;; sscmic-http) port=16110;; esac
  read -r rps[$path] p50[$path] p99[$path] _ status < <(measure "$port" /small.bin)
  read -r _ _ _ big[$path] status2 < <(measure "$port" /1m.bin)
  read -r _ s50[$path] s99[$path] _ status3 < <(measure "$port" /small.bin 1)
  printf "%-13s %12s %8s %8s   | %10s  | %8s %8s  %s %s %s\n" "$path" "${rps[$path]}" "${p50[$path]}" "${p99[$path]}" \
    "${big[$path]}" "${s50[$path]}" "${s99[$path]}" "$status" "$status2" "$status3"
done
python3 - "${rps[direct]}" "${rps[sscmic-tcp]}" "${rps[sscmic-http]}" "${p99[direct]}" "${p99[sscmic-tcp]}" \
  "${p99[sscmic-http]}" "${big[direct]}" "${big[sscmic-tcp]}" "${big[sscmic-http]}" \
  "${p50[direct]}" "${p50[sscmic-tcp]}" "${p50[sscmic-http]}" <<'PY'
import sys
r_d, r_t, r_h, q_d, q_t, q_h, b_d, b_t, b_h, m_d, m_t, m_h = map(float, sys.argv[1:])
print()
print("ratios to direct (same run):")
print("  sscmic-tcp : req/s %.2f  1 MiB MB/s %.2f  added p50 %+.2f ms  added p99 %+.2f ms" % (r_t/r_d, b_t/b_d, m_t-m_d, q_t-q_d))
print("  sscmic-http: req/s %.2f  1 MiB MB/s %.2f  added p50 %+.2f ms  added p99 %+.2f ms" % (r_h/r_d, b_h/b_d, m_h-m_d, q_h-q_d))
PY
grep -h -E "WARNING|SEVERE" "$work/a.log" "$work/b.log" | head -5 || true

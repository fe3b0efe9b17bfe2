#!/usr/bin/env bash
# End-to-end benchmark on loopback: bulk throughput (iperf3) and connection rate (connect, 1-byte
# echo, close) through three paths, measured in the same run:
#   direct   client -> service
#   socat    client -> socat -> socat -> service           (plaintext relay pair: the floor of any proxy pair)
#   sscmic   client -> sidecar A -> AES-256-GCM tunnel -> sidecar B -> service
# Prints figures and ratios; machines are shared and noisy, so compare ratios, not absolutes.
# Needs: java 17+, maven, iperf3, socat, python3. Every load is bounded in time or count.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN=${SECONDS_PER_RUN:-5}
CONNECTIONS=${CONNECTIONS:-2000}
CIPHER=${CIPHER:-aes-256-gcm}
source bench/lib.sh
needs bench/e2e.sh "iperf3 socat" iperf3 socat python3

# Ports: service 15201 (iperf3) and 15300 (echo); socat 15401/15402 and 15411/15412; sidecars 15101 (A out), 15111 (A out echo), 15102 (B tunnel)
iperf3 -s -p 15201 >/dev/null 2>&1 & pids+=($!)
python3 bench/echo_server.py 15300 & pids+=($!)
socat TCP-LISTEN:15402,fork,reuseaddr,nodelay TCP:127.0.0.1:15201,nodelay & pids+=($!)
socat TCP-LISTEN:15401,fork,reuseaddr,nodelay TCP:127.0.0.1:15402,nodelay & pids+=($!)
socat TCP-LISTEN:15412,fork,reuseaddr,nodelay TCP:127.0.0.1:15300,nodelay & pids+=($!)
socat TCP-LISTEN:15411,fork,reuseaddr,nodelay TCP:127.0.0.1:15412,nodelay & pids+=($!)

"$JAVA" -jar gateway/target/sscmic.jar seed --out "$work/seed" >/dev/null
genesis=$(date -u -d '1 hour ago' +%Y-%m-%dT%H:00:00Z)
cat > "$work/b.yaml" <<YAML
node: {id: bench-b}
keysyn: {genesis: "$genesis", interval: 10s, seed-file: $work/seed}
tunnel: {listen: "127.0.0.1:15102", cipher: $CIPHER}
services: {iperf: "127.0.0.1:15201", echo: "127.0.0.1:15300"}
YAML
cat > "$work/a.yaml" <<YAML
node: {id: bench-a}
keysyn: {genesis: "$genesis", interval: 10s, seed-file: $work/seed}
tunnel: {cipher: $CIPHER}
outbound:
  - {listen: "127.0.0.1:15101", service: iperf, peer: "127.0.0.1:15102"}
  - {listen: "127.0.0.1:15111", service: echo, peer: "127.0.0.1:15102"}
YAML
"$JAVA" -Xmx512m -jar gateway/target/sscmic.jar node --config "$work/b.yaml" ${NODE_FLAGS:-} > "$work/b.log" 2>&1 & pids+=($!)
"$JAVA" -Xmx512m -jar gateway/target/sscmic.jar node --config "$work/a.yaml" ${NODE_FLAGS:-} > "$work/a.log" 2>&1 & pids+=($!)
wait_ports 15102 15101 15111 15401 15411 15201 15300

gbps() { # port [extra iperf3 args]
  local port=$1; shift
  iperf3 -c 127.0.0.1 -p "$port" -t "$SECONDS_PER_RUN" -J "$@" 2>/dev/null \
    | python3 -c 'import json,sys; d=json.load(sys.stdin); print("%.2f" % (d["end"]["sum_received"]["bits_per_second"]/1e9))'
}
# Warm the JIT before measuring the sidecar path.
iperf3 -c 127.0.0.1 -p 15101 -t 3 >/dev/null 2>&1 || true
python3 bench/conn_rate.py 15111 500 >/dev/null || true

echo "path    upload_gbps  download_gbps  conn_per_s"
declare -A up down rate
for path in direct socat sscmic; do
  case $path in
    direct) ip=15201; ep=15300;;
    socat)  ip=15401; ep=15411;;
    sscmic) ip=15101; ep=15111;;
  esac
  up[$path]=$(gbps $ip)
  down[$path]=$(gbps $ip -R)
  rate[$path]=$(python3 bench/conn_rate.py $ep "$CONNECTIONS")
  printf "%-7s %11s %14s %11s\n" "$path" "${up[$path]}" "${down[$path]}" "${rate[$path]}"
done
python3 - "${up[direct]}" "${up[socat]}" "${up[sscmic]}" "${down[direct]}" "${down[socat]}" "${down[sscmic]}" \
  "${rate[direct]}" "${rate[socat]}" "${rate[sscmic]}" <<'PY'
import sys
u_d, u_s, u_x, d_d, d_s, d_x, r_d, r_s, r_x = map(float, sys.argv[1:])
print()
print("ratios (same run):")
print("  sscmic / direct : upload %.2f  download %.2f  connections %.2f" % (u_x/u_d, d_x/d_d, r_x/r_d))
print("  sscmic / socat  : upload %.2f  download %.2f  connections %.2f" % (u_x/u_s, d_x/d_s, r_x/r_s))
PY
grep -h -E "WARNING|SEVERE" "$work/a.log" "$work/b.log" | head -5 || true

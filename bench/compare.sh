#!/usr/bin/env bash
# Side-by-side on loopback, every pair measured in the same run (REPEAT rounds, medians reported):
#   direct       client -> service
#   plain        client -> haproxy (tcp mode) -> haproxy (tcp mode) -> service   (plaintext relay pair)
#   stunnel      client -> stunnel -> TLS 1.3 AES-256-GCM -> stunnel -> service
#   haproxy-tls  client -> haproxy -> TLS 1.3 AES-256-GCM -> haproxy -> service
#   sscmic-tcp   client -> sidecar A -> AES-256-GCM tunnel -> sidecar B -> service   (TCP mode)
#   sscmic-http  client -> sidecar A's HTTP listener -> tunnel -> sidecar B -> nginx (HTTP mode; HTTP figures only)
#   sscmic-http2 sscmic-http on tunnel v2: each request an HTTP/2 request stream over the pooled peer
#                connections (http.services long form with peer-node; no loopback tunnel entry)
#   sscmic-rot   sscmic-tcp with the key rotating every 100 ms (bulk only: the cost of rotation)
#   sscmic-v2    sscmic-tcp on tunnel v2 (tunnel.version: v2): streams over pooled, mutually
#                authenticated peer connections (certificates from a throw-away openssl CA)
#   sscmic-ref   sscmic-tcp run by another build, start script and flags (REF_JAR, REF_SCRIPT,
#                REF_JAVA_OPTS, REF_JAVA): before/after in the same run, e.g. the jar and script of
#                an older commit with today's flags
#   sscmic-ref-v2 sscmic-v2 run by that other build (REF_JAR ...): a before/after of tunnel v2
# Measures: iperf3 bulk with 1 and 4 streams (and their ratio: how a pair scales); wrk -c32 small
# requests (req/s, p50, p99); latency at a fixed 1,000 req/s (hey: 10 workers at 100 req/s each;
# p50 and p99, reported as added to direct's); redis-benchmark -c 50 GET/SET, not pipelined, through
# the pair (req/s, as a ratio to direct); 1 MiB responses (MB/s); new connections per second (connect, 1-byte
# echo, close); RSS per node idle after start (START_IDLE s) and idle after the loads (AFTER_IDLE s
# after the last one), each sscmic node with its class-data-sharing archive or AOT cache made by a
# training start first, as a deployed node runs after its first start; RSS and JVM heap per 1000
# idle streams held open; CPU seconds of the pair per GB moved; start to ready (a node with a seed
# file: exec of the start script until /readyz answers 200; stunnel and haproxy: until they accept).
# Prints medians and ratios to stunnel and to the plaintext pair. Every load is bounded in time or
# count; everything started is stopped on exit. Machines are shared and noisy: compare ratios.
# Needs: java 17+, maven, iperf3, wrk, hey, redis-server (redis-benchmark), nginx-light, stunnel4,
# haproxy, openssl, python3.
# Knobs: REPEAT=3 DURATION=5 (s per load) WARMUP=2 (s of untimed wrk per pair first; JVM_WARMUP=15 s of
#        small requests, 1 MiB answers and bulk, then 3 x CONNECTIONS new connections and redis, for our pairs) CONNECTIONS=2000 IDLE=1000 STARTS=3 STARTUP_RT=10 NODE_JAVA_OPTS=...
#        START_IDLE=15 AFTER_IDLE=15 (s idle before each RSS reading: past the start script's 10 s native heap trim)
#        TRAIN=1 (0: no training start, the pairs' first start writes the archives as in earlier runs)
#        PAIRS="..." JAR=... JAVA=... (without JAVA the start script picks the JVM, as deployed)
#        REF_JAR=... REF_SCRIPT=... REF_JAVA_OPTS=... REF_JAVA=... (the sscmic-ref pair)
set -euo pipefail
cd "$(dirname "$0")/.."
REPEAT=${REPEAT:-3}
DURATION=${DURATION:-5}
CONNECTIONS=${CONNECTIONS:-2000}
IDLE=${IDLE:-1000}
PAIRS=${PAIRS:-"direct plain stunnel haproxy-tls sscmic-tcp sscmic-http sscmic-rot"}
STARTS=${STARTS:-3}
NODE_JAVA_OPTS=${NODE_JAVA_OPTS:-}   # the start script's defaults, as deploy/systemd runs a node
START_IDLE=${START_IDLE:-15}
AFTER_IDLE=${AFTER_IDLE:-15}
TRAIN=${TRAIN:-1}
JAR=${JAR:-gateway/target/sscmic.jar}   # another build of the gateway, to compare two builds against the same anchors
REF_JAR=${REF_JAR:-$JAR}
REF_SCRIPT=${REF_SCRIPT:-deploy/bin/sscmic}
REF_JAVA_OPTS=${REF_JAVA_OPTS:-$NODE_JAVA_OPTS}
REF_JAVA=${REF_JAVA:-${JAVA:-}}
java_explicit=${JAVA:-}
source bench/lib.sh
needs bench/compare.sh "iperf3 wrk hey redis-server nginx-light stunnel4 haproxy openssl" iperf3 wrk hey redis-server \
  redis-benchmark /usr/sbin/nginx stunnel4 haproxy openssl python3
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
results=$work/results.tsv
: > "$results"

# --- services: nginx 17200 (HTTP), iperf3 17201 (bulk), echo 17202 (connections), redis 17203 -----
start_nginx 17200
iperf3 -s -p 17201 >/dev/null 2>&1 & pids+=($!)
python3 bench/echo_server.py 17202 & pids+=($!)
redis-server --port 17203 --bind 127.0.0.1 --save "" --appendonly no --daemonize no >/dev/null 2>&1 & pids+=($!)

# Each pair's client side listens on base+1 (nginx), base+2 (iperf3), base+3 (echo), base+4 (redis).
declare -A base=([direct]=17199 [plain]=17400 [stunnel]=17500 [haproxy-tls]=17600 [sscmic-tcp]=17700
                 [sscmic-http]=17800 [sscmic-rot]=17900 [sscmic-ref]=18000 [sscmic-v2]=18100 [sscmic-http2]=18200
                 [sscmic-ref-v2]=18300)
declare -A procs   # pair -> pids of its two proxies
services=(17200 17201 17202 17203)

# --- TLS material for stunnel and haproxy (TLS 1.3, AES-256-GCM only, like our default cipher) ------
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=bench \
  -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
cat "$work/cert.pem" "$work/key.pem" > "$work/both.pem"

start_haproxy() { # name tls(yes|no) side(client|server) listen_base target_base_or_services...
  local name=$1 tls=$2 side=$3 b=$4; shift 4
  local cfg=$work/$name-$side.cfg
  cat > "$cfg" <<CFG
global
  maxconn 8000
  ssl-default-bind-ciphersuites TLS_AES_256_GCM_SHA384
  ssl-default-bind-options ssl-min-ver TLSv1.3
  ssl-default-server-ciphersuites TLS_AES_256_GCM_SHA384
  ssl-default-server-options ssl-min-ver TLSv1.3
defaults
  mode tcp
  timeout connect 5s
  timeout client 1h
  timeout server 1h
CFG
  local i=1 t
  for t in "$@"; do
    local bind="bind 127.0.0.1:$((b + i))" server="server s 127.0.0.1:$t"
    if [ "$tls" = yes ] && [ "$side" = server ]; then bind="$bind ssl crt $work/both.pem"; fi
    if [ "$tls" = yes ] && [ "$side" = client ]; then server="$server ssl verify none"; fi
    printf 'listen l%d\n  %s\n  %s\n' "$i" "$bind" "$server" >> "$cfg"
    i=$((i + 1))
  done
  haproxy -db -f "$cfg" > "$work/logs/$name-$side.log" 2>&1 & pids+=($!); procs[$name]="${procs[$name]:-} $!"
}

start_stunnel() { # side listen_base targets...
  local side=$1 b=$2; shift 2
  local cfg=$work/stunnel-$side.conf
  {
    echo "foreground = yes"; echo "pid ="; echo "output = $work/logs/stunnel-$side.log"
    echo "socket = l:TCP_NODELAY=1"; echo "socket = r:TCP_NODELAY=1"
    echo "sslVersionMin = TLSv1.3"; echo "ciphersuites = TLS_AES_256_GCM_SHA384"
    if [ "$side" = server ]; then echo "cert = $work/cert.pem"; echo "key = $work/key.pem"; fi
    local i=1 t
    for t in "$@"; do
      echo "[s$i]"; echo "accept = 127.0.0.1:$((b + i))"; echo "connect = 127.0.0.1:$t"
      if [ "$side" = client ]; then echo "client = yes"; fi
      i=$((i + 1))
    done
  } > "$cfg"
  stunnel4 "$cfg" > /dev/null 2>&1 & pids+=($!); procs[stunnel]="${procs[stunnel]:-} $!"
}

java -jar "$JAR" seed --out "$work/seed" >/dev/null
genesis=$(date -u -d '1 hour ago' +%Y-%m-%dT%H:00:00Z)
# Tunnel v2 identities (tunnel.identity-dir) for the sscmic-v2 pair: a P-256 mesh CA and a node
# certificate each, CN and URI SAN sscmic://node/<id>, as the authority issues them.
v2_identity() { # node-id -> prints the tunnel YAML line for it
  local id=$1 d=$work/identity-$1
  mkdir -p "$d"
  if [ ! -f "$work/v2ca.key" ]; then
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=bench-mesh-ca \
      -keyout "$work/v2ca.key" -out "$work/v2ca.crt" 2>/dev/null
  fi
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1 -out "$d/node.key" 2>/dev/null
  openssl req -new -key "$d/node.key" -subj "/CN=$id" -out "$d/node.csr" 2>/dev/null
  printf 'subjectAltName=URI:sscmic://node/%s\nkeyUsage=critical,digitalSignature\nbasicConstraints=CA:FALSE\n' "$id" > "$d/ext"
  openssl x509 -req -in "$d/node.csr" -CA "$work/v2ca.crt" -CAkey "$work/v2ca.key" -CAcreateserial -days 1 \
    -extfile "$d/ext" -out "$d/node.crt" 2>/dev/null
  cp "$work/v2ca.crt" "$d/ca.crt"
  echo ", version: v2, identity-dir: $d"
}
start_sscmic_pair() { # name listen_base interval [http]
  local name=$1 b=$2 interval=$3 http=${4:-} v2b="" v2a="" peer_node=""
  if [ "$name" = sscmic-v2 ] || [ "$name" = sscmic-http2 ] || [ "$name" = sscmic-ref-v2 ]; then
    v2b=$(v2_identity "$name-b"); v2a=$(v2_identity "$name-a"); peer_node=", peer-node: $name-b"
  fi
  cat > "$work/$name-b.yaml" <<YAML
node: {id: $name-b}
keysyn: {genesis: "$genesis", interval: $interval, seed-file: $work/seed}
tunnel: {listen: "127.0.0.1:$((b + 10))"$v2b}
services: {web: "127.0.0.1:17200", iperf: "127.0.0.1:17201", echo: "127.0.0.1:17202", redis: "127.0.0.1:17203"}
admin: {listen: none}
YAML
  {
    echo "node: {id: $name-a}"
    echo "keysyn: {genesis: \"$genesis\", interval: $interval, seed-file: $work/seed}"
    echo "admin: {listen: none}"
    [ -z "$v2a" ] || echo "tunnel: {${v2a#, }}"
    if [ -n "$http" ]; then
      if [ -n "$peer_node" ]; then
        echo "http: {listen: \"127.0.0.1:$((b + 1))\", services: {web: {peers: [\"127.0.0.1:$((b + 10))\"]$peer_node}}, routes: [{path-prefix: /, service: web}]}"
      else
        echo "http: {listen: \"127.0.0.1:$((b + 1))\", services: {web: [\"127.0.0.1:$((b + 10))\"]}, routes: [{path-prefix: /, service: web}]}"
      fi
    else
      echo "outbound:"
      echo "  - {listen: \"127.0.0.1:$((b + 1))\", service: web, peer: \"127.0.0.1:$((b + 10))\"$peer_node}"
      echo "  - {listen: \"127.0.0.1:$((b + 2))\", service: iperf, peer: \"127.0.0.1:$((b + 10))\"$peer_node}"
      echo "  - {listen: \"127.0.0.1:$((b + 3))\", service: echo, peer: \"127.0.0.1:$((b + 10))\"$peer_node}"
      echo "  - {listen: \"127.0.0.1:$((b + 4))\", service: redis, peer: \"127.0.0.1:$((b + 10))\"$peer_node}"
    fi
  } > "$work/$name-a.yaml"
  local side
  for side in b a; do
    # Through the start script, as deployed: it picks the JVM and adds the flags the JVM needs.
    run_node "$name" "$work/logs/$name-$side.log" node --config "$work/$name-$side.yaml" & pids+=($!); procs[$name]="${procs[$name]:-} $!"
  done
}
run_node() { # pair log-file sscmic-args...: one node through its pair's start script, jar, JVM and flags
  local pair=$1 log=$2; shift 2
  local script=deploy/bin/sscmic jar=$JAR opts=$NODE_JAVA_OPTS java=$java_explicit
  if [[ $pair == sscmic-ref* ]]; then script=$REF_SCRIPT jar=$REF_JAR opts=$REF_JAVA_OPTS java=$REF_JAVA; fi
  # One archive directory per node (named by its log): two JVMs must not write one archive at exit.
  local env=(JAVA_OPTS="$opts" SSCMIC_JAR="$jar" SSCMIC_CDS_DIR="$work/cds/$(basename "$log" .log)")
  # SSCMIC_JAVA for the start script that picks a JVM, JAVA_HOME for an older one.
  if [ -n "$java" ]; then env+=(SSCMIC_JAVA="$java" JAVA_HOME="$(dirname "$(dirname "$(readlink -f "$(command -v "$java")")")")"); fi
  exec env "${env[@]}" "$script" "$@" > "$log" 2>&1
}

# The training start: each sscmic pair once, one call through it, then stopped; at their exit the
# JVMs write the class-data-sharing archive (JDK 17-24) or AOT cache (JDK 25+) that every later
# start maps, as the image ships them made and a systemd node has them after its first start.
if [ "$TRAIN" = 1 ]; then
  for pair in $PAIRS; do
    b=${base[$pair]}
    case $pair in
      sscmic-tcp|sscmic-ref|sscmic-rot|sscmic-v2|sscmic-ref-v2) start_sscmic_pair "$pair" "$b" 10s ;;
      sscmic-http|sscmic-http2) start_sscmic_pair "$pair" "$b" 10s http ;;
      *) continue ;;
    esac
    wait_ports $((b + 1))
    curl -s -o /dev/null "http://127.0.0.1:$((b + 1))/small.bin" || true
  done
  for pair in $PAIRS; do
    for p in ${procs[$pair]:-}; do kill "$p" 2>/dev/null || true; done
    for p in ${procs[$pair]:-}; do wait "$p" 2>/dev/null || true; done
    unset "procs[$pair]"
  done
fi
for pair in $PAIRS; do
  b=${base[$pair]}
  case $pair in
    plain)       start_haproxy plain no server $((b + 10)) "${services[@]}"
                 start_haproxy plain no client "$b" $((b + 11)) $((b + 12)) $((b + 13)) $((b + 14)) ;;
    haproxy-tls) start_haproxy haproxy-tls yes server $((b + 10)) "${services[@]}"
                 start_haproxy haproxy-tls yes client "$b" $((b + 11)) $((b + 12)) $((b + 13)) $((b + 14)) ;;
    stunnel)     start_stunnel server $((b + 10)) "${services[@]}"
                 start_stunnel client "$b" $((b + 11)) $((b + 12)) $((b + 13)) $((b + 14)) ;;
    sscmic-tcp)  start_sscmic_pair sscmic-tcp "$b" 10s ;;
    sscmic-ref)  start_sscmic_pair sscmic-ref "$b" 10s ;;
    sscmic-rot)  start_sscmic_pair sscmic-rot "$b" 100ms ;;
    sscmic-v2)   start_sscmic_pair sscmic-v2 "$b" 10s ;;
    sscmic-ref-v2) start_sscmic_pair sscmic-ref-v2 "$b" 10s ;;
    sscmic-http) start_sscmic_pair sscmic-http "$b" 10s http ;;
    sscmic-http2) start_sscmic_pair sscmic-http2 "$b" 10s http ;;
  esac
done
for pair in $PAIRS; do
  b=${base[$pair]}
  case $pair in sscmic-http|sscmic-http2) wait_ports $((b + 1)) ;; *) wait_ports $((b + 1)) $((b + 2)) $((b + 3)) $((b + 4)) ;; esac
done

for pair in $PAIRS; do
  for p in ${procs[$pair]:-}; do
    kill -0 "$p" 2>/dev/null || { echo "bench/compare.sh: $pair did not start; logs in $work/logs:" >&2; tail -5 "$work"/logs/"$pair"* >&2; KEEP_LOGS=1; exit 1; }
  done
done

record() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >> "$results"; }
cpu_ticks() { # pids... -> utime+stime+cutime+cstime summed
  local t=0 p
  for p in "$@"; do t=$((t + $(awk '{print $14 + $15 + $16 + $17}' "/proc/$p/stat"))); done
  echo "$t"
}
rss_kb() { # pids... -> VmRSS summed
  local t=0 p
  for p in "$@"; do t=$((t + $(awk '/^VmRSS/ {print $2}' "/proc/$p/status"))); done
  echo "$t"
}
heap_kb() { # JVM pids... -> live heap after a full GC (old generation: a full GC moves everything live there), summed
  local t=0 p used jcmd exe
  for p in "$@"; do
    exe=$(readlink -f "/proc/$p/exe")
    # Only JVMs: jcmd signals its target (SIGQUIT), which would stop stunnel or haproxy.
    [ "$(basename "$exe")" = java ] || return 0
    jcmd=$(dirname "$exe")/jcmd   # the JVM's own jcmd (a JRE has none: no figure)
    [ -x "$jcmd" ] || return 0
    "$jcmd" "$p" GC.run >/dev/null 2>&1 || return 0
    # JDK 17: "tenured generation   total 174784K, used 7501K"; JDK 25: "Tenured    total ..."
    used=$("$jcmd" "$p" GC.heap_info 2>/dev/null | awk '/(tenured generation|Tenured|garbage-first heap|ParOldGen) +total/ {for (i = 1; i < NF; i++) if ($i == "used") {sub(/K,?/, "", $(i+1)); s += $(i+1)}} END {if (s != "") print s}')
    [ -n "$used" ] || return 0
    t=$((t + used))
  done
  echo "$t"
}
iperf_json() { iperf3 -c 127.0.0.1 -p "$1" -t "$DURATION" -J "${@:2}" 2>/dev/null; }
json_field() { python3 -c 'import json,sys; d=json.load(sys.stdin)["end"]["sum_received"]; print(d[sys.argv[1]])' "$1"; }
wrk_figures() { # port path -> "req_per_s p50_ms p99_ms mb_per_s errors"
  wrk -t2 -c32 -d"${DURATION}s" --latency "http://127.0.0.1:$1$2" | python3 -c '
import re, sys
t = sys.stdin.read()
def ms(label):
    m = re.search(r"^\s*" + label + r"\s+([\d.]+)(us|ms|s)\s*$", t, re.M)
    v, u = float(m.group(1)), m.group(2)
    return v / 1000 if u == "us" else v * 1000 if u == "s" else v
m = re.search(r"Transfer/sec:\s+([\d.]+)(B|KB|MB|GB)", t)
mb = float(m.group(1)) * {"B": 1e-6, "KB": 1e-3, "MB": 1, "GB": 1e3}[m.group(2)]
bad = re.search(r"Non-2xx or 3xx responses: (\d+)", t)
sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", t)
errors = (int(bad.group(1)) if bad else 0) + (sum(map(int, sock.groups())) if sock else 0)
print("%.0f %.3f %.3f %.1f %d" % (float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1)), ms("50%"), ms("99%"), mb, errors))'
}

hey_figures() { # port path -> "p50_ms p99_ms errors" at a fixed 1,000 req/s (10 workers x 100 req/s)
  hey -z "${DURATION}s" -c 10 -q 100 "http://127.0.0.1:$1$2" | python3 -c '
import re, sys
t = sys.stdin.read()
def pct(p):
    m = re.search(r"^\s*" + p + r"% in ([\d.]+) secs", t, re.M)
    return float(m.group(1)) * 1000 if m else float("nan")
codes = re.findall(r"\[(\d+)\]\s+(\d+) responses", t)
bad = sum(int(n) for c, n in codes if not c.startswith("2")) + sum(map(int, re.findall(r"^\s*\[(\d+)\]\s+Get ", t, re.M)))
print("%.3f %.3f %d" % (pct("50"), pct("99"), bad))'
}
redis_rps() { # port -> GET and SET requests per second, the lower of the two (-c 50, not pipelined)
  redis-benchmark -h 127.0.0.1 -p "$1" -c 50 -n $((DURATION * 20000)) -t get,set -q 2>/dev/null | python3 -c '
import re, sys
v = [float(x) for x in re.findall(r"([\d.]+) requests per second", sys.stdin.read())]
print(min(v) if len(v) == 2 else "nan")'
}

measure() { # pair
  local pair=$1 b=${base[$1]} p
  # shellcheck disable=SC2206  # word-split the pid list
  local ps=(${procs[$pair]:-})
  # The same untimed warm-up for every pair: a JVM's first seconds are its JIT's (HTTP mode's first
  # wrk run was otherwise its first traffic, and measured the compiler).
  # Our JVM pairs get JVM_WARMUP s of each load kind instead: on this 2-core machine C2 was still
  # compiling the HTTP-on-v2 path after 30 s of load (1 MiB answers at 16 MB/s cold, 186 MB/s warm,
  # one connection), and a deployed sidecar is measured warm.
  local warm=${WARMUP:-2}
  if [[ "$pair" == sscmic-* ]]; then warm=${JVM_WARMUP:-15}; fi
  wrk -t 2 -c 32 -d "${warm}s" "http://127.0.0.1:$((b + 1))/small.bin" > /dev/null 2>&1 || true
  if [[ "$pair" == sscmic-* ]]; then
    wrk -t 2 -c 8 -d "${warm}s" "http://127.0.0.1:$((b + 1))/1m.bin" > /dev/null 2>&1 || true
  fi
  # ...and the bulk path's (AES-GCM runs interpreted until compiled: a cold v2 pair moved 0.2 Gbit/s
  # in its first seconds, 1 Gbit/s warm).
  [[ "$pair" == sscmic-http* ]] || iperf3 -c 127.0.0.1 -p $((b + 2)) -t "${warm}" > /dev/null 2>&1 || true
  # ...and the new-connection path (accept, stream open, the receiving node's dial, the closes):
  # 1,000 connections measured right after the other loads ran it half compiled (735 conn/s in
  # compare.sh against 2,100 warm in a harness, same build).
  if [[ "$pair" == sscmic-* && "$pair" != sscmic-http* ]]; then
    timeout 120 python3 bench/conn_rate.py $((b + 3)) $((CONNECTIONS * 3)) > /dev/null 2>&1 || true
    timeout 120 redis-benchmark -p $((b + 4)) -c 50 -n 20000 -t get -q > /dev/null 2>&1 || true
  fi
  if [[ "$pair" != sscmic-http* ]]; then
    local before after json bytes
    before=$([ ${#ps[@]} -gt 0 ] && cpu_ticks "${ps[@]}" || echo 0)
    json=$(iperf_json $((b + 2)))
    after=$([ ${#ps[@]} -gt 0 ] && cpu_ticks "${ps[@]}" || echo 0)
    bytes=$(json_field bytes <<< "$json")
    record "$pair" bulk1_gbps "$(python3 -c "print($(json_field bits_per_second <<< "$json") / 1e9)")"
    record "$pair" cpu_s_per_gb "$(python3 -c "print(($after - $before) / $(getconf CLK_TCK) / ($bytes / 1e9))")"
    [ "$pair" = sscmic-rot ] && return
    record "$pair" bulk4_gbps "$(python3 -c "print($(iperf_json $((b + 2)) -P 4 | json_field bits_per_second) / 1e9)")"
  fi
  local rps p50 p99 mb errs
  read -r rps p50 p99 _ errs < <(wrk_figures $((b + 1)) /small.bin)
  record "$pair" small_rps "$rps"; record "$pair" small_p50_ms "$p50"; record "$pair" small_p99_ms "$p99"
  record "$pair" http_errors "$errs"
  read -r _ _ _ mb errs < <(wrk_figures $((b + 1)) /1m.bin)
  record "$pair" big_mbps "$mb"; record "$pair" http_errors "$errs"
  read -r p50 p99 errs < <(hey_figures $((b + 1)) /small.bin)
  record "$pair" fixed_p50_ms "$p50"; record "$pair" fixed_p99_ms "$p99"; record "$pair" http_errors "$errs"
  [[ "$pair" == sscmic-http* ]] && return
  record "$pair" redis_rps "$(redis_rps $((b + 4)))"
  record "$pair" conn_per_s "$(python3 bench/conn_rate.py $((b + 3)) "$CONNECTIONS")"
  if [ ${#ps[@]} -gt 0 ]; then
    sleep 1
    local idle held
    local heap0
    heap0=$(heap_kb "${ps[@]}")
    idle=$(rss_kb "${ps[@]}")
    rm -f "$work/ready"
    python3 bench/hold_conns.py $((b + 3)) "$IDLE" "$work/ready" 30 & local holder=$!
    for _ in $(seq 1 250); do [ -f "$work/ready" ] && break; sleep 0.1; done
    sleep 1
    held=$(rss_kb "${ps[@]}")
    [ -n "$heap0" ] && record "$pair" heap_kb_per_idle_conn \
      "$(python3 -c "print(($(heap_kb "${ps[@]}") - $heap0) / $IDLE)")"
    kill "$holder" 2>/dev/null || true; wait "$holder" 2>/dev/null || true   # it may have failed (a timeout): no exit here
    record "$pair" rss_idle_mib "$(python3 -c "print($idle / 1024)")"
    record "$pair" kb_per_idle_conn "$(python3 -c "print(($held - $idle) / $IDLE)")"
  fi
}

# Each proxy's resident set idle after its start, before any load: past the start script's native
# heap trim (every 10 s), as a node is most of its life.
sleep "$START_IDLE"
for pair in $PAIRS; do
  # shellcheck disable=SC2206  # word-split the pid list
  ps_=(${procs[$pair]:-})
  for p in "${ps_[@]}"; do record "$pair" rss_start_mib_per_node "$(python3 -c "print($(rss_kb "$p") / 1024)")"; done
done

# Warm every pair before the first measured round; the JVMs' JIT needs about 10 s of HTTP load to
# settle (a sidecar runs for days: steady state is what counts).
for pair in $PAIRS; do
  b=${base[$pair]}
  case $pair in sscmic-*) warm=10 ;; *) warm=3 ;; esac
  wrk -t2 -c32 -d"${warm}s" "http://127.0.0.1:$((b + 1))/small.bin" >/dev/null 2>&1 || true
  [[ "$pair" == sscmic-http* ]] || iperf3 -c 127.0.0.1 -p $((b + 2)) -t 2 >/dev/null 2>&1 || true
done
for round in $(seq 1 "$REPEAT"); do
  for pair in $PAIRS; do
    echo "round $round/$REPEAT: $pair" >&2
    measure "$pair"
  done
done
# Each proxy's resident set idle after all the loads.
sleep "$AFTER_IDLE"
for pair in $PAIRS; do
  # shellcheck disable=SC2206  # word-split the pid list
  ps_=(${procs[$pair]:-})
  for p in "${ps_[@]}"; do record "$pair" rss_after_mib_per_node "$(python3 -c "print($(rss_kb "$p") / 1024)")"; done
done

# --- start to ready, after the rounds (nothing else runs then): STARTS starts per proxy kind ------
now_ms() { echo $(($(date +%s%N) / 1000000)); }
sscmic_start_ms() { # pair: one node with a seed file, from exec of the start script to /readyz 200
  local pair=$1 b=${base[$1]} t0 t1 pid
  cat > "$work/$pair-start.yaml" <<YAML
node: {id: $pair-start}
keysyn: {genesis: "$genesis", interval: 10s, seed-file: $work/seed}
tunnel: {listen: "127.0.0.1:$((b + 20))"}
services: {echo: "127.0.0.1:17202"}
admin: {listen: "127.0.0.1:$((b + 21))"}
YAML
  t0=$(now_ms)
  run_node "$pair-start" "$work/logs/$pair-start.log" node --config "$work/$pair-start.yaml" & pid=$!
  for _ in $(seq 1 3000); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$((b + 21))/readyz" 2>/dev/null)" = 200 ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.005
  done
  t1=$(now_ms)
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true   # the first exit writes the CDS archive
  echo $((t1 - t0))
}
port_start_ms() { # port command...: from exec until the port accepts
  local port=$1 t0 t1 pid; shift
  t0=$(now_ms)
  "$@" > /dev/null 2>&1 & pid=$!
  for _ in $(seq 1 2000); do (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && break; sleep 0.005; done
  t1=$(now_ms)
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
  echo $((t1 - t0))
}
# STARTUP_RT=10 runs this part at real-time priority (SCHED_FIFO 10, root): on a machine shared
# with other loads it measures what the start costs, not the other tenants' queue.
if [ -n "${STARTUP_RT:-}" ]; then chrt -f -p "$STARTUP_RT" $$; fi
for pair in $PAIRS; do
  case $pair in
    sscmic-tcp|sscmic-ref)
      echo "start-up: $pair" >&2
      # the start-up pair runs as its own kind: run_node's pair name decides script, jar and flags
      for i in $(seq 0 "$STARTS"); do
        ms=$(sscmic_start_ms "$pair")
        # the first start of a build writes its CDS archive at exit; the later ones map it
        if [ "$i" = 0 ]; then record "$pair" startup_first_ms "$ms"; else record "$pair" startup_ms "$ms"; fi
      done ;;
    stunnel)
      for _ in $(seq 1 "$STARTS"); do
        printf 'foreground = yes\npid =\noutput = /dev/null\n[s]\naccept = 127.0.0.1:%d\nconnect = 127.0.0.1:17202\ncert = %s\nkey = %s\n' \
          $((base[stunnel] + 30)) "$work/cert.pem" "$work/key.pem" > "$work/stunnel-start.conf"
        record stunnel startup_ms "$(port_start_ms $((base[stunnel] + 30)) stunnel4 "$work/stunnel-start.conf")"
      done ;;
    haproxy-tls|plain)
      for _ in $(seq 1 "$STARTS"); do
        printf 'defaults\n  mode tcp\n  timeout connect 5s\n  timeout client 1h\n  timeout server 1h\nlisten s\n  bind 127.0.0.1:%d\n  server s 127.0.0.1:17202\n' $((base[$pair] + 30)) > "$work/$pair-start.cfg"
        record "$pair" startup_ms "$(port_start_ms $((base[$pair] + 30)) haproxy -db -f "$work/$pair-start.cfg")"
      done ;;
  esac
done

if [ -n "${STARTUP_RT:-}" ]; then chrt -o -p 0 $$; fi
python3 bench/compare_report.py "$results" "$REPEAT"
for pair in sscmic-tcp sscmic-ref; do
  [ -f "$work/logs/$pair-a.log" ] && echo "$pair: $(grep -m1 '^sscmic: JDK' "$work/logs/$pair-a.log" || echo 'JVM not reported by its start script')"
done
grep -h -E "WARNING|SEVERE" "$work"/logs/sscmic-*.log | grep -v "admin.password-hash is not set" | head -5 || true

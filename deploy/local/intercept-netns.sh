#!/usr/bin/env bash
# Transparent interception (issue 18) as an integration test: two hosts built from Linux network
# namespaces, unmodified clients on one reaching services on the other at their real addresses,
# captured by nftables TPROXY and carried through the sidecar pair encrypted (root required).
#
#   sscmic-i-<id>-a   10.78.0.11   node-a: intercept.outbound captures 10.78.0.12:6379 (redis), :5432 (postgres),
#                                  10.78.0.12:18080 (web, HTTP) and 10.78.0.12:18025 (a server-first
#                                  banner service); manage-rules: the node installs and removes them;
#                                  an HTTP listener serving web, which takes captured HTTP (HTTP mode)
#   sscmic-i-<id>-b   10.78.0.12   node-b (tunnel :17443) beside redis-server, PostgreSQL, an HTTP server (:18080),
#                                  the banner service (:18025) and a service outside the mesh (:18090)
#
# One veth cable joins them; the services listen on B's real address, so that without the rules A
# reaches them directly (in plaintext). The script proves, and prints as it goes:
#   1. redis-cli, psql and curl, unmodified, in A, talking to 10.78.0.12 are carried through the sidecars:
#      a capture on the cable (tcpdump) holds none of the marker strings they sent, only tunnel
#      traffic to :17443; a service outside the mesh is reached directly, its marker visible (the
#      capture works); node-a counted the connections by protocol (http1, tcp) and how it decided;
#      the captured curl went to HTTP mode: node-a's sscmic_http_requests_total counts its requests;
#   2. a server-first port (declared) gets its banner at once, not after the detection timeout;
#   3. kill -9 of node-a: its rules stay, and connections to captured addresses are refused at once
#      (a reset, not unanswered SYNs); its restart replaces the stale set (one rule, one table) and
#      traffic flows again;
#   4. SIGTERM of node-a removes its rules: the same clients reach the services directly again;
#   5. `sscmic intercept install` twice leaves one set, `status` lists it, `remove` restores
#      direct traffic and `status` then says not installed;
#   6. inbound capture (node-b, intercept.inbound-ports): plaintext from A straight to B's service
#      ports is refused and counted, while the same clients through the sidecars get answers;
#   7. destinations from the registry: with an authority on B, node-a captures web by
#      intercept.registry alone: its nftables set gets B's address from the registry, curl is
#      carried, and when node-b leaves the registry the set empties and curl goes direct;
# and tears everything down on any exit (trap), within bounded time (every wait has a timeout).
#
# Usage: sudo deploy/local/intercept-netns.sh [--jar gateway/target/sscmic.jar] [--keep-logs DIR]
# Needs ip, nft, tcpdump, curl, redis-server, redis-cli, psql and PostgreSQL's server (Debian's
# postgresql, run as user postgres), python3, java. Exit status 0 only when every check passed.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
JAR="$ROOT/gateway/target/sscmic.jar"
KEEP_LOGS=""
while [ $# -gt 0 ]; do
  case "$1" in
    --jar) JAR="$2"; shift 2 ;;
    --keep-logs) KEEP_LOGS="$2"; shift 2 ;;
    -h|--help) sed -n '2,30p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

[ "$(id -u)" = 0 ] || { echo "intercept-netns: needs root (ip netns, nft)" >&2; exit 2; }
for tool in ip nft tcpdump java curl python3 redis-server redis-cli psql runuser; do
  command -v "$tool" >/dev/null || { echo "intercept-netns: needs $tool" >&2; exit 2; }
done
[ -f "$JAR" ] || { echo "intercept-netns: $JAR missing (mvn -B -q -DskipTests package)" >&2; exit 2; }

ID="$(printf '%04d' $(( $$ % 10000 )))"
P="sscmic-i-$ID"
NS_A="$P-a"
NS_B="$P-b"
A_IP=10.78.0.11
B_IP=10.78.0.12
TUNNEL_PORT=17443
ADMIN=15500
WORK="$(mktemp -d /tmp/sscmic-intercept.XXXXXX)"
declare -A PID=()
NAME=intercept-netns

teardown() {
  local rc="$1" name f
  for name in "${!PID[@]}"; do kill -TERM "${PID[$name]}" 2>/dev/null; done
  sleep 0.5
  for name in "${!PID[@]}"; do
    kill -KILL "${PID[$name]}" 2>/dev/null
    wait "${PID[$name]}" 2>/dev/null
  done
  # The rules live in the namespace: deleting it deletes them; nothing was installed outside.
  kill_namespace "$NS_A"
  kill_namespace "$NS_B"
  if [ -n "$KEEP_LOGS" ]; then mkdir -p "$KEEP_LOGS" && cp "$WORK"/*.log "$KEEP_LOGS"/ 2>/dev/null; fi
  if [ "$rc" != 0 ] || [ "$FAILED" != 0 ]; then
    echo "---- last log lines (in $WORK) ----"
    for f in "$WORK"/*.log; do echo "== $(basename "$f")"; tail -n 15 "$f"; done
  fi
  rm -rf "$WORK"
  echo "intercept-netns: torn down (namespaces left with prefix $P-: $(ip netns list | grep -c "^$P-" || true))"
}
# shellcheck source=deploy/local/lib.sh
source "$ROOT/deploy/local/lib.sh"

in_a() { ip netns exec "$NS_A" "$@"; }
in_b() { ip netns exec "$NS_B" "$@"; }

# ---------------------------------------------------------------- the two hosts and their cable
say "building hosts $NS_A ($A_IP) and $NS_B ($B_IP), one veth cable"
ip netns add "$NS_A"
ip netns add "$NS_B"
ip link add eth0 netns "$NS_A" type veth peer name eth0 netns "$NS_B"
ip -n "$NS_A" addr add "$A_IP/24" dev eth0
ip -n "$NS_B" addr add "$B_IP/24" dev eth0
for ns in "$NS_A" "$NS_B"; do ip -n "$ns" link set lo up; ip -n "$ns" link set eth0 up; done
wait_for 5 "ping a -> b" in_a ping -c 1 -W 1 "$B_IP" || { fail "the hosts cannot ping each other"; exit 1; }

# ---------------------------------------------------------------- services on B (real address)
cat > "$WORK/web.py" <<'EOF'
import http.server, sys
name, port = sys.argv[1], int(sys.argv[2])
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        data = ("%s got GET %s\n" % (name, self.path)).encode()
        self.send_response(200); self.send_header("content-length", str(len(data))); self.end_headers()
        self.wfile.write(data)
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("0.0.0.0", port), H).serve_forever()
EOF
cat > "$WORK/banner.py" <<'EOF'
# A server-first service (as SMTP or MySQL): greets at once, then echoes one line.
import socketserver, sys
class H(socketserver.StreamRequestHandler):
    def handle(self):
        self.wfile.write(b"220 banner-service ready\r\n"); self.wfile.flush()
        line = self.rfile.readline()
        self.wfile.write(b"250 got " + line)
socketserver.ThreadingTCPServer.allow_reuse_address = True
socketserver.ThreadingTCPServer(("0.0.0.0", int(sys.argv[1])), H).serve_forever()
EOF
ip netns exec "$NS_B" redis-server --bind 0.0.0.0 --port 6379 --protected-mode no --save '' --appendonly no \
  --daemonize no > "$WORK/redis.log" 2>&1 &
PID[redis]=$!
ip netns exec "$NS_B" python3 "$WORK/web.py" web 18080 > "$WORK/web.log" 2>&1 &
PID[web]=$!
ip netns exec "$NS_B" python3 "$WORK/web.py" outside 18090 > "$WORK/outside.log" 2>&1 &
PID[outside]=$!
ip netns exec "$NS_B" python3 "$WORK/banner.py" 18025 > "$WORK/banner.log" 2>&1 &
PID[banner]=$!
# PostgreSQL as Debian ships it, run by its own user from a cluster made here (trust: a test).
PG_BIN="$(find /usr/lib/postgresql -maxdepth 2 -name bin -type d | sort -V | tail -n 1)"
chmod 711 "$WORK"
mkdir -p "$WORK/pg" "$WORK/pgsock" && chown postgres "$WORK/pg" "$WORK/pgsock"
runuser -u postgres -- "$PG_BIN/initdb" -D "$WORK/pg" -A trust > "$WORK/initdb.log" 2>&1
echo "host all all 0.0.0.0/0 trust" >> "$WORK/pg/pg_hba.conf"
ip netns exec "$NS_B" runuser -u postgres -- "$PG_BIN/postgres" -D "$WORK/pg" -c listen_addresses='*' -c port=5432 \
  -c unix_socket_directories="$WORK/pgsock" -c fsync=off > "$WORK/postgres.log" 2>&1 &
PID[postgres]=$!
pg_up() { in_b psql -h 127.0.0.1 -U postgres -At -c 'select 1'; }
wait_for 30 "postgres" pg_up || { fail "postgres did not start"; exit 1; }
wait_for 10 "redis" in_b redis-cli -p 6379 PING || { fail "redis-server did not start"; exit 1; }
wait_for 10 "web" in_b curl -sf -m 2 "http://127.0.0.1:18080/" || { fail "web did not start"; exit 1; }
wait_for 10 "outside" in_b curl -sf -m 2 "http://127.0.0.1:18090/" || { fail "outside did not start"; exit 1; }
if [ "$(in_a redis-cli -h "$B_IP" PING 2>&1)" = PONG ]; then
  pass "before interception A reaches redis on $B_IP:6379 directly (PONG)"
else
  fail "A cannot reach redis directly before interception"
fi

# ---------------------------------------------------------------- the sidecars
JAVA_OPTS=(-Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1)
java "${JAVA_OPTS[@]}" -jar "$JAR" seed --out "$WORK/seed" > /dev/null
GENESIS="$(date -u -d '-10 minutes' +%Y-%m-%dT%H:%M:00Z)"
common() {
  echo "keysyn:"
  echo "  genesis: \"$GENESIS\""
  echo "  interval: 30s"
  echo "  seed-file: $WORK/seed"
  echo "admin:"
  echo "  listen: 127.0.0.1:$ADMIN"
}
{
  echo "node:"
  echo "  id: node-b"
  common
  echo "tunnel:"
  echo "  listen: $B_IP:$TUNNEL_PORT"
  echo "services:"
  echo "  redis: 127.0.0.1:6379"
  echo "  postgres: 127.0.0.1:5432"
  echo "  web: 127.0.0.1:18080"
  echo "  banner: 127.0.0.1:18025"
} > "$WORK/node-b.yaml"
{
  echo "node:"
  echo "  id: node-a"
  common
  echo "intercept:"
  echo "  listen: 127.0.0.1:15001"
  echo "  manage-rules: true"
  echo "  detect-timeout: 2s"
  echo "  server-first-ports: [18025]"
  echo "  outbound:"
  echo "    - {match: \"$B_IP:6379\", service: redis, peer: \"$B_IP:$TUNNEL_PORT\"}"
  echo "    - {match: \"$B_IP:5432\", service: postgres, peer: \"$B_IP:$TUNNEL_PORT\"}"
  echo "    - {match: \"$B_IP:18080\", service: web, peer: \"$B_IP:$TUNNEL_PORT\"}"
  echo "    - {match: \"$B_IP:18025\", service: banner, peer: \"$B_IP:$TUNNEL_PORT\"}"
  # Captured HTTP to a service the HTTP listener serves goes to HTTP mode (per-request balancing).
  echo "http:"
  echo "  listen: 127.0.0.1:15080"
  echo "  services:"
  echo "    web: [\"$B_IP:$TUNNEL_PORT\"]"
} > "$WORK/node-a.yaml"

ready() { ip netns exec "$1" curl -sf -m 2 "http://127.0.0.1:$ADMIN/readyz"; }
start_node() {
  local n="$1" ns="$2"
  ip netns exec "$ns" java "${JAVA_OPTS[@]}" -jar "$JAR" node --config "$WORK/node-$n.yaml" >> "$WORK/node-$n.log" 2>&1 &
  PID[node$n]=$!
}
installed() { in_a nft list table inet sscmic > /dev/null 2>&1; }
start_node b "$NS_B"
wait_for 90 "node-b ready" ready "$NS_B" || { fail "node-b not ready"; exit 1; }
start_node a "$NS_A"
if wait_for 90 "node-a ready" ready "$NS_A" && wait_for 20 "node-a's rules" installed; then
  pass "node-a ready; it installed table inet sscmic and ip rule $(in_a ip -4 rule show fwmark 0x5353 | tr -s '\t ' ' ')"
else
  fail "node-a not ready or no rules"; exit 1
fi

# ---------------------------------------------------------------- 1. carried, encrypted
M1="redis-marker-$RANDOM$RANDOM"
M2="web-marker-$RANDOM$RANDOM"
M3="outside-marker-$RANDOM$RANDOM"
ip netns exec "$NS_B" tcpdump -i eth0 -U -s 0 -w "$WORK/cable.pcap" tcp > "$WORK/tcpdump.log" 2>&1 &
PID[tcpdump]=$!
wait_for 10 "tcpdump listening" grep -q "listening on" "$WORK/tcpdump.log" || true
set_ok="$(in_a redis-cli -h "$B_IP" -p 6379 SET greeting "$M1" 2>&1 || true)"
get="$(in_a redis-cli -h "$B_IP" -p 6379 GET greeting 2>&1 || true)"
direct="$(in_b redis-cli -p 6379 GET greeting 2>&1 || true)"
if [ "$set_ok" = OK ] && [ "$get" = "$M1" ] && [ "$direct" = "$M1" ]; then
  pass "redis-cli in A: SET/GET on $B_IP:6379 answered through the sidecars (B's redis holds the value)"
else
  fail "redis-cli via interception: SET '$set_ok', GET '$get', on B '$direct'"
fi
M4="pg-marker-$RANDOM$RANDOM"
pg="$(in_a psql -h "$B_IP" -U postgres -At -c "select '$M4' || ' from ' || host(inet_client_addr())" 2>&1 || true)"
if [ "$pg" = "$M4 from 127.0.0.1" ]; then
  pass "psql in A: a query on $B_IP:5432 answered through the sidecars (postgres saw its client at 127.0.0.1: node-b)"
else
  fail "psql via interception answered '$pg'"
fi
web="$(in_a curl -sf -m 5 "http://$B_IP:18080/$M2" || true)"
if [ "$web" = "web got GET /$M2" ]; then
  pass "curl in A: http://$B_IP:18080/ answered through the sidecars"
else
  fail "curl via interception answered '$web'"
fi
outside="$(in_a curl -sf -m 5 "http://$B_IP:18090/$M3" || true)"
if [ "$outside" = "outside got GET /$M3" ]; then
  pass "curl in A: http://$B_IP:18090/ (outside the mesh) answered directly, untouched"
else
  fail "a service outside the mesh answered '$outside'"
fi
sleep 1
kill -INT "${PID[tcpdump]}" 2>/dev/null; wait "${PID[tcpdump]}" 2>/dev/null || true
unset 'PID[tcpdump]'
tunnel_pkts="$(tcpdump -r "$WORK/cable.pcap" -nn "tcp port $TUNNEL_PORT" 2>/dev/null | wc -l)"
direct_pkts="$(tcpdump -r "$WORK/cable.pcap" -nn "tcp port 6379 or tcp port 5432 or tcp port 18080" 2>/dev/null | wc -l)"
if grep -qa "$M3" "$WORK/cable.pcap" && ! grep -qa "$M1" "$WORK/cable.pcap" && ! grep -qa "$M2" "$WORK/cable.pcap" \
   && ! grep -qa "$M4" "$WORK/cable.pcap" \
   && [ "$tunnel_pkts" -gt 0 ] && [ "$direct_pkts" = 0 ]; then
  pass "capture on the cable: no plaintext of the redis, postgres or web markers, $tunnel_pkts packets to :$TUNNEL_PORT, none to :6379, :5432 or :18080; the outside marker is visible (the capture sees plaintext)"
else
  fail "capture: outside marker seen=$(grep -ca "$M3" "$WORK/cable.pcap"), redis marker seen=$(grep -ca "$M1" "$WORK/cable.pcap"), postgres marker seen=$(grep -ca "$M4" "$WORK/cable.pcap"), web marker seen=$(grep -ca "$M2" "$WORK/cable.pcap"), tunnel packets $tunnel_pkts, direct packets $direct_pkts"
fi
metric() { in_a curl -sf -m 2 "http://127.0.0.1:$ADMIN/metrics" | sed -n "s/^$1{.*$2.*} \([0-9.E]*\)\$/\1/p" | head -n 1; }
http1="$(metric sscmic_intercept_connections_total 'outcome="http_mode",protocol="http1"')"
tcp="$(metric sscmic_intercept_connections_total 'outcome="carried",protocol="tcp"')"
if awk "BEGIN{exit !(${http1:-0} >= 1 && ${tcp:-0} >= 3)}"; then
  pass "node-a counted captured connections: http1 to HTTP mode ${http1}, tcp carried ${tcp} (sscmic_intercept_connections_total)"
else
  fail "intercept metrics: http1 '${http1}', tcp '${tcp}'"
  in_a curl -sf -m 2 "http://127.0.0.1:$ADMIN/metrics" | grep '^sscmic_intercept' || true
fi
# The unmodified curl's request, captured, was served by node-a's HTTP listener (HTTP mode) as a
# request of service web: counted in its HTTP meters, not only carried as bytes.
before="$(metric sscmic_http_requests_total 'outcome="2xx",.*service="web"')"
for i in 1 2 3; do in_a curl -sf -m 5 -o /dev/null "http://$B_IP:18080/counted-$i" || true; done
# A request is counted when its response has ended, which curl may see a moment before.
counted() {
  after="$(metric sscmic_http_requests_total 'outcome="2xx",.*service="web"')"
  awk "BEGIN{exit !(${after:-0} - ${before:-0} >= 3)}"
}
wait_for 10 "the 3 requests counted" counted || true
if awk "BEGIN{exit !(${before:-0} >= 1 && ${after:-0} - ${before:-0} == 3)}"; then
  pass "captured curl went to HTTP mode: sscmic_http_requests_total{service=\"web\",outcome=\"2xx\"} ${before} -> ${after} after 3 more curls"
else
  fail "captured HTTP not counted in HTTP mode: sscmic_http_requests_total web 2xx '${before}' -> '${after}'"
  in_a curl -sf -m 2 "http://127.0.0.1:$ADMIN/metrics" | grep -E '^sscmic_(http_requests|intercept_conn)' || true
fi

# ---------------------------------------------------------------- 2. server-first port
banner_ms() {
  in_a python3 - "$B_IP" <<'EOF'
import socket, sys, time
t = time.time(); s = socket.create_connection((sys.argv[1], 18025), timeout=5)
line = s.makefile("rb").readline()
print("%d %s" % ((time.time() - t) * 1000, line.decode().strip()))
EOF
}
b="$(banner_ms 2>&1 || true)"
if [[ "$b" == *"220 banner-service ready"* ]] && [ "${b%% *}" -lt 1500 ]; then
  pass "server-first port 18025: the banner arrived in ${b%% *} ms through the sidecars (detection timeout is 2 s)"
else
  fail "server-first banner: '$b'"
fi

# ---------------------------------------------------------------- 3. kill -9, restart
say "kill -9 node-a (pid ${PID[nodea]})"
kill -KILL "${PID[nodea]}"; wait "${PID[nodea]}" 2>/dev/null || true
# refused_fast: a captured call fails with "connection refused" (curl exit 7) within a second.
refused_fast() {
  local t0 rc=0
  t0=$(now_ms)
  in_a curl -sf -m 5 -o /dev/null "http://$B_IP:18080/" || rc=$?
  REFUSED_MS=$(( $(now_ms) - t0 ))
  [ "$rc" = 7 ] && [ "$REFUSED_MS" -lt 1000 ]
}
if refused_fast; then
  pass "node-a dead, its rules left: a captured call is refused in $REFUSED_MS ms (no black hole, no hang)"
else
  fail "node-a dead: a captured call took $REFUSED_MS ms and did not end in 'connection refused'"
fi
start_node a "$NS_A"
t0=$(now_ms)
if wait_for 90 "node-a ready again" ready "$NS_A" \
   && wait_for 30 "traffic again" in_a curl -sf -m 2 -o /dev/null "http://$B_IP:18080/"; then
  pass "node-a restarted; captured traffic flows again $(( $(now_ms) - t0 )) ms after the start"
else
  fail "after node-a's restart captured traffic does not flow"
fi
rules="$(in_a ip -4 rule show fwmark 0x5353 | wc -l)"
tables="$(in_a nft list tables | grep -c 'inet sscmic' || true)"
if [ "$rules" = 1 ] && [ "$tables" = 1 ]; then
  pass "the restart replaced the stale set: one ip rule, one table"
else
  fail "after restart: $rules ip rules, $tables tables"
fi

# ---------------------------------------------------------------- 4. SIGTERM removes the rules
kill -TERM "${PID[nodea]}"; wait "${PID[nodea]}" 2>/dev/null || true
unset 'PID[nodea]'
if ! installed && [ "$(in_a ip -4 rule show fwmark 0x5353 | wc -l)" = 0 ] \
   && [ "$(in_a curl -sf -m 5 "http://$B_IP:18080/direct" || true)" = "web got GET /direct" ] \
   && [ "$(in_a redis-cli -h "$B_IP" PING 2>&1)" = PONG ] \
   && [ "$(in_a psql -h "$B_IP" -U postgres -At -c "select host(inet_client_addr())" 2>&1)" = "$A_IP" ]; then
  pass "node-a stopped (SIGTERM) and removed its rules: curl, redis-cli and psql reach B directly (postgres sees $A_IP)"
else
  fail "after node-a's stop: table present=$(installed && echo yes || echo no), direct traffic fails"
fi

# ---------------------------------------------------------------- 5. the command line
sscmic_a() { ip netns exec "$NS_A" java "${JAVA_OPTS[@]}" -jar "$JAR" intercept "$@"; }
sscmic_a install --config "$WORK/node-a.yaml" > "$WORK/install1.log" 2>&1
sscmic_a install --config "$WORK/node-a.yaml" > "$WORK/install2.log" 2>&1
st=0; sscmic_a status --config "$WORK/node-a.yaml" > "$WORK/status.log" 2>&1 || st=$?
if grep -q "created nftables table" "$WORK/install1.log" && grep -q "replaced nftables table" "$WORK/install2.log" \
   && grep -q "already present" "$WORK/install2.log" && [ "$st" = 0 ] && grep -q "tproxy ip to 127.0.0.1:15001" "$WORK/status.log" \
   && [ "$(in_a ip -4 rule show fwmark 0x5353 | wc -l)" = 1 ]; then
  pass "sscmic intercept install twice: created, then replaced (one rule); status lists the table (exit 0)"
else
  fail "intercept install/status: $(cat "$WORK/install1.log" "$WORK/install2.log" "$WORK/status.log" | tr '\n' '|')"
fi
if refused_fast; then
  pass "rules installed, no node running: a captured call is refused in $REFUSED_MS ms (nothing carries it)"
else
  fail "rules installed without a node: a captured call took $REFUSED_MS ms, not refused"
fi
sscmic_a remove --config "$WORK/node-a.yaml" > "$WORK/remove.log" 2>&1
st=0; sscmic_a status > "$WORK/status2.log" 2>&1 || st=$?
if grep -q "deleted nftables table" "$WORK/remove.log" && [ "$st" = 3 ] \
   && [ "$(in_a curl -sf -m 5 "http://$B_IP:18080/again" || true)" = "web got GET /again" ]; then
  pass "sscmic intercept remove: table and rule gone (status exit 3), direct traffic restored"
else
  fail "intercept remove: $(tr '\n' '|' < "$WORK/remove.log") status exit $st"
fi

# ---------------------------------------------------------------- 6. inbound capture on node-b
# node-b restarts with intercept.inbound-ports: its services' ports answer its sidecar (loopback)
# only. A's direct plaintext is refused and counted; A through its sidecars still gets answers.
kill -TERM "${PID[nodeb]}"; wait "${PID[nodeb]}" 2>/dev/null || true
unset 'PID[nodeb]'
{
  echo "intercept:"
  echo "  manage-rules: true"
  echo "  inbound-ports: [6379, 5432, 18080]"
} >> "$WORK/node-b.yaml"
b_guarded() { in_b nft list chain inet sscmic input > /dev/null 2>&1; }
start_node b "$NS_B"
if wait_for 90 "node-b ready again" ready "$NS_B" && wait_for 20 "node-b's inbound rule" b_guarded; then
  rc=0; in_a redis-cli -h "$B_IP" -p 6379 PING > "$WORK/direct-redis.log" 2>&1 || rc=$?
  web_rc=0; in_a curl -s -m 5 -o /dev/null "http://$B_IP:18080/" || web_rc=$?
  if grep -q "Connection refused" "$WORK/direct-redis.log" && [ "$web_rc" = 7 ] \
     && [ "$(in_b redis-cli -p 6379 PING 2>&1)" = PONG ]; then
    pass "inbound capture on node-b: redis-cli and curl from A in plaintext are refused (connection refused); on B's loopback redis still answers"
  else
    fail "inbound capture: direct redis-cli said '$(cat "$WORK/direct-redis.log")', curl exit $web_rc"
  fi
  start_node a "$NS_A"
  if wait_for 90 "node-a ready" ready "$NS_A" \
     && wait_for 30 "captured call" in_a curl -sf -m 2 -o /dev/null "http://$B_IP:18080/" \
     && [ "$(in_a redis-cli -h "$B_IP" -p 6379 GET greeting 2>&1)" = "$M1" ]; then
    pass "through the sidecars the same clients still get answers (curl, redis-cli GET)"
  else
    fail "with inbound capture on node-b, calls through the sidecars fail"
  fi
  refused_metric() {
    local v
    v="$(in_b curl -sf -m 2 "http://127.0.0.1:$ADMIN/metrics" \
      | sed -n 's/^sscmic_intercept_plaintext_refused_total{.*} \([0-9.E]*\)$/\1/p' | head -n 1)"
    awk "BEGIN{exit !(${v:-0} >= 2)}"
  }
  if wait_for 20 "the refusal counter" refused_metric; then
    pass "node-b counted the refused plaintext connections (sscmic_intercept_plaintext_refused_total >= 2)"
  else
    fail "node-b's sscmic_intercept_plaintext_refused_total did not reach 2"
  fi
else
  fail "node-b with inbound capture did not start or has no input chain"
fi

# ---------------------------------------------------------------- 7. destinations from the registry
# An authority on B; node-b enrolls and registers its services (at $B_IP:$TUNNEL_PORT); node-a
# captures web by the registry alone (intercept.registry, no static entry for it): the node fills
# the nftables set from the registry, and empties it when node-b leaves.
for n in a b; do
  if [ -n "${PID[node$n]:-}" ]; then kill -TERM "${PID[node$n]}"; wait "${PID[node$n]}" 2>/dev/null || true; unset "PID[node$n]"; fi
done
java "${JAVA_OPTS[@]}" -jar "$JAR" init --dir "$WORK/authority" --listen "$B_IP:18443" --host "$B_IP" \
  --admin "127.0.0.1:15100" > "$WORK/init.log" 2>&1
GENESIS7="$(sed -n 's/^  genesis: \([^ ]*\).*/\1/p' "$WORK/authority/authority.yaml")"
ip netns exec "$NS_B" java "${JAVA_OPTS[@]}" -jar "$JAR" authority --config "$WORK/authority/authority.yaml" \
  >> "$WORK/authority.log" 2>&1 &
PID[authority]=$!
enrolled_config() { # NODE: the keysyn and authority sections of an enrolled node
  mkdir -p "$WORK/$1/state" && chmod 700 "$WORK/$1/state"
  java "${JAVA_OPTS[@]}" -jar "$JAR" token --config "$WORK/authority/authority.yaml" --node "$1" --ttl 10m \
    > "$WORK/$1/token" 2>> "$WORK/init.log"
  chmod 600 "$WORK/$1/token"
  echo "node:"
  echo "  id: $1"
  echo "keysyn:"
  echo "  genesis: \"$GENESIS7\""
  echo "  interval: 30s"
  echo "authority:"
  echo "  url: https://$B_IP:18443"
  echo "  ca-file: $WORK/authority/ca.crt"
  echo "  state-dir: $WORK/$1/state"
  echo "  token-file: $WORK/$1/token"
  echo "admin:"
  echo "  listen: 127.0.0.1:$ADMIN"
}
auth_up() { in_b curl -s -o /dev/null -m 2 --cacert "$WORK/authority/ca.crt" "https://$B_IP:18443/"; }
if wait_for 60 "the authority" auth_up; then
  {
    enrolled_config node-b
    echo "tunnel:"
    echo "  listen: $B_IP:$TUNNEL_PORT"
    echo "services:"
    echo "  web: 127.0.0.1:18080"
  } > "$WORK/node-b.yaml"
  {
    enrolled_config node-a
    echo "intercept:"
    echo "  listen: 127.0.0.1:15001"
    echo "  manage-rules: true"
    echo "  registry:"
    echo "    - {service: web, port: 18080}"
  } > "$WORK/node-a.yaml"
  start_node b "$NS_B"
  start_node a "$NS_A"
  in_set() { in_a nft list set inet sscmic registry_destinations | grep -q "$B_IP . 18080"; }
  if wait_for 90 "node-b ready" ready "$NS_B" && wait_for 90 "node-a ready" ready "$NS_A" \
     && wait_for 30 "the registry's destination in node-a's set" in_set; then
    before="$(metric sscmic_intercept_connections_total 'outcome="carried",protocol="http1"')"
    web="$(in_a curl -sf -m 5 "http://$B_IP:18080/from-registry" || true)"
    after="$(metric sscmic_intercept_connections_total 'outcome="carried",protocol="http1"')"
    if [ "$web" = "web got GET /from-registry" ] && awk "BEGIN{exit !(${after:-0} - ${before:-0} == 1)}"; then
      pass "registry: node-a filled set registry_destinations with $B_IP . 18080 (web's peer from the registry); curl to http://$B_IP:18080/ captured and carried ($before -> $after)"
    else
      fail "registry: curl answered '$web', node-a's carried http1 $before -> $after"
    fi
    kill -TERM "${PID[nodeb]}"; wait "${PID[nodeb]}" 2>/dev/null || true
    unset 'PID[nodeb]'
    emptied() { ! in_set; }
    if wait_for 60 "node-a's set emptied" emptied \
       && [ "$(in_a curl -sf -m 5 "http://$B_IP:18080/direct" || true)" = "web got GET /direct" ]; then
      pass "registry: node-b left the registry, node-a emptied its set: curl reaches B directly again"
    else
      fail "registry: after node-b left, node-a's set still holds $B_IP . 18080 or direct curl fails"
    fi
  else
    fail "registry: nodes not ready or node-a's set never got $B_IP . 18080"
    in_a nft list set inet sscmic registry_destinations || true
  fi
else
  fail "registry: the authority did not start"
fi

say "done: $PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]

#!/usr/bin/env bash
# A three-host SSCMIC mesh on one machine, built from Linux network namespaces, as an integration
# test (root required; CI runs it from .ci/run).
#
#   sscmic-t-<id>-sw    a "switch": one bridge that every host's veth cable plugs into
#   sscmic-t-<id>-auth  10.77.0.10   the authority (https :18443, admin :15100)
#   sscmic-t-<id>-h1    10.77.0.11   node-1 beside service svc1 (a small HTTP server on 127.0.0.1)
#   sscmic-t-<id>-h2    10.77.0.12   node-2 beside svc2
#   sscmic-t-<id>-h3    10.77.0.13   node-3 beside svc3
#
# Every host has its own network stack (own loopback, own eth0 with its own address); services
# listen on their host's loopback only, so the only way from h1 to svc2 is h1's sidecar -> the
# veth/bridge -> h2's sidecar. The script proves, and prints as it goes:
#   1. the hosts reach each other over the bridge, and svc2 cannot be reached directly from h1;
#   2. an authority and three nodes start; nodes enroll with one-time tokens and become ready;
#   3. every host calls every other host's service through the tunnel (6 cross-host paths), and
#      the bytes crossed the veth cables;
#   4. traffic keeps flowing across key rotations (the interval is short);
#   5. kill -9 of node-2: calls to svc2 fail; node-2 restarts from its state dir (no new token),
#      recovers its key state from the authority, and calls succeed again: time to recovery;
#   6. kill -9 of the authority: the running nodes keep carrying traffic (it is needed only at a
#      node's start and for renewals);
# and tears everything down on any exit (trap), within bounded time (every wait has a timeout).
#
# Usage: sudo deploy/local/netns-mesh.sh [--jar gateway/target/sscmic.jar] [--keep-logs DIR]
# Builds the jar with Maven when it is missing. Exit status 0 only when every check passed.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
JAR="$ROOT/gateway/target/sscmic.jar"
KEEP_LOGS=""
while [ $# -gt 0 ]; do
  case "$1" in
    --jar) JAR="$2"; shift 2 ;;
    --keep-logs) KEEP_LOGS="$2"; shift 2 ;;
    -h|--help) sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

[ "$(id -u)" = 0 ] || { echo "netns-mesh: needs root (ip netns)" >&2; exit 2; }
for tool in ip ping java curl python3; do
  command -v "$tool" >/dev/null || { echo "netns-mesh: needs $tool" >&2; exit 2; }
done
if [ ! -f "$JAR" ]; then
  echo "netns-mesh: $JAR missing; building it"
  (cd "$ROOT" && mvn -B -q -pl gateway -am -DskipTests package)
fi

ID="$(printf '%04d' $(( $$ % 10000 )))"
P="sscmic-t-$ID"
NS_SW="$P-sw"
SUBNET=10.77.0
AUTH_IP=$SUBNET.10
AUTH_PORT=18443
AUTH_ADMIN=15100
TUNNEL_PORT=17443
NODE_ADMIN=15500
INTERVAL=2s
WORK="$(mktemp -d /tmp/sscmic-netns.XXXXXX)"
declare -A PID=()
NAME=netns-mesh
host_ns() { echo "$P-$1"; }
# Background processes are started as `ip netns exec NS CMD &` (never through a function), so that
# $! is the process itself: ip execs CMD in place, and kill -9 $! hits the JVM.
in_ns() { local ns; ns="$(host_ns "$1")"; shift; ip netns exec "$ns" "$@"; }

teardown() {
  local rc="$1" name h f
  for name in "${!PID[@]}"; do kill -TERM "${PID[$name]}" 2>/dev/null; done
  sleep 0.5
  for name in "${!PID[@]}"; do
    kill -KILL "${PID[$name]}" 2>/dev/null
    wait "${PID[$name]}" 2>/dev/null
  done
  for h in auth h1 h2 h3; do kill_namespace "$(host_ns "$h")"; done
  kill_namespace "$NS_SW"
  if [ -n "$KEEP_LOGS" ]; then mkdir -p "$KEEP_LOGS" && cp "$WORK"/*.log "$KEEP_LOGS"/ 2>/dev/null; fi
  if [ "$rc" != 0 ] || [ "$FAILED" != 0 ]; then
    echo "---- last log lines (in $WORK) ----"
    for f in "$WORK"/*.log; do echo "== $(basename "$f")"; tail -n 15 "$f"; done
  fi
  rm -rf "$WORK"
  echo "netns-mesh: torn down (namespaces left with prefix $P-: $(ip netns list | grep -c "^$P-" || true))"
}
# shellcheck source=deploy/local/lib.sh
source "$ROOT/deploy/local/lib.sh"

# ---------------------------------------------------------------- 1. the hosts and their cables
say "building hosts: switch $NS_SW, hosts $P-{auth,h1,h2,h3} on $SUBNET.0/24"
make_switch "$NS_SW"
declare -A IP=([auth]=$AUTH_IP [h1]=$SUBNET.11 [h2]=$SUBNET.12 [h3]=$SUBNET.13)
for h in auth h1 h2 h3; do
  plug_host "$(host_ns "$h")" "$NS_SW" "port-$h" "${IP[$h]}/24"
done
ok=1
for a in h1 h2 h3; do
  for b in auth h1 h2 h3; do
    [ "$a" = "$b" ] && continue
    wait_for 5 "ping $a -> $b" in_ns "$a" ping -c 1 -W 1 "${IP[$b]}" || ok=0
  done
done
if [ "$ok" = 1 ]; then pass "every host reaches every other over the bridge (ping)"; else fail "hosts cannot ping each other"; fi

# The sample services: a tiny HTTP server per host on its own loopback, answering with its name.
cat > "$WORK/service.py" <<'EOF'
import http.server, sys
name, port = sys.argv[1], int(sys.argv[2])
class H(http.server.BaseHTTPRequestHandler):
    def reply(self, body):
        data = ("%s got %s\n" % (name, body)).encode()
        self.send_response(200); self.send_header("content-length", str(len(data))); self.end_headers()
        self.wfile.write(data)
    def do_GET(self): self.reply("GET " + self.path)
    def do_POST(self):
        n = int(self.headers.get("content-length", 0)); self.reply(self.rfile.read(n).decode(errors="replace"))
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()
EOF
for i in 1 2 3; do
  ip netns exec "$(host_ns "h$i")" python3 "$WORK/service.py" "svc$i" 18080 > "$WORK/svc$i.log" 2>&1 &
  PID[svc$i]=$!
done
for i in 1 2 3; do
  wait_for 10 "svc$i" in_ns "h$i" curl -sf -m 2 http://127.0.0.1:18080/ || fail "svc$i did not start"
done
if in_ns h1 curl -s -m 2 -o /dev/null "http://${IP[h2]}:18080/"; then
  fail "svc2 is reachable from h1 without the tunnel: the hosts are not isolated"
else
  pass "svc2 listens on h2's loopback only: h1 cannot reach it directly"
fi

# ---------------------------------------------------------------- 2. authority and nodes
JAVA_OPTS=(-Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1)
sscmic() { java "${JAVA_OPTS[@]}" -jar "$JAR" "$@"; }
sscmic init --dir "$WORK/authority" --interval "$INTERVAL" --allow-short-interval --listen "0.0.0.0:$AUTH_PORT" \
  --host "$AUTH_IP" --admin "0.0.0.0:$AUTH_ADMIN" > "$WORK/init.log" 2>&1
GENESIS="$(sed -n 's/^  genesis: \([^ ]*\).*/\1/p' "$WORK/authority/authority.yaml")"
say "mesh created: genesis $GENESIS, interval $INTERVAL"

start_authority() {
  ip netns exec "$(host_ns auth)" java "${JAVA_OPTS[@]}" -jar "$JAR" authority --config "$WORK/authority/authority.yaml" \
    >> "$WORK/authority.log" 2>&1 &
  PID[authority]=$!
}
start_authority
# From h1, over the bridge: a TLS handshake against the mesh CA (the certificate names $AUTH_IP).
if wait_for 60 "the authority" in_ns h1 curl -s -o /dev/null -m 2 --cacert "$WORK/authority/ca.crt" \
    "https://$AUTH_IP:$AUTH_PORT/" \
   && in_ns auth curl -sf -m 2 -o /dev/null "http://127.0.0.1:$AUTH_ADMIN/healthz"; then
  pass "authority up on $AUTH_IP:$AUTH_PORT: h1 completes a TLS handshake verified by the mesh CA"
else
  fail "authority did not start"; exit 1
fi

# node i: service svc$i inbound; outbound 127.0.0.1:1900j -> svc$j on host j, for every j != i.
for i in 1 2 3; do
  mkdir -p "$WORK/node$i/state"
  chmod 700 "$WORK/node$i/state"
  cp "$WORK/authority/ca.crt" "$WORK/node$i/ca.crt"
  sscmic token --config "$WORK/authority/authority.yaml" --node "node-$i" --ttl 10m \
    > "$WORK/node$i/token" 2>> "$WORK/init.log"
  chmod 600 "$WORK/node$i/token"
  {
    echo "node:"
    echo "  id: node-$i"
    echo "keysyn:"
    echo "  genesis: \"$GENESIS\""
    echo "  interval: $INTERVAL"
    echo "authority:"
    echo "  url: https://$AUTH_IP:$AUTH_PORT"
    echo "  ca-file: $WORK/node$i/ca.crt"
    echo "  state-dir: $WORK/node$i/state"
    echo "  token-file: $WORK/node$i/token"
    echo "tunnel:"
    echo "  listen: ${IP[h$i]}:$TUNNEL_PORT"
    echo "admin:"
    echo "  listen: 0.0.0.0:$NODE_ADMIN"
    echo "services:"
    echo "  svc$i: 127.0.0.1:18080"
    echo "outbound:"
    for j in 1 2 3; do
      [ "$i" = "$j" ] && continue
      echo "  - listen: 127.0.0.1:1900$j"
      echo "    service: svc$j"
      echo "    peer: ${IP[h$j]}:$TUNNEL_PORT"
    done
  } > "$WORK/node$i/node.yaml"
done

start_node() {
  local i="$1"
  ip netns exec "$(host_ns "h$i")" java "${JAVA_OPTS[@]}" -jar "$JAR" node --config "$WORK/node$i/node.yaml" >> "$WORK/node$i.log" 2>&1 &
  PID[node$i]=$!
}
ready() { in_ns "h$1" curl -sf -m 2 "http://127.0.0.1:$NODE_ADMIN/readyz"; }
for i in 1 2 3; do start_node "$i"; done
for i in 1 2 3; do
  if wait_for 90 "node-$i ready" ready "$i"; then
    pass "node-$i on ${IP[h$i]} enrolled and ready (state dir: $(cd "$WORK/node$i/state" && echo *))"
  else
    fail "node-$i not ready"; exit 1
  fi
done

# ---------------------------------------------------------------- 3. traffic across hosts
# call FROM TO: from host FROM through its sidecar to svcTO on host TO; prints the answer.
call() { in_ns "h$1" curl -sf -m 5 --data-binary "hello from h$1 to svc$2" "http://127.0.0.1:1900$2/"; }
rx_bytes() { in_ns "$1" cat /sys/class/net/eth0/statistics/rx_bytes; }
declare -A RX0=()
for h in h1 h2 h3; do RX0[$h]="$(rx_bytes "$h")"; done
paths_ok=0
for i in 1 2 3; do
  for j in 1 2 3; do
    [ "$i" = "$j" ] && continue
    answer="$(call "$i" "$j" || true)"
    if [ "$answer" = "svc$j got hello from h$i to svc$j" ]; then
      paths_ok=$((paths_ok + 1))
    else
      say "h$i -> svc$j answered '$answer'"
    fi
  done
done
if [ "$paths_ok" = 6 ]; then pass "6/6 cross-host paths answered through the tunnel (h1->svc2, h1->svc3, h2->svc1, ...)"; else fail "$paths_ok/6 cross-host paths answered"; fi
rx_ok=1
for h in h1 h2 h3; do
  d=$(( $(rx_bytes "$h") - RX0[$h] ))
  say "  $h eth0 received $d bytes during those calls"
  [ "$d" -gt 0 ] || rx_ok=0
done
if [ "$rx_ok" = 1 ]; then pass "the calls crossed the veth cables (every host's eth0 received bytes)"; else fail "no bytes on some host's eth0"; fi
inbound="$(in_ns h2 curl -sf -m 2 "http://127.0.0.1:$NODE_ADMIN/metrics" \
  | sed -n 's/^sscmic_tunnel_connections_opened_total{.*direction="inbound".*} \([0-9.]*\)$/\1/p' | head -n 1)"
if awk "BEGIN{exit !(${inbound:-0} >= 2)}"; then
  pass "node-2 counted ${inbound} inbound tunnel streams (sscmic_tunnel_connections_opened_total)"
else
  fail "node-2's inbound stream counter is '${inbound}', expected at least 2"
fi

# ---------------------------------------------------------------- 4. across key rotations
epoch_of() { in_ns "h$1" curl -sf -m 2 "http://127.0.0.1:$NODE_ADMIN/metrics" \
  | sed -n 's/^sscmic_keysyn_epoch{.*} \([0-9.E]*\)$/\1/p' | head -n 1; }
e0="$(epoch_of 1)"
rot_ok=0; rot_fail=0
deadline=$(( $(now_ms) + 7000 ))
while [ "$(now_ms)" -lt "$deadline" ]; do
  if [ "$(call 1 3 || true)" = "svc3 got hello from h1 to svc3" ]; then rot_ok=$((rot_ok + 1)); else rot_fail=$((rot_fail + 1)); fi
  sleep 0.1
done
e1="$(epoch_of 1)"
rotations="$(awk "BEGIN{print ${e1:-0} - ${e0:-0}}")"
if [ "$rot_fail" = 0 ] && awk "BEGIN{exit !($rotations >= 2)}"; then
  pass "$rot_ok calls h1->svc3 over 7 s, across $rotations key rotations, none failed"
else
  fail "across rotations: $rot_ok ok, $rot_fail failed, rotations $rotations (epoch $e0 -> $e1)"
fi

# ---------------------------------------------------------------- 5. kill -9 a node, restart it
say "kill -9 node-2 (pid ${PID[node2]})"
kill -KILL "${PID[node2]}"; wait "${PID[node2]}" 2>/dev/null || true
unset 'PID[node2]'
if call 1 2 >/dev/null 2>&1; then fail "h1 -> svc2 still answered with node-2 dead"; else pass "h1 -> svc2 fails while node-2 is dead"; fi
if [ "$(call 1 3 || true)" = "svc3 got hello from h1 to svc3" ]; then
  pass "h1 -> svc3 unaffected by node-2's death"
else
  fail "h1 -> svc3 failed while only node-2 was dead"
fi
rm -f "$WORK/node2/token"   # the restart must not need a new token: it re-uses its state dir
t_restart=$(now_ms)
start_node 2
if wait_for 90 "h1 -> svc2 after node-2's restart" call 1 2; then
  t_traffic=$(now_ms)
  RECOVERY_S="$(awk "BEGIN{printf \"%.1f\", ($t_traffic - $t_restart)/1000}")"
  pass "node-2 restarted without a token (state dir), recovered its key state from the authority; h1 -> svc2 answers again ${RECOVERY_S} s after the restart (JVM start included)"
else
  fail "h1 -> svc2 did not recover after node-2's restart"
fi
say "  node-2's log after the restart: $(grep 'key state ready' "$WORK/node2.log" | tail -n 1 | cut -c1-170)"

# ---------------------------------------------------------------- 6. authority outage
say "kill -9 the authority (pid ${PID[authority]})"
kill -KILL "${PID[authority]}"; wait "${PID[authority]}" 2>/dev/null || true
unset 'PID[authority]'
outage_ok=0
for i in 1 2 3; do
  for j in 1 2 3; do
    [ "$i" = "$j" ] && continue
    [ "$(call "$i" "$j" || true)" = "svc$j got hello from h$i to svc$j" ] && outage_ok=$((outage_ok + 1))
  done
done
if [ "$outage_ok" = 6 ]; then pass "authority down: 6/6 cross-host paths still answer (running nodes do not need it)"; else fail "authority down: only $outage_ok/6 paths answer"; fi
all_ready=1
for i in 1 2 3; do ready "$i" >/dev/null 2>&1 || all_ready=0; done
if [ "$all_ready" = 1 ]; then pass "authority down: all three nodes still report ready"; else fail "a node became unready without the authority"; fi

# A node that starts while the authority is down waits, not ready, and comes up once it is back.
say "authority down: kill -9 node-3 and start it again"
kill -KILL "${PID[node3]}"; wait "${PID[node3]}" 2>/dev/null || true
unset 'PID[node3]'
start_node 3
sleep 6
if ready 3 >/dev/null 2>&1; then
  fail "node-3 became ready without an authority to recover its key state from"
else
  pass "node-3, started during the outage, is not ready after 6 s ($(grep -c 'authority unreachable' "$WORK/node3.log" || true) 'authority unreachable' log lines)"
fi
say "authority back: starting it again"
t_auth=$(now_ms)
start_authority
if wait_for 90 "node-3 ready after the authority's return" ready 3 && wait_for 10 "h1 -> svc3" call 1 3; then
  AUTH_RECOVERY_S="$(awk "BEGIN{printf \"%.1f\", ($(now_ms) - $t_auth)/1000}")"
  pass "authority back: node-3 ready and h1 -> svc3 answers ${AUTH_RECOVERY_S} s after the authority's restart (its retry backoff doubles from 0.5 s)"
else
  fail "node-3 did not recover after the authority came back"
fi

echo
echo "netns-mesh summary: 3 hosts + authority in namespaces $P-*, $SUBNET.0/24; interval $INTERVAL;"
echo "  time to recovery after kill -9 of node-2 (restart to first answered call): ${RECOVERY_S:-n/a} s"
echo "  node-3 started during an authority outage: ready ${AUTH_RECOVERY_S:-n/a} s after the authority's restart"
echo "netns-mesh: $PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]

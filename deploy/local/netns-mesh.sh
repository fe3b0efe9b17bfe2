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
# --ha (issue 17 item 6): the authority role is three hosts instead of one, and a fourth node host:
#   sscmic-t-<id>-auth-a|b|c  10.77.0.21-23  each one etcd member (Debian's etcd; client :2379 and
#                             peer :2380 on its own address) and one `sscmic authority` replica (:18443)
#   sscmic-t-<id>-h4          10.77.0.14     node-4, enrolled while a replica's host is cut off
# Replica A runs in the directory `sscmic init --host <each replica's address>` made (it seals ca.key
# into etcd); B and C run copies without ca.key and seed, with the KEK file. Each node lists the
# three URLs, its own replica first (node-1: A,B,C; node-2: B,C,A; node-3: C,A,B). It checks:
#   1. the three etcd members healthy (etcdctl endpoint health from h1, over the bridge); the three
#      replicas ready and completing a TLS handshake for their address; B and C opened the CA key from etcd;
#   2. the nodes enroll with tokens made on each replica's directory and are ready; 6/6 paths answer;
#   3. the cable of the host whose etcd member leads is pulled out of the switch (its port down):
#      the two other members elect a leader (time measured); the node listing that replica first is
#      killed -9 and restarted from its state dir: it recovers from a surviving replica and is ready
#      (time measured); node-4 enrolls with a fresh token (the cut replica first in its list)
#      through a surviving replica (if a replica finishes it after node-4 stopped waiting, the token
#      is spent: the script says LOST ANSWER and gives a second token); 6/6 paths and h4 -> svc1 answer;
#   4. the cable is plugged back: the member rejoins (endpoint health of all three), the replica
#      answers /readyz over the bridge, refuses node-4's token (spent while it was cut off) as used
#      and mirrors node-4's certificate (its etcd watch resumed);
#   5. the same teardown: no namespace left.
#
# Usage: sudo deploy/local/netns-mesh.sh [--ha] [--jar gateway/target/sscmic.jar] [--keep-logs DIR]
# Builds the jar with Maven when it is missing. Exit status 0 only when every check passed.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
JAR="$ROOT/gateway/target/sscmic.jar"
KEEP_LOGS=""
HA=0
ETCD_BIN="${ETCD_BIN:-/usr/bin/etcd}"
ETCDCTL="${ETCDCTL:-/usr/bin/etcdctl}"
while [ $# -gt 0 ]; do
  case "$1" in
    --jar) JAR="$2"; shift 2 ;;
    --keep-logs) KEEP_LOGS="$2"; shift 2 ;;
    --ha) HA=1; shift ;;
    -h|--help) sed -n '2,47p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

[ "$(id -u)" = 0 ] || { echo "netns-mesh: needs root (ip netns)" >&2; exit 2; }
for tool in ip ping java curl python3; do
  command -v "$tool" >/dev/null || { echo "netns-mesh: needs $tool" >&2; exit 2; }
done
if [ "$HA" = 1 ]; then
  [ -x "$ETCD_BIN" ] || { echo "netns-mesh: --ha needs $ETCD_BIN (Debian package etcd-server)" >&2; exit 2; }
  [ -x "$ETCDCTL" ] || { echo "netns-mesh: --ha needs $ETCDCTL (Debian package etcd-client)" >&2; exit 2; }
fi
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
# The hosts: the authority's (one, or three with --ha) and the nodes' (h4 only with --ha).
if [ "$HA" = 1 ]; then AUTH_HOSTS=(auth-a auth-b auth-c); NODE_HOSTS=(h1 h2 h3 h4); else AUTH_HOSTS=(auth); NODE_HOSTS=(h1 h2 h3); fi
HOSTS=("${AUTH_HOSTS[@]}" "${NODE_HOSTS[@]}")
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
  for h in "${HOSTS[@]}"; do kill_namespace "$(host_ns "$h")"; done
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
say "building hosts: switch $NS_SW, hosts $P-{$(IFS=,; echo "${HOSTS[*]}")} on $SUBNET.0/24"
make_switch "$NS_SW"
declare -A IP=([auth]=$AUTH_IP [h1]=$SUBNET.11 [h2]=$SUBNET.12 [h3]=$SUBNET.13 [h4]=$SUBNET.14
  [auth-a]=$SUBNET.21 [auth-b]=$SUBNET.22 [auth-c]=$SUBNET.23)
for h in "${HOSTS[@]}"; do
  plug_host "$(host_ns "$h")" "$NS_SW" "port-$h" "${IP[$h]}/24"
done
ok=1
for a in "${NODE_HOSTS[@]}"; do
  for b in "${HOSTS[@]}"; do
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

# ---------------------------------------------------------------- helpers of both variants
JAVA_OPTS=(-Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1)
sscmic() { java "${JAVA_OPTS[@]}" -jar "$JAR" "$@"; }
start_node() {
  local i="$1"
  ip netns exec "$(host_ns "h$i")" java "${JAVA_OPTS[@]}" -jar "$JAR" node --config "$WORK/node$i/node.yaml" >> "$WORK/node$i.log" 2>&1 &
  PID[node$i]=$!
}
ready() { in_ns "h$1" curl -sf -m 2 "http://127.0.0.1:$NODE_ADMIN/readyz"; }
# call FROM TO: from host FROM through its sidecar to svcTO on host TO; prints the answer.
call() { in_ns "h$1" curl -sf -m 5 --data-binary "hello from h$1 to svc$2" "http://127.0.0.1:1900$2/"; }

# ================================================================ the HA variant (--ha)
# Three authority hosts, each one etcd member and one replica; the node hosts list all three. The
# operator's view of etcd is etcdctl on h1, reaching the members over the bridge.
OPS=(ip netns exec "$(host_ns h1)")
REPLICAS=(a b c)
declare -A NODE_OF=([a]=1 [b]=2 [c]=3)   # the node that lists replica r first
ETCD_URLS="http://${IP[auth-a]}:2379,http://${IP[auth-b]}:2379,http://${IP[auth-c]}:2379"
ETCD_PREFIX="/sscmic/netns-$ID/"
up() { echo "${1^^}"; }
secs_since() { awk "BEGIN{printf \"%.1f\", ($(now_ms) - $1)/1000}"; }
start_replica() {
  ip netns exec "$(host_ns "auth-$1")" java "${JAVA_OPTS[@]}" -jar "$JAR" authority --config "$WORK/$1/authority.yaml" \
    >> "$WORK/replica-$1.log" 2>&1 &
  PID[replica-$1]=$!
}
# replica_ready R: replica R's /readyz, from h1 over the bridge.
replica_ready() { in_ns h1 curl -sf -m 2 -o /dev/null "http://${IP[auth-$1]}:$AUTH_ADMIN/readyz"; }
# enrolled_at I: the replicas whose log says they enrolled node-I.
enrolled_at() { grep -l "enrolled node 'node-$1'" "$WORK"/replica-*.log 2>/dev/null | sed 's#.*/replica-\(.*\)\.log#\1#' | tr '\n' ' '; }
recoveries_at() { grep -c "node 'node-$2' recovered its key state" "$WORK/replica-$1.log" || true; }
six_paths() { [ "$(paths)" = 6 ]; }
# paths: how many of the 6 cross-host paths between h1, h2 and h3 answer.
paths() {
  local i j n=0
  for i in 1 2 3; do
    for j in 1 2 3; do
      [ "$i" = "$j" ] && continue
      [ "$(call "$i" "$j" || true)" = "svc$j got hello from h$i to svc$j" ] && n=$((n + 1))
    done
  done
  echo "$n"
}
# new_leader: one of the members left after the cut says it leads.
new_leader() { [ -n "$(etcd_leader "$SURVIVING_URLS" "${OPS[@]}")" ]; }
# token_used_at_cut: the cut replica refuses node-4's token as spent (the answer in $answer); the
# token check comes before the CSR's, so no CSR is needed.
token_used_at_cut() {
  answer="$(in_ns h1 curl -s -m 10 --cacert "$WORK/a/ca.crt" -w ' %{http_code}' -H 'content-type: application/json' \
    --data "{\"node\":\"node-4\",\"token\":\"$TOKEN4\",\"csr\":\"none\"}" "https://${IP[auth-$CUT]}:$AUTH_PORT/v1/enroll" || true)"
  [[ "$answer" == *'"reason":"token_used"'*' 403' ]]
}
mirrored() { grep -q '^node-4 ' "$WORK/$CUT/certificates"; }
# node4_settled: node-4 is ready, or a replica enrolled it while node-4 is refused token_used.
node4_settled() {
  ready 4 >/dev/null 2>&1 && return 0
  grep -q "token already used" "$WORK/node4.log" && [ -n "$(enrolled_at 4)" ]
}
# write_ha_node I ORDER TOKEN_REPLICA [OUTBOUND_TO...]: node-I's directory and config, its authority
# URLs in ORDER (e.g. "b c a"), its token made on TOKEN_REPLICA's directory.
write_ha_node() {
  local i="$1" order="$2" token_at="$3" r urls="" j
  shift 3
  for r in $order; do urls+="${urls:+,}https://${IP[auth-$r]}:$AUTH_PORT"; done
  mkdir -p "$WORK/node$i/state"
  chmod 700 "$WORK/node$i/state"
  cp "$WORK/a/ca.crt" "$WORK/node$i/ca.crt"
  sscmic token --config "$WORK/$token_at/authority.yaml" --node "node-$i" --ttl 10m \
    > "$WORK/node$i/token" 2>> "$WORK/init.log"
  chmod 600 "$WORK/node$i/token"
  {
    echo "node:"
    echo "  id: node-$i"
    echo "keysyn:"
    echo "  genesis: \"$GENESIS\""
    echo "  interval: $INTERVAL"
    echo "authority:"
    echo "  url: $urls"
    echo "  ca-file: $WORK/node$i/ca.crt"
    echo "  state-dir: $WORK/node$i/state"
    echo "  token-file: $WORK/node$i/token"
    echo "tunnel:"
    echo "  listen: ${IP[h$i]}:$TUNNEL_PORT"
    echo "admin:"
    echo "  listen: 0.0.0.0:$NODE_ADMIN"
    if [ "$i" -le 3 ]; then
      echo "services:"
      echo "  svc$i: 127.0.0.1:18080"
    fi
    echo "outbound:"
    for j in "$@"; do
      echo "  - listen: 127.0.0.1:1900$j"
      echo "    service: svc$j"
      echo "    peer: ${IP[h$j]}:$TUNNEL_PORT"
    done
  } > "$WORK/node$i/node.yaml"
}

# ------------------------------------------------ HA 1. etcd on three hosts, three replicas
ha_etcd_and_replicas() {
  local r cluster="" health f
  for r in "${REPLICAS[@]}"; do cluster+="${cluster:+,}$r=http://${IP[auth-$r]}:2380"; done
  for r in "${REPLICAS[@]}"; do
    start_etcd "$r" "$WORK/etcd-$r" "http://${IP[auth-$r]}:2379" "http://${IP[auth-$r]}:2380" "$cluster" \
      "sscmic-netns-$ID" ip netns exec "$(host_ns "auth-$r")"
  done
  if wait_for 60 "three healthy etcd members" etcd_all_healthy "$ETCD_URLS" "${OPS[@]}"; then
    health="$(etcd_all_healthy "$ETCD_URLS" "${OPS[@]}" 2>&1 | sed -n 's/^http:\/\/\([^ ]*\) is healthy.*took = \(.*\)$/\1 (\2)/p' | sort | tr '\n' ' ')"
    pass "etcd: 3 members healthy, etcdctl endpoint health from h1 over the bridge: $health($("$ETCD_BIN" --version | sed -n 1p))"
  else
    fail "the etcd cluster on auth-a, auth-b, auth-c did not become healthy"; exit 1
  fi
  # One certificate for the three replicas: it names each one's address.
  sscmic init --dir "$WORK/a" --interval "$INTERVAL" --allow-short-interval --listen "0.0.0.0:$AUTH_PORT" \
    --host "${IP[auth-a]}" --host "${IP[auth-b]}" --host "${IP[auth-c]}" --admin "0.0.0.0:$AUTH_ADMIN" > "$WORK/init.log" 2>&1
  GENESIS="$(sed -n 's/^  genesis: \([^ ]*\).*/\1/p' "$WORK/a/authority.yaml")"
  head -c 32 /dev/urandom | base64 > "$WORK/a/kek"
  chmod 600 "$WORK/a/kek"
  {
    echo "etcd:"
    echo "  endpoints: $ETCD_URLS"
    echo "  prefix: $ETCD_PREFIX"
    echo "  kek-file: kek"
  } >> "$WORK/a/authority.yaml"
  # Replicas B and C: A's directory without ca.key and seed (OPERATIONS.md, "Authority replicas on
  # etcd"); the same ports, each on its own host.
  for r in b c; do
    mkdir -m 700 "$WORK/$r"
    for f in "$WORK"/a/*; do
      case "$(basename "$f")" in ca.key|seed) ;; *) cp -p "$f" "$WORK/$r/" ;; esac
    done
  done
  say "mesh created: genesis $GENESIS, interval $INTERVAL, one certificate for ${IP[auth-a]}, ${IP[auth-b]}, ${IP[auth-c]}"
  start_replica a
  if wait_for 90 "replica A ready" replica_ready a; then
    pass "replica A ready on ${IP[auth-a]}:$AUTH_PORT ($(grep -o 'stored the CA key in etcd[^;]*' "$WORK/replica-a.log" | head -n 1))"
  else
    fail "replica A did not become ready"; exit 1
  fi
  start_replica b
  start_replica c
  if wait_for 90 "replica B ready" replica_ready b && wait_for 90 "replica C ready" replica_ready c \
     && [ ! -e "$WORK/b/ca.key" ] && [ ! -e "$WORK/c/ca.key" ] \
     && "${OPS[@]}" "$ETCDCTL" --endpoints "$ETCD_URLS" get "${ETCD_PREFIX}ca/key" --print-value-only | grep -q '"alg":"AES-256-GCM"'; then
    pass "replicas B and C ready on ${IP[auth-b]} and ${IP[auth-c]} without a ca.key of their own: they opened the CA key's envelope in etcd (${ETCD_PREFIX}ca/key)"
  else
    fail "replica B or C did not become ready"; exit 1
  fi
  local handshakes=0
  for r in "${REPLICAS[@]}"; do
    in_ns h1 curl -s -o /dev/null -m 5 --cacert "$WORK/a/ca.crt" "https://${IP[auth-$r]}:$AUTH_PORT/" && handshakes=$((handshakes + 1))
  done
  if [ "$handshakes" = 3 ]; then
    pass "h1 completes a TLS handshake with each replica, verified by the mesh CA for the replica's address (3/3)"
  else
    fail "$handshakes/3 replicas completed a verified TLS handshake from h1"
  fi
}

# ------------------------------------------------ HA 2. nodes enroll on the replicas, traffic
ha_nodes() {
  local i n
  write_ha_node 1 "a b c" a 2 3
  write_ha_node 2 "b c a" b 1 3
  write_ha_node 3 "c a b" c 1 2
  for i in 1 2 3; do start_node "$i"; done
  for i in 1 2 3; do
    if wait_for 90 "node-$i ready" ready "$i"; then
      pass "node-$i on ${IP[h$i]} enrolled (token made on replica $(up "${REPLICAS[$((i - 1))]}")'s directory) through replica $(up "$(enrolled_at "$i")")and is ready"
    else
      fail "node-$i not ready"; exit 1
    fi
  done
  n="$(paths)"
  if [ "$n" = 6 ] || wait_for 30 "6/6 paths" six_paths; then
    pass "6/6 cross-host paths answered through the tunnel"
  else
    fail "$n/6 cross-host paths answered"
  fi
}

# ------------------------------------------------ HA 3. the etcd leader's host cut off
ha_cut() {
  local leader r s0 s1 k t0 n
  leader="$(etcd_leader "$ETCD_URLS" "${OPS[@]}")"
  CUT=""
  for r in "${REPLICAS[@]}"; do [ "$leader" = "http://${IP[auth-$r]}:2379" ] && CUT="$r"; done
  [ -n "$CUT" ] || { fail "no etcd leader among $ETCD_URLS ('$leader')"; exit 1; }
  SURVIVORS=()
  for r in "${REPLICAS[@]}"; do [ "$r" = "$CUT" ] || SURVIVORS+=("$r"); done
  s0="${SURVIVORS[0]}"; s1="${SURVIVORS[1]}"
  SURVIVING_URLS="http://${IP[auth-$s0]}:2379,http://${IP[auth-$s1]}:2379"
  say "cut: $P-auth-$CUT's cable pulled out of the switch (port-auth-$CUT down): etcd's leader (member $CUT) and replica $(up "$CUT")"
  CUT_T0=$(now_ms)
  t0=$CUT_T0
  unplug_host "$NS_SW" "port-auth-$CUT"
  if wait_for 30 "a new etcd leader" new_leader; then
    ELECT_S="$(secs_since "$t0")"
    pass "etcd: $(etcd_leader "$SURVIVING_URLS" "${OPS[@]}") leads ${ELECT_S} s after the cut (members $s0 and $s1 kept a quorum)"
  else
    fail "members $s0 and $s1 elected no leader after the cut"
  fi
  if in_ns h1 ping -c 1 -W 1 "${IP[auth-$CUT]}" >/dev/null 2>&1; then
    fail "h1 still reaches ${IP[auth-$CUT]} after the cut"
  else
    pass "h1 no longer reaches $P-auth-$CUT (${IP[auth-$CUT]}): no answer to ping"
  fi

  # The node that lists the cut replica first, killed and restarted from its state dir.
  k="${NODE_OF[$CUT]}"
  say "kill -9 node-$k (pid ${PID[node$k]}), whose first authority URL is replica $(up "$CUT")'s"
  kill -KILL "${PID[node$k]}"; wait "${PID[node$k]}" 2>/dev/null || true
  unset "PID[node$k]"
  declare -A before=()
  for r in "${SURVIVORS[@]}"; do before[$r]="$(recoveries_at "$r" "$k")"; done
  rm -f "$WORK/node$k/token"   # the restart must not need a token: it re-uses its state dir
  t0=$(now_ms)
  start_node "$k"
  if wait_for 90 "node-$k ready after its restart" ready "$k"; then
    RESTART_S="$(secs_since "$t0")"
    local at=""
    for r in "${SURVIVORS[@]}"; do [ "$(recoveries_at "$r" "$k")" -gt "${before[$r]}" ] && at+="$(up "$r") "; done
    if [ -n "$at" ]; then
      pass "node-$k restarted without a token, replica $(up "$CUT") (first in its list) cut off: recovered its key state from replica ${at}and ready ${RESTART_S} s after its start (JVM start included)"
    else
      fail "node-$k ready after its restart, but no surviving replica logged its recovery"
    fi
    say "  node-$k: $(grep -o 'the authority at .* answered .*' "$WORK/node$k.log" | tail -n 1 | cut -c1-200)"
  else
    fail "node-$k not ready after its restart with replica $(up "$CUT") cut off"
  fi

  # A node that never ran: a fresh token, made on a surviving replica's directory.
  write_ha_node 4 "$CUT $s0 $s1" "$s0" 1
  TOKEN4="$(cat "$WORK/node4/token")"
  t0=$(now_ms)
  start_node 4
  # A lost answer (OPERATIONS.md, "Nodes: several authority URLs"): a replica whose etcd requests
  # wait on the cut member can finish an enrollment after the node stopped waiting for its answer
  # (AuthorityClient: 10 s without an answer byte); the token is then spent and every retry refused
  # token_used. The runbook's remedy, a new token, is applied once, and said.
  LOST=""
  if wait_for 90 "node-4 ready, or its enrollment's answer lost" node4_settled && ! ready 4 >/dev/null 2>&1 \
     && ! wait_for 5 "node-4 ready (a token given back and spent again)" ready 4; then
    LOST="$(enrolled_at 4)"
    say "  LOST ANSWER: replica $(up "$LOST")enrolled node-4 ($(grep -h "enrolled node 'node-4'" "$WORK"/replica-*.log | cut -c12-23)) after node-4 had given up on that request; its retries are refused token_used: a second token, made on replica $(up "$s1")'s directory (the runbook's remedy)"
    kill -KILL "${PID[node4]}"; wait "${PID[node4]}" 2>/dev/null || true
    sscmic token --config "$WORK/$s1/authority.yaml" --node node-4 --ttl 10m > "$WORK/node4/token" 2>> "$WORK/init.log"
    TOKEN4="$(cat "$WORK/node4/token")"
    start_node 4
  fi
  if wait_for 90 "node-4 ready" ready 4; then
    ENROLL_S="$(secs_since "$t0")"
    ENROLL_CUT_S="$(secs_since "$CUT_T0")"
    r="$(enrolled_at 4)"
    if [ -n "$r" ] && [[ "$r" != *"$CUT "* ]]; then
      pass "node-4 on h4 enrolled with a fresh token (made on replica $(up "$s0")'s directory${LOST:+; a second one after a lost answer}) through replica $(up "$r")(replica $(up "$CUT"), first in its list, cut off): ready ${ENROLL_S} s after its start, ${ENROLL_CUT_S} s after the cut"
    else
      fail "node-4 ready, but enrolled at '$r'"
    fi
    # The surviving replicas' etcd clients spread requests over the three members (gRPC round robin)
    # and notice a member whose cable was cut only when a keepalive ping goes unanswered.
    REFUSED="$(cat "$WORK/replica-$s0.log" "$WORK/replica-$s1.log" | grep -c 'refused /v1/enroll.*cannot record the enrollment now' || true)"
    say "  node-4's enrollment refused $REFUSED time(s) with 503 by replicas $(up "$s0") and $(up "$s1") before (etcd did not answer: their requests to member $CUT hang until their etcd client's keepalive gives it up)"
  else
    fail "node-4 did not enroll with replica $(up "$CUT")'s host cut off"
  fi
  if wait_for 30 "h4 -> svc1" call 4 1; then pass "h4 -> svc1 answers through the tunnel (node-4's key state from a surviving replica)"; else fail "h4 -> svc1 did not answer"; fi
  n="$(paths)"
  if [ "$n" = 6 ] || wait_for 30 "6/6 paths" six_paths; then
    pass "6/6 cross-host paths answer with $P-auth-$CUT cut off"
  else
    fail "$(paths)/6 cross-host paths answer with $P-auth-$CUT cut off"
  fi
}

# ------------------------------------------------ HA 4. the cable plugged back
ha_plug_back() {
  local t0
  answer=""
  say "plug: $P-auth-$CUT's cable back into the switch (port-auth-$CUT up)"
  t0=$(now_ms)
  replug_host "$NS_SW" "port-auth-$CUT"
  if wait_for 60 "all three etcd members healthy" etcd_all_healthy "$ETCD_URLS" "${OPS[@]}"; then
    REJOIN_S="$(secs_since "$t0")"
    pass "etcd member $CUT rejoined: endpoint health of all three ${REJOIN_S} s after the cable was plugged back (leader: $(etcd_leader "$ETCD_URLS" "${OPS[@]}"))"
  else
    fail "etcd member $CUT did not rejoin: $(etcd_all_healthy "$ETCD_URLS" "${OPS[@]}" 2>&1 | tr '\n' ' ')"
  fi
  if wait_for 60 "replica $(up "$CUT") ready" replica_ready "$CUT"; then
    pass "replica $(up "$CUT") serves again: /readyz answers 200 from h1 over the bridge"
  else
    fail "replica $(up "$CUT") does not answer /readyz after the cable was plugged back"
  fi
  # What the others recorded in etcd while it was cut off, it knows: node-4's spent token...
  if wait_for 60 "replica $(up "$CUT") to refuse node-4's token" token_used_at_cut; then
    pass "replica $(up "$CUT") refuses node-4's token, spent elsewhere while it was cut off: $answer"
  else
    fail "replica $(up "$CUT") answered node-4's spent token: $answer"
  fi
  # ... and node-4's certificate, through its etcd watch.
  if wait_for 60 "node-4 in replica $(up "$CUT")'s certificates file" mirrored; then
    pass "replica $(up "$CUT") mirrored node-4's certificate, issued while it was cut off (its etcd watch resumed)"
  else
    fail "node-4's certificate did not reach replica $(up "$CUT")'s certificates file"
  fi
}

if [ "$HA" = 1 ]; then
  ha_etcd_and_replicas
  ha_nodes
  ha_cut
  ha_plug_back
  echo
  echo "netns-mesh --ha summary: 3 authority hosts (etcd member + replica each) and 4 node hosts in namespaces $P-*,"
  echo "  $SUBNET.0/24; interval $INTERVAL; the host cut off: auth-$CUT (etcd's leader)"
  echo "  etcd: a new leader ${ELECT_S:-n/a} s after the cut; all three healthy ${REJOIN_S:-n/a} s after the cable was back"
  echo "  node-${NODE_OF[$CUT]} restarted with its first replica cut off: ready ${RESTART_S:-n/a} s after its start"
  echo "  node-4, a fresh enrollment with its first replica cut off: ready ${ENROLL_S:-n/a} s after its start, ${ENROLL_CUT_S:-n/a} s after the cut (${REFUSED:-n/a} refusals 503 before)"
  if [ -n "$LOST" ]; then
    echo "  LOST ANSWER: node-4's first token was spent by an enrollment that finished after node-4 stopped waiting; it needed a second token"
  fi
  echo "  the run so far: $(secs_since "$T0_MS") s (the teardown follows)"
  echo "netns-mesh: $PASSED passed, $FAILED failed"
  if [ "$FAILED" = 0 ]; then exit 0; else exit 1; fi
fi

# ---------------------------------------------------------------- 2. authority and nodes
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

for i in 1 2 3; do start_node "$i"; done
for i in 1 2 3; do
  if wait_for 90 "node-$i ready" ready "$i"; then
    pass "node-$i on ${IP[h$i]} enrolled and ready (state dir: $(cd "$WORK/node$i/state" && echo *))"
  else
    fail "node-$i not ready"; exit 1
  fi
done

# ---------------------------------------------------------------- 3. traffic across hosts
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

#!/usr/bin/env bash
# Authority high availability end to end, from the shipped jar, as an operator runs it (issue 17
# items 4 and 6): plain loopback processes, no namespaces, no root needed.
#
#   etcd          Debian's /usr/bin/etcd, three members (a quorum survives one loss), free loopback ports
#   replica A     `sscmic authority` in the directory `sscmic init` made (it seals ca.key into etcd)
#   replicas B, C copies of that directory WITHOUT ca.key and seed, each with its own copy of the
#                 KEK file and its own ports: they open the CA key from etcd
#   node-1        authority.url: A,B,C   tunnel outbound -> node-2's echo service
#   node-2        authority.url: B,A     serves a TCP echo service on its loopback
#   node-3        authority.url: C,A,B   enrolls after the etcd leader was killed
#
# Checks, printed as "ok"/"FAIL" as they go:
#   1. three etcd members and three replicas start; B and C opened the CA key from etcd;
#   2. node-1 enrolls (through A) and is ready (/readyz);
#   3. node-2 enrolls through B and is ready;
#   4. node-1's token, spent at A, presented again to B: refused 403 token_used, clear message;
#   5. kill -9 of A; node-1 restarted (no token, its state dir): it recovers its key state from B
#      and is ready; a TCP echo passes node-1 -> tunnel -> node-2;
#   6. A started again; `sscmic policy revoke` on B's host: A sees the revocation (its running
#      process mirrors it from etcd into its own `revoked` file; `sscmic policy list` on A's
#      directory shows it);
#   7. `sscmic policy allow` on A's host: B takes the edit (its policy.json, its watchers);
#   8. `sscmic reseed` on A's host: B schedules the same re-seed (through etcd);
#   9. kill -9 of the etcd leader member (OPERATIONS.md runbook "Losing an etcd member"): the two
#      others elect a leader; node-3 enrolls with a fresh token through C and is ready; node-1
#      killed and restarted recovers; the echo passes;
#  10. backup and restore (runbook "Restoring etcd from a backup"), the runbook's own commands:
#      `etcdctl snapshot save` from a live member, `etcdctl snapshot restore` into a new data
#      directory, a one-member etcd started on it, replica D (a copy without ca.key) started on the
#      restored etcd: it opens the CA key, refuses node-1's token as already used, and node-2
#      restarted with D as its only authority recovers there.
# Ports are chosen free at run time (outside 17200-18300 and 27200-27600); every wait is bounded;
# everything is torn down on any exit (trap). Exit status 0 only when every check passed.
#
# Usage: deploy/local/authority-ha.sh [--jar gateway/target/sscmic.jar] [--keep-logs DIR]
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
JAR="$ROOT/gateway/target/sscmic.jar"
KEEP_LOGS=""
ETCD_BIN="${ETCD_BIN:-/usr/bin/etcd}"
ETCDCTL="${ETCDCTL:-/usr/bin/etcdctl}"
while [ $# -gt 0 ]; do
  case "$1" in
    --jar) JAR="$2"; shift 2 ;;
    --keep-logs) KEEP_LOGS="$2"; shift 2 ;;
    -h|--help) sed -n '2,40p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
for tool in java curl python3; do
  command -v "$tool" >/dev/null || { echo "authority-ha: needs $tool" >&2; exit 2; }
done
[ -x "$ETCD_BIN" ] || { echo "authority-ha: needs $ETCD_BIN (Debian package etcd-server)" >&2; exit 2; }
[ -x "$ETCDCTL" ] || { echo "authority-ha: needs $ETCDCTL (Debian package etcd-client)" >&2; exit 2; }
[ -f "$JAR" ] || { echo "authority-ha: $JAR missing (mvn -B -q -DskipTests package)" >&2; exit 2; }

WORK="$(mktemp -d /tmp/sscmic-authority-ha.XXXXXX)"
declare -A PID=()
NAME=authority-ha

teardown() {
  local rc="$1" name f
  for name in "${!PID[@]}"; do kill -TERM "${PID[$name]}" 2>/dev/null; done
  sleep 0.5
  for name in "${!PID[@]}"; do
    kill -KILL "${PID[$name]}" 2>/dev/null
    wait "${PID[$name]}" 2>/dev/null
  done
  if [ -n "$KEEP_LOGS" ]; then mkdir -p "$KEEP_LOGS" && cp "$WORK"/*.log "$KEEP_LOGS"/ 2>/dev/null; fi
  if [ "$rc" != 0 ] || [ "$FAILED" != 0 ]; then
    echo "---- last log lines (in $WORK) ----"
    for f in "$WORK"/*.log; do echo "== $(basename "$f")"; tail -n 15 "$f"; done
  fi
  rm -rf "$WORK"
  echo "authority-ha: torn down"
}
# shellcheck source=deploy/local/lib.sh
source "$ROOT/deploy/local/lib.sh"
# This script's words: "ok"/"FAIL" per check.
pass() { PASSED=$((PASSED + 1)); say "ok   $*"; }
fail() { FAILED=$((FAILED + 1)); say "FAIL $*"; }

# free_ports N: N distinct free loopback TCP ports, none in the benchmarks' ranges.
free_ports() {
  python3 - "$1" <<'EOF'
import socket, sys
n, held, out = int(sys.argv[1]), [], []
while len(out) < n:
    s = socket.socket(); s.bind(("127.0.0.1", 0)); held.append(s)
    p = s.getsockname()[1]
    if 17200 <= p <= 18300 or 27200 <= p <= 27600: continue
    out.append(p)
print(" ".join(map(str, out)))
EOF
}
read -r E0 E1 E2 P0 P1 P2 A_PORT A_ADMIN B_PORT B_ADMIN C_PORT C_ADMIN D_PORT D_ADMIN R_CLIENT R_PEER \
  TUN1 TUN2 TUN3 ADM1 ADM2 ADM3 ECHO OUT1 <<< "$(free_ports 24)"
ETCD_CLIENTS=("$E0" "$E1" "$E2")
ETCD_PEERS=("$P0" "$P1" "$P2")
ENDPOINTS="http://127.0.0.1:$E0,http://127.0.0.1:$E1,http://127.0.0.1:$E2"
PREFIX="/sscmic/e2e-$$/"

JAVA_OPTS=(-Xmx160m -XX:+UseSerialGC -XX:TieredStopAtLevel=1)
sscmic() { java "${JAVA_OPTS[@]}" -jar "$JAR" "$@"; }

# ---------------------------------------------------------------- 1. etcd (three members) and three replicas
# member NAME DATA CLIENT PEER CLUSTER: one loopback member (lib.sh's start_etcd); its pid in PID[etcd-NAME].
member() { start_etcd "$1" "$2" "http://127.0.0.1:$3" "http://127.0.0.1:$4" "$5" "sscmic-e2e-$$"; }
CLUSTER="m0=http://127.0.0.1:$P0,m1=http://127.0.0.1:$P1,m2=http://127.0.0.1:$P2"
for i in 0 1 2; do member "m$i" "$WORK/etcd-m$i" "${ETCD_CLIENTS[$i]}" "${ETCD_PEERS[$i]}" "$CLUSTER"; done
etcd_healthy() { for p in "$@"; do curl -sf -m 2 "http://127.0.0.1:$p/health" | grep -q '"health":"true"' || return 1; done; }
if wait_for 60 "etcd cluster" etcd_healthy "$E0" "$E1" "$E2"; then
  pass "etcd: three members up on 127.0.0.1:$E0,$E1,$E2 ($("$ETCD_BIN" --version 2>/dev/null | sed -n 1p))"
else
  fail "the etcd cluster did not start"; exit 1
fi

sscmic init --dir "$WORK/a" --interval 2s --allow-short-interval --listen "127.0.0.1:$A_PORT" \
  --host 127.0.0.1 --admin "127.0.0.1:$A_ADMIN" > "$WORK/init.log" 2>&1
GENESIS="$(sed -n 's/^  genesis: \([^ ]*\).*/\1/p' "$WORK/a/authority.yaml")"
head -c 32 /dev/urandom | base64 > "$WORK/a/kek"
chmod 600 "$WORK/a/kek"
cat >> "$WORK/a/authority.yaml" <<EOF
etcd:
  endpoints: $ENDPOINTS
  prefix: $PREFIX
  kek-file: kek
EOF
# Replicas B, C (and D, on the restored etcd of check 10): the directory without ca.key and seed
# (OPERATIONS.md, "Authority replicas on etcd"), its own copy of the KEK, its own ports.
copy_replica() { # NAME PORT ADMIN
  mkdir -m 700 "$WORK/$1"
  for f in "$WORK"/a/*; do
    case "$(basename "$f")" in ca.key|seed) ;; *) cp -p "$f" "$WORK/$1/" ;; esac
  done
  sed -i -e "s/127.0.0.1:$A_PORT/127.0.0.1:$2/" -e "s/127.0.0.1:$A_ADMIN/127.0.0.1:$3/" "$WORK/$1/authority.yaml"
}
copy_replica b "$B_PORT" "$B_ADMIN"
copy_replica c "$C_PORT" "$C_ADMIN"

start_replica() {
  local r="$1"
  java "${JAVA_OPTS[@]}" -jar "$JAR" authority --config "$WORK/$r/authority.yaml" >> "$WORK/replica-$r.log" 2>&1 &
  PID[replica-$r]=$!
}
replica_up() { curl -sf -m 2 -o /dev/null "http://127.0.0.1:$1/healthz"; }
start_replica a
if wait_for 90 "replica A" replica_up "$A_ADMIN"; then
  pass "replica A up on 127.0.0.1:$A_PORT ($(grep -o 'stored the CA key in etcd[^;]*' "$WORK/replica-a.log" | head -n 1 | cut -c1-100))"
else
  fail "replica A did not start"; exit 1
fi
start_replica b
start_replica c
if wait_for 90 "replica B" replica_up "$B_ADMIN" && wait_for 90 "replica C" replica_up "$C_ADMIN" \
   && [ ! -e "$WORK/b/ca.key" ] && [ ! -e "$WORK/c/ca.key" ]; then
  pass "replicas B and C up on 127.0.0.1:$B_PORT and :$C_PORT without a ca.key of their own (the CA key opened from etcd)"
else
  fail "replica B or C did not start"; exit 1
fi

# ---------------------------------------------------------------- 2, 3. two nodes enroll
python3 - "$ECHO" > "$WORK/echo.log" 2>&1 <<'EOF' &
import socket, sys, threading
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", int(sys.argv[1]))); srv.listen(16)
def serve(c):
    with c:
        while True:
            d = c.recv(65536)
            if not d: return
            c.sendall(d)
while True:
    c, _ = srv.accept(); threading.Thread(target=serve, args=(c,), daemon=True).start()
EOF
PID[echo]=$!

# write_node I URLS TUNNEL ADMIN: node-I's directory and config.
write_node() {
  local i="$1" urls="$2" tunnel="$3" admin="$4"
  mkdir -p "$WORK/node$i/state"
  chmod 700 "$WORK/node$i" "$WORK/node$i/state"
  cp "$WORK/a/ca.crt" "$WORK/node$i/ca.crt"
  sscmic token --config "$WORK/a/authority.yaml" --node "node-$i" --ttl 10m > "$WORK/node$i/token" 2>> "$WORK/init.log"
  chmod 600 "$WORK/node$i/token"
  {
    echo "node:"
    echo "  id: node-$i"
    echo "keysyn:"
    echo "  genesis: \"$GENESIS\""
    echo "  interval: 2s"
    echo "authority:"
    echo "  url: $urls"
    echo "  ca-file: $WORK/node$i/ca.crt"
    echo "  state-dir: $WORK/node$i/state"
    echo "  token-file: $WORK/node$i/token"
    echo "tunnel:"
    echo "  listen: 127.0.0.1:$tunnel"
    echo "  advertise: none"
    echo "admin:"
    echo "  listen: 127.0.0.1:$admin"
  } > "$WORK/node$i/node.yaml"
}
write_node 1 "https://127.0.0.1:$A_PORT,https://127.0.0.1:$B_PORT,https://127.0.0.1:$C_PORT" "$TUN1" "$ADM1"
cat >> "$WORK/node1/node.yaml" <<EOF
outbound:
  - listen: 127.0.0.1:$OUT1
    service: echo
    peer: 127.0.0.1:$TUN2
EOF
write_node 2 "https://127.0.0.1:$B_PORT,https://127.0.0.1:$A_PORT" "$TUN2" "$ADM2"
cat >> "$WORK/node2/node.yaml" <<EOF
services:
  echo: 127.0.0.1:$ECHO
EOF
TOKEN1="$(cat "$WORK/node1/token")"

start_node() {
  java "${JAVA_OPTS[@]}" -jar "$JAR" node --config "$WORK/node$1/node.yaml" >> "$WORK/node$1.log" 2>&1 &
  PID[node$1]=$!
}
ready() { curl -sf -m 2 "http://127.0.0.1:$1/readyz"; }
enrolled_at() { grep -q "enrolled node '$2'" "$WORK/replica-$1.log"; }

start_node 1
if wait_for 90 "node-1 ready" ready "$ADM1" && enrolled_at a node-1; then
  pass "node-1 enrolled through replica A and is ready (/readyz)"
else
  fail "node-1 not ready, or not enrolled at A"; exit 1
fi
start_node 2
if wait_for 90 "node-2 ready" ready "$ADM2" && enrolled_at b node-2; then
  pass "node-2 enrolled through replica B and is ready (/readyz)"
else
  fail "node-2 not ready, or not enrolled at B"; exit 1
fi

# ---------------------------------------------------------------- 4. one token, two replicas
# node-1's token, spent at A, presented to B: the token check comes before the CSR's, so no CSR needed.
answer="$(curl -s -m 10 --cacert "$WORK/a/ca.crt" -w ' %{http_code}' -H 'content-type: application/json' \
  --data "{\"node\":\"node-1\",\"token\":\"$TOKEN1\",\"csr\":\"none\"}" "https://127.0.0.1:$B_PORT/v1/enroll" || true)"
if [[ "$answer" == *'"reason":"token_used"'*' 403' ]] && [[ "$answer" == *'token already used (spent on another authority replica)'* ]]; then
  pass "the token node-1 spent at A, presented to B: refused: $answer"
else
  fail "the token spent at A, presented to B, answered: $answer"
fi

# ---------------------------------------------------------------- 5. kill -9 of a replica
echo_through_tunnel() {
  python3 - "$OUT1" "$1" <<'EOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
msg = sys.argv[2].encode()
s.sendall(msg)
got = b""
while len(got) < len(msg):
    d = s.recv(65536)
    if not d: break
    got += d
s.close()
sys.exit(0 if got == msg else 1)
EOF
}
if wait_for 30 "echo node-1 -> node-2" echo_through_tunnel "before the kill $$"; then
  pass "TCP echo node-1 -> tunnel -> node-2's echo service"
else
  fail "no TCP echo through the tunnel with both replicas up"
fi
say "kill -9 replica A (pid ${PID[replica-a]}) and node-1 (pid ${PID[node1]})"
kill -KILL "${PID[replica-a]}"; wait "${PID[replica-a]}" 2>/dev/null || true
unset 'PID[replica-a]'
kill -KILL "${PID[node1]}"; wait "${PID[node1]}" 2>/dev/null || true
unset 'PID[node1]'
rm -f "$WORK/node1/token"   # the restart must not need a token: it re-uses its state dir
t_restart=$(now_ms)
start_node 1
if wait_for 90 "node-1 ready after the restart" ready "$ADM1"; then
  pass "node-1 restarted with replica A dead (first in its list): ready $(awk "BEGIN{printf \"%.1f\", ($(now_ms) - $t_restart)/1000}") s after its start, key state from B"
else
  fail "node-1 not ready after its restart with replica A dead"
fi
if grep -q "node 'node-1' recovered its key state" "$WORK/replica-b.log" && wait_for 30 "echo after failover" echo_through_tunnel "after the kill $$"; then
  pass "replica B answered node-1's recovery (a certificate replica A issued); TCP echo node-1 -> tunnel -> node-2 after the failover"
else
  fail "no TCP echo through the tunnel after the failover"
fi

# ---------------------------------------------------------------- 6. a revocation, seen by the other
start_replica a
if wait_for 90 "replica A again" replica_up "$A_ADMIN"; then
  pass "replica A started again"
else
  fail "replica A did not start again"
fi
revoked_in() { grep -qx "$2" "$WORK/$1/revoked"; }
if sscmic policy revoke node-9 --config "$WORK/b/authority.yaml" > "$WORK/revoke.log" 2>&1; then
  pass "sscmic policy revoke node-9 on B's directory: $(head -c 60 "$WORK/revoke.log")..."
else
  fail "sscmic policy revoke on B's directory: $(cat "$WORK/revoke.log")"
fi
if wait_for 30 "A to mirror the revocation" revoked_in a node-9 \
   && sscmic policy list --config "$WORK/a/authority.yaml" 2>/dev/null | grep -q '^revoked:.*node-9'; then
  pass "replica A sees the revocation made through B (its revoked file, sscmic policy list)"
else
  fail "replica A did not see the revocation made through B"
fi

# ---------------------------------------------------------------- 7. a policy edit, seen by the other
policy_at_b() { grep -q 'allow echo node-1' "$WORK/b/policy.json" \
  && grep -q "mesh policy version 1 .*sent to the registry watchers" "$WORK/replica-b.log"; }
if sscmic policy allow echo node-1 --config "$WORK/a/authority.yaml" > "$WORK/policy.log" 2>&1 \
   && wait_for 30 "B to take A's policy edit" policy_at_b; then
  pass "sscmic policy allow on A's directory: replica B sends version 1 to its watchers ($(sscmic policy list \
    --config "$WORK/b/authority.yaml" 2>/dev/null | sed -n 1p))"
else
  fail "replica B did not take the policy edited on A's directory: $(cat "$WORK/policy.log")"
fi

# ---------------------------------------------------------------- 8. a re-seed by hand, seen by the other
reseed_at_b() { grep -q "re-seed shared by the replicas (etcd)" "$WORK/replica-b.log"; }
if sscmic reseed --config "$WORK/a/authority.yaml" --in 30s > "$WORK/reseed.log" 2>&1 \
   && wait_for 30 "B to schedule A's re-seed" reseed_at_b; then
  pass "sscmic reseed on A's directory: replica B scheduled the same re-seed ($(grep -o 'a new key chain from epoch [0-9]*' \
    "$WORK/replica-b.log" | tail -n 1))"
else
  fail "replica B did not schedule the re-seed made on A's directory: $(cat "$WORK/reseed.log")"
fi

# ---------------------------------------------------------------- 9. the etcd leader killed
# etcd_leader URLS (lib.sh): the client URL of the member that leads, as the members say (etcdctl endpoint status).
LEADER="$(etcd_leader "$ENDPOINTS")"
li=-1
SURVIVORS=()
for i in 0 1 2; do
  if [ "$LEADER" = "http://127.0.0.1:${ETCD_CLIENTS[$i]}" ]; then li=$i; else SURVIVORS+=("http://127.0.0.1:${ETCD_CLIENTS[$i]}"); fi
done
if [ "$li" -lt 0 ]; then
  fail "no etcd leader found among $ENDPOINTS"; exit 1
fi
say "kill -9 the etcd leader m$li ($LEADER, pid ${PID[etcd-m$li]})"
t_kill=$(now_ms)
kill -KILL "${PID[etcd-m$li]}"; wait "${PID[etcd-m$li]}" 2>/dev/null || true
unset "PID[etcd-m$li]"
SURVIVING="$(IFS=,; echo "${SURVIVORS[*]}")"
new_leader() { [ -n "$(etcd_leader "$SURVIVING")" ]; }
if wait_for 30 "a new etcd leader" new_leader; then
  pass "etcd member m$li (the leader) killed: $(etcd_leader "$SURVIVING") leads $(awk "BEGIN{printf \"%.1f\", ($(now_ms) - $t_kill)/1000}") s later"
else
  fail "the two surviving etcd members elected no leader"
fi
write_node 3 "https://127.0.0.1:$C_PORT,https://127.0.0.1:$A_PORT,https://127.0.0.1:$B_PORT" "$TUN3" "$ADM3"
cat >> "$WORK/node3/node.yaml" <<EOF
services:
  echo: 127.0.0.1:$ECHO
EOF
t_node3=$(now_ms)
start_node 3
if wait_for 90 "node-3 ready" ready "$ADM3"; then
  pass "node-3 enrolled with a fresh token after the etcd leader's death ($(grep -l "enrolled node 'node-3'" \
    "$WORK"/replica-*.log | xargs -n 1 basename | tr '\n' ' ')) and is ready $(awk "BEGIN{printf \"%.1f\", ($(now_ms) - $t_node3)/1000}") s after its start"
else
  fail "node-3 did not enroll with two of three etcd members"
fi
# Each replica mirrors etcd's issued-certificates record into its own `certificates` file through a
# watch; the watches of replicas whose etcd connection went to the killed member broke ("Network
# closed") and must have resumed: node-3's certificate, issued after the kill, reaches all three.
mirrored_everywhere() { for r in a b c; do grep -q '^node-3 ' "$WORK/$r/certificates" || return 1; done; }
if wait_for 30 "node-3 in every replica's certificates file" mirrored_everywhere; then
  pass "node-3's certificate, issued after the etcd leader's death, mirrored by all three replicas (their etcd watches resumed)"
else
  fail "node-3's certificate not in every replica's certificates file: $(grep -l '^node-3 ' "$WORK"/[abc]/certificates | tr '\n' ' ')"
fi
kill -KILL "${PID[node1]}"; wait "${PID[node1]}" 2>/dev/null || true
unset 'PID[node1]'
start_node 1
if wait_for 90 "node-1 ready again" ready "$ADM1" && wait_for 30 "echo" echo_through_tunnel "after the etcd leader $$"; then
  pass "node-1 restarted on two etcd members: ready, TCP echo node-1 -> tunnel -> node-2"
else
  fail "node-1 not ready or no echo after the etcd leader's death"
fi

# ---------------------------------------------------------------- 10. backup and restore (the runbook's commands)
mkdir -m 700 "$WORK/backup"
if "$ETCDCTL" --endpoints "${SURVIVORS[0]}" snapshot save "$WORK/backup/etcd.db" > "$WORK/backup.log" 2>&1 \
   && "$ETCDCTL" snapshot restore "$WORK/backup/etcd.db" --name restored --data-dir "$WORK/etcd-restored" \
        --initial-cluster "restored=http://127.0.0.1:$R_PEER" --initial-advertise-peer-urls "http://127.0.0.1:$R_PEER" \
        --initial-cluster-token "sscmic-restored-$$" >> "$WORK/backup.log" 2>&1; then
  pass "etcdctl snapshot save from ${SURVIVORS[0]} ($(du -k "$WORK/backup/etcd.db" | cut -f1) KiB), snapshot restore into a new data directory"
else
  fail "etcdctl snapshot save/restore: $(tail -n 3 "$WORK/backup.log")"
fi
member restored "$WORK/etcd-restored" "$R_CLIENT" "$R_PEER" "restored=http://127.0.0.1:$R_PEER"
spent_tokens() { "$ETCDCTL" --endpoints "http://127.0.0.1:$R_CLIENT" get --prefix "${PREFIX}tokens/used/" --keys-only | grep -c . || true; }
if wait_for 30 "the restored etcd" etcd_healthy "$R_CLIENT" \
   && "$ETCDCTL" --endpoints "http://127.0.0.1:$R_CLIENT" get "${PREFIX}ca/key" --print-value-only | grep -q '"alg":"AES-256-GCM"'; then
  pass "a one-member etcd on the restored data: the CA key's envelope and $(spent_tokens) spent tokens under $PREFIX"
else
  fail "the restored etcd does not serve the mesh's keys ($(spent_tokens) spent tokens)"
fi
copy_replica d "$D_PORT" "$D_ADMIN"
sed -i "s#^  endpoints: .*#  endpoints: http://127.0.0.1:$R_CLIENT#" "$WORK/d/authority.yaml"
start_replica d
token_refused_at_d() {
  answer="$(curl -s -m 10 --cacert "$WORK/a/ca.crt" -w ' %{http_code}' -H 'content-type: application/json' \
    --data "{\"node\":\"node-1\",\"token\":\"$TOKEN1\",\"csr\":\"none\"}" "https://127.0.0.1:$D_PORT/v1/enroll" || true)"
  [[ "$answer" == *'"reason":"token_used"'*' 403' ]]
}
answer=""
if wait_for 90 "replica D" replica_up "$D_ADMIN" && wait_for 30 "D to answer on its API port" token_refused_at_d; then
  pass "replica D (no ca.key) on the restored etcd: opened the CA key, refuses node-1's spent token ($answer)"
else
  fail "replica D on the restored etcd: not up, or node-1's token answered: $answer"
fi
kill -KILL "${PID[node2]}"; wait "${PID[node2]}" 2>/dev/null || true
unset 'PID[node2]'
sed -i "s#^  url: .*#  url: https://127.0.0.1:$D_PORT#" "$WORK/node2/node.yaml"
rm -f "$WORK/node2/token"
start_node 2
if wait_for 90 "node-2 ready on D" ready "$ADM2" && grep -q "node 'node-2' recovered its key state" "$WORK/replica-d.log"; then
  pass "node-2 restarted with replica D as its only authority: recovered there (its certificate, issued by B, is in the restored record) and ready"
else
  fail "node-2 did not recover from replica D on the restored etcd"
fi

echo
echo "authority-ha: $PASSED ok, $FAILED FAIL"
[ "$FAILED" = 0 ]

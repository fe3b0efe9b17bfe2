#!/usr/bin/env bash
# deploy/docker/compose.yaml run without Docker (no engine runs on these machines): every compose
# service becomes processes in its own network namespace, the way Docker would run them, minus
# the image. What is taken from the files as they are (compose-plan.js reads them):
#   - each service's entrypoint + command ($$ unescaped), environment (the Dockerfile's ENV, then
#     the service's), network_mode (the sample services share their sidecar's namespace), and
#     compose's service names as host names (/etc/netns/NS/hosts);
#   - named volumes as directories with the owner and mode the image gives their mount points,
#     mounted at their container paths (/var/lib/...) in a private mount namespace;
#   - the image's non-root USER (setpriv, no new privileges) and its HEALTHCHECK command.
# What is stood in for: /usr/local/bin/sscmic is deploy/bin/sscmic with the built jar; files bound
# under /etc are read from their repository path (the argv is rewritten); the whoami sample
# services are a small HTTP server answering with their --name; Prometheus is Debian's binary;
# Grafana is not run (its provisioning is checked statically).
# Checks: mesh-init completes, the authority and three sidecars pass the image's health check and
# turn ready (admin ports over TLS), /status needs the generated password (0600 file, not logged), all six service-to-service paths answer through the tunnels, Prometheus scrapes all
# four targets with the compose prometheus.yml, and a second `up` (mesh-init again on the existing
# mesh, sidecars restarted from their state volumes) works without re-enrolling.
# Usage: deploy/test/compose-netns.sh [path/to/sscmic.jar]   (root; bounded; tears down on exit)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
JAR="$(cd "$(dirname "${1:-$ROOT/gateway/target/sscmic.jar}")" && pwd)/$(basename "${1:-sscmic.jar}")"
[ "$(id -u)" = 0 ] || { echo "compose-netns: needs root" >&2; exit 2; }
[ -f "$JAR" ] || { echo "compose-netns: $JAR missing" >&2; exit 2; }
if [ ! -d "$ROOT/deploy/test/node_modules/yaml" ]; then
  (cd "$ROOT/deploy/test" && npm ci --no-audit --no-fund --loglevel=error)
fi

ID="$(printf '%04d' $(( $$ % 10000 )))"
P="sscmic-c-$ID"
WORK="$(mktemp -d /tmp/sscmic-compose.XXXXXX)"
chmod 755 "$WORK"
declare -A PIDS=() IP=()
NAMESPACES=()
NAME=compose-netns
teardown() {
  local rc="$1" ns k f
  {  # (stderr off: no "Killed" job notices)
    for ns in "${NAMESPACES[@]}"; do
      for p in $(ip netns pids "$P-$ns"); do kill -KILL "$p"; done
    done
    for k in "${!PIDS[@]}"; do wait "${PIDS[$k]}"; done
    sleep 0.2
  } 2>/dev/null
  for ns in "${NAMESPACES[@]}"; do kill_namespace "$P-$ns"; rm -rf "/etc/netns/$P-$ns"; done
  kill_namespace "$P-sw"
  if [ "$rc" != 0 ] || [ "$FAILED" != 0 ]; then
    for f in "$WORK"/logs/*.log; do echo "== $(basename "$f")"; tail -n 12 "$f"; done
  fi
  rm -rf "$WORK"
  echo "compose-netns: torn down (namespaces left with prefix $P-: $(ip netns list | grep -c "^$P-" || true))"
}
# shellcheck source=deploy/local/lib.sh
source "$ROOT/deploy/local/lib.sh"

# ---------------------------------------------------------------- the plan, from the files
node "$ROOT/deploy/test/compose-plan.js" "$ROOT/deploy/docker" > "$WORK/plan.sh"
# shellcheck source=/dev/null
source "$WORK/plan.sh"   # defines SERVICES, IMAGE_*, ONESHOT, NETNS_OF, ARGV_*, ENV_*, VOLS_*, VOLUMES
# shellcheck disable=SC2153 # ONESHOT comes from the plan
: "${ONESHOT[@]}"
UID_IMG="${IMAGE_USER%%:*}"
GID_IMG="${IMAGE_USER##*:}"
vname() { echo "${1//[^A-Za-z0-9]/_}"; }
for s in "${SERVICES[@]}"; do
  ns="${NETNS_OF[$s]}"
  [[ " ${NAMESPACES[*]} " == *" $ns "* ]] || NAMESPACES+=("$ns")
done
mkdir -p "$WORK/logs" "$WORK/bin" "$WORK/volumes"
ln -s "$ROOT/deploy/bin/sscmic" "$WORK/bin/sscmic"

# ---------------------------------------------------------------- the network: one bridge, a namespace per service
make_switch "$P-sw"
i=20
for ns in "${NAMESPACES[@]}"; do
  IP[$ns]="10.78.0.$i"; i=$((i + 1))
done
for ns in "${NAMESPACES[@]}"; do
  plug_host "$P-$ns" "$P-sw" "p${IP[$ns]##*.}" "${IP[$ns]}/24"
  mkdir -p "/etc/netns/$P-$ns"
  { echo "127.0.0.1 localhost"; for other in "${NAMESPACES[@]}"; do echo "${IP[$other]} $other"; done; } \
    > "/etc/netns/$P-$ns/hosts"
done
say "namespaces $P-{${NAMESPACES[*]}} on 10.78.0.0/24, compose service names in their hosts files"

# Named volumes: directories owned as the image's mount points are (a volume takes their owner and mode).
declare -A VOL_INIT=()
for s in "${SERVICES[@]}"; do
  v="$(vname "$s")"; eval "vols=(\"\${VOLS_${v}[@]}\")"
  for spec in "${vols[@]}"; do
    IFS='|' read -r kind src dst _ <<< "$spec"
    if [ "$kind" = volume ] && [ -z "${VOL_INIT[$src]:-}" ]; then
      own="${IMAGE_DIR[$dst]:-root:0755}"
      mkdir -p "$WORK/volumes/$src"
      chmod "${own##*:}" "$WORK/volumes/$src"
      [ "${own%%:*}" = root ] || chown "$UID_IMG:$GID_IMG" "$WORK/volumes/$src"
      VOL_INIT[$src]=1
    fi
  done
done

# run SERVICE: starts it in its namespace (background; PIDS[SERVICE]).
run() {
  local s="$1" v ns argv=() env=() vols=() mounts="" spec kind src dst mode a
  v="$(vname "$s")"; ns="${NETNS_OF[$s]}"
  eval "argv=(\"\${ARGV_${v}[@]}\"); env=(\"\${ENV_${v}[@]}\"); vols=(\"\${VOLS_${v}[@]}\")"
  case "${IMAGE_OF[$s]}" in
    sscmic:*)
      for spec in "${vols[@]}"; do
        IFS='|' read -r kind src dst mode <<< "$spec"
        if [ "$kind" = volume ]; then
          mounts+="mkdir -p '$dst' && mount --bind '$WORK/volumes/$src' '$dst'"
          [ "$mode" = ro ] && mounts+=" && mount -o remount,bind,ro '$dst'"
          mounts+=" && "
        else
          for a in "${!argv[@]}"; do argv[a]="${argv[$a]//$dst/$src}"; done
        fi
      done
      for a in "${!argv[@]}"; do [ "${argv[$a]}" = /usr/local/bin/sscmic ] && argv[a]="$WORK/bin/sscmic"; done
      ip netns exec "$P-$ns" unshare --mount --propagation private -- /bin/sh -c \
        "mount -t tmpfs -o mode=0755 tmpfs /var/lib && ${mounts} exec \"\$@\"" sh \
        setpriv --reuid "$UID_IMG" --regid "$GID_IMG" --clear-groups --no-new-privs \
        env -i PATH="$WORK/bin:/usr/local/bin:/usr/bin:/bin" HOME=/var/lib/sscmic "${IMAGE_ENV[@]}" \
        SSCMIC_JAR="$JAR" JAVA_OPTS="-Xmx160m -XX:+UseSerialGC -XX:TieredStopAtLevel=1" "${env[@]}" "${argv[@]}" \
        >> "$WORK/logs/$s.log" 2>&1 &
      ;;
    traefik/whoami:*)
      local port name
      for a in "${!argv[@]}"; do
        [ "${argv[$a]}" = --port ] && port="${argv[$((a + 1))]}"
        [ "${argv[$a]}" = --name ] && name="${argv[$((a + 1))]}"
      done
      ip netns exec "$P-$ns" python3 -c '
import http.server, sys
name = sys.argv[1]
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = ("Name: %s\n" % name).encode()
        self.send_response(200); self.send_header("content-length", str(len(body))); self.end_headers(); self.wfile.write(body)
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("0.0.0.0", int(sys.argv[2])), H).serve_forever()' "$name" "$port" \
        >> "$WORK/logs/$s.log" 2>&1 &
      ;;
    prom/prometheus:*)
      for spec in "${vols[@]}"; do
        IFS='|' read -r kind src dst mode <<< "$spec"
        [ "$kind" = volume ] && src="$WORK/volumes/$src"   # a named volume: its directory
        mkdir -p "$WORK/rootfs/$s$(dirname "$dst")"; ln -sfn "$src" "$WORK/rootfs/$s$dst"
      done
      for a in "${!argv[@]}"; do argv[a]="${argv[$a]//=\//=$WORK/rootfs/$s/}"; done
      mkdir -p "$WORK/prometheus-data"
      ip netns exec "$P-$ns" /usr/bin/prometheus "${argv[@]}" --storage.tsdb.path="$WORK/prometheus-data" \
        --web.listen-address=0.0.0.0:9090 >> "$WORK/logs/$s.log" 2>&1 &
      ;;
    *)
      say "SKIP $s (${IMAGE_OF[$s]}): not run here"
      return 0
      ;;
  esac
  PIDS[$s]=$!
}
healthy() { # SERVICE: the image's HEALTHCHECK command, in its namespace, with its environment
  local s="$1" v env=()
  v="$(vname "$s")"; eval "env=(\"\${ENV_${v}[@]}\")"
  ip netns exec "$P-${NETNS_OF[$s]}" env -i PATH=/usr/bin:/bin "${IMAGE_ENV[@]}" "${env[@]}" sh -c "$IMAGE_HEALTHCHECK"
}
# The admin ports speak HTTPS (admin.tls, mesh-init's certificate); -k: loopback, readiness only.
ready() { ip netns exec "$P-$1" curl -sfk -m 2 -o /dev/null "https://127.0.0.1:15000/readyz"; }
# /status needs the dashboard password: without it 401, with the generated one (the 0600 file in
# the node's state volume, named in its log) the node's status.
status_needs_password() {
  local s="$1" v vols spec kind src dst state pw
  v="$(vname "$s")"; eval "vols=(\"\${VOLS_${v}[@]}\")"
  for spec in "${vols[@]}"; do
    IFS='|' read -r kind src dst _ <<< "$spec"
    [ "$kind" = volume ] && [ "$dst" = /var/lib/sscmic/state ] && state="$WORK/volumes/$src"
  done
  [ "$(ip netns exec "$P-$s" curl -sk -m 5 -o /dev/null -w '%{http_code}' https://127.0.0.1:15000/status)" = 401 ] \
    || { echo "$s: anonymous /status not refused"; return 1; }
  [ "$(stat -c %a "$state/admin-password")" = 600 ] || { echo "$s: admin-password not 0600"; return 1; }
  pw="$(cat "$state/admin-password")"
  ! grep -qF "$pw" "$WORK/logs/$s.log" || { echo "$s: the password is in the log"; return 1; }
  grep -q "dashboard password for this run is in /var/lib/sscmic/state/admin-password" "$WORK/logs/$s.log" \
    || { echo "$s: the log does not name the file"; return 1; }
  # (-m 60: the first request runs the PBKDF2 check, slow on this test's C1-only, 160 MB JVMs)
  local answer
  answer="$(printf 'user = "admin:%s"\n' "$pw" | ip netns exec "$P-$s" curl -sSk -m 60 -K - https://127.0.0.1:15000/status 2>&1)"
  grep -q "\"node\" : \"${s/sidecar-/node-}\"" <<< "$answer" || { echo "$s: /status with the password: $answer"; return 1; }
}
sscmic_long_running() { local s; for s in "${SERVICES[@]}"; do
  [[ "${IMAGE_OF[$s]}" == sscmic:* ]] && [ "${ONESHOT[$s]}" = 0 ] && echo "$s"; done; }
mapfile -t LONG < <(sscmic_long_running)
mapfile -t SIDECARS < <(for s in "${LONG[@]}"; do v="$(vname "$s")"; eval "a=(\"\${ARGV_${v}[@]}\")"; [[ " ${a[*]} " == *" node "* ]] && echo "$s"; done)
mapfile -t ONESHOTS < <(for s in "${SERVICES[@]}"; do [ "${ONESHOT[$s]}" = 1 ] && echo "$s"; done)

up() { # one `docker compose up`: one-shot services to completion, then the rest
  local round="$1" s
  for s in "${ONESHOTS[@]}"; do
    run "$s"
    if wait "${PIDS[$s]}"; then pass "up #$round: $s completed (exit 0)"; else fail "up #$round: $s failed"; return 1; fi
    unset 'PIDS[$s]'
  done
  for s in "${SERVICES[@]}"; do [ "${ONESHOT[$s]}" = 1 ] || run "$s"; done
  for s in "${LONG[@]}"; do
    if wait_for 90 "$s healthy" healthy "$s"; then pass "up #$round: $s passes the image's HEALTHCHECK"; else fail "up #$round: $s unhealthy"; fi
  done
  for s in "${SIDECARS[@]}"; do
    if wait_for 90 "$s ready" ready "$s"; then pass "up #$round: $s ready (/readyz)"; else fail "up #$round: $s not ready"; fi
  done
  for s in "${SIDECARS[@]}"; do
    if status_needs_password "$s"; then
      pass "up #$round: $s: /status is 401 without the password, 200 with the one in its 0600 admin-password file (not in the log)"
    else
      fail "up #$round: $s: /status and the generated password"
    fi
  done
}
traffic() { # every sidecar calls every outbound route of its config; the answer names the service
  local round="$1" s v vols cfg ok=0 total=0 line port svc answer
  for s in "${SIDECARS[@]}"; do
    v="$(vname "$s")"; eval "vols=(\"\${VOLS_${v}[@]}\")"
    cfg="$(printf '%s\n' "${vols[@]}" | sed -n 's/^bind|\([^|]*\)|\/etc\/sscmic\/node.yaml|.*/\1/p')"
    while IFS= read -r line; do
      port="$(sed -n 's/.*listen: "127.0.0.1:\([0-9]*\)".*/\1/p' <<< "$line")"
      svc="$(sed -n 's/.*service: \([a-z-]*\).*/\1/p' <<< "$line")"
      total=$((total + 1))
      answer="$(ip netns exec "$P-$s" curl -sf -m 5 "http://127.0.0.1:$port/" || true)"
      if [ "$answer" = "Name: $svc" ]; then ok=$((ok + 1)); else say "  $s -> $svc (127.0.0.1:$port) answered '$answer'"; fi
    done < <(grep -E '^  - \{listen:' "$cfg")
  done
  if [ "$total" -ge 6 ] && [ "$ok" = "$total" ]; then
    pass "up #$round: $ok/$total service-to-service calls through the tunnels answered by the right service"
  else
    fail "up #$round: $ok/$total calls answered"
  fi
}

# ---------------------------------------------------------------- up, traffic, Prometheus
up 1
traffic 1
targets_up() {
  local n
  n="$(ip netns exec "$P-prometheus" curl -sf -m 2 'http://127.0.0.1:9090/api/v1/query?query=sum(up)' \
    | sed -n 's/.*"value":\[[0-9.]*,"\([0-9.]*\)".*/\1/p')"
  [ "${n:-0}" = "$(( ${#LONG[@]} ))" ]
}
if [ -n "${PIDS[prometheus]:-}" ]; then
  if wait_for 60 "Prometheus to scrape every target" targets_up; then
    pass "Prometheus with deploy/docker/prometheus.yml scrapes all ${#LONG[@]} targets (sum(up) = ${#LONG[@]})"
  else
    fail "Prometheus does not have all targets up"
  fi
fi
enrolled_1="$(cat "$WORK"/logs/sidecar-*.log | grep -c 'enrolled with the authority' || true)"

# ---------------------------------------------------------------- a second `up` on the same volumes
say "stopping every service (SIGTERM), then up again on the same volumes"
for s in "${!PIDS[@]}"; do kill -TERM "${PIDS[$s]}" 2>/dev/null || true; done
for s in "${!PIDS[@]}"; do
  for _ in $(seq 1 60); do kill -0 "${PIDS[$s]}" 2>/dev/null || break; sleep 0.25; done
  kill -KILL "${PIDS[$s]}" 2>/dev/null || true; wait "${PIDS[$s]}" 2>/dev/null || true
  unset 'PIDS[$s]'
done
for ns in "${NAMESPACES[@]}"; do
  for p in $(ip netns pids "$P-$ns"); do kill -KILL "$p" 2>/dev/null || true; done
done
sleep 0.5
up 2
traffic 2
enrolled_2="$(cat "$WORK"/logs/sidecar-*.log | grep -c 'enrolled with the authority' || true)"
if [ "$enrolled_1" = "${#SIDECARS[@]}" ] && [ "$enrolled_2" = "$enrolled_1" ]; then
  pass "the sidecars enrolled once (first up) and came back from their state volumes without re-enrolling"
else
  fail "enrollments: $enrolled_1 after the first up, $enrolled_2 after the second (expected ${#SIDECARS[@]} both times)"
fi

echo "compose-netns: $PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]

#!/usr/bin/env bash
# Checks of the files an operator runs (deploy/), run by .ci/run after `mvn -B verify`:
#   - the fat jar: --version, and --help for every command; the start script deploy/bin/sscmic
#   - shellcheck on every shell script in deploy/
#   - systemd units: `systemd-analyze verify` with no warning at all, `systemd-analyze security
#     --offline=yes` exposure at most 2.0, and the hardening settings the issue asks for
#   - compose: `docker-compose config -q` (schema validation, no daemon needed)
#   - Prometheus config of the compose mesh: `promtool check config` (with the alert rules)
#   - Kubernetes: `kubectl kustomize` (offline; `kubectl apply --dry-run=client` needs an API
#     server for discovery, which these machines do not have) and check-static.js (schema
#     validation with kubernetes-models, Dockerfile lint with dockerfile-utils, properties)
#   - mutations: each check above is run on a deliberately broken copy and must fail, so that a
#     check which cannot fail is caught.
# Needs: root, java, node/npm, systemd-analyze, shellcheck, docker-compose, promtool, python3-seccomp,
# kubectl (optional).
# Usage: deploy/test/check-deploy-files.sh [path/to/sscmic.jar]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
JAR="${1:-$ROOT/gateway/target/sscmic.jar}"
TEST_DIR="$ROOT/deploy/test"
PASSED=0
FAILED=0
TMP="$(mktemp -d /tmp/sscmic-deploy-check.XXXXXX)"
trap 'rm -rf "$TMP"' EXIT

pass() { PASSED=$((PASSED + 1)); echo "PASS $*"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL $*"; }
# expect_ok WHAT CMD...: passes when CMD exits 0 (its output is shown only on failure)
expect_ok() {
  local what="$1"; shift
  if "$@" > "$TMP/out" 2>&1; then pass "$what"; else fail "$what"; sed 's/^/    /' "$TMP/out" | tail -n 30; fi
}
# expect_fail WHAT CMD...: passes when CMD exits non-zero (a mutation was caught)
expect_fail() {
  local what="$1"; shift
  if "$@" > "$TMP/out" 2>&1; then fail "$what (the check did not notice)"; else pass "$what"; fi
}

# ---------------------------------------------------------------- the artifact
[ -f "$JAR" ] || { echo "check-deploy-files: $JAR missing: run mvn -B -DskipTests package first" >&2; exit 2; }
version_ok() { java -jar "$JAR" --version | grep -Eq '^sscmic [0-9]+\.[0-9]+\.[0-9]+'; }
expect_ok "sscmic.jar --version prints a version" version_ok
for cmd in demo node init authority token reseed seed admin-password; do
  help_ok() { java -jar "$JAR" "$1" --help | grep -q "^Usage: sscmic $1"; }
  expect_ok "sscmic $cmd --help explains $cmd" help_ok "$cmd"
done
start_script_ok() { SSCMIC_JAR="$JAR" "$ROOT/deploy/bin/sscmic" --version | grep -q '^sscmic '; }
expect_ok "deploy/bin/sscmic (start script) runs the jar" start_script_ok

# ---------------------------------------------------------------- shell scripts
scripts=("$ROOT"/deploy/local/*.sh "$ROOT"/deploy/test/*.sh "$ROOT"/deploy/bin/sscmic "$ROOT"/deploy/bin/sscmic-cds)
expect_ok "shellcheck (every severity) on ${#scripts[@]} scripts in deploy/" shellcheck -x "${scripts[@]}"

# ---------------------------------------------------------------- systemd
systemd_verify() { # DIR UNIT: no output at all (verify exits 0 on unknown keys and bad values, but prints them)
  local out
  out="$(cd "$1" && systemd-analyze verify "./$2" 2>&1)" || { echo "$out"; return 1; }
  [ -z "$out" ] || { echo "$out"; return 1; }
}
# (the threshold is in tenths: 20 is an overall exposure of 2.0 on the 0-10 scale)
systemd_security() { (cd "$1" && systemd-analyze security --offline=yes --threshold=20 "./$2" >/dev/null); }
systemd_hardening() { # FILE: the settings the issue asks for
  local f="$1"
  grep -Eq '^(User=sscmic|DynamicUser=yes)$' "$f" && grep -q '^ProtectSystem=strict$' "$f" \
    && grep -q '^NoNewPrivileges=yes$' "$f" && grep -q '^StateDirectory=' "$f" \
    && grep -q '^StateDirectoryMode=0700$' "$f" && grep -q '^CapabilityBoundingSet=$' "$f"
}
mkdir -p "$TMP/systemd"
cp "$ROOT"/deploy/systemd/*.service "$TMP/systemd/"
for unit in sscmic-authority.service sscmic-node@orders.service; do
  expect_ok "systemd-analyze verify $unit: no warning" systemd_verify "$TMP/systemd" "$unit"
  expect_ok "systemd-analyze security $unit: exposure <= 2.0" systemd_security "$TMP/systemd" "$unit"
done
for f in "$ROOT"/deploy/systemd/*.service; do
  expect_ok "$(basename "$f"): dedicated user, ProtectSystem=strict, NoNewPrivileges, StateDirectory 0700, no capabilities" \
    systemd_hardening "$f"
done
expect_ok "sscmic.sysusers.conf creates the user sscmic" grep -q '^u sscmic ' "$ROOT/deploy/systemd/sscmic.sysusers.conf"

# The units' SystemCallFilter= applied to the real processes (seccomp, as systemd would: anything
# outside the filter kills the process): init, an authority and a node under their unit's filter,
# in a network namespace of their own; the node enrolls, turns ready and carries a call through its
# own tunnel. Needs root and Debian's python3-seccomp.
seccomp_run() { # UNIT COMMAND...
  local unit="$1"; shift
  /usr/bin/python3 "$TEST_DIR/unit-seccomp.py" "$ROOT/deploy/systemd/$unit" -- "$@"
}
units_under_seccomp() {
  local ns="sscmic-t-sc-$$" d="$TMP/seccomp" apid npid rc=1
  mkdir -p "$d/state" && chmod 700 "$d/state"
  ip netns add "$ns" && ip -n "$ns" link set lo up
  seccomp_run sscmic-authority.service java -jar "$JAR" init --dir "$d/mesh" --interval 2s --allow-short-interval \
    --listen 127.0.0.1:8443 --admin 127.0.0.1:15100 >/dev/null
  ip netns exec "$ns" /usr/bin/python3 "$TEST_DIR/unit-seccomp.py" "$ROOT/deploy/systemd/sscmic-authority.service" -- \
    java -Xmx128m -jar "$JAR" authority --config "$d/mesh/authority.yaml" > "$d/authority.log" 2>&1 &
  apid=$!
  seccomp_run sscmic-authority.service java -jar "$JAR" token --config "$d/mesh/authority.yaml" --node sc-1 \
    > "$d/token" 2>/dev/null
  genesis="$(sed -n 's/^  genesis: \([^ ]*\).*/\1/p' "$d/mesh/authority.yaml")"
  printf '%s\n' "node: {id: sc-1}" "keysyn: {genesis: \"$genesis\", interval: 2s}" \
    "authority: {url: \"https://127.0.0.1:8443\", ca-file: $d/mesh/ca.crt, state-dir: $d/state, token-file: $d/token}" \
    "tunnel: {listen: \"127.0.0.1:7443\"}" "admin: {listen: \"127.0.0.1:15000\"}" \
    "services: {authority-admin: \"127.0.0.1:15100\"}" \
    "outbound: [{listen: \"127.0.0.1:9001\", service: authority-admin, peer: \"127.0.0.1:7443\"}]" > "$d/node.yaml"
  ip netns exec "$ns" /usr/bin/python3 "$TEST_DIR/unit-seccomp.py" "$ROOT/deploy/systemd/sscmic-node@.service" -- \
    java -Xmx128m -jar "$JAR" node --config "$d/node.yaml" > "$d/node.log" 2>&1 &
  npid=$!
  local _ genesis
  for _ in $(seq 1 150); do
    if ip netns exec "$ns" curl -sf -m 2 http://127.0.0.1:15000/readyz >/dev/null 2>&1; then break; fi
    sleep 0.2
  done
  if [ "$(ip netns exec "$ns" curl -sf -m 5 http://127.0.0.1:9001/healthz 2>/dev/null)" = ok ] \
     && kill -0 "$apid" 2>/dev/null && kill -0 "$npid" 2>/dev/null; then
    rc=0
  else
    echo "authority log:"; tail -n 5 "$d/authority.log"; echo "node log:"; tail -n 5 "$d/node.log"
  fi
  kill -TERM "$apid" "$npid" 2>/dev/null
  wait "$npid" 2>/dev/null
  local nrc=$?
  wait "$apid" 2>/dev/null
  for p in $(ip netns pids "$ns"); do kill -KILL "$p" 2>/dev/null; done
  ip netns del "$ns"
  # 0 or 143 (SIGTERM) are clean ends; 159 would be SIGSYS from the filter during the drain.
  if [ "$nrc" = 159 ]; then echo "the node was killed by the filter while stopping"; rc=1; fi
  return "$rc"
}
if [ "$(id -u)" = 0 ] && /usr/bin/python3 -c 'import seccomp' 2>/dev/null; then
  expect_ok "systemd SystemCallFilter (seccomp): init, authority and node run under their units' filters; the node enrolls, turns ready and carries a call through its tunnel" units_under_seccomp
else
  fail "systemd SystemCallFilter check needs root and python3-seccomp"
fi
narrow_filter_kills() { # the emulation can fail: a filter without @process kills the JVM
  printf 'SystemCallFilter=@basic-io @file-system @io-event\n' > "$TMP/narrow.service"
  /usr/bin/python3 "$TEST_DIR/unit-seccomp.py" "$TMP/narrow.service" -- java -jar "$JAR" --version
}
expect_fail "mutant: a filter without @process kills the JVM (SIGSYS)" narrow_filter_kills

# ---------------------------------------------------------------- compose and Prometheus
expect_ok "docker-compose config: deploy/docker/compose.yaml valid" \
  docker-compose --project-directory "$ROOT/deploy/docker" -f "$ROOT/deploy/docker/compose.yaml" config -q
# The checks from here on read YAML with node (deploy/test/package.json).
if [ ! -d "$TEST_DIR/node_modules/kubernetes-models" ]; then
  (cd "$TEST_DIR" && npm ci --no-audit --no-fund --loglevel=error)
fi
expect_ok "docker-compose config: compose.yaml with the HA overlay compose.ha.yaml (3 etcd, 3 authorities) valid" \
  docker-compose --project-directory "$ROOT/deploy/docker" -f "$ROOT/deploy/docker/compose.yaml" \
  -f "$ROOT/deploy/docker/compose.ha.yaml" config -q
# The HA overlay's mesh-init script, run as written (compose's $$ unescaped) with its volumes moved
# to a temporary directory, twice: the mesh, a 0600 KEK and one etcd section in authority.yaml;
# the other replicas' directories without ca.key and seed; the second run changes nothing; and the
# sidecars list the three replicas.
compose_ha_init() {
  local d="$TMP/compose-ha" script r
  mkdir -p "$d/authority" "$d/shared" "$d/authority-1" "$d/authority-2"
  chmod 700 "$d"/*
  script="$(cd "$TEST_DIR" && node -e '
    const c = require("yaml").parse(require("fs").readFileSync(process.argv[1], "utf8"));
    console.log(c.services["mesh-init"].command[0]);' "$ROOT/deploy/docker/compose.ha.yaml")"
  [ -n "$script" ] || { echo "no mesh-init script in compose.ha.yaml"; return 1; }
  script="${script//\$\$/\$}"
  script="${script//\/var\/lib\/sscmic-authority-/$d/authority-}"
  script="${script//\/var\/lib\/sscmic-authority/$d/authority}"
  script="${script//\/var\/lib\/sscmic-shared/$d/shared}"
  for run in first second; do
    PATH="$ROOT/deploy/bin:$PATH" SSCMIC_JAR="$JAR" sh -c "$script" > "$d/$run.log" 2>&1 || { cat "$d/$run.log"; return 1; }
    [ "$run" = first ] && cp "$d/authority-1/authority.yaml" "$d/replica1.before"
  done
  [ "$(grep -c '^etcd:' "$d/authority/authority.yaml")" = 1 ] || { echo "etcd section count wrong"; return 1; }
  [ "$(stat -c %a "$d/authority/kek")" = 600 ] || { echo "kek mode $(stat -c %a "$d/authority/kek")"; return 1; }
  for r in 1 2; do
    if ! { [ -f "$d/authority-$r/authority.yaml" ] && [ -f "$d/authority-$r/kek" ] && [ -f "$d/authority-$r/ca.crt" ] \
           && [ ! -e "$d/authority-$r/ca.key" ] && [ ! -e "$d/authority-$r/seed" ]; }; then
      echo "replica $r directory: $(ls "$d/authority-$r")"; return 1
    fi
  done
  cmp -s "$d/replica1.before" "$d/authority-1/authority.yaml" || { echo "the second run changed replica 1"; return 1; }
  openssl x509 -in "$d/authority/authority.crt" -noout -ext subjectAltName | grep -q 'DNS:authority-2' \
    || { echo "the authority certificate does not name authority-2"; return 1; }
  docker-compose --project-directory "$ROOT/deploy/docker" -f "$ROOT/deploy/docker/compose.yaml" \
    -f "$ROOT/deploy/docker/compose.ha.yaml" config | grep -c 'SSCMIC_AUTHORITY_URL: https://authority:8443,https://authority-1:8443,https://authority-2:8443' \
    | grep -qx 3
}
expect_ok "compose HA overlay: mesh-init makes the KEK, the etcd section and the replicas' directories without ca.key, once; the sidecars list three URLs" compose_ha_init
mkdir -p "$TMP/prom"
cp "$ROOT/deploy/docker/prometheus.yml" "$ROOT/deploy/prometheus/sscmic-alerts.yml" "$TMP/prom/"
expect_ok "promtool check config: deploy/docker/prometheus.yml with the alert rules" \
  promtool check config "$TMP/prom/prometheus.yml"

# ---------------------------------------------------------------- the image's build stage, without Docker
# The build context the Dockerfile sees (the repository's files that Dockerfile.dockerignore lets
# through), and the build stage's own `mvn` command from the Dockerfile, run offline on it: fails
# when the image would not build (a module missing from the context, a main class needing test code).
docker_build_stage() {
  local ctx="$TMP/docker-context" f pat keep
  rm -rf "$ctx"; mkdir -p "$ctx"
  mapfile -t allow < <(sed -n 's/^!\(.*\)$/\1/p' "$ROOT/deploy/docker/Dockerfile.dockerignore")
  while IFS= read -r f; do
    keep=0
    for pat in "${allow[@]}"; do
      # shellcheck disable=SC2053 # the pattern is a glob on purpose (** and * match across /)
      [[ "$f" == ${pat//\*\*/*} ]] && keep=1
    done
    if [ "$keep" = 1 ]; then mkdir -p "$ctx/$(dirname "$f")"; cp -p "$ROOT/$f" "$ctx/$f"; fi
  done < <(cd "$ROOT" && git ls-files)
  local cmd
  cmd="$(sed -n 's/^RUN --mount=type=cache,target=\/root\/.m2 \(mvn [^\\]*\).*/\1/p' "$ROOT/deploy/docker/Dockerfile")"
  [ -n "$cmd" ] || { echo "no mvn RUN line found in the Dockerfile"; return 1; }
  echo "context: $(find "$ctx" -type f | wc -l) files; running: $cmd -o"
  (cd "$ctx" && $cmd -o) && java -jar "$ctx/gateway/target/sscmic.jar" --version \
    && [ -x "$ctx/deploy/bin/sscmic" ]
}
if git -C "$ROOT" rev-parse --git-dir >/dev/null 2>&1; then
  expect_ok "Dockerfile build stage: its mvn command builds sscmic.jar from the .dockerignore'd context (offline)" docker_build_stage
else
  echo "SKIP Dockerfile build stage: not a git checkout"
fi

# ---------------------------------------------------------------- Kubernetes and the static checks
if command -v kubectl >/dev/null 2>&1; then
  kustomize_ok() { kubectl kustomize "$1" > "$TMP/kustomized.yaml" && [ "$(grep -c '^kind:' "$TMP/kustomized.yaml")" -ge 6 ]; }
  expect_ok "kubectl kustomize deploy/kubernetes (offline build of every manifest)" kustomize_ok "$ROOT/deploy/kubernetes"
else
  echo "SKIP kubectl kustomize: kubectl not installed"
fi
if node "$TEST_DIR/check-static.js" "$ROOT" > "$TMP/static.out" 2>&1; then
  pass "check-static.js: $(tail -n 1 "$TMP/static.out")"
else
  fail "check-static.js: $(tail -n 1 "$TMP/static.out")"; grep '^FAIL' "$TMP/static.out" | sed 's/^/    /'
fi

# The authority's init container script (deploy/kubernetes/authority.yaml), run as written with
# the volume's path moved to a temporary directory: it creates the mesh once, keeps it on the next
# start, and the authority's certificate names the Service's DNS names that the nodes use.
k8s_init_script() {
  local d="$TMP/k8s-init" script cert
  mkdir -p "$d"
  script="$(cd "$TEST_DIR" && node -e '
    const YAML = require("yaml"); const fs = require("fs");
    for (const o of YAML.parseAllDocuments(fs.readFileSync(process.argv[1], "utf8")).map((x) => x.toJS())) {
      if (o && o.kind === "StatefulSet") for (const c of o.spec.template.spec.initContainers || []) {
        if (c.command.join(" ") === "/bin/sh -c") console.log(c.args[0]);
      }
    }' "$ROOT/deploy/kubernetes/authority.yaml")"
  [ -n "$script" ] || { echo "no init container script found"; return 1; }
  script="${script//\/var\/lib\/sscmic-authority/$d}"
  PATH="$ROOT/deploy/bin:$PATH" SSCMIC_JAR="$JAR" sh -c "$script" > "$d/first.log" 2>&1 || { cat "$d/first.log"; return 1; }
  [ -f "$d/mesh/authority.yaml" ] || { echo "no mesh created"; return 1; }
  cp "$d/mesh/seed" "$d/seed.before"
  PATH="$ROOT/deploy/bin:$PATH" SSCMIC_JAR="$JAR" sh -c "$script" > "$d/second.log" 2>&1 || { cat "$d/second.log"; return 1; }
  if ! grep -q "mesh exists" "$d/second.log" || ! cmp -s "$d/seed.before" "$d/mesh/seed"; then
    echo "second start changed the mesh"; return 1
  fi
  cert="$(openssl x509 -in "$d/mesh/authority.crt" -noout -ext subjectAltName)"
  if ! grep -Eq 'DNS:sscmic-authority\.sscmic\.svc(,|$)' <<< "$cert" || ! grep -Eq 'DNS:sscmic-authority(,|$)' <<< "$cert"; then
    echo "authority certificate SANs: $cert"; return 1
  fi
  # The admin port's TLS, added once (the second start keeps it), where the Secret is mounted.
  [ "$(grep -c '^  tls:' "$d/mesh/authority.yaml")" = 1 ] || { echo "admin.tls added $(grep -c '^  tls:' "$d/mesh/authority.yaml") times"; return 1; }
  (cd "$TEST_DIR" && node -e '
    const a = require("yaml").parse(require("fs").readFileSync(process.argv[1], "utf8")).admin;
    process.exit(a.listen === "0.0.0.0:15100" && a.tls["cert-file"] === "/etc/sscmic/admin-tls/tls.crt"
      && a.tls["key-file"] === "/etc/sscmic/admin-tls/tls.key" ? 0 : 1);' "$d/mesh/authority.yaml") \
    || { echo "authority.yaml admin section:"; sed -n '/^admin:/,$p' "$d/mesh/authority.yaml"; return 1; }
  grep -q "genesis: 2026-01-01T00:00:00Z" "$d/mesh/authority.yaml" && grep -q "listen: 0.0.0.0:8443" "$d/mesh/authority.yaml"
}
expect_ok "Kubernetes: the authority's init container script creates the mesh once, keeps it on restart, certificate names the Service, admin port with TLS" k8s_init_script

# The HA overlay (deploy/kubernetes-ha: three etcd members, three authority replicas): kustomize
# builds it, every object it renders passes the Kubernetes schema, and its init container script,
# run as written with the volume and the Secret moved to a temporary directory, makes the mesh, the
# KEK and the etcd section on replica 0; on replica 1 it refuses to start without the Secret, then
# takes replica 0's directory (as the runbook puts it in the Secret) without ca.key and seed.
k8s_ha() {
  local d="$TMP/k8s-ha" script
  mkdir -p "$d"
  kubectl kustomize "$ROOT/deploy/kubernetes-ha" > "$d/all.yaml" || return 1
  # shellcheck disable=SC2016 # JavaScript, not shell: ${...} is a template literal
  (cd "$TEST_DIR" && node -e '
    const YAML = require("yaml"); const fs = require("fs");
    let n = 0, bad = [];
    for (const o of YAML.parseAllDocuments(fs.readFileSync(process.argv[1], "utf8")).map((x) => x.toJS())) {
      if (!o) continue;
      const [group, version] = o.apiVersion.includes("/") ? o.apiVersion.split("/") : [null, o.apiVersion];
      const mod = group ? `kubernetes-models/${group}/${version}/${o.kind}` : `kubernetes-models/v1/${o.kind}`;
      try { const M = require(mod)[o.kind]; new M(o).validate(); n++; } catch (e) { bad.push(o.kind + "/" + o.metadata.name + ": " + e.message); }
      if (o.kind === "StatefulSet" && o.metadata.name === "sscmic-authority" && o.spec.replicas !== 3) bad.push("authority replicas " + o.spec.replicas);
      if (o.kind === "StatefulSet" && o.metadata.name === "sscmic-etcd" && o.spec.replicas !== 3) bad.push("etcd replicas " + o.spec.replicas);
    }
    if (bad.length) { console.log(bad.join("\n")); process.exit(1); }
    console.log(n + " objects valid");' "$d/all.yaml") || return 1
  script="$(cd "$TEST_DIR" && node -e '
    const YAML = require("yaml"); const fs = require("fs");
    for (const o of YAML.parseAllDocuments(fs.readFileSync(process.argv[1], "utf8")).map((x) => x.toJS())) {
      if (o && o.kind === "StatefulSet" && o.metadata.name === "sscmic-authority") console.log(o.spec.template.spec.initContainers[0].args[0]);
    }' "$d/all.yaml")"
  [ -n "$script" ] || { echo "no init script"; return 1; }
  script="${script//\/var\/lib\/sscmic-authority/$d/r}"
  script="${script//\/etc\/sscmic\/replica/$d/secret}"
  mkdir -p "$d/r0" "$d/r1" "$d/secret"
  local s0="${script//$d\/r/$d/r0}" s1="${script//$d\/r/$d/r1}"
  HOSTNAME=sscmic-authority-0 PATH="$ROOT/deploy/bin:$PATH" SSCMIC_JAR="$JAR" sh -c "$s0" > "$d/r0.log" 2>&1 || { cat "$d/r0.log"; return 1; }
  if ! { [ "$(stat -c %a "$d/r0/mesh/kek")" = 600 ] && grep -q '^etcd:' "$d/r0/mesh/authority.yaml" \
         && [ -f "$d/r0/mesh/ca.key" ]; }; then
    echo "replica 0: $(ls "$d/r0/mesh")"; return 1
  fi
  if HOSTNAME=sscmic-authority-1 sh -c "$s1" > "$d/r1-nosecret.log" 2>&1 || ! grep -q "no Secret sscmic-authority-replica" "$d/r1-nosecret.log"; then
    echo "replica 1 without the Secret: $(cat "$d/r1-nosecret.log")"; return 1
  fi
  for f in authority.yaml authority.crt authority.key ca.crt kek token.key anchor; do cp "$d/r0/mesh/$f" "$d/secret/"; done
  HOSTNAME=sscmic-authority-1 sh -c "$s1" > "$d/r1.log" 2>&1 || { cat "$d/r1.log"; return 1; }
  if ! { [ -f "$d/r1/mesh/kek" ] && [ ! -e "$d/r1/mesh/ca.key" ] && [ ! -e "$d/r1/mesh/seed" ] \
         && [ "$(grep -c '^etcd:' "$d/r1/mesh/authority.yaml")" = 1 ] \
         && [ "$(grep -c '^  tls:' "$d/r1/mesh/authority.yaml")" = 1 ]; }; then
    echo "replica 1: $(ls "$d/r1/mesh")"; return 1
  fi
}
if command -v kubectl >/dev/null 2>&1; then
  expect_ok "Kubernetes HA overlay (deploy/kubernetes-ha): builds, every object valid, replica 0 makes the mesh, KEK and etcd section, replica 1 waits for the Secret then starts without ca.key" k8s_ha
else
  echo "SKIP Kubernetes HA overlay: kubectl not installed"
fi

# ---------------------------------------------------------------- mutations: every check can fail
M="$TMP/mutant"
fresh_copy() { # a copy of the repository's deploy/ (and what its COPY lines read) to break
  rm -rf "$M"; mkdir -p "$M"
  (cd "$ROOT" && tar --exclude=node_modules -cf - deploy) | tar -xf - -C "$M"
  for p in pom.xml keysyn-verticle authority admin-ui gateway; do ln -s "$ROOT/$p" "$M/$p"; done
}
static_on_mutant() { NODE_PATH="$TEST_DIR/node_modules" node "$TEST_DIR/check-static.js" "$M"; }
mutate() { # FILE SED-EXPRESSION: applies it and insists that it changed something
  local before; before="$(md5sum "$M/$1")"
  sed -i "$2" "$M/$1"
  [ "$before" != "$(md5sum "$M/$1")" ] || { echo "mutation '$2' did not change $1" >&2; exit 3; }
}
fresh_copy; mutate deploy/docker/Dockerfile '/^USER /d'
expect_fail "mutant: Dockerfile without USER is refused" static_on_mutant
fresh_copy; mutate deploy/docker/Dockerfile 's#/healthz#/health#'
expect_fail "mutant: HEALTHCHECK on /health instead of /healthz is refused" static_on_mutant
fresh_copy; mutate deploy/docker/Dockerfile 's#^FROM eclipse-temurin:[^ ]*#FROM eclipse-temurin:latest#'
expect_fail "mutant: an unpinned base image is refused" static_on_mutant
fresh_copy; mutate deploy/docker/Dockerfile 's#^HEALTHCHECK --interval#HEALTHCHECK --intervall#'
expect_fail "mutant: a Dockerfile syntax error (unknown flag) is refused by the lint" static_on_mutant
fresh_copy; mutate deploy/docker/compose.yaml 's#network_mode: "service:sidecar-b"#network_mode: "host"#'
expect_fail "mutant: a sample service outside its sidecar's namespace is refused" static_on_mutant
fresh_copy; mutate deploy/docker/compose.yaml 's#^    network_mode:#    network_mod:#'
expect_fail "mutant: an unknown compose key is refused by docker-compose config" \
  docker-compose --project-directory "$M/deploy/docker" -f "$M/deploy/docker/compose.yaml" config -q
fresh_copy; mutate deploy/docker/compose.ha.yaml 's#^    cap_add: \[CHOWN\]#    cap_ad: [CHOWN]#'
expect_fail "mutant: an unknown key in the HA overlay is refused by docker-compose config" \
  docker-compose --project-directory "$M/deploy/docker" -f "$M/deploy/docker/compose.yaml" -f "$M/deploy/docker/compose.ha.yaml" config -q
fresh_copy; mutate deploy/kubernetes/sidecar-example.yaml 's#path: /readyz#path: /ready#'
expect_fail "mutant: sidecar readiness not on /readyz is refused" static_on_mutant
fresh_copy; mutate deploy/kubernetes/sidecar-example.yaml 's#containerPort: 8080#containerPort: "http-8080"#'
expect_fail "mutant: a string containerPort is refused by the Kubernetes schema" static_on_mutant
fresh_copy; mutate deploy/kubernetes/authority.yaml '/^  volumeClaimTemplates:/,/storage: 1Gi/d'
expect_fail "mutant: an authority without a PersistentVolume is refused" static_on_mutant
fresh_copy; mutate deploy/kubernetes/sidecar-example.yaml '/preStop:/,/command: \["sleep", "5"\]/d'
expect_fail "mutant: a sidecar without preStop is refused" static_on_mutant
fresh_copy; mutate deploy/kubernetes/sidecar-example.yaml '/^    - from:/,/^        - {port: 7443, protocol: TCP}/{/from:/!d}; s/^    - from:/    - ports: [{port: 7443, protocol: TCP}]/'
expect_fail "mutant: a NetworkPolicy that admits anyone to the tunnel port is refused" static_on_mutant
fresh_copy; mutate deploy/kubernetes/authority.yaml 's#app.kubernetes.io/name: prometheus#app.kubernetes.io/part-of: sscmic#'
expect_fail "mutant: the authority's admin port open to every SSCMIC Pod is refused" static_on_mutant
fresh_copy; mutate deploy/kubernetes/sidecar-example.yaml '/^      tls: /,/^        key-file:/d'
expect_fail "mutant: a sidecar admin port without TLS is refused" static_on_mutant
fresh_copy; mutate deploy/kubernetes/intercept-example.yaml '0,/^                - NET_ADMIN$/s//                - SYS_ADMIN/'
expect_fail "mutant: interception's init container with SYS_ADMIN instead of NET_ADMIN is refused" static_on_mutant
fresh_copy; mutate deploy/kubernetes/intercept-example.yaml '0,/^            allowPrivilegeEscalation: false$/s//            runAsUser: 0\n            allowPrivilegeEscalation: false/'
expect_fail "mutant: the injected application container run as root is refused" static_on_mutant
fresh_copy; mutate deploy/kubernetes/sidecar-example.yaml '0,/^              drop: \["ALL"\]$/s//              drop: ["ALL"]\n              add: ["NET_ADMIN"]/'
expect_fail "mutant: a gateway with NET_ADMIN outside an injected template is refused" static_on_mutant
fresh_copy; mutate deploy/docker/prometheus.yml 's#^    scheme: https#    scheme: http#'
expect_fail "mutant: Prometheus scraping the compose admin ports in plain http is refused" static_on_mutant
fresh_copy; mutate deploy/docker/nodes/node-b.yaml '/^  tls:/,/key-file:/d'
expect_fail "mutant: a compose sidecar admin port without TLS is refused" static_on_mutant
fresh_copy; mutate deploy/systemd/sscmic-authority.service 's#^ProtectSystem=strict#ProtectSystem=stric#'
cp "$M"/deploy/systemd/*.service "$M/"
expect_fail "mutant: a bad systemd value is refused by systemd_verify" systemd_verify "$M" sscmic-authority.service
fresh_copy; mutate deploy/systemd/sscmic-node@.service '/^NoNewPrivileges=yes/d'
expect_fail "mutant: a node unit without NoNewPrivileges is refused" systemd_hardening "$M/deploy/systemd/sscmic-node@.service"

echo "deploy-files: $PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]

#!/usr/bin/env node
// Static checks of the container and Kubernetes files in deploy/ (no Docker engine, no cluster):
//   - deploy/docker/Dockerfile: linted by dockerfile-utils (the Dockerfile language service's
//     validator; hadolint is not in the registries reachable here) and parsed by dockerfile-ast to
//     assert what the issue asks: multi-stage (Maven build, JRE runtime), base images pinned to a
//     version tag, a non-root USER last, a HEALTHCHECK on /healthz, an exec-form ENTRYPOINT.
//   - deploy/docker/compose.yaml: an authority, three sidecars each with a sample service in its
//     network namespace, Prometheus with the alert rules, Grafana provisioned with the dashboard;
//     every file it mounts exists; node configs point at the right peers.
//   - deploy/kubernetes/*.yaml: every object validated against the Kubernetes OpenAPI schema
//     (kubernetes-models), plus the properties the issue asks: authority StatefulSet with a
//     PersistentVolume and a Service, sidecar with ConfigMap, token Secret, Prometheus scrape
//     annotations, readiness on /readyz, a preStop hook; no RBAC objects, no ServiceAccount token.
// Usage: node check-static.js [REPO_ROOT]   (default: two levels up). Exit 1 on any failure.
"use strict";
const fs = require("fs");
const path = require("path");
const YAML = require("yaml");
const { DockerfileParser } = require("dockerfile-ast");
const { validate: lintDockerfile } = require("dockerfile-utils");

const root = path.resolve(process.argv[2] || path.join(__dirname, "..", ".."));
let passed = 0;
let failed = 0;
function check(ok, what, detail) {
  if (ok) {
    passed++;
    console.log(`PASS ${what}`);
  } else {
    failed++;
    console.log(`FAIL ${what}${detail ? ": " + detail : ""}`);
  }
}
function read(rel) {
  return fs.readFileSync(path.join(root, rel), "utf8");
}

// ------------------------------------------------------------------ Dockerfile
function checkDockerfile() {
  const rel = "deploy/docker/Dockerfile";
  const text = read(rel);
  const problems = lintDockerfile(text, {}).filter((d) => d.severity === 1 || d.severity === 2);
  check(problems.length === 0, `${rel}: dockerfile-utils lint clean`,
    problems.map((d) => `line ${d.range.start.line + 1}: ${d.message}`).join("; "));

  const df = DockerfileParser.parse(text);
  const froms = df.getFROMs();
  check(froms.length >= 2, `${rel}: multi-stage (${froms.length} stages)`);
  const images = froms.map((f) => f.getImageName() + (f.getImageTag() ? ":" + f.getImageTag() : ""));
  check(/^maven:.*(temurin|jdk)/.test(images[0] || ""), `${rel}: build stage is Maven on a JDK (${images[0]})`);
  check(/temurin.*jre|jre/.test(images[images.length - 1] || ""), `${rel}: runtime stage is a JRE (${images[images.length - 1]})`);
  const unpinned = froms.filter((f) => !f.getImageDigest() && (!f.getImageTag() || f.getImageTag() === "latest"
    || !/\d+\.\d+/.test(f.getImageTag())));
  check(unpinned.length === 0, `${rel}: base images pinned to a version tag`,
    unpinned.map((f) => f.getImageName()).join(", "));
  const buildCmd = df.getInstructions().filter((i) => i.getKeyword() === "RUN").map((i) => i.toString()).join("\n");
  check(/mvn\b[^\n]*\bpackage\b/.test(buildCmd), `${rel}: builds the jar with mvn ... package`);

  // The last stage: what runs.
  const lastFrom = froms[froms.length - 1];
  const runtime = df.getInstructions().filter((i) => i.getRange().start.line > lastFrom.getRange().start.line);
  const users = runtime.filter((i) => i.getKeyword() === "USER");
  const user = users.length ? users[users.length - 1].getArguments().map((a) => a.getValue()).join(" ") : "";
  check(user !== "" && !/^(root|0)(:|$)/.test(user), `${rel}: runtime runs as a non-root USER (${user || "none"})`);
  check(runtime.some((i) => i.getKeyword() === "COPY" && /--from=build/.test(i.toString()) && /sscmic\.jar/.test(i.toString())),
    `${rel}: runtime copies only the built jar from the build stage`);
  const hc = runtime.filter((i) => i.getKeyword() === "HEALTHCHECK");
  check(hc.length === 1 && /\/healthz/.test(hc[0].toString()) && /CMD/.test(hc[0].toString()),
    `${rel}: HEALTHCHECK on /healthz`);
  const ep = runtime.filter((i) => i.getKeyword() === "ENTRYPOINT");
  check(ep.length === 1 && /^\s*ENTRYPOINT\s+\[/.test(ep[0].toString()), `${rel}: exec-form ENTRYPOINT (signals reach the JVM)`);
  const apt = runtime.filter((i) => i.getKeyword() === "RUN" && /apt-get install/.test(i.toString()));
  check(apt.every((i) => /--no-install-recommends/.test(i.toString()) && /rm -rf \/var\/lib\/apt\/lists/.test(i.toString())),
    `${rel}: apt-get installs without recommends and cleans its lists`);
  check(!df.getInstructions().some((i) => i.getKeyword() === "ADD"), `${rel}: no ADD (COPY only)`);
  const ignore = path.join(root, "deploy/docker/Dockerfile.dockerignore");
  check(fs.existsSync(ignore) && /!gateway\/src\/main/.test(fs.readFileSync(ignore, "utf8")),
    "deploy/docker/Dockerfile.dockerignore keeps the build context to the Maven sources");
  for (const copy of df.getInstructions().filter((i) => i.getKeyword() === "COPY" && !/--from=/.test(i.toString()))) {
    const args = copy.getArguments().map((a) => a.getValue());
    for (const src of args.slice(0, -1)) {
      check(fs.existsSync(path.join(root, src)), `${rel}: COPY source ${src} exists in the build context`);
    }
  }
}

// ------------------------------------------------------------------ compose
function checkCompose() {
  const rel = "deploy/docker/compose.yaml";
  const doc = YAML.parse(read(rel), { merge: true });
  const s = doc.services || {};
  const dir = path.join(root, "deploy/docker");
  check(s.authority && (s.authority.command || []).includes("authority"), `${rel}: an authority service`);
  check(s["mesh-init"] && /sscmic init[\s\S]*--genesis 2026-01-01T00:00:00Z/.test(JSON.stringify(s["mesh-init"].command)),
    `${rel}: mesh-init creates the mesh with the genesis the node configs use`);
  const sidecars = Object.keys(s).filter((n) => (s[n].command || []).includes("node"));
  check(sidecars.length === 3, `${rel}: three sidecars (${sidecars.join(", ")})`);
  const apps = Object.keys(s).filter((n) => /^service:/.test(s[n].network_mode || ""));
  check(apps.length === 3 && apps.every((a) => sidecars.includes(s[a].network_mode.slice(8))),
    `${rel}: three sample services, each in its sidecar's network namespace (${apps.join(", ")})`);
  const sidecarDepends = sidecars.every((n) => s[n].depends_on && s[n].depends_on["mesh-init"]
    && s[n].depends_on["mesh-init"].condition === "service_completed_successfully");
  check(sidecarDepends, `${rel}: sidecars start after mesh-init has completed`);
  const nonRoot = ["authority", "mesh-init", ...sidecars].every((n) => !s[n].user || !/^(0|root)/.test(String(s[n].user)));
  check(nonRoot && ["authority", ...sidecars].every((n) => (s[n].cap_drop || []).includes("ALL")),
    `${rel}: SSCMIC containers keep the image's non-root user and drop all capabilities`);
  check(s.prometheus && /^prom\/prometheus:v\d/.test(s.prometheus.image), `${rel}: Prometheus (${s.prometheus && s.prometheus.image})`);
  check(s.grafana && /^grafana\/grafana:\d/.test(s.grafana.image), `${rel}: Grafana (${s.grafana && s.grafana.image})`);
  const mounts = [];
  for (const [name, svc] of Object.entries(s)) {
    for (const v of svc.volumes || []) {
      const src = String(v).split(":")[0];
      if (src.startsWith(".")) mounts.push([name, src]);
    }
  }
  for (const [name, src] of mounts) {
    check(fs.existsSync(path.join(dir, src)), `${rel}: ${name} mounts ${src}, which exists`);
  }
  const grafanaMounts = (s.grafana.volumes || []).join(" ");
  check(/sscmic-dashboard\.json/.test(grafanaMounts) && /provisioning/.test(grafanaMounts),
    `${rel}: Grafana gets the provisioning directory and the SSCMIC dashboard`);
  const ds = YAML.parse(fs.readFileSync(path.join(dir, "grafana/provisioning/datasources/prometheus.yaml"), "utf8"));
  check(ds.datasources.some((d) => d.type === "prometheus" && /prometheus:9090/.test(d.url) && d.isDefault),
    "deploy/docker/grafana: default Prometheus data source at http://prometheus:9090");
  const dp = YAML.parse(fs.readFileSync(path.join(dir, "grafana/provisioning/dashboards/sscmic.yaml"), "utf8"));
  const dashPath = dp.providers[0].options.path;
  check(grafanaMounts.includes(dashPath + "/sscmic-dashboard.json"),
    `deploy/docker/grafana: the dashboard provider reads ${dashPath}, where compose mounts the dashboard`);
  const prom = YAML.parse(fs.readFileSync(path.join(dir, "prometheus.yml"), "utf8"));
  const targets = prom.scrape_configs.flatMap((c) => c.static_configs.flatMap((t) => t.targets));
  // Admin ports over TLS: Prometheus scrapes https and trusts a CA file it can read from a volume.
  const promMounts = (s.prometheus.volumes || []).map((v) => String(v).split(":"));
  check(prom.scrape_configs.every((c) => c.scheme === "https" && c.tls_config && c.tls_config.ca_file
      && !c.tls_config.insecure_skip_verify
      && promMounts.some(([, dst]) => path.posix.resolve("/etc/prometheus", c.tls_config.ca_file).startsWith(dst + "/"))),
    "deploy/docker/prometheus.yml scrapes the admin ports over https, verifying them with a CA file from a mounted volume");
  const init = JSON.stringify(s["mesh-init"].command);
  check(/openssl req -x509/.test(init) && /tls:/.test(init) && /authority\.yaml/.test(init),
    `${rel}: mesh-init makes the admin certificate and gives the authority's admin port TLS`);
  check(["authority", ...sidecars].every((n) => (s[n].environment || {}).SSCMIC_ADMIN_SCHEME === "https"),
    `${rel}: the image's HEALTHCHECK asks the TLS admin ports over https (SSCMIC_ADMIN_SCHEME)`);
  const published = Object.entries(s).flatMap(([n, svc]) => (svc.ports || []).map((p) => [n, String(p)]));
  check(published.every(([, p]) => p.startsWith("127.0.0.1:")) && !published.some(([n]) => ["authority", ...sidecars].includes(n)),
    `${rel}: no admin, tunnel or authority port published to the host; the rest on 127.0.0.1 only`);
  check(sidecars.every((n) => targets.includes(`${n}:15000`)) && targets.includes("authority:15100"),
    `deploy/docker/prometheus.yml scrapes the three sidecars and the authority (${targets.join(", ")})`);
  // Node configs: each sidecar's config exposes its app, reaches the other two, and uses the mesh's genesis.
  for (const n of sidecars) {
    const cfgMount = (s[n].volumes || []).find((v) => String(v).includes(":/etc/sscmic/node.yaml"));
    const cfg = YAML.parse(fs.readFileSync(path.join(dir, String(cfgMount).split(":")[0]), "utf8"));
    const app = apps.find((a) => s[a].network_mode === `service:${n}`);
    const peers = (cfg.outbound || []).map((o) => o.peer.split(":")[0]);
    check(cfg.keysyn.genesis === "2026-01-01T00:00:00Z" && cfg.authority.url === "https://authority:8443"
      && cfg.services && cfg.services[app] === "127.0.0.1:8080"
      && peers.length === 2 && peers.every((p) => sidecars.includes(p) && p !== n)
      && /^0\.0\.0\.0:15000$/.test(cfg.admin.listen),
      `${rel}: ${n}'s config serves ${app} on its loopback, calls the other two sidecars, admin on 15000`);
    check(cfg.admin.tls && /admin\.crt$/.test(cfg.admin.tls["cert-file"]) && /admin\.key$/.test(cfg.admin.tls["key-file"]),
      `${rel}: ${n}'s admin port has TLS (admin.tls) with mesh-init's certificate`);
  }
}

// ------------------------------------------------------------------ Kubernetes
function modelFor(apiVersion, kind) {
  const group = apiVersion.includes("/") ? apiVersion : `v1`;
  const mod = apiVersion.includes("/") ? `kubernetes-models/${group}/${kind}` : `kubernetes-models/v1/${kind}`;
  try {
    return require(mod)[kind];
  } catch (e) {
    return null;
  }
}

function checkKubernetes() {
  const dir = path.join(root, "deploy/kubernetes");
  const files = fs.readdirSync(dir).filter((f) => f.endsWith(".yaml") && f !== "kustomization.yaml").sort();
  const objects = [];
  for (const f of files) {
    const docs = YAML.parseAllDocuments(fs.readFileSync(path.join(dir, f), "utf8"));
    for (const d of docs) {
      if (d.errors.length) {
        check(false, `deploy/kubernetes/${f}: YAML parses`, d.errors.map((e) => e.message).join("; "));
        continue;
      }
      const o = d.toJS();
      if (o) objects.push([f, o]);
    }
  }
  for (const [f, o] of objects) {
    const what = `deploy/kubernetes/${f}: ${o.kind}/${o.metadata && o.metadata.name}`;
    const Model = o.apiVersion && o.kind ? modelFor(o.apiVersion, o.kind) : null;
    if (!Model) {
      check(false, `${what} has a known apiVersion and kind`, `${o.apiVersion} ${o.kind}`);
      continue;
    }
    try {
      new Model(o).validate();
      check(true, `${what} valid against the Kubernetes ${o.apiVersion} schema`);
    } catch (e) {
      check(false, `${what} valid against the Kubernetes ${o.apiVersion} schema`, e.message);
    }
  }
  const kustom = YAML.parse(fs.readFileSync(path.join(dir, "kustomization.yaml"), "utf8"));
  check(files.every((f) => kustom.resources.includes(f)), "deploy/kubernetes/kustomization.yaml lists every manifest");
  const find = (kind, name) => objects.map((x) => x[1]).find((o) => o.kind === kind && o.metadata.name === name);
  const all = objects.map((x) => x[1]);
  check(!all.some((o) => /^(Role|ClusterRole|RoleBinding|ClusterRoleBinding|ServiceAccount)$/.test(o.kind)),
    "deploy/kubernetes: RBAC-free (no Role, binding or ServiceAccount)");
  const workloads = all.filter((o) => ["StatefulSet", "Deployment", "Pod"].includes(o.kind));
  const podSpec = (w) => (w.kind === "Pod" ? w.spec : w.spec.template.spec);
  check(workloads.every((w) => podSpec(w).automountServiceAccountToken === false),
    "deploy/kubernetes: no workload mounts a ServiceAccount token");
  // Transparent interception (`sscmic inject`, intercept-example.yaml) is the one case of root: in a
  // Pod template annotated sscmic.io/injected, the init container sscmic-intercept that runs
  // `sscmic intercept install` (nftables and policy routing in the Pod's network namespace, as
  // istio-init does) and the gateway sidecar beside it (its TPROXY listener needs IP_TRANSPARENT)
  // need CAP_NET_ADMIN, and Kubernetes gives an added capability to uid 0 only (no ambient
  // capabilities). So exactly these two may run as root, with NET_ADMIN alone added to "drop ALL";
  // every other container of every workload, the injected application's included, stays non-root.
  const injected = (w) => ((w.kind === "Pod" ? w.metadata : w.spec.template.metadata).annotations || {})["sscmic.io/injected"] === "true";
  const netAdminRoot = (w, c) => {
    if (!injected(w) || !/^sscmic:/.test(c.image)) return false;
    const inits = podSpec(w).initContainers || [];
    const args = (c.args || []).join(" ");
    const interceptInit = c.name === "sscmic-intercept" && inits[0] === c && /^intercept install( |$)/.test(args);
    const sidecar = c.name === "sscmic" && inits.includes(c) && c.restartPolicy === "Always" && /^node( |$)/.test(args);
    const caps = (c.securityContext || {}).capabilities || {};
    return (interceptInit || sidecar) && JSON.stringify(caps.add || []) === JSON.stringify(["NET_ADMIN"]);
  };
  const nonRoot = (w, c) => {
    const sc = c.securityContext || {};
    const pod = podSpec(w).securityContext || {};
    const user = sc.runAsUser !== undefined ? sc.runAsUser : pod.runAsUser;
    return (sc.runAsNonRoot !== undefined ? sc.runAsNonRoot : pod.runAsNonRoot) === true && user !== 0
      && pod.runAsNonRoot === true && !((sc.capabilities || {}).add || []).length;
  };
  const hardened = (c) => {
    const sc = c.securityContext || {};
    return sc.allowPrivilegeEscalation === false && sc.readOnlyRootFilesystem === true
      && (sc.capabilities || {}).drop && sc.capabilities.drop.includes("ALL");
  };
  const sscmicContainers = workloads.flatMap((w) => [...(podSpec(w).initContainers || []), ...podSpec(w).containers]
    .filter((c) => /^sscmic:/.test(c.image)).map((c) => [w, c]));
  const rootOnes = sscmicContainers.filter(([w, c]) => netAdminRoot(w, c));
  check(sscmicContainers.length > 0 && sscmicContainers.every(([w, c]) => hardened(c) && (nonRoot(w, c) || netAdminRoot(w, c))),
    "deploy/kubernetes: every gateway container non-root, read-only, no privilege escalation, no capabilities; "
    + `root with NET_ADMIN only for interception's init step and sidecar (${rootOnes.map(([w, c]) => w.metadata.name + "/" + c.name).join(", ")})`);
  const appContainers = workloads.flatMap((w) => [...(podSpec(w).initContainers || []), ...podSpec(w).containers]
    .filter((c) => !/^sscmic:/.test(c.image)).map((c) => [w, c]));
  check(appContainers.every(([w, c]) => hardened(c) && nonRoot(w, c)),
    "deploy/kubernetes: every application container non-root, read-only, no privilege escalation, no capabilities");

  // The injected workload: what `sscmic inject` adds, in the order it must run.
  const inj = workloads.filter(injected);
  check(inj.length > 0 && inj.every((w) => {
    const spec = podSpec(w);
    const inits = spec.initContainers || [];
    const vol = (spec.volumes || []).find((v) => v.name === "sscmic-config");
    const cm = vol && vol.configMap && find("ConfigMap", vol.configMap.name);
    const node = cm && YAML.parse(cm.data["node.yaml"]);
    return inits.length >= 2 && netAdminRoot(w, inits[0]) && netAdminRoot(w, inits[1])
      && inits[1].readinessProbe && inits[1].readinessProbe.httpGet.path === "/readyz"
      && node && node.intercept && node.intercept["manage-rules"] === false && (node.intercept.outbound || []).length > 0
      && (inits[0].args || []).join(" ").includes("--config /etc/sscmic/node.yaml");
  }), `interception: ${inj.map((w) => w.metadata.name).join(", ") || "no injected workload"}: init step then native sidecar (NET_ADMIN), `
    + "node.yaml from a ConfigMap with an intercept section whose rules the init step installed (manage-rules off)");

  // The authority
  const auth = find("StatefulSet", "sscmic-authority") || find("Deployment", "sscmic-authority");
  check(!!auth, "authority: a StatefulSet (or Deployment)");
  if (auth) {
    const spec = podSpec(auth);
    const pvcNames = (auth.spec.volumeClaimTemplates || []).map((t) => t.metadata.name)
      .concat((spec.volumes || []).filter((v) => v.persistentVolumeClaim).map((v) => v.name));
    const main = spec.containers.find((c) => (c.args || []).includes("authority"));
    check(auth.spec.replicas === 1, "authority: one replica (it holds the mesh's seed and CA)");
    check(main && pvcNames.length > 0 && main.volumeMounts.some((m) => pvcNames.includes(m.name)
      && m.mountPath === "/var/lib/sscmic-authority"), "authority: its state on a PersistentVolume at /var/lib/sscmic-authority");
    const init = (spec.initContainers || []).find((c) => /sscmic init/.test((c.args || []).join(" ")));
    check(init && /authority\.yaml/.test(init.args.join(" ")) && /--genesis 2026-01-01T00:00:00Z/.test(init.args.join(" ")),
      "authority: an init container creates the mesh once (keeps an existing one), with the nodes' genesis");
    check(main && (main.args || []).join(" ").includes(init ? "/var/lib/sscmic-authority/mesh/authority.yaml" : "?"),
      "authority: runs the config the init container wrote");
    check(main && main.readinessProbe && main.readinessProbe.httpGet.path === "/readyz", "authority: readiness on /readyz");
    const svc = find("Service", "sscmic-authority");
    check(svc && svc.spec.ports.some((p) => p.port === 8443), "authority: a Service on 8443");
    check(init && ["sscmic-authority.sscmic.svc"].every((h) => new RegExp("--host " + h.replace(/\./g, "\\.") + "(\\s|$)")
      .test(init.args.join(" "))),
      "authority: its certificate names the Service's DNS name");
    check(main && ["readinessProbe", "livenessProbe"].every((p) => main[p] && main[p].httpGet.scheme === "HTTPS"),
      "authority: the probes ask the TLS admin port over HTTPS");
    const authAnn = auth.spec.template.metadata.annotations || {};
    check(authAnn["prometheus.io/scheme"] === "https", "authority: Prometheus scrapes the admin port over https");
    const secretVols = (spec.volumes || []).filter((v) => v.secret).map((v) => v.name);
    const m = /cert-file: (\S+)/.exec(init ? init.args.join(" ") : "");
    check(init && /tls:/.test(init.args.join(" ")) && m && main.volumeMounts.some((v) => secretVols.includes(v.name)
      && m[1].startsWith(v.mountPath + "/")),
      "authority: the init container gives the admin port TLS (admin.tls), certificate from a mounted Secret");
    check(!(svc && svc.spec.ports.some((p) => p.port === 15100)), "authority: the Service does not publish the admin port");
  }

  // NetworkPolicies: every SSCMIC workload has one; every rule names who may come and to which
  // ports; the admin ports admit Prometheus only, the tunnel and the authority's API SSCMIC Pods only.
  const policies = all.filter((o) => o.kind === "NetworkPolicy");
  for (const w of workloads.filter((x) => [...(podSpec(x).initContainers || []), ...podSpec(x).containers]
    .some((c) => /^sscmic:/.test(c.image)))) {
    const labels = w.spec.template.metadata.labels || {};
    const selects = (np) => Object.entries(np.spec.podSelector.matchLabels || {}).every(([k, v]) => labels[k] === v);
    const mine = policies.filter((np) => np.metadata.namespace === w.metadata.namespace && selects(np)
      && (np.spec.policyTypes || []).includes("Ingress"));
    const rules = mine.flatMap((np) => np.spec.ingress || []);
    const admin = w === auth ? 15100 : 15000;
    const open = w === auth ? 8443 : 7443;
    const isPrometheus = (f) => f.podSelector && (f.podSelector.matchLabels || {})["app.kubernetes.io/name"] === "prometheus";
    const isSscmic = (f) => !f.namespaceSelector && f.podSelector && (f.podSelector.matchLabels || {})["app.kubernetes.io/part-of"] === "sscmic";
    const ruleFor = (port) => rules.filter((r) => !r.ports || r.ports.some((p) => p.port === port));
    check(mine.length > 0 && rules.every((r) => (r.from || []).length > 0 && (r.ports || []).length > 0),
      `${w.metadata.name}: a NetworkPolicy whose every ingress rule names its sources and ports (none admits anyone)`);
    check(ruleFor(admin).length > 0 && ruleFor(admin).every((r) => r.from.every(isPrometheus)),
      `${w.metadata.name}: the admin port ${admin} admits Prometheus only`);
    check(ruleFor(open).length > 0 && ruleFor(open).every((r) => r.from.every(isSscmic)),
      `${w.metadata.name}: port ${open} admits SSCMIC Pods of the namespace only`);
  }

  // The sidecar pattern
  const app = workloads.find((w) => w !== auth && !injected(w) && [...(podSpec(w).initContainers || []), ...podSpec(w).containers]
    .some((c) => /^sscmic:/.test(c.image)));
  check(!!app, "sidecar: an example application workload with the gateway beside it");
  if (app) {
    const spec = podSpec(app);
    const gw = [...(spec.initContainers || []), ...spec.containers].find((c) => /^sscmic:/.test(c.image));
    const others = spec.containers.filter((c) => c !== gw);
    check(others.length >= 1, `sidecar: the application container(s) ${others.map((c) => c.name).join(", ")} in the same Pod`);
    const ann = (app.kind === "Pod" ? app.metadata : app.spec.template.metadata).annotations || {};
    check(ann["prometheus.io/scrape"] === "true" && ann["prometheus.io/port"] === "15000" && ann["prometheus.io/path"] === "/metrics"
      && ann["prometheus.io/scheme"] === "https",
      "sidecar: Prometheus scrape annotations on the Pod (https, port 15000, /metrics)");
    check(["readinessProbe", "livenessProbe", "startupProbe"].every((p) => !gw[p] || (gw[p].httpGet && gw[p].httpGet.scheme === "HTTPS")),
      "sidecar: the probes ask the TLS admin port over HTTPS");
    check(gw.readinessProbe && gw.readinessProbe.httpGet.path === "/readyz"
      && (gw.ports || []).some((p) => p.name === gw.readinessProbe.httpGet.port && p.containerPort === 15000),
      "sidecar: readiness on /readyz at the admin port");
    check(gw.lifecycle && gw.lifecycle.preStop && (gw.lifecycle.preStop.exec || gw.lifecycle.preStop.sleep),
      "sidecar: a preStop hook before the SIGTERM drain");
    check(spec.terminationGracePeriodSeconds >= 15, `sidecar: termination grace (${spec.terminationGracePeriodSeconds} s) covers preStop plus the 10 s drain`);
    const volumes = Object.fromEntries((spec.volumes || []).map((v) => [v.name, v]));
    const mountOf = (p) => (gw.volumeMounts || []).find((m) => m.mountPath === p || p.startsWith(m.mountPath + "/"));
    const cfgMount = mountOf("/etc/sscmic/node.yaml");
    const cm = cfgMount && volumes[cfgMount.name].configMap && find("ConfigMap", volumes[cfgMount.name].configMap.name);
    check(!!cm && (gw.args || []).join(" ").includes("--config /etc/sscmic/node.yaml"),
      "sidecar: node.yaml from a ConfigMap");
    const tokenEnv = (gw.env || []).find((e) => e.name === "SSCMIC_AUTHORITY_TOKEN_FILE");
    const tokenMount = tokenEnv && mountOf(tokenEnv.value);
    const secretName = tokenMount && volumes[tokenMount.name].secret && volumes[tokenMount.name].secret.secretName;
    check(!!secretName && !!find("Secret", secretName), `sidecar: the enrollment token from a Secret (${secretName})`);
    if (cm) {
      const node = YAML.parse(cm.data["node.yaml"]);
      check(node.authority.url === "https://sscmic-authority.sscmic.svc:8443", "sidecar: node.yaml reaches the authority's Service");
      check(node.keysyn.genesis === "2026-01-01T00:00:00Z", "sidecar: node.yaml's genesis matches the authority's init");
      const stateMount = mountOf(node.authority["state-dir"]);
      const claims = (app.spec.volumeClaimTemplates || []).map((t) => t.metadata.name);
      check(!!stateMount && claims.includes(stateMount.name),
        "sidecar: the node's key and certificate on a PersistentVolume (restarts need no new token)");
      check(node.admin.listen === "0.0.0.0:15000", "sidecar: admin port reachable for probes and Prometheus");
      const tls = node.admin.tls || {};
      const certMount = tls["cert-file"] && mountOf(tls["cert-file"]);
      check(!!certMount && volumes[certMount.name].secret && mountOf(tls["key-file"]) === certMount,
        "sidecar: the admin port has TLS (admin.tls) with a certificate and key from a Secret");
      const svcPort = Object.values(node.services)[0].split(":")[1];
      check(others.some((c) => (c.ports || []).some((p) => String(p.containerPort) === svcPort)),
        `sidecar: node.yaml's service is the application container's port ${svcPort}`);
    }
  }
}

for (const [name, fn] of [["Dockerfile", checkDockerfile], ["compose", checkCompose], ["Kubernetes", checkKubernetes]]) {
  try {
    fn();
  } catch (e) {
    check(false, `${name} checks ran`, e.stack);
  }
}
console.log(`static: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);

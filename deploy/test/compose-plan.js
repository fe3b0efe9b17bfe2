#!/usr/bin/env node
// Reads deploy/docker/compose.yaml and the Dockerfile and prints, as bash assignments, what
// compose-netns.sh needs to run each service as a process the way Docker would: its argv
// (entrypoint + command, with compose's $$ unescaped), environment (the image's ENV, then the
// service's), volumes, network namespace, user and health check. Only the compose file decides;
// nothing here knows the service names.
"use strict";
const fs = require("fs");
const path = require("path");
const YAML = require("yaml");
const { DockerfileParser } = require("dockerfile-ast");

const dockerDir = path.resolve(process.argv[2] || path.join(__dirname, "..", "docker"));
const compose = YAML.parse(fs.readFileSync(path.join(dockerDir, "compose.yaml"), "utf8"), { merge: true });
const df = DockerfileParser.parse(fs.readFileSync(path.join(dockerDir, "Dockerfile"), "utf8"));
const froms = df.getFROMs();
const last = froms[froms.length - 1].getRange().start.line;
const runtime = df.getInstructions().filter((i) => i.getRange().start.line > last);

const q = (s) => "'" + String(s).replace(/'/g, "'\\''") + "'";
const arr = (name, list) => `${name}=(${list.map(q).join(" ")})`;
const id = (s) => s.replace(/[^A-Za-z0-9]/g, "_");
const unescape = (s) => String(s).replace(/\$\$/g, "$");
const execForm = (instr) => JSON.parse(instr.toString().replace(/^\s*\w+\s+/, ""));

// The image: ENV (key=value pairs), USER, ENTRYPOINT, CMD, HEALTHCHECK's command.
const imageEnv = [];
for (const e of runtime.filter((i) => i.getKeyword() === "ENV")) {
  for (const p of e.getProperties()) imageEnv.push(`${p.getName()}=${p.getValue()}`);
}
const user = runtime.filter((i) => i.getKeyword() === "USER").pop().getArguments().map((a) => a.getValue()).join("");
const entrypoint = execForm(runtime.find((i) => i.getKeyword() === "ENTRYPOINT"));
const cmd = execForm(runtime.find((i) => i.getKeyword() === "CMD"));
const hc = runtime.find((i) => i.getKeyword() === "HEALTHCHECK").toString().replace(/\\\n/g, " ");
const healthcheck = hc.slice(hc.indexOf(" CMD ") + 5).trim();

const out = [];
// Directories the image makes for its user (install -d -o USER -g GROUP -m MODE DIR...): a named
// volume mounted on one starts with that owner and mode.
for (const r of runtime.filter((i) => i.getKeyword() === "RUN")) {
  for (const m of r.toString().replace(/\\\n/g, " ").matchAll(/install -d -o (\S+) -g (\S+) -m (\d+) ([^&]+)/g)) {
    for (const d of m[4].trim().split(/\s+/)) out.push(`IMAGE_DIR[${q(d)}]=${q(m[1] + ":" + m[3])}`);
  }
}
out.push(`IMAGE_USER=${q(user)}`);
out.push(`IMAGE_HEALTHCHECK=${q(healthcheck)}`);
out.push(arr("IMAGE_ENV", imageEnv));
const services = Object.keys(compose.services);
out.push(arr("SERVICES", services));
for (const [name, s] of Object.entries(compose.services)) {
  const v = id(name);
  const image = s.image || "";
  const own = image.startsWith("sscmic:");
  out.push(`IMAGE_OF[${q(name)}]=${q(image)}`);
  const ep = s.entrypoint ? [].concat(s.entrypoint) : own ? entrypoint : [];
  const command = s.command ? [].concat(s.command) : own ? cmd : [];
  out.push(arr(`ARGV_${v}`, [...ep, ...command].map(unescape)));
  const env = Object.entries(s.environment || {}).map(([k, val]) => `${k}=${val}`);
  out.push(arr(`ENV_${v}`, env));
  const vols = (s.volumes || []).map((x) => {
    const [src, dst, mode] = String(x).split(":");
    const kind = src.startsWith(".") || src.startsWith("/") ? "bind" : "volume";
    return [kind, kind === "bind" ? path.resolve(dockerDir, src) : src, dst, mode || "rw"].join("|");
  });
  out.push(arr(`VOLS_${v}`, vols));
  const nm = s.network_mode || "";
  out.push(`NETNS_OF[${q(name)}]=${q(nm.startsWith("service:") ? nm.slice(8) : name)}`);
  out.push(`ONESHOT[${q(name)}]=${q(s.restart === "no" ? "1" : "0")}`);
}
out.push(arr("VOLUMES", Object.keys(compose.volumes || {})));
console.log("declare -A IMAGE_OF=() NETNS_OF=() ONESHOT=() IMAGE_DIR=()");
console.log(out.join("\n"));

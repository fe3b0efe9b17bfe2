#!/usr/bin/env bash
# AEAD and frame benchmarks (JMH) on JDK 17 and JDK 25, with openssl as the reference, same run.
# Prints MB/s and each figure as a ratio to openssl AES-256-GCM at 16 KiB (the machine is shared
# and noisy: compare ratios). Raw outputs go to bench/results/.
set -euo pipefail
cd "$(dirname "$0")/.."
JDK25=${JDK25:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}
out=bench/results
mkdir -p "$out"
mvn -q -B -Pbench -DskipTests package -pl bench -am

openssl speed -evp aes-256-gcm -seconds 2 -bytes 16384 > "$out/openssl-aes.txt" 2>/dev/null
openssl speed -evp chacha20-poly1305 -seconds 2 -bytes 16384 > "$out/openssl-chacha.txt" 2>/dev/null

javas=("java")
[ -x "$JDK25" ] && javas+=("$JDK25")
for j in "${javas[@]}"; do
  tag=$("$j" -XshowSettings:properties -version 2>&1 | awk -F= '/java.specification.version/ {gsub(/ /,"",$2); print $2}')
  "$j" -jar bench/target/benchmarks.jar 'AeadBench|FrameBench' -rf json -rff "$out/jmh-jdk$tag.json" \
    > "$out/jmh-jdk$tag.txt" 2>&1
done

python3 - "$out" <<'PY'
import glob, json, os, re, sys
out = sys.argv[1]
def openssl(name):
    text = open(os.path.join(out, name)).read()
    m = re.search(r"^\S+(?:-\S+)*\s+([\d.]+)k\s*$", text, re.M)
    return float(m.group(1)) * 1000 / 1e6  # 'k' = 1000 bytes/s -> MB/s
ref = openssl("openssl-aes.txt")
print("openssl AES-256-GCM 16 KiB: %.0f MB/s (reference = 1.00)" % ref)
print("openssl ChaCha20-Poly1305 16 KiB: %.0f MB/s (%.2f)" % (openssl("openssl-chacha.txt"), openssl("openssl-chacha.txt") / ref))
print()
print("%-5s %-16s %-14s %-18s %6s %9s %6s" % ("jdk", "benchmark", "provider", "suite", "size", "MB/s", "ratio"))
for f in sorted(glob.glob(os.path.join(out, "jmh-jdk*.json"))):
    jdk = re.search(r"jdk(\d+)", f).group(1)
    for r in json.load(open(f)):
        p = r.get("params", {})
        size = int(p["size"])
        mbs = r["primaryMetric"]["score"] * size / 1e6
        name = r["benchmark"].split(".")[-1]
        print("%-5s %-16s %-14s %-18s %6d %9.0f %6.2f" % (jdk, name, p.get("provider", "JDK(default)"),
              p["suite"], size, mbs, mbs / ref))
PY

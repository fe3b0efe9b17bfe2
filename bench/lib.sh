# Shared by the bench scripts: needs(), a work directory, processes stopped on exit, port waits, nginx.
# Source it after `cd` to the repository root.
JAVA=${JAVA:-java}

needs() { # script-name "apt hint" tool...
  local name=$1 hint=$2; shift 2
  for tool in "$@"; do
    command -v "$tool" >/dev/null || { echo "$name: needs $tool (apt-get install $hint)"; exit 1; }
  done
  [ -f gateway/target/sscmic.jar ] || mvn -q -B -DskipTests package
}

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ -n "${KEEP_LOGS:-}" ]; then echo "logs kept in $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

wait_ports() { # port... (each up to 10 s)
  for port in "$@"; do
    for _ in $(seq 1 100); do (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && break; sleep 0.1; done
  done
}

start_nginx() { # port: serves $work/www/small.bin (100 B) and 1m.bin (1 MiB), stopped on exit
  mkdir -p "$work/www" "$work/logs"
  head -c 100 /dev/urandom > "$work/www/small.bin"
  head -c 1048576 /dev/urandom > "$work/www/1m.bin"
  cat > "$work/nginx.conf" <<CONF
daemon off; worker_processes 1; pid $work/nginx.pid; error_log $work/logs/error.log; user $(id -un);
events { worker_connections 4096; }
http { access_log off; keepalive_requests 1000000;
  server { listen 127.0.0.1:$1; root $work/www; } }
CONF
  /usr/sbin/nginx -p "$work" -c "$work/nginx.conf" & pids+=($!)
}

# shellcheck shell=bash
# Shared by the scripts in deploy/local/ and deploy/test/compose-netns.sh (sourced, not run): timestamps, PASS/FAIL counting, bounded waits, namespaces and their cables,
# etcd members, and a teardown that runs once on any exit.
# The sourcing script defines teardown() (stop its processes, delete its namespaces) and NAME; the
# etcd helpers use its ETCD_BIN, ETCDCTL, WORK and PID (an associative array of its processes).

T0_MS=$(date +%s%3N)
PASSED=0
FAILED=0
now_ms() { date +%s%3N; }
say() { printf '[%6.1fs] %s\n' "$(awk "BEGIN{print ($(now_ms) - $T0_MS)/1000}")" "$*"; }
pass() { PASSED=$((PASSED + 1)); say "PASS $*"; }
fail() { FAILED=$((FAILED + 1)); say "FAIL $*"; }

# wait_for SECONDS DESCRIPTION COMMAND...: polls every 0.2 s; returns 1 on timeout.
wait_for() {
  local secs="$1" what="$2"; shift 2
  local deadline=$(( $(now_ms) + secs * 1000 ))
  until "$@" >/dev/null 2>&1; do
    if [ "$(now_ms)" -ge "$deadline" ]; then say "timed out after ${secs}s waiting for $what"; return 1; fi
    sleep 0.2
  done
}

# make_switch NS: a namespace holding one bridge, br0, that hosts are plugged into.
make_switch() {
  ip netns add "$1"
  ip -n "$1" link add br0 type bridge
  ip -n "$1" link set br0 up
  ip -n "$1" link set lo up
}

# plug_host NS SWITCH PORT ADDRESS/PREFIX: a new host namespace NS with its own loopback and one
# veth cable: eth0 (with ADDRESS) inside the host, PORT plugged into SWITCH's bridge.
plug_host() {
  ip netns add "$1"
  ip link add eth0 netns "$1" type veth peer name "$3" netns "$2"
  ip -n "$2" link set "$3" master br0 up
  ip -n "$1" addr add "$4" dev eth0
  ip -n "$1" link set eth0 up
  ip -n "$1" link set lo up
}

# unplug_host SWITCH PORT: pulls a host's cable out of the switch (the bridge port goes down, the
# host's eth0 loses its carrier): nothing crosses, and no process on either side is told.
unplug_host() { ip -n "$1" link set "$2" down; }
# replug_host SWITCH PORT: plugs it back.
replug_host() { ip -n "$1" link set "$2" up; }

# kill_namespace NS: kills every process inside network namespace NS (and only there), deletes it.
kill_namespace() {
  local p
  for p in $(ip netns pids "$1" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
  ip netns del "$1" 2>/dev/null
}

# start_etcd NAME DATA CLIENT_URL PEER_URL CLUSTER TOKEN [PREFIX...]: one member of a new etcd
# cluster ($ETCD_BIN) in the background, run through PREFIX when given (`ip netns exec NS` execs it
# in place, so $! is etcd itself); its output goes to $WORK/etcd-NAME.log, its pid to PID[etcd-NAME].
start_etcd() {
  local member="$1" data="$2" client="$3" peer="$4" cluster="$5" token="$6"
  shift 6
  "$@" "$ETCD_BIN" --name "$member" --data-dir "$data" \
    --listen-client-urls "$client" --advertise-client-urls "$client" \
    --listen-peer-urls "$peer" --initial-advertise-peer-urls "$peer" \
    --initial-cluster "$cluster" --initial-cluster-token "$token" --initial-cluster-state new >> "$WORK/etcd-$member.log" 2>&1 &
  # shellcheck disable=SC2034 # the sourcing script's associative array of its processes
  PID["etcd-$member"]=$!
}
# etcd_leader ENDPOINTS [PREFIX...]: the client URL of the member that leads, as the members in
# ENDPOINTS say (etcdctl endpoint status, run through PREFIX); empty when none says it leads.
etcd_leader() {
  local endpoints="$1"
  shift
  { "$@" "$ETCDCTL" --endpoints "$endpoints" --command-timeout=3s endpoint status 2>/dev/null || true; } \
    | awk -F', ' '$5 == "true" {print $1}' | head -n 1
}
# etcd_all_healthy ENDPOINTS [PREFIX...]: every member in ENDPOINTS commits a proposal (etcdctl
# endpoint health, run through PREFIX; it fails when one does not answer within 3 s).
etcd_all_healthy() {
  local endpoints="$1"
  shift
  "$@" "$ETCDCTL" --endpoints "$endpoints" --command-timeout=3s endpoint health
}

# The script's own stdout and stderr, kept: a signal's trap can run while a redirection of the
# command it interrupted is still in force, and the teardown report must not land in that file.
exec 3>&1 4>&2
LIB_CLEANED=0
on_exit() {
  local rc="$1"
  if [ "$LIB_CLEANED" = 1 ]; then return; fi
  LIB_CLEANED=1
  trap - EXIT INT TERM
  exec 1>&3 2>&4
  set +e
  teardown "$rc"
  exit "$rc"
}
trap 'on_exit $?' EXIT
trap 'echo "$NAME: interrupted" >&4; on_exit 130' INT TERM

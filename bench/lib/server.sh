# Sourced by the benchmarks that drive a packaged `s0 server`: builds the distribution when needed, starts
# a server on a fresh data dir and free ports, and removes everything it made on exit (sandboxes, the
# node's firewall table and cgroup parent, mounts, the data dir).
# Before sourcing, set: bench (the script's name), network (the sandbox CIDR), tools (apt packages needed).
# S0_BENCH_DIST=<dir> runs another build's distribution (e.g. a worktree of an earlier commit) instead.
# After it: $dist, $work, $data, $port, $base, $exposure, $node, $server (pid), and bench_start_server
# [extra server flags...] which returns once /readyz answers.
root=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)
cd "$root"
dist=${S0_BENCH_DIST:-"$root/cli/target/s0"}   # another build's dist to compare with (then nothing is built)

[ "$(id -u)" = 0 ] || { echo "bench/$bench: needs root (sandboxes run on runc)" >&2; exit 1; }
for tool in ${tools-}; do
  command -v "$tool" >/dev/null || apt-get install -y -q "$tool" >/dev/null \
    || { apt-get update -q >/dev/null && apt-get install -y -q "$tool" >/dev/null; }
done
if [ -z "${S0_BENCH_SKIP_BUILD-}" ] && [ -z "${S0_BENCH_DIST-}" ]; then
  echo "bench/$bench: building the distribution into cli/target/s0 if needed ..." >&2
  ./s0 --version >/dev/null
fi
. .mvn/jdk25.sh

work=$(mktemp -d "/tmp/s0-bench-$bench.XXXXXX")
chmod 711 "$work"   # sandboxes' unprivileged ids pass through to their dirs under the data dir
data="$work/data"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(free_port)
exposure=$(free_port)
base="http://127.0.0.1:$port"
# The node names its kernel objects after the data dir (Sandbox0Server.nodeName): the firewall table and
# the cgroup parent outlive a server stop by design, so the bench removes them itself.
node=$(python3 - "$data" <<'PY'
import sys
h = 0
for c in sys.argv[1]:
    h = (31 * h + ord(c)) & 0xFFFFFFFF
print("s" + format(h & 0xFFFFF | 0x100000, "x")[1:])
PY
)
server=
bench_cleanup() {
  local rc=$?
  set +e
  if [ "$rc" != 0 ] && [ -f "$work/server.log" ]; then
    echo "bench/$bench: failed ($rc); the server log ends with:" >&2
    tail -n 30 "$work/server.log" >&2
  fi
  [ -n "${BENCH_KEEP_LOG-}" ] && cp "$work/server.log" "$BENCH_KEEP_LOG"
  if [ -n "$server" ] && kill -0 "$server" 2>/dev/null; then
    if [ -f "$data/admin-api-key" ]; then # whatever the driver left (drivers delete their own sandboxes)
      key=$(cat "$data/admin-api-key")
      for id in $(curl -sf -H "Authorization: Bearer $key" "$base/api/v1/sandboxes?limit=1000" \
          | python3 -c 'import json,sys; [print(s["id"]) for s in json.load(sys.stdin)["data"]["sandboxes"]]' 2>/dev/null); do
        curl -sf -X DELETE -H "Authorization: Bearer $key" "$base/api/v1/sandboxes/$id" >/dev/null
      done
    fi
    kill -TERM "$server"
    wait "$server" 2>/dev/null
  fi
  nft delete table inet "sandbox0_$node" 2>/dev/null
  for dir in /sys/fs/cgroup/sandbox0-"$node" /sys/fs/cgroup/*/sandbox0-"$node"; do # cgroup v2, or v1 controllers
    [ -d "$dir" ] && find "$dir" -depth -type d -exec rmdir {} \; 2>/dev/null
  done
  grep -o "$work[^ ]*" /proc/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null
  rm -rf --one-file-system "$work"
}
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

bench_start_server() {
  "$dist/bin/s0" server --data-dir "$data" --listen "127.0.0.1:$port" --exposure-listen "127.0.0.1:$exposure" \
    --no-install --sandbox-network "$network" "$@" >"$work/server.log" 2>&1 &
  server=$!
  echo "bench/$bench: server on $base (data dir $data), waiting for the default image and its warm pool ..." >&2
  until curl -sf "$base/readyz" >/dev/null; do
    kill -0 "$server" 2>/dev/null || { cat "$work/server.log" >&2; exit 1; }
    sleep 0.2
  done
}

#!/usr/bin/env bash
# Live replay of a synthetic peak hour through HAProxy over three nodes (issue 13): the hour's
# 50 shops assigned to nodes on 127.0.0.2-4 by a [cluster] section, HAProxy's config made from
# it by `switchboard haproxy-config`, the clients on /ws/shops/{shop} through the proxy. Prints
# the wall time, errors and how many shops' figures equal the trace's own (each shop's figures
# are read through the proxy from its own node). Expects a built tree and Debian's haproxy.
#   loadtest/bench/run_replay_cluster.sh [SESSIONS] [SPEED]      default 100000 60
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
sessions="${1:-100000}"
speed="${2:-60}"
out="$root/.local/bench/replay-cluster-$sessions"
rm -rf "$out" && mkdir -p "$out"
build/switchboard generate-trace --shops 50 --sessions "$sessions" --seed 3 --hour 20 --out "$out/hour.pb" \
  --config-out "$out/hour.toml" >"$out/generate.txt"
head -1 "$out/generate.txt"
sed -i 's/^manual_clock_allowed = true/manual_clock_allowed = true\nconnections_max = 19500\ntrusted_proxies = ["127.0.0.1"]/' "$out/hour.toml"
port=$((20000 + RANDOM % 20000))
proxy_port=$((port + 1))
# Shop i of the config on node i mod 3.
awk -v port="$port" '
  /^\[\[shops\]\]/ { want = 1; next }
  want && /^id = / { gsub(/"/, "", $3); shops[n++] = $3; want = 0 }
  END {
    print "\n[cluster]"
    for (k = 0; k < 3; k++) {
      printf "[[cluster.nodes]]\nid = \"n%d\"\naddress = \"127.0.0.%d:%d\"\nshops = [", k + 1, k + 2, port
      for (i = k; i < n; i += 3) printf "\"%s\"%s", shops[i], (i + 3 < n ? ", " : "")
      print "]"
    }
  }' "$out/hour.toml" >>"$out/hour.toml"
build/switchboard haproxy-config --config "$out/hour.toml" --out "$out" --bind "127.0.0.1:$proxy_port" >/dev/null
start=$(date -u -d "@$(( $(date -u -d 2026-08-18T12:00:00Z +%s) - 360 ))" +%Y-%m-%dT%H:%M:%SZ)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
for k in 1 2 3; do
  build/switchboard serve --config "$out/hour.toml" --node "n$k" --listen "127.0.0.$((k + 1)):$port" --clock scaled \
    --speed "$speed" --clock-start "$start" >"$out/node$k.log" 2>&1 &
  pids+=($!)
done
# One HAProxy process holds ~9,900 proxied connections here (two open files each): several
# share the port (HAProxy binds with SO_REUSEPORT), the kernel spreading connections over them.
haproxy_procs=${HAPROXY_PROCS:-3}
for ((h = 0; h < haproxy_procs; h++)); do
  haproxy -db -f "$out/haproxy.cfg" >"$out/haproxy$h.log" 2>&1 &
  pids+=($!)
done
sleep 1
. loadtest/bench/replay_load.sh
# Where the two cores go: CPU seconds of the nodes and HAProxy (from /proc) and of the load
# processes (this shell's reaped children, from `times`) over the replay.
ticks=$(getconf CLK_TCK)
cpu_of() { awk -v t="$ticks" '{printf "%.1f", ($14 + $15) / t}' "/proc/$1/stat"; }
# `times` in this shell (not in a $(...) subshell, which has children of its own).
children_cpu() { tail -1 "$1" | awk '{ split($1, u, /[ms]/); split($2, s, /[ms]/); printf "%.1f", u[1] * 60 + u[2] + s[1] * 60 + s[2] }'; }
times >"$out/times0"
replay_load "127.0.0.1:$proxy_port"
times >"$out/times1"
load_cpu=$(awk -v a="$(children_cpu "$out/times1")" -v b="$(children_cpu "$out/times0")" 'BEGIN{printf "%.1f", a - b}')
haproxy_cpu=0
for ((h = 0; h < haproxy_procs; h++)); do haproxy_cpu=$(awk -v a="$haproxy_cpu" -v b="$(cpu_of "${pids[$((3 + h))]}")" 'BEGIN{printf "%.1f", a + b}'); done
profile="CPU s over ${wall} s wall (2 cores: $(awk -v w="$wall" 'BEGIN{printf "%.0f", 2 * w}') s): nodes $(cpu_of "${pids[0]}"), $(cpu_of "${pids[1]}"), $(cpu_of "${pids[2]}"); haproxy ($haproxy_procs processes) $haproxy_cpu; load $load_cpu"
echo "$profile"
echo "replay of a $sessions-session peak hour at ${speed}x through HAProxy over 3 nodes: ${wall} s wall; $errors errors; $same of $total shops exact"
ok=missed
awk "BEGIN{exit !($wall <= 70)}" && [ "$rc" = 0 ] && [ "$same" = 50 ] && ok=met
echo "RESULT replay-cluster $ok"
echo "FIGURE replay-cluster ${sessions} sessions at ${speed}x over 3 nodes: ${wall} s wall, ${errors:-?} errors, ${same}/${total} shops exact; $profile"

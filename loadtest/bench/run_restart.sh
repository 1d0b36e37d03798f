#!/usr/bin/env bash
# Restart after kill -9 at the busiest moment of a peak hour: a node with history (a throwaway
# PostgreSQL, snapshots at their defaults) plays the generated 100,000-session hour at 60x with as
# many connections as it holds; when its open connections peak the server is killed (SIGKILL)
# together with the load, started again on the same journal, and timed until /readyz answers 200
# (recovery runs before the listener opens, so 200 means every shop is back). Prints the time
# and the server's own recovery line (snapshots loaded, calls replayed). Expects a built tree.
#   loadtest/bench/run_restart.sh [SESSIONS] [SPEED]      default 100000 60
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
sessions="${1:-100000}"
speed="${2:-60}"
out="$root/.local/bench/restart-$sessions"
rm -rf "$out"
mkdir -p "$out"

. loadtest/bench/throwaway_pg.sh
server=""
load=""
cleanup() {
  [ -z "$load" ] || kill -9 "$load" 2>/dev/null || true
  [ -z "$server" ] || kill -9 "$server" 2>/dev/null || true
  pkill -9 -f "switchboard-load replay $out" 2>/dev/null || true
  pg_stop
}
trap cleanup EXIT
pg_start

build/switchboard generate-trace --shops 50 --sessions "$sessions" --seed 3 --hour 20 --out "$out/hour.pb" \
  --config-out "$out/hour.toml" >"$out/generate.txt"
head -1 "$out/generate.txt"
port=$((20000 + RANDOM % 20000))
admin=$((port + 1))
# /metrics (the open-connections gauge) from the admin listener, which needs no token.
sed -i "s/^manual_clock_allowed = true/manual_clock_allowed = true\nconnections_max = 19500\nadmin_listen = \"127.0.0.1:$admin\"/" \
  "$out/hour.toml"
# [store] goes first: the generated file's tables follow.
{
  printf '[store]\ndatabase_url = "%s"\n' "$pg_url"
  printf 'journal_dir = "%s/journal"\nnode_id = "bench"\n\n' "$out"
  cat "$out/hour.toml"
} >"$out/store.toml"

start=$(date -u -d "@$(( $(date -u -d 2026-08-18T12:00:00Z +%s) - 360 ))" +%Y-%m-%dT%H:%M:%SZ)
serve() {
  build/switchboard serve --config "$out/store.toml" --listen "127.0.0.1:$port" --clock scaled --speed "$speed" \
    --clock-start "$start" >>"$out/server.log" 2>&1 &
  server=$!
}
serve
until curl -sf "http://127.0.0.1:$port/readyz" >/dev/null; do sleep 0.05; done
workers=$(( (sessions + 24999) / 25000 ))
build/switchboard-load replay "$out/hour.pb" --config "$out/hour.toml" --connect "127.0.0.1:$port" --speed "$speed" \
  --processes "$workers" --sources 10 --quiet >"$out/load.txt" 2>"$out/load.err" &
load=$!

# Open connections, once a second, from the node's own gauge; kill once they have not risen
# for ten samples (ten minutes of the hour at 60x) or at the hour's end.
connections() {
  curl -s "http://127.0.0.1:$admin/metrics" | awk '/^switchboard_connections_open[ {]/{s+=$NF} END{printf "%d", s}'
}
peak=0
below=0
for _ in $(seq 1 $((3600 / speed + 10))); do
  sleep 1
  c=$(connections)
  echo "$(date +%s) $c" >>"$out/connections.txt"
  if [ "$c" -gt "$peak" ]; then peak=$c; below=0; else below=$((below + 1)); fi
  [ "$below" -ge 10 ] && [ "$peak" -gt 1000 ] && break
done
echo "killing at $c open connections (peak $peak)"
kill -9 "$server" "$load" 2>/dev/null || true
pkill -9 -f "switchboard-load replay $out" 2>/dev/null || true
wait "$server" 2>/dev/null || true
wait "$load" 2>/dev/null || true
server=""
load=""
journal_mb=$(du -sm "$out/journal" | cut -f1)

t0=$(date +%s.%N)
serve
until curl -sf "http://127.0.0.1:$port/readyz" >/dev/null; do
  kill -0 "$server" 2>/dev/null || { echo "the server exited; see $out/server.log" >&2; tail -5 "$out/server.log" >&2; exit 1; }
  sleep 0.01
done
t1=$(date +%s.%N)
restart=$(awk "BEGIN{printf \"%.2f\", $t1 - $t0}")
recovery=$(grep -E "recovery: " "$out/server.log" | tail -1 | sed -E 's/.*recovery: //')
echo "restart after kill -9 at $c open connections: /readyz 200 after $restart s ($recovery; journal ${journal_mb} MB)"
ok=missed
awk "BEGIN{exit !($restart < 2)}" && ok=met
echo "RESULT restart $ok"
echo "FIGURE restart ${restart} s at ${c} connections, ${sessions}-session hour at ${speed}x (${recovery})"

#!/usr/bin/env bash
# Live replay of a synthetic peak hour: generates the hour (50 shops), starts the server on a
# clock scaled SPEED times, plays the hour with switchboard-load over several worker processes
# and source addresses, and prints the wall time, errors and how many shops' figures equal the
# trace's own. Expects a built tree (deploy/local/build.sh).
#   loadtest/bench/run_replay.sh [SESSIONS] [SPEED]      default 100000 60
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
sessions="${1:-100000}"
speed="${2:-60}"
out="$root/.local/bench/replay-$sessions"
mkdir -p "$out"
build/switchboard generate-trace --shops 50 --sessions "$sessions" --seed 3 --hour 20 --out "$out/hour.pb" \
  --config-out "$out/hour.toml" >"$out/generate.txt"
head -1 "$out/generate.txt"
# One process may hold 20,000 open files here: the server takes what it can.
sed -i 's/^manual_clock_allowed = true/manual_clock_allowed = true\nconnections_max = 19500/' "$out/hour.toml"
port=$((20000 + RANDOM % 20000))
# The hour starts at 20:00 local (12:00Z); the server's clock starts 6 minutes of trace time
# earlier, which at 60x leaves the workers 6 s to load the trace and meet the clock.
start=$(date -u -d "@$(( $(date -u -d 2026-08-18T12:00:00Z +%s) - 360 ))" +%Y-%m-%dT%H:%M:%SZ)
build/switchboard serve --config "$out/hour.toml" --listen "127.0.0.1:$port" --clock scaled --speed "$speed" \
  --clock-start "$start" >"$out/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
. loadtest/bench/replay_load.sh
replay_load "127.0.0.1:$port"
echo "replay of a $sessions-session peak hour at ${speed}x: ${wall} s wall (the hour is $((3600 / speed)) s of it, then the"
echo "  chats, ratings windows and shifts of the trace's last 45 minutes); $errors errors; $same of $total shops exact"
ok=missed
awk "BEGIN{exit !($wall <= 70)}" && [ "$rc" = 0 ] && ok=met
echo "RESULT replay $ok"
echo "FIGURE replay ${sessions} sessions at ${speed}x: ${wall} s wall, ${errors:-?} errors, ${same}/${total} shops exact ($workers load processes)"

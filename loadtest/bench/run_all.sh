#!/usr/bin/env bash
# Runs every benchmark from a clean build and prints one table with the machine's description.
# Each benchmark measures its baseline side by side in the same run. Takes about 15 minutes.
#   loadtest/bench/run_all.sh [--quick]     --quick: smaller simulation and replay, no history benchmark
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
quick=0
[ "${1:-}" = "--quick" ] && quick=1
deploy/local/install-deps.sh
deploy/local/build.sh >/dev/null
out="$root/.local/bench"
mkdir -p "$out"
log="$out/run_all.log"
: >"$log"

rows=()
row() { rows+=("$1|$2|$3|$4"); }
result_of() { grep -E "^RESULT $1 " "$log" | tail -1 | awk '{print $3}'; }
figure_of() { grep -E "^FIGURE $1 " "$log" | tail -1 | cut -d' ' -f3-; }

for b in metrics-scrape slow-agent slow-handshakes idle-connections relay latency; do
  echo "== $b" | tee -a "$log"
  build/switchboard-bench "$b" 2>&1 | tee -a "$log"
done
row "/metrics scrape, 50 shops" "<= 10 ms, <= 5,000 series" "$(figure_of metrics-scrape)" "$(result_of metrics-scrape)"
row "slow agent, 10,000 messages" "queue at bound, RSS < +50 MB, others' p99 within 20%" "$(figure_of slow-agent)" "$(result_of slow-agent)"
row "500 slow handshakes" "connect p99 < 200 ms, all closed" "$(figure_of slow-handshakes)" "$(result_of slow-handshakes)"
row "idle connections, 18,000" "<= 4 KB per connection" "$(figure_of idle-connections)" "$(result_of idle-connections)"
row "relay throughput vs bare Beast echo" ">= 0.8x" "$(figure_of relay)" "$(result_of relay)"
echo "== relay with history on" | tee -a "$log"
loadtest/bench/run_relay_history.sh 2>&1 | tee -a "$log"
row "relay with history on (journal, PostgreSQL) vs bare Beast echo" ">= 0.8x" "$(figure_of relay-history)" "$(result_of relay-history)"
row "end-to-end latency, 10k connections, 10k msg/s" "p99 < 10 ms" "$(figure_of latency)" "$(result_of latency)"
row "routing decision p99, server side" "< 1 ms" "$(figure_of routing-decision)" "$(result_of routing-decision)"

sessions=1000000
[ "$quick" = 1 ] && sessions=100000
trace="$out/day-$sessions.pb"
# Cached between runs, but made again by each new build: the generator may have changed.
if [ ! -f "$trace" ] || [ build/switchboard -nt "$trace" ]; then
  echo "== generating a $sessions-session peak day" | tee -a "$log"
  # Only simulated, never replayed live: no need to move moments clear of thresholds.
  build/switchboard generate-trace --shops 50 --sessions "$sessions" --seed 1 --replay-margin-s 0 --out "$trace" \
    --config-out "$out/day-$sessions.toml" >"$out/generate.txt"
  head -1 "$out/generate.txt" | tee -a "$log"
fi
echo "== simulate" | tee -a "$log"
same="figures equal the trace's own"
build/switchboard simulate "$trace" --config "$out/day-$sessions.toml" --expect-same >"$out/simulate.txt" ||
  same="FIGURES DIFFER from the trace's own (see $out/simulate.txt)"
head -1 "$out/simulate.txt" | tee -a "$log"
sim_s=$(grep -E "^simulated " "$log" | tail -1 | sed -E 's/.*simulated in ([0-9.]+) s.*/\1/')
load_s=$(grep -E "^simulated " "$log" | tail -1 | sed -E 's/.*loaded in ([0-9.]+) s.*/\1/')
sim_ok=missed
awk "BEGIN{exit !($sim_s + $load_s <= 10)}" && sim_ok=met
case "$same" in FIGURES*) sim_ok=missed ;; esac
row "simulation, $sessions-session peak day" "<= 10 s" "${sim_s} s simulated + ${load_s} s loading; $same" "$sim_ok"

echo "== capacity plan, 50 shops" | tee -a "$log"
loadtest/bench/run_plan.sh 2>&1 | tee -a "$log" | tail -2
row "capacity plan for 50 shops' peak day with its simulation proof" "<= 30 s" "$(figure_of plan)" "$(result_of plan)"

if [ "$quick" = 0 ]; then
  echo "== history" | tee -a "$log"
  loadtest/bench/run_history.sh --batch-events-max 20000 --baseline-sessions 1000 2>&1 | tee -a "$log" | tail -3
  store=$(grep -E "^\| store:" "$log" | tail -1 | awk -F'|' '{gsub(/ /,"",$5); print $5}')
  base=$(grep -E "^\| baseline:" "$log" | tail -1 | awk -F'|' '{gsub(/ /,"",$5); print $5}')
  hist_ok=missed
  awk "BEGIN{exit !($store >= 50000)}" && hist_ok=met
  row "history into PostgreSQL" ">= 50,000 events/s" "$store events/s vs $base row-by-row INSERT" "$hist_ok"
fi

replay_sessions=100000
[ "$quick" = 1 ] && replay_sessions=20000
echo "== replay" | tee -a "$log"
loadtest/bench/run_replay.sh "$replay_sessions" 60 2>&1 | tee -a "$log" | tail -4
row "replay of a $replay_sessions-session peak hour at 60x" "<= 70 s, figures exact" "$(figure_of replay)" "$(result_of replay)"

echo "== replay through HAProxy over three nodes" | tee -a "$log"
loadtest/bench/run_replay_cluster.sh "$replay_sessions" 60 2>&1 | tee -a "$log" | tail -3
row "replay of a $replay_sessions-session peak hour at 60x through HAProxy over 3 nodes" "<= 70 s, 50/50 exact" "$(figure_of replay-cluster)" "$(result_of replay-cluster)"
echo "== restart after kill -9" | tee -a "$log"
loadtest/bench/run_restart.sh "$replay_sessions" 60 2>&1 | grep -v Killed | tee -a "$log" | tail -3
row "restart after kill -9 at the busiest moment of a $replay_sessions-session peak hour" "< 2 s to /readyz 200" "$(figure_of restart)" "$(result_of restart)"

echo
echo "Machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -sr); $(date -u +%Y-%m-%dT%H:%MZ)"
echo
echo "| benchmark | goal | measured | goal met |"
echo "| --- | --- | --- | --- |"
for r in "${rows[@]}"; do
  IFS='|' read -r a b c d <<<"$r"
  echo "| $a | $b | $c | $d |"
done

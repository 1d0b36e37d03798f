#!/usr/bin/env bash
# Benchmark: the capacity plan for 50 shops' peak day with its simulation proof (docs/planning.md).
# Generates three earlier peaks of one day each (4-18, 6-18, 8-18; 8-18 has SESSIONS chats), then
# times `switchboard plan` end to end: reading the traces, learning, forecasting, staffing,
# shifts, the simulated seeds and rounds, the report. Goal: <= 30 s.
#   loadtest/bench/run_plan.sh [SESSIONS] [SEEDS]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
sessions=${1:-50000}
seeds=${2:-8}
dir=$(mktemp -d /tmp/sb-bench-plan-XXXXXX)
trap 'rm -rf "$dir"' EXIT
"$root/build/switchboard" generate-history --out-dir "$dir" --shops 50 --days 1 --sessions "$sessions" --seed 1 >/dev/null
start=$(date +%s.%N)
rc=0
"$root/build/switchboard" plan "$dir/plan-input.toml" --out-dir "$dir/out" --seeds "$seeds" >"$dir/plan.txt" || rc=$?
end=$(date +%s.%N)
cat "$dir/plan.txt"
secs=$(awk "BEGIN{printf \"%.1f\", $end - $start}")
proof=$(grep -E "^simulation proof:" "$dir/plan.txt" | sed 's/^simulation proof: //')
echo "FIGURE plan $secs s for 50 shops ($sessions chats on 8-18, $seeds seeds): $proof"
ok=missed
if [ "$rc" -eq 0 ] && awk "BEGIN{exit !($secs <= 30)}"; then ok=met; fi
echo "RESULT plan $ok"

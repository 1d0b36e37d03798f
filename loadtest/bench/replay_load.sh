# Sourced by run_replay.sh and run_replay_cluster.sh: plays $out/hour.pb with switchboard-load
# against ADDRESS ($sessions, $speed and $out set by the caller) and sets workers, rc, wall,
# same, total, summary and errors from its report.
replay_load() {
  local address=$1 t0 t1
  workers=$(( (sessions + 24999) / 25000 ))
  t0=$(date +%s.%N)
  set +e
  build/switchboard-load replay "$out/hour.pb" --config "$out/hour.toml" --connect "$address" --speed "$speed" \
    --processes "$workers" --sources 10 --expect-same --quiet >"$out/load.txt" 2>"$out/load.err"
  rc=$?
  set -e
  t1=$(date +%s.%N)
  wall=$(awk "BEGIN{printf \"%.1f\", $t1 - $t0}")
  same=$(grep -c "the same as the trace's own" "$out/load.txt" || true)
  total=$(grep -cE "^shop[0-9]+ " "$out/load.txt" || true)
  summary=$(grep -E "^all [0-9]+ workers|^replayed " "$out/load.txt" || true)
  errors=$(echo "$summary" | sed -E 's/.* ([0-9]+) errors.*/\1/')
  echo "$summary"
}

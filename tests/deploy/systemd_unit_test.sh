#!/usr/bin/env bash
# The shipped service unit is valid (`systemd-analyze verify`, with the unit's binary path
# pointed at this build) and hardened: `systemd-analyze security --offline=true` rates its
# exposure 2.0 or lower. Usage: systemd_unit_test.sh SWITCHBOARD_BINARY
set -euo pipefail
cd "$(dirname "$0")/../.."
binary=$1
unit=deploy/systemd/switchboard.service
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
sed "s|/usr/local/bin/switchboard|$binary|g" "$unit" > "$dir/switchboard.service"
if ! out=$(systemd-analyze verify "$dir/switchboard.service" 2>&1); then
  echo "systemd-analyze verify failed:"; echo "$out"; exit 1
fi
# Lines about the host's own units (no systemd running in a container) are not ours.
ours=$(echo "$out" | grep "switchboard.service" || true)
if [ -n "$ours" ]; then echo "systemd-analyze verify: $ours"; exit 1; fi
report=$(cd "$dir" && systemd-analyze security --offline=true switchboard.service 2>&1)
score=$(echo "$report" | sed -n 's/.*Overall exposure level for switchboard.service: \([0-9.]*\).*/\1/p')
if [ -z "$score" ]; then echo "no exposure score in:"; echo "$report"; exit 1; fi
echo "exposure $score"
awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }' || { echo "exposure $score is above 2.0:"; echo "$report" | grep "✗"; exit 1; }

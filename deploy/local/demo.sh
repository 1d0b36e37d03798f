#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to a running demo: installs packages, builds,
# prepares a private PostgreSQL cluster (history goes there), and serves config/demo.toml on
# 127.0.0.1:8080. psql "$(deploy/local/postgres.sh url)" opens the history.
# Extra arguments go to `switchboard serve` (e.g. --clock manual --clock-start ...).
set -euo pipefail
cd "$(dirname "$0")/../.."
deploy/local/install-deps.sh
deploy/local/build.sh
deploy/local/postgres.sh start
export SWITCHBOARD_DATABASE_URL="$(deploy/local/postgres.sh url)"
serve_args=("$@")
echo "demo: tokens for the walkthrough:"
for who in alice:agent bob:agent boss:supervisor; do
  person=${who%%:*} role=${who##*:}
  printf '  %-6s %s\n' "$person" "$(build/switchboard token --config config/demo.toml --shop demo --person "$person" --role "$role")"
done
printf '  %-6s %s\n' admin "$(build/switchboard token --config config/demo.toml --shop '*' --person ops --role admin)"
exec build/switchboard serve --config config/demo.toml "${serve_args[@]}"

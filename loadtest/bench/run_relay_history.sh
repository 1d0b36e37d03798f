#!/usr/bin/env bash
# Relay throughput with history on (every call journaled and fsynced before its reply, events
# written on to a throwaway PostgreSQL) against the bare Beast echo server, rounds alternating,
# median of five. Extra args go to `switchboard-bench relay`. Expects a built tree.
set -euo pipefail
cd "$(dirname "$0")/../.."
. loadtest/bench/throwaway_pg.sh
trap pg_stop EXIT
pg_start
build/switchboard-bench relay --database "$pg_url" "$@"

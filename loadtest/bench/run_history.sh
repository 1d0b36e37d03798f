#!/usr/bin/env bash
# Runs the history write benchmark against a throwaway PostgreSQL 15 cluster with default
# durability settings (fsync on), then removes the cluster. Extra args go to the benchmark.
set -euo pipefail
cd "$(dirname "$0")/../.."
deploy/local/build.sh >/dev/null
. loadtest/bench/throwaway_pg.sh
trap pg_stop EXIT
pg_start
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/{print $2}') GiB"
build/switchboard-bench-history --database "$pg_url" "$@"

#!/usr/bin/env bash
# Runs the history write benchmark against a throwaway PostgreSQL 15 cluster with default
# durability settings (fsync on), then removes the cluster. Extra args go to the benchmark.
set -euo pipefail
cd "$(dirname "$0")/../.."
deploy/local/build.sh >/dev/null
dir=$(mktemp -d /tmp/sb-bench-pg-XXXXXX)
run=()
if [ "$(id -u)" -eq 0 ]; then chown postgres "$dir"; run=(runuser -u postgres --); fi
pgbin=/usr/lib/postgresql/15/bin
port=$((30000 + RANDOM % 10000))
cleanup() { "${run[@]}" "$pgbin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$dir"; }
trap cleanup EXIT
"${run[@]}" "$pgbin/initdb" -D "$dir/data" -U switchboard --auth=trust -E UTF8 >/dev/null
"${run[@]}" "$pgbin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -o "-k $dir -p $port -c listen_addresses='' ${SB_BENCH_PG_OPTS:-}" start >/dev/null
psql "postgresql:///postgres?host=$dir&port=$port&user=switchboard" -qc "create database switchboard"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/{print $2}') GiB"
build/switchboard-bench-history --database "postgresql:///switchboard?host=$dir&port=$port&user=switchboard" "$@"

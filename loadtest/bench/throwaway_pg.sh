# Sourced by the benchmarks that need PostgreSQL: `pg_start` makes a throwaway PostgreSQL 15
# cluster with default durability (fsync on) on a unix socket in a temp folder and sets
# $pg_url; `pg_stop` stops and removes it (call it from the caller's EXIT trap).
pg_dir=""
pg_url=""
pg_run=()
pg_bin=/usr/lib/postgresql/15/bin

pg_start() {
  pg_dir=$(mktemp -d /tmp/sb-bench-pg-XXXXXX)
  if [ "$(id -u)" -eq 0 ]; then chown postgres "$pg_dir"; pg_run=(runuser -u postgres --); fi
  local port=$((30000 + RANDOM % 10000))
  "${pg_run[@]}" "$pg_bin/initdb" -D "$pg_dir/data" -U switchboard --auth=trust -E UTF8 >/dev/null
  "${pg_run[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/log" -w \
    -o "-k $pg_dir -p $port -c listen_addresses='' ${SB_BENCH_PG_OPTS:-}" start >/dev/null
  psql "postgresql:///postgres?host=$pg_dir&port=$port&user=switchboard" -qc "create database switchboard"
  pg_url="postgresql:///switchboard?host=$pg_dir&port=$port&user=switchboard"
}

pg_stop() {
  [ -n "$pg_dir" ] || return 0
  "${pg_run[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$pg_dir"
  pg_dir=""
}

#!/usr/bin/env bash
# A private PostgreSQL 15 cluster under the project folder (.local/pg): `start` prepares it on
# first use (initdb, database "switchboard") and starts it on a unix socket; `stop` stops it;
# `url` prints its connection string. Works as root: the cluster then runs as user postgres.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD/.local/pg
pgbin=/usr/lib/postgresql/15/bin
port=${SB_PG_PORT:-54329}
run=()
if [ "$(id -u)" -eq 0 ]; then
  run=(runuser -u postgres --)
fi

url() { echo "postgresql:///switchboard?host=$root/run&port=$port&user=switchboard"; }

start() {
  mkdir -p "$root/run"
  if [ "${#run[@]}" -gt 0 ]; then
    chown -R postgres:postgres "$root"
    # The server runs as postgres (it refuses root): let it traverse, and only traverse, the
    # folders above the cluster (a clone under /root is 700), with an ACL entry for postgres.
    d=$root
    while [ "$d" != "/" ]; do
      d=$(dirname "$d")
      if ! runuser -u postgres -- test -x "$d"; then
        setfacl -m u:postgres:--x "$d"
        echo "postgres.sh: granted user postgres traversal (--x) of $d"
      fi
    done
    if ! "${run[@]}" test -x "$root"; then
      echo "postgres.sh: user postgres cannot reach $root" >&2
      exit 1
    fi
  fi
  if [ ! -f "$root/data/PG_VERSION" ]; then
    "${run[@]}" "$pgbin/initdb" -D "$root/data" -U switchboard --auth=trust -E UTF8 --locale=C.UTF-8 >"$root/initdb.log"
  fi
  if ! "${run[@]}" "$pgbin/pg_ctl" -D "$root/data" status >/dev/null 2>&1; then
    "${run[@]}" "$pgbin/pg_ctl" -D "$root/data" -l "$root/server.log" -w \
      -o "-k $root/run -p $port -c listen_addresses=''" start >/dev/null
  fi
  if ! psql "$(url)" -Atc "select 1" >/dev/null 2>&1; then
    psql "postgresql:///postgres?host=$root/run&port=$port&user=switchboard" -qc "create database switchboard"
  fi
  echo "postgres.sh: PostgreSQL running at $(url)"
}

stop() {
  if [ -f "$root/data/PG_VERSION" ]; then "${run[@]}" "$pgbin/pg_ctl" -D "$root/data" -m fast stop >/dev/null || true; fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  url) url ;;
  *) echo "usage: deploy/local/postgres.sh start|stop|url" >&2; exit 2 ;;
esac

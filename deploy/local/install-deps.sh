#!/usr/bin/env bash
# Installs every Debian 12 package Switchboard needs to build, test and run.
# Safe to run repeatedly: when everything is present it returns without touching apt.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config ccache
  libboost1.81-dev libpqxx-dev libprotobuf-dev protobuf-compiler
  prometheus-cpp-dev catch2 libtomlplusplus-dev libcli11-dev libspdlog-dev libssl-dev
  postgresql-15 prometheus prometheus-alertmanager haproxy curl acl
  clang libclang-rt-14-dev slowhttptest
  libcpp-jwt-dev nlohmann-json3-dev python3-jwt openssl universal-ctags libhowardhinnant-date-dev tzdata
  libglpk-dev chromium libjemalloc-dev zlib1g-dev
)

# Node for the browser tests and the token examples: Debian's unless the machine has one.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then packages+=(nodejs npm); fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi

echo "install-deps: installing ${missing[*]}"
"${sudo_cmd[@]}" apt-get update -q
# Packages such as prometheus, haproxy and prometheus-alertmanager start a system service when
# installed; the tests start their own throwaway instances, so none is started (policy-rc.d,
# Debian's switch for that) and those above are not left enabled at boot; the demo runs its own
# PostgreSQL cluster (deploy/local/postgres.sh).
no_services=(prometheus prometheus-alertmanager prometheus-node-exporter haproxy)
policy=/usr/sbin/policy-rc.d
own_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\n# install-deps: no service starts during this install\nexit 101\n' | "${sudo_cmd[@]}" tee "$policy" >/dev/null
  "${sudo_cmd[@]}" chmod 755 "$policy"
  own_policy=1
fi
cleanup() { if [ "$own_policy" = 1 ]; then "${sudo_cmd[@]}" rm -f "$policy"; fi; }
trap cleanup EXIT
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
if [ -d /run/systemd/system ]; then
  for unit in "${no_services[@]}"; do
    "${sudo_cmd[@]}" systemctl disable --now "$unit" >/dev/null 2>&1 || true  # not installed: nothing to do
  done
fi

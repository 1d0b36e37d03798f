#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds, runs every test (unit, simulation,
# integration against the real binary, Prometheus rules).
set -euo pipefail
cd "$(dirname "$0")/../.."
deploy/local/install-deps.sh
deploy/local/build.sh
ctest --test-dir "${SB_BUILD_DIR:-build}" --output-on-failure -j2 "$@"

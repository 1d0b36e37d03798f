#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds, runs every test (unit, simulation,
# integration and WebSocket conformance against the real binary, Prometheus rules), then
# replays the fuzz corpora under ASan+UBSan.
set -euo pipefail
cd "$(dirname "$0")/../.."
deploy/local/install-deps.sh
deploy/local/install-npm.sh
deploy/local/build.sh
ctest --test-dir "${SB_BUILD_DIR:-build}" --output-on-failure -j2 "$@"
deploy/local/fuzz.sh replay

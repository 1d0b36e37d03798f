#!/usr/bin/env bash
# Configures and builds Switchboard into build/ (or $SB_BUILD_DIR). ccache, when present, keeps
# its cache inside the clone (.local/ccache) so nothing is cached outside it.
set -euo pipefail
cd "$(dirname "$0")/../.."
build_dir=${SB_BUILD_DIR:-build}
launcher=()
if command -v ccache >/dev/null; then
  export CCACHE_DIR="$PWD/.local/ccache"
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE="${SB_BUILD_TYPE:-RelWithDebInfo}" "${launcher[@]}" "$@" >/dev/null
cmake --build "$build_dir" -j"$(nproc)"

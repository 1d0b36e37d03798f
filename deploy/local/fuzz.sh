#!/usr/bin/env bash
# libFuzzer harnesses for the frame codec, the config parser and the token verifier, built with
# clang under ASan+UBSan in build-fuzz/.
#   fuzz.sh replay        replay the seed corpus (tests/fuzz/corpus) plus a short fixed-seed run
#                         per harness; part of deploy/local/test.sh
#   fuzz.sh run SECONDS   fuzz each harness for SECONDS (in parallel, one per core); new inputs
#                         go to .local/fuzz/<harness>/, crashes to .local/fuzz/crashes/
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
mode="${1:-replay}"
build="$root/build-fuzz"
harnesses=(fuzz_codec fuzz_config fuzz_token fuzz_edge)

launcher=()
if command -v ccache >/dev/null; then
  export CCACHE_DIR="$root/.local/ccache"
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
flags="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fsanitize=fuzzer-no-link -fno-omit-frame-pointer"
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
  -DSB_TESTS=OFF -DSB_FUZZ=ON "-DCMAKE_CXX_FLAGS=$flags" "${launcher[@]}" >/dev/null
cmake --build "$build" --target "${harnesses[@]}"

case "$mode" in
  replay)
    ctest --test-dir "$build" --output-on-failure -j2
    ;;
  run)
    seconds="${2:?fuzz.sh run SECONDS}"
    mkdir -p .local/fuzz/crashes
    pids=()
    for h in "${harnesses[@]}"; do
      corpus=".local/fuzz/${h#fuzz_}"
      mkdir -p "$corpus"
      "$build/$h" -max_total_time="$seconds" -max_len=4096 -print_final_stats=1 \
        -artifact_prefix=.local/fuzz/crashes/"$h"- "$corpus" "tests/fuzz/corpus/${h#fuzz_}" \
        >".local/fuzz/$h.log" 2>&1 &
      pids+=($!)
    done
    status=0
    for i in "${!pids[@]}"; do
      if wait "${pids[$i]}"; then
        echo "${harnesses[$i]}: $(grep -E '^stat::number_of_executed_units' ".local/fuzz/${harnesses[$i]}.log" | awk '{print $2}') runs, nothing found"
      else
        echo "${harnesses[$i]}: FOUND A PROBLEM, see .local/fuzz/${harnesses[$i]}.log and .local/fuzz/crashes/"
        status=1
      fi
    done
    exit $status
    ;;
  *)
    echo "usage: fuzz.sh replay | run SECONDS" >&2
    exit 2
    ;;
esac

#!/usr/bin/env bash
# The main job: install what it needs (scripts/deps.sh main), build the
# library, the example models and the tools (Release; no tests, benchmarks
# or examples), then run nrt-bench on the example MLP model and show its
# report. The build's output goes to build/release/build.log (shown only if
# the build fails).
# Usage: scripts/run.sh [extra nrt-bench options]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh main
mkdir -p build/release
log=build/release/build.log
echo "run: building the library, models and tools (build/release; log in $log)"
if ! { cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DNRT_BUILD_TESTS=OFF -DNRT_BUILD_BENCH=OFF \
         -DNRT_BUILD_EXAMPLES=OFF && cmake --build build/release -j"$(nproc)"; } >"$log" 2>&1; then
  tail -n 40 "$log"
  echo "run: the build failed (full output in $log)" >&2
  exit 1
fi
export NEURON_RT_NUM_CORES="${NEURON_RT_NUM_CORES:-2}"
build/release/tools/nrt-ls
exec build/release/tools/nrt-bench build/release/models/mlp.so "$@"

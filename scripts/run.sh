#!/usr/bin/env bash
# The main job: install what is missing, build (Release), then run nrt-bench
# on the example MLP model and show its report.
# Usage: scripts/run.sh [extra nrt-bench options]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/release -j"$(nproc)"
export NEURON_RT_NUM_CORES="${NEURON_RT_NUM_CORES:-2}"
build/release/tools/nrt-ls
exec build/release/tools/nrt-bench build/release/models/mlp.so "$@"

#!/bin/sh
# tests/fuzz/run_fuzz.sh FUZZER MODELS WORK_DIR SECONDS
# Runs a libFuzzer binary for a bounded time on a fresh corpus seeded with
# the example model objects: every .so of MODELS when it is a folder, else
# MODELS itself.
set -eu
fuzzer=$1 models=$2 work=$3 seconds=$4
rm -rf "$work/corpus"
mkdir -p "$work/corpus" "$work/artifacts"
if [ -d "$models" ]; then cp "$models"/*.so "$work/corpus/"; else cp "$models" "$work/corpus/"; fi
exec "$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$work/artifacts/" "$work/corpus"

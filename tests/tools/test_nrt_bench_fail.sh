#!/bin/sh
# nrt-bench failure paths: each gives one clear line and a non-zero exit.
# usage: test_nrt_bench_fail.sh NRT_BENCH MODEL_DIR
. "$(dirname "$0")/lib.sh"
bench=$1
mlp=$2/mlp.so
export NEURON_RT_NUM_CORES=2

expect_rc 1 "$bench" -n 5 "$tmp/does-not-exist.so"
has "$tmp/err" "^nrt-bench: cannot open '.*does-not-exist.so': No such file"

head -c 65536 /dev/urandom >"$tmp/random.so"
expect_rc 1 "$bench" -n 5 "$tmp/random.so"
has "$tmp/err" "^nrt-bench: cannot load model '.*random.so' on core 0: NRT_"

: >"$tmp/empty.so"
expect_rc 1 "$bench" -n 5 "$tmp/empty.so"
has "$tmp/err" "^nrt-bench: model file '.*empty.so' is empty"

expect_rc 1 "$bench" -n 5 --cores 99 "$mlp"
has "$tmp/err" "^nrt-bench: core 99 does not exist: this process sees 2 logical cores"

expect_rc nonzero "$bench" -n 5 --cores 0,0 "$mlp"
has "$tmp/err" "bad --cores"

NEURON_RT_VISIBLE_CORES=9 OPENNRT_TOTAL_CORES=4 expect_rc 1 "$bench" -n 5 "$mlp"
has "$tmp/err" "^nrt-bench: the runtime failed to initialize"

expect_rc 2 "$bench"
has "$tmp/err" "no model given"
expect_rc 2 "$bench" --mode fast "$mlp"
has "$tmp/err" "unknown --mode 'fast'"
expect_rc 2 "$bench" --inflight 0 "$mlp"
expect_rc 2 "$bench" --bogus "$mlp"

# A request that fails at run time is caught through the error tracker.
OPENNRT_FAULT='xu=compute,seq=10,status=NRT_EXEC_BAD_INPUT' expect_rc 1 "$bench" -n 20 -w 2 --mode async "$mlp"
has "$tmp/err" "failed with NRT_"
echo "nrt-bench failure paths ok"

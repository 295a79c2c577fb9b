#!/bin/sh
# nrt-bench: a short run of every mode on the example MLP, text and JSON,
# several cores, --duration, --input. Checks fields, never timings.
# usage: test_nrt_bench.sh NRT_BENCH JSON_CHECK MODEL_DIR TINY_MODEL
. "$(dirname "$0")/lib.sh"
bench=$1
jc=$2
mlp=$3/mlp.so
tiny=$4
export NEURON_RT_NUM_CORES=2

expect_rc 0 "$bench" --help
has "$tmp/out" "usage: nrt-bench"

expect_rc 0 "$bench" -n 30 -w 3 "$mlp"
for pat in "^model " "^sync  *30 " "^async  *30 " "^compute  *30 " "^stages " "^bound " \
    "async/sync speedup [0-9.]*x" "efficiency [0-9.]*% of the ideal bound" "outputs verified bit-exact" \
    " 0 request errors"; do
    has "$tmp/out" "$pat"
done

expect_rc 0 "$bench" -n 30 -w 3 --inflight 2 --json "$mlp"
cp "$tmp/out" "$tmp/b.json"
"$jc" "$tmp/b.json" ok=true verified=true mismatches=0 errors=0 inflight=2 inputs.0.name=x outputs.0.name=y \
    inputs.0.size=524288 modes#3 modes.sync.iterations=30 modes.async.iterations=30 modes.compute.iterations=30 \
    modes.async.iter_per_s\>0 modes.async.latency_us.p50\>0 modes.async.latency_us.p99? \
    modes.async.latency_us.max? modes.async.busy.COMPUTE\>0 modes.async.busy.TENSOR_WRITE? \
    stages_us.execute\>0 ideal_iter_per_s\>0 speedup\>0 efficiency\>0 compared\>0 ||
    fail "nrt-bench --json fields"

# Two cores, one pipeline each.
expect_rc 0 "$bench" -n 20 -w 2 --cores 0,1 --mode async --json "$mlp"
cp "$tmp/out" "$tmp/c2.json"
"$jc" "$tmp/c2.json" ok=true cores#2 modes#1 modes.async.iterations=40 modes.async.per_core#2 \
    modes.async.per_core.1.core=1 || fail "nrt-bench --cores 0,1"

# Duration instead of a count; compute mode alone still verifies outputs.
expect_rc 0 "$bench" --duration 0.2 -w 1 --mode compute --json "$mlp"
cp "$tmp/out" "$tmp/d.json"
"$jc" "$tmp/d.json" ok=true verified=true modes.compute.iterations\>0 || fail "nrt-bench --duration"

# Raw input file of the right size; a wrong size or name is refused.
head -c 524288 /dev/zero >"$tmp/x.bin"
expect_rc 0 "$bench" -n 5 -w 1 --mode sync --mode async --input "x=$tmp/x.bin" "$mlp"
has "$tmp/out" "outputs verified bit-exact"
head -c 100 /dev/zero >"$tmp/short.bin"
expect_rc 1 "$bench" -n 5 --input "x=$tmp/short.bin" "$mlp"
has "$tmp/err" "has 100 bytes, but input 'x' takes 524288"
expect_rc 1 "$bench" -n 5 --input "nope=$tmp/x.bin" "$mlp"
has "$tmp/err" "model's inputs are: x"

# Two inputs and two outputs (float32 and float16) spread over the queues.
expect_rc 0 "$bench" -n 200 -w 5 --inflight 4 --verify-all --json "$tiny"
cp "$tmp/out" "$tmp/t.json"
"$jc" "$tmp/t.json" ok=true verified=true inputs#2 outputs#2 inputs.1.name=b inputs.1.dtype=float16 \
    inputs.1.shape#2 outputs.1.size=64 modes.async.iterations=200 compared\>600 || fail "nrt-bench on two tensors"

# How busy the machine was: measured for timed runs of a second or more,
# said to be unmeasured below (the figure itself depends on the machine).
expect_rc 0 "$bench" --duration 1.2 -w 1 --mode compute "$tiny"
has "$tmp/out" "^noise    other processes used [0-9.]*% of the machine during the run, steal [0-9.]*%"
expect_rc 0 "$bench" --duration 1.2 -w 1 --mode compute --json "$tiny"
cp "$tmp/out" "$tmp/n.json"
"$jc" "$tmp/n.json" ok=true foreign_cpu_pct? steal_pct? quiet? || fail "nrt-bench --json noise fields"
expect_rc 0 "$bench" -n 5 -w 1 --mode sync "$tiny"
has "$tmp/out" "^noise    not measured"

# Progress on request goes to stderr, the report stays on stdout.
expect_rc 0 "$bench" -n 10 -w 1 --mode sync --progress "$mlp"
has "$tmp/err" "iterations"
has "$tmp/out" "^sync "
echo "nrt-bench ok"

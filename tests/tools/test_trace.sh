#!/bin/sh
# Traces: nrt-bench --trace on two cores, checked slice by slice against
# the requests it scheduled (trace_check), rendered by nrt-trace-plot, and
# OPENNRT_TRACE written at nrt_close.
# usage: test_trace.sh NRT_BENCH TRACE_CHECK NRT_TRACE_PLOT JSON_CHECK MODEL_DIR TINY_MODEL
. "$(dirname "$0")/lib.sh"
bench=$1
tc=$2
plot=$3
jc=$4
mlp=$5/mlp.so
tiny=$6
export NEURON_RT_NUM_CORES=2

expect_rc 0 "$bench" -n 20 -w 2 --cores 0,1 --json --trace "$tmp/trace.json" "$mlp"
cp "$tmp/out" "$tmp/bench.json"
[ -s "$tmp/trace.json" ] || fail "no trace written"
"$jc" "$tmp/bench.json" ok=true trace.queues? || fail "bench JSON has no trace section"
"$tc" "$tmp/bench.json" "$tmp/trace.json" || fail "trace does not match the scheduled requests"

# Two inputs and two outputs on two queues of each copy unit: one track
# per queue, thousands of short requests.
OPENNRT_QUEUES=2 expect_rc 0 "$bench" -n 500 -w 2 --json --trace "$tmp/tiny.json" "$tiny"
cp "$tmp/out" "$tmp/tinybench.json"
"$jc" "$tmp/tinybench.json" ok=true trace.queues#5 || fail "expected 5 active queues (2 write, 2 read, 1 compute)"
"$tc" "$tmp/tinybench.json" "$tmp/tiny.json" || fail "trace of the two-tensor model"
expect_rc 0 "$plot" "$tmp/tiny.json" "$tmp/tiny.svg"
grep -q 'TENSOR_WRITE q1' "$tmp/tiny.svg" || fail "SVG has no lane for write queue 1"

expect_rc 0 "$plot" "$tmp/trace.json" "$tmp/trace.svg"
[ -s "$tmp/trace.svg" ] || fail "empty SVG"
head -c 64 "$tmp/trace.svg" | grep -Eq '^(<\?xml|<svg)' || fail "SVG does not start with <?xml or <svg"
grep -q '</svg>' "$tmp/trace.svg" || fail "SVG is not closed"
grep -q 'COMPUTE q0' "$tmp/trace.svg" || fail "SVG has no COMPUTE lane"
expect_rc 0 "$plot" --from 0 --to 500 --width 800 --title "zoom" "$tmp/trace.json" "$tmp/zoom.svg"
grep -q '>zoom<' "$tmp/zoom.svg" || fail "title not used"

# Broken input is a clear error.
printf '{"traceEvents": [ {"ph": "X", ' >"$tmp/broken.json"
expect_rc 1 "$plot" "$tmp/broken.json" "$tmp/broken.svg"
has "$tmp/err" "broken.json: line 1, column"

# OPENNRT_TRACE=FILE: the runtime writes everything at nrt_close.
OPENNRT_TRACE="$tmp/env.json" expect_rc 0 "$bench" -n 5 -w 1 --mode async "$mlp"
"$jc" "$tmp/env.json" traceEvents? displayTimeUnit=ns traceEvents.0.ph? || fail "OPENNRT_TRACE file"
echo "trace ok"

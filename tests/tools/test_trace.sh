#!/bin/sh
# Traces: nrt-bench --trace on two cores, checked slice by slice against
# the requests it scheduled (trace_check), rendered by nrt-trace-plot, and
# OPENNRT_TRACE written at nrt_close.
# Ids start at 1 (Perfetto treats pid 0 specially); a run that exits
# without nrt_close still writes its OPENNRT_TRACE file; failed requests are
# marked and counted in the SVG; a .png name is refused.
# usage: test_trace.sh NRT_BENCH TRACE_CHECK NRT_TRACE_PLOT JSON_CHECK MODEL_DIR TINY_MODEL TRACE_EXIT
. "$(dirname "$0")/lib.sh"
bench=$1
tc=$2
plot=$3
jc=$4
mlp=$5/mlp.so
tiny=$6
texit=$7
# trace_exit ends without nrt_close on purpose: its runtime is not a leak.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
TSAN_OPTIONS="${TSAN_OPTIONS:+$TSAN_OPTIONS:}report_thread_leaks=0"
export ASAN_OPTIONS TSAN_OPTIONS
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
for f in trace.json tiny.json env.json; do
    if grep -Eq '"(pid|tid)":0[,}]' "$tmp/$f"; then
        fail "$f has a pid or tid 0"
    fi
done

# A run that exits without nrt_close (as failing programs do) still writes
# its trace, also while another thread is still scheduling.
OPENNRT_TRACE="$tmp/exit.json" expect_rc 3 "$texit"
"$jc" "$tmp/exit.json" traceEvents? displayTimeUnit=ns || fail "no trace written at exit"
[ "$(grep -c '"ph":"X"' "$tmp/exit.json")" -ge 8 ] || fail "the trace written at exit lacks the 8 writes"
OPENNRT_TRACE="$tmp/busy.json" expect_rc 3 "$texit" --busy
"$jc" "$tmp/busy.json" traceEvents? || fail "no trace written at exit with a thread still scheduling"
[ "$(grep -c '"ph":"X"' "$tmp/busy.json")" -ge 8 ] || fail "the trace written at exit (busy) lacks the writes"

# Failed requests: a visible mark each, counted in the header and legend.
OPENNRT_FAULT='xu=write,queue=1,seq=2,status=NRT_EXEC_BAD_INPUT' OPENNRT_TRACE="$tmp/fail.json" \
    expect_rc 3 "$texit"
expect_rc 0 "$plot" "$tmp/fail.json" "$tmp/fail.svg"
has "$tmp/fail.svg" '8 requests (1 failed)'
has "$tmp/fail.svg" '>failed (1)<'
[ "$(grep -c 'stroke="#d00000" stroke-width="2"><title>' "$tmp/fail.svg")" -eq 1 ] ||
    fail "expected one failed mark"
grep 'stroke="#d00000" stroke-width="2"><title>' "$tmp/fail.svg" | grep -q 'width="5.00"' ||
    fail "the failed mark is not 5 pixels wide"
expect_rc 0 "$plot" "$tmp/exit.json" "$tmp/exit.svg"
has "$tmp/exit.svg" '>failed (0)<'

# SVG only: a raster name is refused, nothing written.
expect_rc 2 "$plot" "$tmp/fail.json" "$tmp/fail.png"
has "$tmp/err" "SVG only"
[ ! -e "$tmp/fail.png" ] || fail "nrt-trace-plot wrote fail.png"
expect_rc 0 "$plot" "$tmp/fail.json" "$tmp/FAIL.SVG"
echo "trace ok"

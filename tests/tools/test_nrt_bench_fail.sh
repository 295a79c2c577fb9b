#!/bin/sh
# nrt-bench failure paths: each gives one clear line and a non-zero exit,
# and with --json one error object; the summary never claims what did not
# happen; a model computing per core is verified per core.
# usage: test_nrt_bench_fail.sh NRT_BENCH MODEL_DIR JSON_CHECK LNC_MODEL UNDEF_MODEL
. "$(dirname "$0")/lib.sh"
bench=$1
mlp=$2/mlp.so
vadd=$2/vadd.so
jc=$3
lnc=$4
undef=$5
export NEURON_RT_NUM_CORES=2

# Tensors that do not fit: the message and exit 1 (it crashed in teardown,
# freeing sets it never allocated; the runtime's crash report also exits 1).
for limit in 10M 6M; do
    OPENNRT_MEM_LIMIT=$limit expect_rc 1 "$bench" -n 10 "$vadd"
    has "$tmp/err" "^nrt-bench: cannot allocate the tensors on core 0: NRT_RESOURCE"
    if grep -q "terminated with signal" "$tmp/err"; then fail "nrt-bench crashed after a failed allocation"; fi
done
OPENNRT_MEM_LIMIT=10M expect_rc 1 "$bench" -n 10 --json "$vadd"
cp "$tmp/out" "$tmp/mem.json"
"$jc" "$tmp/mem.json" tool=nrt-bench ok=false error? || fail "no JSON error object for a failed allocation"

# --json errors before anything ran: one error object on stdout.
expect_rc 1 "$bench" --json -n 5 "$tmp/does-not-exist.so"
cp "$tmp/out" "$tmp/nofile.json"
"$jc" "$tmp/nofile.json" ok=false error? || fail "no JSON error object for a missing model"
expect_rc 2 "$bench" --bogus --json "$mlp"
cp "$tmp/out" "$tmp/usage.json"
"$jc" "$tmp/usage.json" ok=false error? || fail "no JSON error object for a usage error"

# A valid model object with an unresolved symbol: the hint does not call it
# something else than a model.
expect_rc 1 "$bench" -n 5 "$undef"
has "$tmp/err" "^nrt-bench: cannot load model .*log line above says why"
if grep -q "not an OpenNRT model object" "$tmp/err"; then fail "the hint blames the file type"; fi

# Outputs that depend on the core: each core against its own reference.
expect_rc 0 "$bench" -n 20 -w 2 -c 0,1 "$lnc"
has "$tmp/out" "outputs verified bit-exact"
expect_rc 0 "$bench" -n 20 -w 2 -c 0,1 --no-verify --json "$lnc"
cp "$tmp/out" "$tmp/nv.json"
"$jc" "$tmp/nv.json" ok=true verify=false verified=false compared=0 || fail "--no-verify"
expect_rc 0 "$bench" -n 5 -w 1 --no-verify "$lnc"
has "$tmp/out" "outputs not verified (--no-verify)"
expect_rc 2 "$bench" --no-verify --verify-all "$lnc"

# A failed sync iteration: the summary says FAILED and counts it, and does
# not say the outputs were verified.
OPENNRT_FAULT='xu=compute,seq=10,status=NRT_EXEC_BAD_INPUT' expect_rc 1 "$bench" -n 20 -w 2 --mode sync "$mlp"
has "$tmp/out" "^summary  FAILED: "
has "$tmp/out" " 1 request error[;,]"
if grep -q "verified bit-exact" "$tmp/out"; then fail "the summary of a failed run says verified"; fi
OPENNRT_FAULT='xu=compute,seq=10,status=NRT_EXEC_BAD_INPUT' expect_rc 1 "$bench" -n 20 -w 2 --mode sync --json "$mlp"
cp "$tmp/out" "$tmp/syncfail.json"
"$jc" "$tmp/syncfail.json" ok=false verified=false errors=1 || fail "--json of a failed sync run"

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

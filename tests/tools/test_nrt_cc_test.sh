#!/bin/sh
# nrt-cc-test: usage, every op, the JSON report, --procs, and the failure
# paths (a wrong result, a request error, a missing peer): each must end
# with exit 1 and a line saying what happened, never hang. Figures are never
# checked. Skips (77) while the runtime says its collectives are not
# available yet.
# usage: test_nrt_cc_test.sh NRT_CC_TEST JSON_CHECK local|net
#   local  usage; collectives between cores of one process (no network)
#   net    sendrecv (its layer opens fabric endpoints), --procs and a
#          missing peer (libfabric tcp;ofi_rxm over 127.0.0.1)
. "$(dirname "$0")/lib.sh"
cct=$1
jc=$2
part=${3:-local}
unset NEURON_RT_ROOT_COMM_ID OMPI_COMM_WORLD_RANK OMPI_COMM_WORLD_SIZE PMI_RANK PMI_SIZE 2>/dev/null || true

# A world of one: prepare/schedule of a one-rank group copies.
rc=0
"$cct" -r 1 allr -b 1k -e 4k -n 3 -w 1 >"$tmp/out" 2>"$tmp/err" || rc=$?
if grep -q "not available yet" "$tmp/err"; then
    echo "SKIP: the runtime's collectives are not available yet"
    exit 77
fi
[ "$rc" -eq 0 ] || fail "-r 1 allr: exit $rc"
has "$tmp/out" "size(B) *count(elems) *type *time(us) *algbw(GB/s) *busbw(GB/s)"
has "$tmp/out" "^ *4096 *1024 *fp32 "
has "$tmp/out" "^Avg bus bandwidth:"

if [ "$part" = local ]; then
    # Usage.
    expect_rc 0 "$cct" --help
    for opt in --nworkers --minbytes --maxbytes --stepfactor --stepbytes --iters --warmup_iters --datatype \
        --check --stats --show-algorithm --report-to-json-file --procs --rank --world --timeout --gib \
        "Avg bus bandwidth" "1e9 bytes/s"; do
        has "$tmp/out" "$opt"
    done
    expect_rc 2 "$cct" allr
    has "$tmp/err" "give -r RANKS"
    expect_rc 2 "$cct" -r 2 bogus
    has "$tmp/err" "unknown operation 'bogus'"
    expect_rc 2 "$cct" -r 2 -b 12parsecs
    expect_rc 2 "$cct" -r 2 -b 1M -e 1K
    expect_rc 2 "$cct" -r 2 --rank 1
    expect_rc 2 "$cct" -r 2 -d complex64
    expect_rc 2 "$cct" -r 1 sendrecv
    has "$tmp/err" "at least 2 ranks"
    expect_rc 2 "$cct" -r 2 --stats p42

    # A run that fails before its report still leaves JSON: the error object.
    expect_rc 2 "$cct" --report-to-json-file "$tmp/usage.json" -r 2 bogus
    "$jc" "$tmp/usage.json" tool=nrt-cc-test ok=false error? || fail "no JSON error object for a usage error"
    OPENNRT_TOTAL_CORES=99 expect_rc 1 "$cct" --report-to-json-file "$tmp/init.json" -r 2 allr -b 4k -n 1
    "$jc" "$tmp/init.json" ok=false error? || fail "no JSON error object when the runtime cannot start"

    # Every collective on two cores of one process, random data checked exactly, JSON.
    for op in allr allg redsct; do
        expect_rc 0 "$cct" -r 2 $op -b 1k -e 64k -f 8 -n 3 -w 1 -c random --stats p50 p99 --show-algorithm \
            --report-to-json-file "$tmp/$op.json"
        has "$tmp/out" "p50(us) *p99(us)"
        "$jc" "$tmp/$op.json" op=$op ranks=2 processes=1 mode=threads dtype=fp32 check=random ok=true \
            results#3 results.0.size=1024 results.2.size=65536 results.2.check=ok results.0.time_us\>0 \
            results.1.stats_us.p99\>0 avg_busbw\>0 || fail "$op: JSON report"
    done
    "$jc" "$tmp/allr.json" bus_factor=1 results.0.count=256 results.0.in_bytes=1024 \
        "results.0.algorithm=direct (default)" || fail "allr geometry"
    OPENNRT_CC_ALLGATHER='direct:0-2K;ring:2K-max' expect_rc 0 "$cct" -r 2 allg -b 1k -e 4k -f 4 -n 2 -w 1 \
        -c random --show-algorithm
    has "$tmp/out" "^ *1024 .* direct (setting)"
    has "$tmp/out" "^ *4096 .* ring (setting)"
    "$jc" "$tmp/allg.json" results.0.in_bytes=512 results.0.out_bytes=1024 || fail "allg geometry"
    "$jc" "$tmp/redsct.json" results.0.in_bytes=1024 results.0.out_bytes=512 || fail "redsct geometry"

    # Other data types and reductions, three ranks (sizes rounded to 3 elements).
    expect_rc 0 "$cct" -r 3 redsct -b 1000 -n 2 -w 1 -d bf16 -c random
    has "$tmp/out" "^ *996 *498 *bf16 "
    expect_rc 0 "$cct" -r 3 allr -b 4k -n 2 -w 1 -d int32 -c random --reduce-op max
    expect_rc 0 "$cct" -r 2 allr -b 4k -n 2 -w 1 -d fp16 -c random --gib
    has "$tmp/out" "busbw(GiB/s)"

    # A wrong result is caught, reported and makes the run fail.
    expect_rc 1 "$cct" -r 2 allr -b 4k -n 2 -w 1 -c random --inject-mismatch
    has "$tmp/out" "WRONG (1 elements)"
    has "$tmp/err" "rank 1 (core 1): allr of 4096 B (fp32): 1 of 1024 elements wrong"

    # A request error (injected into core 1's first collective) is caught through the tracker.
    OPENNRT_FAULT='lnc=1,xu=collectives,seq=1,status=NRT_FAILURE' expect_rc 1 "$cct" -r 2 allr -b 4k -n 2 -w 1
    has "$tmp/err" "allr of 4096 B failed: NRT_FAILURE"
    echo "nrt-cc-test (local) ok"
    exit 0
fi

# Ring send/receive between cores of one process.
expect_rc 0 "$cct" -r 3 sendrecv -b 1k -e 64k -f 8 -n 3 -w 1 -c random --show-algorithm \
    --report-to-json-file "$tmp/sendrecv.json"
"$jc" "$tmp/sendrecv.json" op=sendrecv ranks=3 bus_factor=1 results#3 results.0.algorithm=local \
    results.2.check=ok || fail "sendrecv JSON report"

# One process per rank (the built-in launcher): a collective and sendrecv.
expect_rc 0 "$cct" --procs -r 2 allr -b 4k -n 2 -w 1 -c random --report-to-json-file "$tmp/procs.json"
"$jc" "$tmp/procs.json" processes=2 cores_per_process=1 mode=procs results.0.check=ok || fail "--procs JSON"
expect_rc 0 "$cct" --procs -r 2 sendrecv -b 4k -n 2 -w 1 -c random --show-algorithm
has "$tmp/out" "^ *4096 .* tcp;ofi_rxm"

# A peer that never comes: an error within the timeout, not a hang.
port=$((20000 + $$ % 20000))
t0=$(date +%s)
NEURON_RT_ROOT_COMM_ID=127.0.0.1:$port expect_rc 1 "$cct" --rank 1 --world 2 allr -b 4k -n 2 -w 1 --timeout 2
t1=$(date +%s)
[ $((t1 - t0)) -lt 30 ] || fail "a missing peer took $((t1 - t0)) s to report"
has "$tmp/err" "rank 1 (core 0)"
echo "nrt-cc-test (net) ok"

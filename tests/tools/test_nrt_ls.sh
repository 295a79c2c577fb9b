#!/bin/sh
# nrt-ls: text and JSON listings, core selection, and a bad environment.
# usage: test_nrt_ls.sh NRT_LS JSON_CHECK
. "$(dirname "$0")/lib.sh"
ls=$1
jc=$2

expect_rc 0 "$ls" --help
has "$tmp/out" "usage: nrt-ls"
expect_rc 2 "$ls" --bogus
has "$tmp/err" "unknown argument"

export OPENNRT_TOTAL_CORES=4
expect_rc 0 "$ls"
has "$tmp/out" "^OpenNRT [0-9]"
has "$tmp/out" "4 of 4 logical cores visible"
has "$tmp/out" "queue depth"
has "$tmp/out" "memory limit"
has "$tmp/out" "compute 1x"

NEURON_RT_NUM_CORES=2 expect_rc 0 "$ls" --json
cp "$tmp/out" "$tmp/n2.json"
"$jc" "$tmp/n2.json" visible_cores=2 total_cores=4 cores#2 cores.1.id=1 cores.1.physical_id=1 \
    config.queues.COMPUTE=1 config.queue_depth\>0 cores.0.memory.limit\>0 cores.0.units#5 \
    cores.0.units.3.name=COMPUTE version? || fail "nrt-ls --json with NEURON_RT_NUM_CORES=2"

# Logical ids are dense; physical ids are what NEURON_RT_VISIBLE_CORES named.
NEURON_RT_VISIBLE_CORES=1,3 expect_rc 0 "$ls" --json
cp "$tmp/out" "$tmp/v13.json"
"$jc" "$tmp/v13.json" visible_cores=2 cores#2 cores.0.id=0 cores.0.physical_id=1 cores.1.id=1 \
    cores.1.physical_id=3 environment.NEURON_RT_VISIBLE_CORES=1,3 || fail "nrt-ls --json with VISIBLE_CORES=1,3"
if command -v python3 >/dev/null 2>&1; then
    python3 -m json.tool "$tmp/v13.json" >/dev/null || fail "python3 rejects the JSON"
fi
NEURON_RT_VISIBLE_CORES=1,3 expect_rc 0 "$ls"
has "$tmp/out" "2 of 4 logical cores visible"
grep -Eq '^ +1 +3 ' "$tmp/out" || fail "no row for logical core 1 = physical 3"

# A core that does not exist: a clear message and a failure exit.
NEURON_RT_VISIBLE_CORES=7 expect_rc 1 "$ls"
has "$tmp/err" "nrt-ls: the runtime failed to initialize"
has "$tmp/err" "NEURON_RT_VISIBLE_CORES='7'"
NEURON_RT_VISIBLE_CORES=abc expect_rc 1 "$ls" --json
[ ! -s "$tmp/out" ] || fail "--json printed output although init failed"
echo "nrt-ls ok"

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

# The settings come from the runtime's table: every entry, with the value
# in force (here: 4 cores, 2 visible), and the exec timeout in force.
unset OPENNRT_QUEUES OPENNRT_QUEUE_DEPTH OPENNRT_WORKERS OPENNRT_MEM_LIMIT NEURON_RT_EXEC_TIMEOUT \
    OPENNRT_EXEC_TIMEOUT_MS NEURON_RT_LOG_LEVEL 2>/dev/null || true
expect_rc 0 "$ls" --params-md
nparams=$(grep -c '^| `' "$tmp/out")
[ "$nparams" -gt 10 ] || fail "--params-md lists only $nparams settings"
NEURON_RT_VISIBLE_CORES=1,3 OPENNRT_WORKERS=3 OPENNRT_EXEC_TIMEOUT_MS=300 OPENNRT_MEM_LIMIT=1536M \
    expect_rc 0 "$ls" --json
cp "$tmp/out" "$tmp/params.json"
"$jc" "$tmp/params.json" "params#$nparams" config.workers=3 config.exec_timeout_ms=300 config.exec_timeout_s=30 \
    params.NEURON_RT_VISIBLE_CORES.value=1,3 params.NEURON_RT_VISIBLE_CORES.set=true \
    params.OPENNRT_MEM_LIMIT.value=1536M params.OPENNRT_MEM_LIMIT.default=16G params.OPENNRT_MEM_LIMIT.type=size \
    params.OPENNRT_QUEUES.set=false params.OPENNRT_QUEUES.range=1..32 params.NEURON_RT_LOG_LEVEL.value=ERROR \
    params.OPENNRT_TRACE.value= params.OPENNRT_SCALE_PASSES.value=null environment.OPENNRT_MEM_LIMIT=1536M \
    || fail "nrt-ls --json settings"
expect_rc 0 "$ls"
has "$tmp/out" "^  exec timeout  *30 s$"
has "$tmp/out" "^  workers  *[1-9][0-9]* threads$"
has "$tmp/out" "^  OPENNRT_QUEUE_DEPTH  *64  *default 64$"
OPENNRT_EXEC_TIMEOUT_MS=300 OPENNRT_WORKERS=3 OPENNRT_QUEUE_DEPTH=100 expect_rc 0 "$ls"
has "$tmp/out" "^  exec timeout  *300 ms$"
has "$tmp/out" "^  workers  *3 threads$"
has "$tmp/out" "^environment: .*OPENNRT_EXEC_TIMEOUT_MS=300"
has "$tmp/out" "^  OPENNRT_QUEUE_DEPTH  *128  *set, default 64$"
has "$tmp/out" "^  OPENNRT_EXEC_TIMEOUT_MS  *300  *set, default 0$"
NEURON_RT_EXEC_TIMEOUT=0 expect_rc 0 "$ls"
has "$tmp/out" "^  exec timeout  *disabled$"
NEURON_RT_EXEC_TIMEOUT=2 expect_rc 0 "$ls"
has "$tmp/out" "^  exec timeout  *2 s$"
expect_rc 2 "$ls" --json --params-md

# A misspelt setting: one warning naming the closest known one.
OPENNRT_QUEUE=8 NEURON_RT_LOG_LEVEL=WARN expect_rc 0 "$ls"
has "$tmp/err" "WARN .*OPENNRT_QUEUE is ignored; did you mean OPENNRT_QUEUES?"
[ "$(grep -c 'OPENNRT_QUEUE is ignored' "$tmp/err")" -eq 1 ] || fail "expected one warning"

# A core that does not exist: a clear message and a failure exit.
NEURON_RT_VISIBLE_CORES=7 expect_rc 1 "$ls"
has "$tmp/err" "nrt-ls: the runtime failed to initialize"
has "$tmp/err" "NEURON_RT_VISIBLE_CORES='7'"
NEURON_RT_VISIBLE_CORES=abc expect_rc 1 "$ls" --json
cp "$tmp/out" "$tmp/initfail.json"
"$jc" "$tmp/initfail.json" tool=nrt-ls ok=false error? || fail "--json printed no error object when init failed"
expect_rc 2 "$ls" --bogus --json
cp "$tmp/out" "$tmp/usage.json"
"$jc" "$tmp/usage.json" ok=false error? || fail "--json printed no error object for a usage error"
echo "nrt-ls ok"

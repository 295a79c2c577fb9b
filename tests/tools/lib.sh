# tests/tools/lib.sh - helpers shared by the tool tests (POSIX sh).
# Each test gets a scratch directory removed on exit; `fail` prints the
# reason (and the captured output, if any) and exits 1.
set -eu
tmp=$(mktemp -d "${TMPDIR:-/tmp}/nrt-tools-test.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

# Start from a known core layout whatever the caller's environment holds.
unset NEURON_RT_VISIBLE_CORES NEURON_RT_NUM_CORES OPENNRT_TOTAL_CORES OPENNRT_TRACE OPENNRT_FAULT 2>/dev/null || true

fail() {
    echo "FAIL: $*" >&2
    for f in "$tmp"/out "$tmp"/err; do
        if [ -s "$f" ]; then
            echo "--- $(basename "$f"):" >&2
            head -c 4000 "$f" >&2
        fi
    done
    exit 1
}

# expect_rc WANT CMD...: runs CMD (stdout to $tmp/out, stderr to $tmp/err)
# and checks its exit status: a number, or "nonzero".
expect_rc() {
    want=$1
    shift
    rc=0
    "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
    if [ "$want" = nonzero ]; then
        [ "$rc" -ne 0 ] || fail "expected a non-zero exit from: $*"
    else
        [ "$rc" -eq "$want" ] || fail "exit $rc, expected $want, from: $*"
    fi
}

# has FILE PATTERN: FILE contains a line matching the (basic) regex.
has() {
    grep -q -- "$2" "$1" || fail "$(basename "$1") lacks /$2/"
}

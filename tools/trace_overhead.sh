#!/bin/sh
# tools/trace_overhead.sh - what recording a timeline costs: runs nrt-bench
# on a model with and without --trace, alternating which goes first (so a
# drift of the machine does not favour one), and compares the median
# iterations/s of each mode. Medians over several runs, because on a shared
# machine single runs vary by more than tracing costs.
#
# usage: tools/trace_overhead.sh NRT_BENCH MODEL.so [RUNS] [nrt-bench options...]
#   e.g. tools/trace_overhead.sh build/tools/nrt-bench build/models/scale.so 5 -n 500
# Prints one line per mode: median without, median with, the difference of
# the medians, the median of the per-run differences ("paired"), and the
# spread of each.
set -eu
bench=$1
model=$2
runs=${3:-5}
shift 2
[ $# -gt 0 ] && shift
tmp=$(mktemp -d "${TMPDIR:-/tmp}/nrt-trace-overhead.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

i=0
while [ "$i" -lt "$runs" ]; do
    if [ $((i % 2)) -eq 0 ]; then
        "$bench" "$@" "$model" >"$tmp/plain.$i"
        "$bench" "$@" --trace "$tmp/trace.json" "$model" >"$tmp/traced.$i"
    else
        "$bench" "$@" --trace "$tmp/trace.json" "$model" >"$tmp/traced.$i"
        "$bench" "$@" "$model" >"$tmp/plain.$i"
    fi
    i=$((i + 1))
done

# median of the iter/s column (3rd) of a mode's row over the runs
median() {
    cat "$tmp"/"$1".* | awk -v m="$2" '$1 == m { print $3 }' | sort -n |
        awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

echo "trace overhead: $(basename "$model"), $runs runs each, nrt-bench $*"
# median over the runs of the per-run change (traced vs the plain run next
# to it): pairs share the machine's state, so this drifts less
paired() {
    i=0
    while [ "$i" -lt "$runs" ]; do
        a=$(awk -v m="$1" '$1 == m { print $3 }' "$tmp/plain.$i")
        b=$(awk -v m="$1" '$1 == m { print $3 }' "$tmp/traced.$i")
        echo "$a $b" | awk '{ print 100 * ($2 - $1) / $1 }'
        i=$((i + 1))
    done | sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# min..max of the same column, to show the spread
range() {
    cat "$tmp"/"$1".* | awk -v m="$2" '$1 == m { print $3 }' | sort -n | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.0f..%.0f", lo, hi }'
}

printf '%-8s %14s %14s %9s %9s   %s\n' mode "plain iter/s" "traced iter/s" "change" "paired" "spread plain / traced"
for m in sync async compute; do
    a=$(median plain "$m")
    b=$(median traced "$m")
    [ "$a" = nan ] && continue
    printf '%-8s %14.1f %14.1f %8.1f%% %8.1f%%   %s / %s\n' "$m" "$a" "$b" \
        "$(echo "$a $b" | awk '{ print 100 * ($2 - $1) / $1 }')" "$(paired "$m")" "$(range plain "$m")" "$(range traced "$m")"
done
echo "trace file of the last run: $(wc -c <"$tmp/trace.json") bytes"

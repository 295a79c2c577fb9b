#!/bin/sh
# scripts/params_md.sh - keeps the settings tables of README.md and
# docs/CONFIG.md equal to the runtime's settings table (src/core/params.h),
# as `nrt-ls --params-md` prints it. Each FILE holds the table between the
# lines <!-- params:begin --> and <!-- params:end -->, once.
#
# usage: scripts/params_md.sh [--check] NRT_LS FILE...
#   without --check  rewrite the tables in place
#   --check          change nothing; print a diff and exit 1 if a table is
#                    stale (the tools_params_md test)
# After changing the table: cmake --build build --target params-md
set -eu
check=0
if [ "${1:-}" = --check ]; then
    check=1
    shift
fi
if [ $# -lt 2 ]; then
    echo "usage: $0 [--check] NRT_LS FILE..." >&2
    exit 2
fi
ls=$1
shift
tmp=$(mktemp -d "${TMPDIR:-/tmp}/nrt-params-md.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

"$ls" --params-md >"$tmp/table"
rc=0
for f in "$@"; do
    # Markers kept, the table between them replaced (blank lines around it
    # so every Markdown reader sees a table, not part of the comment).
    if ! awk -v table="$tmp/table" '
        /^<!-- params:begin -->$/ {
            print; print ""
            while ((getline line < table) > 0) print line
            print ""; inside = 1; begins++; next
        }
        /^<!-- params:end -->$/ { inside = 0; ends++ }
        !inside { print }
        END { exit !(begins == 1 && ends == 1 && !inside) }' "$f" >"$tmp/new"; then
        echo "$f: needs exactly one <!-- params:begin --> line and, after it, one <!-- params:end --> line" >&2
        exit 2
    fi
    if cmp -s "$f" "$tmp/new"; then
        continue
    fi
    if [ $check = 1 ]; then
        echo "$f: the settings table differs from 'nrt-ls --params-md'" \
            "(run: cmake --build BUILD --target params-md):" >&2
        diff -u "$f" "$tmp/new" >&2 || true
        rc=1
    else
        cat "$tmp/new" >"$f"
        echo "updated $f"
    fi
done
exit $rc

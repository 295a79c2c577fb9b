#!/bin/sh
# check_upstream.sh LIBNRT FILE.c [NODE] - every function FILE.c re-declares
# from an upstream header is a dynamic export of LIBNRT at NRT_2.0.0 or
# NRT_3.0.0 (with NODE: at that version node, e.g. the 2.28 or the 3.0
# variant of an async function).
set -u
lib=${1:?usage: check_upstream.sh LIBNRT FILE.c}
file=${2:?}
node=${3:-}
exports=$(nm -D --defined-only "$lib" | awk '$2 == "T" {print $3}')
names=$(sed -n 's/^[^ (].*[ *]\(\(nrt\|nrta\|nec\)_[a-z0-9_]*\)(.*);$/\1/p' "$file" | sort -u)
[ -n "$names" ] || { echo "no declarations found in $file"; exit 1; }
fail=0
for n in $names; do
  if [ -n "$node" ]; then
    echo "$exports" | grep -qxF -e "$n@$node" -e "$n@@$node" || { echo "$n is not exported at $node"; fail=1; }
  else
    echo "$exports" | grep -qE "^$n@@?NRT_(2|3)\.0\.0$" || { echo "$n is not exported at NRT_2.0.0 / NRT_3.0.0"; fail=1; }
  fi
done
[ $fail = 0 ] && echo "$(basename "$file"): $(echo "$names" | wc -l) functions exported"
exit $fail

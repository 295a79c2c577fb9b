#!/bin/sh
# check_exports.sh LIBNRT SRC_DIR - the exports of libnrt.so.1 are exactly
# the functions defined NRT_API under SRC_DIR, each at version NRT_2.0.0 or
# NRT_3.0.0, plus the two-variant names bound by NRT_EXPORT_AS /
# NRT_EXPORT_DEFAULT_AS (name@NRT_2.0.0 and name@@NRT_3.0.0, both present);
# nothing internal (nrt__*), and the soname is libnrt.so.1.
set -u
lib=${1:?usage: check_exports.sh LIBNRT SRC_DIR}
src=${2:?}
fail=0
soname=$(readelf -d "$lib" | sed -n 's/.*Library soname: \[\(.*\)\].*/\1/p')
[ "$soname" = libnrt.so.1 ] || { echo "soname is '$soname', not libnrt.so.1"; fail=1; }
exports=$(nm -D --defined-only "$lib" | awk '$2 == "T" || $2 == "W" || $2 == "D" || $2 == "B" {print $3}')
versioned=$(grep -rhoE '^NRT_EXPORT_(DEFAULT_)?AS\([a-z_0-9]+, *[a-z_0-9]+' "$src" | sed -E 's/.*, *//' | sort -u)
old=$(echo "$exports" | grep '@NRT_2\.0\.0$' | grep -v '@@' | sed 's/@.*//' | sort -u)
bad=$(echo "$exports" | grep -v '@@NRT_2\.0\.0$' | grep -v '@@NRT_3\.0\.0$' | grep -v '^NRT_[0-9.]*@@NRT_[0-9.]*$' |
      grep -v '@NRT_2\.0\.0$')
[ -z "$bad" ] || { echo "exports outside NRT_2.0.0 / NRT_3.0.0:"; echo "$bad"; fail=1; }
internal=$(echo "$exports" | grep '^nrt__')
[ -z "$internal" ] || { echo "internal symbols exported:"; echo "$internal"; fail=1; }
for n in $versioned; do
  echo "$exports" | grep -qx "$n@NRT_2\.0\.0" || { echo "$n@NRT_2.0.0 (the 2.28 variant) is not exported"; fail=1; }
  echo "$exports" | grep -qx "$n@@NRT_3\.0\.0" || { echo "$n@@NRT_3.0.0 (the 3.0 variant) is not exported"; fail=1; }
done
for n in $old; do
  printf '%s\n' "$versioned" | grep -qx "$n" || { echo "$n@NRT_2.0.0 is not a two-variant name"; fail=1; }
done
api=$( (grep -rhoE 'NRT_API [^(]*\b((nrt|nec_)[a-z_0-9]*)\(' "$src" | sed -E 's/.*\b((nrt|nec_)[a-z_0-9]*)\($/\1/' |
        grep -v '^nrt__'; printf '%s\n' "$versioned") | sort -u)
names=$(echo "$exports" | sed 's/@.*//' | grep -v '^NRT_' | sort -u)
missing=$(printf '%s\n' "$api" | grep -vxF "$names")
extra=$(printf '%s\n' "$names" | grep -vxF "$api")
[ -z "$missing" ] || { echo "declared NRT_API but not exported (add them to src/libnrt.map):"; echo "$missing"; fail=1; }
[ -z "$extra" ] || { echo "exported but not NRT_API in src/:"; echo "$extra"; fail=1; }
n=$(echo "$names" | wc -l)
nv=$(printf '%s\n' "$versioned" | grep -c .)
[ $fail = 0 ] && echo "check_exports: $n functions at NRT_2.0.0 / NRT_3.0.0 ($nv with both variants), soname libnrt.so.1"
exit $fail

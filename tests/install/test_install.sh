#!/bin/sh
# OpenNRT as people install it (README "Install"). Two modes:
#
#   prefix: `cmake --install` of this build into a temporary prefix; the
#     layout (library and soname links, headers, nrt.pc, the CMake package,
#     example models, tools, a man page for every exported function and
#     tool); an outside program (outside.c) built with pkg-config and with
#     find_package(OpenNRT), run against the installed library and model;
#     the installed nrt-bench runs an installed model by name; then a
#     library-only build (models, tools, examples, tests, benchmarks off)
#     configured with a C++ compiler that does not exist and without
#     looking for OpenBLAS, installed with prefix /opt/aws/neuron (DESTDIR):
#     lib/libnrt.so, lib/libnrt.so.1, include/nrt/.
#   deb: `cpack -G DEB` of this build, dpkg -i, the outside program built
#     against the system install and run, dpkg -r, and nothing left behind
#     (not a file, not a record in the dpkg database: the package has no
#     configuration files, so it is purged).
#     Root only (exit 77 otherwise), and skipped when an opennrt package or
#     a libnrt.so.1 in /usr/lib is already there (it is not ours to remove).
#
# Usage: test_install.sh prefix|deb BUILD_DIR SOURCE_DIR LIBDIR C_COMPILER
set -eu

mode="$1" build="$2" src="$3" libdir="$4" cc="$5"
here="$src/tests/install"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/nrt-install.XXXXXX")
pkg_installed=0
cleanup() {
    if [ "$pkg_installed" = 1 ]; then dpkg -P opennrt >/dev/null 2>&1 || true; fi
    rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
need() { [ -e "$1" ] || fail "missing after install: $1"; }
quiet() { # run "$@" with its output in $tmp/log, shown on failure
    "$@" >"$tmp/log" 2>&1 || { cat "$tmp/log" >&2; fail "$*"; }
}

# The outside program with pkg-config (PKG_CONFIG_PATH as the caller sets it).
build_with_pkgconfig() { # out
    flags=$(pkg-config --cflags --libs nrt) || fail "pkg-config --cflags --libs nrt"
    # shellcheck disable=SC2086
    quiet "$cc" -std=c11 -Wall -Wextra -Werror -o "$1" "$here/outside.c" $flags
}

case "$mode" in
prefix)
    p="$tmp/prefix"
    quiet cmake --install "$build" --prefix "$p"
    for f in "$libdir/libnrt.so" "$libdir/libnrt.so.1" include/nrt/nrt.h include/nrt/nrt_async.h \
             include/ndl/neuron_driver_shared_tensor_batch_op.h "$libdir/pkgconfig/nrt.pc" \
             "$libdir/cmake/OpenNRT/OpenNRTConfig.cmake" "$libdir/cmake/OpenNRT/OpenNRTConfigVersion.cmake" \
             "$libdir/opennrt/models/vadd.so" bin/nrt-ls bin/nrt-bench bin/nrt-cc-test bin/nrt-trace-plot \
             share/man/man1/nrt-bench.1 share/man/man3/nrt.h.3 share/man/man3/nrt_init.3; do
        need "$p/$f"
    done
    [ -L "$p/$libdir/libnrt.so" ] || fail "$libdir/libnrt.so is not the development link"
    [ "$(readlink "$p/$libdir/libnrt.so.1")" != "" ] || fail "$libdir/libnrt.so.1 is not the soname link"
    soname=$(objdump -p "$p/$libdir/libnrt.so" | awk '$1 == "SONAME" { print $2 }')
    [ "$soname" = "libnrt.so.1" ] || fail "soname '$soname', expected libnrt.so.1"

    # A man page for every exported function (from the headers' comments).
    nm -D --defined-only "$p/$libdir/libnrt.so" | awk '$2 == "T" { sub(/@.*/, "", $3); print $3 }' |
        sort -u >"$tmp/exports"
    [ -s "$tmp/exports" ] || fail "no exported functions found"
    while read -r fn; do
        [ -f "$p/share/man/man3/$fn.3" ] || fail "no man page for the exported function $fn"
    done <"$tmp/exports"
    if command -v groff >/dev/null 2>&1; then
        for page in "$p"/share/man/man1/*.1 "$p"/share/man/man3/*.3; do
            w=$(groff -man -Tutf8 -ww -z "$page" 2>&1) || fail "groff $page"
            [ -z "$w" ] || fail "groff warns on $page: $w"
        done
    fi

    # pkg-config: the outside program, run against the installed library and model.
    export PKG_CONFIG_PATH="$p/$libdir/pkgconfig"
    [ "$(pkg-config --variable=prefix nrt)" = "$p" ] || fail "nrt.pc prefix is not the install prefix"
    modeldir=$(pkg-config --variable=modeldir nrt)
    build_with_pkgconfig "$tmp/outside_pc"
    LD_LIBRARY_PATH="$p/$libdir" "$tmp/outside_pc" "$modeldir/vadd.so" || fail "outside program (pkg-config)"
    ldd_out=$(LD_LIBRARY_PATH="$p/$libdir" ldd "$tmp/outside_pc")
    echo "$ldd_out" | grep -q "$p/$libdir/libnrt.so.1" || fail "outside program did not use the installed library"

    # CMake: find_package(OpenNRT) -> OpenNRT::nrt.
    quiet cmake -S "$here/consumer" -B "$tmp/consumer" -DCMAKE_PREFIX_PATH="$p" -DCMAKE_C_COMPILER="$cc" \
        -DCMAKE_BUILD_TYPE=Release
    quiet cmake --build "$tmp/consumer"
    [ "$(cat "$tmp/consumer/model_dir.txt")" = "$modeldir" ] || fail "OpenNRT_MODEL_DIR is not $modeldir"
    LD_LIBRARY_PATH="$p/$libdir" "$tmp/consumer/outside" "$modeldir/vadd.so" || fail "outside program (CMake)"

    # The installed tools: their own library (RPATH) and the installed models by name.
    (cd "$tmp" && env -u LD_LIBRARY_PATH "$p/bin/nrt-bench" -n 3 -w 1 -m sync vadd.so >"$tmp/bench.log" 2>&1) ||
        { cat "$tmp/bench.log" >&2; fail "installed nrt-bench vadd.so"; }
    env -u LD_LIBRARY_PATH "$p/bin/nrt-ls" >/dev/null || fail "installed nrt-ls"

    # Library only: no C++, no OpenBLAS, the Neuron layout under /opt/aws/neuron.
    lo="$tmp/libonly"
    quiet cmake -S "$src" -B "$lo" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER="$cc" \
        -DCMAKE_CXX_COMPILER=/nonexistent/c++ -DCMAKE_INSTALL_PREFIX=/opt/aws/neuron \
        -DNRT_BUILD_MODELS=OFF -DNRT_BUILD_TOOLS=OFF -DNRT_BUILD_EXAMPLES=OFF -DNRT_BUILD_TESTS=OFF \
        -DNRT_BUILD_BENCH=OFF
    ! grep -q "^CBLAS_INCLUDE_DIR\|^OPENBLAS_LIBRARY\|^CMAKE_CXX_COMPILER_LOADED" "$lo/CMakeCache.txt" ||
        fail "a library-only configure looked for OpenBLAS or enabled C++"
    quiet cmake --build "$lo" -j"$(nproc)" --target nrt man
    DESTDIR="$tmp/dest" quiet cmake --install "$lo"
    n="$tmp/dest/opt/aws/neuron"
    for f in lib/libnrt.so lib/libnrt.so.1 include/nrt/nrt.h lib/pkgconfig/nrt.pc lib/cmake/OpenNRT/OpenNRTConfig.cmake; do
        need "$n/$f"
    done
    [ ! -e "$n/bin" ] && [ ! -e "$n/lib/opennrt" ] || fail "a library-only build installed tools or models"
    grep -q "^prefix=/opt/aws/neuron$" "$n/lib/pkgconfig/nrt.pc" || fail "nrt.pc prefix is not /opt/aws/neuron"
    echo "install prefix: ok ($(wc -l <"$tmp/exports") exported functions, each with a man page)"
    ;;
deb)
    [ "$(id -u)" = 0 ] || { echo "SKIP: dpkg -i needs root"; exit 77; }
    command -v dpkg-deb >/dev/null 2>&1 || { echo "SKIP: no dpkg"; exit 77; }
    if dpkg-query -W -f='${Status}' opennrt 2>/dev/null | grep -q "installed"; then
        echo "SKIP: an opennrt package is already installed; not ours to remove"
        exit 77
    fi
    for f in /usr/lib/libnrt.so.1 /usr/include/nrt; do
        [ ! -e "$f" ] || { echo "SKIP: $f already exists; not ours to replace"; exit 77; }
    done
    quiet cpack -G DEB --config "$build/CPackConfig.cmake" -B "$tmp/pkg"
    deb=$(ls "$tmp"/pkg/opennrt_*.deb)
    pkg_installed=1
    quiet dpkg -i "$deb"
    for f in /usr/lib/libnrt.so /usr/lib/libnrt.so.1 /usr/include/nrt/nrt.h /usr/lib/pkgconfig/nrt.pc \
             /usr/lib/cmake/OpenNRT/OpenNRTConfig.cmake /usr/lib/opennrt/models/vadd.so /usr/bin/nrt-bench \
             /usr/share/man/man3/nrt_init.3; do
        need "$f"
    done
    unset PKG_CONFIG_PATH
    [ "$(pkg-config --variable=prefix nrt)" = /usr ] || fail "the packaged nrt.pc prefix is not /usr"
    build_with_pkgconfig "$tmp/outside"
    env -u LD_LIBRARY_PATH "$tmp/outside" /usr/lib/opennrt/models/vadd.so || fail "outside program (system install)"
    (cd "$tmp" && env -u LD_LIBRARY_PATH /usr/bin/nrt-bench -n 3 -w 1 -m sync vadd.so >"$tmp/bench.log" 2>&1) ||
        { cat "$tmp/bench.log" >&2; fail "packaged nrt-bench vadd.so"; }
    dpkg -L opennrt >"$tmp/files"
    quiet dpkg -r opennrt
    pkg_installed=0
    while read -r f; do
        [ -d "$f" ] || [ ! -e "$f" ] || fail "left behind after dpkg -r: $f"
    done <"$tmp/files"
    [ ! -e /usr/include/nrt ] || fail "left behind after dpkg -r: /usr/include/nrt"
    quiet dpkg -P opennrt
    if dpkg-query -W opennrt >/dev/null 2>&1; then
        fail "the dpkg database still knows opennrt after dpkg -P"
    fi
    echo "install deb: ok ($(basename "$deb"))"
    ;;
*)
    fail "unknown mode $mode"
    ;;
esac

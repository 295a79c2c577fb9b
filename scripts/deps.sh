#!/usr/bin/env bash
# Installs the Debian packages OpenNRT needs, only those missing.
# Usage: scripts/deps.sh [main|all]   (as root, or with sudo available)
#   main  what the main job needs (scripts/run.sh: the library, the example
#         models with OpenBLAS, the tools; libfabric for send/recv and
#         collectives);
#   all   (default) also the test suite's and benchmarks' needs: g++, clang
#         and its sanitizer runtimes, valgrind, iproute2 (network
#         namespaces), PoCL (the OpenCL baseline), OpenMPI (the collectives
#         baseline).
set -euo pipefail

pkgs=(gcc libc6-dev make cmake pkg-config libopenblas-dev libfabric-dev)
if [ "${1:-all}" != main ]; then
  pkgs+=(build-essential clang libclang-rt-14-dev valgrind libfabric-bin iproute2
         ocl-icd-opencl-dev opencl-headers pocl-opencl-icd
         openmpi-bin libopenmpi-dev)  # OpenMPI: the baseline of bench_cc (optional: without it that column is n/a)
fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "deps: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"

#!/usr/bin/env bash
# Installs the Debian packages OpenNRT needs, only those missing.
# Usage: scripts/deps.sh   (as root, or with sudo available)
set -euo pipefail

pkgs=(build-essential cmake clang libclang-rt-14-dev libopenblas-dev pkg-config valgrind libfabric-dev libfabric-bin iproute2
      ocl-icd-opencl-dev opencl-headers pocl-opencl-icd
      openmpi-bin libopenmpi-dev)  # OpenMPI: the baseline of bench_cc (optional: without it that column is n/a)
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

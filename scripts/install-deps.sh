#!/usr/bin/env bash
# Installs every Debian package quant's build, tests and examples need.
# Idempotent: packages already present are left alone.
set -euo pipefail

packages=(
  cmake ninja-build g++ git
  llvm-22-dev libmlir-22-dev mlir-22-tools clang-22 lld-22 llvm-22-tools
  libgtest-dev
  libonnx-dev protobuf-compiler libprotobuf-dev libonnx-testdata
  python3-numpy python3-onnx
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$p")
done
# ONNX Runtime for Node (scripts/ort/install.sh) needs node and npm. A machine
# with node from elsewhere (e.g. NodeSource, whose nodejs conflicts with
# Debian's npm) keeps it.
if ! command -v npm >/dev/null 2>&1; then
  missing+=(nodejs npm)
fi
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends "${missing[@]}"

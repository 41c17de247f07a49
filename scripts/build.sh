#!/usr/bin/env bash
# Configures and builds quant into ./build (or $QUANT_BUILD_DIR) with ninja.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="${QUANT_BUILD_DIR:-build}"
if [ ! -f "$build_dir/build.ninja" ]; then
  cmake -G Ninja -S . -B "$build_dir" \
    -DCMAKE_BUILD_TYPE=Release \
    -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
    -DCMAKE_C_COMPILER=/usr/lib/llvm-22/bin/clang \
    -DCMAKE_CXX_COMPILER=/usr/lib/llvm-22/bin/clang++ \
    -DLLVM_USE_LINKER=lld
fi
cmake --build "$build_dir" "$@"

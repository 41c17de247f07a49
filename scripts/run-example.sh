#!/usr/bin/env bash
# The main job: installs dependencies, builds quant, compiles the bundled
# example model (an MLP in fp32 and with int4 weights) through quant-opt to
# native code, links it with a small C driver and runs it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh --target quant-opt
build_dir="${QUANT_BUILD_DIR:-build}"
out="$build_dir/example"
llvm_bin=/usr/lib/llvm-22/bin
mkdir -p "$out"

/usr/bin/python3 examples/models/gen_mlp.py "$out/mlp.mlir"
"$build_dir/bin/quant-opt" "$out/mlp.mlir" \
  --qnt-fold-constant-quantize --qnt-reference-pipeline -o "$out/mlp.llvm.mlir"
"$llvm_bin/mlir-translate" --mlir-to-llvmir "$out/mlp.llvm.mlir" -o "$out/mlp.ll"
"$llvm_bin/clang" -O2 -Wno-override-module -c "$out/mlp.ll" -o "$out/mlp.o"
"$llvm_bin/clang" -O2 examples/models/mlp_main.c "$out/mlp.o" -lm -o "$out/mlp"
echo "compiled $out/mlp; running it:"
"$out/mlp"

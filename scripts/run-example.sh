#!/usr/bin/env bash
# The main job: installs dependencies, builds quant, compiles the bundled
# example model (an MLP in fp32 and with int4 weights) with quant-compile to
# shared libraries, runs both with quant-run on the same .npy input and
# compares them.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh --target quant-compile quant-run
build_dir="${QUANT_BUILD_DIR:-build}"
out="$build_dir/example"
mkdir -p "$out/fp32" "$out/int4"

/usr/bin/python3 examples/models/gen_mlp.py "$out/mlp.mlir"
for variant in fp32 int4; do
  "$build_dir/bin/quant-compile" "$out/mlp.mlir" --entry="forward_$variant" \
    -o "$out/mlp_$variant.so"
done
# The input mlp_main.c used: sin(0.37 i) + 0.25 cos(1.3 i), 4x96.
/usr/bin/python3 test/Tools/Inputs/make_npy.py "$out/x.npy" float32 4x96
for variant in fp32 int4; do
  "$build_dir/bin/quant-run" "$out/mlp_$variant.so" --input input0="$out/x.npy" \
    --output-dir "$out/$variant" --bench 100
done
/usr/bin/python3 - "$out" <<'PY'
import sys
import numpy as np
out = sys.argv[1]
fp32 = np.load(f"{out}/fp32/output0.npy")
int4 = np.load(f"{out}/int4/output0.npy")
np.set_printoptions(precision=4, suppress=True, linewidth=100)
print("fp32 output:\n", fp32)
print("int4 output:\n", int4)
rel = np.linalg.norm(int4 - fp32) / max(np.linalg.norm(fp32), 1e-30)
print(f"relative L2 error of int4 weights vs fp32: {rel:.4f}")
# int4 with group 32 should cost a few percent, never garbage.
sys.exit(0 if rel < 0.2 else 1)
PY

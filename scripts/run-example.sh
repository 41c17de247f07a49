#!/usr/bin/env bash
# The main job: installs dependencies, builds quant, compiles the bundled
# example ONNX models (a 2-layer MLP in fp32, and the same MLP with int4
# MatMulNBits weights) with quant-compile to shared libraries, runs both with
# quant-run on the same .npy input, checks each against numpy and prints what
# int4 weights cost against fp32.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh --target quant-compile quant-run
build_dir="${QUANT_BUILD_DIR:-build}"
out="$build_dir/example"
mkdir -p "$out"

/usr/bin/python3 examples/models/gen_mlp_onnx.py "$out"
for variant in fp32 int4; do
  "$build_dir/bin/quant-compile" "$out/mlp_$variant.onnx" -o "$out/mlp_$variant.so"
  mkdir -p "$out/$variant"
  "$build_dir/bin/quant-run" "$out/mlp_$variant.so" --input x="$out/x.npy" \
    --output-dir "$out/$variant" --bench 100
done
/usr/bin/python3 - "$out" <<'PY'
import sys
import numpy as np
out = sys.argv[1]
np.set_printoptions(precision=4, suppress=True, linewidth=100)
y = {}
for variant in ("fp32", "int4"):
    y[variant] = np.load(f"{out}/{variant}/y.npy")
    expected = np.load(f"{out}/expected_{variant}.npy")
    err = np.abs(y[variant] - expected).max()
    print(f"{variant} output (max |quant - numpy| = {err:.2e}):\n{y[variant]}")
    if not np.allclose(y[variant], expected, rtol=1e-4, atol=1e-5):
        sys.exit(f"{variant}: quant's output differs from numpy's")
rel = np.linalg.norm(y["int4"] - y["fp32"]) / np.linalg.norm(y["fp32"])
print(f"relative L2 error of int4 weights vs fp32: {rel:.4f}")
# int4 with block 32 should cost a few percent, never garbage.
sys.exit(0 if rel < 0.2 else 1)
PY

#!/usr/bin/env bash
# Runs the ONNX backend node tests of Debian's libonnx-testdata through
# quant-import-onnx, quant-opt's reference pipeline and mlir-runner, and
# prints the per-op pass table. Extra arguments go to the runner, e.g.
#   scripts/onnx-conformance.sh --ops QLinearConv,QLinearMatMul -v
#   scripts/onnx-conformance.sh --ops all
# Uses the tools in ./build (or $QUANT_BUILD_DIR); build them first with
#   scripts/build.sh --target quant-opt quant-import-onnx
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="${QUANT_BUILD_DIR:-build}"
exec /usr/bin/python3 test/Conformance/run_node_tests.py \
  --bin-dir "$build_dir/bin" -j "${JOBS:-2}" "$@"

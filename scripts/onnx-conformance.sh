#!/usr/bin/env bash
# Runs the ONNX backend tests of Debian's libonnx-testdata (node, simple,
# pytorch-converted, pytorch-operator) the way users run quant: quant-compile
# --emit=so, then quant-run on the test's inputs, and prints the per-op pass
# table. Extra arguments go to the runner, e.g.
#   scripts/onnx-conformance.sh --ops Resize,GridSample -v
#   scripts/onnx-conformance.sh --expected-failures test/Conformance/expected-failures.txt
# (the JIT route through quant-import-onnx, quant-opt and mlir-runner is
# test/Conformance/run_node_tests.py). Uses the tools in ./build (or
# $QUANT_BUILD_DIR); build them first with scripts/build.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="${QUANT_BUILD_DIR:-build}"
exec /usr/bin/python3 test/Conformance/run_user_path.py \
  --bin-dir "$build_dir/bin" -j "${JOBS:-2}" "$@"

#!/usr/bin/env bash
# Installs dependencies, builds quant and runs every test (lit + gtest) under
# ctest. The last line is ctest's summary.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
scripts/build.sh --target quant-unittests
build_dir="${QUANT_BUILD_DIR:-build}"
# ONNX Runtime (CPU, for Node) is the reference of the model tests
# (test/Models, lit feature `ort`); lit looks for it in $QUANT_ORT_DIR.
export QUANT_ORT_DIR="${QUANT_ORT_DIR:-$(cd "$build_dir" && pwd)/ort}"
scripts/ort/install.sh
cd "$build_dir"
ctest --output-on-failure -j"$(nproc)"

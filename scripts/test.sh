#!/usr/bin/env bash
# Installs dependencies, builds quant and runs every test (lit + gtest) under
# ctest. The last line is ctest's summary.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
scripts/build.sh --target quant-unittests
build_dir="${QUANT_BUILD_DIR:-build}"
cd "$build_dir"
ctest --output-on-failure -j"$(nproc)"

#!/usr/bin/env bash
# Installs ONNX Runtime (CPU) for Node.js, used as the reference and the
# competitor in tests and benchmarks. The package's install script downloads
# GPU extras from a host we cannot reach, so it is skipped: the CPU library
# ships inside the package. Prints the directory that holds node_modules/.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
dir="${QUANT_ORT_DIR:-$root/build/ort}"
version="${QUANT_ORT_VERSION:-1.30.0}"
if ! command -v npm >/dev/null 2>&1; then
  echo "install-ort: npm not found (apt-get install -y nodejs npm)" >&2
  exit 1
fi
if [ ! -f "$dir/node_modules/onnxruntime-node/package.json" ]; then
  mkdir -p "$dir"
  (cd "$dir" && npm install --silent --no-audit --no-fund --ignore-scripts \
    "onnxruntime-node@$version" >&2)
fi
echo "$dir"

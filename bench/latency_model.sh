#!/usr/bin/env bash
#===- latency_model.sh - measure quant-compile's CPU latency model ---------===#
#
# Writes the JSON that `quant-compile --latency-model FILE` reads (and that
# bench/latency_model.json ships as the default): for each candidate format,
# the time of quant's own generated GEMV kernel (M = 1, y = x W^T: a
# one-matmul model built by `quant-compile --emit=so` as it is deployed and
# timed by `quant-run --bench --flush-mb 1024`, caches flushed before every
# call as for the layers of a model that does not fit in cache) on one
# mid-size weight, as nanoseconds per weight; the fixed
# cost of one layer, the time of the same kernel on a tiny weight; and the
# cost of a sparse outlier (#qnt.outliers, the "+oP" candidates): the extra
# time of int4 with 1 % outliers over int4, per outlier. The model then is
#   time(layer) = fixed_ns_per_layer + ns_per_weight(format) * rows * cols
#                 [+ ns_per_outlier * nnz].
# Times are the best repetition (STAT=median for the median): on a shared
# machine the median measures the load. Formats that fail to compile or run
# are left out (quant-compile then names them when a latency budget needs
# them).
#
#   bench/latency_model.sh [build-dir [out.json]]
#       (defaults: build, bench/latency_model.json; '-' writes to stdout)
#   env: SHAPE (KxN of the mid-size weight, default 4096x4096), SMALL (KxN
#        of the fixed-cost weight, default 64x64), REPS (default 10),
#        FORMATS (extended regex over format names, default all; "int4+o1"
#        is the outlier measurement), THREADS (default 1), STAT (min or
#        median), FLUSH_MB (1024), KEEP=1 keeps the files
#
#===----------------------------------------------------------------------===#
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build}"
out="${2:-bench/latency_model.json}"
shape="${SHAPE:-4096x4096}"
small="${SMALL:-64x64}"
reps="${REPS:-10}"
filter="${FORMATS:-.}"
threads="${THREADS:-1}"
stat="${STAT:-min}"
flush_mb="${FLUSH_MB:-1024}"
quant_compile="$build/bin/quant-compile"
quant_run="$build/bin/quant-run"
python="${PYTHON:-/usr/bin/python3}"
for tool in "$quant_compile" "$quant_run"; do
  [ -x "$tool" ] || { echo "error: no $tool (build it first)" >&2; exit 1; }
done
work="$(mktemp -d)"
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$work"' EXIT
run_threads=()
[ "$threads" -eq 1 ] || run_threads=(--threads "$threads")

# Format name (QuantFormat::parse, as --candidates names them) | its
# encoding (QuantFormat::getEncodingAttr; quant-compile checks that the two
# agree when it reads the file) | compute path of the kernel.
formats=(
  "int2-g64|#qnt.uniform<i2, per_group(1, 64), scale = f16>"
  "int3-g64|#qnt.uniform<i3, per_group(1, 64), scale = f16>"
  "uint3-g32-asym|#qnt.uniform<ui3, per_group(1, 32), scale = f16, asymmetric>"
  "int4-g32|#qnt.uniform<i4, per_group(1, 32), scale = f16>"
  "int4-g64|#qnt.uniform<i4, per_group(1, 64), scale = f16>"
  "int4|#qnt.uniform<i4, per_group(1, 128), scale = f16>"
  "int4-pc|#qnt.uniform<i4, per_channel(0), scale = f16>"
  "uint4-g32-asym|#qnt.uniform<ui4, per_group(1, 32), scale = f16, asymmetric>"
  "uint4-g64-asym|#qnt.uniform<ui4, per_group(1, 64), scale = f16, asymmetric>"
  "uint4-asym|#qnt.uniform<ui4, per_group(1, 128), scale = f16, asymmetric>"
  "int8-g64|#qnt.uniform<i8, per_group(1, 64), scale = f16>"
  "int8|#qnt.uniform<i8, per_group(1, 128), scale = f16>"
  "int8-pc-f32|#qnt.uniform<i8, per_channel(0), scale = f32>"
  "nf4|#qnt.lut<nf4, per_group(1, 64), scale = f16>"
  "mxfp4|#qnt.float<mxfp4>"
  "mxfp8|#qnt.float<mxfp8>"
  "nvfp4|#qnt.float<nvfp4>"
  "fp8e4m3-pc-f32|#qnt.float<f8E4M3FN, per_channel(0), scale = f32>"
  "f16|#qnt.plain<f16>"
  "f32|#qnt.plain<f32>"
)

# time_module TAG K: compiles $work/TAG.mlir (a one-matmul model of
# gen_matmul_bench.py --kind=model with a 1 x K input) with quant-compile
# and times it with quant-run, cold; prints the chosen statistic in seconds.
time_module() {
  local tag="$1" k="$2"
  if ! "$quant_compile" "$work/$tag.mlir" --emit=so --threads="$threads" \
      -o "$work/$tag.so" > "$work/$tag.log" 2>&1; then
    cat "$work/$tag.log" >&2
    return 1
  fi
  rm -f "$work/$tag.mlir"
  [ -f "$work/x-$k.npy" ] || "$python" -c "
import numpy as np, sys
np.save(sys.argv[1], np.random.default_rng(0).standard_normal((1, int(sys.argv[2]))).astype(np.float32))
" "$work/x-$k.npy" "$k"
  "$quant_run" "$work/$tag.so" --input "input0=$work/x-$k.npy" \
    --bench "$reps" --flush-mb "$flush_mb" "${run_threads[@]}" \
    > "$work/$tag.out"
  rm -f "$work/$tag.so" "$work/$tag.h"
  awk -v key="${stat}_ms" '$1 == key {print $2 / 1000}' "$work/$tag.out"
}

# run TAG ENCODING K N: generates and times one GEMV.
run() {
  local tag="$1" enc="$2" k="$3" n="$4"
  "$python" bench/gen_matmul_bench.py --kind=model --encoding="$enc" --m=1 \
    --k="$k" --n="$n" > "$work/$tag.mlir"
  time_module "$tag" "$k"
}

# The sparse part of the dense + outliers candidates ("int4+o1"): a GEMV on
# #qnt.outliers<int4 (group 128), nnz = 1 % of the weights, value = f16>,
# written by this generator on top of gen_matmul_bench.py.
cat > "$work/gen_outliers.py" <<'GEN'
# Writes a GEMV module whose weight is #qnt.outliers<int4-g128, nnz, f16>
# (random codes, nnz outliers spread over the rows), by gen_matmul_bench.
import argparse, random, struct, sys
sys.path.insert(0, sys.argv.pop(1))
import gen_matmul_bench as g
p = argparse.ArgumentParser()
p.add_argument("--k", type=int); p.add_argument("--n", type=int)
p.add_argument("--nnz", type=int); p.add_argument("--reps", type=int, default=10)
a = p.parse_args()
k, n, nnz = a.k, a.n, a.nnz
codes, sbytes, _ = g.uniform_parts(4, 128, "f16", False, n, k)
groups = (k + 127) // 128
rng = random.Random(2)
per_row = [nnz // n + (1 if r < nnz % n else 0) for r in range(n)]
offsets, cols = [0], []
for r in range(n):
    cs = sorted(rng.sample(range(k), per_row[r]))
    cols += cs
    offsets.append(len(cols))
vals = b"".join(struct.pack("<e", 0.5 + 0.01 * (i % 13)) for i in range(nnz))
parts = [f"dense_resource<w_codes> : tensor<{n}x{k // 2}xi8>",
         f"dense_resource<w_scales> : tensor<{n}x{groups}xf16>",
         f"dense_resource<w_rows> : tensor<{n + 1}xi32>",
         f"dense_resource<w_cols> : tensor<{nnz}xi32>",
         f"dense_resource<w_vals> : tensor<{nnz}xf16>"]
blobs = [("w_codes", codes), ("w_scales", sbytes),
         ("w_rows", struct.pack(f"<{n + 1}i", *offsets)),
         ("w_cols", struct.pack(f"<{nnz}i", *cols)), ("w_vals", vals)]
a.m, a.warm, a.kind = 1, False, "model"
a.encoding = ("#qnt.outliers<#qnt.uniform<i4, per_group(1, 128), scale = f16>, "
              f"nnz = {nnz}, value = f16>")
g.write_qnt(sys.stdout, a, parts, blobs)
GEN
run_outliers() {
  local k="$1" n="$2" nnz="$3"
  "$python" "$work/gen_outliers.py" bench --k "$k" --n "$n" --nnz "$nnz" \
    --reps "$reps" > "$work/outliers.mlir"
  time_module outliers "$k"
}

start=$SECONDS
k="${shape%x*}"; n="${shape#*x}"
sk="${small%x*}"; sn="${small#*x}"
echo "[$((SECONDS - start))s] fixed cost: int8 ${sk}x${sn}..." >&2
fixed=$(run fixed "#qnt.uniform<i8, per_channel(0), scale = f32>" "$sk" "$sn")
rows=()
for f in "${formats[@]}"; do
  IFS='|' read -r name enc <<< "$f"
  [[ "$name" =~ $filter ]] || continue
  echo "[$((SECONDS - start))s] $name K=$k N=$n..." >&2
  if t=$(run "$name" "$enc" "$k" "$n"); then
    rows+=("$name|$enc|$t")
  else
    echo "  $name failed; left out" >&2
  fi
done
outlier_time=""
nnz=$((k * n / 100))
if [[ "int4+o1" =~ $filter ]]; then
  echo "[$((SECONDS - start))s] int4+o1 (nnz $nnz) K=$k N=$n..." >&2
  outlier_time=$(run_outliers "$k" "$n" "$nnz") || outlier_time=""
fi
echo "[$((SECONDS - start))s] done" >&2

"$python" - "$out" "$k" "$n" "$sk" "$sn" "$fixed" "$threads" "$stat" "$reps" \
  "$nnz" "$outlier_time" "${rows[@]}" <<'PY'
import json, os, platform, sys, time
out, k, n, sk, sn, fixed, threads, stat, reps, nnz, outlier_time = \
    sys.argv[1:12]
k, n, sk, sn = int(k), int(n), int(sk), int(sn)
fixed_ns = float(fixed) * 1e9
cpu = platform.processor() or platform.machine()
try:
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
except OSError:
    pass
formats = {}
for row in sys.argv[12:]:
    name, enc, t = row.split("|")
    ns = float(t) * 1e9
    formats[name] = {
        "encoding": enc,
        # The fixed cost is part of every call: what remains is per weight.
        "ns_per_weight": round(max(ns - fixed_ns, 0.0) / (k * n), 6),
        "measured_ms": round(ns / 1e6, 4),
    }
model = {
    "description": "quant CPU latency model: time(layer) = fixed_ns_per_layer "
                   "+ ns_per_weight(format) * rows * cols (GEMV, M = 1, "
                   "cold caches); measured by bench/latency_model.sh",
    "machine": cpu,
    "date": time.strftime("%Y-%m-%d"),
    "shape": {"m": 1, "k": k, "n": n},
    "threads": int(threads),
    "statistic": f"{stat} of {reps} repetitions",
    "fixed_ns_per_layer": round(fixed_ns, 1),
    "fixed_shape": {"m": 1, "k": sk, "n": sn},
    "formats": formats,
}
if outlier_time and "int4" in formats:
    # The outliers' cost over the int4 kernel on the same weight, per
    # stored outlier.
    extra = float(outlier_time) * 1e9 - formats["int4"]["measured_ms"] * 1e6
    model["ns_per_outlier"] = round(max(extra, 0.0) / int(nnz), 4)
    model["outlier_measurement"] = {
        "format": "int4+o1", "nnz": int(nnz),
        "measured_ms": round(float(outlier_time) * 1e3, 4)}
text = json.dumps(model, indent=2) + "\n"
if out == "-":
    sys.stdout.write(text)
else:
    with open(out, "w") as f:
        f.write(text)
    print(f"wrote {out}: {len(formats)} formats, fixed {fixed_ns:.0f} ns",
          file=sys.stderr)
PY

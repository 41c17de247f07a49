#!/usr/bin/env bash
#===- matmul_bench.sh - CPU matmul benchmark (GEMV M=1, GEMM M=16) --------===#
#
# Builds int4 g32 / int4 g128 / int8 / int2 and fp32 matmuls at K = N = 4096
# through `quant-opt --qnt-cpu-pipeline`, runs them under mlir-runner -O3
# (single thread unless THREADS is set) and prints, per case, the median
# time, GB/s of weight bytes, the ratio to the single-thread read bandwidth
# measured here (a streaming sum over 1 GiB) and the speed-up over quant's
# fp32 matmul of the same M. Nothing here asserts timings.
#
#   bench/matmul_bench.sh [build-dir]      (default: build)
#   env: REPS (default 20), K, N, THREADS (default 1), MS (default "1 16"),
#        KEEP=1 keeps the files
#
#===----------------------------------------------------------------------===#
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build}"
reps="${REPS:-20}"
k="${K:-4096}"
n="${N:-4096}"
threads="${THREADS:-1}"
ms="${MS:-1 16}"
llvm_bin=/usr/lib/llvm-22/bin
libs=/usr/lib/llvm-22/lib
quant_opt="$build/bin/quant-opt"
python="${PYTHON:-python3}"
work="$(mktemp -d)"
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$work"' EXIT

shared="$libs/libmlir_runner_utils.so,$libs/libmlir_c_runner_utils.so"
if [ "$threads" -ne 1 ]; then
  # Threaded kernels call quant_rt_parallel_for; the runtime runs as many
  # threads as the machine has cores.
  shared="$shared,$build/lib/libquant_runtime.so"
fi
pipeline="--qnt-cpu-pipeline=emit-c-interface=0 threads=$threads"

# run NAME GEN-ARGS...: generates, compiles and runs one case; the times go
# to $work/NAME.times.
run() {
  local name="$1"
  shift
  "$python" bench/gen_matmul_bench.py "$@" --k="$k" --n="$n" --reps="$reps" \
    > "$work/$name.mlir"
  "$quant_opt" "$pipeline" "$work/$name.mlir" -o "$work/$name.llvm.mlir"
  "$llvm_bin/mlir-runner" -O3 -e main -entry-point-result=void \
    --shared-libs="$shared" "$work/$name.llvm.mlir" |
    grep '^time' | awk '{print $2}' > "$work/$name.times"
}

echo "measuring read bandwidth (1 GiB streaming sum)..." >&2
"$python" bench/gen_matmul_bench.py --kind=bandwidth --reps=5 > "$work/bw.mlir"
"$quant_opt" "$pipeline" "$work/bw.mlir" -o "$work/bw.llvm.mlir"
"$llvm_bin/mlir-runner" -O3 -e main -entry-point-result=void \
  --shared-libs="$shared" "$work/bw.llvm.mlir" |
  grep '^time' | awk '{print $2}' > "$work/bw.times"

cases=(
  "int4-g32|#qnt.uniform<i4, per_group(1, 32), scale = f16>|4.5"
  "int4-g128|#qnt.uniform<i4, per_group(1, 128), scale = f16>|4.125"
  "int8|#qnt.uniform<i8, per_channel(0), scale = f32>|8"
  "int2-g64|#qnt.uniform<i2, per_group(1, 64), scale = f16>|2.25"
  "fp8-e4m3|#qnt.float<f8E4M3FN, per_channel(0), scale = f32>|8.008"
  "fp8-e5m2|#qnt.float<f8E5M2, per_channel(0), scale = f32>|8.008"
  "mxfp8|#qnt.float<mxfp8>|8.25"
  "mxfp4|#qnt.float<mxfp4>|4.25"
  "nvfp4|#qnt.float<nvfp4>|4.5"
  "nf4-g64|#qnt.lut<nf4, per_group(1, 64), scale = f16>|4.25"
  "ternary|#qnt.ternary<per_channel(0), scale = f16>|2.004"
  "binary|#qnt.binary<per_channel(0), scale = f32>|1.008"
)
for m in $ms; do
  echo "M=$m: fp32..." >&2
  run "fp32-m$m" --kind=fp32 --m="$m"
  for c in "${cases[@]}"; do
    IFS='|' read -r name enc bpw <<< "$c"
    echo "M=$m: $name..." >&2
    run "$name-m$m" --kind=qnt --encoding="$enc" --m="$m"
  done
done

"$python" - "$work" "$k" "$n" "$threads" "$ms" "${cases[@]}" <<'PY'
import statistics, sys
work, k, n, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
ms = [int(m) for m in sys.argv[5].split()]
cases = [c.split("|") for c in sys.argv[6:]]
def median(name):
    times = [float(t) for t in open(f"{work}/{name}.times").read().split()]
    return statistics.median(times[1:] if len(times) > 2 else times)
bw = (1 << 30) / median("bw") / 1e9
print(f"single-thread read bandwidth: {bw:.2f} GB/s (median of 1 GiB streaming sums)")
print(f"K = {k}, N = {n}, threads = {threads}; weight bytes = codes + scales (+ zero points)")
print(f"{'case':<12} {'M':>3} {'bits/w':>7} {'median ms':>10} {'GB/s (w)':>9} {'/ bandwidth':>12} {'x fp32':>7}")
for m in ms:
    fp32 = median(f"fp32-m{m}")
    rows = [("fp32", "32", fp32)] + [(c[0], c[2], median(f"{c[0]}-m{m}")) for c in cases]
    for name, bpw, t in rows:
        gbs = k * n * float(bpw) / 8 / t / 1e9
        print(f"{name:<12} {m:>3} {float(bpw):>7.3f} {t * 1e3:>10.3f} {gbs:>9.2f} {gbs / bw:>12.2f} {fp32 / t:>7.2f}")
PY

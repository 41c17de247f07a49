#!/usr/bin/env bash
#===- matmul_bench.sh - CPU matmul benchmark (GEMV and GEMM) ---------------===#
#
# The table of issue 3: y[M, N] = x[M, K] * W[N, K]^T for GEMV (M = 1) and
# GEMM (M = 16, 128) at K = 4096 with N = 4096 and N = 14336, for quant's
# fp32 baseline (#qnt.plain<f32>, the same kernel generator on unencoded
# weights), fp16 weights, int8, int4 group 32 / 128, int2, MXFP4 and
# ternary. Every case is a one-matmul model (gen_matmul_bench.py
# --kind=model) compiled ahead of time the way users deploy it,
# `quant-compile --emit=so --compute=f32|int8`, and timed by
# `quant-run --bench`: int8 and int4 run through both compute paths, f32
# FMA and int8 activations with VNNI vpdpbusd (rows "-vnni"). Caches are
# flushed (quant-run --flush-mb 1024, untimed) before every timed run, as
# for the layers of a model that does not fit in cache (WARM=1 keeps them
# warm). Per row: the time, GB/s of weight bytes (codes + scales), GFLOP/s
# (2 M N K), the single-thread read bandwidth of the model's own weights
# measured side by side in the same quant-run process (a streaming read of
# the library's read-only segments after each timed run, flushed the same
# way: --bandwidth-bytes weights; the same physical memory, which on a VM
# can read 20 % faster or slower than a fresh buffer), the ratio to it, the
# speed-up over quant's fp32 of the same shape and, for int4, the speed-up
# over ONNX Runtime's com.microsoft MatMulNBits on the same int4 weights
# (same codes and scales, bench/gen_ort_matmulnbits.py) with the same
# thread count, at accuracy_level 0 (fp32 compute) and 4 (int8 compute);
# ORT's caches are flushed the same way (scripts/ort/ort_run.js --flush-mb)
# unless WARM=1, and its time includes the Node binding's per-call
# overhead (quant's includes quant-run's call through the model ABI). The
# header also gives the streaming bandwidth over 1 GiB. Nothing here
# asserts timings.
#
#   bench/matmul_bench.sh [build-dir]      (default: build)
#   env: REPS (default 10), MS (default "1 16 128"),
#        SHAPES (KxN list, default "4096x4096 4096x14336"),
#        CASES (extended regex over case names, default all), THREADS
#        (default 1), ORT=0 skips ONNX Runtime, QUANT_ORT_DIR (default
#        build/ort), PIPELINE_EXTRA (more qnt-cpu-pipeline options, passed
#        as quant-compile --cpu-pipeline-options),
#        STAT (min, the default: the best repetition; median: on a loaded
#        machine the median measures the load), FLUSH_MB (1024),
#        WARM=1, KEEP=1 keeps the files
#
#===----------------------------------------------------------------------===#
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build}"
reps="${REPS:-10}"
ms="${MS:-1 16 128}"
shapes="${SHAPES:-4096x4096 4096x14336}"
filter="${CASES:-.}"
threads="${THREADS:-1}"
use_ort="${ORT:-1}"
# Extra --qnt-cpu-pipeline options, e.g. PIPELINE_EXTRA="tile-n=64".
pipeline_extra="${PIPELINE_EXTRA:-}"
# One streaming pass of 256 MB leaves part of a 9 MB weight in this
# machine's last-level cache (its replacement keeps reused lines): 1 GB
# reads it back at the cold-memory rate.
flush=(--flush-mb "${FLUSH_MB:-1024}")
if [ "${WARM:-0}" = 1 ]; then flush=(); fi
export STAT="${STAT:-min}"
export QUANT_ORT_DIR="${QUANT_ORT_DIR:-$PWD/build/ort}"
run_threads=()
[ "$threads" -eq 1 ] || run_threads=(--threads "$threads")
quant_compile="$build/bin/quant-compile"
quant_run="$build/bin/quant-run"
python="${PYTHON:-/usr/bin/python3}"
work="$(mktemp -d)"
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$work"' EXIT

# name | encoding | compute | code bits | scale bits | K group (0: per channel)
cases=(
  "fp32|#qnt.plain<f32>|f32|32|0|0"
  "fp16|#qnt.plain<f16>|f32|16|0|0"
  "int8|#qnt.uniform<i8, per_channel(0), scale = f32>|f32|8|32|0"
  "int8-vnni|#qnt.uniform<i8, per_channel(0), scale = f32>|int8|8|32|0"
  "int4-g32|#qnt.uniform<i4, per_group(1, 32), scale = f16>|f32|4|16|32"
  "int4-g32-vnni|#qnt.uniform<i4, per_group(1, 32), scale = f16>|int8|4|16|32"
  "int4-g128|#qnt.uniform<i4, per_group(1, 128), scale = f16>|f32|4|16|128"
  "int4-g128-vnni|#qnt.uniform<i4, per_group(1, 128), scale = f16>|int8|4|16|128"
  "int2-g64|#qnt.uniform<i2, per_group(1, 64), scale = f16>|f32|2|16|64"
  "mxfp4|#qnt.float<mxfp4>|f32|4|8|32"
  "ternary|#qnt.ternary<per_channel(0), scale = f16>|f32|2|16|0"
)
selected=()
for c in "${cases[@]}"; do
  name="${c%%|*}"
  # fp32 is every ratio's baseline, so it always runs.
  if [ "$name" = fp32 ] || [[ "$name" =~ $filter ]]; then
    selected+=("$c")
  fi
done

# ONNX Runtime runs when some int4 case does.
want_ort=0
if [ "$use_ort" = 1 ]; then
  for c in "${selected[@]}"; do
    if [[ "${c%%|*}" == int4-g* ]]; then want_ort=1; fi
  done
fi

# run NAME COMPUTE GEN-ARGS...: generates, compiles and times one case;
# quant-run's output goes to $work/NAME.out.
run() {
  local name="$1" compute="$2"
  shift 2
  "$python" bench/gen_matmul_bench.py --kind=model "$@" > "$work/$name.mlir"
  local m
  m=$(sed -n 's/.*func.func @matmul(%x: tensor<\([0-9]*\)x\([0-9]*\)xf32>.*/\1x\2/p' "$work/$name.mlir")
  [ -f "$work/x-$m.npy" ] || "$python" -c "
import numpy as np, sys
rows, cols = (int(v) for v in sys.argv[2].split('x'))
np.save(sys.argv[1], np.random.default_rng(0).standard_normal((rows, cols)).astype(np.float32))
" "$work/x-$m.npy" "$m"
  if ! "$quant_compile" "$work/$name.mlir" --emit=so --compute="$compute" \
      --threads="$threads" ${pipeline_extra:+--cpu-pipeline-options="$pipeline_extra"} \
      -o "$work/$name.so" > "$work/$name.log" 2>&1; then
    cat "$work/$name.log" >&2
    return 1
  fi
  rm -f "$work/$name.mlir"
  "$quant_run" "$work/$name.so" --input "input0=$work/x-$m.npy" \
    --bench "$reps" "${run_threads[@]}" "${flush[@]}" \
    --bandwidth-bytes weights > "$work/$name.out"
  rm -f "$work/$name.so" "$work/$name.h"
}
start=$SECONDS
echo "measuring read bandwidth (1 GiB streaming read)..." >&2
"$python" bench/gen_matmul_bench.py --kind=model --encoding='#qnt.plain<f32>' \
  --m=1 --k=64 --n=64 > "$work/bw.mlir"
"$quant_compile" "$work/bw.mlir" -o "$work/bw.so" > "$work/bw.log" 2>&1
"$python" -c "import numpy as np; np.save('$work/bw.npy', np.zeros((1, 64), np.float32))"
"$quant_run" "$work/bw.so" --input "input0=$work/bw.npy" --bench 5 \
  "${flush[@]}" --bandwidth-bytes $((1 << 30)) > "$work/bw.out"

for shape in $shapes; do
  k="${shape%x*}"
  n="${shape#*x}"
  for m in $ms; do
    for c in "${selected[@]}"; do
      IFS='|' read -r name enc compute _ <<< "$c"
      echo "[$((SECONDS - start))s] K=$k N=$n M=$m: $name..." >&2
      run "$name-$k-$n-$m" "$compute" --encoding="$enc" \
        --m="$m" --k="$k" --n="$n"
    done
    if [ "$want_ort" = 1 ]; then
      for group in 32 128; do
        for level in 0 4; do
          echo "[$((SECONDS - start))s] K=$k N=$n M=$m: ORT MatMulNBits g$group accuracy_level $level..." >&2
          tag="ort-g$group-l$level-$k-$n-$m"
          (cd bench && "$python" gen_ort_matmulnbits.py --m "$m" --k "$k" \
            --n "$n" --group "$group" --accuracy-level "$level" \
            --model "$work/$tag.onnx" --input "$work/$tag.npy")
          if node scripts/ort/ort_run.js "$work/$tag.onnx" \
               --input "A=$work/$tag.npy" --threads "$threads" \
               --bench "$reps" --stat "$STAT" "${flush[@]}" \
               > "$work/$tag.out" 2> "$work/$tag.err"; then
            awk -v stat="${STAT}_ms" '$1 == stat {print $2}' \
              "$work/$tag.out" > "$work/$tag.times"
          else
            echo "  ORT failed: $(head -c 300 "$work/$tag.err")" >&2
          fi
          rm -f "$work/$tag.onnx"
        done
      done
    fi
  done
done
echo "[$((SECONDS - start))s] done" >&2

"$python" - "$work" "$threads" "$ms" "$shapes" "${selected[@]}" <<'PY'
import os, statistics, sys
work, threads = sys.argv[1], sys.argv[2]
ms = [int(m) for m in sys.argv[3].split()]
shapes = [tuple(int(x) for x in s.split("x")) for s in sys.argv[4].split()]
cases = [c.split("|") for c in sys.argv[5:]]

# STAT=min (the default) reports the best repetition, median the median (on
# a machine shared with other work the median measures the contention).
stat = os.environ.get("STAT", "min")

def field(path, key):
    """The value of the line "KEY <value>" of a quant-run / ort_run.js
    output, or None."""
    if not os.path.exists(path):
        return None
    for line in open(path):
        parts = line.split()
        if len(parts) == 2 and parts[0] == key:
            return float(parts[1])
    return None

def median(name):
    """Seconds of a case (quant-run) or of an ORT run (.times, ms)."""
    t = field(f"{work}/{name}.out", f"{stat}_ms")
    if t is None and os.path.exists(f"{work}/{name}.times"):
        values = open(f"{work}/{name}.times").read().split()
        t = float(values[0]) if values else None
    return t / 1e3 if t is not None else None

def bandwidth(name):
    """GB/s of the streaming reads quant-run timed next to the case (their
    best repetition: the machine's bandwidth, not its load)."""
    return field(f"{work}/{name}.out", "stream_gbps")

print(f"single-thread read bandwidth over 1 GiB: {bandwidth('bw'):.2f} GB/s")
print(f"times: {stat} over the repetitions (after a warm-up run); "
      f"threads = {threads}; GB/s = weight bytes (codes + scales) / time; "
      f"stream = read bandwidth of the same weights (best of the streaming "
      f"reads of the model's read-only segments quant-run timed after each "
      f"run, same cache flushing); "
      f"x fp32 = quant fp32 time / time; x ORT = ORT MatMulNBits time / time "
      f"(accuracy_level 0 / 4)")
header = (f"{'case':<15} {'K':>5} {'N':>6} {'M':>4} {'bits/w':>7} {stat + ' ms':>10} "
          f"{'GB/s (w)':>9} {'GFLOP/s':>8} {'stream':>7} {'/ bw':>6} {'x fp32':>7} "
          f"{'x ORT l0':>9} {'x ORT l4':>9}")
print(header)
print("-" * len(header))
ort_rows = []
for k, n in shapes:
    for m in ms:
        fp32 = median(f"fp32-{k}-{n}-{m}")
        for name, _, _, bits, scale_bits, group in cases:
            t = median(f"{name}-{k}-{n}-{m}")
            if t is None:
                print(f"{name:<15} {k:>5} {n:>6} {m:>4}  (failed)")
                continue
            g = int(group) or k
            bpw = int(bits) + int(scale_bits) / g
            gbs = k * n * bpw / 8 / t / 1e9
            gflops = 2 * m * n * k / t / 1e9
            bw = bandwidth(f"{name}-{k}-{n}-{m}") or float("nan")
            vs_fp32 = f"{fp32 / t:7.2f}" if fp32 else f"{'-':>7}"
            ort = ["-", "-"]
            if name.startswith("int4-g"):
                grp = name.split("-")[1][1:]
                for i, level in enumerate((0, 4)):
                    o = median(f"ort-g{grp}-l{level}-{k}-{n}-{m}")
                    if o is not None:
                        ort[i] = f"{o / t:.2f}"
            print(f"{name:<15} {k:>5} {n:>6} {m:>4} {bpw:>7.3f} {t * 1e3:>10.3f} "
                  f"{gbs:>9.2f} {gflops:>8.1f} {bw:>7.2f} {gbs / bw:>6.2f} {vs_fp32} "
                  f"{ort[0]:>9} {ort[1]:>9}")
        for grp in (32, 128):
            for level in (0, 4):
                o = median(f"ort-g{grp}-l{level}-{k}-{n}-{m}")
                if o is not None:
                    ort_rows.append((grp, level, k, n, m, o))
        print()
if ort_rows:
    print("ONNX Runtime MatMulNBits (same int4 weights, f32 scales, zero point 8):")
    for grp, level, k, n, m, o in ort_rows:
        gbs = k * n * (4 + 32 / grp) / 8 / o / 1e9
        print(f"  g{grp:<4} accuracy_level {level}  K={k} N={n} M={m}: "
              f"{o * 1e3:.3f} ms, {2 * m * n * k / o / 1e9:.1f} GFLOP/s, {gbs:.2f} GB/s")
PY

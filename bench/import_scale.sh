#!/usr/bin/env bash
#===- import_scale.sh - import + compile time and memory vs model size ----===#
#
# Compiles fp32 models of growing size with quant-compile (ONNX import,
# lowering, code generation, link: the whole flow in one process) under
# /usr/bin/time -v and prints wall and CPU time, peak resident memory, and
# CPU time and memory per MB of weights, which stay flat when the flow is
# linear in model size. The
# models: stacks of 4096x4096 fp32 MatMuls in external data
# (examples/models/gen_matmul_stack.py) at SIZES MiB, and the decoder block
# (examples/models/gen_decoder.py) in fp32 and int4 at HIDDEN / FFN. The
# compiled library must run: each is run once with quant-run.
#
#   bench/import_scale.sh [build-dir]      (default: build)
#   env: SIZES ("256 512 1024"), DIM (4096), HIDDEN (2048), HEADS (16),
#        FFN (5632), KEEP=1 keeps the files
#
#===----------------------------------------------------------------------===#
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build}"
sizes="${SIZES:-256 512 1024}"
dim="${DIM:-4096}"
hidden="${HIDDEN:-2048}"
heads="${HEADS:-16}"
ffn="${FFN:-5632}"
python=/usr/bin/python3
work="$(mktemp -d)"
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$work"' EXIT
results="$work/results"

# measure NAME MODEL INPUT...: compiles MODEL, appends
# "NAME weight_MB wall_s peak_MB" to $results, runs the library once.
measure() {
  local name="$1" model="$2"
  shift 2
  local mb
  mb=$(du -cm "$model"* | awk 'END {print $1}')
  echo "$name: compiling ($mb MB on disk)..." >&2
  if ! /usr/bin/time -v "$build/bin/quant-compile" "$model" \
      -o "$work/$name.so" > /dev/null 2> "$work/$name.time"; then
    cat "$work/$name.time" >&2
    exit 1
  fi
  local wall cpu peak
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {
           n = split($2, t, ":"); s = 0
           for (i = 1; i <= n; i++) s = s * 60 + t[i]
           print s }' "$work/$name.time")
  cpu=$(awk -F': ' '/(User|System) time \(seconds\)/ {s += $2} END {print s}' \
          "$work/$name.time")
  peak=$(awk -F': ' '/Maximum resident set size/ {print $2 / 1024}' \
           "$work/$name.time")
  mkdir -p "$work/$name.out"
  "$build/bin/quant-run" "$work/$name.so" "$@" --output-dir "$work/$name.out" \
    > /dev/null
  echo "$name $mb $wall $cpu $peak" >> "$results"
  rm -f "$work/$name.so"
}

for s in $sizes; do
  echo "stack-$s: generating..." >&2
  "$python" examples/models/gen_matmul_stack.py "$work/stack$s.onnx" \
    --mb "$s" --dim "$dim"
  measure "stack-${s}MB" "$work/stack$s.onnx" --input "x=$work/x.npy"
  rm -f "$work/stack$s.onnx" "$work/stack$s.onnx.data"
done

echo "decoder: generating..." >&2
mkdir -p "$work/dec"
"$python" examples/models/gen_decoder.py "$work/dec" --variants fp32,int4 \
  --hidden "$hidden" --heads "$heads" --ffn "$ffn" --seq 1
for v in fp32 int4; do
  measure "decoder-$v" "$work/dec/decoder_$v.onnx" --input "x=$work/dec/x.npy"
done

# CPU seconds (user + system) are the measure of work; wall time also
# counts waiting for a busy machine.
echo "quant-compile (import + lower + codegen + link), one process:"
printf '%-16s %10s %8s %8s %12s %10s %11s\n' model "weights MB" "wall s" \
  "cpu s" "peak RSS MB" "cpu s / GB" "RSS / size"
while read -r name mb wall cpu peak; do
  printf '%-16s %10d %8.1f %8.1f %12.0f %10.2f %11.2f\n' "$name" "$mb" \
    "$wall" "$cpu" "$peak" \
    "$(awk -v c="$cpu" -v m="$mb" 'BEGIN {print c * 1024 / m}')" \
    "$(awk -v p="$peak" -v m="$mb" 'BEGIN {print p / m}')"
done < "$results"

#!/usr/bin/env bash
#===- decoder_bench.sh - decoder block latency: quant vs ONNX Runtime -----===#
#
# Generates the transformer decoder block (examples/models/gen_decoder.py) in
# fp32 and in int4 MatMulNBits (block 32, zero points) at a realistic size,
# compiles each with quant-compile, and times it with quant-run and with ONNX
# Runtime (scripts/ort/ort_run.js) on the same inputs and thread count. Prints
# the median latencies and ORT / quant (> 1: quant is faster). Two shapes: a
# decode step (SEQ 1 against a KV cache of PAST tokens) and a short prefill
# (SEQ 16, no cache). Variant int4-i8 is the int4 model compiled with
# --compute=int8 (activations quantized per block to int8, VNNI dot
# products) against ONNX Runtime running the same model with every
# MatMulNBits at accuracy_level 4 (its int8 compute). Nothing here asserts
# timings.
#
#   bench/decoder_bench.sh [build-dir]      (default: build)
#   env: HIDDEN (2048), HEADS (16), FFN (5632), PAST (128), PREFILL (16),
#        THREADS (1), REPS (20), VARIANTS ("fp32 int4 int4-i8"), KEEP=1
#        keeps files,
#        COMPILE_FLAGS (extra quant-compile flags, e.g. --raise-linear=false),
#        QUANT_ORT_DIR (default <build-dir>/ort, else build/ort)
#
#===----------------------------------------------------------------------===#
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build}"
hidden="${HIDDEN:-2048}"
heads="${HEADS:-16}"
ffn="${FFN:-5632}"
past="${PAST:-128}"
prefill="${PREFILL:-16}"
threads="${THREADS:-1}"
reps="${REPS:-20}"
variants="${VARIANTS:-fp32 int4 int4-i8}"
read -r -a compile_flags <<< "${COMPILE_FLAGS:-}"
python=/usr/bin/python3
if [ -z "${QUANT_ORT_DIR:-}" ]; then
  QUANT_ORT_DIR="$build/ort"
  [ -d "$QUANT_ORT_DIR/node_modules" ] || QUANT_ORT_DIR=build/ort
fi
export QUANT_ORT_DIR
work="$(mktemp -d)"
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$work"' EXIT

# shape NAME SEQ PAST: generates, compiles and times every variant; appends
# "NAME VARIANT quant_ms ort_ms" to $work/results.
shape() {
  local name="$1" seq="$2" cache="$3" dir="$work/$1"
  mkdir -p "$dir"
  echo "$name: generating (hidden $hidden, heads $heads, ffn $ffn, seq $seq, past $cache)..." >&2
  local models=()
  for v in $variants; do
    [[ " ${models[*]} " == *" ${v%-i8} "* ]] || models+=("${v%-i8}")
  done
  "$python" examples/models/gen_decoder.py "$dir" --variants "$(IFS=,; echo "${models[*]}")" \
    --hidden "$hidden" --heads "$heads" --ffn "$ffn" --seq "$seq" --past "$cache"
  if [[ " $variants " == *" int4-i8 "* ]]; then
    # The same int4 model with ONNX Runtime's int8 compute.
    "$python" - "$dir/decoder_int4.onnx" "$dir/decoder_int4-i8.onnx" <<'PY'
import onnx, sys
model = onnx.load(sys.argv[1])
for node in model.graph.node:
    if node.op_type == "MatMulNBits":
        kept = [a for a in node.attribute if a.name != "accuracy_level"]
        del node.attribute[:]
        node.attribute.extend(kept)
        node.attribute.append(onnx.helper.make_attribute("accuracy_level", 4))
onnx.save(model, sys.argv[2])
PY
  fi
  local inputs=(--input "x=$dir/x.npy")
  if [ "$cache" -gt 0 ]; then
    inputs+=(--input "past_key=$dir/past_key.npy" --input "past_value=$dir/past_value.npy")
  fi
  for v in $variants; do
    echo "$name $v: compiling..." >&2
    local compute=f32
    [[ "$v" != *-i8 ]] || compute=int8
    if ! "$build/bin/quant-compile" "$dir/decoder_$v.onnx" -o "$dir/$v.so" \
        --compute "$compute" --threads "$threads" "${compile_flags[@]}" \
        > "$dir/$v.log" 2>&1; then
      cat "$dir/$v.log" >&2
      exit 1
    fi
    echo "$name $v: timing..." >&2
    local q o
    local run_threads=()
    [ "$threads" -eq 1 ] || run_threads=(--threads "$threads")
    q=$("$build/bin/quant-run" "$dir/$v.so" "${inputs[@]}" --bench "$reps" \
          "${run_threads[@]}" | awk '/^median_ms/ {print $2}')
    o=$(node scripts/ort/ort_run.js "$dir/decoder_$v.onnx" "${inputs[@]}" \
          --bench "$reps" --threads "$threads" | awk '/^median_ms/ {print $2}')
    echo "$name $v $q $o" >> "$work/results"
  done
  [ "${KEEP:-0}" = 1 ] || rm -f "$dir"/*.onnx "$dir"/*.so
}

shape "decode" 1 "$past"
shape "prefill" "$prefill" 0

[ "${KEEP:-0}" != 1 ] || echo "kept: $work" >&2
echo "decoder block: hidden $hidden, heads $heads, ffn $ffn, threads $threads, median of $reps runs"
printf '%-8s %-8s %12s %12s %14s\n' shape variant "quant ms" "ORT ms" "ORT / quant"
while read -r name v q o; do
  printf '%-8s %-8s %12.3f %12.3f %14.2f\n' "$name" "$v" "$q" "$o" \
    "$(awk -v q="$q" -v o="$o" 'BEGIN {print o / q}')"
done < "$work/results"

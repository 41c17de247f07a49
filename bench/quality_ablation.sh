#!/usr/bin/env bash
#===- quality_ablation.sh - what each ingredient of the automatic flow adds ===#
#
# On the decoder block with planted outlier channels (gen_decoder.py
# --outlier-channels 4), compiles round-to-nearest asymmetric int4 g32 (the
# baseline) and the automatic flow at --budget-bits (4.25) with everything
# on, then with each ingredient switched off in turn, and prints one row per
# variant: bits per weight (metadata included), relative L2 error of the
# output against fp32 on held-out inputs, and baseline error / error.
# Calibration (256 samples) and evaluation (16 samples) inputs come from the
# same distribution with different seeds (test/Calibration/Inputs/
# decoder_data.py); DECAY sets its spectrum (0: i.i.d. channels, 1:
# strongly correlated). Nothing here asserts; test/Calibration/
# decoder-acceptance.test does.
#
#   bench/quality_ablation.sh [build-dir]      (default: build)
#   env: DECAY (1), BUDGET (4.25), OUTLIERS (4), EXTRA ("": more rows as
#        "name:flags;name:flags"), KEEP=1 keeps the work directory
#
#===----------------------------------------------------------------------===#
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build}"
decay="${DECAY:-1}"
budget="${BUDGET:-4.25}"
outliers="${OUTLIERS:-4}"
py=/usr/bin/python3
data=test/Calibration/Inputs/decoder_data.py
compile="$build/bin/quant-compile"
run="$build/bin/quant-run"
work="$(mktemp -d)"
[ "${KEEP:-0}" = 1 ] && echo "work directory: $work" || trap 'rm -rf "$work"' EXIT

$py examples/models/gen_decoder.py "$work" --variants fp32 \
  --outlier-channels "$outliers"
$py "$data" inputs "$work/calib" --samples 256 --seed 1 --decay "$decay"
$py "$data" inputs "$work/eval-stack" --samples 16 --seed 2 --decay "$decay"
$py "$data" split "$work/eval-stack/x.npy" "$work/eval"
model="$work/decoder_fp32.onnx"
"$compile" "$model" -o "$work/fp32.so" > /dev/null
"$compile" "$model" -o "$work/rtn.so" --quantize int4 --group-size 32 \
  --asymmetric > /dev/null
# #qnt.uniform<ui4, per_group(1, 32), scale = f16, asymmetric>: 4-bit codes,
# one f16 scale and one 4-bit zero point per 32 weights (K is a multiple of
# 32 in every layer).
rtn_bits=4.625

variants=(
  "auto (everything):"
  "auto --sensitivity=model:--sensitivity=model"
  "auto --sensitivity=model, 32-row slices:--sensitivity=model --allocation=rows:32"
  "auto --no-reorder:--no-reorder"
  "auto --no-migrate:--no-migrate"
  "auto --migrate=smoothquant:--migrate=smoothquant"
  "auto --no-gptq:--no-gptq"
  "auto --act-order=false:--act-order=false"
  "auto --no-mse:--no-mse"
  "auto +rotate:--rotate"
  "auto, int4-g128 as the only candidate:--candidates=int4-g128"
  "auto nothing (RTN min-max, no rewrites):--no-gptq --no-mse --no-migrate --no-reorder"
)
if [ -n "${EXTRA:-}" ]; then
  IFS=';' read -r -a extra <<< "$EXTRA"
  variants+=("${extra[@]}")
fi
libs=("rtn=$work/rtn.so")
declare -A bits
for i in "${!variants[@]}"; do
  flags="${variants[$i]#*:}"
  read -r -a flag_array <<< "$flags"
  if "$compile" "$model" -o "$work/v$i.so" --budget-bits "$budget" \
      --calibration-data "$work/calib" --report "$work/r$i" \
      "${flag_array[@]}" > "$work/v$i.log" 2>&1; then
    bits[$i]=$($py -c "import json; print('%.4f' % json.load(open('$work/r$i/report.json'))['total']['bits_per_weight'])")
    libs+=("v$i=$work/v$i.so")
  else
    bits[$i]="failed"
  fi
done
$py "$data" evaluate "$run" "$work/eval" "$work/fp32.so" "${libs[@]}" \
  > "$work/errors.txt"
err() { sed -n "s/^$1 rel_l2 //p" "$work/errors.txt"; }
base=$(err rtn)
printf '\ndecoder block, %s outlier channels, DECAY=%s, budget %s bits/weight\n' \
  "$outliers" "$decay" "$budget"
printf '| %-44s | %9s | %9s | %6s |\n' variant bits/w "rel L2" ratio
printf '|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..46})" "-----------" \
  "-----------" "--------"
printf '| %-44s | %9.4f | %9.4g | %6.2f |\n' "RTN asym int4 g32" \
  "$rtn_bits" "$base" 1
for i in "${!variants[@]}"; do
  name="${variants[$i]%%:*}"
  if [ "${bits[$i]}" = failed ]; then
    printf '| %-44s | %9s | %9s | %6s |\n' "$name" failed - -
    continue
  fi
  e=$(err "v$i")
  printf '| %-44s | %9s | %9.4g | %6.2f |\n' "$name" "${bits[$i]}" "$e" \
    "$($py -c "print($base / $e)")"
done

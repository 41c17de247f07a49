#!/usr/bin/env python3
# Compares quant-run's outputs with ONNX Runtime's: every REF_DIR/NAME.npy
# against GOT_DIR/NAME.npy, same shape and dtype, then
#
#   float:  |got - ref| <= atol + rtol * |ref| elementwise
#   --quantum Q (or --quantum-of MODEL.onnx:INITIALIZER, a scalar scale)
#           --max-steps S:  outputs that are dequantized 8-bit values
#           (multiples of Q apart): at most S quantization steps apart, and
#           at least --min-exact of them equal.
#
#   compare.py GOT_DIR REF_DIR [--rtol R] [--atol A]
#              [--quantum Q | --quantum-of M:NAME] [--max-steps S]
#              [--min-exact F]
#
# Prints one line per output; exits 1 on any mismatch.
import argparse
import os
import sys

import numpy as np

p = argparse.ArgumentParser()
p.add_argument("got")
p.add_argument("ref")
p.add_argument("--rtol", type=float, default=0.0)
p.add_argument("--atol", type=float, default=0.0)
p.add_argument("--quantum", type=float)
p.add_argument("--quantum-of")
p.add_argument("--max-steps", type=int, default=0)
p.add_argument("--min-exact", type=float, default=1.0)
args = p.parse_args()
if args.quantum_of:
    import onnx
    from onnx import numpy_helper
    model, name = args.quantum_of.rsplit(":", 1)
    found = [t for t in onnx.load(model).graph.initializer if t.name == name]
    if not found:
        sys.exit(f"compare: no initializer '{name}' in {model}")
    args.quantum = float(numpy_helper.to_array(found[0]))

names = sorted(f for f in os.listdir(args.ref) if f.endswith(".npy"))
if not names:
    sys.exit(f"compare: no .npy outputs in {args.ref}")
ok = True
for name in names:
    ref = np.load(os.path.join(args.ref, name))
    path = os.path.join(args.got, name)
    if not os.path.exists(path):
        print(f"compare: {name}: missing from {args.got}")
        ok = False
        continue
    got = np.load(path)
    if got.shape != ref.shape or got.dtype != ref.dtype:
        print(f"compare: {name}: {got.dtype}{list(got.shape)} vs "
              f"{ref.dtype}{list(ref.shape)}")
        ok = False
        continue
    err = np.abs(got.astype(np.float64) - ref.astype(np.float64))
    if args.quantum:
        steps = np.rint(err / args.quantum)
        exact = float(np.mean(steps == 0))
        good = steps.max() <= args.max_steps and exact >= args.min_exact
        print(f"compare: {name}: {ref.size} values, max {int(steps.max())} "
              f"steps, {exact:.1%} exact: {'ok' if good else 'MISMATCH'}")
    else:
        bad = err > args.atol + args.rtol * np.abs(ref.astype(np.float64))
        good = not bad.any() and np.isfinite(got).all()
        print(f"compare: {name}: {ref.size} values, max abs err "
              f"{err.max():.3g} (max |ref| {np.abs(ref).max():.3g}): "
              f"{'ok' if good else f'MISMATCH at {int(bad.sum())} values'}")
    ok = ok and good
sys.exit(0 if ok else 1)

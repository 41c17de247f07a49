#!/usr/bin/env python3
# Compares a model output with a reference: compare_npy.py GOT WANT
#   [--max-rel-l2 X] [--min-rel-l2 Y]
# Prints the relative L2 error ||got - want|| / ||want|| and the max
# absolute error; exits 1 when the relative error is above --max-rel-l2 or
# below --min-rel-l2 (a quantized model must differ from the float one).
import argparse
import sys

import numpy as np

p = argparse.ArgumentParser()
p.add_argument("got")
p.add_argument("want")
p.add_argument("--max-rel-l2", type=float, required=True)
p.add_argument("--min-rel-l2", type=float, default=0.0)
args = p.parse_args()
got, want = np.load(args.got), np.load(args.want)
if got.shape != want.shape:
    print("FAIL: shape %s, expected %s" % (got.shape, want.shape))
    sys.exit(1)
rel = float(np.linalg.norm(got - want) / np.linalg.norm(want))
ok = args.min_rel_l2 <= rel <= args.max_rel_l2
print("%s: relative L2 error %.3g (bounds [%g, %g]), max abs error %.3g" % (
    "ok" if ok else "FAIL", rel, args.min_rel_l2, args.max_rel_l2,
    float(np.abs(got - want).max())))
sys.exit(0 if ok else 1)

#!/usr/bin/env python3
# Attaches per-input-channel activation statistics to every qnt.matmul of
# an MLIR file: qnt.input_absmax and qnt.input_meanabs (dense f32 [K]).
# Synthetic by default (a few planted outlier channels): the equivalence
# tests use them, as the statistics steer which permutation / scales are
# chosen, never whether the model stays the same. With --calibration, the
# i-th qnt.matmul gets layer i of quant-compile --dump-calibration's
# stats.json (program order).
#
#   qnt-channel-stats.py IN.mlir OUT.mlir [--seed S] [--outliers N]
#       [--calibration DIR/stats.json]
import argparse
import re

import numpy as np

p = argparse.ArgumentParser()
p.add_argument("input")
p.add_argument("output")
p.add_argument("--seed", type=int, default=0)
p.add_argument("--outliers", type=int, default=2)
p.add_argument("--calibration")
args = p.parse_args()
rng = np.random.default_rng(args.seed)
layers = None
if args.calibration:
    import json
    with open(args.calibration) as f:
        layers = sorted(json.load(f)["layers"], key=lambda l: l["index"])
counter = [0]

# `= qnt.matmul OPERANDS [{ATTRS}] : (tensor<...xKxf32>, ...`
pattern = re.compile(
    r"(= qnt\.matmul [^{:]*?)( \{(?P<attrs>[^}]*)\})? : \(tensor<(?P<shape>[0-9x]+)xf32>")


def attach(match):
    k = int(match.group("shape").split("x")[-1])
    if layers is not None:
        layer = layers[counter[0]]
        counter[0] += 1
        if layer["k"] != k:
            raise SystemExit("qnt-channel-stats.py: layer %s has K = %d, the "
                             "qnt.matmul %d" % (layer["name"], layer["k"], k))
        absmax = np.array(layer["abs_max"])
        mean = np.array(layer["mean_abs"])
    else:
        mean = rng.uniform(0.2, 1.0, k)
        mean[rng.choice(k, min(args.outliers, k), replace=False)] *= 30.0
        absmax = mean * rng.uniform(2.0, 4.0, k)
    fmt = lambda v: "dense<[%s]> : tensor<%dxf32>" % (
        ", ".join("%.6e" % x for x in v), k)
    attrs = ["qnt.input_absmax = " + fmt(absmax),
             "qnt.input_meanabs = " + fmt(mean)]
    if match.group("attrs"):
        attrs.insert(0, match.group("attrs"))
    return "%s {%s} : (tensor<%sxf32>" % (
        match.group(1), ", ".join(attrs), match.group("shape"))


with open(args.input) as f:
    text = f.read()
text, count = pattern.subn(attach, text)
if count == 0:
    raise SystemExit("qnt-channel-stats.py: no qnt.matmul in " + args.input)
with open(args.output, "w") as f:
    f.write(text)

#!/usr/bin/env python3
# Checks quant-run outputs of the example MLP (examples/models/gen_mlp.py)
# against numpy references computed from the module's own float weights.
#
#   mlp_check.py MLP.mlir INPUT.npy --fp32 OUT.npy --int4 OUT.npy
#                [--int4-ref OUT.npy]
#
# Tolerances:
#  * fp32 library vs numpy fp32 forward: |d| <= 1e-5 + 1e-5 |ref|. Both sum
#    96 or 64 float32 products of O(1) values; only the summation order
#    differs, which costs a few ulps.
#  * int4 library vs numpy forward with the int4-quantized weights (the
#    reference encoder re-implemented here: per group of 32 along K,
#    scale = f16(absmax / 7), code = clip(rint(w / scale), -8, 7)): same
#    bound, because the decoded weights are exact and only the summation
#    order differs.
#  * int4 vs fp32 (the cost of 4-bit weights): relative L2 error < 0.2, the
#    bound examples/models/mlp_main.c uses, and > 0 (the weights did change).
#  * --int4-ref (the reference pipeline) vs the cpu pipeline: same bound as
#    the first two.
import argparse
import re
import sys

import numpy as np


def load_weights(path):
    text = open(path).read()
    weights = {}
    for name in ("w1", "b1", "w2", "b2"):
        match = re.search(r"\b%s: \"0x([0-9A-F]+)\"" % name, text)
        if not match:
            sys.exit("mlp_check: no blob '%s' in %s" % (name, path))
        data = bytes.fromhex(match.group(1))[4:]  # 4-byte alignment header
        weights[name] = np.frombuffer(data, dtype="<f4")
    hidden = weights["b1"].size
    out = weights["b2"].size
    weights["w1"] = weights["w1"].reshape(hidden, -1)
    weights["w2"] = weights["w2"].reshape(out, hidden)
    return weights


def quantize_int4(w, group=32):
    rows, cols = w.shape
    result = np.empty_like(w)
    for start in range(0, cols, group):
        block = w[:, start:start + group]
        absmax = np.abs(block).max(axis=1, keepdims=True)
        scale = np.where(absmax == 0, np.float32(1), absmax / np.float32(7))
        scale = scale.astype(np.float16).astype(np.float32)
        codes = np.clip(np.rint(block / scale), -8, 7)
        result[:, start:start + group] = codes * scale
    return result


def forward(x, w1, b1, w2, b2):
    h = np.maximum(x @ w1.T + b1, np.float32(0))
    return h @ w2.T + b2


def check_close(what, got, want):
    bound = 1e-5 + 1e-5 * np.abs(want)
    worst = np.max(np.abs(got - want) - bound)
    if worst > 0:
        sys.exit("mlp_check: %s differs from the reference by up to %g "
                 "beyond the tolerance" % (what, worst))
    print("%s: matches the reference (max |diff| %.3g)"
          % (what, np.max(np.abs(got - want))))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mlir")
    parser.add_argument("input")
    parser.add_argument("--fp32", required=True)
    parser.add_argument("--int4", required=True)
    parser.add_argument("--int4-ref")
    args = parser.parse_args()

    w = load_weights(args.mlir)
    x = np.load(args.input)
    fp32 = np.load(args.fp32)
    int4 = np.load(args.int4)
    for name, array in (("fp32", fp32), ("int4", int4)):
        if array.dtype != np.float32 or array.shape != (x.shape[0], 10):
            sys.exit("mlp_check: %s output has dtype %s shape %s"
                     % (name, array.dtype, array.shape))

    want_fp32 = forward(x, w["w1"], w["b1"], w["w2"], w["b2"])
    want_int4 = forward(x, quantize_int4(w["w1"]), w["b1"],
                        quantize_int4(w["w2"]), w["b2"])
    check_close("fp32", fp32, want_fp32)
    check_close("int4", int4, want_int4)
    if args.int4_ref:
        check_close("int4 reference pipeline", np.load(args.int4_ref), int4)
    rel = np.linalg.norm(int4 - fp32) / np.linalg.norm(fp32)
    if not 0 < rel < 0.2:
        sys.exit("mlp_check: relative L2 error of int4 vs fp32 is %g, "
                 "expected within (0, 0.2)" % rel)
    print("int4 vs fp32: relative L2 error %.4f" % rel)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
# Writes a two-layer model with int4 weights and its float64 reference:
#   int4_model.py OUT_DIR
# OUT_DIR/model.mlir: y = relu(x @ W1^T + b1) @ W2^T with x 3x101,
#   W1 45x101 #qnt.uniform<i4, per_group(1, 32), scale = f16> (a partial last
#   group) and W2 21x45 #qnt.uniform<i4, per_channel(0), scale = f32>: M, K
#   and N are not multiples of a vector or of the group.
# OUT_DIR/x.npy: the input; OUT_DIR/reference.npy: the output computed in
#   float64 from the decoded weights (w = scale * code, docs/Encodings.md).
import os
import sys

import numpy as np


def pack_int4(codes):
    """Rows of signed 4-bit codes, two per byte LSB first, as s8 bytes."""
    n, k = codes.shape
    packed = np.zeros((n, (k + 1) // 2), dtype=np.int64)
    for j in range(k):
        packed[:, j // 2] |= (codes[:, j] & 0xF) << (4 * (j % 2))
    return np.where(packed > 127, packed - 256, packed)


def dense(values, fmt):
    if values.ndim == 1:
        return "[" + ", ".join(fmt(v) for v in values) + "]"
    return "[" + ", ".join(dense(r, fmt) for r in values) + "]"


def fl(v):
    return "%.9e" % float(v)


def layer(rng, n, k, group, scale_type):
    codes = rng.randint(-8, 8, size=(n, k))
    groups = -(-k // group) if group else 1
    scales = (rng.rand(n, groups) * 0.04 + 0.01).astype(scale_type)
    cols = np.arange(k) // group if group else np.zeros(k, dtype=np.int64)
    weight = codes * scales.astype(np.float64)[:, cols]
    gran = "per_group(1, %d)" % group if group else "per_channel(0)"
    sname = "f16" if scale_type == np.float16 else "f32"
    ty = "tensor<%dx%dxf32, #qnt.uniform<i4, %s, scale = %s>>" % (n, k, gran,
                                                                  sname)
    packed = pack_int4(codes)
    text = ("qnt.constant [dense<%s> : tensor<%dx%dxi8>, dense<%s> : "
            "tensor<%dx%dx%s>] : %s" % (dense(packed, str), n, packed.shape[1],
                                        dense(scales, fl), n, groups, sname,
                                        ty))
    return text, ty, weight


def main():
    out = sys.argv[1]
    rng = np.random.RandomState(7)
    m, k, hidden, n = 3, 101, 45, 21
    w1_text, w1_type, w1 = layer(rng, hidden, k, 32, np.float16)
    w2_text, w2_type, w2 = layer(rng, n, hidden, 0, np.float32)
    b1 = (rng.rand(hidden) * 0.2 - 0.1).astype(np.float32)
    x = rng.randn(m, k).astype(np.float32)

    h = np.maximum(x.astype(np.float64) @ w1.T + b1, 0.0)
    y = h @ w2.T
    np.save(os.path.join(out, "x.npy"), x)
    np.save(os.path.join(out, "reference.npy"), y.astype(np.float32))

    xt = "tensor<%dx%dxf32>" % (m, k)
    ht = "tensor<%dx%dxf32>" % (m, hidden)
    yt = "tensor<%dx%dxf32>" % (m, n)
    with open(os.path.join(out, "model.mlir"), "w") as f:
        f.write("module @int4_mlp {\n")
        f.write("  func.func @forward(%%x: %s {qnt.name = \"x\"}) -> "
                "(%s {qnt.name = \"y\"}) {\n" % (xt, yt))
        f.write("    %%w1 = %s\n" % w1_text)
        f.write("    %%b1 = arith.constant dense<%s> : tensor<%dxf32>\n" %
                (dense(b1, fl), hidden))
        f.write("    %%h = qnt.matmul %%x, %%w1 bias(%%b1) {activation = "
                "#qnt.activation<relu>} : (%s, %s, tensor<%dxf32>) -> %s\n" %
                (xt, w1_type, hidden, ht))
        f.write("    %%w2 = %s\n" % w2_text)
        f.write("    %%y = qnt.matmul %%h, %%w2 : (%s, %s) -> %s\n" %
                (ht, w2_type, yt))
        f.write("    return %%y : %s\n  }\n}\n" % yt)
    return 0


if __name__ == "__main__":
    sys.exit(main())

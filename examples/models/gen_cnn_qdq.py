#!/usr/bin/env python3
# A small CNN in QDQ int8, the form ONNX Runtime's static quantizer writes:
# uint8 activations (QuantizeLinear / DequantizeLinear pairs with calibrated
# scales and zero points), int8 weights with per-channel scales, int32 biases
# with scale = input scale * weight scale.
#
#   x [1, 3, 16, 16] -> Q/DQ -> Conv 3x3 (8) -> Relu -> Q/DQ -> MaxPool 2x2
#   -> Q/DQ -> Conv 3x3 (16) -> Relu -> Q/DQ -> AveragePool 2x2 -> Q/DQ
#   -> Flatten -> Gemm (10, transB) -> Q -> DQ -> logits [1, 10]
#
# The activation scales come from a float run of the same network on the
# input (min / max calibration), so no stage saturates.
#
#   gen_cnn_qdq.py OUT_DIR [--seed 0] [--size 16]
#
# Writes OUT_DIR/cnn_qdq.onnx and OUT_DIR/x.npy.
import argparse
import os

import numpy as np
from onnx import TensorProto, helper, numpy_helper, save


def init(name, array):
    return numpy_helper.from_array(np.asarray(array), name)


def conv2d(x, w, b):
    """NCHW 3x3 convolution, stride 1, pad 1 (float reference)."""
    n, c, h, wd = x.shape
    p = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    cols = np.stack([p[:, :, i:i + h, j:j + wd] for i in range(3)
                     for j in range(3)], axis=2)  # n, c, 9, h, w
    cols = cols.reshape(n, c * 9, h * wd)
    out = np.einsum("ok,nkp->nop", w.reshape(w.shape[0], -1), cols)
    return out.reshape(n, w.shape[0], h, wd) + b[None, :, None, None]


def pool2(x, op):
    n, c, h, w = x.shape
    return op(x.reshape(n, c, h // 2, 2, w // 2, 2), axis=(3, 5))


def act_params(t):
    """uint8 scale / zero point covering [min(t, 0), max(t, 0)]."""
    lo, hi = min(float(t.min()), 0.0), max(float(t.max()), 0.0)
    scale = np.float32((hi - lo) / 255 or 1)
    return scale, np.uint8(np.clip(np.rint(-lo / scale), 0, 255))


def weight_params(w):
    """int8 symmetric per-output-channel codes and scales."""
    amax = np.abs(w.reshape(w.shape[0], -1)).max(axis=1)
    scales = (np.where(amax > 0, amax, 1) / 127).astype(np.float32)
    shape = (-1,) + (1,) * (w.ndim - 1)
    codes = np.clip(np.rint(w / scales.reshape(shape)), -127, 127)
    return codes.astype(np.int8), scales


def main():
    p = argparse.ArgumentParser(description="Writes a small QDQ int8 CNN.")
    p.add_argument("out_dir")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--size", type=int, default=16,
                   help="input height and width (a multiple of 4)")
    args = p.parse_args()
    if args.size % 4 or args.size < 4:
        p.error("--size must be a positive multiple of 4")
    s = args.size
    rng = np.random.default_rng(args.seed)
    x = rng.standard_normal((1, 3, s, s)).astype(np.float32)
    w1 = (rng.standard_normal((8, 3, 3, 3)) / np.sqrt(27)).astype(np.float32)
    b1 = (0.1 * rng.standard_normal(8)).astype(np.float32)
    w2 = (rng.standard_normal((16, 8, 3, 3)) / np.sqrt(72)).astype(np.float32)
    b2 = (0.1 * rng.standard_normal(16)).astype(np.float32)
    feat = 16 * (s // 4) ** 2
    w3 = (rng.standard_normal((10, feat)) / np.sqrt(feat)).astype(np.float32)
    b3 = (0.1 * rng.standard_normal(10)).astype(np.float32)

    # Float calibration run.
    r1 = np.maximum(conv2d(x, w1, b1), 0)
    p1 = pool2(r1, np.max)
    r2 = np.maximum(conv2d(p1, w2, b2), 0)
    p2 = pool2(r2, np.mean)
    logits = p2.reshape(1, -1) @ w3.T + b3

    nodes, inits = [], []
    n = helper.make_node

    def qdq(src, name, t):
        scale, zp = act_params(t)
        inits.extend([init(name + "_scale", scale), init(name + "_zp", zp)])
        nodes.append(n("QuantizeLinear", [src, name + "_scale", name + "_zp"],
                       [name + "_q"], name=name + "_quant"))
        nodes.append(n("DequantizeLinear",
                       [name + "_q", name + "_scale", name + "_zp"],
                       [name + "_dq"], name=name + "_dequant"))
        return name + "_dq", scale

    def weights(name, w, b, in_scale):
        codes, scales = weight_params(w)
        bias_scales = (in_scale * scales).astype(np.float32)
        bias = np.rint(b / bias_scales).astype(np.int32)
        inits.extend([init(name + "_w", codes), init(name + "_wscale", scales),
                      init(name + "_wzp", np.zeros(len(scales), np.int8)),
                      init(name + "_b", bias), init(name + "_bscale", bias_scales),
                      init(name + "_bzp", np.zeros(len(scales), np.int32))])
        nodes.append(n("DequantizeLinear",
                       [name + "_w", name + "_wscale", name + "_wzp"],
                       [name + "_wdq"], axis=0, name=name + "_wdequant"))
        nodes.append(n("DequantizeLinear",
                       [name + "_b", name + "_bscale", name + "_bzp"],
                       [name + "_bdq"], axis=0, name=name + "_bdequant"))
        return name + "_wdq", name + "_bdq"

    xin, sx = qdq("x", "in", x)
    w, b = weights("conv1", w1, b1, sx)
    nodes.append(n("Conv", [xin, w, b], ["c1"], kernel_shape=[3, 3],
                   pads=[1, 1, 1, 1], name="conv1"))
    nodes.append(n("Relu", ["c1"], ["r1"], name="relu1"))
    a1, _ = qdq("r1", "act1", r1)
    nodes.append(n("MaxPool", [a1], ["p1"], kernel_shape=[2, 2], strides=[2, 2],
                   name="maxpool"))
    a2, s2 = qdq("p1", "act2", r1)  # MaxPool keeps the scale of its input
    w, b = weights("conv2", w2, b2, s2)
    nodes.append(n("Conv", [a2, w, b], ["c2"], kernel_shape=[3, 3],
                   pads=[1, 1, 1, 1], name="conv2"))
    nodes.append(n("Relu", ["c2"], ["r2"], name="relu2"))
    a3, _ = qdq("r2", "act3", r2)
    nodes.append(n("AveragePool", [a3], ["p2"], kernel_shape=[2, 2],
                   strides=[2, 2], name="avgpool"))
    a4, s4 = qdq("p2", "act4", p2)
    nodes.append(n("Flatten", [a4], ["flat"], axis=1, name="flatten"))
    w, b = weights("fc", w3, b3, s4)
    nodes.append(n("Gemm", ["flat", w, b], ["fc"], transB=1, name="fc"))
    out, _ = qdq("fc", "out", logits)
    nodes.append(n("Identity", [out], ["logits"], name="output"))

    graph = helper.make_graph(
        nodes, "cnn_qdq",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, s, s])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 10])],
        initializer=inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                          producer_name="quant gen_cnn_qdq.py")
    m.ir_version = 8
    os.makedirs(args.out_dir, exist_ok=True)
    save(m, os.path.join(args.out_dir, "cnn_qdq.onnx"))
    np.save(os.path.join(args.out_dir, "x.npy"), x)


if __name__ == "__main__":
    main()

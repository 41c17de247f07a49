#!/usr/bin/python3
# Generates small ONNX models that reproduce what real exporters write, with
# one input set each, for comparison with ONNX Runtime:
#
#   exporter idioms: PyTorch shape subgraphs (Shape -> Gather -> Unsqueeze ->
#   Concat -> Reshape), tf2onnx NHWC transposes around a convolution,
#   paddle2onnx opset-9 / -11 graphs (Clip with attributes, HardSigmoid,
#   HardSwish as x * HardSigmoid), ONNX Runtime dynamic quantization
#   (DynamicQuantizeLinear + MatMulInteger / ConvInteger), an ORT-optimized
#   transformer layer (SkipLayerNormalization, Attention, FastGelu), a
#   MobileNetV3 block, an OCR-style CNN + attention + CTC head, a
#   U-Net-style encoder-decoder (Resize, ConvTranspose, skip Concat);
#
#   com.microsoft contrib ops one at a time (the norms, the GELU family,
#   Attention, MultiHeadAttention, RotaryEmbedding, the QOperator ops).
#
#   gen_onnx_idioms.py OUT_DIR [NAME ...]
#
# Writes OUT_DIR/NAME/model.onnx and OUT_DIR/NAME/inputs/<input>.npy, and
# OUT_DIR/manifest.txt: one line "NAME rtol atol quantized|float" per model.
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

rng = np.random.default_rng(7)
MS = "com.microsoft"


def f32(*shape, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def init(name, array):
    return numpy_helper.from_array(np.asarray(array), name)


def vinfo(name, array_or_type, shape=None):
    if shape is None:
        a = array_or_type
        elem = onnx.mapping.NP_TYPE_TO_TENSOR_TYPE[a.dtype]
        return helper.make_tensor_value_info(name, elem, list(a.shape))
    return helper.make_tensor_value_info(name, array_or_type, shape)


def model(nodes, inputs, outputs, inits=(), opset=17, ms=False):
    graph = helper.make_graph(nodes, "g", [vinfo(n, a) for n, a in inputs],
                              outputs, list(inits))
    imports = [helper.make_opsetid("", opset)]
    if ms:
        imports.append(helper.make_opsetid(MS, 1))
    m = helper.make_model(graph, opset_imports=imports)
    m.ir_version = 8
    return m, dict(inputs)


def out(name, elem=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, elem, None)


#===------------------------------------------------------------------===#
# Exporter idioms
#===------------------------------------------------------------------===#


def pytorch_shape_subgraph():
    x = f32(2, 3, 4)
    nodes = [
        helper.make_node("Shape", ["x"], ["s"]),
        helper.make_node("Gather", ["s", "i0"], ["b"], axis=0),
        helper.make_node("Unsqueeze", ["b", "ax0"], ["bu"]),
        helper.make_node("Concat", ["bu", "minus1"], ["shape"], axis=0),
        helper.make_node("Reshape", ["x", "shape"], ["flat"]),
        helper.make_node("Relu", ["flat"], ["y"]),
    ]
    inits = [init("i0", np.array(0, np.int64)), init("ax0", np.array([0])),
             init("minus1", np.array([-1]))]
    return model(nodes, [("x", x)], [out("y")], inits, opset=13)


def tf2onnx_nhwc_conv():
    x = f32(1, 8, 8, 3)
    w = f32(4, 3, 3, 3, scale=0.3)
    nodes = [
        helper.make_node("Transpose", ["x"], ["nchw"], perm=[0, 3, 1, 2]),
        helper.make_node("Conv", ["nchw", "w", "b"], ["c"], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c"], ["r"]),
        helper.make_node("Transpose", ["r"], ["y"], perm=[0, 2, 3, 1]),
    ]
    inits = [init("w", w), init("b", f32(4))]
    return model(nodes, [("x", x)], [out("y")], inits, opset=13)


def paddle_opset9():
    x = f32(2, 8, scale=4)
    nodes = [
        helper.make_node("Clip", ["x"], ["c"], min=-1.5, max=2.0),
        helper.make_node("HardSigmoid", ["x"], ["hs"], alpha=0.1666667,
                         beta=0.5),
        helper.make_node("Mul", ["x", "hs"], ["hswish"]),
        helper.make_node("Add", ["c", "hswish"], ["y"]),
    ]
    return model(nodes, [("x", x)], [out("y")], opset=9)


def paddle_opset11():
    x = f32(2, 8, scale=4)
    nodes = [
        helper.make_node("Clip", ["x", "lo", "hi"], ["c"]),
        helper.make_node("HardSwish", ["x"], ["hs"]),
        helper.make_node("Add", ["c", "hs"], ["y"]),
    ]
    inits = [init("lo", np.array(0.0, np.float32)),
             init("hi", np.array(6.0, np.float32))]
    return model(nodes, [("x", x)], [out("y")], inits, opset=14)


def ort_dynamic_quant():
    # What onnxruntime.quantization.quantize_dynamic writes for MatMul and
    # Conv: activations quantized at run time, int8 weights, scales
    # multiplied back in float.
    x = f32(3, 16)
    img = f32(1, 2, 6, 6)
    wq = rng.integers(-100, 100, (16, 8)).astype(np.int8)
    cq = rng.integers(-100, 100, (4, 2, 3, 3)).astype(np.int8)
    nodes = [
        helper.make_node("DynamicQuantizeLinear", ["x"], ["xq", "xs", "xz"]),
        helper.make_node("MatMulInteger", ["xq", "wq", "xz", "wz"], ["acc"]),
        helper.make_node("Cast", ["acc"], ["accf"], to=TensorProto.FLOAT),
        helper.make_node("Mul", ["xs", "ws"], ["s"]),
        helper.make_node("Mul", ["accf", "s"], ["y"]),
        helper.make_node("DynamicQuantizeLinear", ["img"],
                         ["iq", "is", "iz"]),
        helper.make_node("ConvInteger", ["iq", "cq", "iz", "cz"], ["cacc"]),
        helper.make_node("Cast", ["cacc"], ["caccf"], to=TensorProto.FLOAT),
        helper.make_node("Mul", ["is", "cs"], ["s2"]),
        helper.make_node("Mul", ["caccf", "s2"], ["z"]),
    ]
    inits = [init("wq", wq), init("wz", np.array(0, np.int8)),
             init("ws", np.array(0.02, np.float32)), init("cq", cq),
             init("cz", np.array(0, np.int8)),
             init("cs", np.array(0.01, np.float32))]
    return model(nodes, [("x", x), ("img", img)], [out("y"), out("z")], inits,
                 opset=13)


def ort_transformer_layer():
    # The fused graph onnxruntime.transformers.optimizer writes for a BERT
    # layer: Attention, SkipLayerNormalization, FastGelu.
    h, heads, s = 16, 2, 5
    x = f32(2, s, h)
    mask = np.array([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]], np.int32)
    nodes = [
        helper.make_node("Attention", ["x", "qkv_w", "qkv_b", "mask"], ["a"],
                         domain=MS, num_heads=heads),
        helper.make_node("MatMul", ["a", "o_w"], ["ao"]),
        helper.make_node("SkipLayerNormalization",
                         ["ao", "x", "g1", "b1", "o_b"], ["n1"], domain=MS,
                         epsilon=1e-5),
        helper.make_node("MatMul", ["n1", "f1_w"], ["f1"]),
        helper.make_node("FastGelu", ["f1", "f1_b"], ["g"], domain=MS),
        helper.make_node("MatMul", ["g", "f2_w"], ["f2"]),
        helper.make_node("SkipLayerNormalization",
                         ["f2", "n1", "g2", "b2", "f2_b"], ["y"], domain=MS,
                         epsilon=1e-5),
    ]
    inits = [init("qkv_w", f32(h, 3 * h, scale=0.3)),
             init("qkv_b", f32(3 * h, scale=0.1)),
             init("o_w", f32(h, h, scale=0.3)), init("o_b", f32(h, scale=0.1)),
             init("g1", 1 + f32(h, scale=0.1)), init("b1", f32(h, scale=0.1)),
             init("f1_w", f32(h, 4 * h, scale=0.3)),
             init("f1_b", f32(4 * h, scale=0.1)),
             init("f2_w", f32(4 * h, h, scale=0.2)),
             init("f2_b", f32(h, scale=0.1)),
             init("g2", 1 + f32(h, scale=0.1)), init("b2", f32(h, scale=0.1))]
    return model(nodes, [("x", x), ("mask", mask)], [out("y")], inits,
                 opset=13, ms=True)


def mobilenetv3_block():
    c, e = 8, 16
    x = f32(1, c, 10, 10)
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["e"]),
        helper.make_node("HardSwish", ["e"], ["e_act"]),
        helper.make_node("Conv", ["e_act", "dw", "dwb"], ["d"], group=e,
                         pads=[1, 1, 1, 1]),
        helper.make_node("HardSwish", ["d"], ["d_act"]),
        helper.make_node("GlobalAveragePool", ["d_act"], ["sq"]),
        helper.make_node("Conv", ["sq", "se1", "se1b"], ["s1"]),
        helper.make_node("Relu", ["s1"], ["s1r"]),
        helper.make_node("Conv", ["s1r", "se2", "se2b"], ["s2"]),
        helper.make_node("HardSigmoid", ["s2"], ["gate"], alpha=1 / 6,
                         beta=0.5),
        helper.make_node("Mul", ["d_act", "gate"], ["se"]),
        helper.make_node("Conv", ["se", "w3", "b3"], ["p"]),
        helper.make_node("Add", ["p", "x"], ["y"]),
    ]
    inits = [init("w1", f32(e, c, 1, 1, scale=0.3)), init("b1", f32(e)),
             init("dw", f32(e, 1, 3, 3, scale=0.3)), init("dwb", f32(e)),
             init("se1", f32(4, e, 1, 1, scale=0.3)), init("se1b", f32(4)),
             init("se2", f32(e, 4, 1, 1, scale=0.3)), init("se2b", f32(e)),
             init("w3", f32(c, e, 1, 1, scale=0.3)), init("b3", f32(c))]
    return model(nodes, [("x", x)], [out("y")], inits, opset=14)


def ocr_ctc_head():
    # CNN features -> sequence over the width -> self-attention -> CTC
    # log-probabilities and the greedy path.
    x = f32(1, 1, 8, 16)
    d, classes = 8, 6
    nodes = [
        helper.make_node("Conv", ["x", "cw", "cb"], ["c"], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c"], ["cr"]),
        helper.make_node("MaxPool", ["cr"], ["p"], kernel_shape=[2, 2],
                         strides=[2, 2]),  # [1, 8, 4, 8]
        helper.make_node("ReduceMean", ["p"], ["col"], axes=[2],
                         keepdims=0),  # [1, 8, 8]
        helper.make_node("Transpose", ["col"], ["seq"], perm=[0, 2, 1]),
        helper.make_node("MatMul", ["seq", "wq"], ["q"]),
        helper.make_node("MatMul", ["seq", "wk"], ["k"]),
        helper.make_node("Transpose", ["k"], ["kt"], perm=[0, 2, 1]),
        helper.make_node("MatMul", ["q", "kt"], ["sc"]),
        helper.make_node("Mul", ["sc", "scale"], ["scs"]),
        helper.make_node("Softmax", ["scs"], ["attn"], axis=-1),
        helper.make_node("MatMul", ["attn", "seq"], ["ctx"]),
        helper.make_node("Add", ["ctx", "seq"], ["res"]),
        helper.make_node("MatMul", ["res", "wo"], ["logits"]),
        helper.make_node("LogSoftmax", ["logits"], ["logp"], axis=-1),
        helper.make_node("ArgMax", ["logp"], ["path"], axis=-1, keepdims=0),
    ]
    inits = [init("cw", f32(d, 1, 3, 3, scale=0.5)), init("cb", f32(d)),
             init("wq", f32(d, d, scale=0.3)), init("wk", f32(d, d, scale=0.3)),
             init("scale", np.array(1 / np.sqrt(d), np.float32)),
             init("wo", f32(d, classes, scale=0.5))]
    return model(nodes, [("x", x)], [out("logp"), out("path", TensorProto.INT64)],
                 inits, opset=13)


def unet_resize_convtranspose():
    x = f32(1, 2, 8, 8)
    nodes = [
        helper.make_node("Conv", ["x", "e1", "e1b"], ["f1"], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["f1"], ["f1r"]),  # [1, 4, 8, 8]
        helper.make_node("MaxPool", ["f1r"], ["d1"], kernel_shape=[2, 2],
                         strides=[2, 2]),  # [1, 4, 4, 4]
        helper.make_node("Conv", ["d1", "e2", "e2b"], ["f2"], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["f2"], ["f2r"]),  # [1, 8, 4, 4]
        helper.make_node("ConvTranspose", ["f2r", "up", "upb"], ["u1"],
                         strides=[2, 2], kernel_shape=[2, 2]),  # [1, 4, 8, 8]
        helper.make_node("Resize", ["f2r", "", "scales"], ["u2"],
                         mode="linear"),  # [1, 8, 8, 8]
        helper.make_node("Concat", ["u1", "u2", "f1r"], ["cat"], axis=1),
        helper.make_node("Conv", ["cat", "o", "ob"], ["y"]),
    ]
    inits = [init("e1", f32(4, 2, 3, 3, scale=0.4)), init("e1b", f32(4)),
             init("e2", f32(8, 4, 3, 3, scale=0.3)), init("e2b", f32(8)),
             init("up", f32(8, 4, 2, 2, scale=0.3)), init("upb", f32(4)),
             init("scales", np.array([1, 1, 2, 2], np.float32)),
             init("o", f32(1, 16, 1, 1, scale=0.3)), init("ob", f32(1))]
    return model(nodes, [("x", x)], [out("y")], inits, opset=13)


def recurrent_layers():
    # What torch.onnx writes for nn.LSTM(bidirectional) / nn.GRU
    # (linear_before_reset = 1) plus a reverse ReLU RNN, with per-example
    # sequence lengths. (ONNX Runtime has no batch-first layout = 1; the
    # conformance tests cover it.)
    s, bsz, i, h = 5, 3, 4, 6
    x = f32(s, bsz, i)
    lens = np.array([5, 3, 1], np.int32)
    nodes = [
        helper.make_node("LSTM", ["x", "lw", "lr", "lb", "lens", "h0", "c0",
                                  "lp"], ["ly", "lh", "lc"],
                         hidden_size=h, direction="bidirectional"),
        helper.make_node("GRU", ["x", "gw", "gr", "gb"], ["gy", "gh"],
                         hidden_size=h, linear_before_reset=1),
        helper.make_node("RNN", ["x", "rw", "rr", "", "lens"], ["ry", "rh"],
                         hidden_size=h, direction="reverse",
                         activations=["Relu"]),
    ]
    inits = [init("lw", f32(2, 4 * h, i, scale=0.4)),
             init("lr", f32(2, 4 * h, h, scale=0.4)),
             init("lb", f32(2, 8 * h, scale=0.2)),
             init("h0", f32(2, bsz, h, scale=0.3)),
             init("c0", f32(2, bsz, h, scale=0.3)),
             init("lp", f32(2, 3 * h, scale=0.2)),
             init("gw", f32(1, 3 * h, i, scale=0.4)),
             init("gr", f32(1, 3 * h, h, scale=0.4)),
             init("gb", f32(1, 6 * h, scale=0.2)),
             init("rw", f32(1, h, i, scale=0.4)),
             init("rr", f32(1, h, h, scale=0.3))]
    return model(nodes, [("x", x), ("lens", lens)],
                 [out(n) for n in ("ly", "lh", "lc", "gy", "gh", "ry", "rh")],
                 inits, opset=14)


#===------------------------------------------------------------------===#
# com.microsoft contrib ops
#===------------------------------------------------------------------===#


def ms_norms():
    x, skip = f32(2, 3, 8), f32(2, 3, 8)
    nodes = [
        helper.make_node("SkipLayerNormalization",
                         ["x", "skip", "g", "b", "bias"],
                         ["ln", "", "", "sum"], domain=MS, epsilon=1e-5),
        helper.make_node("SkipSimplifiedLayerNormalization",
                         ["x", "skip", "g"], ["rms"], domain=MS,
                         epsilon=1e-6),
        helper.make_node("SimplifiedLayerNormalization", ["x", "g"], ["srms"],
                         axis=-1, epsilon=1e-6),
    ]
    inits = [init("g", 1 + f32(8, scale=0.2)), init("b", f32(8, scale=0.2)),
             init("bias", f32(8, scale=0.2))]
    return model(nodes, [("x", x), ("skip", skip)],
                 [out("ln"), out("sum"), out("rms"), out("srms")], inits,
                 ms=True)


def ms_gelus():
    x = f32(3, 10, scale=2)
    nodes = [
        helper.make_node("Gelu", ["x"], ["g"], domain=MS),
        helper.make_node("FastGelu", ["x", "bias"], ["fg"], domain=MS),
        helper.make_node("BiasGelu", ["x", "bias"], ["bg"], domain=MS),
        helper.make_node("QuickGelu", ["x"], ["qg"], domain=MS, alpha=1.702),
    ]
    inits = [init("bias", f32(10, scale=0.5))]
    return model(nodes, [("x", x)], [out("g"), out("fg"), out("bg"), out("qg")],
                 inits, ms=True)


def ms_attention_causal():
    x = f32(1, 4, 8)
    nodes = [helper.make_node("Attention", ["x", "w", "b"], ["y"], domain=MS,
                              num_heads=2, unidirectional=1)]
    inits = [init("w", f32(8, 24, scale=0.4)), init("b", f32(24, scale=0.1))]
    return model(nodes, [("x", x)], [out("y")], inits, ms=True)


def ms_multihead_attention():
    q, k, v = f32(2, 3, 8), f32(2, 5, 8), f32(2, 5, 8)
    mask = np.array([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]], np.int32)
    nodes = [helper.make_node("MultiHeadAttention",
                              ["q", "k", "v", "bias", "mask"], ["y"],
                              domain=MS, num_heads=2)]
    inits = [init("bias", f32(24, scale=0.1))]
    return model(nodes, [("q", q), ("k", k), ("v", v), ("mask", mask)],
                 [out("y")], inits, ms=True)


def ms_rotary_embedding():
    heads, hd, s = 2, 8, 3
    x = f32(1, s, heads * hd)
    pos = np.array([[2, 3, 4]], np.int64)
    theta = np.arange(16)[:, None] / (10000 ** (np.arange(hd // 2) * 2 / hd))
    nodes = [helper.make_node("RotaryEmbedding", ["x", "pos", "cos", "sin"],
                              ["y"], domain=MS, num_heads=heads)]
    inits = [init("cos", np.cos(theta).astype(np.float32)),
             init("sin", np.sin(theta).astype(np.float32))]
    return model(nodes, [("x", x), ("pos", pos)], [out("y")], inits, ms=True)


def ms_qlinear_ops():
    a = rng.integers(0, 256, (2, 3, 4, 4)).astype(np.uint8)
    c = rng.integers(0, 256, (2, 3, 4, 4)).astype(np.uint8)
    u8 = TensorProto.UINT8
    nodes = [
        helper.make_node("QLinearAdd", ["a", "as", "az", "c", "cs", "cz", "ys",
                                        "yz"], ["add"], domain=MS),
        helper.make_node("QLinearMul", ["a", "as", "az", "c", "cs", "cz", "ys",
                                        "yz"], ["mul"], domain=MS),
        helper.make_node("QLinearSigmoid", ["a", "as", "az", "ys", "yz"],
                         ["sig"], domain=MS),
        helper.make_node("QLinearLeakyRelu", ["a", "as", "az", "ys", "yz"],
                         ["lrelu"], domain=MS, alpha=0.1),
        helper.make_node("QLinearGlobalAveragePool", ["a", "as", "az", "ys",
                                                      "yz"], ["gap"],
                         domain=MS),
        helper.make_node("QLinearConcat", ["ys", "yz", "a", "as", "az", "c",
                                           "cs", "cz"], ["cat"], domain=MS,
                         axis=1),
        helper.make_node("QLinearSoftmax", ["a", "as", "az", "ss", "sz"],
                         ["soft"], domain=MS, axis=-1, opset=13),
        helper.make_node("QLinearAveragePool", ["a", "as", "az", "ys", "yz"],
                         ["avg"], domain=MS, kernel_shape=[3, 3],
                         pads=[1, 1, 1, 1], count_include_pad=0),
        helper.make_node("QLinearAveragePool", ["a", "as", "az", "ys", "yz"],
                         ["avg_nhwc"], domain=MS, kernel_shape=[2, 2],
                         strides=[2, 2], channels_last=1),
    ]
    inits = [init("as", np.array(0.05, np.float32)),
             init("az", np.array(128, np.uint8)),
             init("cs", np.array(0.03, np.float32)),
             init("cz", np.array(100, np.uint8)),
             init("ys", np.array(0.08, np.float32)),
             init("yz", np.array(120, np.uint8)),
             init("ss", np.array(1 / 256, np.float32)),
             init("sz", np.array(0, np.uint8))]
    outs = [out(n, u8) for n in ("add", "mul", "sig", "lrelu", "gap", "cat",
                                 "soft", "avg", "avg_nhwc")]
    return model(nodes, [("a", a), ("c", c)], outs, inits, ms=True)


def ms_integer_matmuls():
    # What quantize_dynamic writes with ORT's contrib ops.
    a8 = rng.integers(0, 256, (3, 16)).astype(np.uint8)
    x = f32(3, 16)
    w = rng.integers(-100, 100, (16, 8)).astype(np.int8)
    nodes = [
        helper.make_node("MatMulIntegerToFloat",
                         ["a8", "w", "as", "bs", "az", "", "bias"], ["y1"],
                         domain=MS),
        helper.make_node("DynamicQuantizeMatMul", ["x", "w", "bs1", "", "bias"],
                         ["y2"], domain=MS),
    ]
    inits = [init("w", w), init("as", np.array(0.02, np.float32)),
             init("bs", (0.01 + 0.01 * rng.random(8)).astype(np.float32)),
             init("bs1", np.array(0.015, np.float32)),
             init("az", np.array(128, np.uint8)),
             init("bias", f32(8, scale=0.1))]
    return model(nodes, [("a8", a8), ("x", x)], [out("y1"), out("y2")], inits,
                 ms=True)


def ms_gather_block_quantized():
    # An int4 / int8 embedding table as ORT's quantizers write it.
    rows, k, block = 10, 64, 32
    packed4 = rng.integers(0, 256, (rows, k // 2)).astype(np.uint8)
    bytes8 = rng.integers(0, 256, (rows, k)).astype(np.uint8)
    scales = (0.01 + 0.05 * rng.random((rows, k // block))).astype(np.float32)
    zp4 = rng.integers(0, 256, (rows, 1)).astype(np.uint8)
    ids = np.array([[3, 0, 9], [9, 9, 1]], np.int64)
    nodes = [
        helper.make_node("GatherBlockQuantized", ["t4", "ids", "s"], ["e4"],
                         domain=MS, bits=4, block_size=block),
        helper.make_node("GatherBlockQuantized", ["t4", "ids", "s", "z4"],
                         ["e4z"], domain=MS, bits=4, block_size=block),
        helper.make_node("GatherBlockQuantized", ["t8", "ids", "s"], ["e8"],
                         domain=MS, bits=8, block_size=block),
    ]
    inits = [init("t4", packed4), init("t8", bytes8), init("s", scales),
             init("z4", zp4)]
    return model(nodes, [("ids", ids)], [out("e4"), out("e4z"), out("e8")],
                 inits, ms=True)


# name -> (builder, rtol, atol, kind)
MODELS = {
    "pytorch_shape_subgraph": (pytorch_shape_subgraph, 1e-5, 1e-6, "float"),
    "tf2onnx_nhwc_conv": (tf2onnx_nhwc_conv, 1e-4, 1e-5, "float"),
    "paddle_opset9": (paddle_opset9, 1e-5, 1e-6, "float"),
    "paddle_opset11": (paddle_opset11, 1e-5, 1e-6, "float"),
    "ort_dynamic_quant": (ort_dynamic_quant, 1e-5, 1e-5, "float"),
    "ort_transformer_layer": (ort_transformer_layer, 1e-4, 1e-4, "float"),
    "mobilenetv3_block": (mobilenetv3_block, 1e-4, 1e-5, "float"),
    "ocr_ctc_head": (ocr_ctc_head, 1e-4, 1e-5, "float"),
    "unet_resize_convtranspose": (unet_resize_convtranspose, 1e-4, 1e-5,
                                  "float"),
    "recurrent_layers": (recurrent_layers, 1e-4, 1e-5, "float"),
    "ms_norms": (ms_norms, 1e-4, 1e-5, "float"),
    "ms_gelus": (ms_gelus, 1e-4, 1e-5, "float"),
    "ms_attention_causal": (ms_attention_causal, 1e-4, 1e-5, "float"),
    "ms_multihead_attention": (ms_multihead_attention, 1e-4, 1e-5, "float"),
    "ms_rotary_embedding": (ms_rotary_embedding, 1e-5, 1e-5, "float"),
    "ms_qlinear_ops": (ms_qlinear_ops, 0, 0, "quantized"),
    "ms_integer_matmuls": (ms_integer_matmuls, 1e-5, 1e-5, "float"),
    "ms_gather_block_quantized": (ms_gather_block_quantized, 0, 0, "float"),
}


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: gen_onnx_idioms.py OUT_DIR [NAME ...]")
    out_dir = sys.argv[1]
    names = sys.argv[2:] or list(MODELS)
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "manifest.txt"), "w") as manifest:
        for name in names:
            build, rtol, atol, kind = MODELS[name]
            m, inputs = build()
            d = os.path.join(out_dir, name)
            os.makedirs(os.path.join(d, "inputs"), exist_ok=True)
            onnx.save(m, os.path.join(d, "model.onnx"))
            for input_name, array in inputs.items():
                np.save(os.path.join(d, "inputs", input_name + ".npy"), array)
            manifest.write("%s %g %g %s\n" % (name, rtol, atol, kind))


if __name__ == "__main__":
    main()

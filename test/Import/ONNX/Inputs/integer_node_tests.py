# Writes ONNX node tests (the libonnx-testdata layout: test_*/model.onnx and
# test_data_set_0/{input,output}_N.pb) for the integer / QLinear ops in the
# variants the packaged tests lack: int8, per-row / per-column / per-channel
# zero points and scales, grouped, padded, strided and dilated convolution,
# batch broadcasting, bias. Expected outputs come from the numpy reference
# below (ONNX semantics: i32 accumulation, round half to even, saturate).
# Run with /usr/bin/python3 (onnx + numpy).
#
#   integer_node_tests.py OUT_DIR
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

rng = np.random.default_rng(7)
TYPES = {np.dtype(np.uint8): TensorProto.UINT8,
         np.dtype(np.int8): TensorProto.INT8,
         np.dtype(np.int32): TensorProto.INT32,
         np.dtype(np.float32): TensorProto.FLOAT}


def ints(dtype, *shape):
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max + 1, size=shape).astype(dtype)


def conv_ref(x, w, group=1, pads=(0, 0, 0, 0), strides=(1, 1),
             dilations=(1, 1)):
    """NCHW convolution of i32 arrays; pads are (top, left, bottom, right)."""
    x = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    dh, dw = (kh - 1) * dilations[0] + 1, (kw - 1) * dilations[1] + 1
    oh, ow = (h - dh) // strides[0] + 1, (wd - dw) // strides[1] + 1
    y = np.zeros((n, o, oh, ow), np.int64)
    og = o // group
    for f in range(o):
        g = f // og
        xs = x[:, g * cg:(g + 1) * cg]
        for i in range(oh):
            for j in range(ow):
                r, s = i * strides[0], j * strides[1]
                patch = xs[:, :, r:r + dh:dilations[0], s:s + dw:dilations[1]]
                y[:, f, i, j] = (patch * w[f]).sum(axis=(1, 2, 3))
    return y.astype(np.int32)


def requant(acc, scale, zp, dtype):
    info = np.iinfo(dtype)
    v = np.rint(acc.astype(np.float32) * scale.astype(np.float32))
    v = v + np.float32(zp)
    return np.clip(v, info.min, info.max).astype(dtype)


def write(out_dir, name, node, inputs, outputs, opset=13):
    """inputs / outputs: lists of (name, array)."""
    d = os.path.join(out_dir, name)
    os.makedirs(os.path.join(d, "test_data_set_0"), exist_ok=True)
    vi = lambda n, a: helper.make_tensor_value_info(
        n, TYPES[a.dtype], list(a.shape))
    graph = helper.make_graph([node], name, [vi(n, a) for n, a in inputs],
                              [vi(n, a) for n, a in outputs])
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    onnx.save_model(model, os.path.join(d, "model.onnx"))
    for kind, tensors in (("input", inputs), ("output", outputs)):
        for i, (n, a) in enumerate(tensors):
            t = numpy_helper.from_array(a, n)
            with open(os.path.join(d, "test_data_set_0",
                                   "%s_%d.pb" % (kind, i)), "wb") as f:
                f.write(t.SerializeToString())


def matmul_integer(out):
    n = helper.make_node
    # int8, per-row A and per-column B zero points.
    a, b = ints(np.int8, 3, 5), ints(np.int8, 5, 4)
    az, bz = ints(np.int8, 3), ints(np.int8, 4)
    y = (a.astype(np.int32) - az[:, None]) @ (b.astype(np.int32) - bz)
    write(out, "test_matmulinteger_int8_per_row_col",
          n("MatMulInteger", ["A", "B", "a_zp", "b_zp"], ["Y"]),
          [("A", a), ("B", b), ("a_zp", az), ("b_zp", bz)],
          [("Y", y.astype(np.int32))])
    # uint8, batch broadcasting, no zero points.
    a, b = ints(np.uint8, 2, 1, 3, 4), ints(np.uint8, 3, 4, 2)
    y = a.astype(np.int32) @ b.astype(np.int32)
    write(out, "test_matmulinteger_batch_broadcast",
          n("MatMulInteger", ["A", "B"], ["Y"]), [("A", a), ("B", b)],
          [("Y", y)])


def conv_integer(out):
    n = helper.make_node
    x, w = ints(np.int8, 1, 4, 6, 5), ints(np.int8, 6, 2, 3, 3)
    xz, wz = np.array(-3, np.int8), ints(np.int8, 6)
    y = conv_ref(x.astype(np.int32) - xz, w.astype(np.int32) -
                 wz[:, None, None, None], group=2, pads=(1, 0, 2, 1),
                 strides=(2, 1))
    write(out, "test_convinteger_int8_group_per_channel",
          n("ConvInteger", ["x", "w", "x_zp", "w_zp"], ["y"], group=2,
            pads=[1, 0, 2, 1], strides=[2, 1]),
          [("x", x), ("w", w), ("x_zp", xz), ("w_zp", wz)], [("y", y)])
    x, w = ints(np.uint8, 2, 3, 7, 7), ints(np.uint8, 2, 3, 2, 2)
    y = conv_ref(x.astype(np.int32) - 100, w.astype(np.int32) - 7,
                 dilations=(2, 3), strides=(2, 2))
    write(out, "test_convinteger_dilated_strided",
          n("ConvInteger", ["x", "w", "x_zp", "w_zp"], ["y"],
            dilations=[2, 3], strides=[2, 2]),
          [("x", x), ("w", w), ("x_zp", np.array(100, np.uint8)),
           ("w_zp", np.array(7, np.uint8))], [("y", y)])


def qlinear_matmul(out):
    n = helper.make_node
    a, b = ints(np.int8, 2, 3, 8), ints(np.int8, 8, 5)
    sa, sb = np.array(0.02, np.float32), np.array(0.01, np.float32)
    sy, az = np.array(0.05, np.float32), np.array(3, np.int8)
    bz, yz = np.array(-4, np.int8), np.array(-10, np.int8)
    acc = (a.astype(np.int32) - az) @ (b.astype(np.int32) - bz)
    y = requant(acc, sa * sb / sy, yz, np.int8)
    write(out, "test_qlinearmatmul_int8_3D",
          n("QLinearMatMul", ["a", "sa", "az", "b", "sb", "bz", "sy", "yz"],
            ["y"]),
          [("a", a), ("sa", sa), ("az", az), ("b", b), ("sb", sb),
           ("bz", bz), ("sy", sy), ("yz", yz)], [("y", y)])
    # uint8 with a per-column b_scale and b_zero_point.
    a, b = ints(np.uint8, 4, 6), ints(np.uint8, 6, 3)
    sa, sy = np.array(0.03, np.float32), np.array(0.4, np.float32)
    sb = np.array([0.01, 0.02, 0.005], np.float32)
    az, yz = np.array(120, np.uint8), np.array(128, np.uint8)
    bz = np.array([100, 130, 127], np.uint8)
    acc = (a.astype(np.int32) - az) @ (b.astype(np.int32) - bz)
    y = requant(acc, sa * sb / sy, yz, np.uint8)
    write(out, "test_qlinearmatmul_uint8_per_column",
          n("QLinearMatMul", ["a", "sa", "az", "b", "sb", "bz", "sy", "yz"],
            ["y"]),
          [("a", a), ("sa", sa), ("az", az), ("b", b), ("sb", sb),
           ("bz", bz), ("sy", sy), ("yz", yz)], [("y", y)])


def qlinear_conv(out):
    n = helper.make_node
    x, w = ints(np.uint8, 1, 3, 6, 6), ints(np.uint8, 4, 3, 3, 3)
    sx, sy = np.array(0.02, np.float32), np.array(0.3, np.float32)
    sw = np.array([0.01, 0.02, 0.015, 0.005], np.float32)
    xz, yz = np.array(128, np.uint8), np.array(90, np.uint8)
    wz = np.array([120, 128, 135, 128], np.uint8)
    bias = np.array([100, -2000, 0, 4000], np.int32)
    acc = conv_ref(x.astype(np.int32) - xz,
                   w.astype(np.int32) - wz[:, None, None, None],
                   pads=(1, 1, 1, 1)) + bias[None, :, None, None]
    y = requant(acc, (sx * sw / sy)[None, :, None, None], yz, np.uint8)
    write(out, "test_qlinearconv_per_channel_bias",
          n("QLinearConv", ["x", "sx", "xz", "w", "sw", "wz", "sy", "yz", "B"],
            ["y"], pads=[1, 1, 1, 1]),
          [("x", x), ("sx", sx), ("xz", xz), ("w", w), ("sw", sw), ("wz", wz),
           ("sy", sy), ("yz", yz), ("B", bias)], [("y", y)])
    x, w = ints(np.int8, 1, 4, 5, 5), ints(np.int8, 4, 1, 3, 3)
    sx, sw, sy = (np.array(v, np.float32) for v in (0.05, 0.02, 0.1))
    xz, wz, yz = (np.array(v, np.int8) for v in (-1, 0, 2))
    acc = conv_ref(x.astype(np.int32) - xz, w.astype(np.int32) - wz, group=4,
                   strides=(2, 2), pads=(1, 1, 1, 1))
    y = requant(acc, sx * sw / sy, yz, np.int8)
    write(out, "test_qlinearconv_int8_depthwise",
          n("QLinearConv", ["x", "sx", "xz", "w", "sw", "wz", "sy", "yz"],
            ["y"], group=4, strides=[2, 2], pads=[1, 1, 1, 1]),
          [("x", x), ("sx", sx), ("xz", xz), ("w", w), ("sw", sw), ("wz", wz),
           ("sy", sy), ("yz", yz)], [("y", y)])


def dynamic_quantize(out):
    x = (rng.standard_normal((3, 2, 4)) * 3 + 1).astype(np.float32)
    lo, hi = np.float32(min(0, x.min())), np.float32(max(0, x.max()))
    scale = np.float32((hi - lo) / np.float32(255))
    zp = np.float32(np.rint(np.clip(np.float32(0) - lo / scale, 0, 255)))
    y = np.clip(np.rint(x / scale) + zp, 0, 255).astype(np.uint8)
    write(out, "test_dynamicquantizelinear_3D",
          helper.make_node("DynamicQuantizeLinear", ["x"], ["y", "s", "z"]),
          [("x", x)], [("y", y), ("s", np.array(scale, np.float32)),
                       ("z", np.array(zp, np.uint8))])


def main():
    out = sys.argv[1]
    matmul_integer(out)
    conv_integer(out)
    qlinear_matmul(out)
    qlinear_conv(out)
    dynamic_quantize(out)


if __name__ == "__main__":
    main()

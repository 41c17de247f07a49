# Small ONNX models for the importer tests, written with onnx 1.12's helper
# (/usr/bin/python3). ONNX 1.12 has no INT4/UINT4 (22/21) helpers: those
# tensors are written as raw_data with data_type set by hand.
#
#   onnx_models.py KIND OUT.onnx
#
# End-to-end kinds also write OUT.onnx.expected (numpy's outputs, one value
# per line) and OUT.onnx.driver (the output type, for run_e2e.py).
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

FLOAT = TensorProto.FLOAT
INT64 = TensorProto.INT64
UINT4, INT4 = 21, 22


def init(name, array):
    return numpy_helper.from_array(np.asarray(array), name)


def packed4(name, values, dims, signed):
    """An int4 / uint4 initializer: two values per byte, low nibble first."""
    flat = np.asarray(values, dtype=np.int64).reshape(-1) & 0xF
    if flat.size % 2:
        flat = np.append(flat, 0)
    raw = (flat[0::2] | (flat[1::2] << 4)).astype(np.uint8).tobytes()
    t = TensorProto()
    t.name = name
    t.data_type = INT4 if signed else UINT4
    t.dims.extend(dims)
    t.raw_data = raw
    return t


def io(name, shape, elem=FLOAT):
    return helper.make_tensor_value_info(name, elem, shape)


def model(nodes, inputs, outputs, inits=(), opset=17, extra_opsets=(),
          name="main_graph"):
    graph = helper.make_graph(nodes, name, inputs, outputs,
                              initializer=list(inits))
    opsets = [helper.make_opsetid("", opset)]
    opsets += [helper.make_opsetid(d, v) for d, v in extra_opsets]
    m = helper.make_model(graph, opset_imports=opsets)
    m.ir_version = 8
    return m


def erf(x):
    from math import erf as e
    return np.vectorize(e)(x).astype(np.float32)


rng = np.random.default_rng(0)


def rand(*shape):
    return rng.standard_normal(shape).astype(np.float32)


def elementwise():
    n = helper.make_node
    nodes = [
        n("Add", ["x", "y"], ["a"], name="add"),
        n("Sub", ["a", "b1"], ["s"], name="sub"),
        n("Mul", ["s", "x"], ["m"], name="mul"),
        n("Div", ["m", "y"], ["d"], name="div"),
        n("Relu", ["d"], ["r"], name="relu"),
        n("Sigmoid", ["r"], ["sg"], name="sigmoid"),
        n("Tanh", ["sg"], ["th"], name="tanh"),
        n("Exp", ["th"], ["e"], name="exp"),
        n("Sqrt", ["e"], ["sq"], name="sqrt"),
        n("Reciprocal", ["sq"], ["rc"], name="reciprocal"),
        n("Neg", ["rc"], ["ng"], name="neg"),
        n("Pow", ["ng", "two"], ["pw"], name="pow"),
        n("Erf", ["pw"], ["out"], name="erf"),
    ]
    return model(nodes, [io("x", [2, 3]), io("y", [2, 3])], [io("out", [2, 3])],
                 [init("b1", rand(3)), init("two", np.float32(2.0))])


def shapes():
    n = helper.make_node
    nodes = [
        n("Shape", ["x"], ["shp"], name="shape"),
        n("Gather", ["shp", "zero"], ["d0"], axis=0, name="gather_shape"),
        n("Unsqueeze", ["d0", "axes0"], ["d0v"], name="unsqueeze_dim"),
        n("Concat", ["d0v", "minus1"], ["newshape"], axis=0, name="concat_shape"),
        n("Reshape", ["x", "newshape"], ["flat"], name="reshape"),
        n("Transpose", ["x"], ["xt"], perm=[0, 2, 1], name="transpose"),
        n("Flatten", ["xt"], ["xf"], axis=1, name="flatten"),
        n("Concat", ["flat", "xf"], ["cat"], axis=1, name="concat"),
        n("Slice", ["cat", "starts", "ends", "axes1", "steps"], ["sl"], name="slice"),
        n("Unsqueeze", ["sl", "axes0"], ["us"], name="unsqueeze"),
        n("Squeeze", ["us", "axes0"], ["sqz"], name="squeeze"),
        n("Gather", ["sqz", "idx"], ["g"], axis=1, name="gather"),
        n("Constant", [], ["c"], name="constant",
          value=helper.make_tensor("c", FLOAT, [1], [0.5])),
        n("Add", ["g", "c"], ["ga"], name="add"),
        n("Cast", ["ga"], ["out"], to=TensorProto.INT32, name="cast"),
    ]
    inits = [init("zero", np.int64(0)), init("axes0", np.array([0], np.int64)),
             init("minus1", np.array([-1], np.int64)),
             init("starts", np.array([1], np.int64)),
             init("ends", np.array([100], np.int64)),
             init("axes1", np.array([1], np.int64)),
             init("steps", np.array([2], np.int64)),
             init("idx", np.array([[0, 2], [1, -1]], np.int64))]
    return model(nodes, [io("x", [2, 3, 4])],
                 [io("out", [2, 2, 2], TensorProto.INT32)], inits, opset=13)


def reduce():
    n = helper.make_node
    nodes = [
        n("ReduceMean", ["x"], ["rm"], axes=[-1], keepdims=1, name="mean_attr"),
        n("ReduceSum", ["x", "ax"], ["rs"], keepdims=0, name="sum_input"),
        n("ReduceMax", ["x"], ["rx"], axes=[1], keepdims=1, name="max_attr"),
        n("Softmax", ["x"], ["sm"], axis=-1, name="softmax"),
        n("LayerNormalization", ["sm", "g", "bb"], ["ln"], axis=-1,
          epsilon=1e-5, name="layernorm"),
        n("Add", ["ln", "rm"], ["o1"], name="add1"),
        n("Add", ["o1", "rx"], ["out"], name="add2"),
    ]
    return model(nodes, [io("x", [2, 4, 8])],
                 [io("out", [2, 4, 8]), io("rs", [2, 8])],
                 [init("ax", np.array([1], np.int64)), init("g", rand(8)),
                  init("bb", rand(8))])


def gelu():
    n = helper.make_node
    nodes = [n("Gelu", ["x"], ["g"], name="gelu"),
             n("Gelu", ["g"], ["out"], approximate="tanh", name="gelu_tanh")]
    return model(nodes, [io("x", [2, 8])], [io("out", [2, 8])], opset=20)


def conv():
    n = helper.make_node
    nodes = [
        n("Conv", ["x", "w", "b"], ["c"], kernel_shape=[3, 3], pads=[1, 1, 1, 1],
          strides=[1, 1], name="conv"),
        n("BatchNormalization", ["c", "s", "bb", "mu", "var"], ["bn"],
          epsilon=1e-5, name="bn"),
        n("Conv", ["bn", "dw"], ["dc"], kernel_shape=[3, 3], group=4,
          pads=[1, 1, 1, 1], name="depthwise"),
        n("MaxPool", ["dc"], ["mp"], kernel_shape=[2, 2], strides=[2, 2],
          name="maxpool"),
        n("AveragePool", ["mp"], ["ap"], kernel_shape=[3, 3], pads=[1, 1, 1, 1],
          name="avgpool"),
        n("GlobalAveragePool", ["ap"], ["out"], name="gap"),
    ]
    inits = [init("w", rand(4, 3, 3, 3)), init("b", rand(4)),
             init("s", rand(4)), init("bb", rand(4)), init("mu", rand(4)),
             init("var", np.abs(rand(4)) + 0.5), init("dw", rand(4, 1, 3, 3))]
    return model(nodes, [io("x", [1, 3, 8, 8])], [io("out", [1, 4, 1, 1])],
                 inits)


def qdq():
    n = helper.make_node
    k, nn = 64, 16
    w = rng.integers(-8, 8, size=(k, nn))
    ws = (np.abs(rand(k // 32, nn)) + 0.1).astype(np.float32)
    nodes = [
        n("QuantizeLinear", ["x", "xs", "xz"], ["xq"], name="quant_act"),
        n("DequantizeLinear", ["xq", "xs", "xz"], ["xd"], name="dequant_act"),
        n("DequantizeLinear", ["w4", "ws"], ["wd"], axis=0, block_size=32,
          name="dequant_w"),
        n("MatMul", ["xd", "wd"], ["mm"], name="matmul"),
        n("DequantizeLinear", ["w8", "w8s", "w8z"], ["w8d"], axis=0,
          name="dequant_w8"),
        n("Gemm", ["mm", "w8d", "gb"], ["out"], transB=1, name="gemm"),
    ]
    inits = [init("xs", np.float32(0.05)), init("xz", np.uint8(128)),
             packed4("w4", w, [k, nn], True), init("ws", ws),
             init("w8", rng.integers(-127, 128, size=(8, nn)).astype(np.int8)),
             init("w8s", (np.abs(rand(8)) + 0.01)),
             init("w8z", np.zeros(8, np.int8)), init("gb", rand(8))]
    return model(nodes, [io("x", [4, k])], [io("out", [4, 8])], inits,
                 opset=21)


def matmulnbits_weights(n, k, block, bits, with_zp):
    kb = (k + block - 1) // block
    q = rng.integers(0, 2 ** bits, size=(n, kb * block))
    q[:, k:] = 0
    scales = (np.abs(rand(n, kb)) * 0.1 + 0.01).astype(np.float32)
    zp = rng.integers(0, 2 ** bits, size=(n, kb)) if with_zp else \
        np.full((n, kb), 2 ** (bits - 1))
    blob = []
    per = 8 // bits
    for row in q:
        vals = row.reshape(-1, per)
        byte = np.zeros(vals.shape[0], np.int64)
        for j in range(per):
            byte |= vals[:, j] << (bits * j)
        blob.append(byte)
    b = np.array(blob, np.uint8).reshape(n, kb, block * bits // 8)
    zpk = (kb * bits + 7) // 8
    zpacked = np.zeros((n, zpk), np.int64)
    for j in range(kb):
        zpacked[:, (j * bits) // 8] |= zp[:, j] << ((j * bits) % 8)
    deq = ((q[:, :k] - np.repeat(zp, block, axis=1)[:, :k]) *
           np.repeat(scales, block, axis=1)[:, :k]).astype(np.float32)
    return b, scales, zpacked.astype(np.uint8), deq


def matmulnbits(e2e=False):
    n_, k, block, bits = 24, 80, 32, 4
    b, scales, zpacked, deq = matmulnbits_weights(n_, k, block, bits, True)
    b2, scales2, _, deq2 = matmulnbits_weights(n_, n_, 16, 4, False)
    x = rand(3, k)
    bias = rand(n_)
    nodes = [
        helper.make_node("MatMulNBits", ["x", "B", "scales", "zp", "", "bias"],
                         ["h"], domain="com.microsoft", K=k, N=n_, bits=bits,
                         block_size=block, name="mmnb_zp"),
        helper.make_node("Relu", ["h"], ["r"], name="relu"),
        helper.make_node("MatMulNBits", ["r", "B2", "scales2"], ["out"],
                         domain="com.microsoft", K=n_, N=n_, bits=4,
                         block_size=16, name="mmnb_sym"),
    ]
    inits = [init("B", b), init("scales", scales), init("zp", zpacked),
             init("bias", bias), init("B2", b2), init("scales2", scales2)]
    expected = np.maximum(x @ deq.T + bias, 0) @ deq2.T
    inputs = [io("x", [3, k])]
    if e2e:
        inits.append(init("x", x))
        inputs = []
    return model(nodes, inputs, [io("out", [3, n_])], inits,
                 extra_opsets=[("com.microsoft", 1)]), expected


def mlp():
    x = rand(4, 16)
    w1, b1 = rand(16, 32) * 0.3, rand(32)
    w2, b2 = rand(10, 32) * 0.3, rand(10)
    n = helper.make_node
    nodes = [
        n("MatMul", ["x", "w1"], ["h"], name="fc1"),
        n("Add", ["h", "b1"], ["hb"], name="bias1"),
        n("Relu", ["hb"], ["r"], name="relu"),
        n("Gemm", ["r", "w2", "b2"], ["logits"], transB=1, name="fc2"),
        n("Softmax", ["logits"], ["out"], axis=-1, name="softmax"),
    ]
    h = np.maximum(x @ w1 + b1, 0) @ w2.T + b2
    e = np.exp(h - h.max(axis=-1, keepdims=True))
    expected = e / e.sum(axis=-1, keepdims=True)
    return model(nodes, [], [io("out", [4, 10])],
                 [init("x", x), init("w1", w1), init("b1", b1),
                  init("w2", w2), init("b2", b2)]), expected


def integer_ops():
    """MatMulInteger (uint8, per-row zero point), ConvInteger (int8, grouped,
    padded, strided), QLinearMatMul (int8), QLinearConv (uint8, per-channel
    w_scale, bias) and DynamicQuantizeLinear."""
    n = helper.make_node
    U8, I8, I32 = TensorProto.UINT8, TensorProto.INT8, TensorProto.INT32
    nodes = [
        n("MatMulInteger", ["a", "b", "a_zp", "b_zp"], ["mmi"], name="mmi"),
        n("ConvInteger", ["x", "w", "x_zp"], ["ci"], name="ci", group=2,
          pads=[1, 1, 1, 1], strides=[2, 2]),
        n("QLinearMatMul", ["qa", "sa", "qa_zp", "qb", "sb", "qb_zp", "sy",
                            "qy_zp"], ["qmm"], name="qmm"),
        n("QLinearConv", ["cx", "sa", "cx_zp", "cw", "cw_s", "cw_zp", "sy",
                          "cy_zp", "bias"], ["qc"], name="qc"),
        n("DynamicQuantizeLinear", ["f"], ["dq", "dq_s", "dq_zp"], name="dql"),
    ]
    inputs = [io("a", [4, 3], U8), io("b", [3, 2], U8), io("a_zp", [4], U8),
              io("x", [1, 4, 5, 5], I8), io("w", [6, 2, 3, 3], I8),
              io("qa", [2, 2, 4], I8), io("qb", [4, 3], I8),
              io("cx", [1, 2, 4, 4], U8), io("cw", [3, 2, 1, 1], U8),
              io("f", [2, 3])]
    inits = [init("b_zp", np.array([1, 2], np.uint8)),
             init("x_zp", np.array(3, np.int8)),
             init("sa", np.array(0.5, np.float32)),
             init("qa_zp", np.array(-2, np.int8)),
             init("sb", np.array(0.25, np.float32)),
             init("qb_zp", np.array(1, np.int8)),
             init("sy", np.array(0.75, np.float32)),
             init("qy_zp", np.array(5, np.int8)),
             init("cx_zp", np.array(128, np.uint8)),
             init("cw_s", np.array([0.1, 0.2, 0.3], np.float32)),
             init("cw_zp", np.array([7], np.uint8)),
             init("cy_zp", np.array(100, np.uint8)),
             init("bias", np.array([1, -2, 3], np.int32))]
    outputs = [io("mmi", [4, 2], I32), io("ci", [1, 6, 3, 3], I32),
               io("qmm", [2, 2, 3], I8), io("qc", [1, 3, 4, 4], U8),
               io("dq", [2, 3], U8), io("dq_s", [], FLOAT),
               io("dq_zp", [], U8)]
    return model(nodes, inputs, outputs, inits, opset=13)


def integer_bad_scale():
    U8 = TensorProto.UINT8
    nodes = [helper.make_node("QLinearMatMul", ["a", "s", "z", "b", "s", "z",
                                                "s", "z"], ["y"], name="qmm")]
    return model(nodes, [io("a", [2, 2], U8), io("b", [2, 2], U8),
                         io("s", [], TensorProto.FLOAT16), io("z", [], U8)],
                 [io("y", [2, 2], U8)], opset=13)


def integer_bad_type():
    nodes = [helper.make_node("MatMulInteger", ["a", "b"], ["y"], name="mmi")]
    return model(nodes, [io("a", [2, 2], TensorProto.INT16),
                         io("b", [2, 2], TensorProto.INT16)],
                 [io("y", [2, 2], TensorProto.INT32)], opset=13)


def unsupported():
    n = helper.make_node
    nodes = [n("Relu", ["x"], ["r"], name="relu"),
             n("NonMaxSuppression", ["r", "r"], ["out"], name="my_nms")]
    return model(nodes, [io("x", [1, 4])], [io("out", [1, 4])])


def unsupported_domain():
    nodes = [helper.make_node("Foo", ["x"], ["out"], domain="org.example",
                              name="custom")]
    return model(nodes, [io("x", [1, 4])], [io("out", [1, 4])],
                 extra_opsets=[("org.example", 1)])


def unsupported_attr():
    nodes = [helper.make_node("Softmax", ["x"], ["out"], name="sm", bogus=3)]
    return model(nodes, [io("x", [1, 4])], [io("out", [1, 4])])


def dynamic():
    nodes = [helper.make_node("Relu", ["x"], ["out"], name="relu")]
    return model(nodes, [io("x", ["batch", 16])], [io("out", ["batch", 16])])


def layernorm_stats():
    """LayerNormalization with its optional Mean / InvStdDev outputs."""
    n = helper.make_node
    nodes = [n("LayerNormalization", ["x", "g", "bb"], ["y", "mean", "inv"],
               axis=1, epsilon=1e-5, name="layernorm")]
    return model(nodes, [io("x", [2, 3, 4])],
                 [io("y", [2, 3, 4]), io("mean", [2, 1, 1]),
                  io("inv", [2, 1, 1])],
                 [init("g", rand(3, 4)), init("bb", rand(3, 4))])


def shape_fold():
    """Size, Neg and ConstantOfShape of shape values fold at import."""
    n = helper.make_node
    nodes = [
        n("Shape", ["x"], ["shp"], name="shape"),
        n("Size", ["shp"], ["rank"], name="size"),
        n("Neg", ["minus2"], ["two"], name="neg"),
        n("Sub", ["rank", "two"], ["nones"], name="sub"),
        n("ConstantOfShape", ["nones"], ["ones"], name="cos",
          value=helper.make_tensor("v", INT64, [1], [1])),
        n("Concat", ["minus1", "ones"], ["newshape"], axis=0, name="concat"),
        n("Reshape", ["x", "newshape"], ["out"], name="reshape"),
    ]
    return model(nodes, [io("x", [2, 3, 4])], [io("out", [24, 1])],
                 [init("minus2", np.array([-2], np.int64)),
                  init("minus1", np.array([-1], np.int64))])


def variadic_pow_slice():
    """Max of three inputs, Min of one, Pow with integer operands, and a
    Slice whose start is past the end (an empty result)."""
    n = helper.make_node
    nodes = [
        n("Max", ["x", "y", "b1"], ["mx"], name="max3"),
        n("Min", ["mx"], ["mn"], name="min1"),
        n("Pow", ["mn", "e"], ["pf"], name="pow_float_int"),
        n("Pow", ["i", "j"], ["pi"], name="pow_int_int"),
        n("Slice", ["x", "s", "t", "ax"], ["sl"], name="slice_oob"),
    ]
    return model(nodes, [io("x", [2, 3]), io("y", [2, 3]),
                         io("i", [3], TensorProto.INT32),
                         io("j", [3], TensorProto.INT32)],
                 [io("pf", [2, 3]), io("pi", [3], TensorProto.INT32),
                  io("sl", [2, 0])],
                 [init("b1", rand(3)), init("e", np.array([3], np.int64)),
                  init("s", np.array([1000], np.int64)),
                  init("t", np.array([1000], np.int64)),
                  init("ax", np.array([1], np.int64))])


def main():
    kind, out = sys.argv[1], sys.argv[2]
    expected = None
    if kind == "truncated":
        m, _ = mlp()
        data = m.SerializeToString()
        open(out, "wb").write(data[: len(data) * 2 // 3])
        return
    if kind == "external":
        m, expected = mlp()
        from onnx.external_data_helper import convert_model_to_external_data
        import os
        convert_model_to_external_data(m, all_tensors_to_one_file=True,
                                       location=os.path.basename(out) + ".data",
                                       size_threshold=0)
        onnx.save_model(m, out)
    elif kind == "external_missing":
        m, _ = mlp()
        from onnx.external_data_helper import convert_model_to_external_data
        convert_model_to_external_data(m, all_tensors_to_one_file=True,
                                       location="missing.data",
                                       size_threshold=0)
        # Serialize without writing the data file.
        open(out, "wb").write(m.SerializeToString())
        return
    elif kind in ("mlp", "matmulnbits_e2e"):
        m, expected = mlp() if kind == "mlp" else matmulnbits(e2e=True)
        onnx.save_model(m, out)
    elif kind == "matmulnbits":
        m, _ = matmulnbits()
        onnx.save_model(m, out)
    else:
        onnx.save_model(globals()[kind](), out)
    if expected is not None:
        with open(out + ".expected", "w") as f:
            for v in np.asarray(expected, np.float32).reshape(-1):
                f.write("%.9g\n" % v)
        with open(out + ".driver", "w") as f:
            f.write("x".join(str(d) for d in expected.shape) + "\n")


if __name__ == "__main__":
    main()

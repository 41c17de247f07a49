#!/usr/bin/env python3
# The example ONNX models of the main job: one 2-layer MLP (x: 4x96 -> 64,
# relu -> 10) written twice, in fp32 (MatMul + Add) and with its weights
# quantized round-to-nearest to int4 (symmetric, block 32, f32 scales) as
# com.microsoft MatMulNBits, the format ONNX Runtime and llama.cpp exports
# use. Also writes the input and numpy's outputs for both models.
#
#   gen_mlp_onnx.py OUT_DIR
import os
import sys

import numpy as np
from onnx import TensorProto, helper, numpy_helper, save

IN, HIDDEN, OUT, BATCH, BLOCK = 96, 64, 10, 4, 32


def init(name, array):
    return numpy_helper.from_array(np.asarray(array), name)


def quantize_int4(w):
    """MatMulNBits blobs for w [N, K]: codes 0..15 with the default zero
    point 8, one f32 scale per block of 32 along K."""
    n, k = w.shape
    kb = (k + BLOCK - 1) // BLOCK
    padded = np.zeros((n, kb * BLOCK), np.float32)
    padded[:, :k] = w
    blocks = padded.reshape(n, kb, BLOCK)
    scales = np.abs(blocks).max(axis=2) / 7.0
    scales[scales == 0] = 1.0
    q = np.clip(np.rint(blocks / scales[:, :, None]), -8, 7).astype(np.int64) + 8
    packed = (q[:, :, 0::2] | (q[:, :, 1::2] << 4)).astype(np.uint8)
    deq = ((q - 8) * scales[:, :, None]).reshape(n, kb * BLOCK)[:, :k]
    return packed, scales.astype(np.float32), deq.astype(np.float32)


def model(nodes, inits, opsets):
    graph = helper.make_graph(
        nodes, "mlp", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [BATCH, IN])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [BATCH, OUT])],
        initializer=inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid(d, v) for d, v in opsets])
    m.ir_version = 8
    return m


def main(out):
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(7)
    w1 = (rng.standard_normal((HIDDEN, IN)) / np.sqrt(IN)).astype(np.float32)
    b1 = (0.1 * rng.standard_normal(HIDDEN)).astype(np.float32)
    w2 = (rng.standard_normal((OUT, HIDDEN)) / np.sqrt(HIDDEN)).astype(np.float32)
    b2 = (0.1 * rng.standard_normal(OUT)).astype(np.float32)
    i = np.arange(BATCH * IN, dtype=np.float32)
    x = (np.sin(0.37 * i) + 0.25 * np.cos(1.3 * i)).astype(np.float32).reshape(BATCH, IN)

    n = helper.make_node
    fp32 = model([n("MatMul", ["x", "w1t"], ["h"], name="fc1"),
                  n("Add", ["h", "b1"], ["hb"], name="bias1"),
                  n("Relu", ["hb"], ["r"], name="relu"),
                  n("MatMul", ["r", "w2t"], ["o"], name="fc2"),
                  n("Add", ["o", "b2"], ["y"], name="bias2")],
                 [init("w1t", w1.T.copy()), init("b1", b1),
                  init("w2t", w2.T.copy()), init("b2", b2)], [("", 17)])
    save(fp32, os.path.join(out, "mlp_fp32.onnx"))

    q1, s1, d1 = quantize_int4(w1)
    q2, s2, d2 = quantize_int4(w2)
    int4 = model([n("MatMulNBits", ["x", "q1", "s1", "", "", "b1"], ["hb"], domain="com.microsoft",
                    K=IN, N=HIDDEN, bits=4, block_size=BLOCK, name="fc1"),
                  n("Relu", ["hb"], ["r"], name="relu"),
                  n("MatMulNBits", ["r", "q2", "s2", "", "", "b2"], ["y"], domain="com.microsoft",
                    K=HIDDEN, N=OUT, bits=4, block_size=BLOCK, name="fc2")],
                 [init("q1", q1), init("s1", s1), init("b1", b1),
                  init("q2", q2), init("s2", s2), init("b2", b2)],
                 [("", 17), ("com.microsoft", 1)])
    save(int4, os.path.join(out, "mlp_int4.onnx"))

    np.save(os.path.join(out, "x.npy"), x)
    np.save(os.path.join(out, "expected_fp32.npy"), np.maximum(x @ w1.T + b1, 0) @ w2.T + b2)
    np.save(os.path.join(out, "expected_int4.npy"), np.maximum(x @ d1.T + b1, 0) @ d2.T + b2)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ".")

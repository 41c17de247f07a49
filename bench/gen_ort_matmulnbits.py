#===- gen_ort_matmulnbits.py - ONNX Runtime MatMulNBits comparison ---------===#
#
# Writes a one-node ONNX model Y = MatMulNBits(A, B, scales) (com.microsoft,
# bits = 4) whose weight is exactly the int4 weight gen_matmul_bench.py
# generates for '#qnt.uniform<i4, per_group(1, G), scale = f16>': the same
# code bytes, re-biased to MatMulNBits' unsigned codes with the default zero
# point 8 (u = q + 8, i.e. every nibble XOR 8; same LSB-first nibble order)
# and the same scales widened to f32. Also writes the input A [M, K] (all
# 0.5, as the quant module's lhs) as .npy.
#
#   gen_ort_matmulnbits.py --m M --k K --n N --group G --accuracy-level L
#                          --model OUT.onnx --input OUT.npy
#
#===----------------------------------------------------------------------===#

import argparse
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper

import gen_matmul_bench as gen


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--m", type=int, required=True)
    p.add_argument("--k", type=int, required=True)
    p.add_argument("--n", type=int, required=True)
    p.add_argument("--group", type=int, required=True)
    p.add_argument("--accuracy-level", type=int, default=0)
    p.add_argument("--model", required=True)
    p.add_argument("--input", required=True)
    a = p.parse_args()
    m, k, n, group = a.m, a.k, a.n, a.group
    if k % group or group % 2:
        sys.exit("K must be a multiple of the (even) group size")
    codes, scales = gen.uniform_int4_parts(n, k, group)
    blocks = k // group
    b = (np.frombuffer(codes, dtype=np.uint8) ^ 0x88).reshape(n, blocks,
                                                               group // 2)
    s = np.frombuffer(scales, dtype="<f2").astype(np.float32).reshape(n * blocks)
    node = helper.make_node(
        "MatMulNBits", ["A", "B", "scales"], ["Y"], domain="com.microsoft",
        K=k, N=n, bits=4, block_size=group, accuracy_level=a.accuracy_level)
    graph = helper.make_graph(
        [node], "matmulnbits",
        [helper.make_tensor_value_info("A", TensorProto.FLOAT, [m, k])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [m, n])],
        initializer=[
            helper.make_tensor("B", TensorProto.UINT8, list(b.shape),
                               b.tobytes(), raw=True),
            helper.make_tensor("scales", TensorProto.FLOAT, [n * blocks],
                               s.tobytes(), raw=True),
        ])
    model = helper.make_model(graph, opset_imports=[
        helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)])
    onnx.save(model, a.model)
    np.save(a.input, np.full((m, k), 0.5, dtype=np.float32))
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
# A large fp32 model for import / compile scaling: a stack of square MatMuls
# (x [1, D] -> MatMul W_i [D, D] -> Relu -> ...), with every weight in ONNX
# external data (MODEL.onnx.data), written layer by layer so that the
# generator never holds more than one weight in memory.
#
#   gen_matmul_stack.py OUT.onnx --mb 1024 [--dim 4096] [--seed 0]
#
# --mb is the total weight size in MiB (rounded down to whole layers of
# D * D * 4 bytes; at least one layer). Also writes OUT.onnx's input x as
# x.npy next to it.
import argparse
import os

import numpy as np
from onnx import TensorProto, helper, save


def main():
    p = argparse.ArgumentParser(description="Writes a stack of fp32 MatMuls "
                                "with external data.")
    p.add_argument("out")
    p.add_argument("--mb", type=int, required=True)
    p.add_argument("--dim", type=int, default=4096)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    d = args.dim
    layer_bytes = d * d * 4
    layers = max(1, args.mb * (1 << 20) // layer_bytes)
    out_dir = os.path.dirname(os.path.abspath(args.out))
    data_name = os.path.basename(args.out) + ".data"
    rng = np.random.default_rng(args.seed)

    nodes, inits = [], []
    src = "x"
    with open(os.path.join(out_dir, data_name), "wb") as data:
        for i in range(layers):
            w = (rng.standard_normal((d, d), dtype=np.float32) /
                 np.float32(np.sqrt(d)))
            t = TensorProto()
            t.name = f"w{i}"
            t.data_type = TensorProto.FLOAT
            t.dims.extend([d, d])
            t.data_location = TensorProto.EXTERNAL
            for key, value in (("location", data_name),
                               ("offset", str(data.tell())),
                               ("length", str(w.nbytes))):
                entry = t.external_data.add()
                entry.key, entry.value = key, value
            data.write(w.tobytes())
            inits.append(t)
            mm = f"mm{i}"
            nodes.append(helper.make_node("MatMul", [src, t.name], [mm],
                                          name=f"matmul{i}"))
            src = f"relu{i}" if i + 1 < layers else "y"
            nodes.append(helper.make_node("Relu", [mm], [src], name=f"relu{i}"))
    graph = helper.make_graph(
        nodes, "matmul_stack",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, d])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, d])],
        initializer=inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                          producer_name="quant gen_matmul_stack.py")
    m.ir_version = 8
    save(m, args.out)
    np.save(os.path.join(out_dir, "x.npy"),
            rng.standard_normal((1, d)).astype(np.float32))


if __name__ == "__main__":
    main()

#!/usr/bin/python3
# Writes a one-node model at an old default-domain opset:
#   old_opset.py OUT.onnx OPSET OP_TYPE
import sys

from onnx import TensorProto, helper, save

out, opset, op = sys.argv[1], int(sys.argv[2]), sys.argv[3]
inputs = ["x"] if op != "Add" else ["x", "x"]
node = helper.make_node(op, inputs, ["y"], name="n0")
shape = [1, 2, 3, 3]
y_shape = [1, 2, 1, 1] if op.startswith("Global") else shape
graph = helper.make_graph(
    [node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, y_shape)])
model = helper.make_model(graph,
                          opset_imports=[helper.make_opsetid("", opset)])
model.ir_version = 3
save(model, out)

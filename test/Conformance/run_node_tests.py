#!/usr/bin/python3
# ===- run_node_tests.py - ONNX backend node tests through quant ----------===#
#
# Runs the ONNX backend node tests (Debian's libonnx-testdata) through the
# same route as test/Import/ONNX/Inputs/run_e2e.py: quant-import-onnx, a
# generated @main that calls the imported graph on the test's inputs
# (embedded as constants) and prints every output bit-exactly (floats as
# their integer bit patterns), quant-opt's tosa-to-linalg + reference
# pipeline, and mlir-runner. Outputs are compared with output_*.pb: floats
# with rtol 1e-4 / atol 1e-5, integers and bools exactly.
#
# Needs /usr/bin/python3 (onnx + numpy). Prints a per-op table and a final
# "N passed, M failed" line; --require-all exits 1 unless every selected
# test passed (and at least one was selected).
#
# ===----------------------------------------------------------------------===#

import argparse
import concurrent.futures
import glob
import os
import re
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import numpy_helper

DEFAULT_DATA_DIR = "/usr/share/libonnx-testdata/data/node"

# The default-domain ops quant-import-onnx handles (the handler tables in
# lib/Import/ONNX/*.cpp).
SUPPORTED_OPS = [
    "Abs", "Add", "AveragePool", "BatchNormalization", "Cast", "Ceil",
    "Clip", "Concat", "Constant", "ConvInteger", "Conv", "DequantizeLinear",
    "Div", "Dropout", "DynamicQuantizeLinear", "Erf", "Exp", "Flatten",
    "Floor", "Gather", "Gelu", "Gemm", "GlobalAveragePool", "GlobalMaxPool",
    "Identity",
    "LayerNormalization", "LeakyRelu", "Log", "MatMul", "MatMulInteger",
    "Max", "MaxPool", "Min", "Mul", "Neg", "Pow", "QLinearConv",
    "QLinearMatMul", "QuantizeLinear", "Reciprocal", "ReduceMax",
    "ReduceMean", "ReduceMin", "ReduceSum", "Relu", "Reshape", "Round",
    "Shape", "Sigmoid", "Slice", "Softmax", "Sqrt", "Squeeze", "Sub", "Tanh",
    "Transpose", "Unsqueeze",
]

PIPELINE = ("builtin.module(func.func(tosa-to-linalg-named,tosa-to-linalg,"
            "tosa-to-arith,tosa-to-tensor),qnt-reference-pipeline)")

ENTRY = "onnx_node_test"

# ONNX element type -> (numpy dtype, MLIR element type).
ELEMENT_TYPES = {
    onnx.TensorProto.FLOAT: (np.float32, "f32"),
    onnx.TensorProto.DOUBLE: (np.float64, "f64"),
    onnx.TensorProto.FLOAT16: (np.float16, "f16"),
    onnx.TensorProto.UINT8: (np.uint8, "i8"),
    onnx.TensorProto.INT8: (np.int8, "i8"),
    onnx.TensorProto.UINT16: (np.uint16, "i16"),
    onnx.TensorProto.INT16: (np.int16, "i16"),
    onnx.TensorProto.INT32: (np.int32, "i32"),
    onnx.TensorProto.UINT32: (np.uint32, "i32"),
    onnx.TensorProto.INT64: (np.int64, "i64"),
    onnx.TensorProto.UINT64: (np.uint64, "i64"),
    onnx.TensorProto.BOOL: (np.bool_, "i1"),
}


class TestFailure(Exception):
    pass


def first_line(text):
    """The first non-empty line, without an MLIR location prefix."""
    for line in text.splitlines():
        line = line.strip()
        if line:
            m = re.match(r"loc\(.*?\): error: (.*)$", line)
            return m.group(1) if m else line
    return "(no message)"


# Operands the importer must know at compile time (static shapes): node
# tests feed them as graph inputs, so the runner turns int64 graph inputs
# that reach only these operands into initializers with the test's values.
SHAPE_OPERANDS = {
    "Reshape": {1}, "Slice": {1, 2, 3, 4}, "Squeeze": {1}, "Unsqueeze": {1},
    "ReduceSum": {1}, "ReduceMean": {1}, "ReduceMax": {1}, "ReduceMin": {1},
    "Expand": {1}, "Tile": {1}, "Pad": {1, 3}, "ConstantOfShape": {0},
    "ReduceProd": {1}, "ReduceL1": {1}, "ReduceL2": {1}, "ReduceLogSum": {1},
    "ReduceLogSumExp": {1}, "ReduceSumSquare": {1}, "Split": {1},
    "TopK": {1}, "Resize": {3}, "Upsample": {1}, "Range": {0, 1, 2},
    "OneHot": {1}, "CumSum": {1}, "Trilu": {1}, "CenterCropPad": {1},
    "MaxUnpool": {2},
}


# Operands of any type that the importer must know at compile time, e.g.
# Dropout's ratio and training_mode.
CONSTANT_OPERANDS = {"Dropout": {1, 2}, "Range": {0, 1, 2},
                     "OneHot": {1}, "Resize": {1, 2}, "Upsample": {1},
                     "CumSum": {1}, "HannWindow": {0}, "HammingWindow": {0},
                     "BlackmanWindow": {0}, "MelWeightMatrix": {0, 1, 2, 3, 4},
                     "DFT": {1}, "STFT": {1, 3}}


def shape_inputs(graph):
    """Names of int64 graph inputs used only as SHAPE_OPERANDS, and of
    inputs used only as CONSTANT_OPERANDS."""
    uses, constant_uses = {}, {}
    for node in graph.node:
        for i, name in enumerate(node.input):
            uses.setdefault(name, []).append(
                i in SHAPE_OPERANDS.get(node.op_type, ()))
            constant_uses.setdefault(name, []).append(
                i in CONSTANT_OPERANDS.get(node.op_type, ()))
    return {gi.name for gi in graph.input
            if (gi.type.tensor_type.elem_type in (onnx.TensorProto.INT64,
                                                  onnx.TensorProto.INT32)
                and uses.get(gi.name) and all(uses[gi.name])) or
            (constant_uses.get(gi.name) and all(constant_uses[gi.name]))}


def test_op(data_dir, name, model):
    """The op a node test exercises: its single node's op type; for an
    *_expanded test, the op of the test it expands."""
    if name.endswith("_expanded"):
        base = os.path.join(data_dir, name[: -len("_expanded")], "model.onnx")
        if os.path.exists(base):
            model = onnx.load(base)
    ops = [n.op_type for n in model.graph.node]
    real = [op for op in ops if op != "Constant"]
    return (real or ops or ["(empty)"])[0]


def tensor_type(shape, elem):
    return "tensor<%s%s>" % ("".join("%dx" % d for d in shape), elem)


def dense_literal(array, elem):
    """An MLIR dense attribute holding `array`."""
    if array.dtype == np.bool_ or array.size == 0:
        text = str(array.astype(np.int64).tolist() if array.size else
                   array.tolist())
        if array.dtype == np.bool_:
            text = str(array.tolist()).replace("True", "true").replace(
                "False", "false")
        return "dense<%s> : %s" % (text, tensor_type(array.shape, elem))
    data = np.ascontiguousarray(array).astype(array.dtype.newbyteorder("<"))
    return 'dense<"0x%s"> : %s' % (data.tobytes().hex().upper(),
                                   tensor_type(array.shape, elem))


def printable(value, shape, elem, counter):
    """MLIR lines turning `value` into an i32 / i64 tensor (bit patterns for
    floats), and that tensor's name and width."""
    rank = len(shape)
    dims = ", ".join("d%d" % i for i in range(rank))
    ident = "affine_map<(%s) -> (%s)>" % (dims, dims)
    iters = ", ".join(['"parallel"'] * rank)
    if elem in ("i32", "i64"):
        return [], value, elem
    steps = {
        "f32": ("i32", ["arith.bitcast %in : f32 to i32"]),
        "f64": ("i64", ["arith.bitcast %in : f64 to i64"]),
        "f16": ("i32", ["arith.bitcast %in : f16 to i16",
                        "arith.extui %v0 : i16 to i32"]),
        "bf16": ("i32", ["arith.bitcast %in : bf16 to i16",
                         "arith.extui %v0 : i16 to i32"]),
        "i16": ("i32", ["arith.extui %in : i16 to i32"]),
        "i8": ("i32", ["arith.extui %in : i8 to i32"]),
        "i1": ("i32", ["arith.extui %in : i1 to i32"]),
    }
    out_elem, ops = steps[elem]
    n = counter[0]
    counter[0] += 1
    body = []
    last = "%in"
    for i, op in enumerate(ops):
        op = op.replace("%in", last)
        body.append("      %%v%d = %s" % (i, op))
        last = "%%v%d" % i
    out_type = tensor_type(shape, out_elem)
    lines = [
        "    %%e%d = tensor.empty() : %s" % (n, out_type),
        "    %%p%d = linalg.generic {indexing_maps = [%s, %s], "
        "iterator_types = [%s]} ins(%s : %s) outs(%%e%d : %s) {" % (
            n, ident, ident, iters, value, tensor_type(shape, elem), n,
            out_type),
        "    ^bb0(%%in: %s, %%out: %s):" % (elem, out_elem),
    ] + body + [
        "      linalg.yield %s : %s" % (last, out_elem),
        "    } -> %s" % out_type,
    ]
    return lines, "%%p%d" % n, out_elem


def make_driver(imported, arg_types, result_types, datasets):
    """Adds @main to the imported module: per data set, calls the graph on
    constant inputs and prints each output with printMemrefI32/I64."""
    lines = [
        "  func.func private @printMemrefI32(tensor<*xi32>) "
        "attributes {llvm.emit_c_interface}",
        "  func.func private @printMemrefI64(tensor<*xi64>) "
        "attributes {llvm.emit_c_interface}",
        "  func.func @main() {",
    ]
    counter = [0]
    sig = "(%s) -> (%s)" % (", ".join(arg_types), ", ".join(result_types))
    for d, (inputs, _) in enumerate(datasets):
        args = []
        for i, (array, elem) in enumerate(inputs):
            if array.size == 0:  # No data; dense<> wants a matching nest.
                lines.append("    %%in%d_%d = tensor.empty() : %s" % (
                    d, i, tensor_type(array.shape, elem)))
            else:
                lines.append("    %%in%d_%d = arith.constant %s" % (
                    d, i, dense_literal(array, elem)))
            args.append("%%in%d_%d" % (d, i))
        res = "%%r%d" % d
        count = len(result_types)
        lines.append("    %s%s = call @%s(%s) : %s" % (
            res, ":%d" % count if count > 1 else "", ENTRY, ", ".join(args),
            sig))
        for j, rtype in enumerate(result_types):
            m = re.match(r"tensor<((?:\d+x)*)(\w+)>$", rtype)
            if not m:
                raise TestFailure("unexpected result type %s" % rtype)
            shape = [int(x) for x in m.group(1).split("x") if x]
            if 0 in shape:
                continue  # printMemref prints garbage for empty memrefs.
            value = "%s#%d" % (res, j) if count > 1 else res
            conv, value, width = printable(value, shape, m.group(2), counter)
            lines += conv
            n = counter[0]
            counter[0] += 1
            lines.append("    %%u%d = tensor.cast %s : %s to tensor<*x%s>" % (
                n, value, tensor_type(shape, width), width))
            lines.append(
                "    call @printMemref%s(%%u%d) : (tensor<*x%s>) -> ()" % (
                    width.upper(), n, width))
    lines += ["    return", "  }"]
    end = imported.find("{-#")
    head = imported if end < 0 else imported[:end]
    tail = "" if end < 0 else imported[end:]
    close = head.rstrip().rfind("}")
    return head[:close] + "\n".join(lines) + "\n" + head[close:] + tail


def parse_printed(text):
    """The integer data of each printMemref call, in order."""
    chunks = text.split("Unranked Memref")[1:]
    values = []
    for chunk in chunks:
        data = chunk[chunk.find("data =") + len("data ="):]
        values.append([int(v) for v in re.findall(r"-?\d+", data)])
    return values


def decode(ints, dtype, shape):
    raw = np.array(ints, dtype=np.int64)
    if dtype == np.float32:
        arr = raw.astype(np.int32).view(np.float32)
    elif dtype == np.float64:
        arr = raw.view(np.float64)
    elif dtype == np.float16:
        arr = raw.astype(np.uint16).view(np.float16)
    elif dtype == np.bool_:
        arr = raw != 0
    else:
        arr = raw.astype(dtype)
    return arr.reshape(shape)


def compare(got, want, rtol, atol):
    if got.shape != want.shape:
        return "shape %s, expected %s" % (list(got.shape), list(want.shape))
    if np.issubdtype(want.dtype, np.floating):
        g = got.astype(np.float64)
        w = want.astype(np.float64)
        ok = np.isclose(g, w, rtol=rtol, atol=atol, equal_nan=True)
    else:
        ok = got == want
    if ok.all():
        return None
    idx = np.argwhere(~ok)
    first = tuple(int(i) for i in idx[0])
    return "%d of %d values differ; at %s got %r, expected %r" % (
        len(idx), want.size, list(first), got[first].item(),
        want[first].item())


def is_bf16(value_info, tensor):
    """bfloat16 data: the graph says BFLOAT16; older test data stores the
    bit patterns as UINT16 tensors."""
    return (value_info.type.tensor_type.elem_type ==
            onnx.TensorProto.BFLOAT16 and tensor.data_type in (
                onnx.TensorProto.BFLOAT16, onnx.TensorProto.UINT16))


def bf16_bits(tensor):
    """A bfloat16 tensor's bit patterns as uint16."""
    if tensor.data_type == onnx.TensorProto.UINT16:
        return numpy_helper.to_array(tensor)
    shape = tuple(tensor.dims)
    if tensor.raw_data:
        return np.frombuffer(tensor.raw_data, dtype="<u2").reshape(shape)
    return np.array(tensor.int32_data, dtype=np.uint16).reshape(shape)


def run_tool(cmd, timeout, stdin=None):
    try:
        proc = subprocess.run(cmd, input=stdin, capture_output=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        raise TestFailure("%s: timed out after %ds" % (
            os.path.basename(cmd[0]), timeout))
    if proc.returncode != 0:
        err = proc.stderr.decode(errors="replace")
        raise TestFailure("%s: %s" % (os.path.basename(cmd[0]),
                                      first_line(err)))
    return proc.stdout


def run_test(test_dir, args):
    """Returns None on success or the failure's one-line reason."""
    try:
        model = onnx.load(os.path.join(test_dir, "model.onnx"))
        graph = model.graph
        inits = {t.name for t in graph.initializer}
        graph_inputs = [i for i in graph.input if i.name not in inits]
        frozen = shape_inputs(graph)
        datasets = []
        for ds in sorted(glob.glob(os.path.join(test_dir, "test_data_set_*"))):
            inputs, outputs = [], []
            for i, gi in enumerate(graph_inputs):
                if not gi.type.HasField("tensor_type"):
                    raise TestFailure("runner: non-tensor input '%s' is not "
                                      "supported" % gi.name)
                path = os.path.join(ds, "input_%d.pb" % i)
                t = onnx.TensorProto()
                with open(path, "rb") as f:
                    t.ParseFromString(f.read())
                if is_bf16(gi, t):
                    inputs.append((bf16_bits(t), "bf16"))
                    continue
                if t.data_type not in ELEMENT_TYPES:
                    raise TestFailure("runner: input type %s is not "
                                      "supported" % onnx.TensorProto.DataType
                                      .Name(t.data_type))
                inputs.append((numpy_helper.to_array(t),
                               ELEMENT_TYPES[t.data_type][1]))
            for i, go in enumerate(graph.output):
                t = onnx.TensorProto()
                with open(os.path.join(ds, "output_%d.pb" % i), "rb") as f:
                    t.ParseFromString(f.read())
                if is_bf16(go, t):
                    outputs.append(bf16_bits(t))  # Compared bit-exactly.
                    continue
                if t.data_type not in ELEMENT_TYPES:
                    raise TestFailure("runner: output type %s is not "
                                      "supported" % onnx.TensorProto.DataType
                                      .Name(t.data_type))
                outputs.append(numpy_helper.to_array(t))
            datasets.append((inputs, outputs))
        if not datasets:
            raise TestFailure("no test data sets")
        model_path = os.path.join(test_dir, "model.onnx")
        if frozen:
            if len(datasets) > 1:
                raise TestFailure("shape inputs differ between data sets")
            keep = []
            for gi, (array, elem) in zip(graph_inputs, datasets[0][0]):
                if gi.name in frozen:
                    graph.initializer.append(
                        numpy_helper.from_array(array, gi.name))
                else:
                    keep.append((gi, (array, elem)))
            graph_inputs = [gi for gi, _ in keep]
            datasets = [([a for _, a in keep], datasets[0][1])]
            fd, model_path = tempfile.mkstemp(suffix=".onnx")
            os.close(fd)
            onnx.save_model(model, model_path)

        shapes = []
        for gi, (array, _) in zip(graph_inputs, datasets[0][0]):
            if array.ndim > 0:
                shapes += ["--input-shape", "%s=%s" % (
                    gi.name, "x".join(str(d) for d in array.shape))]
        try:
            imported = run_tool([args.import_tool, model_path, "--entry",
                                 ENTRY] + shapes, args.timeout).decode()
        finally:
            if frozen:
                os.unlink(model_path)
        m = re.search(r"func\.func @%s\((.*?)\)(?: -> \(?(.*?)\)?)? "
                      r"(?:attributes .*)?\{\n" % ENTRY, imported)
        if not m:
            raise TestFailure("cannot find @%s in the imported module" % ENTRY)
        arg_types = re.findall(r"%arg\d+: (tensor<[^>]*>)", m.group(1))
        result_types = re.findall(r"tensor<[^>]*>", m.group(2) or "")
        if len(arg_types) != len(graph_inputs):
            raise TestFailure("@%s takes %d arguments for %d inputs" % (
                ENTRY, len(arg_types), len(graph_inputs)))
        if len(result_types) != len(graph.output):
            raise TestFailure("@%s returns %d results for %d outputs" % (
                ENTRY, len(result_types), len(graph.output)))
        for (array, elem), ty in zip(datasets[0][0], arg_types):
            if ty != tensor_type(array.shape, elem):
                raise TestFailure("input of type %s, the graph takes %s" % (
                    tensor_type(array.shape, elem), ty))
        driver = make_driver(imported, arg_types, result_types, datasets)
        if args.keep:
            with open(os.path.join(args.keep, os.path.basename(test_dir) +
                                   ".mlir"), "w") as f:
                f.write(driver)
        lowered = run_tool([args.opt_tool, "--pass-pipeline=" + PIPELINE],
                           args.timeout, stdin=driver.encode())
        out = run_tool([args.runner, "-e", "main",
                        "-entry-point-result=void",
                        "--shared-libs=" + args.runner_utils,
                        "--shared-libs=" + args.c_runner_utils],
                       args.timeout, stdin=lowered).decode()
        printed = parse_printed(out)
        shapes = [[int(x) for x in re.match(r"tensor<((?:\d+x)*)", t)
                   .group(1).split("x") if x] for t in result_types]
        want_count = len(datasets) * sum(0 not in s for s in shapes)
        if len(printed) != want_count:
            raise TestFailure("mlir-runner printed %d tensors, expected %d" % (
                len(printed), want_count))
        k = 0
        for d, (_, outputs) in enumerate(datasets):
            for j, want in enumerate(outputs):
                if 0 in shapes[j]:
                    # Not printed: only the shape can be compared.
                    if tuple(shapes[j]) != want.shape:
                        raise TestFailure("output %d: shape %s, expected %s" % (
                            j, shapes[j], list(want.shape)))
                    continue
                got = decode(printed[k], want.dtype, want.shape) \
                    if len(printed[k]) == want.size else None
                k += 1
                if got is None:
                    raise TestFailure("output %d: %d values, expected %d" % (
                        j, len(printed[k - 1]), want.size))
                err = compare(got, want, args.rtol, args.atol)
                if err:
                    raise TestFailure("data set %d output %d: %s" % (d, j, err))
        return None
    except TestFailure as e:
        return str(e)
    except Exception as e:  # A malformed test or an unexpected result.
        return "runner: %s: %s" % (type(e).__name__, first_line(str(e)))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    build = os.path.join(here, "..", "..", "build", "bin")
    llvm_bin = "/usr/lib/llvm-22/bin"
    llvm_lib = "/usr/lib/llvm-22/lib"
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--data-dir", default=DEFAULT_DATA_DIR)
    p.add_argument("--ops", default=",".join(SUPPORTED_OPS),
                   help="comma-separated op types (default: the ops the "
                        "importer supports); 'all' for every test")
    p.add_argument("--tests", default="",
                   help="comma-separated test names (test_...) to run "
                        "instead of selecting by op")
    p.add_argument("--exclude", default="",
                   help="comma-separated test names to skip")
    p.add_argument("--bin-dir", default=build,
                   help="directory of quant-import-onnx and quant-opt")
    p.add_argument("--import-tool", default="",
                   help="quant-import-onnx (default: in --bin-dir)")
    p.add_argument("--opt-tool", default="",
                   help="quant-opt (default: in --bin-dir)")
    p.add_argument("--mlir-runner", default=os.path.join(llvm_bin,
                                                         "mlir-runner"))
    p.add_argument("--mlir-lib-dir", default=llvm_lib)
    p.add_argument("--runner-utils", default="",
                   help="libmlir_runner_utils (default: in --mlir-lib-dir)")
    p.add_argument("--c-runner-utils", default="",
                   help="libmlir_c_runner_utils (default: in "
                        "--mlir-lib-dir)")
    p.add_argument("-j", "--jobs", type=int, default=2)
    p.add_argument("--timeout", type=int, default=120,
                   help="seconds per tool invocation")
    p.add_argument("--rtol", type=float, default=1e-4)
    p.add_argument("--atol", type=float, default=1e-5)
    p.add_argument("--require-all", action="store_true",
                   help="exit 1 unless every selected test passes")
    p.add_argument("--keep", default="",
                   help="directory to keep the generated driver modules in")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="print each failure's reason")
    args = p.parse_args()
    args.import_tool = args.import_tool or os.path.join(args.bin_dir,
                                                        "quant-import-onnx")
    args.opt_tool = args.opt_tool or os.path.join(args.bin_dir, "quant-opt")
    args.runner = args.mlir_runner
    args.runner_utils = args.runner_utils or os.path.join(
        args.mlir_lib_dir, "libmlir_runner_utils.so")
    args.c_runner_utils = args.c_runner_utils or os.path.join(
        args.mlir_lib_dir, "libmlir_c_runner_utils.so")
    if args.keep:
        os.makedirs(args.keep, exist_ok=True)

    if not os.path.isdir(args.data_dir):
        print("error: no node tests in '%s' (install libonnx-testdata)" %
              args.data_dir)
        return 2
    for tool in (args.import_tool, args.opt_tool, args.runner):
        if not os.access(tool, os.X_OK):
            print("error: '%s' is not an executable" % tool)
            return 2

    names = sorted(d for d in os.listdir(args.data_dir)
                   if os.path.isfile(os.path.join(args.data_dir, d,
                                                  "model.onnx")))
    excluded = set(filter(None, args.exclude.split(",")))
    selected = []  # (name, op)
    if args.tests:
        for name in filter(None, args.tests.split(",")):
            if name not in names:
                print("error: no node test named '%s'" % name)
                return 2
            model = onnx.load(os.path.join(args.data_dir, name, "model.onnx"))
            selected.append((name, test_op(args.data_dir, name, model)))
    else:
        ops = set(filter(None, args.ops.split(",")))
        for name in names:
            if name in excluded:
                continue
            model = onnx.load(os.path.join(args.data_dir, name, "model.onnx"))
            op = test_op(args.data_dir, name, model)
            if "all" in ops or op in ops:
                selected.append((name, op))
    selected = [(n, op) for n, op in selected if n not in excluded]

    results = {}
    with concurrent.futures.ThreadPoolExecutor(max(1, args.jobs)) as pool:
        futures = {pool.submit(run_test, os.path.join(args.data_dir, name),
                               args): name for name, _ in selected}
        for future in concurrent.futures.as_completed(futures):
            results[futures[future]] = future.result()

    per_op = {}
    for name, op in selected:
        per_op.setdefault(op, []).append(name)
    width = max([len(op) for op in per_op] + [2])
    print("%-*s  passed / total" % (width, "op"))
    for op in sorted(per_op):
        tests = per_op[op]
        passed = sum(1 for t in tests if results[t] is None)
        print("%-*s  %6d / %d" % (width, op, passed, len(tests)))
    failures = [(n, results[n]) for n, _ in selected if results[n] is not None]
    if failures:
        print("\nfailures:")
        for name, reason in failures:
            print("  %s: %s" % (name, reason if args.verbose else
                                reason[:160]))
    passed = len(selected) - len(failures)
    print("%d passed, %d failed" % (passed, len(failures)))
    if args.require_all and (failures or not selected):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

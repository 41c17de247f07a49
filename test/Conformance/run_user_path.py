#!/usr/bin/python3
# ===- run_user_path.py - ONNX backend tests the way users run quant -------===#
#
# Runs the ONNX backend test data that Debian ships (libonnx-testdata: node,
# simple, pytorch-converted and pytorch-operator) exactly as a user does:
# `quant-compile model.onnx --emit=so` then `quant-run` on the test's inputs
# written as .npy files, and compares the .npy outputs with output_*.pb.
# Floats are compared with rtol 1e-4 / atol 1e-5 (looser for the
# transcendental-heavy ops below), integers and bools exactly, and the
# output dtype must be the test's (uint8 stays uint8).
#
# Selection: the inference tests, i.e. default-domain opset >= 7 and no
# training op, no STRING / sequence / optional / map tensor, no random op.
# Graph inputs that only feed shape operands (Reshape's shape, Expand's
# shape, ...) are frozen into initializers with the test's values: their
# output shapes depend on them, which needs the dynamic-shapes support.
#
# With --expected-failures FILE (one "test_name: reason" per line) the run
# fails on any test that fails without being listed there, and on listed
# tests that now pass (so the list only shrinks). Prints a per-op table and
# ends with "N passed, M failed".
#
# ===----------------------------------------------------------------------===#

import argparse
import concurrent.futures
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run_node_tests import (TestFailure, bf16_bits, compare, first_line,  # noqa: E402
                            is_bf16, run_tool, shape_inputs, test_op)

DATA_ROOT = "/usr/share/libonnx-testdata/data"
SUITES = ["node", "simple", "pytorch-converted", "pytorch-operator"]

TRAINING_OPS = {"Adagrad", "Adam", "Momentum", "Gradient",
                "SoftmaxCrossEntropyLoss", "NegativeLogLikelihoodLoss"}
RANDOM_OPS = {"RandomNormal", "RandomUniform", "RandomNormalLike",
              "RandomUniformLike", "Multinomial", "Bernoulli"}
SEQUENCE_OPS = {"SequenceAt", "SequenceConstruct", "SequenceEmpty",
                "SequenceErase", "SequenceInsert", "SequenceLength",
                "SequenceMap", "SplitToSequence", "ConcatFromSequence",
                "Optional", "OptionalGetElement", "OptionalHasElement"}
STRING_OPS = {"StringNormalizer", "StringConcat", "StringSplit",
              "RegexFullMatch"}

# Ops whose reference outputs come from float64 numpy (trig, erf, exp chains)
# get a looser float tolerance.
LOOSE_OPS = {"Acos", "Acosh", "Asin", "Asinh", "Atan", "Atanh", "Cos", "Cosh",
             "Sin", "Sinh", "Tan", "Tanh", "Gelu", "Mish", "Softplus", "Elu",
             "Selu", "Celu", "Erf", "Pow", "LogSoftmax", "Softmax", "DFT",
             "STFT", "ReduceLogSumExp", "ReduceLogSum", "HannWindow",
             "HammingWindow", "BlackmanWindow", "MelWeightMatrix",
             "Resize", "Upsample", "GridSample", "RoiAlign", "LRN"}

DTYPES = {
    onnx.TensorProto.FLOAT: np.float32, onnx.TensorProto.DOUBLE: np.float64,
    onnx.TensorProto.FLOAT16: np.float16, onnx.TensorProto.UINT8: np.uint8,
    onnx.TensorProto.INT8: np.int8, onnx.TensorProto.UINT16: np.uint16,
    onnx.TensorProto.INT16: np.int16, onnx.TensorProto.INT32: np.int32,
    onnx.TensorProto.UINT32: np.uint32, onnx.TensorProto.INT64: np.int64,
    onnx.TensorProto.UINT64: np.uint64, onnx.TensorProto.BOOL: np.bool_,
}


def abi_name(name, prefix, index):
    """The compiled model's tensor name (docs/ABI.md)."""
    ok = (0 < len(name) <= 255 and name not in (".", "..") and
          re.fullmatch(r"[A-Za-z0-9_.:-]+", name) is not None)
    return name if ok else "%s%d" % (prefix, index)


def default_opset(model):
    for op in model.opset_import:
        if op.domain in ("", "ai.onnx"):
            return op.version
    return 1


def exclusion(model, name):
    """Why a test is not an inference test, or None."""
    if default_opset(model) < 7:
        return "opset < 7"
    if "training" in name:
        return "training"
    ops = set()

    def walk(graph):
        for n in graph.node:
            ops.add(n.op_type)
            if n.domain.startswith("ai.onnx.preview.training"):
                ops.add("Gradient")
            for a in n.attribute:
                if a.type == onnx.AttributeProto.GRAPH:
                    walk(a.g)
                for g in a.graphs:
                    walk(g)
    walk(model.graph)
    if ops & TRAINING_OPS:
        return "training"
    if ops & RANDOM_OPS:
        return "random"
    if ops & SEQUENCE_OPS:
        return "sequence/optional"
    if ops & STRING_OPS:
        return "string"
    for vi in list(model.graph.input) + list(model.graph.output):
        kind = vi.type.WhichOneof("value")
        if kind in ("sequence_type", "optional_type", "map_type"):
            return "sequence/optional"
        if (kind == "tensor_type" and
                vi.type.tensor_type.elem_type == onnx.TensorProto.STRING):
            return "string"
    return None


def load_pb(path):
    t = onnx.TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    return t


def to_array(value_info, tensor):
    if is_bf16(value_info, tensor):
        # quant-run exchanges bfloat16 tensors as float32 .npy files (the
        # widening is exact).
        bits = bf16_bits(tensor).astype(np.uint32) << 16
        return bits.view(np.float32)
    if tensor.data_type not in DTYPES:
        raise TestFailure("runner: tensor type %s is not supported" %
                          onnx.TensorProto.DataType.Name(tensor.data_type))
    return numpy_helper.to_array(tensor)


def run_test(test_dir, op, args):
    """None on success, or the failure's one-line reason."""
    work = tempfile.mkdtemp(prefix="qnt-conf-")
    try:
        model = onnx.load(os.path.join(test_dir, "model.onnx"))
        graph = model.graph
        inits = {t.name for t in graph.initializer}
        graph_inputs = [i for i in graph.input if i.name not in inits]
        datasets = []
        for ds in sorted(glob.glob(os.path.join(test_dir, "test_data_set_*"))):
            inputs = [to_array(gi, load_pb(os.path.join(ds, "input_%d.pb" % i)))
                      for i, gi in enumerate(graph_inputs)]
            outputs = [to_array(go, load_pb(os.path.join(ds, "output_%d.pb" % i)))
                       for i, go in enumerate(graph.output)]
            datasets.append((inputs, outputs))
        if not datasets:
            raise TestFailure("no test data sets")

        frozen = shape_inputs(graph)
        if test_dir.endswith("_expanded"):
            # An expanded test's graph inputs are its base node's: freeze
            # the same ones (they size the output there too).
            base = test_dir[:-len("_expanded")]
            if os.path.exists(os.path.join(base, "model.onnx")):
                frozen |= shape_inputs(
                    onnx.load(os.path.join(base, "model.onnx")).graph)
        model_path = os.path.join(test_dir, "model.onnx")
        if frozen:
            if len(datasets) > 1:
                raise TestFailure("shape inputs differ between data sets")
            keep = []
            for gi, array in zip(graph_inputs, datasets[0][0]):
                if gi.name in frozen:
                    graph.initializer.append(
                        numpy_helper.from_array(array, gi.name))
                else:
                    keep.append((gi, array))
            graph_inputs = [gi for gi, _ in keep]
            datasets = [([a for _, a in keep], datasets[0][1])]
            model_path = os.path.join(work, "model.onnx")
            onnx.save_model(model, model_path)

        # Pin the shapes the graph leaves symbolic (dynamic shapes are a
        # separate issue), and those the test data gives differently from
        # the declaration (a few tests do): the first data set's.
        shapes = []
        for gi, array in zip(graph_inputs, datasets[0][0]):
            dims = gi.type.tensor_type.shape.dim
            declared = [d.dim_value if d.HasField("dim_value") else None
                        for d in dims]
            if array.ndim > 0 and declared != list(array.shape):
                shapes += ["--input-shape", "%s=%s" % (
                    gi.name, "x".join(str(d) for d in array.shape))]
        lib = os.path.join(work, "model.so")
        run_tool([args.compile_tool, model_path, "--emit=so", "-o", lib] +
                 shapes, args.timeout)

        rtol, atol = args.rtol, args.atol
        if op in LOOSE_OPS:
            rtol, atol = max(rtol, 1e-3), max(atol, 1e-4)
        for d, (inputs, outputs) in enumerate(datasets):
            out_dir = os.path.join(work, "out%d" % d)
            os.makedirs(out_dir)
            cmd = [args.run_tool, lib, "--output-dir", out_dir]
            for i, (gi, array) in enumerate(zip(graph_inputs, inputs)):
                path = os.path.join(work, "in%d_%d.npy" % (d, i))
                np.save(path, np.require(array, requirements="C"))
                cmd += ["--input", "%s=%s" % (abi_name(gi.name, "input", i),
                                              path)]
            run_tool(cmd, args.timeout)
            for j, (go, want) in enumerate(zip(graph.output, outputs)):
                path = os.path.join(work, "out%d" % d,
                                    abi_name(go.name, "output", j) + ".npy")
                got = np.load(path)
                if got.dtype != want.dtype:
                    raise TestFailure("output %d: dtype %s, expected %s" % (
                        j, got.dtype, want.dtype))
                err = compare(got, want, rtol, atol)
                if err:
                    raise TestFailure("data set %d output %d: %s" % (
                        d, j, err))
        return None
    except TestFailure as e:
        return str(e)
    except Exception as e:  # A malformed test or an unexpected result.
        return "runner: %s: %s" % (type(e).__name__, first_line(str(e)))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def collect(args):
    """(suite/test name, test dir, op) of the selected tests, and the
    count of each exclusion reason."""
    selected, excluded = [], {}
    tests = set(filter(None, args.tests.split(",")))
    ops = set(filter(None, args.ops.split(",")))
    for suite in args.suites.split(","):
        root = os.path.join(args.data_root, suite)
        if not os.path.isdir(root):
            continue
        for name in sorted(os.listdir(root)):
            test_dir = os.path.join(root, name)
            if not os.path.isfile(os.path.join(test_dir, "model.onnx")):
                continue
            if tests and name not in tests:
                continue
            model = onnx.load(os.path.join(test_dir, "model.onnx"))
            why = exclusion(model, name)
            if why:
                excluded[why] = excluded.get(why, 0) + 1
                continue
            op = (test_op(root, name, model) if suite == "node"
                  else "(%s)" % suite)
            if ops and op not in ops:
                continue
            selected.append((name, test_dir, op))
    return selected, excluded


def read_expected(path):
    expected = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            name, _, reason = line.partition(":")
            expected[name.strip()] = reason.strip()
    return expected


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    build = os.path.join(here, "..", "..", "build", "bin")
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--data-root", default=DATA_ROOT)
    p.add_argument("--suites", default=",".join(SUITES))
    p.add_argument("--ops", default="", help="only tests of these ops")
    p.add_argument("--tests", default="", help="only these test names")
    p.add_argument("--bin-dir", default=build)
    p.add_argument("--compile-tool", default="")
    p.add_argument("--run-tool", default="")
    p.add_argument("-j", "--jobs", type=int, default=2)
    p.add_argument("--timeout", type=int, default=120)
    p.add_argument("--rtol", type=float, default=1e-4)
    p.add_argument("--atol", type=float, default=1e-5)
    p.add_argument("--expected-failures", default="",
                   help="file of 'test: reason' lines that may fail")
    p.add_argument("--write-failures", default="",
                   help="write this run's failures in that format")
    p.add_argument("-v", "--verbose", action="store_true")
    args = p.parse_args()
    args.compile_tool = args.compile_tool or os.path.join(args.bin_dir,
                                                          "quant-compile")
    args.run_tool = args.run_tool or os.path.join(args.bin_dir, "quant-run")
    for tool in (args.compile_tool, args.run_tool):
        if not os.access(tool, os.X_OK):
            print("error: '%s' is not an executable" % tool)
            return 2

    selected, excluded = collect(args)
    results = {}
    with concurrent.futures.ThreadPoolExecutor(max(1, args.jobs)) as pool:
        futures = {pool.submit(run_test, d, op, args): n
                   for n, d, op in selected}
        for future in concurrent.futures.as_completed(futures):
            results[futures[future]] = future.result()

    per_op = {}
    for name, _, op in selected:
        per_op.setdefault(op, []).append(name)
    width = max([len(op) for op in per_op] + [2])
    print("%-*s  passed / total" % (width, "op"))
    for op in sorted(per_op):
        names = per_op[op]
        passed = sum(1 for t in names if results[t] is None)
        print("%-*s  %6d / %d" % (width, op, passed, len(names)))
    print("excluded (not inference tests): %s" % ", ".join(
        "%s %d" % kv for kv in sorted(excluded.items())))

    failures = [(n, results[n]) for n, _, _ in selected
                if results[n] is not None]
    if args.write_failures:
        with open(args.write_failures, "w") as f:
            for name, reason in failures:
                f.write("%s: %s\n" % (name, reason.replace("\n", " ")[:300]))
    status = 0
    if args.expected_failures:
        expected = read_expected(args.expected_failures)
        unexpected = [(n, r) for n, r in failures if n not in expected]
        fixed = [n for n, _, _ in selected
                 if n in expected and results[n] is None]
        if unexpected:
            print("\nunexpected failures:")
            for name, reason in unexpected:
                print("  %s: %s" % (name, reason))
            status = 1
        if fixed:
            print("\npassing now, remove from %s:" % args.expected_failures)
            for name in fixed:
                print("  %s" % name)
            status = 1
    elif failures:
        print("\nfailures:")
        for name, reason in failures:
            print("  %s: %s" % (name, reason if args.verbose else
                                reason[:200]))
    total = len(selected)
    passed = total - len(failures)
    print("pass rate: %.1f%% of %d inference tests" % (
        100.0 * passed / max(1, total), total))
    print("%d passed, %d failed" % (passed, len(failures)))
    return status


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
# Small single-family ONNX models for the importer's FileCheck tests: one
# kind per op family (and per opset variant), plus malformed ones for the
# diagnostics tests.
#
#   op_families.py KIND OUT.onnx
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

F, I64, U8, B = TensorProto.FLOAT, TensorProto.INT64, TensorProto.UINT8, \
    TensorProto.BOOL
MS = "com.microsoft"


def init(name, array):
    return numpy_helper.from_array(np.asarray(array), name)


def io(name, elem, shape):
    return helper.make_tensor_value_info(name, elem, shape)


def model(nodes, inputs, outputs, inits=(), opset=18, ms=False):
    graph = helper.make_graph(nodes, "g", inputs, outputs, list(inits))
    opsets = [helper.make_opsetid("", opset)]
    if ms:
        opsets.append(helper.make_opsetid(MS, 1))
    m = helper.make_model(graph, opset_imports=opsets)
    m.ir_version = 8
    return m


def n(op, ins, outs, **attrs):
    domain = attrs.pop("domain", "")
    return helper.make_node(op, ins, outs, domain=domain, **attrs)


def logic():
    return model(
        [n("Greater", ["a", "b"], ["gt"]), n("LessOrEqual", ["a", "b"], ["le"]),
         n("Equal", ["u", "v"], ["eq"]), n("Greater", ["u", "v"], ["ugt"]),
         n("And", ["gt", "le"], ["and"]), n("Not", ["and"], ["not"]),
         n("Where", ["not", "a", "b"], ["w"]), n("IsNaN", ["a"], ["nan"]),
         n("IsInf", ["a"], ["inf"], detect_negative=0),
         n("BitShift", ["u", "v"], ["sh"], direction="RIGHT"),
         n("BitwiseXor", ["u", "v"], ["xor"])],
        [io("a", F, [2, 3]), io("b", F, [3]), io("u", U8, [4]),
         io("v", U8, [4])],
        [io("w", F, [2, 3]), io("eq", B, [4]), io("ugt", B, [4]),
         io("nan", B, [2, 3]), io("inf", B, [2, 3]), io("sh", U8, [4]),
         io("xor", U8, [4])])


def math_ops():
    return model(
        [n("Sin", ["x"], ["s"]), n("Acosh", ["s"], ["a"]),
         n("Sign", ["a"], ["sg"]), n("Mod", ["i", "j"], ["m"]),
         n("Mod", ["x", "x"], ["fm"], fmod=1), n("Sum", ["x", "x", "x"], ["sum"]),
         n("Mean", ["x", "sg"], ["mean"])],
        [io("x", F, [2, 3]), io("i", I64, [4]), io("j", I64, [4])],
        [io("m", I64, [4]), io("fm", F, [2, 3]), io("sum", F, [2, 3]),
         io("mean", F, [2, 3])])


def activations():
    return model(
        [n("HardSigmoid", ["x"], ["hs"], alpha=0.25), n("HardSwish", ["hs"], ["hw"]),
         n("Elu", ["hw"], ["elu"]), n("Selu", ["elu"], ["selu"]),
         n("Celu", ["selu"], ["celu"]), n("Softplus", ["celu"], ["sp"]),
         n("Softsign", ["sp"], ["ss"]), n("Mish", ["ss"], ["mish"]),
         n("ThresholdedRelu", ["mish"], ["tr"]), n("Shrink", ["tr"], ["sh"]),
         n("PRelu", ["sh", "slope"], ["pr"]),
         n("LogSoftmax", ["pr"], ["ls"], axis=1), n("Hardmax", ["ls"], ["hm"])],
        [io("x", F, [2, 3])], [io("hm", F, [2, 3])],
        [init("slope", np.array([0.1, 0.2, 0.3], np.float32))])


def softmax_opset11():
    # Before opset 13 Softmax / LogSoftmax flatten to 2-D at the axis.
    return model([n("LogSoftmax", ["x"], ["y"], axis=1)],
                 [io("x", F, [2, 3, 4])], [io("y", F, [2, 3, 4])], opset=11)


def reductions():
    return model(
        [n("ReduceL2", ["x", "axes"], ["l2"], keepdims=0),
         n("ReduceLogSumExp", ["x", "axes"], ["lse"]),
         n("ReduceProd", ["x", "axes"], ["prod"]),
         n("ArgMax", ["x"], ["am"], axis=1, select_last_index=1),
         n("TopK", ["x", "k"], ["tv", "ti"], axis=1)],
        [io("x", F, [2, 5])],
        [io("l2", F, [2]), io("lse", F, [2, 1]), io("prod", F, [2, 1]),
         io("am", I64, [2, 1]), io("tv", F, [2, 2]), io("ti", I64, [2, 2])],
        [init("axes", np.array([1])), init("k", np.array([2]))])


def reduce_opset11():
    # Axes as an attribute before opset 18.
    return model([n("ReduceL1", ["x"], ["y"], axes=[0], keepdims=1)],
                 [io("x", F, [2, 5])], [io("y", F, [1, 5])], opset=11)


def indexing():
    return model(
        [n("GatherElements", ["x", "gi"], ["ge"], axis=1),
         n("ScatterND", ["x", "si", "su"], ["snd"], reduction="add"),
         n("Trilu", ["x"], ["tri"], upper=0),
         n("Expand", ["b", "shape"], ["ex"]),
         n("Tile", ["x", "reps"], ["tile"]),
         n("Split", ["x", "split"], ["p0", "p1"], axis=1),
         n("CumSum", ["x", "axis"], ["cs"], reverse=1),
         n("Pad", ["x", "pads"], ["pad"], mode="reflect"),
         n("OneHot", ["oi", "depth", "vals"], ["oh"])],
        [io("x", F, [3, 4]), io("gi", I64, [3, 2]), io("b", F, [4]),
         io("oi", I64, [2])],
        [io("ge", F, [3, 2]), io("snd", F, [3, 4]), io("tri", F, [3, 4]),
         io("ex", F, [2, 4]), io("tile", F, [6, 4]), io("p0", F, [3, 1]),
         io("p1", F, [3, 3]), io("cs", F, [3, 4]), io("pad", F, [3, 8]),
         io("oh", F, [2, 5])],
        [init("si", np.array([[0], [2]])), init("su", np.ones((2, 4), np.float32)),
         init("shape", np.array([2, 4])), init("reps", np.array([2, 1])),
         init("split", np.array([1, 3])), init("axis", np.array(0)),
         init("pads", np.array([0, 2, 0, 2])), init("depth", np.array(5)),
         init("vals", np.array([0, 1], np.float32))])


def split_opset11():
    # Split sizes as an attribute before opset 13.
    return model([n("Split", ["x"], ["a", "b"], axis=0, split=[1, 2])],
                 [io("x", F, [3, 2])], [io("a", F, [1, 2]), io("b", F, [2, 2])],
                 opset=11)


def resize():
    return model(
        [n("Resize", ["x", "", "scales"], ["lin"], mode="linear",
           coordinate_transformation_mode="align_corners"),
         n("Resize", ["x", "", "", "sizes"], ["near"], mode="nearest",
           nearest_mode="floor")],
        [io("x", F, [1, 1, 2, 3])],
        [io("lin", F, [1, 1, 4, 6]), io("near", F, [1, 1, 3, 3])],
        [init("scales", np.array([1, 1, 2, 2], np.float32)),
         init("sizes", np.array([1, 1, 3, 3]))])


def conv_transpose():
    return model(
        [n("ConvTranspose", ["x", "w"], ["y"], strides=[2], group=2,
           output_padding=[1]),
         n("Conv", ["x", "cw"], ["c"], group=2, pads=[1, 1])],
        [io("x", F, [1, 4, 5])], [io("y", F, [1, 6, 12]), io("c", F, [1, 2, 5])],
        [init("w", np.ones((4, 3, 3), np.float32)),
         init("cw", np.ones((2, 2, 3), np.float32))])


def normalization():
    return model(
        [n("InstanceNormalization", ["x", "s", "b"], ["in"]),
         n("GroupNormalization", ["x", "gs", "gb"], ["gn"], num_groups=2),
         n("LRN", ["x"], ["lrn"], size=3),
         n("MeanVarianceNormalization", ["x"], ["mvn"])],
        [io("x", F, [1, 4, 3, 3])],
        [io("in", F, [1, 4, 3, 3]), io("gn", F, [1, 4, 3, 3]),
         io("lrn", F, [1, 4, 3, 3]), io("mvn", F, [1, 4, 3, 3])],
        [init("s", np.ones(4, np.float32)), init("b", np.zeros(4, np.float32)),
         init("gs", np.ones(2, np.float32)), init("gb", np.zeros(2, np.float32))])


def einsum_signal():
    return model(
        [n("Einsum", ["a", "b"], ["e"], equation="...ij,...jk->...ik"),
         n("HannWindow", ["size"], ["win"]),
         n("DFT", ["sig"], ["spec"], onesided=1)],
        [io("a", F, [2, 3, 4]), io("b", F, [4, 5]), io("sig", F, [1, 8, 1])],
        [io("e", F, [2, 3, 5]), io("win", F, [4]), io("spec", F, [1, 5, 2])],
        [init("size", np.array(4, np.int32))])


def microsoft():
    return model(
        [n("SkipLayerNormalization", ["x", "x", "g", "g"], ["ln"], domain=MS),
         n("FastGelu", ["ln"], ["fg"], domain=MS),
         n("MultiHeadAttention", ["fg", "fg", "fg"], ["mha"], domain=MS,
           num_heads=2),
         n("QLinearSigmoid", ["q", "s", "z", "s", "z"], ["qs"], domain=MS)],
        [io("x", F, [1, 3, 4]), io("q", U8, [5])],
        [io("mha", F, [1, 3, 4]), io("qs", U8, [5])],
        [init("g", np.ones(4, np.float32)), init("s", np.array(0.1, np.float32)),
         init("z", np.array(128, np.uint8))], ms=True)


def recurrent():
    return model(
        [n("LSTM", ["x", "w", "r"], ["y", "yh"], hidden_size=2,
           direction="bidirectional"),
         n("GRU", ["x", "gw", "gr"], ["gy"], hidden_size=2, linear_before_reset=1)],
        [io("x", F, [3, 1, 4])],
        [io("y", F, [3, 2, 1, 2]), io("yh", F, [2, 1, 2]),
         io("gy", F, [3, 1, 1, 2])],
        [init("w", np.ones((2, 8, 4), np.float32)),
         init("r", np.ones((2, 8, 2), np.float32)),
         init("gw", np.ones((1, 6, 4), np.float32)),
         init("gr", np.ones((1, 6, 2), np.float32))], opset=14)


def bad_activation():
    return model([n("RNN", ["x", "w", "r"], ["y"], hidden_size=2,
                    activations=["Swish"])],
                 [io("x", F, [3, 1, 4])], [io("y", F, [3, 1, 1, 2])],
                 [init("w", np.ones((1, 2, 4), np.float32)),
                  init("r", np.ones((1, 2, 2), np.float32))])


def image_text():
    return model(
        [n("GridSample", ["x", "grid"], ["gs"], mode="bicubic",
           padding_mode="reflection"),
         n("RoiAlign", ["x", "rois", "bi"], ["ra"], output_height=2,
           output_width=2, sampling_ratio=0),
         n("MaxUnpool", ["x", "idx"], ["mu"], kernel_shape=[2, 2],
           strides=[2, 2]),
         n("Det", ["m"], ["det"]),
         n("TfIdfVectorizer", ["tokens"], ["tf"], mode="TFIDF",
           min_gram_length=1, max_gram_length=2, max_skip_count=1,
           ngram_counts=[0, 2], ngram_indexes=[0, 1, 2],
           pool_int64s=[3, 5, 3, 5], weights=[1.0, 2.0, 0.5])],
        [io("x", F, [1, 1, 4, 4]), io("grid", F, [1, 3, 3, 2]),
         io("rois", F, [2, 4]), io("m", F, [2, 3, 3]),
         io("tokens", TensorProto.INT32, [6])],
        [io("gs", F, [1, 1, 3, 3]), io("ra", F, [2, 1, 2, 2]),
         io("mu", F, [1, 1, 6, 6]), io("det", F, [2]), io("tf", F, [3])],
        [init("bi", np.array([0, 0])), init("idx", np.zeros((1, 1, 4, 4), np.int64))],
        opset=16)


# Diagnostics.
def bad_old_version():
    return model([n("Trilu", ["x"], ["y"])], [io("x", F, [2, 2])],
                 [io("y", F, [2, 2])], opset=13)


def bad_pad_mode():
    return model([n("Pad", ["x", "pads"], ["y"], mode="mirror")],
                 [io("x", F, [2, 2])], [io("y", F, [2, 4])],
                 [init("pads", np.array([0, 1, 0, 1]))])


def bad_resize_mode():
    return model([n("Resize", ["x", "", "scales"], ["y"],
                    coordinate_transformation_mode="sideways")],
                 [io("x", F, [1, 1, 2, 2])], [io("y", F, [1, 1, 4, 4])],
                 [init("scales", np.array([1, 1, 2, 2], np.float32))])


def bad_einsum():
    return model([n("Einsum", ["a"], ["y"], equation="ij,jk->ik")],
                 [io("a", F, [2, 2])], [io("y", F, [2, 2])])


def bad_split():
    return model([n("Split", ["x", "split"], ["a", "b"])],
                 [io("x", F, [4])], [io("a", F, [1]), io("b", F, [2])],
                 [init("split", np.array([1, 2]))])


def bad_bitshift():
    return model([n("BitShift", ["a", "a"], ["y"], direction="UP")],
                 [io("a", U8, [2])], [io("y", U8, [2])])


def bad_range():
    return model([n("Range", ["s", "l", "d"], ["y"])],
                 [io("s", I64, []), io("l", I64, []), io("d", I64, [])],
                 [io("y", I64, None)])


def bad_topk():
    return model([n("TopK", ["x", "k"], ["v", "i"])], [io("x", F, [2, 3])],
                 [io("v", F, None), io("i", I64, None)],
                 [init("k", np.array([4]))])


def bad_group_norm():
    return model([n("GroupNormalization", ["x", "s", "b"], ["y"], num_groups=3)],
                 [io("x", F, [1, 4, 2])], [io("y", F, [1, 4, 2])],
                 [init("s", np.ones(3, np.float32)),
                  init("b", np.zeros(3, np.float32))])


def bad_attention_heads():
    return model([n("Attention", ["x", "w"], ["y"], domain=MS, num_heads=0)],
                 [io("x", F, [1, 2, 4])], [io("y", F, [1, 2, 4])],
                 [init("w", np.ones((4, 12), np.float32))], ms=True)


def bad_huge_range():
    return model([n("Range", ["s", "l", "d"], ["y"])], [], [io("y", I64, None)],
                 [init("s", np.array(0)), init("l", np.array(10**15)),
                  init("d", np.array(1))])


def bad_huge_resize():
    return model([n("Resize", ["x", "", "scales"], ["y"])],
                 [io("x", F, [1, 1, 2, 2])], [io("y", F, None)],
                 [init("scales", np.array([1, 1, 1e30, 1], np.float32))])


def bad_huge_window():
    return model([n("HannWindow", ["size"], ["y"])], [], [io("y", F, None)],
                 [init("size", np.array(2**40))], opset=17)


KINDS = {k: v for k, v in globals().items()
         if callable(v) and v.__module__ == "__main__"
         and k not in ("init", "io", "model", "n", "main")}


def main():
    kind, path = sys.argv[1], sys.argv[2]
    onnx.save(KINDS[kind](), path)


if __name__ == "__main__":
    main()

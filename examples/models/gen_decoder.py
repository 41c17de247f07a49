#!/usr/bin/env python3
# A transformer decoder block (Llama style) as ONNX, in three variants with
# the same weights:
#
#   fp32  MatMul on fp32 weights                               (opset 17)
#   int4  com.microsoft MatMulNBits, 4 bits, block 32, zero points
#   qdq4  DequantizeLinear(int4 initializer, block_size 32, zero points,
#         axis 0) feeding MatMul                               (opset 21)
#
# The block: y = h + MLP(RMSNorm(h)), h = x + Attn(RMSNorm(x)), where Attn is
# multi-head attention with Q/K/V/O projections, a causal mask (an additive
# initializer) and Softmax, and MLP is SwiGLU (down(silu(gate(.)) * up(.))).
# With --past P the block also takes past_key / past_value [1, heads, P, d]
# (a KV cache: one decode step is --seq 1 --past P) and returns present_key /
# present_value. RMSNorm is spelled the way exporters write it: Pow, ReduceMean,
# Add eps, Sqrt, Reciprocal, Mul, Mul gamma.
#
# --outlier-channels N plants N input channels (fixed by the seed, listed in
# the model's metadata_props as `outlier_channels`) whose RMSNorm gammas are
# large, so the activations feeding the projections have a few large
# channels, as real LLMs do.
#
#   gen_decoder.py OUT_DIR [--variants fp32,int4,qdq4] [--hidden 128]
#       [--heads 4] [--ffn 352] [--seq 8] [--past 0] [--outlier-channels 0]
#       [--seed 0] [--external-data]
#
# Writes OUT_DIR/decoder_<variant>.onnx and the inputs x.npy (and
# past_key.npy / past_value.npy).
import argparse
import os

import numpy as np
from onnx import TensorProto, helper, numpy_helper, save

INT4 = 22  # onnx 1.12 has no TensorProto.INT4
BLOCK = 32
EPS = 1e-5
MASKED = -1e9


def init(name, array):
    return numpy_helper.from_array(np.asarray(array), name)


def packed_int4(name, codes, dims):
    """A signed int4 initializer: two values per byte, low nibble first."""
    flat = np.asarray(codes, np.int64).reshape(-1) & 0xF
    if flat.size % 2:
        flat = np.append(flat, 0)
    t = TensorProto()
    t.name = name
    t.data_type = INT4
    t.dims.extend(dims)
    t.raw_data = (flat[0::2] | (flat[1::2] << 4)).astype(np.uint8).tobytes()
    return t


def quantize_blocks(w):
    """Asymmetric 4-bit round-to-nearest of w [N, K] in blocks of 32 along K:
    unsigned codes 0..15, one f32 scale and one zero point per block.
    Returns (codes [N, Kp], scales [N, KB], zero points [N, KB])."""
    n, k = w.shape
    kb = (k + BLOCK - 1) // BLOCK
    padded = np.zeros((n, kb * BLOCK), np.float32)
    padded[:, :k] = w
    blocks = padded.reshape(n, kb, BLOCK)
    lo = np.minimum(blocks.min(axis=2), 0)
    hi = np.maximum(blocks.max(axis=2), 0)
    scales = ((hi - lo) / 15).astype(np.float32)
    scales[scales == 0] = 1
    zp = np.clip(np.rint(-lo / scales), 0, 15).astype(np.int64)
    q = np.clip(np.rint(blocks / scales[:, :, None]) + zp[:, :, None], 0, 15)
    return q.astype(np.int64).reshape(n, kb * BLOCK), scales, zp


class Builder:
    def __init__(self, variant, external):
        self.variant = variant
        self.external = external
        self.nodes = []
        self.inits = []

    def node(self, op, inputs, outputs=None, **attrs):
        name = f"{op.lower()}_{len(self.nodes)}"
        outputs = outputs or [name + "_out"]
        domain = attrs.pop("domain", "")
        self.nodes.append(helper.make_node(op, inputs, outputs, name=name,
                                           domain=domain, **attrs))
        return outputs[0]

    def const(self, name, array):
        self.inits.append(init(name, array))
        return name

    def linear(self, x, w, name):
        """x [..., K] times w [K, N] (w given in float) in this variant."""
        k, n = w.shape
        if self.variant == "fp32":
            return self.node("MatMul", [x, self.const(name, w)])
        q, scales, zp = quantize_blocks(w.T)
        kb = scales.shape[1]
        if self.variant == "int4":
            blob = (q[:, 0::2] | (q[:, 1::2] << 4)).astype(np.uint8)
            blob = blob.reshape(n, kb, BLOCK // 2)
            zpad = np.zeros((n, (kb + 1) // 2 * 2), np.int64)
            zpad[:, :kb] = zp
            zpacked = (zpad[:, 0::2] | (zpad[:, 1::2] << 4)).astype(np.uint8)
            return self.node(
                "MatMulNBits",
                [x, self.const(name + "_q", blob),
                 self.const(name + "_scales", scales.reshape(-1)),
                 self.const(name + "_zp", zpacked.reshape(-1))],
                domain="com.microsoft", K=k, N=n, bits=4, block_size=BLOCK)
        # qdq4: signed int4 [K, N] codes, blocks along axis 0.
        assert k % BLOCK == 0, "qdq4 needs K divisible by 32"
        self.inits.append(packed_int4(name + "_q", (q - 8).T, [k, n]))
        self.inits.append(packed_int4(name + "_zp", (zp - 8).T, [kb, n]))
        deq = self.node("DequantizeLinear",
                        [name + "_q", self.const(name + "_scales", scales.T),
                         name + "_zp"], axis=0, block_size=BLOCK)
        return self.node("MatMul", [x, deq])

    def rmsnorm(self, x, gamma, name, opset):
        sq = self.node("Pow", [x, self.const(name + "_two", np.float32(2))])
        if opset >= 18:
            ms = self.node("ReduceMean",
                           [sq, self.const(name + "_axes", np.array([-1]))],
                           keepdims=1)
        else:
            ms = self.node("ReduceMean", [sq], axes=[-1], keepdims=1)
        var = self.node("Add", [ms, self.const(name + "_eps", np.float32(EPS))])
        inv = self.node("Reciprocal", [self.node("Sqrt", [var])])
        return self.node("Mul", [self.node("Mul", [x, inv]),
                                 self.const(name + "_gamma", gamma)])


def weights(args, rng):
    h, f = args.hidden, args.ffn

    def mat(k, n):
        return (rng.standard_normal((k, n)) / np.sqrt(k)).astype(np.float32)

    w = {name: mat(h, h) for name in ("wq", "wk", "wv", "wo")}
    w["wg"], w["wu"], w["wd"] = mat(h, f), mat(h, f), mat(f, h)
    w["g1"] = (1 + 0.1 * rng.standard_normal(h)).astype(np.float32)
    w["g2"] = (1 + 0.1 * rng.standard_normal(h)).astype(np.float32)
    outliers = np.sort(rng.choice(h, size=args.outlier_channels,
                                  replace=False)) if args.outlier_channels else []
    for c in outliers:
        w["g1"][c] *= 40
        w["g2"][c] *= 40
    return w, [int(c) for c in outliers]


def build(variant, args, w, outliers):
    opset = 21 if variant == "qdq4" else 17
    b = Builder(variant, args.external_data)
    hd = args.hidden // args.heads
    seq, past, heads = args.seq, args.past, args.heads
    total = seq + past

    def heads_first(t):  # [1, seq, hidden] -> [1, heads, seq, hd]
        r = b.node("Reshape", [t, b.const(f"shape_{len(b.nodes)}",
                                          np.array([1, seq, heads, hd]))])
        return b.node("Transpose", [r], perm=[0, 2, 1, 3])

    n1 = b.rmsnorm("x", w["g1"], "norm1", opset)
    q = heads_first(b.linear(n1, w["wq"], "wq"))
    k = heads_first(b.linear(n1, w["wk"], "wk"))
    v = heads_first(b.linear(n1, w["wv"], "wv"))
    outputs = ["y"]
    if past:
        k = b.node("Concat", ["past_key", k], ["present_key"], axis=2)
        v = b.node("Concat", ["past_value", v], ["present_value"], axis=2)
        outputs += ["present_key", "present_value"]
    kt = b.node("Transpose", [k], perm=[0, 1, 3, 2])
    scores = b.node("MatMul", [q, kt])
    scaled = b.node("Mul", [scores, b.const("attn_scale",
                                            np.float32(1 / np.sqrt(hd)))])
    # Query i (at position past + i) sees keys 0 .. past + i.
    mask = np.where(np.arange(total)[None, :] > past + np.arange(seq)[:, None],
                    MASKED, 0).astype(np.float32)
    probs = b.node("Softmax", [b.node("Add", [scaled, b.const("mask", mask)])],
                   axis=-1)
    ctx = b.node("Transpose", [b.node("MatMul", [probs, v])], perm=[0, 2, 1, 3])
    ctx = b.node("Reshape", [ctx, b.const("shape_ctx",
                                          np.array([1, seq, args.hidden]))])
    h1 = b.node("Add", ["x", b.linear(ctx, w["wo"], "wo")])
    n2 = b.rmsnorm(h1, w["g2"], "norm2", opset)
    gate = b.linear(n2, w["wg"], "wg")
    up = b.linear(n2, w["wu"], "wu")
    act = b.node("Mul", [b.node("Mul", [gate, b.node("Sigmoid", [gate])]), up])
    b.node("Add", [h1, b.linear(act, w["wd"], "wd")], ["y"])

    f32 = TensorProto.FLOAT
    inputs = [helper.make_tensor_value_info("x", f32, [1, seq, args.hidden])]
    outs = [helper.make_tensor_value_info("y", f32, [1, seq, args.hidden])]
    if past:
        for name in ("past_key", "past_value"):
            inputs.append(helper.make_tensor_value_info(name, f32,
                                                        [1, heads, past, hd]))
        for name in ("present_key", "present_value"):
            outs.append(helper.make_tensor_value_info(name, f32,
                                                      [1, heads, total, hd]))
    graph = helper.make_graph(b.nodes, f"decoder_{variant}", inputs, outs,
                              initializer=b.inits)
    opsets = [helper.make_opsetid("", opset)]
    if variant == "int4":
        opsets.append(helper.make_opsetid("com.microsoft", 1))
    m = helper.make_model(graph, opset_imports=opsets,
                          producer_name="quant gen_decoder.py")
    m.ir_version = 10 if opset >= 21 else 8
    if outliers:
        entry = m.metadata_props.add()
        entry.key = "outlier_channels"
        entry.value = ",".join(str(c) for c in outliers)
    return m


def main():
    p = argparse.ArgumentParser(
        description="Writes a transformer decoder block as ONNX models.")
    p.add_argument("out_dir")
    p.add_argument("--variants", default="fp32,int4,qdq4")
    p.add_argument("--hidden", type=int, default=128)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--ffn", type=int, default=352)
    p.add_argument("--seq", type=int, default=8)
    p.add_argument("--past", type=int, default=0)
    p.add_argument("--outlier-channels", type=int, default=0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--external-data", action="store_true",
                   help="store initializers in <model>.onnx.data")
    args = p.parse_args()
    if args.hidden % args.heads:
        p.error("--hidden must be a multiple of --heads")
    variants = args.variants.split(",")
    for v in variants:
        if v not in ("fp32", "int4", "qdq4"):
            p.error(f"unknown variant '{v}' (fp32, int4, qdq4)")
    if "qdq4" in variants and (args.hidden % BLOCK or args.ffn % BLOCK):
        p.error("qdq4 needs --hidden and --ffn divisible by 32")
    if args.outlier_channels > args.hidden:
        p.error("--outlier-channels exceeds --hidden")

    os.makedirs(args.out_dir, exist_ok=True)
    rng = np.random.default_rng(args.seed)
    w, outliers = weights(args, rng)
    x = rng.standard_normal((1, args.seq, args.hidden)).astype(np.float32)
    np.save(os.path.join(args.out_dir, "x.npy"), x)
    if args.past:
        hd = args.hidden // args.heads
        for name in ("past_key", "past_value"):
            np.save(os.path.join(args.out_dir, name + ".npy"),
                    rng.standard_normal((1, args.heads, args.past, hd))
                    .astype(np.float32))
    for v in variants:
        path = os.path.join(args.out_dir, f"decoder_{v}.onnx")
        m = build(v, args, w, outliers)
        if args.external_data:
            from onnx.external_data_helper import convert_model_to_external_data
            convert_model_to_external_data(
                m, all_tensors_to_one_file=True,
                location=os.path.basename(path) + ".data", size_threshold=1024)
        save(m, path)


if __name__ == "__main__":
    main()

#===- int8_case.py - int8 compute path test module and reference ---------===#
#
#   int8_case.py gen --bits=4 --group=32 --m=3 --n=37 --k=100 --seed=1
#       writes a module whose @main runs qnt.matmul (bias, relu) on a
#       symmetric #qnt.uniform weight of random codes and f32 scales and
#       prints the result as raw f32 bits (printMemrefI32); --threads=T
#       first calls quant_rt_set_num_threads(T); --asym=1 (unsigned codes)
#       or --asym=2 (signed codes) makes it asymmetric, with random zero
#       points per group.
#   int8_case.py check <same args> --output=<mlir-runner output>
#       recomputes the int8 path in numpy and requires every result to be
#       bit-identical. The formula (docs in Int8Kernel.h), all in f32 with
#       one rounding per operation, per row m and K block b (the weight
#       group, or 64 for per-channel weights):
#         amax = max_k |x|, s_a = amax / 127, inv = amax > 0 ? 127 / amax : 0
#         q_k = clamp(roundeven(x_k * inv), -127, 127)
#         dot = sum_k q_k * (w_k - zp) (exact integer; zp = 0 if symmetric)
#         acc = acc + float(dot) * (s_a * s_w)      (blocks in K order)
#         y = relu(acc + bias)
#
#===----------------------------------------------------------------------===#

import argparse
import re
import struct
import sys

import numpy as np


def case(a):
    rng = np.random.RandomState(a.seed)
    lo, hi = -(1 << (a.bits - 1)), (1 << (a.bits - 1)) - 1
    if a.asym == 1:
        lo, hi = 0, (1 << a.bits) - 1
    codes = rng.randint(lo, hi + 1, size=(a.n, a.k))
    groups = -(-a.k // a.group) if a.group else 1
    scales = (rng.rand(a.n, groups) * 0.02 + 0.001).astype(np.float32)
    x = (rng.rand(a.m, a.k) * 2 - 1).astype(np.float32)
    bias = (rng.rand(a.n) * 0.2 - 0.1).astype(np.float32)
    zero_points = np.zeros((a.n, groups), dtype=np.int64)
    if a.asym:
        zero_points = rng.randint(lo, hi + 1, size=(a.n, groups))
    return codes, scales, x, bias, zero_points


def pack(values, bits):
    """Rows of `values` packed LSB-first, `bits` bits each, as s8 bytes."""
    n, k = values.shape
    packed = np.zeros((n, (k * bits + 7) // 8), dtype=np.int64)
    for j in range(k):
        c = values[:, j] & ((1 << bits) - 1)
        packed[:, (j * bits) // 8] |= c << ((j * bits) % 8)
    return np.where(packed > 127, packed - 256, packed)


def fl(v):
    return "%.9e" % float(v)


def gen(a):
    codes, scales, x, bias, zero_points = case(a)
    m, n, k, bits = a.m, a.n, a.k, a.bits
    packed = pack(codes, bits)
    row_bytes = packed.shape[1]
    gran = "per_group(1, %d)" % a.group if a.group else "per_channel(0)"
    storage = ("ui%d" if a.asym == 1 else "i%d") % bits
    enc = "#qnt.uniform<%s, %s, scale = f32%s>" % (
        storage, gran, ", asymmetric" if a.asym else "")
    wt = "tensor<%dx%dxf32, %s>" % (n, k, enc)
    mat = lambda rows, f: "[" + ", ".join(
        "[" + ", ".join(f(v) for v in r) + "]" for r in rows) + "]"
    out = sys.stdout
    out.write("module {\n")
    out.write("  func.func private @printMemrefI32(memref<*xi32>)\n")
    if a.threads:
        out.write("  llvm.func @quant_rt_set_num_threads(i32)\n")
    out.write("  func.func @main() {\n")
    if a.threads:
        out.write("    %%t = llvm.mlir.constant(%d : i32) : i32\n" % a.threads)
        out.write("    llvm.call @quant_rt_set_num_threads(%t) : (i32) -> ()\n")
    out.write("    %%x = arith.constant dense<%s> : tensor<%dx%dxf32>\n"
              % (mat(x, fl), m, k))
    out.write("    %%b = arith.constant dense<[%s]> : tensor<%dxf32>\n"
              % (", ".join(fl(v) for v in bias), n))
    zp_part = ""
    if a.asym:
        zp = pack(zero_points, bits)
        zp_part = ", dense<%s> : tensor<%dx%dxi8>" % (mat(zp, str), n,
                                                      zp.shape[1])
    out.write("    %%w = qnt.constant [dense<%s> : tensor<%dx%dxi8>, "
              "dense<%s> : tensor<%dx%dxf32>%s] : %s\n"
              % (mat(packed, str), n, row_bytes, mat(scales, fl), n,
                 scales.shape[1], zp_part, wt))
    out.write("    %%y = qnt.matmul %%x, %%w bias(%%b) {activation = "
              "#qnt.activation<relu>} : (tensor<%dx%dxf32>, %s, tensor<%dxf32>)"
              " -> tensor<%dx%dxf32>\n" % (m, k, wt, n, m, n))
    out.write("    %%yb = bufferization.to_buffer %%y : tensor<%dx%dxf32> to "
              "memref<%dx%dxf32>\n" % (m, n, m, n))
    out.write("    %%mb = memref.alloc() : memref<%dx%dxi32>\n" % (m, n))
    out.write("    %%c0 = arith.constant 0 : index\n    %%c1 = arith.constant "
              "1 : index\n    %%cm = arith.constant %d : index\n    %%cn = "
              "arith.constant %d : index\n" % (m, n))
    out.write("    scf.for %%r = %%c0 to %%cm step %%c1 {\n      scf.for %%c = "
              "%%c0 to %%cn step %%c1 {\n        %%v = memref.load %%yb[%%r, %%c]"
              " : memref<%dx%dxf32>\n        %%vi = arith.bitcast %%v : f32 to "
              "i32\n        memref.store %%vi, %%mb[%%r, %%c] : memref<%dx%dxi32>"
              "\n      }\n    }\n" % (m, n, m, n))
    out.write("    %%u = memref.cast %%mb : memref<%dx%dxi32> to memref<*xi32>\n"
              % (m, n))
    out.write("    func.call @printMemrefI32(%u) : (memref<*xi32>) -> ()\n")
    out.write("    return\n  }\n}\n")
    return 0


def reference(a):
    codes, scales, x, bias, zero_points = case(a)
    m, n, k = a.m, a.n, a.k
    f32 = np.float32
    block = a.group if a.group else (64 if k > 64 else k)
    y = np.zeros((m, n), dtype=np.float32)
    for b0 in range(0, k, block):
        xs = x[:, b0:b0 + block]
        amax = np.max(np.abs(xs), axis=1).astype(f32)
        s_a = (amax / f32(127)).astype(f32)
        with np.errstate(divide="ignore"):
            inv = np.where(amax > 0, f32(127) / amax, f32(0)).astype(f32)
        q = np.clip(np.rint((xs * inv[:, None]).astype(f32)), -127, 127)
        g = b0 // a.group if a.group else 0
        w = codes[:, b0:b0 + block] - zero_points[:, g:g + 1]
        dot = q.astype(np.int64) @ w.T.astype(np.int64)
        s = (s_a[:, None] * scales[None, :, g]).astype(f32)
        y = (y + (dot.astype(f32) * s).astype(f32)).astype(f32)
    y = (y + bias[None, :]).astype(f32)
    return np.where(y > 0, y, f32(0)).astype(f32)


def check(a):
    text = open(a.output).read()
    match = re.search(r"data =\s*(\[[-0-9,\s\[\]]*\])", text)
    got = [int(v) & 0xFFFFFFFF for v in re.findall(r"-?\d+", match.group(1))]
    want = reference(a).reshape(-1)
    if len(got) != want.size:
        print("compare: %d results, expected %d" % (len(got), want.size))
        return 1
    for i, (g, w) in enumerate(zip(got, want)):
        wb = struct.unpack("<I", struct.pack("<f", w))[0]
        if g != wb:
            gv = struct.unpack("<f", struct.pack("<I", g))[0]
            print("compare: y[%d]: got %r, expected %r" % (i, gv, float(w)))
            return 1
    print("compare: %d results bit-identical" % len(got))
    return 0


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["gen", "check"])
    for name in ("bits", "group", "m", "n", "k", "seed", "threads", "asym"):
        p.add_argument("--" + name, type=int, default=0)
    p.add_argument("--output", default="")
    a = p.parse_args()
    return gen(a) if a.mode == "gen" else check(a)


if __name__ == "__main__":
    sys.exit(main())

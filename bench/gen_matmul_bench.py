#===- gen_matmul_bench.py - qnt.matmul benchmark modules ------------------===#
#
# Writes an MLIR module that times one matmul y[M, N] = x[M, K] * W[N, K]^T
# with mlir-runner (rtclock from libmlir_c_runner_utils):
#
#   --kind=qnt --encoding='#qnt.uniform<...>': W is a qnt.constant with
#       random codes and scales (dense_resource blobs), computed by
#       qnt.matmul -- the generated CPU kernel under --qnt-cpu-pipeline;
#   --kind=fp32: W is a plain f32 tensor argument, computed by linalg.matmul
#       with a transposed weight map -- quant's own fp32 path today (the
#       reference lowering's loops);
#   --kind=bandwidth: no matmul; a streaming f32 sum over a 1 GiB buffer
#       (four vector<16xf32> accumulators), the single-thread read bandwidth.
#
# @main prints one line per repetition: "time <seconds>".
#
#===----------------------------------------------------------------------===#

import argparse
import os
import random
import struct
import sys


def blob(data, align=4):
    # dense_resource blobs are hex of a 4-byte little-endian alignment
    # header followed by the data.
    return '"0x' + struct.pack("<I", align).hex().upper() + data.hex().upper() + '"'


def parse_encoding(enc):
    body = enc[enc.index("<") + 1:enc.rindex(">")]
    storage = body.split(",")[0].strip()
    bits = int(storage.lstrip("ui"))
    if "per_group(1," in body:
        group = int(body.split("per_group(1,")[1].split(")")[0])
    else:
        group = 0
    scale = body.split("scale =")[1].split(",")[0].split(">")[0].strip()
    return bits, group, scale, "asymmetric" in body


# Non-uniform encodings the CPU kernels cover: (code bits, K group (0: per
# channel), scale part type, whether a tensor scale follows, fp8 exponent
# bits (codes are kept normal: random bytes would hit NaN and subnormals)).
OTHER_ENCODINGS = {
    "#qnt.float<f8E4M3FN, per_channel(0), scale = f32>": (8, 0, "f32", False, 4),
    "#qnt.float<f8E5M2, per_channel(0), scale = f32>": (8, 0, "f32", False, 5),
    "#qnt.float<mxfp8>": (8, 32, "e8m0", False, 4),
    "#qnt.float<mxfp4>": (4, 32, "e8m0", False, 0),
    "#qnt.float<nvfp4>": (4, 16, "e4m3", True, 0),
    "#qnt.lut<nf4, per_group(1, 64), scale = f16>": (4, 64, "f16", False, 0),
    "#qnt.binary<per_channel(0), scale = f32>": (1, 0, "f32", False, 0),
    "#qnt.ternary<per_channel(0), scale = f16>": (2, 0, "f16", False, 0),
}


def normal_fp8(byte, exponent_bits):
    top = (1 << exponent_bits) - 1
    exponent = (byte & 0x7F) >> (7 - exponent_bits)
    if exponent in (0, top):
        byte = (byte & ~(top << (7 - exponent_bits))) | (
            (top // 2) << (7 - exponent_bits))
    return byte


def other_parts(enc, rng, n, k):
    bits, group, scale, tensor_scale, fp8 = OTHER_ENCODINGS[enc]
    row_bytes = (k * bits + 7) // 8
    pattern = bytes(rng.getrandbits(8) for _ in range(256))
    if fp8:
        pattern = bytes(normal_fp8(b, fp8) for b in pattern)
    codes = (pattern * (n * row_bytes // 256 + 1))[:n * row_bytes]
    groups = (k + group - 1) // group if group else 1
    count = n * groups
    if scale == "e8m0":
        sbytes, stype = bytes(120 + i % 4 for i in range(count)), "i8"
    elif scale == "e4m3":
        sbytes, stype = bytes(0x30 + i % 16 for i in range(count)), "i8"
    else:
        fmt = "<f" if scale == "f32" else "<e"
        sbytes = b"".join(struct.pack(fmt, 0.01 + 0.001 * (i % 7)) for i in range(count))
        stype = scale
    parts = [f"dense_resource<w_codes> : tensor<{n}x{row_bytes}xi8>",
             f"dense_resource<w_scales> : tensor<{n}x{groups}x{stype}>"]
    blobs = [f"      w_codes: {blob(codes)}", f"      w_scales: {blob(sbytes)}"]
    if tensor_scale:
        parts.append("dense<0.5> : tensor<1xf32>")
    return parts, blobs


def timing_main(call, m, k, n, reps, args_decl):
    return f"""
  func.func private @rtclock() -> f64
  func.func private @printF64(f64)
  func.func private @printNewline()
  func.func private @printString(!llvm.ptr)
  llvm.mlir.global internal constant @label("time \\00") {{addr_space = 0 : i32}}
  func.func @main() {{
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %reps = arith.constant {reps} : index
    %half = arith.constant 0.5 : f32
    %xe = tensor.empty() : tensor<{m}x{k}xf32>
    %x = linalg.fill ins(%half : f32) outs(%xe : tensor<{m}x{k}xf32>) -> tensor<{m}x{k}xf32>
{args_decl}
    %label = llvm.mlir.addressof @label : !llvm.ptr
    scf.for %i = %c0 to %reps step %c1 {{
      %t0 = func.call @rtclock() : () -> f64
{call}
      %t1 = func.call @rtclock() : () -> f64
      %dt = arith.subf %t1, %t0 : f64
      func.call @printString(%label) : (!llvm.ptr) -> ()
      func.call @printF64(%dt) : (f64) -> ()
      func.call @printNewline() : () -> ()
    }}
    return
  }}
"""


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--kind", choices=["qnt", "fp32", "bandwidth"], required=True)
    p.add_argument("--encoding", default="")
    p.add_argument("--m", type=int, default=1)
    p.add_argument("--k", type=int, default=4096)
    p.add_argument("--n", type=int, default=4096)
    p.add_argument("--reps", type=int, default=20)
    a = p.parse_args()
    m, k, n = a.m, a.k, a.n
    out = sys.stdout
    if a.kind == "bandwidth":
        count = (1 << 30) // 4
        out.write(f"""module {{
  func.func @stream_sum(%buf: memref<{count}xf32>) -> f32 {{
    %c0 = arith.constant 0 : index
    %c64 = arith.constant 64 : index
    %c16 = arith.constant 16 : index
    %c32 = arith.constant 32 : index
    %c48 = arith.constant 48 : index
    %cn = arith.constant {count} : index
    %z = arith.constant dense<0.0> : vector<16xf32>
    %r:4 = scf.for %i = %c0 to %cn step %c64 iter_args(%a0 = %z, %a1 = %z, %a2 = %z, %a3 = %z) -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>) {{
      %i1 = arith.addi %i, %c16 : index
      %i2 = arith.addi %i, %c32 : index
      %i3 = arith.addi %i, %c48 : index
      %v0 = vector.load %buf[%i] : memref<{count}xf32>, vector<16xf32>
      %v1 = vector.load %buf[%i1] : memref<{count}xf32>, vector<16xf32>
      %v2 = vector.load %buf[%i2] : memref<{count}xf32>, vector<16xf32>
      %v3 = vector.load %buf[%i3] : memref<{count}xf32>, vector<16xf32>
      %b0 = arith.addf %a0, %v0 : vector<16xf32>
      %b1 = arith.addf %a1, %v1 : vector<16xf32>
      %b2 = arith.addf %a2, %v2 : vector<16xf32>
      %b3 = arith.addf %a3, %v3 : vector<16xf32>
      scf.yield %b0, %b1, %b2, %b3 : vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>
    }}
    %s0 = arith.addf %r#0, %r#1 : vector<16xf32>
    %s1 = arith.addf %r#2, %r#3 : vector<16xf32>
    %s = arith.addf %s0, %s1 : vector<16xf32>
    %sum = vector.reduction <add>, %s : vector<16xf32> into f32
    return %sum : f32
  }}
  func.func private @rtclock() -> f64
  func.func private @printF64(f64)
  func.func private @printNewline()
  func.func private @printString(!llvm.ptr)
  llvm.mlir.global internal constant @label("time \\00") {{addr_space = 0 : i32}}
  func.func @main() {{
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %reps = arith.constant {a.reps} : index
    %one = arith.constant 1.0 : f32
    %buf = memref.alloc() {{alignment = 64 : i64}} : memref<{count}xf32>
    linalg.fill ins(%one : f32) outs(%buf : memref<{count}xf32>)
    %label = llvm.mlir.addressof @label : !llvm.ptr
    scf.for %i = %c0 to %reps step %c1 {{
      %t0 = func.call @rtclock() : () -> f64
      %s = func.call @stream_sum(%buf) : (memref<{count}xf32>) -> f32
      %t1 = func.call @rtclock() : () -> f64
      %dt = arith.subf %t1, %t0 : f64
      func.call @printString(%label) : (!llvm.ptr) -> ()
      func.call @printF64(%dt) : (f64) -> ()
      func.call @printNewline() : () -> ()
      %sd = arith.extf %s : f32 to f64
      func.call @printF64(%sd) : (f64) -> ()
      func.call @printNewline() : () -> ()
    }}
    return
  }}
}}
""")
        return 0

    if a.kind == "fp32":
        args_decl = f"""    %wv = arith.constant 0.25 : f32
    %we = tensor.empty() : tensor<{n}x{k}xf32>
    %w = linalg.fill ins(%wv : f32) outs(%we : tensor<{n}x{k}xf32>) -> tensor<{n}x{k}xf32>"""
        call = f"""      %y = func.call @kernel(%x, %w) : (tensor<{m}x{k}xf32>, tensor<{n}x{k}xf32>) -> tensor<{m}x{n}xf32>"""
        out.write(f"""#mx = affine_map<(d0, d1, d2) -> (d0, d2)>
#mw = affine_map<(d0, d1, d2) -> (d1, d2)>
#my = affine_map<(d0, d1, d2) -> (d0, d1)>
module {{
  func.func @kernel(%x: tensor<{m}x{k}xf32>, %w: tensor<{n}x{k}xf32>) -> tensor<{m}x{n}xf32> {{
    %zero = arith.constant 0.0 : f32
    %e = tensor.empty() : tensor<{m}x{n}xf32>
    %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<{m}x{n}xf32>) -> tensor<{m}x{n}xf32>
    %y = linalg.matmul indexing_maps = [#mx, #mw, #my]
        ins(%x, %w : tensor<{m}x{k}xf32>, tensor<{n}x{k}xf32>)
        outs(%acc : tensor<{m}x{n}xf32>) -> tensor<{m}x{n}xf32>
    return %y : tensor<{m}x{n}xf32>
  }}
{timing_main(call, m, k, n, a.reps, args_decl)}
}}
""")
        return 0

    if a.encoding in OTHER_ENCODINGS:
        parts, blobs = other_parts(a.encoding, random.Random(1), n, k)
        return write_qnt(out, a, parts, blobs)
    bits, group, scale, asym = parse_encoding(a.encoding)
    rng = random.Random(1)
    row_bytes = (k * bits + 7) // 8
    codes = bytes(rng.getrandbits(8) for _ in range(256)) * (n * row_bytes // 256 + 1)
    codes = codes[:n * row_bytes]
    groups = (k + group - 1) // group if group else 1
    nscales = n * groups
    if scale == "f32":
        sbytes = b"".join(struct.pack("<f", 0.01 + 0.001 * (i % 7)) for i in range(nscales))
        stype = "f32"
    else:
        sbytes = b"".join(struct.pack("<e", 0.01 + 0.001 * (i % 7)) for i in range(nscales))
        stype = "f16"
    parts = [f"dense_resource<w_codes> : tensor<{n}x{row_bytes}xi8>",
             f"dense_resource<w_scales> : tensor<{n}x{groups}x{stype}>"]
    blobs = [f"      w_codes: {blob(codes)}", f"      w_scales: {blob(sbytes)}"]
    if asym:
        zrow = (groups * bits + 7) // 8
        zbytes = bytes(rng.getrandbits(8) for _ in range(n * zrow))
        parts.append(f"dense_resource<w_zero_points> : tensor<{n}x{zrow}xi8>")
        blobs.append(f"      w_zero_points: {blob(zbytes)}")
    return write_qnt(out, a, parts, blobs)


def write_qnt(out, a, parts, blobs):
    m, k, n = a.m, a.k, a.n
    wtype = f"tensor<{n}x{k}xf32, {a.encoding}>"
    call = f"""      %y = func.call @kernel(%x) : (tensor<{m}x{k}xf32>) -> tensor<{m}x{n}xf32>"""
    out.write(f"""module {{
  func.func @kernel(%x: tensor<{m}x{k}xf32>) -> tensor<{m}x{n}xf32> {{
    %w = qnt.constant [{", ".join(parts)}] : {wtype}
    %y = qnt.matmul %x, %w : (tensor<{m}x{k}xf32>, {wtype}) -> tensor<{m}x{n}xf32>
    return %y : tensor<{m}x{n}xf32>
  }}
{timing_main(call, m, k, n, a.reps, "")}
}}

{{-#
  dialect_resources: {{
    builtin: {{
{(","+chr(10)).join(blobs)}
    }}
  }}
#-}}
""")
    return 0


if __name__ == "__main__":
    sys.exit(main())

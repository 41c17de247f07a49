#===- gen_matmul_bench.py - qnt.matmul benchmark modules ------------------===#
#
# Writes an MLIR module that times one matmul y[M, N] = x[M, K] * W[N, K]^T
# with mlir-runner (rtclock from libmlir_c_runner_utils):
#
#   --kind=qnt --encoding='#qnt.uniform<...>': W is a qnt.constant with
#       random codes and scales (dense_resource blobs), computed by
#       qnt.matmul -- the generated CPU kernel under --qnt-cpu-pipeline;
#       '#qnt.plain<f32>' (f16, bf16) is quant's fp32 baseline: the same
#       kernel generator on unencoded float weights;
#   --kind=model --encoding=...: the same matmul as a model, the public
#       function @matmul(x) -> y and nothing else, for quant-compile and
#       quant-run (bench/matmul_bench.sh times it that way);
#   --kind=bandwidth --sizes=B1,B2,...: no matmul; streaming f32 sums
#       (eight vector<16xf32> accumulators) over the first B bytes of one
#       buffer, the single-thread read bandwidth for working sets of those
#       sizes (a weight that fits a cache level is read from it, and so is
#       a buffer of the same size).
#
# For --kind=qnt and bandwidth, @main prints one line per repetition: "time <seconds>" ("bw <bytes>
# <seconds>" for --kind=bandwidth).
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
    blobs = [("w_codes", codes), ("w_scales", sbytes)]
    if tensor_scale:
        parts.append("dense<0.5> : tensor<1xf32>")
    return parts, blobs


def uniform_parts(bits, group, scale, asym, n, k):
    """Code, scale (and zero point) bytes of a #qnt.uniform weight: one
    block of 256 random code bytes repeated, scales 0.01 .. 0.016."""
    rng = random.Random(1)
    row_bytes = (k * bits + 7) // 8
    codes = bytes(rng.getrandbits(8) for _ in range(256)) * (n * row_bytes // 256 + 1)
    codes = codes[:n * row_bytes]
    groups = (k + group - 1) // group if group else 1
    nscales = n * groups
    fmt = "<f" if scale == "f32" else "<e"
    sbytes = b"".join(struct.pack(fmt, 0.01 + 0.001 * (i % 7)) for i in range(nscales))
    zbytes = None
    if asym:
        zrow = (groups * bits + 7) // 8
        zbytes = bytes(rng.getrandbits(8) for _ in range(n * zrow))
    return codes, sbytes, zbytes


def uniform_int4_parts(n, k, group):
    """The parts of '#qnt.uniform<i4, per_group(1, group), scale = f16>'
    (gen_ort_matmulnbits.py builds the same weight for ONNX Runtime)."""
    codes, sbytes, _ = uniform_parts(4, group, "f16", False, n, k)
    return codes, sbytes


PLAIN_TYPES = {"f32": "<f4", "f16": "<f2", "bf16": None}


def plain_parts(storage, n, k):
    """A #qnt.plain weight: 4093 distinct values in [-0.5, 0.5) repeated
    (not a splat, so nothing can fold the loads)."""
    import numpy as np
    pattern = np.random.default_rng(1).uniform(-0.5, 0.5, 4093).astype(np.float32)
    values = np.resize(pattern, n * k)
    if storage == "bf16":
        data = (values.view(np.uint32) >> 16).astype("<u2").tobytes()
    else:
        data = values.astype(PLAIN_TYPES[storage]).tobytes()
    return ([f"dense_resource<w_values> : tensor<{n}x{k}x{storage}>"],
            [("w_values", data)])


STREAM_PREFETCH_FLOATS = 512  # 2 KB, what the plain-weight kernel uses


def stream_sum_func(count):
    """@stream_sum(buf, n): sum of the first n (a multiple of 128) floats of
    a memref<count x f32> with eight vector<16xf32> accumulators, each line
    prefetched 2 KB ahead like the kernels' weight streams (without the
    prefetch a plain loop reads slower than the fp32 kernel does)."""
    acc = ", ".join(f"%a{i} = %z" for i in range(8))
    types = ", ".join(["vector<16xf32>"] * 8)
    body = []
    for i in range(8):
        body.append(f"      %i{i} = arith.addi %i, %o{i} : index")
        body.append(f"      %p{i} = arith.addi %i{i}, %pf : index")
        body.append(f"      memref.prefetch %buf[%p{i}], read, locality<3>, data : memref<{count}xf32>")
        body.append(f"      %v{i} = vector.load %buf[%i{i}] : memref<{count}xf32>, vector<16xf32>")
        body.append(f"      %b{i} = arith.addf %a{i}, %v{i} : vector<16xf32>")
    consts = "\n".join(f"    %o{i} = arith.constant {16 * i} : index" for i in range(8))
    consts += f"\n    %pf = arith.constant {STREAM_PREFETCH_FLOATS} : index"
    yields = ", ".join(f"%b{i}" for i in range(8))
    sums = ["    %s0 = arith.addf %r#0, %r#1 : vector<16xf32>"]
    for i in range(2, 8):
        sums.append(f"    %s{i - 1} = arith.addf %s{i - 2}, %r#{i} : vector<16xf32>")
    nl = "\n"
    return f"""  func.func @stream_sum(%buf: memref<{count}xf32>, %cn: index) -> f32 {{
    %c0 = arith.constant 0 : index
    %c128 = arith.constant 128 : index
{consts}
    %z = arith.constant dense<0.0> : vector<16xf32>
    %r:8 = scf.for %i = %c0 to %cn step %c128 iter_args({acc}) -> ({types}) {{
{nl.join(body)}
      scf.yield {yields} : {types}
    }}
{nl.join(sums)}
    %sum = vector.reduction <add>, %s6 : vector<16xf32> into f32
    return %sum : f32
  }}
"""


FLUSH_FLOATS = 64 << 20  # 256 MB, several times any last-level cache


def flush_call(flush):
    """Streams the 256 MB %flush buffer (untimed) so that the next timed
    call starts with cold caches, as a layer of a large model does."""
    if not flush:
        return ""
    return f"""      %fs = func.call @stream_sum(%flush, %nflush) : (memref<{FLUSH_FLOATS}xf32>, index) -> f32
      %fbig = arith.constant 1.0e30 : f32
      %fnever = arith.cmpf ogt, %fs, %fbig : f32
      scf.if %fnever {{
        %fsd = arith.extf %fs : f32 to f64
        func.call @printF64(%fsd) : (f64) -> ()
      }}
"""


def stream_loop(tag, count, floats, reps, label, flush=False):
    """Times `reps` streaming sums over the first `floats` floats of %buf,
    printing "<label> <floats * 4> <seconds>" per repetition."""
    return f"""    %n{tag} = arith.constant {floats} : index
    %reps{tag} = arith.constant {reps} : index
    %bytes{tag} = arith.constant {float(floats * 4)} : f64
    scf.for %i = %c0 to %reps{tag} step %c1 {{
{flush_call(flush)}      %t0 = func.call @rtclock() : () -> f64
      %s = func.call @stream_sum(%buf, %n{tag}) : (memref<{count}xf32>, index) -> f32
      %t1 = func.call @rtclock() : () -> f64
      %dt = arith.subf %t1, %t0 : f64
      func.call @printString({label}) : (!llvm.ptr) -> ()
      func.call @printF64(%bytes{tag}) : (f64) -> ()
      func.call @printString(%space) : (!llvm.ptr) -> ()
      func.call @printF64(%dt) : (f64) -> ()
      func.call @printNewline() : () -> ()
      %sd = arith.extf %s : f32 to f64
      %big = arith.constant 1.0e30 : f64
      %never = arith.cmpf ogt, %sd, %big : f64
      scf.if %never {{
        func.call @printF64(%sd) : (f64) -> ()
      }}
    }}"""


PRINT_DECLS = """  func.func private @rtclock() -> f64
  func.func private @printF64(f64)
  func.func private @printNewline()
  func.func private @printString(!llvm.ptr)
  llvm.mlir.global internal constant @label("time \\00") {addr_space = 0 : i32}
  llvm.mlir.global internal constant @bwlabel("bw \\00") {addr_space = 0 : i32}
  llvm.mlir.global internal constant @space(" \\00") {addr_space = 0 : i32}
"""


def round_floats(size):
    """Floats covering `size` bytes, a multiple of 128."""
    return (size // 4 + 127) // 128 * 128


def write_bandwidth(out, sizes, reps):
    count = max(round_floats(b) for b in sizes)
    loops = []
    for j, size in enumerate(sizes):
        # At least ~0.2 s of streaming per size, and `reps` repetitions.
        n = max(reps, min(200, (200 << 20) // size + 1))
        loops.append(stream_loop(j, count, round_floats(size), n + 1, "%bwlabel"))
    nl = "\n"
    out.write(f"""module {{
{stream_sum_func(count)}
{PRINT_DECLS}
  func.func @main() {{
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %one = arith.constant 1.0 : f32
    %buf = memref.alloc() {{alignment = 64 : i64}} : memref<{count}xf32>
    linalg.fill ins(%one : f32) outs(%buf : memref<{count}xf32>)
    %bwlabel = llvm.mlir.addressof @bwlabel : !llvm.ptr
    %space = llvm.mlir.addressof @space : !llvm.ptr
{nl.join(loops)}
    return
  }}
}}
""")


def timing_main(call, m, k, n, reps, args_decl, weight_bytes, flush):
    """@main: `reps` timed calls ("time <seconds>"), then as many streaming
    sums over a buffer of the weight's size ("bw <bytes> <seconds>"): the
    read bandwidth for the same working set, measured in the same process
    right after the kernel. With `flush`, caches are flushed before every
    timed call (of both)."""
    floats = round_floats(weight_bytes)
    count = max(floats, FLUSH_FLOATS) if flush else floats
    flush_decl = ""
    if flush:
        flush_decl = f"""    %flush = memref.alloc() {{alignment = 64 : i64}} : memref<{count}xf32>
    %nflush = arith.constant {FLUSH_FLOATS} : index
    %onef = arith.constant 1.0 : f32
    linalg.fill ins(%onef : f32) outs(%flush : memref<{count}xf32>)
"""
    return f"""
{stream_sum_func(count)}
{PRINT_DECLS}
  func.func @main() {{
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %reps = arith.constant {reps} : index
    %half = arith.constant 0.5 : f32
    %xe = tensor.empty() : tensor<{m}x{k}xf32>
    %x = linalg.fill ins(%half : f32) outs(%xe : tensor<{m}x{k}xf32>) -> tensor<{m}x{k}xf32>
{args_decl}
    %label = llvm.mlir.addressof @label : !llvm.ptr
    %bwlabel = llvm.mlir.addressof @bwlabel : !llvm.ptr
    %space = llvm.mlir.addressof @space : !llvm.ptr
{flush_decl}    scf.for %i = %c0 to %reps step %c1 {{
{flush_call(flush)}      %t0 = func.call @rtclock() : () -> f64
{call}
      %t1 = func.call @rtclock() : () -> f64
      %dt = arith.subf %t1, %t0 : f64
      func.call @printString(%label) : (!llvm.ptr) -> ()
      func.call @printF64(%dt) : (f64) -> ()
      func.call @printNewline() : () -> ()
    }}
    %one = arith.constant 1.0 : f32
    %buf = memref.alloc() {{alignment = 64 : i64}} : memref<{count}xf32>
    linalg.fill ins(%one : f32) outs(%buf : memref<{count}xf32>)
{stream_loop("w", count, floats, reps, "%bwlabel", flush)}
    return
  }}
"""


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--kind", choices=["qnt", "model", "bandwidth"],
                   required=True)
    p.add_argument("--encoding", default="")
    p.add_argument("--m", type=int, default=1)
    p.add_argument("--k", type=int, default=4096)
    p.add_argument("--n", type=int, default=4096)
    p.add_argument("--reps", type=int, default=20)
    p.add_argument("--warm", action="store_true",
                   help="do not flush caches before each timed call")
    p.add_argument("--sizes", default=str(1 << 30),
                   help="bandwidth: comma-separated buffer sizes in bytes")
    a = p.parse_args()
    m, k, n = a.m, a.k, a.n
    out = sys.stdout
    if a.kind == "bandwidth":
        write_bandwidth(out, [int(b) for b in a.sizes.split(",")], a.reps)
        return 0

    if a.encoding in OTHER_ENCODINGS:
        parts, blobs = other_parts(a.encoding, random.Random(1), n, k)
        return write_qnt(out, a, parts, blobs)
    if a.encoding.startswith("#qnt.plain<"):
        storage = a.encoding[len("#qnt.plain<"):-1]
        parts, blobs = plain_parts(storage, n, k)
        return write_qnt(out, a, parts, blobs)
    bits, group, scale, asym = parse_encoding(a.encoding)
    codes, sbytes, zbytes = uniform_parts(bits, group, scale, asym, n, k)
    row_bytes = (k * bits + 7) // 8
    groups = (k + group - 1) // group if group else 1
    stype = "f32" if scale == "f32" else "f16"
    parts = [f"dense_resource<w_codes> : tensor<{n}x{row_bytes}xi8>",
             f"dense_resource<w_scales> : tensor<{n}x{groups}x{stype}>"]
    blobs = [("w_codes", codes), ("w_scales", sbytes)]
    if asym:
        zrow = (groups * bits + 7) // 8
        parts.append(f"dense_resource<w_zero_points> : tensor<{n}x{zrow}xi8>")
        blobs.append(("w_zero_points", zbytes))
    return write_qnt(out, a, parts, blobs)


def write_qnt(out, a, parts, blobs):
    m, k, n = a.m, a.k, a.n
    wtype = f"tensor<{n}x{k}xf32, {a.encoding}>"
    call = f"""      %y = func.call @kernel(%x) : (tensor<{m}x{k}xf32>) -> tensor<{m}x{n}xf32>"""
    weight_bytes = sum(len(data) for _, data in blobs)
    name = "matmul" if a.kind == "model" else "kernel"
    main = "" if a.kind == "model" else timing_main(
        call, m, k, n, a.reps, "", weight_bytes, not a.warm)
    out.write(f"""module {{
  func.func @{name}(%x: tensor<{m}x{k}xf32>) -> tensor<{m}x{n}xf32> {{
    %w = qnt.constant [{", ".join(parts)}] : {wtype}
    %y = qnt.matmul %x, %w : (tensor<{m}x{k}xf32>, {wtype}) -> tensor<{m}x{n}xf32>
    return %y : tensor<{m}x{n}xf32>
  }}
{main}
}}

{{-#
  dialect_resources: {{
    builtin: {{
""")
    # Written piece by piece: an fp32 weight is hundreds of MB of hex.
    for i, (name, data) in enumerate(blobs):
        out.write(f"      {name}: " + blob(data) + ("," if i + 1 < len(blobs) else "") + "\n")
    out.write("""    }
  }
#-}
""")
    return 0


if __name__ == "__main__":
    sys.exit(main())

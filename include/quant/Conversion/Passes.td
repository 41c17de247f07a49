//===- Passes.td - quant conversion passes -----------------*- tablegen -*-===//

#ifndef QUANT_CONVERSION_PASSES_TD
#define QUANT_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertQntToLinalgPass : Pass<"convert-qnt-to-linalg", "::mlir::ModuleOp"> {
  let summary = "Reference lowering of qnt ops to linalg, tensor and arith";
  let description = [{
    Implements every qnt op literally from the encodings' reference decode:
    encoded tensors become their physical parts (function signatures
    included), `qnt.constant` becomes one constant per part,
    `qnt.dequantize` a `linalg.generic` that decodes each element, and
    `qnt.matmul` a reduction that decodes the weight element inside its body
    (the float weight is never materialized) followed by the epilogue. This
    is the oracle that every backend is checked against.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

def ConvertQntToCPUPass : Pass<"convert-qnt-to-cpu", "::mlir::ModuleOp"> {
  let summary = "Generate SIMD CPU kernels for qnt.matmul with constant weights";
  let description = [{
    Rewrites every `qnt.matmul` whose weight is a 2-D `qnt.constant` with a
    `#qnt.uniform` encoding into a generated kernel on memrefs:

      * at compile time the codes are repacked for the SIMD width: output
        channels are split into tiles of `tile-n` channels, and for every
        tile, K group and 32-bit word position the words of all channels
        are adjacent, each word holding floor(32 / bits) consecutive codes
        along K (symmetric unsigned codes are re-biased to signed ones).
        Scales (f16 when f16 holds every one exactly, else f32) follow each
        group's code words in the same i32 global, so the kernel reads one
        sequential stream; zero points (i32) are tiled the same way in their
        own global; channels past N are padded with zero codes and zero
        scales;
      * the kernel loops over tiles (`scf.forall`), rows, K groups and words;
        one `vector.load` of a word vector yields every lane and each code
        is decoded in registers with shifts, an optional zero point
        subtraction and `arith.sitofp` (codes of at most 4 bits on AVX-512:
        one shift and a 16-entry f32 table lookup, `vpermps`), then
        multiplied into per-group accumulators with `vector.fma`; each
        group's sum is scaled once; the code stream is prefetched
        `prefetch-distance` bytes ahead;
      * bias, activation and residual are applied to the accumulator
        vectors before the (masked) store.

    `#qnt.float` (fp8 e4m3fn / e5m2, fp4 e2m1, MXFP8 / MXFP4 / NVFP4),
    fixed-table `#qnt.lut` (NF4), `#qnt.binary` and `#qnt.ternary` weights
    take the same kernel with unsigned codes and f32 scales that fold every
    scale factor; codes of at most 4 bits are decoded by a 16-entry f32
    table lookup in a register (`vpermps`), fp8 codes by moving their bits
    into an f32 and one multiply.

    `#qnt.plain<f32 | f16 | bf16>` weights (quant's fp32 baseline) are
    repacked in their storage type into tiles of 4 vectors of output
    channels stored K-major; the kernel keeps up to 6 rows x 4 vectors of
    f32 accumulators in registers, widens f16 / bf16 in registers, and with
    several row blocks walks K in blocks that stay in L2.

    The float weight is never materialized. Unsupported matmuls (other
    encodings, non-constant or batched weights) are left to
    `convert-qnt-to-linalg`.
  }];
  let options = [
    Option<"vectorWidth", "vector-width", "int64_t", "16",
           "f32 lanes of a vector (16 for AVX-512, 8 for AVX2)">,
    Option<"tileN", "tile-n", "int64_t", "0",
           "output channels per tile, a multiple of vector-width "
           "(0: two vectors)">,
    Option<"rowBlock", "row-block", "int64_t", "4",
           "lhs rows that share one decode of the weights">,
    Option<"compute", "compute", "std::string", "\"f32\"",
           "arithmetic of the kernels: f32 (decode to f32, FMA) or int8 "
           "(activations quantized per K block to u8 on the fly, weights as "
           "s8, i32 dot products with VNNI vpdpbusd or its AVX2 fallback)">,
    Option<"vnni", "vnni", "bool", "true",
           "int8: use AVX-512 VNNI vpdpbusd (false: AVX2 vpmaddubsw + "
           "vpmaddwd)">,
    Option<"prefetchDistance", "prefetch-distance", "int64_t", "-1",
           "software prefetch distance along the weight codes (plain weights: "
           "the weights) in bytes "
           "(0: none, -1: the tuned default of each compute path)">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::bufferization::BufferizationDialect",
    "::mlir::LLVM::LLVMDialect",
    "::mlir::math::MathDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect"
  ];
}

def ConvertForallToQuantRuntimePass
    : Pass<"convert-forall-to-quant-runtime", "::mlir::ModuleOp"> {
  let summary = "Run bufferized scf.forall loops on libquant_runtime threads";
  let description = [{
    Outlines the body of every outermost 1-D `scf.forall` with static bounds
    (after bufferization) into a function `(i64 lo, i64 hi, !llvm.ptr ctx)`
    and replaces the loop by a call to `quant_rt_parallel_for` with a
    context struct holding the memref descriptors and scalars the body uses.
    The iterations are grouped into `chunks` work items (0: one per
    iteration); the runtime's thread count is set by the host with
    `quant_rt_set_num_threads`. Loops that do not fit are left alone.

    It also turns the generated kernels' intrinsic proxies (calls to private
    declarations marked `qnt.llvm_intrinsic`) into `llvm.call_intrinsic`,
    which must wait until after buffer deallocation.
  }];
  let options = [
    Option<"chunks", "chunks", "int64_t", "0",
           "work items the iterations are grouped into (0: one per "
           "iteration)">,
    Option<"parallel", "parallel", "bool", "true",
           "outline loops (false: only lower the kernels' intrinsic proxies)">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::func::FuncDialect",
    "::mlir::LLVM::LLVMDialect",
    "::mlir::scf::SCFDialect"
  ];
}

def ConvertQuantToQntPass : Pass<"convert-quant-to-qnt", "::mlir::ModuleOp"> {
  let summary = "Convert upstream !quant.uniform types and quant casts to qnt";
  let description = [{
    Rewrites tensors of `!quant.uniform` (per-tensor, per-axis and
    sub-channel) into float tensors with a `#qnt.uniform` encoding,
    `quant.qcast` into `qnt.quantize` with the type's scales and zero points
    as explicit parameters, and `quant.dcast` into `qnt.dequantize`.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::qnt::QntDialect"
  ];
}

def VectorizeLinalgPass
    : Pass<"quant-vectorize-linalg", "::mlir::func::FuncOp"> {
  let summary = "Tile and vectorize the float linalg ops the kernels leave";
  let description = [{
    For the CPU pipeline, on tensors before bufferization: every top-level
    linalg op with static shapes (elementwise, reductions such as softmax and
    RMSNorm statistics, transposes, batch_matmul of attention) is tiled with
    `scf.for` so that its innermost loop becomes one `lanes`-multiple vector
    (contractions: a 4 x 4*lanes register block with a short reduction
    step), each tile is vectorized with the upstream linalg vectorizer, the
    accumulator of a contraction tile is hoisted out of its reduction loop,
    and vector math (exp, tanh, erf, ...) becomes polynomial approximations
    instead of scalar libm calls. Tile sizes divide the loop ranges, so no
    tile is partial. Ops it cannot vectorize are left as they are.
  }];
  let options = [
    Option<"lanes", "lanes", "int64_t", "16",
           "f32 lanes of one hardware vector (16: AVX-512, 8: AVX2)">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::math::MathDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
    "::mlir::vector::VectorDialect"
  ];
}

def LowerStridedCopiesPass
    : Pass<"quant-lower-strided-copies", "::mlir::func::FuncOp"> {
  let summary = "Turn memref.copy between non-contiguous memrefs into "
                "linalg.copy";
  let description = [{
    After bufferization, a copy into or out of a strided view (a padded
    convolution input, a slice) is a `memref.copy` that the LLVM lowering
    turns into a call to `memrefCopy` from MLIR's C runner utilities, which
    compiled models do not link. This pass rewrites those copies as
    `linalg.copy`, which becomes plain loops; copies between contiguous
    memrefs stay (they become `llvm.memcpy`).
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def MergeAllocationsPass
    : Pass<"quant-merge-allocations", "::mlir::func::FuncOp"> {
  let summary = "Carve the statically shaped buffers of a function out of "
                "one workspace allocation";
  let description = [{
    After bufferization and deallocation, a compiled model allocates every
    intermediate buffer with its own `memref.alloc` and frees them all at
    the end of the call. With glibc, a set of medium-sized buffers that is
    freed together shrinks the heap (the top of the heap passes the trim
    threshold), so every call faults the same pages back in; inside a VM a
    page fault costs microseconds and the faults cost as much as the
    compute of a small model. This pass gives the function one 64-byte
    aligned `i8` workspace, allocated on entry and freed before the return,
    and turns every `memref.alloc` of the entry block that has a static
    shape, an identity layout, a byte-sized element type and exactly one
    `memref.dealloc`, also in the entry block, into a `memref.view` at a
    fixed offset of it. One large allocation raises glibc's mmap and trim
    thresholds on its first free and is then reused call after call. Every
    buffer keeps its own bytes (no two share an offset), so the only change
    is that a buffer lives until the return instead of its dealloc.
  }];
}

#endif // QUANT_CONVERSION_PASSES_TD

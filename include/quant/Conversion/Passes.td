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
        Scales (f32) and zero points (i32) are tiled the same way; channels
        past N are padded with zero codes and zero scales;
      * the kernel loops over tiles (`scf.forall`), rows, K groups and words;
        one `vector.load` of a word vector yields every lane and each code
        is decoded in registers with shifts, an optional zero point
        subtraction and `arith.sitofp`, then multiplied into per-group
        accumulators with `vector.fma`; each group's sum is scaled once;
      * bias, activation and residual are applied to the accumulator
        vectors before the (masked) store.

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
           "lhs rows that share one decode of the weights">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::bufferization::BufferizationDialect",
    "::mlir::math::MathDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect"
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

#endif // QUANT_CONVERSION_PASSES_TD

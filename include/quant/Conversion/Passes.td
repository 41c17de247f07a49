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

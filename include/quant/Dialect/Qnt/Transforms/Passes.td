//===- Passes.td - qnt transformation passes ---------------*- tablegen -*-===//

#ifndef QNT_TRANSFORMS_PASSES_TD
#define QNT_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def QntFoldConstantQuantizePass
    : Pass<"qnt-fold-constant-quantize", "::mlir::ModuleOp"> {
  let summary = "Encode constant weights at compile time into qnt.constant";
  let description = [{
    Replaces `qnt.quantize` of a float constant by a `qnt.constant` whose
    parts are produced by the encoding's C++ reference encoder and stored as
    `dense_resource` blobs (small parts stay inline `dense` attributes).
  }];
  let options = [
    Option<"inlineLimit", "inline-limit", "int64_t", "64",
           "parts with at most this many bytes stay inline dense attributes">
  ];
  let dependentDialects = ["::mlir::qnt::QntDialect"];
}

def QntFuseMatmulPass
    : InterfacePass<"qnt-fuse-matmul", "::mlir::FunctionOpInterface"> {
  let summary = "Fuse dequantize + matmul + bias + activation into qnt.matmul";
  let description = [{
    Matches a `linalg.matmul` / `linalg.batch_matmul` whose weight operand is
    (a transpose of) `qnt.dequantize` of an encoded tensor, followed by an
    optional bias add, activation (relu, gelu, silu) and residual add, and
    replaces the chain with one `qnt.matmul`, so that the weights are decoded
    inside the kernel.
  }];
  let dependentDialects = ["::mlir::qnt::QntDialect"];
  let options = [
    Option<"report", "report", "bool", "false",
           "emit a remark per function with the kernel count before and "
           "after, and the bytes that no longer go through memory">
  ];
}

#endif // QNT_TRANSFORMS_PASSES_TD

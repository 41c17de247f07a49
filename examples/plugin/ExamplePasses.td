//===- ExamplePasses.td - passes of the example plugin -----*- tablegen -*-===//
//
// A user's own pass over qnt IR, declared the same way quant's passes are.
//
//===----------------------------------------------------------------------===//

#ifndef QNT_EXAMPLE_PASSES_TD
#define QNT_EXAMPLE_PASSES_TD

include "mlir/Pass/PassBase.td"

def QntExampleCountEncodedPass
    : Pass<"qnt-example-count-encoded", "::mlir::ModuleOp"> {
  let summary = "Count encoded tensors and the bits per weight of constants";
  let description = [{
    Annotates every `qnt.constant` with `qnt.example.bits` (its exact stored
    bits, metadata included) and `qnt.example.bits_per_weight`, and the
    module with `qnt.example.encoded_tensors` (the number of SSA values,
    block arguments included, whose type carries a `#qnt` encoding) and
    `qnt.example.constant_bits` (the sum over constants). With `remarks`,
    it also emits one remark per constant.
  }];
  let options = [
    Option<"remarks", "remarks", "bool", "false",
           "emit a remark with the bits per weight of every qnt.constant">
  ];
  let dependentDialects = ["::mlir::qnt::QntDialect"];
}

#endif // QNT_EXAMPLE_PASSES_TD

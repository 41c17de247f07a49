//===- QntBase.td - qnt dialect base definitions -----------*- tablegen -*-===//
//
// The qnt dialect: compressed tensors (low-bit, minifloat, codebook, sparse and
// composite encodings) as encoding attributes on ordinary ranked tensors.
//
//===----------------------------------------------------------------------===//

#ifndef QNT_BASE_TD
#define QNT_BASE_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"

def Qnt_Dialect : Dialect {
  let name = "qnt";
  let cppNamespace = "::mlir::qnt";
  let summary = "Compressed neural-network tensors and the ops that use them";
  let description = [{
    A compressed tensor keeps its logical type (`tensor<4096x4096xf32>`) and
    carries a `#qnt.*` encoding attribute that says how it is stored: packed
    integer codes with scales, minifloats with block scales, lookup tables,
    vector codebooks, binary/ternary signs, N:M or unstructured sparsity, and
    composites (dense + sparse outliers, base + low-rank, permuted channels).

    Every encoding implements `EncodingAttrInterface`, which names its physical
    parts, counts its exact bits per weight and defines the reference decode
    that all lowerings and kernels are checked against.
  }];
  let useDefaultAttributePrinterParser = 1;
  let hasConstantMaterializer = 1;
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::tensor::TensorDialect"
  ];
  let extraClassDeclaration = [{
    void registerAttributes();
  }];
}

class Qnt_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<Qnt_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

class Qnt_Op<string mnemonic, list<Trait> traits = []>
    : Op<Qnt_Dialect, mnemonic, traits>;

#endif // QNT_BASE_TD

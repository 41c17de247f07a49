//===- QntInterfaces.td - qnt encoding interface -----------*- tablegen -*-===//

#ifndef QNT_INTERFACES_TD
#define QNT_INTERFACES_TD

include "mlir/IR/OpBase.td"

def Qnt_EncodingAttrInterface : AttrInterface<"EncodingAttrInterface"> {
  let cppNamespace = "::mlir::qnt";
  let description = [{
    Implemented by every `#qnt.*` tensor encoding. It answers, for a logical
    tensor shape:
      * the physical parts (packed codes, scales, zero points, tables,
        indices, sparsity metadata, factors, permutation), each a plain
        tensor with a name, a static shape and an element type;
      * the exact number of stored bits, metadata included;
      * the reference encode and decode in C++ (bytes of every part), which
        is the single source of truth for packers, lowerings and kernels;
      * the same decode of one element as IR (for the reference lowering).

    Parts are stored little-endian and row-major. Sub-byte codes are packed
    LSB-first along the innermost dimension and every innermost row starts
    on a byte boundary; sub-16-bit floats (fp8/fp6/fp4/e8m0) are stored as
    their raw bits in `i8` parts so that lowering never needs LLVM types for
    them.
  }];

  let methods = [
    InterfaceMethod<"The physical parts of a tensor of the given shape.",
      "::llvm::SmallVector<::mlir::qnt::PartInfo>", "getParts",
      (ins "::llvm::ArrayRef<int64_t>":$shape)>,
    InterfaceMethod<[{
        Exact number of stored bits for a tensor of the given shape: codes at
        their bit width plus every scale, zero point, table, index and factor
        (row padding of packed parts is not counted).
      }],
      "uint64_t", "getStorageBits",
      (ins "::llvm::ArrayRef<int64_t>":$shape)>,
    InterfaceMethod<[{
        Number of leading parts that hold per-element data; the remaining
        parts are parameters (scales, zero points, tables) that
        `qnt.quantize` may take as operands instead of deriving them.
      }],
      "unsigned", "getNumCodeParts",
      (ins "::llvm::ArrayRef<int64_t>":$shape), "",
      [{ return $_attr.getParts(shape).size(); }]>,
    InterfaceMethod<[{
        Reference encode (round-to-nearest with min-max / absmax parameters,
        round half to even, saturate): float values in row-major order to
        the bytes of every part. `params`, when not empty, holds the bytes of
        the parameter parts (see getNumCodeParts) to use instead of deriving
        them from the data.
      }],
      "::llvm::LogicalResult", "referenceEncode",
      (ins "::llvm::ArrayRef<int64_t>":$shape,
           "::llvm::ArrayRef<float>":$values,
           "::llvm::ArrayRef<::llvm::ArrayRef<uint8_t>>":$params,
           "::mlir::qnt::PartsData &":$result,
           "::llvm::function_ref<::mlir::InFlightDiagnostic()>":$emitError)>,
    InterfaceMethod<[{
        Reference decode of the whole tensor from the bytes of every part
        into `out` (row-major, f32).
      }],
      "::llvm::LogicalResult", "referenceDecode",
      (ins "::llvm::ArrayRef<int64_t>":$shape,
           "::llvm::ArrayRef<::llvm::ArrayRef<uint8_t>>":$parts,
           "::llvm::MutableArrayRef<float>":$out,
           "::llvm::function_ref<::mlir::InFlightDiagnostic()>":$emitError)>,
    InterfaceMethod<[{
        Emits scalar IR that decodes the element at `indices` to f32, reading
        the physical parts (ranked tensors, in getParts order) with
        tensor.extract. This is the reference decode as IR.
      }],
      "::mlir::Value", "buildDecodeElement",
      (ins "::mlir::OpBuilder &":$builder, "::mlir::Location":$loc,
           "::llvm::ArrayRef<int64_t>":$shape,
           "::mlir::ValueRange":$parts, "::mlir::ValueRange":$indices)>,
    InterfaceMethod<[{
        Emits IR that encodes the f32 tensor `input` of the given shape into
        its physical parts, with the same semantics as referenceEncode.
        `params` is empty or holds the parameter parts. Fails (with a
        diagnostic at `loc`) for encodings whose encode has no IR form.
      }],
      "::mlir::FailureOr<::llvm::SmallVector<::mlir::Value>>", "buildEncode",
      (ins "::mlir::OpBuilder &":$builder, "::mlir::Location":$loc,
           "::llvm::ArrayRef<int64_t>":$shape, "::mlir::Value":$input,
           "::mlir::ValueRange":$params)>,
  ];

  let extraClassDeclaration = [{
    /// Stored bits divided by the number of logical elements.
    double getBitsPerWeight(::llvm::ArrayRef<int64_t> shape) {
      int64_t numElements = 1;
      for (int64_t d : shape)
        numElements *= d;
      return numElements == 0 ? 0.0
                              : double(getStorageBits(shape)) / numElements;
    }
  }];
}

#endif // QNT_INTERFACES_TD

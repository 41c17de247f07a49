//===- QntOps.h - qnt dialect operations ------------------------*- C++ -*-===//

#ifndef QUANT_DIALECT_QNT_IR_QNTOPS_H
#define QUANT_DIALECT_QNT_IR_QNTOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "quant/Dialect/Qnt/IR/QntAttrs.h"
#include "quant/Dialect/Qnt/IR/QntDialect.h"

#define GET_OP_CLASSES
#include "quant/Dialect/Qnt/IR/QntOps.h.inc"

#include <vector>

namespace mlir {
class OpBuilder;
namespace qnt {

/// The epilogue activation of qnt.matmul on an f32 scalar or vector, in the
/// one operation order every lowering uses (no FMA), so that the reference
/// lowering and the kernels agree bit for bit.
Value buildActivation(OpBuilder &builder, Location loc, Activation activation,
                      Value value);

/// Little-endian row-major bytes of a dense or dense_resource constant, as
/// physical parts are stored (a splat is expanded). Fails for element types
/// whose storage is not whole bytes and for blobs of the wrong size.
FailureOr<std::vector<uint8_t>> getConstantBytes(ElementsAttr attr);

/// The values of a qnt.constant of #qnt.plain encoding (f32, f16 or bf16
/// storage, one part), widened to f32 in row-major order. Fails for other
/// encodings and unreadable parts.
FailureOr<std::vector<float>> getPlainConstantValues(ConstantOp constant);

/// The attribute holding the bytes of `part`: an inline dense constant when
/// at most `inlineLimit` bytes, else a dense_resource blob named `blobName`
/// (made unique by the blob manager), aligned to the element size.
ElementsAttr buildPartAttr(const PartInfo &part, ArrayRef<uint8_t> bytes,
                           int64_t inlineLimit, StringRef blobName);

} // namespace qnt
} // namespace mlir

#endif // QUANT_DIALECT_QNT_IR_QNTOPS_H

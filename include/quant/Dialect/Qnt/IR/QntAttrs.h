//===- QntAttrs.h - qnt tensor encodings ------------------------*- C++ -*-===//

#ifndef QUANT_DIALECT_QNT_IR_QNTATTRS_H
#define QUANT_DIALECT_QNT_IR_QNTATTRS_H

#include "mlir/IR/Attributes.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectImplementation.h"
#include "mlir/IR/TensorEncoding.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/SmallVector.h"

#include <string>
#include <vector>

namespace mlir {
class OpBuilder;
class Value;
class ValueRange;

namespace qnt {

/// How scales, zero points or tables are shared across a tensor.
struct Granularity {
  enum class Kind { Tensor, Channel, Group, Block };

  Kind kind = Kind::Tensor;
  /// Axis for Channel and Group; -1 means the innermost axis.
  int64_t axis = 0;
  /// Elements per group along `axis` (Group only).
  int64_t groupSize = 0;
  /// Block extent per dimension (Block only).
  SmallVector<int64_t> block;

  static Granularity perTensor() { return {}; }
  static Granularity perChannel(int64_t axis) {
    return {Kind::Channel, axis, 0, {}};
  }
  static Granularity perGroup(int64_t axis, int64_t size) {
    return {Kind::Group, axis, size, {}};
  }
  static Granularity blocked(ArrayRef<int64_t> block) {
    return {Kind::Block, 0, 0, SmallVector<int64_t>(block)};
  }

  /// The block of elements that shares one parameter, for a tensor of
  /// `shape`. Requires verify() to have succeeded for that shape.
  SmallVector<int64_t> getBlockShape(ArrayRef<int64_t> shape) const;
  /// ceil(shape / blockShape): the shape of the scale (or table) part.
  SmallVector<int64_t> getParamShape(ArrayRef<int64_t> shape) const;
  /// Checks the granularity against a tensor shape.
  LogicalResult verify(ArrayRef<int64_t> shape,
                       function_ref<InFlightDiagnostic()> emitError) const;
  /// Checks what does not depend on a shape (positive sizes...).
  LogicalResult verify(function_ref<InFlightDiagnostic()> emitError) const;

  bool operator==(const Granularity &other) const {
    return kind == other.kind && axis == other.axis &&
           groupSize == other.groupSize && block == other.block;
  }
};

llvm::hash_code hash_value(const Granularity &granularity);
/// Prints `per_tensor`, `per_channel(0)`, `per_group(1, 128)`, `block(32, 32)`.
raw_ostream &operator<<(raw_ostream &os, const Granularity &granularity);
AsmPrinter &operator<<(AsmPrinter &printer, const Granularity &granularity);
/// Parses the forms printed by operator<<.
FailureOr<Granularity> parseGranularity(AsmParser &parser);

/// One physical part of an encoded tensor.
struct PartInfo {
  std::string name;
  SmallVector<int64_t> shape;
  Type elementType;

  int64_t getNumElements() const;
  /// Bytes this part occupies (element bytes times elements).
  int64_t getNumBytes() const;
  RankedTensorType getTensorType() const {
    return RankedTensorType::get(shape, elementType);
  }
};

/// The bytes of every physical part, in getParts order.
using PartsData = SmallVector<std::vector<uint8_t>>;

} // namespace qnt
} // namespace mlir

#include "quant/Dialect/Qnt/IR/QntEnums.h.inc"
#include "quant/Dialect/Qnt/IR/QntInterfaces.h.inc"

#define GET_ATTRDEF_CLASSES
#include "quant/Dialect/Qnt/IR/QntAttrs.h.inc"

namespace mlir {
namespace qnt {
/// The qnt encoding of `type`, or null.
EncodingAttrInterface getEncoding(Type type);
} // namespace qnt
} // namespace mlir

#endif // QUANT_DIALECT_QNT_IR_QNTATTRS_H

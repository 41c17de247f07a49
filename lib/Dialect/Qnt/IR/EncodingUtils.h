//===- EncodingUtils.h - helpers shared by the encodings --------*- C++ -*-===//
//
// Internal to the qnt dialect library: shapes of packed parts, stored bit
// widths and the mapping from MLIR float types to minifloat kinds.
//
//===----------------------------------------------------------------------===//

#ifndef QUANT_LIB_DIALECT_QNT_IR_ENCODINGUTILS_H
#define QUANT_LIB_DIALECT_QNT_IR_ENCODINGUTILS_H

#include "quant/Dialect/Qnt/IR/QntAttrs.h"
#include "quant/Support/Minifloat.h"

#include <optional>

namespace mlir {
namespace qnt {

/// Product of the dimensions.
int64_t getNumElements(ArrayRef<int64_t> shape);
/// Product of all but the innermost dimension (1 for rank 1).
int64_t getNumRows(ArrayRef<int64_t> shape);

/// `shape` with the innermost extent replaced by the bytes that `bits`-bit
/// codes of one row occupy.
SmallVector<int64_t> getPackedShape(ArrayRef<int64_t> shape, unsigned bits);

/// Bits one stored element of `type` occupies (f8 scales count 8).
unsigned getStoredBitWidth(Type type);
/// The element type of the part that stores values of `type`: fp8/fp6/fp4
/// and e8m0 are stored as raw bits in i8, everything else as itself.
Type getStoredPartType(Type type);

/// The minifloat kind of an MLIR float type, if it is one of ours.
std::optional<MinifloatKind> getMinifloatKind(Type type);

/// Whether `type` may be a plain scale (f32, f16, bf16).
bool isPlainScaleType(Type type);

/// Appends `parts` to `result`, each name prefixed with `prefix` and a dot.
void appendPrefixedParts(SmallVectorImpl<PartInfo> &result, StringRef prefix,
                         ArrayRef<PartInfo> parts);

/// The value encoding of a sparse attribute, or null for plain values.
EncodingAttrInterface getSparseValueEncoding(SparseAttr attr);
/// The float type of plain sparse values (f32 unless given).
Type getSparsePlainValueType(SparseAttr attr);
/// The shape the kept values of a sparse encoding have.
SmallVector<int64_t> getSparseValueShape(SparseAttr attr,
                                         ArrayRef<int64_t> shape);
/// Bits of one N:M position index.
unsigned getSparsePositionBits(SparseAttr attr);
/// The effective (non-negative) axis of an N:M encoding for a given rank.
int64_t getSparseAxis(SparseAttr attr, int64_t rank);

} // namespace qnt
} // namespace mlir

#endif // QUANT_LIB_DIALECT_QNT_IR_ENCODINGUTILS_H

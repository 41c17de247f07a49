//===- ReferenceUtils.h - helpers of the reference codecs -------*- C++ -*-===//
//
// Internal to the qnt dialect library: validation of part bytes, reading and
// writing stored scalars, packed code rows and the element -> parameter block
// mapping shared by the reference encoders and decoders.
//
//===----------------------------------------------------------------------===//

#ifndef QUANT_LIB_DIALECT_QNT_IR_REFERENCEUTILS_H
#define QUANT_LIB_DIALECT_QNT_IR_REFERENCEUTILS_H

#include "EncodingUtils.h"

#include <vector>

namespace mlir {
namespace qnt {
namespace reference {

using EmitErrorFn = function_ref<InFlightDiagnostic()>;

/// Checks that `shape` is static with rank >= 1.
LogicalResult checkShape(ArrayRef<int64_t> shape, EmitErrorFn emitError);
/// Checks that there is one value per element of `shape`.
LogicalResult checkValueCount(ArrayRef<int64_t> shape, ArrayRef<float> values,
                              EmitErrorFn emitError);
/// Checks the number of parts and the byte size of each against `infos`.
/// `what` names the list in the diagnostic ("parts", "parameter parts").
LogicalResult checkParts(ArrayRef<PartInfo> infos,
                         ArrayRef<ArrayRef<uint8_t>> parts,
                         EmitErrorFn emitError, StringRef what = "parts");
/// Checks that `out` has one slot per element of `shape`.
LogicalResult checkOutputCount(ArrayRef<int64_t> shape, size_t size,
                               EmitErrorFn emitError);
/// Fails for composites, which derive everything from the data.
LogicalResult checkNoParams(ArrayRef<ArrayRef<uint8_t>> params,
                            EmitErrorFn emitError);

/// Resizes `result` to one zeroed byte vector per part.
void allocateParts(ArrayRef<PartInfo> infos, PartsData &result);
/// Views of the bytes of `data`.
SmallVector<ArrayRef<uint8_t>> getPartRefs(const PartsData &data);

/// One stored scalar element: f32, f16, bf16, or an 8-bit minifloat kept as
/// raw bits (e8m0 and e4m3 scales).
class ScalarFormat {
public:
  /// Fails for element types that cannot hold a scale/table/factor.
  static FailureOr<ScalarFormat> get(Type type, EmitErrorFn emitError,
                                     StringRef what);

  unsigned getNumBytes() const { return numBytes; }
  bool isMinifloat() const { return kind == Kind::Minifloat; }
  MinifloatKind getMinifloatKind() const { return minifloat; }

  float read(const uint8_t *data, int64_t index) const;
  void write(uint8_t *data, int64_t index, float value) const;
  /// `value` rounded to this format (what read(write(value)) gives).
  float round(float value) const;
  /// Reads `count` scalars.
  std::vector<float> readAll(ArrayRef<uint8_t> data, int64_t count) const;

private:
  enum class Kind { F32, F16, BF16, Minifloat };
  Kind kind = Kind::F32;
  MinifloatKind minifloat = MinifloatKind::E4M3FN;
  unsigned numBytes = 4;
};

/// Reads / writes little-endian 32-bit integers and f32.
int32_t readI32(const uint8_t *data, int64_t index);
void writeI32(uint8_t *data, int64_t index, int32_t value);
std::vector<int32_t> readAllI32(ArrayRef<uint8_t> data, int64_t count);

/// Unpacks all codes of a packed part whose logical shape is `shape`.
std::vector<int32_t> unpackAll(ArrayRef<uint8_t> data, ArrayRef<int64_t> shape,
                               unsigned bits, bool isSigned);
/// Packs `codes` (row-major over `shape`) into `out`.
void packAll(ArrayRef<int32_t> codes, ArrayRef<int64_t> shape, unsigned bits,
             std::vector<uint8_t> &out);

/// Maps elements of a tensor to the row-major index of the parameter block
/// that holds them. Innermost offsets are precomputed, so the per-element
/// cost is one add.
class BlockIndexer {
public:
  BlockIndexer(ArrayRef<int64_t> shape, ArrayRef<int64_t> blockShape);

  int64_t getNumRows() const { return numRows; }
  int64_t getNumCols() const { return numCols; }
  int64_t getNumParams() const { return numParams; }
  ArrayRef<int64_t> getParamShape() const { return paramShape; }
  /// Parameter index of the first element of `row`.
  int64_t getRowBase(int64_t row) const;
  /// Parameter offset of innermost index `col` (added to the row base).
  int64_t getColOffset(int64_t col) const { return colOffsets[col]; }
  /// Number of elements of every block (partial blocks hold fewer).
  std::vector<int64_t> getBlockCounts() const;

private:
  SmallVector<int64_t> shape, blockShape, paramShape, paramStrides;
  std::vector<int64_t> colOffsets;
  int64_t numRows, numCols, numParams;
};

/// Per-block statistics of `values`: largest magnitude, min and max (NaNs
/// are ignored), and the f32 sum of magnitudes accumulated in row-major
/// order.
struct BlockStats {
  std::vector<float> absMax, min, max, absSum;
  std::vector<int64_t> count;
};
BlockStats computeBlockStats(const BlockIndexer &indexer,
                             ArrayRef<float> values);

/// Indices of the `count` largest magnitudes of `values` that are not zero
/// (ties: lower index first; NaN ranks as infinite), returned in increasing
/// index order.
std::vector<int64_t> selectLargest(ArrayRef<float> values, int64_t count);

} // namespace reference
} // namespace qnt
} // namespace mlir

#endif // QUANT_LIB_DIALECT_QNT_IR_REFERENCEUTILS_H

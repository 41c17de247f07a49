//===- NonUniformWeights.h - CPU kernels for non-integer codes --*- C++ -*-===//
//
// Minifloat (fp8, fp4, MXFP4/MXFP8, NVFP4), fixed-table lookup (NF4),
// binary and ternary weights for the generated CPU kernels (QntToCPU.h).
// They use the tiled word layout of WeightRepacking.h with unsigned codes,
// no zero points and f32 scales that already include every factor of the
// encoding (block scale, tensor scale); only the decode of one code differs:
//
//   * table: codes of at most 4 bits index a 16-entry f32 table held in a
//     register (narrower codes' tables repeat, so only the low 4 bits of a
//     shifted word matter): fp4 e2m1, fixed-table lut, binary (-1, +1) and
//     ternary (0, +1, -2, -1);
//   * fp8: the bits of an e4m3fn / e5m2 code are moved into the exponent
//     and mantissa fields of an f32 and multiplied by 2^(127 - bias), which
//     is exact for normal and subnormal codes; NaN / Inf codes are fixed up
//     only when the weight contains some.
//
//===----------------------------------------------------------------------===//

#ifndef QUANT_CONVERSION_QNTTOCPU_NONUNIFORMWEIGHTS_H
#define QUANT_CONVERSION_QNTTOCPU_NONUNIFORMWEIGHTS_H

#include "quant/Conversion/QntToCPU/WeightRepacking.h"

#include "mlir/IR/Value.h"

#include <array>
#include <string>

namespace mlir {
class OpBuilder;
class VectorType;
namespace qnt {

/// How one code becomes its unscaled f32 value.
struct CodeDecode {
  enum class Kind { Table, E4M3FN, E5M2 };
  Kind kind = Kind::Table;
  /// Table: value of the low 4 bits of a shifted word.
  std::array<float, 16> table{};
  /// Table: code bits the table depends on (it repeats every 2^tableBits).
  unsigned tableBits = 4;
  /// E4M3FN / E5M2: whether some code of the weight is NaN or Inf.
  bool hasSpecialCodes = false;
  /// The module that receives helper functions (table lookups call x86
  /// intrinsics through them); set before emitCodeDecode.
  Operation *module = nullptr;
};

/// Whether `encoding` (not #qnt.uniform) on a weight of `shape` can take
/// the generated CPU kernel; on failure `reason` says why.
bool canRepackNonUniformForCpu(Attribute encoding, ArrayRef<int64_t> shape,
                               std::string &reason);

/// Repacks the bytes of the encoding's parts (getParts order) into the
/// layout of WeightRepacking.h and sets `decode`. Fails when a part has the
/// wrong size.
FailureOr<RepackedWeight>
repackNonUniformForCpu(Attribute encoding, ArrayRef<int64_t> shape,
                       int64_t tileN, ArrayRef<ArrayRef<uint8_t>> parts,
                       CodeDecode &decode);

/// The unscaled f32 values of code `slot` of every lane of `word` (an i32
/// vector of `floatType`'s shape).
Value emitCodeDecode(OpBuilder &b, Location loc, const CodeDecode &decode,
                     const RepackedLayout &layout, Value word, int64_t slot,
                     VectorType floatType);

} // namespace qnt
} // namespace mlir

#endif // QUANT_CONVERSION_QNTTOCPU_NONUNIFORMWEIGHTS_H

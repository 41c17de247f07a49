//===- Lookup.h - Lookup tables and nearest-value search --------*- C++ -*-===//
//
// Fixed value tables of the lookup-table encodings and the nearest-entry
// search used by their packers.
//
// This library is plain C++ with no MLIR or LLVM dependency.
//
//===----------------------------------------------------------------------===//

#ifndef QUANT_SUPPORT_LOOKUP_H
#define QUANT_SUPPORT_LOOKUP_H

#include <cstdint>

namespace mlir {
namespace qnt {

/// The QLoRA NormalFloat4 table, as in bitsandbytes, sorted ascending.
extern const float kNF4Values[16];

/// Index of the entry of `table` nearest to `x`, comparing exact distances.
/// Ties go to the lowest index. The table need not be sorted; NaN entries are
/// never chosen. For x = +inf (-inf) the largest (smallest) entry is chosen.
/// Returns 0 when `x` is NaN or every entry is NaN, and -1 when size <= 0.
int32_t nearestIndex(const float *table, int64_t size, float x);

} // namespace qnt
} // namespace mlir

#endif // QUANT_SUPPORT_LOOKUP_H

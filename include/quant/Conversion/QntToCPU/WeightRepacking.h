//===- WeightRepacking.h - CPU weight layout --------------------*- C++ -*-===//
//
// The layout the generated CPU kernels read (see convert-qnt-to-cpu): a
// `#qnt.uniform` weight [N, K] is split into tiles of `tileN` output
// channels; inside a tile, for every K group and every 32-bit word position,
// the words of the tileN channels are adjacent, so one vector load fetches
// a word for every lane. Word `w` of group `g` holds codes
// k = g * groupSize + w * codesPerWord + j, j = 0 .. codesPerWord - 1, code
// `j` in bits [j * bits, (j + 1) * bits). Symmetric codes are stored signed
// (unsigned storage is re-biased by its implicit zero point); asymmetric
// codes keep their storage signedness and come with zero points. Channels
// past N have zero codes, zero scales and zero zero points.
//
//===----------------------------------------------------------------------===//

#ifndef QUANT_CONVERSION_QNTTOCPU_WEIGHTREPACKING_H
#define QUANT_CONVERSION_QNTTOCPU_WEIGHTREPACKING_H

#include "quant/Dialect/Qnt/IR/QntAttrs.h"

#include <cstdint>
#include <optional>
#include <vector>

namespace mlir {
namespace qnt {

/// The static shape of a repacked weight.
struct RepackedLayout {
  int64_t n = 0, k = 0;
  /// Output channels per tile (a multiple of the vector width).
  int64_t tileN = 0;
  int64_t numTiles = 0;
  unsigned bits = 0;
  /// Whether stored codes are sign-extended when decoded.
  bool signedCodes = true;
  bool hasZeroPoints = false;
  int64_t codesPerWord = 0;
  /// Consecutive K elements sharing one scale; K for per-channel scales.
  int64_t groupSize = 0;
  int64_t numGroups = 0;
  /// Words per group (the last group may use fewer).
  int64_t wordsPerGroup = 0;

  /// Shapes of the repacked parts: codes [T, G, W, tileN] (i32), scales and
  /// zero points [T, G, tileN] (f32, i32).
  SmallVector<int64_t> getCodesShape() const {
    return {numTiles, numGroups, wordsPerGroup, tileN};
  }
  SmallVector<int64_t> getParamsShape() const {
    return {numTiles, numGroups, tileN};
  }
};

/// The repacked weight.
struct RepackedWeight {
  RepackedLayout layout;
  std::vector<int32_t> codes;
  std::vector<float> scales;
  /// Empty unless layout.hasZeroPoints.
  std::vector<int32_t> zeroPoints;
};

/// Whether a weight of `shape` with encoding `encoding` can be repacked for
/// the CPU kernels; on failure `reason` says why.
bool canRepackForCpu(UniformAttr encoding, ArrayRef<int64_t> shape,
                     std::string &reason);

/// Computes the layout of a repacked weight (canRepackForCpu must hold).
RepackedLayout getRepackedLayout(UniformAttr encoding, ArrayRef<int64_t> shape,
                                 int64_t tileN);

/// Repacks the bytes of the encoding's parts (getParts order). Fails when a
/// part has the wrong size.
FailureOr<RepackedWeight> repackForCpu(UniformAttr encoding,
                                       ArrayRef<int64_t> shape, int64_t tileN,
                                       ArrayRef<ArrayRef<uint8_t>> parts);

/// The f16 bits of `scales` when every one converts to f16 exactly.
std::optional<std::vector<uint16_t>> getExactF16Scales(ArrayRef<float> scales);

} // namespace qnt
} // namespace mlir

#endif // QUANT_CONVERSION_QNTTOCPU_WEIGHTREPACKING_H

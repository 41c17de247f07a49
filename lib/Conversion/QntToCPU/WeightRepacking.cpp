//===- WeightRepacking.cpp - compile-time weight layout for CPU kernels ---===//
//
// Decodes the stored parts of a #qnt.uniform weight (packed codes, scales or
// double-quantized scales, zero points) and writes them in the tiled layout
// of WeightRepacking.h. Scales are computed in f32 exactly as the reference
// decode computes them (docs/Encodings.md).
//
//===----------------------------------------------------------------------===//

#include "quant/Conversion/QntToCPU/WeightRepacking.h"

#include "quant/Support/BitPacking.h"
#include "quant/Support/Rounding.h"

#include "llvm/Support/MathExtras.h"

#include <cstring>

using namespace mlir;
using namespace mlir::qnt;

bool mlir::qnt::canRepackForCpu(UniformAttr encoding, ArrayRef<int64_t> shape,
                                std::string &reason) {
  if (shape.size() != 2) {
    reason = "weight is not 2-D";
    return false;
  }
  unsigned bits = encoding.getBits();
  if (bits < 2 || bits > 8) {
    reason = "storage must have 2 to 8 bits";
    return false;
  }
  if (!encoding.isDoubleQuantized() &&
      !(encoding.getScaleType().isF32() || encoding.getScaleType().isF16() ||
        encoding.getScaleType().isBF16())) {
    reason = "scale type must be f32, f16 or bf16";
    return false;
  }
  SmallVector<int64_t> block = encoding.getGranularity().getBlockShape(shape);
  int64_t groupSize = std::min(block[1], shape[1]);
  // A group shorter than a word would waste most of every word.
  if (groupSize < shape[1] && groupSize < int64_t(32 / bits)) {
    reason = "groups along K are shorter than one 32-bit word of codes";
    return false;
  }
  return true;
}

RepackedLayout mlir::qnt::getRepackedLayout(UniformAttr encoding,
                                            ArrayRef<int64_t> shape,
                                            int64_t tileN) {
  RepackedLayout layout;
  layout.n = shape[0];
  layout.k = shape[1];
  layout.tileN = tileN;
  layout.numTiles = llvm::divideCeil(layout.n, tileN);
  layout.bits = encoding.getBits();
  layout.hasZeroPoints = !encoding.getSymmetric();
  layout.signedCodes = encoding.getSymmetric() || encoding.isSigned();
  layout.codesPerWord = 32 / layout.bits;
  SmallVector<int64_t> block = encoding.getGranularity().getBlockShape(shape);
  layout.groupSize = std::min(block[1], layout.k);
  layout.numGroups = llvm::divideCeil(layout.k, layout.groupSize);
  layout.wordsPerGroup =
      llvm::divideCeil(layout.groupSize, layout.codesPerWord);
  return layout;
}

/// Reads `count` scales of a plain scale type (little-endian bytes).
static std::vector<float> readScales(Type type, ArrayRef<uint8_t> bytes,
                                     int64_t count) {
  std::vector<float> scales(count);
  for (int64_t i = 0; i < count; ++i) {
    if (type.isF32()) {
      std::memcpy(&scales[i], bytes.data() + 4 * i, 4);
      continue;
    }
    uint16_t raw = uint16_t(bytes[2 * i]) | uint16_t(bytes[2 * i + 1]) << 8;
    scales[i] = type.isF16() ? halfBitsToFloat(raw) : bfloat16BitsToFloat(raw);
  }
  return scales;
}

FailureOr<RepackedWeight>
mlir::qnt::repackForCpu(UniformAttr encoding, ArrayRef<int64_t> shape,
                        int64_t tileN, ArrayRef<ArrayRef<uint8_t>> parts) {
  SmallVector<PartInfo> infos = encoding.getParts(shape);
  if (infos.size() != parts.size())
    return failure();
  for (auto [info, bytes] : llvm::zip_equal(infos, parts))
    if (int64_t(bytes.size()) != info.getNumBytes())
      return failure();

  RepackedWeight result;
  RepackedLayout &layout = result.layout;
  layout = getRepackedLayout(encoding, shape, tileN);
  int64_t n = layout.n, k = layout.k;
  unsigned bits = layout.bits;
  bool storageSigned = encoding.isSigned();

  // Parameters, one per block, row-major over the parameter shape.
  SmallVector<int64_t> block = encoding.getGranularity().getBlockShape(shape);
  SmallVector<int64_t> paramShape =
      encoding.getGranularity().getParamShape(shape);
  int64_t numParams = paramShape[0] * paramShape[1];
  std::vector<float> scales;
  unsigned next = 1;
  if (encoding.isDoubleQuantized()) {
    std::vector<int32_t> scaleCodes(numParams);
    unpackCodes(parts[1].data(), paramShape[0], paramShape[1],
                encoding.getScaleBits(), /*isSigned=*/false, scaleCodes.data());
    int64_t groupSize = encoding.getScaleGroupSize();
    std::vector<float> superScales =
        readScales(Float32Type::get(encoding.getContext()), parts[2],
                   llvm::divideCeil(numParams, groupSize));
    scales.resize(numParams);
    for (int64_t j = 0; j < numParams; ++j)
      scales[j] = float(scaleCodes[j]) * superScales[j / groupSize];
    next = 3;
  } else {
    scales = readScales(encoding.getScaleType(), parts[1], numParams);
    next = 2;
  }
  std::vector<int32_t> zeroPoints;
  if (layout.hasZeroPoints) {
    zeroPoints.resize(numParams);
    unpackCodes(parts[next].data(), paramShape[0], paramShape[1], bits,
                storageSigned, zeroPoints.data());
  }
  // Symmetric unsigned codes are re-biased to signed ones.
  int32_t bias =
      (!layout.hasZeroPoints && !storageSigned) ? int32_t(1) << (bits - 1) : 0;

  std::vector<int32_t> rowCodes(k);
  int64_t rowBytes = packedRowBytes(k, bits);
  int64_t wordsPerGroup = layout.wordsPerGroup;
  int64_t codesPerWord = layout.codesPerWord;
  uint32_t codeMask = (uint32_t(1) << bits) - 1;
  result.codes.assign(
      layout.numTiles * layout.numGroups * wordsPerGroup * tileN, 0);
  result.scales.assign(layout.numTiles * layout.numGroups * tileN, 0.0f);
  if (layout.hasZeroPoints)
    result.zeroPoints.assign(result.scales.size(), 0);

  for (int64_t row = 0; row < n; ++row) {
    unpackCodes(parts[0].data() + row * rowBytes, 1, k, bits, storageSigned,
                rowCodes.data());
    int64_t tile = row / tileN, lane = row % tileN;
    for (int64_t group = 0; group < layout.numGroups; ++group) {
      int64_t paramIndex = (row / block[0]) * paramShape[1] +
                           (group * layout.groupSize) / block[1];
      int64_t paramOffset = (tile * layout.numGroups + group) * tileN + lane;
      result.scales[paramOffset] = scales[paramIndex];
      if (layout.hasZeroPoints)
        result.zeroPoints[paramOffset] = zeroPoints[paramIndex];
      int64_t kBegin = group * layout.groupSize;
      int64_t kEnd = std::min(k, kBegin + layout.groupSize);
      for (int64_t col = kBegin; col < kEnd; ++col) {
        int64_t word = (col - kBegin) / codesPerWord;
        int64_t slot = (col - kBegin) % codesPerWord;
        uint32_t code = uint32_t(rowCodes[col] - bias) & codeMask;
        int64_t offset =
            ((tile * layout.numGroups + group) * wordsPerGroup + word) * tileN +
            lane;
        result.codes[offset] =
            int32_t(uint32_t(result.codes[offset]) | (code << (slot * bits)));
      }
    }
  }
  return result;
}

std::optional<std::vector<uint16_t>>
mlir::qnt::getExactF16Scales(ArrayRef<float> scales) {
  std::vector<uint16_t> halves;
  halves.reserve(scales.size());
  for (float scale : scales) {
    uint16_t half = floatToHalfBits(scale);
    float back = halfBitsToFloat(half);
    // Bit equality: -0 and NaN payloads must survive too.
    if (std::memcmp(&back, &scale, sizeof(float)) != 0)
      return std::nullopt;
    halves.push_back(half);
  }
  return halves;
}

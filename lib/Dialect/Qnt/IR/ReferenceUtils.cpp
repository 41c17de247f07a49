//===- ReferenceUtils.cpp - helpers of the reference codecs ---------------===//
//
// Byte-level plumbing shared by the reference encoders and decoders. Every
// part is little-endian and row-major (docs/Encodings.md).
//
//===----------------------------------------------------------------------===//

#include "ReferenceUtils.h"

#include "quant/Support/BitPacking.h"
#include "quant/Support/Rounding.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>

using namespace mlir;
using namespace mlir::qnt;
using namespace mlir::qnt::reference;

LogicalResult reference::checkShape(ArrayRef<int64_t> shape,
                                    EmitErrorFn emitError) {
  if (shape.empty())
    return emitError() << "expected a tensor of rank >= 1";
  for (int64_t extent : shape)
    if (extent < 0)
      return emitError() << "expected a static shape, got extent " << extent;
  return success();
}

LogicalResult reference::checkValueCount(ArrayRef<int64_t> shape,
                                         ArrayRef<float> values,
                                         EmitErrorFn emitError) {
  int64_t expected = getNumElements(shape);
  if (int64_t(values.size()) != expected)
    return emitError() << "expected " << expected << " values, got "
                       << values.size();
  return success();
}

LogicalResult reference::checkOutputCount(ArrayRef<int64_t> shape, size_t size,
                                          EmitErrorFn emitError) {
  int64_t expected = getNumElements(shape);
  if (int64_t(size) != expected)
    return emitError() << "expected an output of " << expected
                       << " elements, got " << size;
  return success();
}

LogicalResult reference::checkParts(ArrayRef<PartInfo> infos,
                                    ArrayRef<ArrayRef<uint8_t>> parts,
                                    EmitErrorFn emitError, StringRef what) {
  if (parts.size() != infos.size())
    return emitError() << "expected " << infos.size() << " " << what << ", got "
                       << parts.size();
  for (auto [info, bytes] : llvm::zip_equal(infos, parts))
    if (int64_t(bytes.size()) != info.getNumBytes())
      return emitError() << "part '" << info.name << "' has " << bytes.size()
                         << " bytes, expected " << info.getNumBytes();
  return success();
}

LogicalResult reference::checkNoParams(ArrayRef<ArrayRef<uint8_t>> params,
                                       EmitErrorFn emitError) {
  if (!params.empty())
    return emitError() << "expected 0 parameter parts, got " << params.size();
  return success();
}

void reference::allocateParts(ArrayRef<PartInfo> infos, PartsData &result) {
  result.clear();
  for (const PartInfo &info : infos)
    result.emplace_back(info.getNumBytes(), 0);
}

SmallVector<ArrayRef<uint8_t>> reference::getPartRefs(const PartsData &data) {
  SmallVector<ArrayRef<uint8_t>> refs;
  for (const std::vector<uint8_t> &bytes : data)
    refs.push_back(bytes);
  return refs;
}

//===----------------------------------------------------------------------===//
// Scalars
//===----------------------------------------------------------------------===//

FailureOr<ScalarFormat> ScalarFormat::get(Type type, EmitErrorFn emitError,
                                          StringRef what) {
  ScalarFormat format;
  if (!type)
    return emitError() << "missing " << what << " type", failure();
  if (type.isF32()) {
    format.kind = Kind::F32;
    format.numBytes = 4;
  } else if (type.isF16()) {
    format.kind = Kind::F16;
    format.numBytes = 2;
  } else if (type.isBF16()) {
    format.kind = Kind::BF16;
    format.numBytes = 2;
  } else if (std::optional<MinifloatKind> kind =
                 mlir::qnt::getMinifloatKind(type);
             kind && (*kind == MinifloatKind::E8M0FNU ||
                      *kind == MinifloatKind::E4M3FN)) {
    format.kind = Kind::Minifloat;
    format.minifloat = *kind;
    format.numBytes = 1;
  } else {
    return emitError() << "unsupported " << what << " type " << type, failure();
  }
  return format;
}

static uint16_t readU16(const uint8_t *data, int64_t index) {
  return uint16_t(data[2 * index]) | uint16_t(data[2 * index + 1]) << 8;
}

static void writeU16(uint8_t *data, int64_t index, uint16_t value) {
  data[2 * index] = uint8_t(value);
  data[2 * index + 1] = uint8_t(value >> 8);
}

static uint32_t readU32(const uint8_t *data, int64_t index) {
  const uint8_t *p = data + 4 * index;
  return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 |
         uint32_t(p[3]) << 24;
}

static void writeU32(uint8_t *data, int64_t index, uint32_t value) {
  uint8_t *p = data + 4 * index;
  for (int i = 0; i < 4; ++i)
    p[i] = uint8_t(value >> (8 * i));
}

float ScalarFormat::read(const uint8_t *data, int64_t index) const {
  switch (kind) {
  case Kind::F32: {
    uint32_t bits = readU32(data, index);
    float value;
    std::memcpy(&value, &bits, 4);
    return value;
  }
  case Kind::F16:
    return halfBitsToFloat(readU16(data, index));
  case Kind::BF16:
    return bfloat16BitsToFloat(readU16(data, index));
  case Kind::Minifloat:
    return decodeMinifloat(minifloat, data[index]);
  }
  llvm_unreachable("unknown scalar kind");
}

void ScalarFormat::write(uint8_t *data, int64_t index, float value) const {
  switch (kind) {
  case Kind::F32: {
    uint32_t bits;
    std::memcpy(&bits, &value, 4);
    writeU32(data, index, bits);
    return;
  }
  case Kind::F16:
    writeU16(data, index, floatToHalfBits(value));
    return;
  case Kind::BF16:
    writeU16(data, index, floatToBFloat16Bits(value));
    return;
  case Kind::Minifloat:
    data[index] = uint8_t(encodeMinifloat(minifloat, value));
    return;
  }
  llvm_unreachable("unknown scalar kind");
}

float ScalarFormat::round(float value) const {
  uint8_t bytes[4];
  write(bytes, 0, value);
  return read(bytes, 0);
}

std::vector<float> ScalarFormat::readAll(ArrayRef<uint8_t> data,
                                         int64_t count) const {
  std::vector<float> values(count);
  for (int64_t i = 0; i < count; ++i)
    values[i] = read(data.data(), i);
  return values;
}

int32_t reference::readI32(const uint8_t *data, int64_t index) {
  return int32_t(readU32(data, index));
}

void reference::writeI32(uint8_t *data, int64_t index, int32_t value) {
  writeU32(data, index, uint32_t(value));
}

std::vector<int32_t> reference::readAllI32(ArrayRef<uint8_t> data,
                                           int64_t count) {
  std::vector<int32_t> values(count);
  for (int64_t i = 0; i < count; ++i)
    values[i] = readI32(data.data(), i);
  return values;
}

//===----------------------------------------------------------------------===//
// Packed codes
//===----------------------------------------------------------------------===//

std::vector<int32_t> reference::unpackAll(ArrayRef<uint8_t> data,
                                          ArrayRef<int64_t> shape,
                                          unsigned bits, bool isSigned) {
  int64_t cols = shape.empty() ? 1 : shape.back();
  int64_t rows = getNumRows(shape);
  std::vector<int32_t> codes(rows * cols);
  if (!codes.empty())
    unpackCodes(data.data(), rows, cols, bits, isSigned, codes.data());
  return codes;
}

void reference::packAll(ArrayRef<int32_t> codes, ArrayRef<int64_t> shape,
                        unsigned bits, std::vector<uint8_t> &out) {
  int64_t cols = shape.empty() ? 1 : shape.back();
  int64_t rows = getNumRows(shape);
  out.assign(rows * packedRowBytes(cols, bits), 0);
  if (!codes.empty())
    packCodes(codes.data(), rows, cols, bits, out.data());
}

//===----------------------------------------------------------------------===//
// Blocks
//===----------------------------------------------------------------------===//

BlockIndexer::BlockIndexer(ArrayRef<int64_t> shape,
                           ArrayRef<int64_t> blockShape)
    : shape(shape), blockShape(blockShape) {
  int64_t rank = shape.size();
  // A zero block extent only arises for empty dimensions; treat it as 1.
  for (int64_t &extent : this->blockShape)
    extent = std::max<int64_t>(extent, 1);
  for (int64_t d = 0; d < rank; ++d)
    paramShape.push_back((shape[d] + this->blockShape[d] - 1) /
                         this->blockShape[d]);
  paramStrides.assign(rank, 1);
  for (int64_t d = rank - 2; d >= 0; --d)
    paramStrides[d] = paramStrides[d + 1] * paramShape[d + 1];
  numParams = getNumElements(paramShape);
  numCols = shape.back();
  numRows = mlir::qnt::getNumRows(shape);
  colOffsets.resize(numCols);
  for (int64_t c = 0; c < numCols; ++c)
    colOffsets[c] = (c / this->blockShape[rank - 1]) * paramStrides[rank - 1];
}

int64_t BlockIndexer::getRowBase(int64_t row) const {
  int64_t base = 0;
  for (int64_t d = int64_t(shape.size()) - 2; d >= 0; --d) {
    int64_t coord = row % shape[d];
    row /= shape[d];
    base += (coord / blockShape[d]) * paramStrides[d];
  }
  return base;
}

std::vector<int64_t> BlockIndexer::getBlockCounts() const {
  std::vector<int64_t> counts(numParams, 0);
  for (int64_t row = 0; row < numRows; ++row) {
    int64_t base = getRowBase(row);
    for (int64_t c = 0; c < numCols; ++c)
      ++counts[base + colOffsets[c]];
  }
  return counts;
}

BlockStats reference::computeBlockStats(const BlockIndexer &indexer,
                                        ArrayRef<float> values) {
  int64_t numParams = indexer.getNumParams();
  BlockStats stats;
  stats.absMax.assign(numParams, 0.0f);
  stats.min.assign(numParams, std::numeric_limits<float>::infinity());
  stats.max.assign(numParams, -std::numeric_limits<float>::infinity());
  stats.absSum.assign(numParams, 0.0f);
  stats.count.assign(numParams, 0);
  int64_t cols = indexer.getNumCols();
  for (int64_t row = 0, rows = indexer.getNumRows(); row < rows; ++row) {
    int64_t base = indexer.getRowBase(row);
    const float *rowValues = values.data() + row * cols;
    for (int64_t c = 0; c < cols; ++c) {
      int64_t p = base + indexer.getColOffset(c);
      float x = rowValues[c];
      ++stats.count[p];
      if (std::isnan(x))
        continue;
      float magnitude = std::fabs(x);
      stats.absMax[p] = std::max(stats.absMax[p], magnitude);
      stats.min[p] = std::min(stats.min[p], x);
      stats.max[p] = std::max(stats.max[p], x);
      stats.absSum[p] = stats.absSum[p] + magnitude;
    }
  }
  // Blocks of only NaNs behave as blocks of zeros.
  for (int64_t p = 0; p < numParams; ++p) {
    if (stats.min[p] > stats.max[p]) {
      stats.min[p] = 0.0f;
      stats.max[p] = 0.0f;
    }
  }
  return stats;
}

std::vector<int64_t> reference::selectLargest(ArrayRef<float> values,
                                              int64_t count) {
  count = std::max<int64_t>(count, 0);
  std::vector<int64_t> candidates;
  for (int64_t i = 0, e = values.size(); i < e; ++i)
    if (values[i] != 0.0f)
      candidates.push_back(i);
  // NaNs rank as the largest magnitudes so that they are kept, not lost.
  auto magnitude = [&](int64_t i) {
    return std::isnan(values[i]) ? std::numeric_limits<float>::infinity()
                                 : std::fabs(values[i]);
  };
  auto larger = [&](int64_t a, int64_t b) {
    float ma = magnitude(a), mb = magnitude(b);
    return ma != mb ? ma > mb : a < b;
  };
  if (int64_t(candidates.size()) > count) {
    std::nth_element(candidates.begin(), candidates.begin() + count,
                     candidates.end(), larger);
    candidates.resize(count);
  }
  std::sort(candidates.begin(), candidates.end());
  return candidates;
}

//===- QntReference.cpp - reference codecs of the dense encodings ---------===//
//
// referenceEncode / referenceDecode of uniform, float, lut, codebook, binary
// and ternary: the single source of truth that packers, the IR lowering and
// every kernel are checked against. The arithmetic follows docs/Encodings.md
// operation by operation, in f32, and this file is compiled with
// -ffp-contract=off so that no multiply-add gets fused.
//
//===----------------------------------------------------------------------===//

#include "ReferenceUtils.h"

#include "quant/Support/BitPacking.h"
#include "quant/Support/Lookup.h"
#include "quant/Support/Rounding.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

using namespace mlir;
using namespace mlir::qnt;
using namespace mlir::qnt::reference;

/// rne(t) clamped to [lo, hi]; NaN counts as 0 (as in quantizeToInt).
static int32_t clampRne(float t, int32_t lo, int32_t hi) {
  if (std::isnan(t))
    t = 0.0f;
  float r = roundHalfToEven(t);
  if (r <= float(lo))
    return lo;
  if (r >= float(hi))
    return hi;
  return int32_t(r);
}

/// Copies the given parameter bytes behind the code part of `result`.
static void copyParams(ArrayRef<ArrayRef<uint8_t>> params, PartsData &result,
                       unsigned firstParam) {
  for (auto [i, bytes] : llvm::enumerate(params))
    result[firstParam + i].assign(bytes.begin(), bytes.end());
}

/// Splits the parameter part infos off `parts` (all but the first).
static ArrayRef<PartInfo> getParamInfos(ArrayRef<PartInfo> parts) {
  return parts.drop_front();
}

static LogicalResult checkGranularity(const Granularity &granularity,
                                      ArrayRef<int64_t> shape,
                                      EmitErrorFn emitError) {
  return granularity.verify(shape, emitError);
}

static LogicalResult checkPlainType(Type type, StringRef what,
                                    EmitErrorFn emitError) {
  if (!isPlainScaleType(type))
    return emitError() << what << " type must be f32, f16 or bf16, got "
                       << type;
  return success();
}

//===----------------------------------------------------------------------===//
// Uniform
//===----------------------------------------------------------------------===//

namespace {
struct UniformRange {
  int32_t qmin, qmax;
};

/// Scales (f32, decoded) and zero points, one per parameter block.
struct UniformParams {
  std::vector<float> scales;
  std::vector<int32_t> zeroPoints;
};
} // namespace

static UniformRange getUniformRange(UniformAttr attr) {
  unsigned bits = attr.getBits();
  if (attr.isSigned())
    return {-(int32_t(1) << (bits - 1)), (int32_t(1) << (bits - 1)) - 1};
  return {0, (int32_t(1) << bits) - 1};
}

static int32_t getImplicitZeroPoint(UniformAttr attr) {
  return attr.isSigned() ? 0 : int32_t(1) << (attr.getBits() - 1);
}

static LogicalResult checkUniform(UniformAttr attr, ArrayRef<int64_t> shape,
                                  EmitErrorFn emitError) {
  if (failed(checkShape(shape, emitError)))
    return failure();
  if (attr.getBits() < 1 || attr.getBits() > 8)
    return emitError() << "storage must have 1 to 8 bits, got "
                       << attr.getBits();
  if (failed(checkGranularity(attr.getGranularity(), shape, emitError)))
    return failure();
  if (attr.isDoubleQuantized()) {
    if (attr.getScaleBits() > 16)
      return emitError() << "scale codes must have 1 to 16 bits, got "
                         << attr.getScaleBits();
    if (attr.getScaleGroupSize() <= 0)
      return emitError() << "scale group size must be positive, got "
                         << attr.getScaleGroupSize();
    return success();
  }
  return checkPlainType(attr.getScaleType(), "scale", emitError);
}

/// Decodes the parameter parts (everything after the codes).
static UniformParams loadUniformParams(UniformAttr attr,
                                       ArrayRef<int64_t> paramShape,
                                       ArrayRef<ArrayRef<uint8_t>> params) {
  int64_t numParams = getNumElements(paramShape);
  UniformParams result;
  unsigned next = 0;
  if (attr.isDoubleQuantized()) {
    std::vector<int32_t> codes =
        unpackAll(params[0], paramShape, attr.getScaleBits(), false);
    int64_t groupSize = attr.getScaleGroupSize();
    int64_t superGroups = (numParams + groupSize - 1) / groupSize;
    std::vector<float> superScales =
        ScalarFormat::get(Float32Type::get(attr.getContext()), nullptr, "")
            ->readAll(params[1], superGroups);
    result.scales.resize(numParams);
    for (int64_t j = 0; j < numParams; ++j)
      result.scales[j] = float(codes[j]) * superScales[j / groupSize];
    next = 2;
  } else {
    ScalarFormat format = *ScalarFormat::get(attr.getScaleType(), nullptr, "");
    result.scales = format.readAll(params[0], numParams);
    next = 1;
  }
  if (!attr.getSymmetric())
    result.zeroPoints =
        unpackAll(params[next], paramShape, attr.getBits(), attr.isSigned());
  else
    result.zeroPoints.assign(numParams, getImplicitZeroPoint(attr));
  return result;
}

/// Derives scales (and zero points) from the data and writes their parts.
static LogicalResult
deriveUniformParams(UniformAttr attr, const BlockIndexer &indexer,
                    ArrayRef<float> values, UniformParams &params,
                    PartsData &result, EmitErrorFn emitError) {
  UniformRange range = getUniformRange(attr);
  unsigned bits = attr.getBits();
  bool symmetric = attr.getSymmetric();
  if (symmetric && bits < 2)
    return emitError() << "symmetric quantization needs at least 2 bits to "
                          "derive scales, got "
                       << bits;
  int64_t numParams = indexer.getNumParams();
  BlockStats stats = computeBlockStats(indexer, values);
  float qmaxPos = float((int32_t(1) << (bits - 1)) - 1);
  std::vector<float> lows(numParams, 0.0f);
  std::vector<float> raw(numParams);
  for (int64_t p = 0; p < numParams; ++p) {
    if (symmetric) {
      raw[p] = stats.absMax[p] == 0.0f ? 1.0f : stats.absMax[p] / qmaxPos;
      continue;
    }
    float lo = std::min(stats.min[p], 0.0f);
    float hi = std::max(stats.max[p], 0.0f);
    lows[p] = lo;
    raw[p] = hi == lo ? 1.0f : (hi - lo) / float(range.qmax - range.qmin);
  }

  params.scales.resize(numParams);
  if (attr.isDoubleQuantized()) {
    // Scales stay f32 until they are quantized themselves.
    int64_t groupSize = attr.getScaleGroupSize();
    int64_t superGroups = (numParams + groupSize - 1) / groupSize;
    int32_t codeMax = (int32_t(1) << attr.getScaleBits()) - 1;
    std::vector<int32_t> scaleCodes(numParams);
    ScalarFormat f32 =
        *ScalarFormat::get(Float32Type::get(attr.getContext()), nullptr, "");
    for (int64_t g = 0; g < superGroups; ++g) {
      int64_t begin = g * groupSize;
      int64_t end = std::min(begin + groupSize, numParams);
      float largest = 0.0f;
      for (int64_t j = begin; j < end; ++j)
        largest = std::max(largest, raw[j]);
      float superScale = largest > 0.0f ? largest / float(codeMax) : 1.0f;
      f32.write(result[2].data(), g, superScale);
      for (int64_t j = begin; j < end; ++j) {
        scaleCodes[j] = quantizeToInt(raw[j], superScale, 0, 0, codeMax);
        params.scales[j] = float(scaleCodes[j]) * superScale;
      }
    }
    packAll(scaleCodes, indexer.getParamShape(), attr.getScaleBits(),
            result[1]);
  } else {
    ScalarFormat format = *ScalarFormat::get(attr.getScaleType(), nullptr, "");
    for (int64_t p = 0; p < numParams; ++p) {
      format.write(result[1].data(), p, raw[p]);
      params.scales[p] = format.read(result[1].data(), p);
    }
  }

  if (symmetric) {
    params.zeroPoints.assign(numParams, getImplicitZeroPoint(attr));
    return success();
  }
  params.zeroPoints.resize(numParams);
  for (int64_t p = 0; p < numParams; ++p)
    params.zeroPoints[p] = clampRne(
        float(range.qmin) - lows[p] / params.scales[p], range.qmin, range.qmax);
  packAll(params.zeroPoints, indexer.getParamShape(), bits, result.back());
  return success();
}

LogicalResult UniformAttr::referenceEncode(
    ArrayRef<int64_t> shape, ArrayRef<float> values,
    ArrayRef<ArrayRef<uint8_t>> params, PartsData &result,
    function_ref<InFlightDiagnostic()> emitError) const {
  if (failed(checkUniform(*this, shape, emitError)) ||
      failed(checkValueCount(shape, values, emitError)))
    return failure();
  SmallVector<PartInfo> parts = getParts(shape);
  BlockIndexer indexer(shape, getGranularity().getBlockShape(shape));
  allocateParts(parts, result);
  UniformParams blockParams;
  if (!params.empty()) {
    if (failed(checkParts(getParamInfos(parts), params, emitError,
                          "parameter parts")))
      return failure();
    copyParams(params, result, 1);
    blockParams = loadUniformParams(*this, indexer.getParamShape(), params);
  } else if (failed(deriveUniformParams(*this, indexer, values, blockParams,
                                        result, emitError))) {
    return failure();
  }

  UniformRange range = getUniformRange(*this);
  int64_t cols = indexer.getNumCols();
  int64_t rowBytes = packedRowBytes(cols, getBits());
  std::vector<int32_t> rowCodes(cols);
  for (int64_t row = 0, rows = indexer.getNumRows(); row < rows; ++row) {
    int64_t base = indexer.getRowBase(row);
    const float *rowValues = values.data() + row * cols;
    for (int64_t c = 0; c < cols; ++c) {
      int64_t p = base + indexer.getColOffset(c);
      rowCodes[c] =
          quantizeToInt(rowValues[c], blockParams.scales[p],
                        blockParams.zeroPoints[p], range.qmin, range.qmax);
    }
    packCodes(rowCodes.data(), 1, cols, getBits(),
              result[0].data() + row * rowBytes);
  }
  return success();
}

LogicalResult UniformAttr::referenceDecode(
    ArrayRef<int64_t> shape, ArrayRef<ArrayRef<uint8_t>> parts,
    MutableArrayRef<float> out,
    function_ref<InFlightDiagnostic()> emitError) const {
  if (failed(checkUniform(*this, shape, emitError)) ||
      failed(checkOutputCount(shape, out.size(), emitError)) ||
      failed(checkParts(getParts(shape), parts, emitError)))
    return failure();
  BlockIndexer indexer(shape, getGranularity().getBlockShape(shape));
  UniformParams blockParams =
      loadUniformParams(*this, indexer.getParamShape(), parts.drop_front());
  int64_t cols = indexer.getNumCols();
  int64_t rowBytes = packedRowBytes(cols, getBits());
  std::vector<int32_t> rowCodes(cols);
  for (int64_t row = 0, rows = indexer.getNumRows(); row < rows; ++row) {
    int64_t base = indexer.getRowBase(row);
    unpackCodes(parts[0].data() + row * rowBytes, 1, cols, getBits(),
                isSigned(), rowCodes.data());
    float *rowOut = out.data() + row * cols;
    for (int64_t c = 0; c < cols; ++c) {
      int64_t p = base + indexer.getColOffset(c);
      rowOut[c] = float(rowCodes[c] - blockParams.zeroPoints[p]) *
                  blockParams.scales[p];
    }
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Minifloat
//===----------------------------------------------------------------------===//

namespace {
/// Everything a minifloat decode needs besides the codes.
struct MinifloatParams {
  std::vector<float> scales;
  float tensorScale = 1.0f;
};
} // namespace

static LogicalResult checkMinifloat(MinifloatAttr attr, ArrayRef<int64_t> shape,
                                    EmitErrorFn emitError) {
  if (failed(checkShape(shape, emitError)))
    return failure();
  std::optional<MinifloatKind> kind = getMinifloatKind(attr.getFormat());
  if (!kind || *kind == MinifloatKind::E8M0FNU)
    return emitError() << "unsupported minifloat format " << attr.getFormat();
  if (!attr.isScaled())
    return success();
  if (failed(checkGranularity(attr.getGranularity(), shape, emitError)))
    return failure();
  return ScalarFormat::get(attr.getScaleType(), emitError, "scale");
}

static MinifloatParams loadMinifloatParams(MinifloatAttr attr,
                                           int64_t numParams,
                                           ArrayRef<ArrayRef<uint8_t>> params) {
  MinifloatParams result;
  unsigned next = 0;
  if (attr.isScaled())
    result.scales = ScalarFormat::get(attr.getScaleType(), nullptr, "")
                        ->readAll(params[next++], numParams);
  if (attr.getTensorScale())
    result.tensorScale =
        ScalarFormat::get(Float32Type::get(attr.getContext()), nullptr, "")
            ->read(params[next].data(), 0);
  return result;
}

/// Derives the tensor scale and block scales of docs/Encodings.md.
static MinifloatParams deriveMinifloatParams(MinifloatAttr attr,
                                             const BlockIndexer &indexer,
                                             ArrayRef<float> values,
                                             PartsData &result) {
  MinifloatKind kind = *getMinifloatKind(attr.getFormat());
  float formatMax = getMinifloatSpec(kind).maxFinite;
  MinifloatParams params;
  std::optional<ScalarFormat> scaleFormat;
  if (attr.isScaled())
    scaleFormat = *ScalarFormat::get(attr.getScaleType(), nullptr, "");
  bool e4m3Scales = scaleFormat && scaleFormat->isMinifloat() &&
                    scaleFormat->getMinifloatKind() == MinifloatKind::E4M3FN;
  bool e8m0Scales = scaleFormat && scaleFormat->isMinifloat() &&
                    scaleFormat->getMinifloatKind() == MinifloatKind::E8M0FNU;

  if (attr.getTensorScale()) {
    float absMax = 0.0f;
    for (float x : values)
      if (!std::isnan(x))
        absMax = std::max(absMax, std::fabs(x));
    // The tensor scale extends the range of what the block scales can
    // express: e4m3 block scales top out at 448 (NVFP4), unscaled codes at
    // the format maximum; wide scale types need no help.
    float tensorScale = 1.0f;
    if (e4m3Scales)
      tensorScale = absMax / (448.0f * formatMax);
    else if (!scaleFormat)
      tensorScale = absMax / formatMax;
    if (tensorScale == 0.0f || !std::isfinite(tensorScale))
      tensorScale = 1.0f;
    params.tensorScale = tensorScale;
    std::memcpy(result.back().data(), &tensorScale, 4);
  }
  if (!scaleFormat)
    return params;

  int64_t numParams = indexer.getNumParams();
  BlockStats stats = computeBlockStats(indexer, values);
  params.scales.resize(numParams);
  uint8_t *scaleBytes = result[1].data();
  for (int64_t p = 0; p < numParams; ++p) {
    float absMax = stats.absMax[p];
    if (e8m0Scales) {
      scaleBytes[p] = e8m0FromExponent(mxScaleExponent(absMax, kind));
    } else if (e4m3Scales) {
      float target = absMax / formatMax;
      if (attr.getTensorScale())
        target = target / params.tensorScale;
      scaleBytes[p] = uint8_t(encodeMinifloat(MinifloatKind::E4M3FN, target));
    } else {
      scaleFormat->write(scaleBytes, p,
                         absMax == 0.0f ? 1.0f : absMax / formatMax);
    }
    params.scales[p] = scaleFormat->read(scaleBytes, p);
  }
  return params;
}

LogicalResult MinifloatAttr::referenceEncode(
    ArrayRef<int64_t> shape, ArrayRef<float> values,
    ArrayRef<ArrayRef<uint8_t>> params, PartsData &result,
    function_ref<InFlightDiagnostic()> emitError) const {
  if (failed(checkMinifloat(*this, shape, emitError)) ||
      failed(checkValueCount(shape, values, emitError)))
    return failure();
  SmallVector<PartInfo> parts = getParts(shape);
  BlockIndexer indexer(shape, isScaled() ? getGranularity().getBlockShape(shape)
                                         : SmallVector<int64_t>(shape));
  allocateParts(parts, result);
  MinifloatParams blockParams;
  if (!params.empty()) {
    if (failed(checkParts(getParamInfos(parts), params, emitError,
                          "parameter parts")))
      return failure();
    copyParams(params, result, 1);
    blockParams = loadMinifloatParams(*this, indexer.getNumParams(), params);
  } else {
    blockParams = deriveMinifloatParams(*this, indexer, values, result);
  }

  MinifloatKind kind = *getMinifloatKind(getFormat());
  unsigned bits = getFormat().getWidth();
  int64_t cols = indexer.getNumCols();
  int64_t rowBytes = packedRowBytes(cols, bits);
  std::vector<int32_t> rowCodes(cols);
  for (int64_t row = 0, rows = indexer.getNumRows(); row < rows; ++row) {
    int64_t base = indexer.getRowBase(row);
    const float *rowValues = values.data() + row * cols;
    for (int64_t c = 0; c < cols; ++c) {
      float x = rowValues[c];
      if (isScaled() || getTensorScale()) {
        float denominator = 1.0f;
        if (isScaled())
          denominator = blockParams.scales[base + indexer.getColOffset(c)];
        if (isScaled() && getTensorScale())
          denominator = denominator * blockParams.tensorScale;
        else if (getTensorScale())
          denominator = blockParams.tensorScale;
        x = denominator == 0.0f ? 0.0f : x / denominator;
      }
      rowCodes[c] = int32_t(encodeMinifloat(kind, x));
    }
    packCodes(rowCodes.data(), 1, cols, bits,
              result[0].data() + row * rowBytes);
  }
  return success();
}

LogicalResult MinifloatAttr::referenceDecode(
    ArrayRef<int64_t> shape, ArrayRef<ArrayRef<uint8_t>> parts,
    MutableArrayRef<float> out,
    function_ref<InFlightDiagnostic()> emitError) const {
  if (failed(checkMinifloat(*this, shape, emitError)) ||
      failed(checkOutputCount(shape, out.size(), emitError)) ||
      failed(checkParts(getParts(shape), parts, emitError)))
    return failure();
  BlockIndexer indexer(shape, isScaled() ? getGranularity().getBlockShape(shape)
                                         : SmallVector<int64_t>(shape));
  MinifloatParams blockParams =
      loadMinifloatParams(*this, indexer.getNumParams(), parts.drop_front());
  MinifloatKind kind = *getMinifloatKind(getFormat());
  unsigned bits = getFormat().getWidth();
  std::vector<float> table(size_t(1) << bits);
  for (uint32_t code = 0; code < table.size(); ++code)
    table[code] = decodeMinifloat(kind, code);

  int64_t cols = indexer.getNumCols();
  int64_t rowBytes = packedRowBytes(cols, bits);
  std::vector<int32_t> rowCodes(cols);
  for (int64_t row = 0, rows = indexer.getNumRows(); row < rows; ++row) {
    int64_t base = indexer.getRowBase(row);
    unpackCodes(parts[0].data() + row * rowBytes, 1, cols, bits, false,
                rowCodes.data());
    float *rowOut = out.data() + row * cols;
    for (int64_t c = 0; c < cols; ++c) {
      float x = table[rowCodes[c]];
      if (isScaled())
        x = x * blockParams.scales[base + indexer.getColOffset(c)];
      if (getTensorScale())
        x = x * blockParams.tensorScale;
      rowOut[c] = x;
    }
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Lookup tables
//===----------------------------------------------------------------------===//

static LogicalResult checkLut(LutAttr attr, ArrayRef<int64_t> shape,
                              EmitErrorFn emitError) {
  if (failed(checkShape(shape, emitError)))
    return failure();
  if (attr.getBits() < 1 || attr.getBits() > 8)
    return emitError() << "lookup codes must have 1 to 8 bits, got "
                       << attr.getBits();
  if (failed(checkGranularity(attr.getGranularity(), shape, emitError)))
    return failure();
  int64_t tableSize = int64_t(1) << attr.getBits();
  if (attr.hasFixedTable()) {
    if (int64_t(attr.getValues().size()) != tableSize)
      return emitError() << "expected " << tableSize << " table values, got "
                         << attr.getValues().size();
    if (attr.getScaleType())
      return checkPlainType(attr.getScaleType(), "scale", emitError);
    return success();
  }
  if (!attr.getTableType())
    return emitError() << "lookup encoding needs values or a table type";
  return checkPlainType(attr.getTableType(), "table", emitError);
}

LogicalResult
LutAttr::referenceEncode(ArrayRef<int64_t> shape, ArrayRef<float> values,
                         ArrayRef<ArrayRef<uint8_t>> params, PartsData &result,
                         function_ref<InFlightDiagnostic()> emitError) const {
  if (failed(checkLut(*this, shape, emitError)) ||
      failed(checkValueCount(shape, values, emitError)))
    return failure();
  SmallVector<PartInfo> parts = getParts(shape);
  BlockIndexer indexer(shape, getGranularity().getBlockShape(shape));
  int64_t numParams = indexer.getNumParams();
  int64_t tableSize = int64_t(1) << getBits();
  allocateParts(parts, result);
  if (!params.empty()) {
    if (failed(checkParts(getParamInfos(parts), params, emitError,
                          "parameter parts")))
      return failure();
    copyParams(params, result, 1);
  }
  bool hasScales = hasFixedTable() && getScaleType();

  // Per block: a scale (fixed table) or a table (stored tables).
  std::vector<float> scales, tables;
  if (hasScales) {
    ScalarFormat format = *ScalarFormat::get(getScaleType(), nullptr, "");
    if (params.empty()) {
      BlockStats stats = computeBlockStats(indexer, values);
      for (int64_t p = 0; p < numParams; ++p)
        format.write(result[1].data(), p,
                     stats.absMax[p] == 0.0f ? 1.0f : stats.absMax[p]);
    }
    scales = format.readAll(result[1], numParams);
  } else if (!hasFixedTable()) {
    ScalarFormat format = *ScalarFormat::get(getTableType(), nullptr, "");
    if (params.empty()) {
      // Levels evenly spaced between the block min and max.
      BlockStats stats = computeBlockStats(indexer, values);
      for (int64_t p = 0; p < numParams; ++p) {
        float lo = stats.min[p], hi = stats.max[p];
        float step = (hi - lo) / float(tableSize - 1);
        for (int64_t i = 0; i < tableSize; ++i)
          format.write(result[1].data(), p * tableSize + i,
                       i == tableSize - 1 ? hi : lo + float(i) * step);
      }
    }
    tables = format.readAll(result[1], numParams * tableSize);
  }

  ArrayRef<float> fixedTable =
      hasFixedTable() ? getValues().asArrayRef() : ArrayRef<float>();
  int64_t cols = indexer.getNumCols();
  int64_t rowBytes = packedRowBytes(cols, getBits());
  std::vector<int32_t> rowCodes(cols);
  for (int64_t row = 0, rows = indexer.getNumRows(); row < rows; ++row) {
    int64_t base = indexer.getRowBase(row);
    const float *rowValues = values.data() + row * cols;
    for (int64_t c = 0; c < cols; ++c) {
      int64_t p = base + indexer.getColOffset(c);
      float x = rowValues[c];
      if (!hasFixedTable()) {
        rowCodes[c] = nearestIndex(tables.data() + p * tableSize, tableSize, x);
        continue;
      }
      if (hasScales)
        x = x / scales[p];
      rowCodes[c] = nearestIndex(fixedTable.data(), tableSize, x);
    }
    packCodes(rowCodes.data(), 1, cols, getBits(),
              result[0].data() + row * rowBytes);
  }
  return success();
}

LogicalResult
LutAttr::referenceDecode(ArrayRef<int64_t> shape,
                         ArrayRef<ArrayRef<uint8_t>> parts,
                         MutableArrayRef<float> out,
                         function_ref<InFlightDiagnostic()> emitError) const {
  if (failed(checkLut(*this, shape, emitError)) ||
      failed(checkOutputCount(shape, out.size(), emitError)) ||
      failed(checkParts(getParts(shape), parts, emitError)))
    return failure();
  BlockIndexer indexer(shape, getGranularity().getBlockShape(shape));
  int64_t numParams = indexer.getNumParams();
  int64_t tableSize = int64_t(1) << getBits();
  bool hasScales = hasFixedTable() && getScaleType();
  std::vector<float> scales, tables;
  if (hasScales)
    scales = ScalarFormat::get(getScaleType(), nullptr, "")
                 ->readAll(parts[1], numParams);
  else if (!hasFixedTable())
    tables = ScalarFormat::get(getTableType(), nullptr, "")
                 ->readAll(parts[1], numParams * tableSize);
  ArrayRef<float> fixedTable =
      hasFixedTable() ? getValues().asArrayRef() : ArrayRef<float>();

  int64_t cols = indexer.getNumCols();
  int64_t rowBytes = packedRowBytes(cols, getBits());
  std::vector<int32_t> rowCodes(cols);
  for (int64_t row = 0, rows = indexer.getNumRows(); row < rows; ++row) {
    int64_t base = indexer.getRowBase(row);
    unpackCodes(parts[0].data() + row * rowBytes, 1, cols, getBits(), false,
                rowCodes.data());
    float *rowOut = out.data() + row * cols;
    for (int64_t c = 0; c < cols; ++c) {
      int64_t p = base + indexer.getColOffset(c);
      if (!hasFixedTable())
        rowOut[c] = tables[p * tableSize + rowCodes[c]];
      else if (hasScales)
        rowOut[c] = fixedTable[rowCodes[c]] * scales[p];
      else
        rowOut[c] = fixedTable[rowCodes[c]];
    }
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Codebook
//===----------------------------------------------------------------------===//

static LogicalResult checkCodebook(CodebookAttr attr, ArrayRef<int64_t> shape,
                                   EmitErrorFn emitError) {
  if (failed(checkShape(shape, emitError)))
    return failure();
  if (attr.getDim() < 1 || attr.getEntries() < 1 || attr.getStages() < 1)
    return emitError() << "codebook dim, entries and stages must be positive";
  if (attr.getIndexBits() > 16)
    return emitError() << "codebook indices must have at most 16 bits, got "
                       << attr.getIndexBits();
  if (shape.back() % attr.getDim() != 0)
    return emitError() << "innermost extent " << shape.back()
                       << " is not a multiple of the vector dim "
                       << attr.getDim();
  if (failed(checkPlainType(attr.getCodebookType(), "codebook", emitError)))
    return failure();
  if (attr.getScaleType())
    return checkPlainType(attr.getScaleType(), "scale", emitError);
  return success();
}

/// Index of the centroid nearest to `vec` (squared L2 in f32; ties: lowest).
static int32_t nearestCentroid(const float *vec, const float *centroids,
                               int64_t entries, int64_t dim) {
  int32_t best = 0;
  float bestDistance = std::numeric_limits<float>::infinity();
  for (int64_t e = 0; e < entries; ++e) {
    const float *centroid = centroids + e * dim;
    float distance = 0.0f;
    for (int64_t l = 0; l < dim; ++l) {
      float diff = vec[l] - centroid[l];
      distance = distance + diff * diff;
    }
    if (distance < bestDistance) {
      bestDistance = distance;
      best = int32_t(e);
    }
  }
  return best;
}

/// Lloyd's k-means, 10 iterations, started from evenly spaced vectors.
static std::vector<float> runKMeans(ArrayRef<float> vectors, int64_t count,
                                    int64_t entries, int64_t dim) {
  std::vector<float> centroids(entries * dim, 0.0f);
  if (count == 0)
    return centroids;
  for (int64_t e = 0; e < entries; ++e) {
    int64_t source = e * count / entries;
    std::copy_n(vectors.data() + source * dim, dim, centroids.data() + e * dim);
  }
  std::vector<double> sums(entries * dim);
  std::vector<int64_t> counts(entries);
  for (int iteration = 0; iteration < 10; ++iteration) {
    std::fill(sums.begin(), sums.end(), 0.0);
    std::fill(counts.begin(), counts.end(), 0);
    for (int64_t v = 0; v < count; ++v) {
      const float *vec = vectors.data() + v * dim;
      int32_t e = nearestCentroid(vec, centroids.data(), entries, dim);
      ++counts[e];
      for (int64_t l = 0; l < dim; ++l)
        sums[e * dim + l] += vec[l];
    }
    // Empty clusters keep their centroid.
    for (int64_t e = 0; e < entries; ++e)
      if (counts[e] > 0)
        for (int64_t l = 0; l < dim; ++l)
          centroids[e * dim + l] = float(sums[e * dim + l] / double(counts[e]));
  }
  return centroids;
}

/// Number of elements of a dim-0 slice (the extent of one codebook scale).
static int64_t getDim0SliceSize(ArrayRef<int64_t> shape) {
  return getNumElements(shape) / std::max<int64_t>(shape.front(), 1);
}

LogicalResult CodebookAttr::referenceEncode(
    ArrayRef<int64_t> shape, ArrayRef<float> values,
    ArrayRef<ArrayRef<uint8_t>> params, PartsData &result,
    function_ref<InFlightDiagnostic()> emitError) const {
  if (failed(checkCodebook(*this, shape, emitError)) ||
      failed(checkValueCount(shape, values, emitError)))
    return failure();
  SmallVector<PartInfo> parts = getParts(shape);
  allocateParts(parts, result);
  if (!params.empty()) {
    if (failed(checkParts(getParamInfos(parts), params, emitError,
                          "parameter parts")))
      return failure();
    copyParams(params, result, 1);
  }
  int64_t dim = getDim(), entries = getEntries(), stages = getStages();
  int64_t numElements = getNumElements(shape);
  std::vector<float> residual(values.begin(), values.end());

  // Per dim-0 scale: absmax of the slice.
  if (getScaleType()) {
    ScalarFormat format = *ScalarFormat::get(getScaleType(), nullptr, "");
    int64_t sliceSize = getDim0SliceSize(shape);
    if (params.empty()) {
      for (int64_t s = 0; s < shape.front(); ++s) {
        float absMax = 0.0f;
        for (int64_t i = s * sliceSize; i < (s + 1) * sliceSize; ++i)
          if (!std::isnan(values[i]))
            absMax = std::max(absMax, std::fabs(values[i]));
        format.write(result[2].data(), s, absMax == 0.0f ? 1.0f : absMax);
      }
    }
    std::vector<float> scales = format.readAll(result[2], shape.front());
    for (int64_t i = 0; i < numElements; ++i)
      residual[i] = residual[i] / scales[i / sliceSize];
  }

  ScalarFormat codebookFormat =
      *ScalarFormat::get(getCodebookType(), nullptr, "");
  int64_t numVectors = numElements / dim;
  int64_t rows = getNumRows(shape);
  int64_t vectorsPerRow = shape.back() / dim;
  int64_t rowBytes = packedRowBytes(vectorsPerRow, getIndexBits());
  std::vector<int32_t> indices(numVectors);
  for (int64_t s = 0; s < stages; ++s) {
    uint8_t *stageBytes =
        result[1].data() + s * entries * dim * codebookFormat.getNumBytes();
    if (params.empty()) {
      std::vector<float> centroids =
          runKMeans(residual, numVectors, entries, dim);
      for (int64_t i = 0; i < entries * dim; ++i)
        codebookFormat.write(stageBytes, i, centroids[i]);
    }
    std::vector<float> codebook = codebookFormat.readAll(
        ArrayRef<uint8_t>(stageBytes,
                          entries * dim * codebookFormat.getNumBytes()),
        entries * dim);
    for (int64_t v = 0; v < numVectors; ++v) {
      float *vec = residual.data() + v * dim;
      indices[v] = nearestCentroid(vec, codebook.data(), entries, dim);
      for (int64_t l = 0; l < dim; ++l)
        vec[l] = vec[l] - codebook[indices[v] * dim + l];
    }
    packCodes(indices.data(), rows, vectorsPerRow, getIndexBits(),
              result[0].data() + s * rows * rowBytes);
  }
  return success();
}

LogicalResult CodebookAttr::referenceDecode(
    ArrayRef<int64_t> shape, ArrayRef<ArrayRef<uint8_t>> parts,
    MutableArrayRef<float> out,
    function_ref<InFlightDiagnostic()> emitError) const {
  if (failed(checkCodebook(*this, shape, emitError)) ||
      failed(checkOutputCount(shape, out.size(), emitError)) ||
      failed(checkParts(getParts(shape), parts, emitError)))
    return failure();
  int64_t dim = getDim(), entries = getEntries(), stages = getStages();
  std::vector<float> codebooks =
      ScalarFormat::get(getCodebookType(), nullptr, "")
          ->readAll(parts[1], stages * entries * dim);
  std::vector<float> scales;
  if (getScaleType())
    scales = ScalarFormat::get(getScaleType(), nullptr, "")
                 ->readAll(parts[2], shape.front());
  int64_t rows = getNumRows(shape);
  int64_t cols = shape.back();
  int64_t vectorsPerRow = cols / dim;
  int64_t rowBytes = packedRowBytes(vectorsPerRow, getIndexBits());
  int64_t rowsPerScale = shape.size() == 1 ? 1 : rows / shape.front();
  std::vector<int32_t> rowIndices(vectorsPerRow);
  std::vector<float> acc(cols);
  for (int64_t row = 0; row < rows; ++row) {
    std::fill(acc.begin(), acc.end(), 0.0f);
    for (int64_t s = 0; s < stages; ++s) {
      unpackCodes(parts[0].data() + (s * rows + row) * rowBytes, 1,
                  vectorsPerRow, getIndexBits(), false, rowIndices.data());
      const float *stageBook = codebooks.data() + s * entries * dim;
      for (int64_t v = 0; v < vectorsPerRow; ++v) {
        if (rowIndices[v] >= entries)
          return emitError() << "codebook index " << rowIndices[v]
                             << " out of range for " << entries << " entries";
        const float *entry = stageBook + rowIndices[v] * dim;
        for (int64_t l = 0; l < dim; ++l)
          acc[v * dim + l] = acc[v * dim + l] + entry[l];
      }
    }
    float *rowOut = out.data() + row * cols;
    for (int64_t c = 0; c < cols; ++c) {
      if (!getScaleType())
        rowOut[c] = acc[c];
      else if (shape.size() == 1)
        rowOut[c] = acc[c] * scales[c];
      else
        rowOut[c] = acc[c] * scales[row / rowsPerScale];
    }
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Binary and ternary
//===----------------------------------------------------------------------===//

static LogicalResult checkSignCodes(const Granularity &granularity,
                                    Type scaleType, ArrayRef<int64_t> shape,
                                    EmitErrorFn emitError) {
  if (failed(checkShape(shape, emitError)) ||
      failed(checkGranularity(granularity, shape, emitError)))
    return failure();
  return checkPlainType(scaleType, "scale", emitError);
}

/// Shared encode of binary (1 bit) and ternary (2 bits): the block scale is
/// mean(|x|), `zeroScale` replacing a zero mean; `quantize` maps x and the
/// scale to a code.
template <typename QuantizeFn>
static LogicalResult
encodeSignCodes(Attribute attr, const Granularity &granularity, Type scaleType,
                unsigned bits, float zeroScale, ArrayRef<int64_t> shape,
                ArrayRef<float> values, ArrayRef<ArrayRef<uint8_t>> params,
                PartsData &result, EmitErrorFn emitError, QuantizeFn quantize) {
  SmallVector<PartInfo> parts =
      cast<EncodingAttrInterface>(attr).getParts(shape);
  BlockIndexer indexer(shape, granularity.getBlockShape(shape));
  int64_t numParams = indexer.getNumParams();
  ScalarFormat format = *ScalarFormat::get(scaleType, nullptr, "");
  allocateParts(parts, result);
  if (!params.empty()) {
    if (failed(checkParts(getParamInfos(parts), params, emitError,
                          "parameter parts")))
      return failure();
    copyParams(params, result, 1);
  } else {
    BlockStats stats = computeBlockStats(indexer, values);
    for (int64_t p = 0; p < numParams; ++p) {
      float mean = stats.absSum[p] / float(stats.count[p]);
      format.write(result[1].data(), p, mean == 0.0f ? zeroScale : mean);
    }
  }
  std::vector<float> scales = format.readAll(result[1], numParams);
  int64_t cols = indexer.getNumCols();
  int64_t rowBytes = packedRowBytes(cols, bits);
  std::vector<int32_t> rowCodes(cols);
  for (int64_t row = 0, rows = indexer.getNumRows(); row < rows; ++row) {
    int64_t base = indexer.getRowBase(row);
    const float *rowValues = values.data() + row * cols;
    for (int64_t c = 0; c < cols; ++c)
      rowCodes[c] =
          quantize(rowValues[c], scales[base + indexer.getColOffset(c)]);
    packCodes(rowCodes.data(), 1, cols, bits,
              result[0].data() + row * rowBytes);
  }
  return success();
}

/// Shared decode: x = value(code) * s.
template <typename ValueFn>
static void decodeSignCodes(const Granularity &granularity, Type scaleType,
                            unsigned bits, ArrayRef<int64_t> shape,
                            ArrayRef<ArrayRef<uint8_t>> parts,
                            MutableArrayRef<float> out, ValueFn codeValue) {
  BlockIndexer indexer(shape, granularity.getBlockShape(shape));
  std::vector<float> scales = ScalarFormat::get(scaleType, nullptr, "")
                                  ->readAll(parts[1], indexer.getNumParams());
  int64_t cols = indexer.getNumCols();
  int64_t rowBytes = packedRowBytes(cols, bits);
  std::vector<int32_t> rowCodes(cols);
  for (int64_t row = 0, rows = indexer.getNumRows(); row < rows; ++row) {
    int64_t base = indexer.getRowBase(row);
    unpackCodes(parts[0].data() + row * rowBytes, 1, cols, bits, bits > 1,
                rowCodes.data());
    float *rowOut = out.data() + row * cols;
    for (int64_t c = 0; c < cols; ++c)
      rowOut[c] =
          codeValue(rowCodes[c]) * scales[base + indexer.getColOffset(c)];
  }
}

LogicalResult BinaryAttr::referenceEncode(
    ArrayRef<int64_t> shape, ArrayRef<float> values,
    ArrayRef<ArrayRef<uint8_t>> params, PartsData &result,
    function_ref<InFlightDiagnostic()> emitError) const {
  if (failed(
          checkSignCodes(getGranularity(), getScaleType(), shape, emitError)) ||
      failed(checkValueCount(shape, values, emitError)))
    return failure();
  // XNOR-Net: s = mean(|x|) as is (an all-zero block decodes to zeros).
  return encodeSignCodes(*this, getGranularity(), getScaleType(), 1, 0.0f,
                         shape, values, params, result, emitError,
                         [](float x, float) { return x >= 0.0f ? 1 : 0; });
}

LogicalResult BinaryAttr::referenceDecode(
    ArrayRef<int64_t> shape, ArrayRef<ArrayRef<uint8_t>> parts,
    MutableArrayRef<float> out,
    function_ref<InFlightDiagnostic()> emitError) const {
  if (failed(
          checkSignCodes(getGranularity(), getScaleType(), shape, emitError)) ||
      failed(checkOutputCount(shape, out.size(), emitError)) ||
      failed(checkParts(getParts(shape), parts, emitError)))
    return failure();
  decodeSignCodes(getGranularity(), getScaleType(), 1, shape, parts, out,
                  [](int32_t code) { return code ? 1.0f : -1.0f; });
  return success();
}

LogicalResult TernaryAttr::referenceEncode(
    ArrayRef<int64_t> shape, ArrayRef<float> values,
    ArrayRef<ArrayRef<uint8_t>> params, PartsData &result,
    function_ref<InFlightDiagnostic()> emitError) const {
  if (failed(
          checkSignCodes(getGranularity(), getScaleType(), shape, emitError)) ||
      failed(checkValueCount(shape, values, emitError)))
    return failure();
  // BitNet b1.58 absmean: s = mean(|x|) (1 if zero).
  return encodeSignCodes(
      *this, getGranularity(), getScaleType(), 2, 1.0f, shape, values, params,
      result, emitError,
      [](float x, float scale) { return quantizeToInt(x, scale, 0, -1, 1); });
}

LogicalResult TernaryAttr::referenceDecode(
    ArrayRef<int64_t> shape, ArrayRef<ArrayRef<uint8_t>> parts,
    MutableArrayRef<float> out,
    function_ref<InFlightDiagnostic()> emitError) const {
  if (failed(
          checkSignCodes(getGranularity(), getScaleType(), shape, emitError)) ||
      failed(checkOutputCount(shape, out.size(), emitError)) ||
      failed(checkParts(getParts(shape), parts, emitError)))
    return failure();
  // Code 2 (invalid) sign-extends to -2 and decodes as -2 * s.
  decodeSignCodes(getGranularity(), getScaleType(), 2, shape, parts, out,
                  [](int32_t code) { return float(code); });
  return success();
}

//===----------------------------------------------------------------------===//
// Plain
//===----------------------------------------------------------------------===//

static LogicalResult checkPlain(PlainAttr attr, ArrayRef<int64_t> shape,
                                EmitErrorFn emitError) {
  if (failed(checkShape(shape, emitError)))
    return failure();
  return checkPlainType(attr.getStorageType(), "storage", emitError);
}

LogicalResult
PlainAttr::referenceEncode(ArrayRef<int64_t> shape, ArrayRef<float> values,
                           ArrayRef<ArrayRef<uint8_t>> params,
                           PartsData &result,
                           function_ref<InFlightDiagnostic()> emitError) const {
  if (failed(checkPlain(*this, shape, emitError)) ||
      failed(checkValueCount(shape, values, emitError)))
    return failure();
  // The only part holds the values, so there are no parameter parts.
  if (!params.empty())
    return emitError() << "plain encoding takes no parameter parts, got "
                       << params.size();
  ScalarFormat format = *ScalarFormat::get(getStorageType(), nullptr, "");
  allocateParts(getParts(shape), result);
  // f16 / bf16: round half to even (lib/Support).
  for (auto [i, x] : llvm::enumerate(values))
    format.write(result[0].data(), i, x);
  return success();
}

LogicalResult
PlainAttr::referenceDecode(ArrayRef<int64_t> shape,
                           ArrayRef<ArrayRef<uint8_t>> parts,
                           MutableArrayRef<float> out,
                           function_ref<InFlightDiagnostic()> emitError) const {
  if (failed(checkPlain(*this, shape, emitError)) ||
      failed(checkOutputCount(shape, out.size(), emitError)) ||
      failed(checkParts(getParts(shape), parts, emitError)))
    return failure();
  ScalarFormat format = *ScalarFormat::get(getStorageType(), nullptr, "");
  for (int64_t i = 0, e = out.size(); i < e; ++i)
    out[i] = format.read(parts[0].data(), i);
  return success();
}

//===- QntReferenceComposite.cpp - reference codecs of composites ---------===//
//
// referenceEncode / referenceDecode of sparse, outliers, low_rank and
// permuted. Each delegates its values / base to the nested encoding's own
// reference codec on the leading parts, then adds its metadata
// (docs/Encodings.md). Compiled with -ffp-contract=off.
//
//===----------------------------------------------------------------------===//

#include "ReferenceUtils.h"

#include "quant/Support/BitPacking.h"

#include <algorithm>
#include <cmath>
#include <numeric>

using namespace mlir;
using namespace mlir::qnt;
using namespace mlir::qnt::reference;

static LogicalResult checkPlainValueType(Type type, StringRef what,
                                         EmitErrorFn emitError) {
  if (!isPlainScaleType(type))
    return emitError() << what << " type must be f32, f16 or bf16, got "
                       << type;
  return success();
}

static void appendParts(PartsData &result, PartsData &&parts) {
  for (std::vector<uint8_t> &bytes : parts)
    result.push_back(std::move(bytes));
}

/// Splits `shape` around `axis` into (outer, extent, inner) element counts.
static void splitAtAxis(ArrayRef<int64_t> shape, int64_t axis, int64_t &outer,
                        int64_t &extent, int64_t &inner) {
  outer = getNumElements(shape.take_front(axis));
  extent = shape[axis];
  inner = getNumElements(shape.drop_front(axis + 1));
}

/// Reads CSR row offsets and column indices and checks that they stay in
/// bounds, so that decoding never reads outside the value arrays.
static LogicalResult
readCsr(ArrayRef<uint8_t> offsetBytes, ArrayRef<uint8_t> colBytes, int64_t rows,
        int64_t cols, int64_t nnz, std::vector<int32_t> &offsets,
        std::vector<int32_t> &colIndices, EmitErrorFn emitError) {
  offsets = readAllI32(offsetBytes, rows + 1);
  colIndices = readAllI32(colBytes, nnz);
  for (int64_t r = 0; r <= rows; ++r) {
    if (offsets[r] < 0 || offsets[r] > nnz)
      return emitError() << "row offset " << offsets[r] << " of row " << r
                         << " is out of range [0, " << nnz << "]";
    if (r > 0 && offsets[r] < offsets[r - 1])
      return emitError() << "row offsets decrease at row " << r;
  }
  for (int64_t i = offsets[0]; i < offsets[rows]; ++i)
    if (colIndices[i] < 0 || colIndices[i] >= cols)
      return emitError() << "column index " << colIndices[i]
                         << " is out of range for " << cols << " columns";
  return success();
}

/// Writes CSR metadata for the row-major element indices `selected`.
static void writeCsr(ArrayRef<int64_t> selected, int64_t rows, int64_t cols,
                     uint8_t *offsetBytes, uint8_t *colBytes) {
  std::vector<int32_t> counts(rows + 1, 0);
  for (auto [i, index] : llvm::enumerate(selected)) {
    ++counts[index / cols + 1];
    if (colBytes)
      writeI32(colBytes, i, int32_t(index % cols));
  }
  for (int64_t r = 0; r < rows; ++r)
    counts[r + 1] += counts[r];
  for (int64_t r = 0; r <= rows; ++r)
    writeI32(offsetBytes, r, counts[r]);
}

static FailureOr<EncodingAttrInterface>
getNested(Attribute attr, StringRef what, EmitErrorFn emitError) {
  auto nested = dyn_cast_or_null<EncodingAttrInterface>(attr);
  if (!nested)
    return emitError() << what << " is not a qnt encoding", failure();
  return nested;
}

//===----------------------------------------------------------------------===//
// Sparse
//===----------------------------------------------------------------------===//

static LogicalResult checkSparse(SparseAttr attr, ArrayRef<int64_t> shape,
                                 EmitErrorFn emitError) {
  if (failed(checkShape(shape, emitError)))
    return failure();
  if (!getSparseValueEncoding(attr) &&
      failed(checkPlainValueType(getSparsePlainValueType(attr), "value",
                                 emitError)))
    return failure();
  if (attr.getKind() != SparsityKind::NM) {
    if (attr.getNnz() < 0)
      return emitError() << "nnz must be non-negative, got " << attr.getNnz();
    return success();
  }
  int64_t rank = shape.size();
  int64_t axis = getSparseAxis(attr, rank);
  if (axis < 0 || axis >= rank)
    return emitError() << "axis " << attr.getAxis()
                       << " is out of range for rank " << rank;
  if (attr.getM() < 1 || attr.getN() < 1 || attr.getN() > attr.getM())
    return emitError() << "expected 1 <= N <= M, got " << attr.getN() << ":"
                       << attr.getM();
  if (getSparsePositionBits(attr) > 16)
    return emitError() << "M = " << attr.getM() << " is too large";
  if (shape[axis] % attr.getM() != 0)
    return emitError() << "extent " << shape[axis] << " along axis " << axis
                       << " is not a multiple of M = " << attr.getM();
  return success();
}

/// Number of leading parts that hold the kept values.
static unsigned getNumValueParts(SparseAttr attr,
                                 ArrayRef<int64_t> valueShape) {
  if (EncodingAttrInterface encoding = getSparseValueEncoding(attr))
    return encoding.getParts(valueShape).size();
  return 1;
}

LogicalResult SparseAttr::referenceEncode(
    ArrayRef<int64_t> shape, ArrayRef<float> values,
    ArrayRef<ArrayRef<uint8_t>> params, PartsData &result,
    function_ref<InFlightDiagnostic()> emitError) const {
  if (failed(checkSparse(*this, shape, emitError)) ||
      failed(checkValueCount(shape, values, emitError)) ||
      failed(checkNoParams(params, emitError)))
    return failure();
  SmallVector<PartInfo> parts = getParts(shape);
  SmallVector<int64_t> valueShape = getSparseValueShape(*this, shape);
  unsigned numValueParts = getNumValueParts(*this, valueShape);
  std::vector<float> kept(getNumElements(valueShape), 0.0f);
  PartsData metadata;
  for (const PartInfo &info : ArrayRef(parts).drop_front(numValueParts))
    metadata.emplace_back(info.getNumBytes(), 0);

  int64_t rows = getNumRows(shape), cols = shape.back();
  switch (getKind()) {
  case SparsityKind::NM: {
    int64_t n = getN(), m = getM();
    int64_t outer, extent, inner;
    splitAtAxis(shape, getSparseAxis(*this, shape.size()), outer, extent,
                inner);
    int64_t keptExtent = extent / m * n;
    std::vector<int32_t> positions(kept.size());
    SmallVector<int64_t> offsets(m);
    auto magnitude = [](float x) {
      return std::isnan(x) ? std::numeric_limits<float>::infinity()
                           : std::fabs(x);
    };
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t g = 0; g < extent / m; ++g) {
        for (int64_t i = 0; i < inner; ++i) {
          auto at = [&](int64_t t) {
            return values[(o * extent + g * m + t) * inner + i];
          };
          std::iota(offsets.begin(), offsets.end(), 0);
          // N largest magnitudes, ties to the lower offset.
          std::sort(offsets.begin(), offsets.end(), [&](int64_t a, int64_t b) {
            float ma = magnitude(at(a)), mb = magnitude(at(b));
            return ma != mb ? ma > mb : a < b;
          });
          std::sort(offsets.begin(), offsets.begin() + n);
          for (int64_t j = 0; j < n; ++j) {
            int64_t index = (o * keptExtent + g * n + j) * inner + i;
            kept[index] = at(offsets[j]);
            positions[index] = int32_t(offsets[j]);
          }
        }
      }
    }
    packAll(positions, valueShape, getSparsePositionBits(*this), metadata[0]);
    break;
  }
  case SparsityKind::Bitmap:
  case SparsityKind::CSR: {
    std::vector<int64_t> selected = selectLargest(values, getNnz());
    for (auto [i, index] : llvm::enumerate(selected))
      kept[i] = values[index];
    if (getKind() == SparsityKind::CSR) {
      writeCsr(selected, rows, cols, metadata[0].data(), metadata[1].data());
      break;
    }
    std::vector<int32_t> bits(getNumElements(shape), 0);
    for (int64_t index : selected)
      bits[index] = 1;
    packAll(bits, shape, 1, metadata[0]);
    writeCsr(selected, rows, cols, metadata[1].data(), nullptr);
    break;
  }
  }

  result.clear();
  if (EncodingAttrInterface encoding = getSparseValueEncoding(*this)) {
    PartsData valueParts;
    if (failed(encoding.referenceEncode(valueShape, kept, {}, valueParts,
                                        emitError)))
      return failure();
    appendParts(result, std::move(valueParts));
  } else {
    ScalarFormat format =
        *ScalarFormat::get(getSparsePlainValueType(*this), nullptr, "");
    std::vector<uint8_t> bytes(kept.size() * format.getNumBytes());
    for (auto [i, x] : llvm::enumerate(kept))
      format.write(bytes.data(), i, x);
    result.push_back(std::move(bytes));
  }
  appendParts(result, std::move(metadata));
  return success();
}

LogicalResult SparseAttr::referenceDecode(
    ArrayRef<int64_t> shape, ArrayRef<ArrayRef<uint8_t>> parts,
    MutableArrayRef<float> out,
    function_ref<InFlightDiagnostic()> emitError) const {
  if (failed(checkSparse(*this, shape, emitError)) ||
      failed(checkOutputCount(shape, out.size(), emitError)) ||
      failed(checkParts(getParts(shape), parts, emitError)))
    return failure();
  SmallVector<int64_t> valueShape = getSparseValueShape(*this, shape);
  unsigned numValueParts = getNumValueParts(*this, valueShape);
  std::vector<float> kept(getNumElements(valueShape));
  if (EncodingAttrInterface encoding = getSparseValueEncoding(*this)) {
    if (failed(encoding.referenceDecode(
            valueShape, parts.take_front(numValueParts), kept, emitError)))
      return failure();
  } else {
    kept = ScalarFormat::get(getSparsePlainValueType(*this), nullptr, "")
               ->readAll(parts[0], kept.size());
  }
  ArrayRef<ArrayRef<uint8_t>> metadata = parts.drop_front(numValueParts);
  int64_t rows = getNumRows(shape), cols = shape.back();
  std::fill(out.begin(), out.end(), 0.0f);

  switch (getKind()) {
  case SparsityKind::NM: {
    int64_t n = getN(), m = getM();
    int64_t outer, extent, inner;
    splitAtAxis(shape, getSparseAxis(*this, shape.size()), outer, extent,
                inner);
    int64_t keptExtent = extent / m * n;
    std::vector<int32_t> positions =
        unpackAll(metadata[0], valueShape, getSparsePositionBits(*this), false);
    // Adding each match in increasing j is the sum of the contract: the
    // non-matching terms are +0 and never change a sum that starts at +0.
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t k = 0; k < keptExtent; ++k) {
        int64_t groupStart = (k / n) * m;
        for (int64_t i = 0; i < inner; ++i) {
          int64_t index = (o * keptExtent + k) * inner + i;
          int32_t position = positions[index];
          if (position >= m)
            continue;
          float &slot = out[(o * extent + groupStart + position) * inner + i];
          slot = slot + kept[index];
        }
      }
    }
    return success();
  }
  case SparsityKind::Bitmap: {
    std::vector<int32_t> offsets = readAllI32(metadata[1], rows + 1);
    int64_t rowBytes = packedRowBytes(cols, 1);
    std::vector<int32_t> bits(cols);
    for (int64_t row = 0; row < rows; ++row) {
      unpackCodes(metadata[0].data() + row * rowBytes, 1, cols, 1, false,
                  bits.data());
      int64_t next = offsets[row];
      for (int64_t c = 0; c < cols; ++c) {
        if (!bits[c])
          continue;
        if (next < 0 || next >= getNnz())
          return emitError() << "bitmap of row " << row << " refers to value "
                             << next << " outside [0, " << getNnz() << ")";
        out[row * cols + c] = kept[next++];
      }
    }
    return success();
  }
  case SparsityKind::CSR: {
    std::vector<int32_t> offsets, colIndices;
    if (failed(readCsr(metadata[0], metadata[1], rows, cols, getNnz(), offsets,
                       colIndices, emitError)))
      return failure();
    // A repeated column takes its last entry.
    for (int64_t row = 0; row < rows; ++row)
      for (int64_t i = offsets[row]; i < offsets[row + 1]; ++i)
        out[row * cols + colIndices[i]] = kept[i];
    return success();
  }
  }
  llvm_unreachable("unknown sparsity kind");
}

//===----------------------------------------------------------------------===//
// Outliers
//===----------------------------------------------------------------------===//

static LogicalResult checkOutliers(OutliersAttr attr, ArrayRef<int64_t> shape,
                                   EmitErrorFn emitError) {
  if (failed(checkShape(shape, emitError)) ||
      failed(getNested(attr.getBase(), "outliers base", emitError)))
    return failure();
  if (attr.getNnz() < 0)
    return emitError() << "nnz must be non-negative, got " << attr.getNnz();
  return checkPlainValueType(attr.getValueType(), "outlier value", emitError);
}

LogicalResult OutliersAttr::referenceEncode(
    ArrayRef<int64_t> shape, ArrayRef<float> values,
    ArrayRef<ArrayRef<uint8_t>> params, PartsData &result,
    function_ref<InFlightDiagnostic()> emitError) const {
  if (failed(checkOutliers(*this, shape, emitError)) ||
      failed(checkValueCount(shape, values, emitError)) ||
      failed(checkNoParams(params, emitError)))
    return failure();
  auto base = cast<EncodingAttrInterface>(getBase());
  std::vector<int64_t> selected = selectLargest(values, getNnz());
  std::vector<float> rest(values.begin(), values.end());
  for (int64_t index : selected)
    rest[index] = 0.0f;
  PartsData baseParts;
  if (failed(base.referenceEncode(shape, rest, {}, baseParts, emitError)))
    return failure();
  // Outliers store what the base misses at their position.
  std::vector<float> baseValues(values.size());
  if (failed(base.referenceDecode(shape, getPartRefs(baseParts), baseValues,
                                  emitError)))
    return failure();

  int64_t rows = getNumRows(shape), cols = shape.back();
  ScalarFormat format = *ScalarFormat::get(getValueType(), nullptr, "");
  std::vector<uint8_t> offsets((rows + 1) * 4, 0), colIndices(getNnz() * 4, 0),
      outlierValues(getNnz() * format.getNumBytes(), 0);
  writeCsr(selected, rows, cols, offsets.data(), colIndices.data());
  for (auto [i, index] : llvm::enumerate(selected))
    format.write(outlierValues.data(), i, values[index] - baseValues[index]);

  result.clear();
  appendParts(result, std::move(baseParts));
  result.push_back(std::move(offsets));
  result.push_back(std::move(colIndices));
  result.push_back(std::move(outlierValues));
  return success();
}

LogicalResult OutliersAttr::referenceDecode(
    ArrayRef<int64_t> shape, ArrayRef<ArrayRef<uint8_t>> parts,
    MutableArrayRef<float> out,
    function_ref<InFlightDiagnostic()> emitError) const {
  if (failed(checkOutliers(*this, shape, emitError)) ||
      failed(checkOutputCount(shape, out.size(), emitError)) ||
      failed(checkParts(getParts(shape), parts, emitError)))
    return failure();
  auto base = cast<EncodingAttrInterface>(getBase());
  unsigned numBaseParts = parts.size() - 3;
  if (failed(base.referenceDecode(shape, parts.take_front(numBaseParts), out,
                                  emitError)))
    return failure();
  int64_t rows = getNumRows(shape), cols = shape.back();
  std::vector<int32_t> offsets, colIndices;
  if (failed(readCsr(parts[numBaseParts], parts[numBaseParts + 1], rows, cols,
                     getNnz(), offsets, colIndices, emitError)))
    return failure();
  std::vector<float> outlierValues =
      ScalarFormat::get(getValueType(), nullptr, "")
          ->readAll(parts[numBaseParts + 2], getNnz());
  // x = base + outlier, the outlier being 0 where absent.
  std::vector<float> rowOutliers(cols);
  for (int64_t row = 0; row < rows; ++row) {
    std::fill(rowOutliers.begin(), rowOutliers.end(), 0.0f);
    for (int64_t i = offsets[row]; i < offsets[row + 1]; ++i)
      rowOutliers[colIndices[i]] = outlierValues[i];
    float *rowOut = out.data() + row * cols;
    for (int64_t c = 0; c < cols; ++c)
      rowOut[c] = rowOut[c] + rowOutliers[c];
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Low rank
//===----------------------------------------------------------------------===//

static LogicalResult checkLowRank(LowRankAttr attr, ArrayRef<int64_t> shape,
                                  EmitErrorFn emitError) {
  if (failed(checkShape(shape, emitError)) ||
      failed(getNested(attr.getBase(), "low_rank base", emitError)))
    return failure();
  if (attr.getRank() < 0)
    return emitError() << "rank must be non-negative, got " << attr.getRank();
  return checkPlainValueType(attr.getFactorType(), "factor", emitError);
}

/// Orthonormalizes the `k` columns of the row-major `n` x `k` matrix `a`
/// (modified Gram-Schmidt, applied twice); dependent columns become zero.
static void orthonormalizeColumns(std::vector<double> &a, int64_t n,
                                  int64_t k) {
  for (int64_t j = 0; j < k; ++j) {
    double original = 0.0;
    for (int64_t i = 0; i < n; ++i)
      original += a[i * k + j] * a[i * k + j];
    for (int pass = 0; pass < 2; ++pass) {
      for (int64_t p = 0; p < j; ++p) {
        double dot = 0.0;
        for (int64_t i = 0; i < n; ++i)
          dot += a[i * k + p] * a[i * k + j];
        for (int64_t i = 0; i < n; ++i)
          a[i * k + j] -= dot * a[i * k + p];
      }
    }
    double norm = 0.0;
    for (int64_t i = 0; i < n; ++i)
      norm += a[i * k + j] * a[i * k + j];
    double scale =
        norm > 1e-24 * original && norm > 0.0 ? 1.0 / std::sqrt(norm) : 0.0;
    for (int64_t i = 0; i < n; ++i)
      a[i * k + j] *= scale;
  }
}

/// Best rank-`k` approximation of the `rows` x `cols` matrix `e` by subspace
/// (block power) iteration from a fixed start: e ~= u * v with u `rows` x
/// `k` and v `k` x `cols`. Exact when k >= min(rows, cols).
static void approximateLowRank(ArrayRef<float> e, int64_t rows, int64_t cols,
                               int64_t k, std::vector<double> &u,
                               std::vector<double> &v) {
  // Deterministic pseudo-random start (a fixed LCG).
  std::vector<double> q(cols * k);
  uint64_t state = 0x9E3779B97F4A7C15ull;
  for (double &x : q) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    x = double(state >> 11) / double(uint64_t(1) << 53) - 0.5;
  }
  orthonormalizeColumns(q, cols, k);
  std::vector<double> p(rows * k);
  auto multiplyE = [&]() { // p = e * q
    std::fill(p.begin(), p.end(), 0.0);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c) {
        double x = e[r * cols + c];
        if (x == 0.0)
          continue;
        for (int64_t j = 0; j < k; ++j)
          p[r * k + j] += x * q[c * k + j];
      }
    orthonormalizeColumns(p, rows, k);
  };
  auto multiplyET = [&](std::vector<double> &dst) { // dst = e^T * p
    dst.assign(cols * k, 0.0);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c) {
        double x = e[r * cols + c];
        if (x == 0.0)
          continue;
        for (int64_t j = 0; j < k; ++j)
          dst[c * k + j] += x * p[r * k + j];
      }
  };
  for (int iteration = 0; iteration < 12; ++iteration) {
    multiplyE();
    multiplyET(q);
    orthonormalizeColumns(q, cols, k);
  }
  multiplyE();
  // v = p^T e, the projection onto the converged range.
  std::vector<double> vt;
  multiplyET(vt);
  u.assign(rows * k, 0.0);
  v.assign(k * cols, 0.0);
  for (int64_t j = 0; j < k; ++j) {
    double norm = 0.0;
    for (int64_t c = 0; c < cols; ++c)
      norm += vt[c * k + j] * vt[c * k + j];
    if (norm == 0.0)
      continue;
    // Split the singular value evenly so both factors fit in f16.
    double split = std::sqrt(std::sqrt(norm));
    for (int64_t r = 0; r < rows; ++r)
      u[r * k + j] = p[r * k + j] * split;
    for (int64_t c = 0; c < cols; ++c)
      v[j * cols + c] = vt[c * k + j] / split;
  }
}

LogicalResult LowRankAttr::referenceEncode(
    ArrayRef<int64_t> shape, ArrayRef<float> values,
    ArrayRef<ArrayRef<uint8_t>> params, PartsData &result,
    function_ref<InFlightDiagnostic()> emitError) const {
  if (failed(checkLowRank(*this, shape, emitError)) ||
      failed(checkValueCount(shape, values, emitError)) ||
      failed(checkNoParams(params, emitError)))
    return failure();
  auto base = cast<EncodingAttrInterface>(getBase());
  PartsData baseParts;
  if (failed(base.referenceEncode(shape, values, {}, baseParts, emitError)))
    return failure();
  std::vector<float> residual(values.size());
  if (failed(base.referenceDecode(shape, getPartRefs(baseParts), residual,
                                  emitError)))
    return failure();
  for (auto [r, x] : llvm::zip_equal(residual, values))
    r = x - r;

  int64_t rows = getNumRows(shape), cols = shape.back(), rank = getRank();
  int64_t k = std::min({rank, rows, cols});
  std::vector<double> u, v;
  approximateLowRank(residual, rows, cols, k, u, v);
  ScalarFormat format = *ScalarFormat::get(getFactorType(), nullptr, "");
  std::vector<uint8_t> uBytes(rows * rank * format.getNumBytes(), 0),
      vBytes(rank * cols * format.getNumBytes(), 0);
  // Components beyond min(rows, cols) stay zero.
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < k; ++j)
      format.write(uBytes.data(), r * rank + j, float(u[r * k + j]));
  for (int64_t j = 0; j < k; ++j)
    for (int64_t c = 0; c < cols; ++c)
      format.write(vBytes.data(), j * cols + c, float(v[j * cols + c]));

  result.clear();
  appendParts(result, std::move(baseParts));
  result.push_back(std::move(uBytes));
  result.push_back(std::move(vBytes));
  return success();
}

LogicalResult LowRankAttr::referenceDecode(
    ArrayRef<int64_t> shape, ArrayRef<ArrayRef<uint8_t>> parts,
    MutableArrayRef<float> out,
    function_ref<InFlightDiagnostic()> emitError) const {
  if (failed(checkLowRank(*this, shape, emitError)) ||
      failed(checkOutputCount(shape, out.size(), emitError)) ||
      failed(checkParts(getParts(shape), parts, emitError)))
    return failure();
  auto base = cast<EncodingAttrInterface>(getBase());
  unsigned numBaseParts = parts.size() - 2;
  if (failed(base.referenceDecode(shape, parts.take_front(numBaseParts), out,
                                  emitError)))
    return failure();
  int64_t rows = getNumRows(shape), cols = shape.back(), rank = getRank();
  ScalarFormat format = *ScalarFormat::get(getFactorType(), nullptr, "");
  std::vector<float> u = format.readAll(parts[numBaseParts], rows * rank);
  std::vector<float> v = format.readAll(parts[numBaseParts + 1], rank * cols);
  // acc accumulates from j = 0 in f32, then is added to the base value.
  std::vector<float> acc(cols);
  for (int64_t r = 0; r < rows; ++r) {
    std::fill(acc.begin(), acc.end(), 0.0f);
    for (int64_t j = 0; j < rank; ++j) {
      float uj = u[r * rank + j];
      const float *vj = v.data() + j * cols;
      for (int64_t c = 0; c < cols; ++c)
        acc[c] = acc[c] + uj * vj[c];
    }
    float *rowOut = out.data() + r * cols;
    for (int64_t c = 0; c < cols; ++c)
      rowOut[c] = rowOut[c] + acc[c];
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Permuted
//===----------------------------------------------------------------------===//

static FailureOr<int64_t> checkPermuted(PermutedAttr attr,
                                        ArrayRef<int64_t> shape,
                                        EmitErrorFn emitError) {
  if (failed(checkShape(shape, emitError)) ||
      failed(getNested(attr.getBase(), "permuted base", emitError)))
    return failure();
  int64_t rank = shape.size();
  int64_t axis = attr.getAxis() < 0 ? attr.getAxis() + rank : attr.getAxis();
  if (axis < 0 || axis >= rank)
    return emitError() << "axis " << attr.getAxis()
                       << " is out of range for rank " << rank,
           failure();
  return axis;
}

LogicalResult PermutedAttr::referenceEncode(
    ArrayRef<int64_t> shape, ArrayRef<float> values,
    ArrayRef<ArrayRef<uint8_t>> params, PartsData &result,
    function_ref<InFlightDiagnostic()> emitError) const {
  FailureOr<int64_t> axis = checkPermuted(*this, shape, emitError);
  if (failed(axis) || failed(checkValueCount(shape, values, emitError)) ||
      failed(checkNoParams(params, emitError)))
    return failure();
  int64_t outer, extent, inner;
  splitAtAxis(shape, *axis, outer, extent, inner);
  std::vector<float> absMax(extent, 0.0f);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < extent; ++i)
      for (int64_t t = 0; t < inner; ++t) {
        float x = values[(o * extent + i) * inner + t];
        if (!std::isnan(x))
          absMax[i] = std::max(absMax[i], std::fabs(x));
      }
  // Base channel j holds channel order[j]: descending absmax, stable.
  std::vector<int64_t> order(extent);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
    return absMax[a] != absMax[b] ? absMax[a] > absMax[b] : a < b;
  });
  std::vector<float> permuted(values.size());
  std::vector<uint8_t> permutation(extent * 4);
  for (int64_t j = 0; j < extent; ++j) {
    writeI32(permutation.data(), order[j], int32_t(j));
    for (int64_t o = 0; o < outer; ++o)
      std::copy_n(values.data() + (o * extent + order[j]) * inner, inner,
                  permuted.data() + (o * extent + j) * inner);
  }
  PartsData baseParts;
  if (failed(cast<EncodingAttrInterface>(getBase()).referenceEncode(
          shape, permuted, {}, baseParts, emitError)))
    return failure();
  result.clear();
  appendParts(result, std::move(baseParts));
  result.push_back(std::move(permutation));
  return success();
}

LogicalResult PermutedAttr::referenceDecode(
    ArrayRef<int64_t> shape, ArrayRef<ArrayRef<uint8_t>> parts,
    MutableArrayRef<float> out,
    function_ref<InFlightDiagnostic()> emitError) const {
  FailureOr<int64_t> axis = checkPermuted(*this, shape, emitError);
  if (failed(axis) || failed(checkOutputCount(shape, out.size(), emitError)) ||
      failed(checkParts(getParts(shape), parts, emitError)))
    return failure();
  int64_t outer, extent, inner;
  splitAtAxis(shape, *axis, outer, extent, inner);
  std::vector<int32_t> permutation = readAllI32(parts.back(), extent);
  for (int32_t source : permutation)
    if (source < 0 || source >= extent)
      return emitError() << "permutation entry " << source
                         << " is out of range for extent " << extent;
  std::vector<float> baseValues(out.size());
  if (failed(cast<EncodingAttrInterface>(getBase()).referenceDecode(
          shape, parts.drop_back(), baseValues, emitError)))
    return failure();
  // x[..., i, ...] = base[..., perm[i], ...].
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < extent; ++i)
      std::copy_n(baseValues.data() + (o * extent + permutation[i]) * inner,
                  inner, out.data() + (o * extent + i) * inner);
  return success();
}

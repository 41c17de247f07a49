//===- Outliers.cpp - Outlier channels, scale migration, rotation ---------===//

#include "quant/Quantize/Outliers.h"

#include "quant/Quantize/Sensitivity.h"
#include "quant/Support/Rounding.h"

#include "llvm/ADT/Twine.h"
#include "llvm/ADT/bit.h"
#include "llvm/Support/MathExtras.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <optional>
#include <random>

using namespace mlir::qnt;
using namespace mlir::qnt::quantize;

static llvm::Error makeError(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

//===----------------------------------------------------------------------===//
// Permutations
//===----------------------------------------------------------------------===//

bool quantize::isPermutation(llvm::ArrayRef<int64_t> order, int64_t n) {
  if (int64_t(order.size()) != n)
    return false;
  std::vector<bool> seen(n, false);
  for (int64_t i : order) {
    if (i < 0 || i >= n || seen[i])
      return false;
    seen[i] = true;
  }
  return true;
}

ChannelOrder quantize::invertOrder(llvm::ArrayRef<int64_t> order) {
  ChannelOrder inv(order.size());
  for (size_t j = 0; j < order.size(); ++j)
    inv[order[j]] = int64_t(j);
  return inv;
}

std::vector<float> quantize::permuteColumns(llvm::ArrayRef<float> w,
                                            int64_t rows, int64_t cols,
                                            llvm::ArrayRef<int64_t> order) {
  assert(isPermutation(order, cols) && w.size() == size_t(rows * cols));
  std::vector<float> out(w.size());
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < cols; ++j)
      out[r * cols + j] = w[r * cols + order[j]];
  return out;
}

std::vector<float> quantize::permuteRows(llvm::ArrayRef<float> w, int64_t rows,
                                         int64_t cols,
                                         llvm::ArrayRef<int64_t> order) {
  assert(isPermutation(order, rows) && w.size() == size_t(rows * cols));
  std::vector<float> out(w.size());
  for (int64_t j = 0; j < rows; ++j)
    std::copy_n(w.data() + order[j] * cols, cols, out.data() + j * cols);
  return out;
}

std::vector<float> quantize::permuteVector(llvm::ArrayRef<float> v,
                                           llvm::ArrayRef<int64_t> order) {
  assert(isPermutation(order, int64_t(v.size())));
  std::vector<float> out(v.size());
  for (size_t j = 0; j < v.size(); ++j)
    out[j] = v[order[j]];
  return out;
}

std::vector<double> quantize::permuteHessian(llvm::ArrayRef<double> hessian,
                                             llvm::ArrayRef<int64_t> order) {
  int64_t n = int64_t(order.size());
  assert(isPermutation(order, n) && hessian.size() == size_t(n * n));
  std::vector<double> out(hessian.size());
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j)
      out[i * n + j] = hessian[order[i] * n + order[j]];
  return out;
}

std::vector<int32_t>
quantize::toEncodingPermutation(llvm::ArrayRef<int64_t> order) {
  std::vector<int32_t> perm(order.size());
  for (size_t j = 0; j < order.size(); ++j)
    perm[order[j]] = int32_t(j);
  return perm;
}

std::vector<double>
quantize::channelOutlierScores(llvm::ArrayRef<float> actScale,
                               llvm::ArrayRef<float> w, int64_t rows,
                               int64_t cols) {
  assert(actScale.size() == size_t(cols) && w.size() == size_t(rows * cols));
  std::vector<double> norm(cols, 0.0);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c)
      norm[c] += double(w[r * cols + c]) * double(w[r * cols + c]);
  std::vector<double> scores(cols);
  for (int64_t c = 0; c < cols; ++c)
    scores[c] = std::fabs(double(actScale[c])) * std::sqrt(norm[c]);
  return scores;
}

ChannelOrder quantize::outlierGroupingOrder(llvm::ArrayRef<double> scores,
                                            int64_t numOutliers) {
  int64_t n = int64_t(scores.size());
  ChannelOrder byScore(n);
  std::iota(byScore.begin(), byScore.end(), 0);
  std::stable_sort(byScore.begin(), byScore.end(),
                   [&](int64_t a, int64_t b) { return scores[a] > scores[b]; });
  if (numOutliers < 0 || numOutliers >= n)
    return byScore;
  ChannelOrder order(byScore.begin(), byScore.begin() + numOutliers);
  std::vector<bool> moved(n, false);
  for (int64_t c : order)
    moved[c] = true;
  for (int64_t c = 0; c < n; ++c)
    if (!moved[c])
      order.push_back(c);
  return order;
}

//===----------------------------------------------------------------------===//
// Scale migration
//===----------------------------------------------------------------------===//

std::vector<float> quantize::scaleColumns(llvm::ArrayRef<float> w, int64_t rows,
                                          int64_t cols,
                                          llvm::ArrayRef<float> factors) {
  assert(factors.size() == size_t(cols) && w.size() == size_t(rows * cols));
  std::vector<float> out(w.size());
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c)
      out[r * cols + c] = w[r * cols + c] * factors[c];
  return out;
}

std::vector<float> quantize::scaleRows(llvm::ArrayRef<float> w, int64_t rows,
                                       int64_t cols,
                                       llvm::ArrayRef<float> factors) {
  assert(factors.size() == size_t(rows) && w.size() == size_t(rows * cols));
  std::vector<float> out(w.size());
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c)
      out[r * cols + c] = w[r * cols + c] * factors[r];
  return out;
}

std::vector<float> quantize::reciprocal(llvm::ArrayRef<float> v) {
  std::vector<float> out(v.size());
  for (size_t i = 0; i < v.size(); ++i)
    out[i] = 1.0f / v[i];
  return out;
}

std::vector<double> quantize::scaleHessian(llvm::ArrayRef<double> hessian,
                                           llvm::ArrayRef<float> s) {
  int64_t n = int64_t(s.size());
  assert(hessian.size() == size_t(n * n));
  std::vector<double> out(hessian.size());
  for (int64_t a = 0; a < n; ++a)
    for (int64_t b = 0; b < n; ++b)
      out[a * n + b] = hessian[a * n + b] / (double(s[a]) * double(s[b]));
  return out;
}

std::vector<float> quantize::smoothQuantScales(llvm::ArrayRef<float> actAbsMax,
                                               llvm::ArrayRef<float> w,
                                               int64_t rows, int64_t cols,
                                               double alpha) {
  assert(actAbsMax.size() == size_t(cols) && w.size() == size_t(rows * cols));
  std::vector<float> wMax(cols, 0.0f);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c)
      wMax[c] = std::max(wMax[c], std::fabs(w[r * cols + c]));
  std::vector<float> s(cols, 1.0f);
  for (int64_t c = 0; c < cols; ++c) {
    double a = std::fabs(double(actAbsMax[c])), m = wMax[c];
    if (a > 0.0 && m > 0.0 && std::isfinite(a))
      s[c] = float(std::pow(a, alpha) / std::pow(m, 1.0 - alpha));
  }
  return s;
}

/// Output error of quantizing w diag(s) with RTN and scaling back.
static llvm::Expected<double> scaledError(const QuantFormat &format,
                                          llvm::ArrayRef<float> w, int64_t rows,
                                          int64_t cols, llvm::ArrayRef<float> s,
                                          llvm::ArrayRef<double> hessian,
                                          const ScaleSearchOptions &search) {
  std::vector<float> scaled = scaleColumns(w, rows, cols, s);
  auto q = quantizeRTN(format, scaled, rows, cols, search);
  if (!q)
    return q.takeError();
  std::vector<float> back =
      scaleColumns(q->dequantized, rows, cols, reciprocal(s));
  if (hessian.size() == size_t(cols * cols))
    return outputError(w, back, rows, cols, hessian);
  double e = 0.0;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) {
      double d = double(w[r * cols + c]) - double(back[r * cols + c]);
      e += hessian[c] * d * d;
    }
  return e;
}

llvm::Expected<AWQResult> quantize::searchAWQScales(
    const QuantFormat &format, llvm::ArrayRef<float> w, int64_t rows,
    int64_t cols, llvm::ArrayRef<double> actMeanAbs,
    llvm::ArrayRef<double> hessian, const AWQOptions &options) {
  if (w.size() != size_t(rows * cols) || actMeanAbs.size() != size_t(cols))
    return makeError("AWQ: expected " + llvm::Twine(rows * cols) +
                     " weights and " + llvm::Twine(cols) +
                     " activation scales");
  if (hessian.size() != size_t(cols * cols) && hessian.size() != size_t(cols))
    return makeError("AWQ: the Hessian must be [" + llvm::Twine(cols) + ", " +
                     llvm::Twine(cols) + "] or its diagonal");
  if (options.gridPoints < 2)
    return makeError("AWQ: the alpha grid needs at least 2 points");

  std::vector<double> wMean(cols, 0.0);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c)
      wMean[c] += std::fabs(double(w[r * cols + c]));
  double aFloor = 0.0, wFloor = 0.0;
  for (int64_t c = 0; c < cols; ++c) {
    wMean[c] /= double(rows);
    aFloor = std::max(aFloor, double(std::fabs(actMeanAbs[c])));
    wFloor = std::max(wFloor, wMean[c]);
  }
  // Keep dead channels from producing zero or infinite scales.
  aFloor = std::max(aFloor * 1e-6, 1e-30);
  wFloor = std::max(wFloor * 1e-6, 1e-30);

  AWQResult result;
  result.scales.assign(cols, 1.0f);
  auto base = scaledError(format, w, rows, cols, result.scales, hessian,
                          options.scaleSearch);
  if (!base)
    return base.takeError();
  result.baselineError = result.error = *base;

  std::vector<float> s(cols);
  for (int i = 0; i < options.gridPoints; ++i) {
    double alpha = double(i) / double(options.gridPoints - 1);
    double lo = INFINITY, hi = 0.0;
    std::vector<double> raw(cols);
    for (int64_t c = 0; c < cols; ++c) {
      double a = std::max(double(std::fabs(actMeanAbs[c])), aFloor);
      double v = std::pow(a, alpha);
      if (options.weightTerm)
        v /= std::pow(std::max(wMean[c], wFloor), 1.0 - alpha);
      raw[c] = v;
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
    double norm = std::sqrt(lo * hi);
    for (int64_t c = 0; c < cols; ++c)
      s[c] = float(raw[c] / norm);
    auto e =
        scaledError(format, w, rows, cols, s, hessian, options.scaleSearch);
    if (!e)
      return e.takeError();
    if (*e < result.error) {
      result.error = *e;
      result.alpha = alpha;
      result.scales = s;
    }
  }
  return result;
}

//===----------------------------------------------------------------------===//
// Hadamard rotation
//===----------------------------------------------------------------------===//

template <typename T>
static void walshHadamard(T *v, int64_t n) {
  assert(n > 0 && llvm::isPowerOf2_64(uint64_t(n)) && "size must be 2^k");
  for (int64_t h = 1; h < n; h *= 2)
    for (int64_t i = 0; i < n; i += 2 * h)
      for (int64_t j = i; j < i + h; ++j) {
        T a = v[j], b = v[j + h];
        v[j] = a + b;
        v[j + h] = a - b;
      }
  T scale = T(1) / std::sqrt(T(n));
  for (int64_t i = 0; i < n; ++i)
    v[i] *= scale;
}

void quantize::fastWalshHadamard(float *v, int64_t n) { walshHadamard(v, n); }
void quantize::fastWalshHadamard(double *v, int64_t n) { walshHadamard(v, n); }

llvm::Expected<HadamardRotation> HadamardRotation::create(int64_t size,
                                                          uint64_t seed,
                                                          int64_t maxBlock,
                                                          bool randomSigns) {
  if (size <= 0)
    return makeError("Hadamard rotation: size must be positive, got " +
                     llvm::Twine(size));
  if (maxBlock < 0 ||
      (maxBlock > 0 && !llvm::isPowerOf2_64(uint64_t(maxBlock))))
    return makeError("Hadamard rotation: the block limit must be a power of "
                     "two, got " +
                     llvm::Twine(maxBlock));
  HadamardRotation rot;
  rot.size = size;
  int64_t left = size;
  while (left > 0) {
    int64_t b = int64_t(llvm::bit_floor(uint64_t(left)));
    if (maxBlock > 0)
      b = std::min(b, maxBlock);
    rot.blocks.push_back(b);
    left -= b;
  }
  rot.signs.assign(size, 1.0f);
  if (randomSigns) {
    std::mt19937_64 rng(seed);
    for (float &s : rot.signs)
      s = (rng() >> 63) ? -1.0f : 1.0f;
  }
  return rot;
}

void HadamardRotation::apply(float *v) const {
  // Q v = H (D v); accumulate in double so that Q^T Q is the identity to
  // float rounding.
  std::vector<double> tmp(size);
  for (int64_t i = 0; i < size; ++i)
    tmp[i] = double(v[i]) * signs[i];
  int64_t offset = 0;
  for (int64_t b : blocks) {
    fastWalshHadamard(tmp.data() + offset, b);
    offset += b;
  }
  for (int64_t i = 0; i < size; ++i)
    v[i] = float(tmp[i]);
}

void HadamardRotation::applyTranspose(float *v) const {
  // Q^T v = D H v (each block is symmetric).
  std::vector<double> tmp(v, v + size);
  int64_t offset = 0;
  for (int64_t b : blocks) {
    fastWalshHadamard(tmp.data() + offset, b);
    offset += b;
  }
  for (int64_t i = 0; i < size; ++i)
    v[i] = float(tmp[i] * signs[i]);
}

std::vector<float> HadamardRotation::rotateWeight(llvm::ArrayRef<float> w,
                                                  int64_t rows) const {
  assert(w.size() == size_t(rows * size));
  std::vector<float> out(w.begin(), w.end());
  for (int64_t r = 0; r < rows; ++r)
    apply(out.data() + r * size);
  return out;
}

std::vector<float> HadamardRotation::rotateActivations(llvm::ArrayRef<float> x,
                                                       int64_t samples) const {
  return rotateWeight(x, samples);
}

std::vector<double>
HadamardRotation::rotateHessian(llvm::ArrayRef<double> hessian) const {
  assert(hessian.size() == size_t(size * size));
  // Q H Q^T = Q (Q H)^T, H symmetric: rotate the columns, then the rows.
  auto rotateColumns = [&](std::vector<double> &m) {
    std::vector<double> column(size);
    for (int64_t c = 0; c < size; ++c) {
      for (int64_t i = 0; i < size; ++i)
        column[i] = m[i * size + c] * signs[i];
      int64_t offset = 0;
      for (int64_t b : blocks) {
        fastWalshHadamard(column.data() + offset, b);
        offset += b;
      }
      for (int64_t i = 0; i < size; ++i)
        m[i * size + c] = column[i];
    }
  };
  std::vector<double> m(hessian.begin(), hessian.end());
  rotateColumns(m); // Q H
  // Transpose and rotate again: Q (Q H)^T = Q H^T Q^T = Q H Q^T.
  for (int64_t i = 0; i < size; ++i)
    for (int64_t j = i + 1; j < size; ++j)
      std::swap(m[i * size + j], m[j * size + i]);
  rotateColumns(m);
  return m;
}

std::vector<float> HadamardRotation::rotateProducer(llvm::ArrayRef<float> a,
                                                    int64_t cols) const {
  assert(a.size() == size_t(size * cols));
  std::vector<float> out(a.size()), column(size);
  for (int64_t c = 0; c < cols; ++c) {
    for (int64_t i = 0; i < size; ++i)
      column[i] = a[i * cols + c];
    apply(column.data());
    for (int64_t i = 0; i < size; ++i)
      out[i * cols + c] = column[i];
  }
  return out;
}

//===----------------------------------------------------------------------===//
// Dense + sparse
//===----------------------------------------------------------------------===//

int64_t quantize::outlierCountForFraction(double fraction, int64_t numel) {
  if (!(fraction > 0.0))
    return 0;
  double n = std::round(fraction * double(numel));
  return std::min<int64_t>(numel, int64_t(n));
}

/// The `nnz` indices with the largest `larger` order, as CSR of w.
template <typename Larger>
static SparseOutliers extractTop(llvm::ArrayRef<float> w, int64_t rows,
                                 int64_t cols, int64_t nnz, Larger larger,
                                 std::vector<float> &dense) {
  assert(w.size() == size_t(rows * cols));
  int64_t numel = rows * cols;
  nnz = std::clamp<int64_t>(nnz, 0, numel);
  std::vector<int64_t> idx(numel);
  std::iota(idx.begin(), idx.end(), 0);
  if (nnz < numel)
    std::nth_element(idx.begin(), idx.begin() + nnz, idx.end(), larger);
  idx.resize(nnz);
  std::sort(idx.begin(), idx.end());

  SparseOutliers sparse;
  sparse.rows = rows;
  sparse.cols = cols;
  sparse.rowOffsets.assign(rows + 1, 0);
  dense.assign(w.begin(), w.end());
  for (int64_t i : idx) {
    ++sparse.rowOffsets[i / cols + 1];
    sparse.colIndices.push_back(int32_t(i % cols));
    sparse.values.push_back(w[i]);
    dense[i] = 0.0f;
  }
  for (int64_t r = 0; r < rows; ++r)
    sparse.rowOffsets[r + 1] += sparse.rowOffsets[r];
  return sparse;
}

SparseOutliers quantize::extractOutliers(llvm::ArrayRef<float> w, int64_t rows,
                                         int64_t cols, int64_t nnz,
                                         std::vector<float> &dense) {
  auto magnitude = [&](int64_t i) {
    float m = std::fabs(w[i]);
    return std::isnan(m) ? -1.0f : m;
  };
  auto larger = [&](int64_t a, int64_t b) {
    float ma = magnitude(a), mb = magnitude(b);
    return ma != mb ? ma > mb : a < b;
  };
  return extractTop(w, rows, cols, nnz, larger, dense);
}

std::vector<double>
quantize::outlierScores(llvm::ArrayRef<float> w, int64_t rows, int64_t cols,
                        llvm::ArrayRef<double> columnWeights) {
  assert(w.size() == size_t(rows * cols));
  assert(columnWeights.empty() || columnWeights.size() == size_t(cols));
  std::vector<double> scores(w.size());
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) {
      double m = std::fabs(double(w[r * cols + c]));
      if (!columnWeights.empty())
        m *= std::sqrt(std::max(columnWeights[c], 0.0));
      scores[r * cols + c] = std::isnan(m) ? -1.0 : m;
    }
  return scores;
}

SparseOutliers quantize::extractOutliersByScore(llvm::ArrayRef<float> w,
                                                int64_t rows, int64_t cols,
                                                int64_t nnz,
                                                llvm::ArrayRef<double> scores,
                                                std::vector<float> &dense) {
  assert(scores.size() == w.size());
  auto larger = [&](int64_t a, int64_t b) {
    return scores[a] != scores[b] ? scores[a] > scores[b] : a < b;
  };
  return extractTop(w, rows, cols, nnz, larger, dense);
}

void quantize::addOutliers(const SparseOutliers &sparse,
                           llvm::MutableArrayRef<float> dense) {
  assert(dense.size() == size_t(sparse.rows * sparse.cols));
  for (int64_t r = 0; r < sparse.rows; ++r)
    for (int32_t i = sparse.rowOffsets[r]; i < sparse.rowOffsets[r + 1]; ++i)
      dense[r * sparse.cols + sparse.colIndices[i]] += sparse.values[i];
}

std::vector<float>
quantize::outlierResiduals(const SparseOutliers &sparse,
                           llvm::ArrayRef<float> w,
                           llvm::ArrayRef<float> baseDequantized) {
  std::vector<float> values(sparse.values.size());
  for (int64_t r = 0; r < sparse.rows; ++r)
    for (int32_t i = sparse.rowOffsets[r]; i < sparse.rowOffsets[r + 1]; ++i) {
      int64_t at = r * sparse.cols + sparse.colIndices[i];
      values[i] = w[at] - baseDequantized[at];
    }
  return values;
}

float quantize::roundOutlierValue(ScaleType valueType, float v) {
  if (valueType == ScaleType::F16)
    return halfBitsToFloat(floatToHalfBits(v));
  return v;
}

template <typename T>
static void appendLittleEndian(std::vector<uint8_t> &out, T value) {
  for (size_t b = 0; b < sizeof(T); ++b)
    out.push_back(uint8_t(uint64_t(value) >> (8 * b)));
}

std::vector<std::vector<uint8_t>>
quantize::packOutlierParts(const SparseOutliers &sparse, ScaleType valueType) {
  std::vector<std::vector<uint8_t>> parts(3);
  for (int32_t offset : sparse.rowOffsets)
    appendLittleEndian(parts[0], uint32_t(offset));
  for (int32_t col : sparse.colIndices)
    appendLittleEndian(parts[1], uint32_t(col));
  for (float v : sparse.values) {
    if (valueType == ScaleType::F16)
      appendLittleEndian(parts[2], floatToHalfBits(v));
    else
      appendLittleEndian(parts[2], llvm::bit_cast<uint32_t>(v));
  }
  return parts;
}

//===----------------------------------------------------------------------===//
// Candidate formats
//===----------------------------------------------------------------------===//

llvm::Expected<CandidateFormat> CandidateFormat::parse(llvm::StringRef name) {
  auto [densePart, sparsePart] = name.split('+');
  CandidateFormat format;
  llvm::Expected<QuantFormat> dense = QuantFormat::parse(densePart);
  if (!dense)
    return dense.takeError();
  format.dense = *dense;
  if (densePart.size() == name.size())
    return format;
  if (format.dense.kind == GridKind::Plain)
    return makeError("a plain '" + densePart +
                     "' weight needs no outliers; '+o' goes after a "
                     "quantized format");
  llvm::StringRef rest = sparsePart;
  if (!rest.consume_front("o"))
    return makeError("expected '+oP' (P the percentage of weights kept "
                     "sparse) after '" +
                     densePart + "', got '+" + sparsePart + "'");
  auto [percentText, typeText] = rest.split('-');
  double percent;
  if (percentText.empty() || percentText.getAsDouble(percent))
    return makeError("'+o" + rest +
                     "' needs a percentage of weights kept sparse, e.g. +o1 "
                     "or +o0.5");
  if (!(percent > 0.0 && percent < 100.0))
    return makeError("outlier percentage must be in (0, 100), got " +
                     percentText);
  format.outlierPercent = percent;
  if (rest.size() != percentText.size()) {
    if (typeText == "f16")
      format.outlierValueType = ScaleType::F16;
    else if (typeText == "f32")
      format.outlierValueType = ScaleType::F32;
    else
      return makeError("unknown outlier value type '" + typeText +
                       "' (expected f16 or f32)");
  }
  return format;
}

std::string CandidateFormat::getName() const {
  std::string name = dense.getName();
  if (!hasOutliers())
    return name;
  char percent[32];
  std::snprintf(percent, sizeof(percent), "%g", outlierPercent);
  name += "+o";
  name += percent;
  if (outlierValueType == ScaleType::F32)
    name += "-f32";
  return name;
}

int64_t CandidateFormat::getNumOutliers(int64_t rows, int64_t cols) const {
  if (!hasOutliers())
    return 0;
  return std::max<int64_t>(
      1, outlierCountForFraction(outlierPercent / 100.0, rows * cols));
}

std::string CandidateFormat::getEncodingAttr(int64_t rows, int64_t cols) const {
  std::string base = dense.getEncodingAttr();
  if (!hasOutliers())
    return base;
  return "#qnt.outliers<" + base +
         ", nnz = " + std::to_string(getNumOutliers(rows, cols)) +
         ", value = " + (outlierValueType == ScaleType::F16 ? "f16" : "f32") +
         ">";
}

uint64_t CandidateFormat::getSparseBits(int64_t rows, int64_t cols) const {
  if (!hasOutliers())
    return 0;
  return uint64_t(rows + 1) * 32 +
         uint64_t(getNumOutliers(rows, cols)) *
             (32 + getScaleTypeBits(outlierValueType));
}

uint64_t CandidateFormat::getStorageBits(int64_t rows, int64_t cols) const {
  return dense.getStorageBits(rows, cols) + getSparseBits(rows, cols);
}

uint64_t CandidateFormat::getStorageBytes(int64_t rows, int64_t cols) const {
  return dense.getStorageBytes(rows, cols) + getSparseBits(rows, cols) / 8;
}

std::vector<std::vector<uint8_t>> QuantizedCandidate::packParts() const {
  std::vector<std::vector<uint8_t>> parts = dense.packParts();
  if (format.hasOutliers())
    for (std::vector<uint8_t> &part :
         packOutlierParts(outliers, format.outlierValueType))
      parts.push_back(std::move(part));
  return parts;
}

llvm::Expected<std::vector<QuantizedCandidate>>
quantize::quantizeCandidate(const CandidateFormat &format,
                            llvm::ArrayRef<float> w, int64_t rows, int64_t cols,
                            llvm::ArrayRef<double> hessian, int64_t sliceRows,
                            const CandidateQuantizeOptions &options) {
  if (int64_t(w.size()) != rows * cols)
    return makeError("weight has " + llvm::Twine(w.size()) +
                     " values, expected " + llvm::Twine(rows * cols));
  if (!hessian.empty() && int64_t(hessian.size()) != cols * cols)
    return makeError("X^T X has " + llvm::Twine(hessian.size()) +
                     " values, expected " + llvm::Twine(cols * cols));
  if (sliceRows <= 0 || sliceRows > rows)
    sliceRows = rows;
  int64_t numSlices = (rows + sliceRows - 1) / sliceRows;
  auto sliceBegin = [&](int64_t s) { return s * sliceRows; };
  auto sliceCount = [&](int64_t s) {
    return std::min(sliceRows, rows - s * sliceRows);
  };

  // Each slice's outliers leave the weight before the dense part is
  // quantized (zeros in `dense`), so they stretch no group's range.
  std::vector<float> dense(w.begin(), w.end());
  std::vector<SparseOutliers> sparse(numSlices);
  if (format.hasOutliers()) {
    std::vector<double> diagonal;
    if (!hessian.empty())
      diagonal = getDiagonal(hessian, cols);
    for (int64_t s = 0; s < numSlices; ++s) {
      int64_t n = sliceCount(s);
      llvm::ArrayRef<float> slice = w.slice(sliceBegin(s) * cols, n * cols);
      std::vector<double> scores = outlierScores(slice, n, cols, diagonal);
      std::vector<float> sliceDense;
      sparse[s] = extractOutliersByScore(
          slice, n, cols, format.getNumOutliers(n, cols), scores, sliceDense);
      std::copy(sliceDense.begin(), sliceDense.end(),
                dense.begin() + sliceBegin(s) * cols);
    }
  }

  // GPTQ keeps the outlier positions out of the quantization (SpQR): they
  // make no error, and the error compensation of the columns before them
  // moves their targets, which the sparse part then stores.
  std::vector<uint8_t> exact;
  if (format.hasOutliers() && options.gptq) {
    exact.assign(w.size(), 0);
    for (int64_t s = 0; s < numSlices; ++s)
      for (int64_t r = 0; r < sliceCount(s); ++r)
        for (int32_t i = sparse[s].rowOffsets[r];
             i < sparse[s].rowOffsets[r + 1]; ++i)
          exact[(sliceBegin(s) + r) * cols + sparse[s].colIndices[i]] = 1;
  }
  // Compensation added to each weight kept exact (0 without GPTQ).
  std::vector<float> shifts(exact.empty() ? 0 : w.size(), 0.0f);
  auto quantizeDense = [&](int64_t begin,
                           int64_t n) -> llvm::Expected<QuantizedWeights> {
    llvm::ArrayRef<float> values =
        llvm::ArrayRef<float>(dense).slice(begin * cols, n * cols);
    if (!options.gptq)
      return quantizeRTN(format.dense, values, n, cols, options.scaleSearch);
    if (exact.empty())
      return quantizeGPTQ(format.dense, values, n, cols, hessian,
                          options.gptqOptions);
    // The outliers are 0 in `dense`, so what GPTQ returns for them is the
    // compensation alone.
    std::vector<float> moved;
    llvm::Expected<QuantizedWeights> q = quantizeGPTQKeepingExact(
        format.dense, values, n, cols, hessian,
        llvm::ArrayRef<uint8_t>(exact).slice(begin * cols, n * cols), moved,
        options.gptqOptions);
    if (q)
      std::copy(moved.begin(), moved.end(), shifts.begin() + begin * cols);
    return q;
  };
  // Rows are independent unless a tensor scale ties them together.
  bool whole =
      !(format.dense.kind == GridKind::Minifloat && format.dense.tensorScale);
  std::optional<QuantizedWeights> all;
  if (whole || numSlices == 1) {
    llvm::Expected<QuantizedWeights> q = quantizeDense(0, rows);
    if (!q)
      return q.takeError();
    all = std::move(*q);
  }

  std::vector<QuantizedCandidate> results;
  for (int64_t s = 0; s < numSlices; ++s) {
    int64_t begin = sliceBegin(s), n = sliceCount(s);
    QuantizedCandidate result;
    result.format = format;
    if (all) {
      result.dense = numSlices == 1 ? *all : all->sliceRows(begin, n);
    } else {
      llvm::Expected<QuantizedWeights> q = quantizeDense(begin, n);
      if (!q)
        return q.takeError();
      result.dense = std::move(*q);
    }
    result.dequantized = result.dense.dequantized;
    if (format.hasOutliers()) {
      SparseOutliers &outliers = sparse[s];
      // Stored residuals: target - dense at each outlier (the target being
      // w, plus its GPTQ compensation), on the value type; the decode adds
      // them to the dense value in f32, as done here.
      for (int64_t r = 0; r < n; ++r)
        for (int32_t i = outliers.rowOffsets[r]; i < outliers.rowOffsets[r + 1];
             ++i) {
          int64_t at = r * cols + outliers.colIndices[i];
          float target = w[begin * cols + at];
          if (!shifts.empty())
            target += shifts[begin * cols + at];
          outliers.values[i] = roundOutlierValue(
              format.outlierValueType, target - result.dense.dequantized[at]);
          float &value = result.dequantized[at];
          value = value + outliers.values[i];
        }
      result.outliers = std::move(outliers);
    }
    results.push_back(std::move(result));
  }
  return results;
}

//===- WeightQuantizer.cpp - RTN, MSE clipping and GPTQ -------------------===//
//
// GPTQ keeps the working weights transposed ([cols][rows], double) so that
// a column, the unit GPTQ quantizes and updates, is contiguous.
//
//===----------------------------------------------------------------------===//

#include "quant/Quantize/WeightQuantizer.h"

#include "llvm/ADT/Twine.h"

#include <algorithm>
#include <cmath>
#include <numeric>

using namespace mlir::qnt;
using namespace mlir::qnt::quantize;

static llvm::Error makeError(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

static llvm::Error checkShape(const QuantFormat &format, size_t size,
                              int64_t rows, int64_t cols, const char *what) {
  if (llvm::Error err = format.verify())
    return err;
  if (rows <= 0 || cols <= 0)
    return makeError(llvm::Twine(what) +
                     ": weight shape must be positive, got [" +
                     llvm::Twine(rows) + ", " + llvm::Twine(cols) + "]");
  if (size != size_t(rows * cols))
    return makeError(llvm::Twine(what) + ": expected " +
                     llvm::Twine(rows * cols) + " weights for [" +
                     llvm::Twine(rows) + ", " + llvm::Twine(cols) + "], got " +
                     llvm::Twine(uint64_t(size)));
  return llvm::Error::success();
}

/// A result of the right sizes for [rows, cols] weights in `format`, with
/// the tensor scale chosen; codes, values and group params still to fill.
static QuantizedWeights makeEmptyResult(const QuantFormat &format,
                                        llvm::ArrayRef<float> w, int64_t rows,
                                        int64_t cols) {
  QuantizedWeights q;
  q.format = format;
  q.rows = rows;
  q.cols = cols;
  q.tensorScale = computeTensorScale(format, w);
  q.codes.resize(w.size());
  q.dequantized.resize(w.size());
  if (format.hasGroupParams())
    q.params.resize(size_t(rows * format.getNumGroups(cols)));
  return q;
}

GroupParams quantize::searchGroupParams(const QuantFormat &format,
                                        const float *x, int64_t n,
                                        float tensorScale,
                                        const ScaleSearchOptions &options,
                                        int64_t firstCol) {
  if (!options.mseClip || !format.hasGroupParams() || options.gridPoints < 2)
    return chooseGroupParams(format, x, n, tensorScale);
  const double *weights = options.columnWeights.empty()
                              ? nullptr
                              : options.columnWeights.data() + firstCol;
  GroupParams best;
  double bestError = INFINITY;
  for (int i = 0; i < options.gridPoints; ++i) {
    float clip = 1.0f - (1.0f - options.minShrink) * float(i) /
                            float(options.gridPoints - 1);
    GroupParams p = chooseGroupParams(format, x, n, tensorScale, clip);
    double error = 0.0;
    for (int64_t j = 0; j < n; ++j) {
      double d =
          double(x[j]) - double(quantizeValue(format, p, tensorScale, x[j]));
      error += (weights ? weights[j] : 1.0) * d * d;
    }
    // Strictly better only: ties keep the wider range (min-max first).
    if (error < bestError) {
      bestError = error;
      best = p;
    }
  }
  return best;
}

llvm::Expected<QuantizedWeights>
quantize::quantizeRTN(const QuantFormat &format, llvm::ArrayRef<float> w,
                      int64_t rows, int64_t cols,
                      const ScaleSearchOptions &options) {
  if (llvm::Error err = checkShape(format, w.size(), rows, cols, "RTN"))
    return std::move(err);
  if (!options.columnWeights.empty() &&
      options.columnWeights.size() != size_t(cols))
    return makeError("RTN: column weights must have one entry per input "
                     "channel");
  QuantizedWeights q = makeEmptyResult(format, w, rows, cols);
  int64_t g = format.getGroupSize(cols), groups = format.getNumGroups(cols);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t gi = 0; gi < groups; ++gi) {
      int64_t begin = gi * g, n = std::min(g, cols - begin);
      const float *x = w.data() + r * cols + begin;
      GroupParams p;
      if (format.hasGroupParams()) {
        p = searchGroupParams(format, x, n, q.tensorScale, options, begin);
        q.params[r * groups + gi] = p;
      }
      quantizeGroup(format, p, q.tensorScale, x, n,
                    q.codes.data() + r * cols + begin,
                    q.dequantized.data() + r * cols + begin);
    }
  }
  return q;
}

//===----------------------------------------------------------------------===//
// Linear algebra
//===----------------------------------------------------------------------===//

bool quantize::choleskyLower(std::vector<double> &a, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    double *ri = a.data() + i * n;
    for (int64_t j = 0; j <= i; ++j) {
      const double *rj = a.data() + j * n;
      double sum = ri[j];
      for (int64_t k = 0; k < j; ++k)
        sum -= ri[k] * rj[k];
      if (i == j) {
        if (!(sum > 0.0) || !std::isfinite(sum))
          return false;
        ri[i] = std::sqrt(sum);
      } else {
        ri[j] = sum / rj[j];
      }
    }
    for (int64_t j = i + 1; j < n; ++j)
      ri[j] = 0.0;
  }
  return true;
}

bool quantize::inverseCholeskyUpper(llvm::ArrayRef<double> a, int64_t n,
                                    std::vector<double> &upper) {
  // With P the index reversal, P a P = L L^T gives a = R R^T for the upper
  // R = P L P, so inverse(a) = (R^-1)^T R^-1 and U = R^-1 = P L^-1 P.
  std::vector<double> l(static_cast<size_t>(n * n));
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j)
      l[i * n + j] = a[(n - 1 - i) * n + (n - 1 - j)];
  if (!choleskyLower(l, n))
    return false;
  // Row i of L^-1 = (e_i - sum_{k<i} L[i][k] * row k of L^-1) / L[i][i].
  std::vector<double> inv(size_t(n * n), 0.0);
  for (int64_t i = 0; i < n; ++i) {
    double *out = inv.data() + i * n;
    const double *li = l.data() + i * n;
    for (int64_t k = 0; k < i; ++k) {
      double f = li[k];
      if (f == 0.0)
        continue;
      const double *rk = inv.data() + k * n;
      for (int64_t j = 0; j <= k; ++j)
        out[j] -= f * rk[j];
    }
    out[i] += 1.0;
    double d = li[i];
    for (int64_t j = 0; j <= i; ++j)
      out[j] /= d;
  }
  upper.assign(size_t(n * n), 0.0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = i; j < n; ++j)
      upper[i * n + j] = inv[(n - 1 - i) * n + (n - 1 - j)];
  return true;
}

//===----------------------------------------------------------------------===//
// GPTQ
//===----------------------------------------------------------------------===//

llvm::Expected<QuantizedWeights> quantize::quantizeGPTQ(
    const QuantFormat &format, llvm::ArrayRef<float> w, int64_t rows,
    int64_t cols, llvm::ArrayRef<double> hessian, const GPTQOptions &options) {
  std::vector<float> unused;
  return quantizeGPTQKeepingExact(format, w, rows, cols, hessian, {}, unused,
                                  options);
}

llvm::Expected<QuantizedWeights> quantize::quantizeGPTQKeepingExact(
    const QuantFormat &format, llvm::ArrayRef<float> w, int64_t rows,
    int64_t cols, llvm::ArrayRef<double> hessian, llvm::ArrayRef<uint8_t> exact,
    std::vector<float> &exactValues, const GPTQOptions &options) {
  if (llvm::Error err = checkShape(format, w.size(), rows, cols, "GPTQ"))
    return std::move(err);
  if (!exact.empty() && exact.size() != w.size())
    return makeError("GPTQ: the exact-position mask must have one entry per "
                     "weight");
  exactValues.assign(exact.empty() ? 0 : w.size(), 0.0f);
  if (hessian.size() != size_t(cols * cols))
    return makeError("GPTQ: the Hessian must be [" + llvm::Twine(cols) + ", " +
                     llvm::Twine(cols) + "] (" + llvm::Twine(cols * cols) +
                     " values), got " + llvm::Twine(uint64_t(hessian.size())));
  if (options.blockSize <= 0)
    return makeError("GPTQ: block size must be positive");
  const ScaleSearchOptions &search = options.scaleSearch;
  if (!search.columnWeights.empty() &&
      search.columnWeights.size() != size_t(cols))
    return makeError("GPTQ: column weights must have one entry per input "
                     "channel");
  for (double v : hessian)
    if (!std::isfinite(v))
      return makeError("GPTQ: the Hessian has a non-finite entry");

  // Dead inputs get a unit diagonal, which decouples them.
  std::vector<double> h(hessian.begin(), hessian.end());
  for (int64_t i = 0; i < cols; ++i)
    if (h[i * cols + i] == 0.0)
      h[i * cols + i] = 1.0;

  // Processing order: position p quantizes original column perm[p].
  std::vector<int64_t> perm(cols);
  std::iota(perm.begin(), perm.end(), 0);
  if (options.actOrder)
    std::stable_sort(perm.begin(), perm.end(), [&](int64_t a, int64_t b) {
      return h[a * cols + a] > h[b * cols + b];
    });
  std::vector<int64_t> position(cols);
  for (int64_t p = 0; p < cols; ++p)
    position[perm[p]] = p;

  std::vector<double> hp(static_cast<size_t>(cols * cols));
  double meanDiag = 0.0;
  for (int64_t i = 0; i < cols; ++i) {
    for (int64_t j = 0; j < cols; ++j)
      hp[i * cols + j] = h[perm[i] * cols + perm[j]];
    meanDiag += hp[i * cols + i];
  }
  meanDiag /= double(cols);

  std::vector<double> u;
  double damp = options.dampPercent * meanDiag;
  bool factored = false;
  for (int attempt = 0; attempt < 5 && !factored; ++attempt) {
    std::vector<double> damped = hp;
    for (int64_t i = 0; i < cols; ++i)
      damped[i * cols + i] += damp;
    factored = inverseCholeskyUpper(damped, cols, u);
    damp = damp > 0.0 ? damp * 10.0 : 1e-6 * std::max(meanDiag, 1.0);
  }
  if (!factored)
    return makeError("GPTQ: the damped Hessian is not positive definite "
                     "(raise the dampening)");

  QuantizedWeights q = makeEmptyResult(format, w, rows, cols);
  int64_t g = format.getGroupSize(cols), groups = format.getNumGroups(cols);
  std::vector<bool> groupReady(groups, false);

  // wt[p][r]: current value of row r at processing position p.
  std::vector<double> wt(static_cast<size_t>(cols * rows));
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t p = 0; p < cols; ++p)
      wt[p * rows + r] = w[r * cols + perm[p]];

  int64_t blockSize = std::min(options.blockSize, cols);
  std::vector<double> err(static_cast<size_t>(blockSize * rows));
  std::vector<float> groupValues(static_cast<size_t>(rows * g));
  std::vector<double> current(rows, 0.0);
  for (int64_t i1 = 0; i1 < cols; i1 += blockSize) {
    int64_t i2 = std::min(i1 + blockSize, cols);
    for (int64_t p = i1; p < i2; ++p) {
      int64_t col = perm[p], gi = col / g;
      if (format.hasGroupParams() && !groupReady[gi]) {
        // Current values of the whole group: positions past the block still
        // owe the lazy update of the columns done in this block.
        int64_t begin = gi * g, n = std::min(g, cols - begin);
        for (int64_t c = 0; c < n; ++c) {
          int64_t qpos = position[begin + c];
          const double *src = wt.data() + qpos * rows;
          for (int64_t r = 0; r < rows; ++r)
            current[r] = src[r];
          if (qpos >= i2)
            for (int64_t t = i1; t < p; ++t) {
              double f = u[t * cols + qpos];
              const double *e = err.data() + (t - i1) * rows;
              for (int64_t r = 0; r < rows; ++r)
                current[r] -= e[r] * f;
            }
          // Positions kept exact do not stretch the group's range.
          for (int64_t r = 0; r < rows; ++r)
            groupValues[r * g + c] =
                !exact.empty() && exact[r * cols + begin + c]
                    ? 0.0f
                    : float(current[r]);
        }
        for (int64_t r = 0; r < rows; ++r)
          q.params[r * groups + gi] =
              searchGroupParams(format, groupValues.data() + r * g, n,
                                q.tensorScale, search, begin);
        groupReady[gi] = true;
      }

      double d = u[p * cols + p];
      double *column = wt.data() + p * rows;
      double *e = err.data() + (p - i1) * rows;
      for (int64_t r = 0; r < rows; ++r) {
        int32_t code;
        static const GroupParams kNone;
        const GroupParams &gp =
            format.hasGroupParams() ? q.params[r * groups + gi] : kNone;
        if (!exact.empty() && exact[r * cols + col]) {
          // The caller stores this weight exactly: no error to spread; the
          // dense codes hold 0 quantized.
          exactValues[r * cols + col] = float(column[r]);
          q.dequantized[r * cols + col] =
              quantizeValue(format, gp, q.tensorScale, 0.0f, &code);
          q.codes[r * cols + col] = code;
          e[r] = 0.0;
          continue;
        }
        float value =
            quantizeValue(format, gp, q.tensorScale, float(column[r]), &code);
        q.codes[r * cols + col] = code;
        q.dequantized[r * cols + col] = value;
        e[r] = (column[r] - double(value)) / d;
        column[r] = double(value);
      }
      for (int64_t j = p + 1; j < i2; ++j) {
        double f = u[p * cols + j];
        if (f == 0.0)
          continue;
        double *dst = wt.data() + j * rows;
        for (int64_t r = 0; r < rows; ++r)
          dst[r] -= e[r] * f;
      }
    }
    // Lazy batch update of the columns after the block.
    for (int64_t j = i2; j < cols; ++j) {
      double *dst = wt.data() + j * rows;
      for (int64_t t = i1; t < i2; ++t) {
        double f = u[t * cols + j];
        if (f == 0.0)
          continue;
        const double *e = err.data() + (t - i1) * rows;
        for (int64_t r = 0; r < rows; ++r)
          dst[r] -= e[r] * f;
      }
    }
  }
  return q;
}

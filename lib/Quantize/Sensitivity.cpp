//===- Sensitivity.cpp - Calibration statistics and layer errors ----------===//

#include "quant/Quantize/Sensitivity.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>

using namespace mlir::qnt;
using namespace mlir::qnt::quantize;

ActivationStats::ActivationStats(int64_t channels, bool keepHessian)
    : channels(channels), minValue(std::numeric_limits<float>::infinity()),
      maxValue(-std::numeric_limits<float>::infinity()),
      absMax(size_t(channels), 0.0f), absSum(size_t(channels), 0.0) {
  if (keepHessian)
    hessian.assign(size_t(channels * channels), 0.0);
}

void ActivationStats::add(llvm::ArrayRef<float> x, int64_t count) {
  assert(x.size() == size_t(count * channels) && "activation size mismatch");
  for (int64_t s = 0; s < count; ++s) {
    const float *row = x.data() + s * channels;
    for (int64_t k = 0; k < channels; ++k) {
      float v = row[k];
      if (std::isnan(v))
        continue;
      minValue = std::min(minValue, v);
      maxValue = std::max(maxValue, v);
      absMax[k] = std::max(absMax[k], std::fabs(v));
      absSum[k] += std::fabs(double(v));
    }
  }
  samples += count;
  if (!hessian.empty())
    accumulateHessian(hessian, x, count, channels);
}

std::vector<double> ActivationStats::getChannelMeanAbs() const {
  std::vector<double> mean(static_cast<size_t>(channels), 0.0);
  if (samples == 0)
    return mean;
  for (int64_t k = 0; k < channels; ++k)
    mean[k] = absSum[k] / double(samples);
  return mean;
}

void quantize::accumulateHessian(std::vector<double> &hessian,
                                 llvm::ArrayRef<float> x, int64_t samples,
                                 int64_t channels) {
  assert(hessian.size() == size_t(channels * channels) &&
         x.size() == size_t(samples * channels) && "Hessian size mismatch");
  std::vector<double> row(static_cast<size_t>(channels));
  for (int64_t s = 0; s < samples; ++s) {
    for (int64_t k = 0; k < channels; ++k)
      row[k] = double(x[s * channels + k]);
    // Upper triangle, mirrored below.
    for (int64_t i = 0; i < channels; ++i) {
      double xi = row[i];
      if (xi == 0.0)
        continue;
      double *hi = hessian.data() + i * channels;
      for (int64_t j = i; j < channels; ++j)
        hi[j] += xi * row[j];
    }
  }
  for (int64_t i = 0; i < channels; ++i)
    for (int64_t j = 0; j < i; ++j)
      hessian[i * channels + j] = hessian[j * channels + i];
}

double quantize::outputError(llvm::ArrayRef<float> w, llvm::ArrayRef<float> wq,
                             int64_t rows, int64_t cols,
                             llvm::ArrayRef<double> hessian) {
  assert(w.size() == size_t(rows * cols) && wq.size() == w.size() &&
         hessian.size() == size_t(cols * cols) && "size mismatch");
  // Rows in blocks: y_b = H d_b is accumulated as axpys over the rows of H
  // (which vectorize, unlike dot products), each row of H read once per
  // block.
  constexpr int64_t kBlock = 8;
  double total = 0.0;
  std::vector<double> d(static_cast<size_t>(kBlock * cols));
  std::vector<double> y(static_cast<size_t>(kBlock * cols));
  for (int64_t r0 = 0; r0 < rows; r0 += kBlock) {
    int64_t nb = std::min(kBlock, rows - r0);
    for (int64_t b = 0; b < nb; ++b)
      for (int64_t c = 0; c < cols; ++c)
        d[b * cols + c] =
            double(w[(r0 + b) * cols + c]) - double(wq[(r0 + b) * cols + c]);
    std::fill(y.begin(), y.end(), 0.0);
    for (int64_t i = 0; i < cols; ++i) {
      const double *hi = hessian.data() + i * cols;
      for (int64_t b = 0; b < nb; ++b) {
        double di = d[b * cols + i];
        if (di == 0.0)
          continue;
        double *yb = y.data() + b * cols;
        for (int64_t j = 0; j < cols; ++j)
          yb[j] += di * hi[j];
      }
    }
    for (int64_t b = 0; b < nb; ++b)
      for (int64_t c = 0; c < cols; ++c)
        total += d[b * cols + c] * y[b * cols + c];
  }
  return total;
}

std::vector<double>
quantize::groupOutputErrors(llvm::ArrayRef<float> w, llvm::ArrayRef<float> wq,
                            int64_t rows, int64_t cols, int64_t groupSize,
                            llvm::ArrayRef<double> hessian) {
  assert(w.size() == size_t(rows * cols) && wq.size() == w.size() &&
         hessian.size() == size_t(cols * cols) && "size mismatch");
  int64_t g = groupSize > 0 ? groupSize : cols;
  int64_t groups = (cols + g - 1) / g;
  std::vector<double> result(size_t(rows * groups), 0.0);
  std::vector<double> d(static_cast<size_t>(cols));
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c)
      d[c] = double(w[r * cols + c]) - double(wq[r * cols + c]);
    for (int64_t gi = 0; gi < groups; ++gi) {
      int64_t begin = gi * g, end = std::min(begin + g, cols);
      double e = 0.0;
      for (int64_t i = begin; i < end; ++i) {
        double dot = 0.0;
        for (int64_t j = begin; j < end; ++j)
          dot += hessian[i * cols + j] * d[j];
        e += d[i] * dot;
      }
      result[r * groups + gi] = e;
    }
  }
  return result;
}

double quantize::traceProxyError(llvm::ArrayRef<float> w,
                                 llvm::ArrayRef<float> wq, int64_t rows,
                                 int64_t cols, llvm::ArrayRef<double> diagH) {
  assert(w.size() == size_t(rows * cols) && wq.size() == w.size() &&
         diagH.size() == size_t(cols) && "size mismatch");
  double trace = 0.0, norm = 0.0;
  for (double v : diagH)
    trace += v;
  for (size_t i = 0; i < w.size(); ++i) {
    double d = double(w[i]) - double(wq[i]);
    norm += d * d;
  }
  return trace / double(cols) * norm;
}

std::vector<double> quantize::getDiagonal(llvm::ArrayRef<double> hessian,
                                          int64_t n) {
  std::vector<double> diag(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i)
    diag[i] = hessian[i * n + i];
  return diag;
}

double quantize::layerSensitivity(SensitivityKind kind, llvm::ArrayRef<float> w,
                                  llvm::ArrayRef<float> wq, int64_t rows,
                                  int64_t cols,
                                  llvm::ArrayRef<double> hessian) {
  if (kind == SensitivityKind::OutputError)
    return outputError(w, wq, rows, cols, hessian);
  return traceProxyError(w, wq, rows, cols, getDiagonal(hessian, cols));
}

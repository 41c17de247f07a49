//===- SensitivityTest.cpp - Calibration statistics and layer errors ------===//

#include "quant/Quantize/Sensitivity.h"
#include "quant/Quantize/WeightQuantizer.h"

#include "gtest/gtest.h"

#include <cmath>
#include <random>

using namespace mlir::qnt;
using namespace mlir::qnt::quantize;

namespace {

std::vector<float> randomMatrix(int64_t n, unsigned seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> w(n);
  for (float &x : w)
    x = dist(rng);
  return w;
}

TEST(ActivationStats, ChannelStatisticsAndHessian) {
  const int64_t k = 6, samples = 40;
  std::vector<float> x = randomMatrix(samples * k, 1);
  x[7] = -9.0f; // channel 1
  ActivationStats stats(k);
  stats.add(llvm::ArrayRef<float>(x).take_front(25 * k), 25);
  stats.add(llvm::ArrayRef<float>(x).drop_front(25 * k), samples - 25);
  EXPECT_EQ(stats.getNumSamples(), samples);
  EXPECT_EQ(stats.getMin(), -9.0f);
  EXPECT_EQ(stats.getChannelAbsMax()[1], 9.0f);
  std::vector<double> mean = stats.getChannelMeanAbs();
  for (int64_t c = 0; c < k; ++c) {
    double sum = 0, maxAbs = 0;
    for (int64_t s = 0; s < samples; ++s) {
      sum += std::fabs(x[s * k + c]);
      maxAbs = std::max<double>(maxAbs, std::fabs(x[s * k + c]));
    }
    EXPECT_NEAR(mean[c], sum / samples, 1e-12);
    EXPECT_EQ(stats.getChannelAbsMax()[c], float(maxAbs));
    for (int64_t d = 0; d < k; ++d) {
      double dot = 0;
      for (int64_t s = 0; s < samples; ++s)
        dot += double(x[s * k + c]) * double(x[s * k + d]);
      EXPECT_NEAR(stats.getHessian()[c * k + d], dot, 1e-9);
    }
  }
}

TEST(Sensitivity, OutputErrorIsOutputSquaredError) {
  const int64_t n = 8, k = 32, samples = 50;
  std::vector<float> w = randomMatrix(n * k, 2);
  std::vector<float> x = randomMatrix(samples * k, 3);
  std::vector<double> h(k * k, 0.0);
  accumulateHessian(h, x, samples, k);
  auto q = quantizeRTN(QuantFormat::uniform(3, 8), w, n, k);
  ASSERT_TRUE(bool(q));
  // ||(W - Wq) X^T||_F^2 computed directly.
  double direct = 0.0;
  for (int64_t r = 0; r < n; ++r)
    for (int64_t s = 0; s < samples; ++s) {
      double y = 0;
      for (int64_t c = 0; c < k; ++c)
        y += (double(w[r * k + c]) - q->dequantized[r * k + c]) *
             double(x[s * k + c]);
      direct += y * y;
    }
  double e = outputError(w, q->dequantized, n, k, h);
  EXPECT_NEAR(e, direct, 1e-9 * direct);
  EXPECT_GT(e, 0.0);
  EXPECT_EQ(outputError(w, w, n, k, h), 0.0);
  EXPECT_EQ(layerSensitivity(SensitivityKind::OutputError, w, q->dequantized, n,
                             k, h),
            e);
}

TEST(Sensitivity, GroupErrorsAndTraceProxy) {
  const int64_t n = 4, k = 16;
  std::vector<float> w = randomMatrix(n * k, 4);
  auto q = quantizeRTN(QuantFormat::uniform(2, 4), w, n, k);
  ASSERT_TRUE(bool(q));
  // Block-diagonal H (blocks of 4): group errors add up to the total.
  std::vector<float> a = randomMatrix(k * k, 5);
  std::vector<double> h(k * k, 0.0);
  for (int64_t i = 0; i < k; ++i)
    for (int64_t j = 0; j < k; ++j)
      if (i / 4 == j / 4)
        for (int64_t m = 0; m < k; ++m)
          if (m / 4 == i / 4)
            h[i * k + j] += double(a[i * k + m]) * double(a[j * k + m]);
  std::vector<double> groups = groupOutputErrors(w, q->dequantized, n, k, 4, h);
  ASSERT_EQ(groups.size(), size_t(n * 4));
  double sum = 0;
  for (double g : groups) {
    EXPECT_GE(g, 0.0);
    sum += g;
  }
  double total = outputError(w, q->dequantized, n, k, h);
  EXPECT_NEAR(sum, total, 1e-9 * total);

  // For H = c I the proxy is exact; otherwise it only uses the trace.
  std::vector<double> scaled(k * k, 0.0);
  for (int64_t i = 0; i < k; ++i)
    scaled[i * k + i] = 2.5;
  double exact = outputError(w, q->dequantized, n, k, scaled);
  EXPECT_NEAR(traceProxyError(w, q->dequantized, n, k, getDiagonal(scaled, k)),
              exact, 1e-9 * exact);
  EXPECT_NEAR(layerSensitivity(SensitivityKind::TraceProxy, w, q->dequantized,
                               n, k, scaled),
              exact, 1e-9 * exact);
  double norm = 0, trace = 0;
  for (size_t i = 0; i < w.size(); ++i)
    norm += std::pow(double(w[i]) - q->dequantized[i], 2);
  for (int64_t i = 0; i < k; ++i)
    trace += h[i * k + i];
  EXPECT_NEAR(traceProxyError(w, q->dequantized, n, k, getDiagonal(h, k)),
              trace / k * norm, 1e-9 * trace * norm);
}

} // namespace

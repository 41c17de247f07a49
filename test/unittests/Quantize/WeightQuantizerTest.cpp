//===- WeightQuantizerTest.cpp - RTN, MSE clipping and GPTQ tests ---------===//

#include "quant/Quantize/WeightQuantizer.h"
#include "quant/Quantize/Sensitivity.h"

#include "gtest/gtest.h"

#include <cmath>
#include <random>

using namespace mlir::qnt;
using namespace mlir::qnt::quantize;

namespace {

constexpr int64_t kRows = 24, kCols = 64, kSamples = 256;

std::vector<float> randomMatrix(int64_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> w(n);
  for (float &x : w)
    x = dist(rng);
  return w;
}

/// Activations whose channels are strongly correlated (a random walk along
/// the channels) with uneven channel scales, as layer inputs are.
std::vector<float> correlatedActivations(unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> x(kSamples * kCols);
  for (int64_t s = 0; s < kSamples; ++s) {
    float walk = dist(rng);
    for (int64_t k = 0; k < kCols; ++k) {
      walk = 0.9f * walk + 0.45f * dist(rng);
      float channelScale = 1.0f + 3.0f * float(k % 7 == 3);
      x[s * kCols + k] = channelScale * walk;
    }
  }
  return x;
}

std::vector<double> hessianOf(const std::vector<float> &x) {
  std::vector<double> h(kCols * kCols, 0.0);
  accumulateHessian(h, x, kSamples, kCols);
  return h;
}

std::vector<double> identity(int64_t n) {
  std::vector<double> h(n * n, 0.0);
  for (int64_t i = 0; i < n; ++i)
    h[i * n + i] = 1.0;
  return h;
}

QuantFormat parsed(llvm::StringRef name) {
  auto f = QuantFormat::parse(name);
  EXPECT_TRUE(bool(f)) << name.str();
  if (!f) {
    llvm::consumeError(f.takeError());
    return QuantFormat();
  }
  return *f;
}

const char *const kFormats[] = {"int4-g32", "int3-g16",       "uint4-g32-asym",
                                "int4-pc",  "int2-g16",       "nf4-g32",
                                "mxfp4",    "nvfp4",          "mxfp8",
                                "fp8e4m3",  "fp4e2m1-g32-f16"};

TEST(InverseCholesky, UpperFactorOfTheInverse) {
  std::vector<double> h = hessianOf(correlatedActivations(1));
  for (int64_t i = 0; i < kCols; ++i)
    h[i * kCols + i] += 1.0;
  std::vector<double> u;
  ASSERT_TRUE(inverseCholeskyUpper(h, kCols, u));
  // U is upper triangular and (U^T U) H = I.
  for (int64_t i = 0; i < kCols; ++i)
    for (int64_t j = 0; j < i; ++j)
      EXPECT_EQ(u[i * kCols + j], 0.0);
  for (int64_t i = 0; i < kCols; ++i)
    for (int64_t j = 0; j < kCols; ++j) {
      double sum = 0.0;
      for (int64_t k = 0; k < kCols; ++k) {
        double inv = 0.0;
        for (int64_t m = 0; m <= std::min(i, k); ++m)
          inv += u[m * kCols + i] * u[m * kCols + k];
        sum += inv * h[k * kCols + j];
      }
      EXPECT_NEAR(sum, i == j ? 1.0 : 0.0, 1e-8);
    }
  std::vector<double> notPD = {1.0, 2.0, 2.0, 1.0};
  EXPECT_FALSE(inverseCholeskyUpper(notPD, 2, u));
}

TEST(MSEClip, NeverWorseThanMinMax) {
  std::vector<float> w = randomMatrix(kRows * kCols, 5);
  w[3] = 8.0f;
  for (const char *name : kFormats) {
    QuantFormat f = parsed(name);
    auto rtn = quantizeRTN(f, w, kRows, kCols);
    ScaleSearchOptions opts;
    opts.mseClip = true;
    auto mse = quantizeRTN(f, w, kRows, kCols, opts);
    ASSERT_TRUE(rtn && mse);
    double eRtn = 0, eMse = 0;
    // Per group the search keeps min-max unless something is better.
    for (int64_t r = 0; r < kRows; ++r) {
      int64_t g = f.getGroupSize(kCols);
      for (int64_t b = 0; b < kCols; b += g) {
        double gr = 0, gm = 0;
        for (int64_t c = b; c < std::min(b + g, kCols); ++c) {
          int64_t i = r * kCols + c;
          gr += std::pow(w[i] - rtn->dequantized[i], 2);
          gm += std::pow(w[i] - mse->dequantized[i], 2);
        }
        EXPECT_LE(gm, gr * (1 + 1e-6) + 1e-12) << name;
        eRtn += gr;
        eMse += gm;
      }
    }
    EXPECT_LE(eMse, eRtn) << name;
  }
  // With a large outlier in every group, 3-bit clipping must help.
  QuantFormat int3 = parsed("int3-g32");
  std::vector<float> v = randomMatrix(kRows * kCols, 6);
  for (int64_t r = 0; r < kRows; ++r)
    v[r * kCols] = 4.0f;
  ScaleSearchOptions opts;
  opts.mseClip = true;
  auto a = quantizeRTN(int3, v, kRows, kCols);
  auto b = quantizeRTN(int3, v, kRows, kCols, opts);
  double ea = 0, eb = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    ea += std::pow(v[i] - a->dequantized[i], 2);
    eb += std::pow(v[i] - b->dequantized[i], 2);
  }
  EXPECT_LT(eb, 0.95 * ea);
}

TEST(GPTQ, IdentityHessianEqualsRTN) {
  std::vector<float> w = randomMatrix(kRows * kCols, 9);
  std::vector<double> h = identity(kCols);
  for (const char *name : kFormats) {
    QuantFormat f = parsed(name);
    for (bool mse : {false, true}) {
      ScaleSearchOptions search;
      search.mseClip = mse;
      GPTQOptions opts;
      opts.scaleSearch = search;
      opts.blockSize = 16;
      for (bool actOrder : {false, true}) {
        opts.actOrder = actOrder;
        auto gptq = quantizeGPTQ(f, w, kRows, kCols, h, opts);
        auto rtn = quantizeRTN(f, w, kRows, kCols, search);
        ASSERT_TRUE(gptq && rtn) << name;
        EXPECT_EQ(gptq->codes, rtn->codes) << name;
        EXPECT_EQ(gptq->dequantized, rtn->dequantized) << name;
      }
    }
  }
}

TEST(GPTQ, ReducesOutputErrorOnCorrelatedData) {
  std::vector<float> w = randomMatrix(kRows * kCols, 21);
  std::vector<double> h = hessianOf(correlatedActivations(22));
  for (const char *name : kFormats) {
    QuantFormat f = parsed(name);
    auto rtn = quantizeRTN(f, w, kRows, kCols);
    ASSERT_TRUE(bool(rtn));
    double eRtn = outputError(w, rtn->dequantized, kRows, kCols, h);
    for (bool actOrder : {false, true}) {
      GPTQOptions opts;
      opts.actOrder = actOrder;
      opts.blockSize = 16;
      auto gptq = quantizeGPTQ(f, w, kRows, kCols, h, opts);
      ASSERT_TRUE(bool(gptq)) << llvm::toString(gptq.takeError());
      double eGptq = outputError(w, gptq->dequantized, kRows, kCols, h);
      if (getenv("QUANT_TEST_VERBOSE"))
        printf("%s%s: GPTQ/RTN = %.3f\n", name, actOrder ? " act" : "",
               eGptq / eRtn);
      EXPECT_LT(eGptq, 0.5 * eRtn) << name << (actOrder ? " act-order" : "")
                                   << ": " << eGptq << " vs RTN " << eRtn;
      // On the grid: the codes decode to the values.
      EXPECT_EQ(gptq->decode(), gptq->dequantized) << name;
    }
  }
}

TEST(GPTQ, ActOrderKeepsGroupsContiguous) {
  std::vector<float> w = randomMatrix(kRows * kCols, 31);
  std::vector<float> x = correlatedActivations(32);
  // Make the channel order of diag(H) far from the identity.
  for (int64_t s = 0; s < kSamples; ++s)
    for (int64_t k = 0; k < kCols; ++k)
      x[s * kCols + k] *= 0.2f + float((k * 37) % kCols) / 8.0f;
  std::vector<double> h = hessianOf(x);
  QuantFormat f = parsed("int4-g16");
  GPTQOptions opts;
  opts.actOrder = true;
  auto q = quantizeGPTQ(f, w, kRows, kCols, h, opts);
  ASSERT_TRUE(bool(q));
  // Each value sits on the grid of the group of its own (original) column.
  for (int64_t r = 0; r < kRows; ++r)
    for (int64_t c = 0; c < kCols; ++c) {
      const GroupParams &p = q->params[r * 4 + c / 16];
      float v = q->dequantized[r * kCols + c];
      ASSERT_EQ(quantizeValue(f, p, 1.0f, v), v);
      ASSERT_EQ(dequantizeCode(f, p, 1.0f, q->codes[r * kCols + c]), v);
    }
  auto rtn = quantizeRTN(f, w, kRows, kCols);
  EXPECT_LT(outputError(w, q->dequantized, kRows, kCols, h),
            0.8 * outputError(w, rtn->dequantized, kRows, kCols, h));
}

TEST(GPTQ, LazyBlocksMatchColumnByColumn) {
  std::vector<float> w = randomMatrix(kRows * kCols, 41);
  std::vector<double> h = hessianOf(correlatedActivations(42));
  QuantFormat f = parsed("int4-g16");
  for (bool actOrder : {false, true}) {
    GPTQOptions one, many;
    one.blockSize = 1;
    many.blockSize = 24; // not a multiple of the group size
    one.actOrder = many.actOrder = actOrder;
    auto a = quantizeGPTQ(f, w, kRows, kCols, h, one);
    auto b = quantizeGPTQ(f, w, kRows, kCols, h, many);
    ASSERT_TRUE(a && b);
    int64_t same = 0;
    for (size_t i = 0; i < a->codes.size(); ++i)
      same += a->codes[i] == b->codes[i];
    // Only floating-point reassociation differs.
    EXPECT_GE(same, int64_t(a->codes.size()) - 2);
    double ea = outputError(w, a->dequantized, kRows, kCols, h);
    double eb = outputError(w, b->dequantized, kRows, kCols, h);
    EXPECT_NEAR(ea, eb, 0.02 * ea);
  }
}

TEST(GPTQ, DeadInputsAndErrors) {
  std::vector<float> w = randomMatrix(kRows * kCols, 51);
  std::vector<float> x = correlatedActivations(52);
  for (int64_t s = 0; s < kSamples; ++s)
    x[s * kCols + 5] = 0.0f;
  std::vector<double> h = hessianOf(x);
  QuantFormat f = parsed("int4-g32");
  auto q = quantizeGPTQ(f, w, kRows, kCols, h);
  ASSERT_TRUE(bool(q));
  auto rtn = quantizeRTN(f, w, kRows, kCols);
  EXPECT_LT(outputError(w, q->dequantized, kRows, kCols, h),
            outputError(w, rtn->dequantized, kRows, kCols, h));

  auto bad = quantizeGPTQ(f, w, kRows, kCols, std::vector<double>(10, 0.0));
  ASSERT_FALSE(bool(bad));
  EXPECT_NE(llvm::toString(bad.takeError()).find("Hessian must be [64, 64]"),
            std::string::npos);
  auto badShape = quantizeRTN(f, w, kRows, kCols + 1);
  ASSERT_FALSE(bool(badShape));
  EXPECT_NE(llvm::toString(badShape.takeError()).find("expected 1560 weights"),
            std::string::npos);
  QuantFormat broken = QuantFormat::uniform(9, 32);
  auto badFormat = quantizeRTN(broken, w, kRows, kCols);
  ASSERT_FALSE(bool(badFormat));
  EXPECT_NE(llvm::toString(badFormat.takeError()).find("1 to 8 bits"),
            std::string::npos);
}

} // namespace

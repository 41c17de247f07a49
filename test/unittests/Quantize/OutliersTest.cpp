//===- OutliersTest.cpp - Permutation, scale migration, rotation tests ----===//

#include "quant/Quantize/Outliers.h"
#include "quant/Quantize/Sensitivity.h"

#include "llvm/Support/MathExtras.h"

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

/// y = W x for W [rows, cols] and one x.
std::vector<double> matVec(llvm::ArrayRef<float> w, int64_t rows, int64_t cols,
                           llvm::ArrayRef<float> x) {
  std::vector<double> y(rows, 0.0);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c)
      y[r] += double(w[r * cols + c]) * double(x[c]);
  return y;
}

void expectClose(llvm::ArrayRef<double> a, llvm::ArrayRef<double> b,
                 double rel) {
  ASSERT_EQ(a.size(), b.size());
  double norm = 0, diff = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    norm += a[i] * a[i];
    diff += (a[i] - b[i]) * (a[i] - b[i]);
  }
  EXPECT_LE(std::sqrt(diff), rel * std::sqrt(norm));
}

double frobeniusError(llvm::ArrayRef<float> a, llvm::ArrayRef<float> b) {
  double e = 0;
  for (size_t i = 0; i < a.size(); ++i)
    e += std::pow(double(a[i]) - double(b[i]), 2);
  return e;
}

TEST(Permutation, ProducerAndConsumerStayEquivalent) {
  const int64_t m = 12, k = 32, n = 10;
  std::vector<float> a = randomMatrix(k * m, 1), bias = randomMatrix(k, 2),
                     w = randomMatrix(n * k, 3), z = randomMatrix(m, 4),
                     act = randomMatrix(k, 5);
  ChannelOrder order = outlierGroupingOrder(channelOutlierScores(act, w, n, k));
  ASSERT_TRUE(isPermutation(order, k));
  std::vector<float> a2 = permuteRows(a, k, m, order);
  std::vector<float> b2 = permuteVector(bias, order);
  std::vector<float> w2 = permuteColumns(w, n, k, order);
  auto produce = [&](llvm::ArrayRef<float> pa, llvm::ArrayRef<float> pb) {
    std::vector<double> x = matVec(pa, k, m, z);
    std::vector<float> xf(k);
    for (int64_t i = 0; i < k; ++i)
      xf[i] = float(x[i]) + pb[i];
    return xf;
  };
  expectClose(matVec(w2, n, k, produce(a2, b2)),
              matVec(w, n, k, produce(a, bias)), 1e-5);
  // Scores come out in decreasing order.
  std::vector<double> scores = channelOutlierScores(act, w, n, k);
  for (int64_t j = 1; j < k; ++j)
    EXPECT_GE(scores[order[j - 1]], scores[order[j]]);
  // The #qnt.permuted part decodes the permuted weight back.
  std::vector<int32_t> perm = toEncodingPermutation(order);
  for (int64_t r = 0; r < n; ++r)
    for (int64_t i = 0; i < k; ++i)
      EXPECT_EQ(w[r * k + i], w2[r * k + perm[i]]);
  EXPECT_EQ(invertOrder(invertOrder(order)), order);
  EXPECT_FALSE(isPermutation({0, 0, 1}, 3));
  EXPECT_FALSE(isPermutation({0, 1}, 3));
}

TEST(Permutation, TopOutliersMoveToTheFront) {
  const int64_t n = 32, k = 64;
  std::vector<float> w = randomMatrix(n * k, 6);
  std::vector<float> act(k, 1.0f);
  // One outlier input channel in each of the four groups.
  for (int64_t c : {3, 21, 40, 60}) {
    act[c] = 20.0f;
    for (int64_t r = 0; r < n; ++r)
      w[r * k + c] *= 12.0f;
  }
  ChannelOrder order =
      outlierGroupingOrder(channelOutlierScores(act, w, n, k), 4);
  std::vector<int64_t> front(order.begin(), order.begin() + 4);
  std::sort(front.begin(), front.end());
  EXPECT_EQ(front, (std::vector<int64_t>{3, 21, 40, 60}));
  // The other channels keep their relative order.
  for (int64_t j = 5; j < k; ++j)
    EXPECT_LT(order[j - 1], order[j]);
}

TEST(Permutation, SortingChannelsReducesError) {
  // 16 outlier input channels scattered over 8 groups: every group's scale
  // is set by an outlier. Sorted, they share one group.
  const int64_t n = 32, k = 128;
  std::vector<float> w = randomMatrix(n * k, 20);
  for (int64_t c = 5; c < k; c += 8)
    for (int64_t r = 0; r < n; ++r)
      w[r * k + c] *= 10.0f;
  std::vector<float> act(k, 1.0f);
  ChannelOrder order = outlierGroupingOrder(channelOutlierScores(act, w, n, k));
  QuantFormat f = QuantFormat::uniform(4, 16);
  auto plain = quantizeRTN(f, w, n, k);
  std::vector<float> wp = permuteColumns(w, n, k, order);
  auto grouped = quantizeRTN(f, wp, n, k);
  ASSERT_TRUE(plain && grouped);
  std::vector<float> back =
      permuteColumns(grouped->dequantized, n, k, invertOrder(order));
  EXPECT_LT(frobeniusError(w, back),
            0.5 * frobeniusError(w, plain->dequantized));
}

TEST(ScaleMigration, SmoothQuantBalancesAndStaysEquivalent) {
  const int64_t n = 16, k = 32;
  std::vector<float> w = randomMatrix(n * k, 7);
  std::vector<float> x = randomMatrix(k, 8);
  std::vector<float> actMax(k);
  for (int64_t c = 0; c < k; ++c)
    actMax[c] = 0.5f + float(c % 5 == 0) * 40.0f;
  std::vector<float> s = smoothQuantScales(actMax, w, n, k, 0.5);
  std::vector<float> w2 = scaleColumns(w, n, k, s);
  std::vector<float> x2(k);
  std::vector<float> inv = reciprocal(s);
  for (int64_t c = 0; c < k; ++c)
    x2[c] = x[c] * inv[c];
  expectClose(matVec(w2, n, k, x2), matVec(w, n, k, x), 1e-6);
  // The activation range spread shrinks.
  auto spread = [&](const std::vector<float> &v) {
    float lo = INFINITY, hi = 0;
    for (float e : v) {
      lo = std::min(lo, e);
      hi = std::max(hi, e);
    }
    return hi / lo;
  };
  std::vector<float> migrated(k);
  for (int64_t c = 0; c < k; ++c)
    migrated[c] = actMax[c] / s[c];
  EXPECT_LT(spread(migrated), spread(actMax) / 4);
  // The producer side: rows scaled by 1 / s.
  std::vector<float> prod = randomMatrix(k * 3, 9);
  std::vector<float> scaled = scaleRows(prod, k, 3, inv);
  EXPECT_FLOAT_EQ(scaled[5 * 3 + 1], prod[5 * 3 + 1] / s[5]);
}

TEST(ScaleMigration, AWQProtectsSalientChannels) {
  const int64_t n = 32, k = 64, samples = 128;
  std::vector<float> w = randomMatrix(n * k, 10);
  std::vector<float> x = randomMatrix(samples * k, 11);
  for (int64_t s = 0; s < samples; ++s)
    for (int64_t c : {5, 9, 33, 50})
      x[s * k + c] *= 25.0f;
  ActivationStats stats(k);
  stats.add(x, samples);
  QuantFormat f = QuantFormat::uniform(3, 32);
  auto result = searchAWQScales(f, w, n, k, stats.getChannelMeanAbs(),
                                stats.getHessian());
  ASSERT_TRUE(bool(result)) << llvm::toString(result.takeError());
  EXPECT_GE(result->alpha, 0.0);
  EXPECT_LT(result->error, 0.8 * result->baselineError);
  // Salient channels get scaled up.
  EXPECT_GT(result->scales[5], result->scales[6]);
  // The reported error is that of quantizing W diag(s) and scaling back.
  auto q = quantizeRTN(f, scaleColumns(w, n, k, result->scales), n, k);
  std::vector<float> back =
      scaleColumns(q->dequantized, n, k, reciprocal(result->scales));
  EXPECT_NEAR(outputError(w, back, n, k, stats.getHessian()), result->error,
              1e-9 * result->error);
  // The diagonal-only variant also never loses to s = 1.
  auto diag = searchAWQScales(f, w, n, k, stats.getChannelMeanAbs(),
                              getDiagonal(stats.getHessian(), k));
  ASSERT_TRUE(bool(diag));
  EXPECT_LE(diag->error, diag->baselineError);
  auto bad = searchAWQScales(f, w, n, k, stats.getChannelMeanAbs(),
                             std::vector<double>(5, 1.0));
  ASSERT_FALSE(bool(bad));
  EXPECT_NE(llvm::toString(bad.takeError()).find("[64, 64] or its diagonal"),
            std::string::npos);
}

TEST(Transforms, HessiansFollowTheActivations) {
  const int64_t k = 24, samples = 30;
  std::vector<float> x = randomMatrix(samples * k, 30);
  std::vector<double> h(k * k, 0.0);
  accumulateHessian(h, x, samples, k);
  auto gram = [&](const std::vector<float> &y) {
    std::vector<double> g(k * k, 0.0);
    accumulateHessian(g, y, samples, k);
    return g;
  };
  auto expectNear = [&](const std::vector<double> &a,
                        const std::vector<double> &b) {
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i)
      EXPECT_NEAR(a[i], b[i], 1e-4 * (1 + std::fabs(b[i])));
  };
  // Permuted channels.
  std::vector<float> scores = randomMatrix(k, 31);
  ChannelOrder order =
      outlierGroupingOrder(std::vector<double>(scores.begin(), scores.end()));
  expectNear(permuteHessian(h, order),
             gram(permuteColumns(x, samples, k, order)));
  // Migrated scales: x / s.
  std::vector<float> s(k);
  for (int64_t c = 0; c < k; ++c)
    s[c] = 0.5f + float(c % 4);
  expectNear(scaleHessian(h, s),
             gram(scaleColumns(x, samples, k, reciprocal(s))));
  // Rotated: x -> Q x (a block-diagonal rotation for 24 = 16 + 8).
  auto rot = HadamardRotation::create(k, 9);
  ASSERT_TRUE(bool(rot));
  expectNear(rot->rotateHessian(h), gram(rot->rotateActivations(x, samples)));
}

TEST(Hadamard, WalshHadamardMatchesSylvester) {
  const int64_t n = 8;
  for (int64_t i = 0; i < n; ++i) {
    std::vector<double> e(n, 0.0);
    e[i] = 1.0;
    fastWalshHadamard(e.data(), n);
    for (int64_t j = 0; j < n; ++j) {
      // Sylvester entry: (-1)^popcount(i & j) / sqrt(n).
      double expected =
          (__builtin_popcountll(i & j) % 2 ? -1.0 : 1.0) / std::sqrt(double(n));
      EXPECT_NEAR(e[j], expected, 1e-15);
    }
  }
}

TEST(Hadamard, RotationKeepsTheLayerExact) {
  for (int64_t k : {128, 96, 7, 100}) {
    const int64_t n = 9, samples = 5;
    auto rot = HadamardRotation::create(k, 42);
    ASSERT_TRUE(bool(rot));
    int64_t total = 0;
    for (int64_t b : rot->getBlocks()) {
      EXPECT_TRUE(llvm::isPowerOf2_64(b));
      total += b;
    }
    EXPECT_EQ(total, k);
    std::vector<float> w = randomMatrix(n * k, 12),
                       x = randomMatrix(samples * k, 13);
    std::vector<float> w2 = rot->rotateWeight(w, n);
    std::vector<float> x2 = rot->rotateActivations(x, samples);
    for (int64_t s = 0; s < samples; ++s)
      expectClose(matVec(w2, n, k, llvm::ArrayRef<float>(x2).slice(s * k, k)),
                  matVec(w, n, k, llvm::ArrayRef<float>(x).slice(s * k, k)),
                  1e-5);
    // Q^T Q = I.
    std::vector<float> v(x.begin(), x.begin() + k);
    rot->apply(v.data());
    rot->applyTranspose(v.data());
    for (int64_t i = 0; i < k; ++i)
      EXPECT_NEAR(v[i], x[i], 1e-5);
    // The producer form: Q (A z) = (Q A) z.
    std::vector<float> a = randomMatrix(k * 4, 14), z = randomMatrix(4, 15);
    std::vector<double> az = matVec(a, k, 4, z);
    std::vector<float> azf(az.begin(), az.end());
    rot->apply(azf.data());
    std::vector<double> expected(azf.begin(), azf.end());
    expectClose(matVec(rot->rotateProducer(a, 4), k, 4, z), expected, 1e-5);
  }
  auto capped = HadamardRotation::create(96, 1, 32);
  ASSERT_TRUE(bool(capped));
  EXPECT_EQ(capped->getBlocks().vec(), (std::vector<int64_t>{32, 32, 32}));
  auto bad = HadamardRotation::create(96, 1, 24);
  ASSERT_FALSE(bool(bad));
  EXPECT_NE(llvm::toString(bad.takeError()).find("power of two"),
            std::string::npos);
  // Same seed, same signs; another seed, other signs.
  std::vector<float> e(16, 0.0f), f(16, 0.0f), g(16, 0.0f);
  e[0] = f[0] = g[0] = 1.0f;
  HadamardRotation::create(16, 5)->apply(e.data());
  HadamardRotation::create(16, 5)->apply(f.data());
  EXPECT_EQ(e, f);
  std::vector<float> ones(16, 1.0f), o1 = ones, o2 = ones;
  HadamardRotation::create(16, 5)->apply(o1.data());
  HadamardRotation::create(16, 6)->apply(o2.data());
  EXPECT_NE(o1, o2);
}

TEST(Hadamard, RotationSpreadsOutliers) {
  const int64_t n = 32, k = 128;
  std::vector<float> w = randomMatrix(n * k, 16, 0.1f);
  for (int64_t r = 0; r < n; ++r)
    w[r * k + (r * 7) % k] = 6.0f; // one spike per row
  auto rot = HadamardRotation::create(k, 3);
  ASSERT_TRUE(bool(rot));
  std::vector<float> w2 = rot->rotateWeight(w, n);
  float maxBefore = 0, maxAfter = 0;
  for (size_t i = 0; i < w.size(); ++i) {
    maxBefore = std::max(maxBefore, std::fabs(w[i]));
    maxAfter = std::max(maxAfter, std::fabs(w2[i]));
  }
  EXPECT_LT(maxAfter, maxBefore / 4);
  // Quantize in the rotated basis, rotate back: smaller error.
  QuantFormat f = QuantFormat::uniform(4, 0);
  auto plain = quantizeRTN(f, w, n, k);
  auto rotated = quantizeRTN(f, w2, n, k);
  ASSERT_TRUE(plain && rotated);
  std::vector<float> back = rotated->dequantized;
  for (int64_t r = 0; r < n; ++r)
    rot->applyTranspose(back.data() + r * k);
  EXPECT_LT(frobeniusError(w, back),
            0.5 * frobeniusError(w, plain->dequantized));
}

TEST(DenseSparse, TopMagnitudesGoToCSR) {
  const int64_t n = 8, k = 16;
  std::vector<float> w = randomMatrix(n * k, 17);
  w[3] = 5.0f;
  w[40] = -5.0f; // tie with w[3]: the lower index goes first
  w[77] = 4.0f;
  std::vector<float> dense;
  SparseOutliers s = extractOutliers(w, n, k, 2, dense);
  ASSERT_EQ(s.getNnz(), 2);
  EXPECT_EQ(s.rowOffsets, (std::vector<int32_t>{0, 1, 1, 2, 2, 2, 2, 2, 2}));
  EXPECT_EQ(s.colIndices, (std::vector<int32_t>{3, 8}));
  EXPECT_EQ(s.values, (std::vector<float>{5.0f, -5.0f}));
  EXPECT_EQ(dense[3], 0.0f);
  EXPECT_EQ(dense[77], 4.0f);
  // dense + sparse reconstructs w exactly, for any count.
  for (double fraction : {0.0, 0.01, 0.1, 0.5, 1.0}) {
    int64_t nnz = outlierCountForFraction(fraction, n * k);
    SparseOutliers t = extractOutliers(w, n, k, nnz, dense);
    EXPECT_EQ(t.getNnz(), nnz);
    EXPECT_EQ(t.rowOffsets.back(), nnz);
    // Every kept value is at least as large as every dropped one.
    float minKept = INFINITY, maxDropped = 0;
    for (float v : t.values)
      minKept = std::min(minKept, std::fabs(v));
    for (float v : dense)
      maxDropped = std::max(maxDropped, std::fabs(v));
    if (nnz > 0 && nnz < n * k)
      EXPECT_GE(minKept, maxDropped);
    addOutliers(t, dense);
    EXPECT_EQ(dense, w);
  }
}

TEST(DenseSparse, OutliersImproveQuantization) {
  const int64_t n = 16, k = 64;
  std::vector<float> w = randomMatrix(n * k, 18);
  std::mt19937 rng(19);
  for (int i = 0; i < 10; ++i)
    w[rng() % (n * k)] = 15.0f;
  QuantFormat f = QuantFormat::uniform(3, 32);
  auto plain = quantizeRTN(f, w, n, k);
  std::vector<float> dense;
  SparseOutliers s =
      extractOutliers(w, n, k, outlierCountForFraction(0.01, n * k), dense);
  auto base = quantizeRTN(f, dense, n, k);
  ASSERT_TRUE(plain && base);
  s.values = outlierResiduals(s, w, base->dequantized);
  std::vector<float> combined = base->dequantized;
  addOutliers(s, combined);
  for (int64_t r = 0; r < n; ++r)
    for (int32_t i = s.rowOffsets[r]; i < s.rowOffsets[r + 1]; ++i)
      EXPECT_EQ(combined[r * k + s.colIndices[i]], w[r * k + s.colIndices[i]]);
  EXPECT_LT(frobeniusError(w, combined),
            0.5 * frobeniusError(w, plain->dequantized));
}

TEST(CandidateFormat, ParsesAndNamesDenseSparse) {
  auto plain = CandidateFormat::parse("int4-g32");
  ASSERT_TRUE(bool(plain));
  EXPECT_FALSE(plain->hasOutliers());
  EXPECT_EQ(plain->getName(), "int4-g32");
  auto f = CandidateFormat::parse("int3-g32+o1");
  ASSERT_TRUE(bool(f));
  EXPECT_EQ(f->dense, QuantFormat::uniform(3, 32));
  EXPECT_EQ(f->outlierPercent, 1.0);
  EXPECT_EQ(f->outlierValueType, ScaleType::F16);
  EXPECT_EQ(f->getName(), "int3-g32+o1");
  auto g = CandidateFormat::parse("uint4-g64-asym+o0.5-f32");
  ASSERT_TRUE(bool(g));
  EXPECT_EQ(g->outlierPercent, 0.5);
  EXPECT_EQ(g->outlierValueType, ScaleType::F32);
  EXPECT_EQ(g->getName(), "uint4-g64-asym+o0.5-f32");
  EXPECT_EQ(g->getEncodingAttr(64, 128).rfind("#qnt.outliers<", 0), 0u);
  EXPECT_NE(g->getEncodingAttr(64, 128).find(", nnz = 41, value = f32>"),
            std::string::npos);

  auto message = [](llvm::StringRef name) {
    auto r = CandidateFormat::parse(name);
    EXPECT_FALSE(bool(r)) << name.str();
    return r ? std::string() : llvm::toString(r.takeError());
  };
  EXPECT_NE(message("int4-g32+o").find("needs a percentage"),
            std::string::npos);
  EXPECT_NE(message("int4-g32+o150").find("must be in (0, 100), got 150"),
            std::string::npos);
  EXPECT_NE(message("int4-g32+o0").find("must be in (0, 100)"),
            std::string::npos);
  EXPECT_NE(message("int4-g32+x1").find("expected '+oP'"), std::string::npos);
  EXPECT_NE(message("int4-g32+o1-f8").find("unknown outlier value type 'f8'"),
            std::string::npos);
  EXPECT_NE(message("f16+o1").find("needs no outliers"), std::string::npos);
  EXPECT_FALSE(bool(CandidateFormat::parse("int9+o1")));
  consumeError(CandidateFormat::parse("int9+o1").takeError());
}

TEST(CandidateFormat, CountsCSRBitsAndBytes) {
  auto f = CandidateFormat::parse("int3-g32+o1");
  ASSERT_TRUE(bool(f));
  const int64_t n = 48, k = 64;
  int64_t nnz = f->getNumOutliers(n, k);
  EXPECT_EQ(nnz, 31); // round(0.01 * 3072)
  // At least one outlier on tiny weights (the encoding needs nnz > 0).
  EXPECT_EQ(f->getNumOutliers(2, 8), 1);
  EXPECT_EQ(f->getStorageBits(n, k),
            f->dense.getStorageBits(n, k) + (n + 1) * 32 + nnz * (32 + 16));
  EXPECT_EQ(f->getStorageBytes(n, k),
            f->dense.getStorageBytes(n, k) + (n + 1) * 4 + nnz * (4 + 2));
  // The packed parts have exactly those sizes.
  std::vector<float> w = randomMatrix(n * k, 31);
  CandidateQuantizeOptions options;
  options.gptq = false;
  auto q = quantizeCandidate(*f, w, n, k, {}, 0, options);
  ASSERT_TRUE(bool(q));
  ASSERT_EQ(q->size(), 1u);
  std::vector<std::vector<uint8_t>> parts = q->front().packParts();
  ASSERT_EQ(parts.size(), 2u + 3u); // codes, scales, CSR
  uint64_t bytes = 0;
  for (const auto &part : parts)
    bytes += part.size();
  EXPECT_EQ(bytes, f->getStorageBytes(n, k));
  EXPECT_EQ(parts[2].size(), size_t(n + 1) * 4);
  EXPECT_EQ(parts[3].size(), size_t(nnz) * 4);
  EXPECT_EQ(parts[4].size(), size_t(nnz) * 2);
}

TEST(CandidateFormat, OutliersAreExactAndScoredByInputEnergy) {
  const int64_t n = 16, k = 64;
  std::vector<float> w = randomMatrix(n * k, 41);
  // Column 5 carries 100x the input energy: its weights matter 10x more.
  std::vector<double> hessian(k * k, 0.0);
  for (int64_t c = 0; c < k; ++c)
    hessian[c * k + c] = c == 5 ? 100.0 : 1.0;
  std::vector<double> diagonal = getDiagonal(hessian, k);
  std::vector<double> scores = outlierScores(w, n, k, diagonal);
  EXPECT_DOUBLE_EQ(scores[2 * k + 5], std::fabs(w[2 * k + 5]) * 10.0);
  EXPECT_DOUBLE_EQ(scores[2 * k + 6], std::fabs(w[2 * k + 6]));
  std::vector<float> dense;
  SparseOutliers s = extractOutliersByScore(w, n, k, n, scores, dense);
  // The top n scores: mostly column 5 (|w| * 10 beats nearly every |w|).
  int64_t inColumn5 = 0;
  for (int32_t c : s.colIndices)
    inColumn5 += c == 5;
  EXPECT_GE(inColumn5, n / 2);

  auto f = CandidateFormat::parse("int3-g32+o2-f32");
  ASSERT_TRUE(bool(f));
  CandidateQuantizeOptions options;
  options.gptq = false;
  auto q = quantizeCandidate(*f, w, n, k, hessian, 0, options);
  ASSERT_TRUE(bool(q));
  const QuantizedCandidate &c = q->front();
  ASSERT_EQ(c.outliers.getNnz(), f->getNumOutliers(n, k));
  // Round-to-nearest, f32 residuals: every outlier decodes to w exactly;
  // elsewhere the dense part rules.
  std::vector<bool> isOutlier(n * k, false);
  for (int64_t r = 0; r < n; ++r)
    for (int32_t i = c.outliers.rowOffsets[r]; i < c.outliers.rowOffsets[r + 1];
         ++i) {
      int64_t at = r * k + c.outliers.colIndices[i];
      isOutlier[at] = true;
      EXPECT_EQ(c.dequantized[at], w[at]);
      EXPECT_EQ(c.dense.dequantized[at] + c.outliers.values[i], w[at]);
    }
  for (int64_t i = 0; i < n * k; ++i)
    if (!isOutlier[i])
      EXPECT_EQ(c.dequantized[i], c.dense.dequantized[i]);
  // Dense + sparse beats dense alone on the output error.
  auto plain = quantizeCandidate(CandidateFormat{f->dense}, w, n, k, hessian, 0,
                                 options);
  ASSERT_TRUE(bool(plain));
  EXPECT_LT(outputError(w, c.dequantized, n, k, hessian),
            outputError(w, plain->front().dequantized, n, k, hessian));
}

TEST(CandidateFormat, SlicesAreIndependentWeights) {
  const int64_t n = 20, k = 32, sliceRows = 8; // slices of 8, 8 and 4 rows
  std::vector<float> w = randomMatrix(n * k, 51);
  std::vector<double> hessian(k * k, 0.0);
  std::vector<float> x = randomMatrix(64 * k, 52);
  accumulateHessian(hessian, x, 64, k);
  CandidateQuantizeOptions options;
  for (const char *name : {"int4-g16", "int3-g16+o5", "nvfp4"}) {
    auto f = CandidateFormat::parse(name);
    ASSERT_TRUE(bool(f)) << name;
    auto sliced = quantizeCandidate(*f, w, n, k, hessian, sliceRows, options);
    ASSERT_TRUE(bool(sliced)) << name;
    ASSERT_EQ(sliced->size(), 3u);
    double sliceErrors = 0;
    std::vector<float> joined;
    for (int64_t s = 0; s < 3; ++s) {
      int64_t rows = std::min(sliceRows, n - s * sliceRows);
      const QuantizedCandidate &q = (*sliced)[s];
      EXPECT_EQ(q.getRows(), rows);
      llvm::ArrayRef<float> ws =
          llvm::ArrayRef<float>(w).slice(s * sliceRows * k, rows * k);
      // Each slice is the same as quantizing its rows alone.
      auto alone = quantizeCandidate(*f, ws, rows, k, hessian, 0, options);
      ASSERT_TRUE(bool(alone));
      EXPECT_EQ(q.dequantized, alone->front().dequantized) << name << s;
      EXPECT_EQ(q.packParts(), alone->front().packParts()) << name << s;
      EXPECT_EQ(q.outliers.getNnz(), f->getNumOutliers(rows, k));
      sliceErrors += outputError(ws, q.dequantized, rows, k, hessian);
      joined.insert(joined.end(), q.dequantized.begin(), q.dequantized.end());
    }
    // Slice errors Tr(dW_s H dW_s^T) add up to the layer's.
    double whole = outputError(w, joined, n, k, hessian);
    EXPECT_NEAR(sliceErrors, whole, 1e-9 * whole) << name;
  }
}

TEST(CandidateFormat, GPTQCompensatesIntoTheOutliers) {
  const int64_t n = 16, k = 64;
  std::vector<float> w = randomMatrix(n * k, 71);
  std::vector<float> x = randomMatrix(128 * k, 72);
  // Correlated inputs, so that GPTQ moves weights.
  for (int64_t s = 0; s < 128; ++s)
    for (int64_t c = 1; c < k; ++c)
      x[s * k + c] += 0.8f * x[s * k + c - 1];
  std::vector<double> hessian(k * k, 0.0);
  accumulateHessian(hessian, x, 128, k);
  auto f = CandidateFormat::parse("int3-g32+o2-f32");
  ASSERT_TRUE(bool(f));
  CandidateQuantizeOptions options;
  auto q = quantizeCandidate(*f, w, n, k, hessian, 0, options);
  ASSERT_TRUE(bool(q));
  const QuantizedCandidate &c = q->front();
  // Outliers store their compensated targets, not w: some move.
  std::vector<float> atW = c.dequantized;
  int64_t moved = 0;
  for (int64_t r = 0; r < n; ++r)
    for (int32_t i = c.outliers.rowOffsets[r]; i < c.outliers.rowOffsets[r + 1];
         ++i) {
      int64_t at = r * k + c.outliers.colIndices[i];
      moved += c.dequantized[at] != w[at];
      atW[at] = w[at];
    }
  EXPECT_GT(moved, 0);
  // And that is what GPTQ asks for: a lower output error than the same
  // dense part with the outliers at w.
  EXPECT_LT(outputError(w, c.dequantized, n, k, hessian),
            outputError(w, atW, n, k, hessian));
  // With no positions kept exact, the variant is plain GPTQ.
  std::vector<float> none;
  auto plain = quantizeGPTQ(f->dense, w, n, k, hessian, options.gptqOptions);
  auto same = quantizeGPTQKeepingExact(f->dense, w, n, k, hessian, {}, none,
                                       options.gptqOptions);
  ASSERT_TRUE(plain && same);
  EXPECT_EQ(plain->codes, same->codes);
  EXPECT_EQ(plain->dequantized, same->dequantized);
  EXPECT_TRUE(none.empty());
}

} // namespace

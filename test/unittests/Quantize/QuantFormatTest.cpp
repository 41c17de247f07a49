//===- QuantFormatTest.cpp - Quantizer grid tests -------------------------===//

#include "quant/Quantize/QuantFormat.h"
#include "quant/Quantize/WeightQuantizer.h"
#include "quant/Support/Lookup.h"
#include "quant/Support/Minifloat.h"

#include "gtest/gtest.h"

#include <cmath>
#include <random>

using namespace mlir::qnt;
using namespace mlir::qnt::quantize;

namespace {

std::vector<float> randomWeights(int64_t n, unsigned seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> w(n);
  for (float &x : w)
    x = dist(rng);
  return w;
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

TEST(QuantFormat, BitsPerWeightMatchesDialect) {
  // Numbers of docs/Encodings.md / getStorageBits.
  EXPECT_DOUBLE_EQ(QuantFormat::uniform(4, 128).getBitsPerWeight(4096, 4096),
                   4.125);
  EXPECT_DOUBLE_EQ(QuantFormat::mxfp4().getBitsPerWeight(4096, 4096), 4.25);
  EXPECT_DOUBLE_EQ(QuantFormat::mxfp8().getBitsPerWeight(64, 64), 8.25);
  EXPECT_EQ(QuantFormat::nvfp4().getStorageBits(64, 64),
            uint64_t(64 * 64 * 4 + 64 * 4 * 8 + 32));
  EXPECT_DOUBLE_EQ(QuantFormat::nvfp4().getBitsPerWeight(4096, 4096),
                   4.5 + 32.0 / (4096.0 * 4096.0));
  // Asymmetric: the N-bit zero point per group counts too.
  QuantFormat asym = parsed("uint4-g32-asym");
  EXPECT_DOUBLE_EQ(asym.getBitsPerWeight(256, 256), 4.0 + 16.0 / 32 + 4.0 / 32);
  QuantFormat asym32 = parsed("uint4-g32-asym-f32");
  EXPECT_DOUBLE_EQ(asym32.getBitsPerWeight(256, 256), 5.125);
  EXPECT_DOUBLE_EQ(QuantFormat::nf4(64).getBitsPerWeight(128, 128), 4.25);
  EXPECT_DOUBLE_EQ(parsed("f16").getBitsPerWeight(3, 5), 16.0);
  EXPECT_EQ(parsed("f32").getStorageBytes(3, 5), 60u);
  EXPECT_DOUBLE_EQ(parsed("int8-pc-f32").getBitsPerWeight(10, 64),
                   8.0 + 32.0 / 64);
  // A partial last group still has a scale.
  EXPECT_EQ(QuantFormat::uniform(3, 32).getStorageBits(5, 100),
            uint64_t(5 * 100 * 3 + 5 * 4 * 16));
  // Bytes pad every packed row: 3-bit codes of 100 columns take 38 bytes.
  EXPECT_EQ(QuantFormat::uniform(3, 32).getStorageBytes(5, 100),
            uint64_t(5 * 38 + 5 * 4 * 2));
  EXPECT_EQ(parsed("uint3-g32-asym").getStorageBytes(5, 100),
            uint64_t(5 * 38 + 5 * 4 * 2 + 5 * 2));
}

TEST(QuantFormat, NamesRoundTrip) {
  for (const char *name : {"int4",
                           "uint4",
                           "int4-g32",
                           "uint4-g32-asym",
                           "int8-pc",
                           "int3-g64-bf16",
                           "int2-g16-f32",
                           "nf4",
                           "nf4-g128",
                           "nf4-pc-f32",
                           "mxfp4",
                           "mxfp8",
                           "nvfp4",
                           "mxfp6",
                           "fp8e4m3",
                           "fp8e5m2",
                           "fp8e4m3-pc-f32",
                           "fp4e2m1-g32-f16",
                           "fp4e2m1-g16-e4m3-ts",
                           "f16",
                           "bf16",
                           "f32"}) {
    QuantFormat f = parsed(name);
    QuantFormat again = parsed(f.getName());
    EXPECT_TRUE(f == again) << name << " -> " << f.getName();
  }
  EXPECT_EQ(parsed("int4").getName(), "int4");
  EXPECT_EQ(parsed("int4-g128-f16").getName(), "int4");
  EXPECT_EQ(parsed("fp4e2m1-g32-e8m0").getName(), "mxfp4");
}

TEST(QuantFormat, EncodingAttrs) {
  EXPECT_EQ(parsed("int4").getEncodingAttr(),
            "#qnt.uniform<i4, per_group(1, 128), scale = f16>");
  EXPECT_EQ(parsed("uint4-g32-asym").getEncodingAttr(),
            "#qnt.uniform<ui4, per_group(1, 32), scale = f16, asymmetric>");
  EXPECT_EQ(parsed("int8-pc-f32").getEncodingAttr(),
            "#qnt.uniform<i8, per_channel(0), scale = f32>");
  EXPECT_EQ(parsed("mxfp4").getEncodingAttr(), "#qnt.float<mxfp4>");
  EXPECT_EQ(parsed("nvfp4").getEncodingAttr(), "#qnt.float<nvfp4>");
  EXPECT_EQ(parsed("nf4").getEncodingAttr(),
            "#qnt.lut<nf4, per_group(1, 64), scale = f16>");
  EXPECT_EQ(parsed("fp8e5m2-pc-f32").getEncodingAttr(),
            "#qnt.float<f8E5M2, per_channel(0), scale = f32>");
  EXPECT_EQ(parsed("bf16").getEncodingAttr(), "#qnt.plain<bf16>");
  EXPECT_EQ(parsed("fp8e4m3").getEncodingAttr(), "#qnt.float<f8E4M3FN>");
}

TEST(QuantFormat, ParseErrorsNameThePiece) {
  for (auto [name, needle] : std::vector<std::pair<const char *, const char *>>{
           {"int9", "1 to 8 bits"},
           {"int", "bit width"},
           {"foo4", "unknown format 'foo4'"},
           {"int4-g0", "group size must be positive"},
           {"int4-xyz", "unknown option 'xyz'"},
           {"int1", "at least 2 bits"},
           {"mxfp4-g16", "presets take no options"},
           {"int4-e8m0", "unknown option 'e8m0'"},
           {"fp8e4m3-ts", "tensor scale needs block scales"}}) {
    auto f = QuantFormat::parse(name);
    ASSERT_FALSE(bool(f)) << name;
    std::string msg = llvm::toString(f.takeError());
    EXPECT_NE(msg.find(needle), std::string::npos) << msg;
  }
}

TEST(QuantFormat, SymmetricIntReference) {
  QuantFormat f = QuantFormat::uniform(4, 4);
  float x[4] = {1.0f, -2.0f, 0.5f, 3.5f};
  GroupParams p = chooseGroupParams(f, x, 4, 1.0f);
  EXPECT_EQ(p.scale, 0.5f); // 3.5 / 7, exact in f16
  EXPECT_EQ(p.zeroPoint, 0);
  int32_t codes[4];
  float deq[4];
  quantizeGroup(f, p, 1.0f, x, 4, codes, deq);
  EXPECT_EQ(codes[0], 2);
  EXPECT_EQ(codes[1], -4);
  EXPECT_EQ(codes[2], 1);
  EXPECT_EQ(codes[3], 7);
  EXPECT_EQ(deq[2], 0.5f);
  // Unsigned symmetric storage uses the implicit zero point 8.
  QuantFormat u = QuantFormat::uniform(4, 4, ScaleType::F16, false, false);
  GroupParams pu = chooseGroupParams(u, x, 4, 1.0f);
  EXPECT_EQ(pu.zeroPoint, 8);
  quantizeGroup(u, pu, 1.0f, x, 4, codes, deq);
  EXPECT_EQ(codes[3], 15);
  EXPECT_EQ(deq[1], -2.0f);
  // A group of zeros gets scale 1.
  float zeros[3] = {0, 0, 0};
  EXPECT_EQ(chooseGroupParams(f, zeros, 3, 1.0f).scale, 1.0f);
}

TEST(QuantFormat, AsymmetricKeepsZeroExact) {
  QuantFormat f = parsed("uint4-g8-asym");
  float x[8] = {0.2f, 0.4f, 0.5f, 0.9f, 1.0f, 0.3f, 0.7f, 0.8f};
  GroupParams p = chooseGroupParams(f, x, 8, 1.0f);
  // lo = min(min, 0) = 0, so the zero point is 0 and 0 decodes to 0.
  EXPECT_EQ(p.zeroPoint, 0);
  EXPECT_EQ(quantizeValue(f, p, 1.0f, 0.0f), 0.0f);
  for (float v : x)
    EXPECT_LE(std::fabs(quantizeValue(f, p, 1.0f, v) - v),
              p.scale * 0.5f + 1e-7f);
  float y[4] = {-1.0f, 3.0f, 2.0f, 0.5f};
  GroupParams q = chooseGroupParams(f, y, 4, 1.0f);
  EXPECT_GT(q.zeroPoint, 0);
  EXPECT_LT(q.zeroPoint, 15);
  EXPECT_EQ(quantizeValue(f, q, 1.0f, 0.0f), 0.0f);
}

TEST(QuantFormat, MXFP4SharedExponent) {
  QuantFormat f = QuantFormat::mxfp4();
  float x[4] = {5.0f, -1.2f, 0.3f, 2.6f};
  GroupParams p = chooseGroupParams(f, x, 4, 1.0f);
  // floor(log2(5)) - emax(e2m1) = 2 - 2 = 0: scale 2^0, code 127.
  EXPECT_EQ(p.scale, 1.0f);
  EXPECT_EQ(p.scaleCode, 127u);
  float deq[4];
  quantizeGroup(f, p, 1.0f, x, 4, nullptr, deq);
  EXPECT_EQ(deq[0], 4.0f); // ties to even: 5 is between 4 and 6
  EXPECT_EQ(deq[1], -1.0f);
  EXPECT_EQ(deq[2], 0.5f);
  EXPECT_EQ(deq[3], 3.0f);
}

TEST(QuantFormat, NVFP4TensorAndBlockScales) {
  QuantFormat f = QuantFormat::nvfp4();
  std::vector<float> w = randomWeights(4 * 32, 7);
  float absMax = 0;
  for (float v : w)
    absMax = std::max(absMax, std::fabs(v));
  float ts = computeTensorScale(f, w);
  EXPECT_FLOAT_EQ(ts, absMax / (448.0f * 6.0f));
  GroupParams p = chooseGroupParams(f, w.data(), 16, ts);
  float blockMax = 0;
  for (int i = 0; i < 16; ++i)
    blockMax = std::max(blockMax, std::fabs(w[i]));
  EXPECT_EQ(p.scaleCode,
            encodeMinifloat(MinifloatKind::E4M3FN, blockMax / 6.0f / ts));
}

TEST(QuantFormat, NF4UsesAbsMaxScale) {
  QuantFormat f = QuantFormat::nf4(4, ScaleType::F32);
  float x[4] = {-2.0f, 1.0f, 0.1f, 0.0f};
  GroupParams p = chooseGroupParams(f, x, 4, 1.0f);
  EXPECT_EQ(p.scale, 2.0f);
  int32_t codes[4];
  float deq[4];
  quantizeGroup(f, p, 1.0f, x, 4, codes, deq);
  EXPECT_EQ(codes[0], 0);
  EXPECT_EQ(deq[0], -2.0f);
  EXPECT_EQ(codes[1], nearestIndex(kNF4Values, 16, 0.5f));
  EXPECT_NE(codes[1], 15);
  EXPECT_EQ(deq[3], 0.0f);
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(deq[i], kNF4Values[codes[i]] * 2.0f);
}

// Every format: decode(codes) reproduces the dequantized values bit for bit,
// quantizing them again is the identity, and packed parts have the sizes of
// getStorageBytes.
TEST(QuantFormat, ResultsAreOnTheGrid) {
  std::vector<float> w = randomWeights(8 * 96, 11);
  w[5] = 9.0f; // an outlier
  for (const char *name :
       {"int4", "int4-g32", "uint4-g32-asym", "int3-g16-bf16", "int8-pc-f32",
        "int2-g32", "nf4", "nf4-g32", "mxfp4", "mxfp8", "mxfp6", "nvfp4",
        "fp8e4m3", "fp8e5m2-pc-f32", "fp4e2m1-g32-f16", "fp6e3m2", "f16",
        "bf16", "f32"}) {
    QuantFormat f = parsed(name);
    for (bool mse : {false, true}) {
      ScaleSearchOptions opts;
      opts.mseClip = mse;
      auto q = quantizeRTN(f, w, 8, 96, opts);
      ASSERT_TRUE(bool(q)) << llvm::toString(q.takeError());
      std::vector<float> decoded = q->decode();
      ASSERT_EQ(decoded.size(), w.size());
      for (size_t i = 0; i < w.size(); ++i) {
        ASSERT_EQ(decoded[i], q->dequantized[i]) << name << " at " << i;
        const GroupParams &p = q->getParams(i / 96, i % 96);
        int32_t code;
        ASSERT_EQ(quantizeValue(f, p, q->tensorScale, q->dequantized[i], &code),
                  q->dequantized[i])
            << name << " at " << i;
      }
      uint64_t bytes = 0;
      for (const auto &part : q->packParts())
        bytes += part.size();
      EXPECT_EQ(bytes, f.getStorageBytes(8, 96)) << name;
    }
  }
}

TEST(QuantFormat, UniformErrorWithinHalfStep) {
  std::vector<float> w = randomWeights(16 * 64, 3);
  QuantFormat f = QuantFormat::uniform(4, 32, ScaleType::F32);
  auto q = quantizeRTN(f, w, 16, 64);
  ASSERT_TRUE(bool(q));
  for (size_t i = 0; i < w.size(); ++i) {
    const GroupParams &p = q->getParams(i / 64, i % 64);
    EXPECT_LE(std::fabs(w[i] - q->dequantized[i]), p.scale * 0.5f * 1.0001f);
  }
}

TEST(QuantizedWeights, SliceAndAppendRowsRoundTrip) {
  const int64_t rows = 6, cols = 32;
  std::mt19937 rng(7);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> w(rows * cols);
  for (float &x : w)
    x = dist(rng);
  QuantFormat f = QuantFormat::uniform(4, 16, ScaleType::F16, true, false);
  auto q = quantizeRTN(f, w, rows, cols);
  ASSERT_TRUE(bool(q));
  QuantizedWeights top = q->sliceRows(0, 2), bottom = q->sliceRows(2, 4);
  EXPECT_EQ(top.rows, 2);
  EXPECT_EQ(bottom.rows, 4);
  EXPECT_EQ(bottom.params.size(), size_t(4 * 2));
  EXPECT_EQ(bottom.decode(), bottom.dequantized);
  ASSERT_FALSE(bool(top.appendRows(bottom)));
  EXPECT_EQ(top.rows, rows);
  EXPECT_EQ(top.codes, q->codes);
  EXPECT_EQ(top.dequantized, q->dequantized);
  EXPECT_EQ(top.packParts(), q->packParts());
  // Rows of another format cannot join.
  auto other = quantizeRTN(QuantFormat::uniform(3, 16), w, rows, cols);
  ASSERT_TRUE(bool(other));
  llvm::Error error = top.appendRows(*other);
  ASSERT_TRUE(bool(error));
  EXPECT_NE(llvm::toString(std::move(error)).find("cannot append 6 rows"),
            std::string::npos);
}

} // namespace

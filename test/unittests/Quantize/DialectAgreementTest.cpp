//===- DialectAgreementTest.cpp - QuantFormat against the qnt dialect -----===//
//
// Every QuantFormat against the `#qnt.*` encoding it names: the same stored
// bits, the same part sizes, the dialect's reference decode of packParts()
// reproduces the quantized values bit for bit (RTN, MSE clipping and GPTQ),
// min-max RTN produces exactly the bytes of the reference encode, and the
// reference encode with the chosen parameters gives back the GPTQ codes.
//
//===----------------------------------------------------------------------===//

#include "quant/Dialect/Qnt/IR/QntAttrs.h"
#include "quant/Dialect/Qnt/IR/QntDialect.h"
#include "quant/Quantize/Outliers.h"
#include "quant/Quantize/Sensitivity.h"
#include "quant/Quantize/WeightQuantizer.h"

#include "mlir/AsmParser/AsmParser.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"

#include "gtest/gtest.h"

#include <random>

using namespace mlir;
using namespace mlir::qnt;
using namespace mlir::qnt::quantize;

namespace {

class DialectAgreement : public ::testing::Test {
protected:
  DialectAgreement() {
    ctx.loadDialect<QntDialect>();
    handler =
        std::make_unique<ScopedDiagnosticHandler>(&ctx, [&](Diagnostic &d) {
          diagnostics.push_back(d.str());
          return success();
        });
  }

  EncodingAttrInterface encodingOf(const QuantFormat &format) {
    Attribute attr = parseAttribute(format.getEncodingAttr(), &ctx);
    EXPECT_TRUE(attr) << format.getEncodingAttr();
    auto enc = dyn_cast_or_null<EncodingAttrInterface>(attr);
    EXPECT_TRUE(enc) << format.getEncodingAttr();
    return enc;
  }

  InFlightDiagnostic emit() { return emitError(UnknownLoc::get(&ctx)); }

  MLIRContext ctx;
  std::unique_ptr<ScopedDiagnosticHandler> handler;
  std::vector<std::string> diagnostics;
};

std::vector<float> randomMatrix(int64_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> w(n);
  for (float &x : w)
    x = dist(rng);
  return w;
}

std::vector<ArrayRef<uint8_t>> refs(const std::vector<std::vector<uint8_t>> &v,
                                    size_t from = 0) {
  std::vector<ArrayRef<uint8_t>> out;
  for (size_t i = from; i < v.size(); ++i)
    out.emplace_back(v[i]);
  return out;
}

const char *const kFormats[] = {"int4",
                                "int4-g32",
                                "uint4-g32-asym",
                                "uint4-g32-asym-f32",
                                "int3-g16-bf16",
                                "int8-pc-f32",
                                "int2-g32",
                                "uint3-g32",
                                "int4-g32-asym",
                                "nf4",
                                "nf4-g32-f32",
                                "mxfp4",
                                "mxfp8",
                                "mxfp6",
                                "nvfp4",
                                "fp8e4m3",
                                "fp8e5m2-pc-f32",
                                "fp4e2m1-g32-f16",
                                "fp6e2m3",
                                "fp4e2m1-g16-e4m3-ts",
                                "fp6e3m2-g16-bf16",
                                "f16",
                                "bf16",
                                "f32"};

TEST_F(DialectAgreement, BitsPartsDecodeAndEncode) {
  for (auto [rows, cols] : {std::pair<int64_t, int64_t>{6, 96}, {5, 100}}) {
    SmallVector<int64_t> shape = {rows, cols};
    std::vector<float> w = randomMatrix(rows * cols, unsigned(cols));
    w[7] = 7.5f;
    std::vector<float> x = randomMatrix(64 * cols, 3);
    std::vector<double> h(cols * cols, 0.0);
    accumulateHessian(h, x, 64, cols);
    for (const char *name : kFormats) {
      SCOPED_TRACE(name);
      auto format = QuantFormat::parse(name);
      ASSERT_TRUE(bool(format)) << llvm::toString(format.takeError());
      EncodingAttrInterface enc = encodingOf(*format);
      ASSERT_TRUE(enc);
      EXPECT_EQ(enc.getStorageBits(shape), format->getStorageBits(rows, cols));
      SmallVector<PartInfo> parts = enc.getParts(shape);
      uint64_t partBytes = 0;
      for (const PartInfo &p : parts)
        partBytes += p.getNumBytes();
      EXPECT_EQ(partBytes, format->getStorageBytes(rows, cols));

      ScaleSearchOptions mse;
      mse.mseClip = true;
      auto rtn = quantizeRTN(*format, w, rows, cols);
      auto clipped = quantizeRTN(*format, w, rows, cols, mse);
      GPTQOptions gptqOptions;
      gptqOptions.actOrder = true;
      gptqOptions.blockSize = 32;
      auto gptq = quantizeGPTQ(*format, w, rows, cols, h, gptqOptions);
      ASSERT_TRUE(rtn && clipped && gptq);
      for (const QuantizedWeights *q : {&*rtn, &*clipped, &*gptq}) {
        std::vector<std::vector<uint8_t>> packed = q->packParts();
        ASSERT_EQ(packed.size(), parts.size());
        for (size_t i = 0; i < parts.size(); ++i)
          EXPECT_EQ(int64_t(packed[i].size()), parts[i].getNumBytes())
              << parts[i].name;
        std::vector<float> decoded(rows * cols);
        std::vector<ArrayRef<uint8_t>> packedRefs = refs(packed);
        ASSERT_TRUE(succeeded(enc.referenceDecode(shape, packedRefs, decoded,
                                                  [&] { return emit(); })))
            << (diagnostics.empty() ? "" : diagnostics.back());
        for (size_t i = 0; i < decoded.size(); ++i)
          ASSERT_EQ(decoded[i], q->dequantized[i]) << "element " << i;

        // Encoding the values again with these parameters gives the codes.
        PartsData again;
        std::vector<ArrayRef<uint8_t>> params = refs(packed, 1);
        ASSERT_TRUE(succeeded(enc.referenceEncode(
            shape, q->dequantized, params, again, [&] { return emit(); })));
        EXPECT_EQ(again[0], packed[0]);
      }
      // Min-max RTN is the reference encode, byte for byte.
      PartsData reference;
      ASSERT_TRUE(succeeded(enc.referenceEncode(shape, w, {}, reference,
                                                [&] { return emit(); })));
      std::vector<std::vector<uint8_t>> packed = rtn->packParts();
      ASSERT_EQ(reference.size(), packed.size());
      for (size_t i = 0; i < packed.size(); ++i)
        EXPECT_EQ(reference[i], packed[i]) << parts[i].name;
    }
  }
}

// Dense + sparse candidates against #qnt.outliers: the same stored bits and
// part sizes, and the reference decode of packParts() is the quantizer's
// dense + outliers, bit for bit, for GPTQ and RTN, sliced or whole.
TEST_F(DialectAgreement, OutlierCandidatesDecode) {
  const int64_t rows = 12, cols = 64;
  std::vector<float> w = randomMatrix(rows * cols, 61);
  w[9] = 9.0f;
  w[200] = -6.0f;
  std::vector<float> x = randomMatrix(64 * cols, 62);
  std::vector<double> h(cols * cols, 0.0);
  accumulateHessian(h, x, 64, cols);
  for (const char *name :
       {"int3-g32+o1", "uint4-g32-asym+o2-f32", "nvfp4+o0.5", "nf4-g32+o3"}) {
    SCOPED_TRACE(name);
    auto format = CandidateFormat::parse(name);
    ASSERT_TRUE(bool(format)) << llvm::toString(format.takeError());
    for (bool gptq : {true, false}) {
      CandidateQuantizeOptions options;
      options.gptq = gptq;
      auto slices = quantizeCandidate(*format, w, rows, cols, h, 5, options);
      ASSERT_TRUE(bool(slices)) << llvm::toString(slices.takeError());
      for (const QuantizedCandidate &q : *slices) {
        int64_t n = q.getRows();
        SmallVector<int64_t> shape = {n, cols};
        Attribute attr = parseAttribute(format->getEncodingAttr(n, cols), &ctx);
        auto enc = dyn_cast_or_null<EncodingAttrInterface>(attr);
        ASSERT_TRUE(enc) << format->getEncodingAttr(n, cols);
        EXPECT_EQ(enc.getStorageBits(shape), format->getStorageBits(n, cols));
        SmallVector<PartInfo> parts = enc.getParts(shape);
        std::vector<std::vector<uint8_t>> packed = q.packParts();
        ASSERT_EQ(packed.size(), parts.size());
        uint64_t bytes = 0;
        for (size_t i = 0; i < parts.size(); ++i) {
          EXPECT_EQ(int64_t(packed[i].size()), parts[i].getNumBytes())
              << parts[i].name;
          bytes += packed[i].size();
        }
        EXPECT_EQ(bytes, format->getStorageBytes(n, cols));
        std::vector<float> decoded(n * cols);
        std::vector<ArrayRef<uint8_t>> packedRefs = refs(packed);
        ASSERT_TRUE(succeeded(enc.referenceDecode(shape, packedRefs, decoded,
                                                  [&] { return emit(); })))
            << (diagnostics.empty() ? "" : diagnostics.back());
        for (size_t i = 0; i < decoded.size(); ++i)
          ASSERT_EQ(decoded[i], q.dequantized[i]) << "element " << i;
      }
    }
  }
}

} // namespace

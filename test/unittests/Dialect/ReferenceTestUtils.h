//===- ReferenceTestUtils.h - helpers for reference codec tests -*- C++ -*-===//
//
// A fixture with a context that has the qnt dialect loaded and captures
// diagnostics, plus helpers to build random valid part bytes. Scalars are
// written with the quant/Support conversions, independently of the library's
// internal helpers.
//
//===----------------------------------------------------------------------===//

#ifndef QUANT_UNITTESTS_DIALECT_REFERENCETESTUTILS_H
#define QUANT_UNITTESTS_DIALECT_REFERENCETESTUTILS_H

#include "quant/Dialect/Qnt/IR/QntAttrs.h"
#include "quant/Dialect/Qnt/IR/QntDialect.h"
#include "quant/Support/BitPacking.h"
#include "quant/Support/Rounding.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Location.h"
#include "mlir/IR/MLIRContext.h"

#include "gtest/gtest.h"

#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

namespace mlir {
namespace qnt {
namespace testing {

using Bytes = std::vector<uint8_t>;

inline int64_t numElements(ArrayRef<int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

/// Bytes of one scalar of `type` (f32, f16 or bf16).
inline void appendScalar(Bytes &out, Type type, float value) {
  if (type.isF32()) {
    uint32_t bits;
    std::memcpy(&bits, &value, 4);
    for (int i = 0; i < 4; ++i)
      out.push_back(uint8_t(bits >> (8 * i)));
    return;
  }
  uint16_t bits =
      type.isF16() ? floatToHalfBits(value) : floatToBFloat16Bits(value);
  out.push_back(uint8_t(bits));
  out.push_back(uint8_t(bits >> 8));
}

inline float readScalar(ArrayRef<uint8_t> bytes, Type type, int64_t index) {
  if (type.isF32()) {
    uint32_t bits = 0;
    for (int i = 0; i < 4; ++i)
      bits |= uint32_t(bytes[4 * index + i]) << (8 * i);
    float value;
    std::memcpy(&value, &bits, 4);
    return value;
  }
  uint16_t bits = uint16_t(bytes[2 * index]) | uint16_t(bytes[2 * index + 1])
                                                   << 8;
  return type.isF16() ? halfBitsToFloat(bits) : bfloat16BitsToFloat(bits);
}

inline Bytes scalars(Type type, ArrayRef<float> values) {
  Bytes out;
  for (float v : values)
    appendScalar(out, type, v);
  return out;
}

inline int32_t readInt32(ArrayRef<uint8_t> bytes, int64_t index) {
  uint32_t value = 0;
  for (int i = 0; i < 4; ++i)
    value |= uint32_t(bytes[4 * index + i]) << (8 * i);
  return int32_t(value);
}

inline Bytes int32s(ArrayRef<int32_t> values) {
  Bytes out;
  for (int32_t v : values)
    for (int i = 0; i < 4; ++i)
      out.push_back(uint8_t(uint32_t(v) >> (8 * i)));
  return out;
}

/// Packs row-major `codes` of logical shape `shape` at `bits` bits.
inline Bytes packed(ArrayRef<int32_t> codes, ArrayRef<int64_t> shape,
                    unsigned bits) {
  int64_t cols = shape.back();
  int64_t rows = numElements(shape) / cols;
  Bytes out(rows * packedRowBytes(cols, bits), 0);
  packCodes(codes.data(), rows, cols, bits, out.data());
  return out;
}

inline std::vector<int32_t> unpacked(ArrayRef<uint8_t> bytes,
                                     ArrayRef<int64_t> shape, unsigned bits,
                                     bool isSigned) {
  int64_t cols = shape.back();
  int64_t rows = numElements(shape) / cols;
  std::vector<int32_t> codes(rows * cols);
  unpackCodes(bytes.data(), rows, cols, bits, isSigned, codes.data());
  return codes;
}

inline std::string toString(const Granularity &granularity) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << granularity;
  return text;
}

inline SmallVector<ArrayRef<uint8_t>> refs(const PartsData &parts,
                                           size_t begin = 0) {
  SmallVector<ArrayRef<uint8_t>> result;
  for (size_t i = begin; i < parts.size(); ++i)
    result.push_back(parts[i]);
  return result;
}

class ReferenceTest : public ::testing::Test {
public:
  ReferenceTest()
      : handler(&ctx, [this](Diagnostic &diag) {
          diagnostics.push_back(diag.str());
          return success();
        }) {
    ctx.loadDialect<QntDialect>();
  }

  function_ref<InFlightDiagnostic()> emitter() { return emitErrorFn; }

  Type f32() { return Float32Type::get(&ctx); }
  Type f16() { return Float16Type::get(&ctx); }
  Type bf16() { return BFloat16Type::get(&ctx); }
  IntegerType intType(unsigned bits, bool isSigned) {
    return IntegerType::get(
        &ctx, bits, isSigned ? IntegerType::Signless : IntegerType::Unsigned);
  }

  UniformAttr uniform(unsigned bits, bool isSigned, Granularity granularity,
                      Type scaleType, bool symmetric = true,
                      unsigned scaleBits = 0, int64_t scaleGroupSize = 0) {
    return UniformAttr::get(&ctx, intType(bits, isSigned), granularity,
                            scaleType, symmetric, scaleBits, scaleGroupSize);
  }

  /// Encodes, expecting success.
  PartsData encode(EncodingAttrInterface attr, ArrayRef<int64_t> shape,
                   ArrayRef<float> values,
                   ArrayRef<ArrayRef<uint8_t>> params = {}) {
    PartsData parts;
    LogicalResult result =
        attr.referenceEncode(shape, values, params, parts, emitter());
    EXPECT_TRUE(succeeded(result)) << lastDiagnostic();
    return parts;
  }

  /// Decodes, expecting success.
  std::vector<float> decode(EncodingAttrInterface attr, ArrayRef<int64_t> shape,
                            ArrayRef<ArrayRef<uint8_t>> parts) {
    std::vector<float> out(numElements(shape), -12345.0f);
    LogicalResult result = attr.referenceDecode(shape, parts, out, emitter());
    EXPECT_TRUE(succeeded(result)) << lastDiagnostic();
    return out;
  }
  std::vector<float> decode(EncodingAttrInterface attr, ArrayRef<int64_t> shape,
                            const PartsData &parts) {
    return decode(attr, shape, refs(parts));
  }

  /// Checks that every part has the byte size getParts announces.
  void expectPartSizes(EncodingAttrInterface attr, ArrayRef<int64_t> shape,
                       const PartsData &parts) {
    SmallVector<PartInfo> infos = attr.getParts(shape);
    ASSERT_EQ(infos.size(), parts.size());
    for (auto [info, bytes] : llvm::zip_equal(infos, parts))
      EXPECT_EQ(int64_t(bytes.size()), info.getNumBytes()) << info.name;
  }

  std::string lastDiagnostic() const {
    return diagnostics.empty() ? std::string("<no diagnostic>")
                               : diagnostics.back();
  }

  std::vector<float> randomValues(int64_t count, float lo, float hi) {
    std::uniform_real_distribution<float> dist(lo, hi);
    std::vector<float> values(count);
    for (float &v : values)
      v = dist(rng);
    return values;
  }
  std::vector<int32_t> randomCodes(int64_t count, int32_t lo, int32_t hi) {
    std::uniform_int_distribution<int32_t> dist(lo, hi);
    std::vector<int32_t> codes(count);
    for (int32_t &c : codes)
      c = dist(rng);
    return codes;
  }

  MLIRContext ctx;
  std::vector<std::string> diagnostics;
  ScopedDiagnosticHandler handler;
  std::mt19937 rng{20260417};

private:
  std::function<InFlightDiagnostic()> emitErrorFn = [this]() {
    return mlir::emitError(UnknownLoc::get(&ctx));
  };
};

} // namespace testing
} // namespace qnt
} // namespace mlir

#endif // QUANT_UNITTESTS_DIALECT_REFERENCETESTUTILS_H

//===- ReferenceDenseTest.cpp - reference codecs of dense encodings -------===//
//
// uniform, float, lut, codebook, binary and ternary: pack/unpack identity on
// random codes, quantization error bounds and hand-computed bytes.
//
//===----------------------------------------------------------------------===//

#include "ReferenceTestUtils.h"

#include "quant/Support/Lookup.h"
#include "quant/Support/Minifloat.h"

#include <cmath>

using namespace mlir;
using namespace mlir::qnt;
using namespace mlir::qnt::testing;

namespace {

class UniformReferenceTest : public ReferenceTest {};
class MinifloatReferenceTest : public ReferenceTest {};
class LutReferenceTest : public ReferenceTest {};
class CodebookReferenceTest : public ReferenceTest {};
class SignReferenceTest : public ReferenceTest {};
class PlainReferenceTest : public ReferenceTest {};

struct Range {
  int32_t qmin, qmax;
};
Range rangeOf(unsigned bits, bool isSigned) {
  if (isSigned)
    return {-(1 << (bits - 1)), (1 << (bits - 1)) - 1};
  return {0, (1 << bits) - 1};
}

/// Positive scales exactly representable in `type`.
std::vector<float> randomScales(ReferenceTest &test, Type type, int64_t count) {
  std::vector<float> scales = test.randomValues(count, 0.01f, 2.0f);
  for (float &s : scales)
    s = readScalar(scalars(type, {s}), type, 0);
  return scales;
}

//===----------------------------------------------------------------------===//
// Uniform
//===----------------------------------------------------------------------===//

// Random codes, scales and zero points decode and re-encode (with the same
// parameters) to the same bytes, for every width, signedness and symmetry.
TEST_F(UniformReferenceTest, PackUnpackIdentityAllWidths) {
  SmallVector<int64_t> shape = {3, 13};
  int checked = 0;
  for (unsigned bits = 1; bits <= 8; ++bits) {
    for (bool isSigned : {true, false}) {
      for (bool symmetric : {true, false}) {
        for (Type scaleType : {f16(), f32(), bf16()}) {
          Granularity granularity = Granularity::perGroup(1, 5);
          UniformAttr attr =
              uniform(bits, isSigned, granularity, scaleType, symmetric);
          SmallVector<int64_t> paramShape = granularity.getParamShape(shape);
          Range range = rangeOf(bits, isSigned);
          PartsData parts;
          parts.push_back(
              packed(randomCodes(numElements(shape), range.qmin, range.qmax),
                     shape, bits));
          parts.push_back(
              scalars(scaleType,
                      randomScales(*this, scaleType, numElements(paramShape))));
          if (!symmetric)
            parts.push_back(packed(
                randomCodes(numElements(paramShape), range.qmin, range.qmax),
                paramShape, bits));
          expectPartSizes(attr, shape, parts);
          std::vector<float> values = decode(attr, shape, parts);
          PartsData again = encode(attr, shape, values, refs(parts, 1));
          EXPECT_EQ(again, parts) << "bits " << bits << " signed " << isSigned
                                  << " symmetric " << symmetric;
          ++checked;
        }
      }
    }
  }
  EXPECT_EQ(checked, 96);
}

TEST_F(UniformReferenceTest, PackUnpackIdentityDoubleQuant) {
  SmallVector<int64_t> shape = {5, 22};
  for (bool symmetric : {true, false}) {
    // 5 x ceil(22 / 4) = 30 scales in super-groups of 8 (last one partial).
    UniformAttr attr = uniform(4, false, Granularity::perGroup(1, 4), f16(),
                               symmetric, /*scaleBits=*/6,
                               /*scaleGroupSize=*/8);
    SmallVector<int64_t> paramShape = {5, 6};
    PartsData parts;
    parts.push_back(packed(randomCodes(numElements(shape), 0, 15), shape, 4));
    parts.push_back(packed(randomCodes(30, 1, 63), paramShape, 6));
    parts.push_back(scalars(f32(), randomValues(4, 0.001f, 0.05f)));
    if (!symmetric)
      parts.push_back(packed(randomCodes(30, 0, 15), paramShape, 4));
    expectPartSizes(attr, shape, parts);
    std::vector<float> values = decode(attr, shape, parts);
    // Decode is float(q - z) * (scale_code * scale_scale).
    std::vector<int32_t> codes = unpacked(parts[0], shape, 4, false);
    std::vector<int32_t> scaleCodes = unpacked(parts[1], paramShape, 6, false);
    std::vector<int32_t> zeros = symmetric
                                     ? std::vector<int32_t>(30, 8)
                                     : unpacked(parts[3], paramShape, 4, false);
    for (int64_t r = 0; r < 5; ++r) {
      for (int64_t c = 0; c < 22; ++c) {
        int64_t p = r * 6 + c / 4;
        float scale = float(scaleCodes[p]) * readScalar(parts[2], f32(), p / 8);
        EXPECT_EQ(values[r * 22 + c],
                  float(codes[r * 22 + c] - zeros[p]) * scale);
      }
    }
    EXPECT_EQ(encode(attr, shape, values, refs(parts, 1)), parts);
  }
}

// Without parameters: when every block holds a code of magnitude qmaxPos,
// the derived scale is the stored one, so encode reproduces all bytes.
TEST_F(UniformReferenceTest, DerivedParametersReproduceCodes) {
  SmallVector<int64_t> shape = {4, 10};
  for (unsigned bits : {2u, 3u, 4u, 8u}) {
    int32_t qmaxPos = (1 << (bits - 1)) - 1;
    UniformAttr attr = uniform(bits, true, Granularity::perGroup(1, 4), f16());
    std::vector<int32_t> codes =
        randomCodes(numElements(shape), -qmaxPos, qmaxPos);
    // Put +-qmaxPos at the start of every group of 4 (groups start at 0, 4, 8).
    for (int64_t r = 0; r < 4; ++r)
      for (int64_t c : {0, 4, 8})
        codes[r * 10 + c] = (r + c) % 2 ? qmaxPos : -qmaxPos;
    PartsData parts = {packed(codes, shape, bits),
                       scalars(f16(), randomScales(*this, f16(), 12))};
    std::vector<float> values = decode(attr, shape, parts);
    EXPECT_EQ(encode(attr, shape, values), parts) << "bits " << bits;
  }
}

/// Checks |decode(encode(x)) - x| <= s / 2 for the scale of each element's
/// block, reading the stored scales. `scaleRounding` is the relative rounding
/// error of the scale type: a scale rounded down clips the block extremes by
/// up to (qmax - qmin) * s * scaleRounding more.
void expectWithinHalfStep(ReferenceTest &test, UniformAttr attr,
                          ArrayRef<int64_t> shape, ArrayRef<float> values,
                          float scaleRounding = 0.0f) {
  PartsData parts = test.encode(attr, shape, values);
  test.expectPartSizes(attr, shape, parts);
  std::vector<float> decoded = test.decode(attr, shape, parts);
  SmallVector<int64_t> blockShape = attr.getGranularity().getBlockShape(shape);
  SmallVector<int64_t> paramShape = attr.getGranularity().getParamShape(shape);
  int64_t numParams = numElements(paramShape);
  std::vector<float> scales(numParams);
  for (int64_t p = 0; p < numParams; ++p) {
    if (attr.isDoubleQuantized()) {
      std::vector<int32_t> codes =
          unpacked(parts[1], paramShape, attr.getScaleBits(), false);
      scales[p] = float(codes[p]) * readScalar(parts[2], test.f32(),
                                               p / attr.getScaleGroupSize());
    } else {
      scales[p] = readScalar(parts[1], attr.getScaleType(), p);
    }
  }
  int64_t rank = shape.size();
  for (int64_t i = 0, e = values.size(); i < e; ++i) {
    int64_t rest = i, p = 0, stride = 1;
    for (int64_t d = rank - 1; d >= 0; --d) {
      int64_t coord = rest % shape[d];
      rest /= shape[d];
      p += (coord / blockShape[d]) * stride;
      stride *= paramShape[d];
    }
    float levels = float((1 << attr.getBits()) - 1);
    float tolerance =
        0.5f * scales[p] * 1.0001f + levels * scales[p] * scaleRounding + 1e-6f;
    EXPECT_LE(std::fabs(decoded[i] - values[i]), tolerance)
        << "element " << i << " value " << values[i] << " scale " << scales[p];
  }
}

TEST_F(UniformReferenceTest, QuantizeDequantizeWithinHalfStep) {
  SmallVector<int64_t> shape = {6, 37};
  std::vector<float> values = randomValues(numElements(shape), -3.0f, 2.0f);
  // One block of zeros exercises s = 1.
  for (int64_t c = 0; c < 16; ++c)
    values[2 * 37 + c] = 0.0f;
  SmallVector<Granularity> granularities = {
      Granularity::perTensor(),      Granularity::perChannel(0),
      Granularity::perChannel(1),    Granularity::perGroup(1, 16),
      Granularity::perGroup(-1, 16), Granularity::perGroup(0, 4),
      Granularity::blocked({4, 8})};
  for (const Granularity &granularity : granularities) {
    for (unsigned bits : {2u, 4u, 8u}) {
      for (bool isSigned : {true, false}) {
        for (bool symmetric : {true, false}) {
          SCOPED_TRACE(::testing::Message()
                       << toString(granularity) << " bits " << bits
                       << " signed " << isSigned << " symmetric " << symmetric);
          expectWithinHalfStep(
              *this, uniform(bits, isSigned, granularity, f32(), symmetric),
              shape, values);
          // f16 scales: the rounded scale is what quantizes.
          expectWithinHalfStep(
              *this, uniform(bits, isSigned, granularity, f16(), symmetric),
              shape, values, 0x1p-11f);
        }
      }
    }
  }
  // Double quantization: the quantized scale is what quantizes.
  expectWithinHalfStep(
      *this, uniform(4, true, Granularity::perGroup(1, 8), f16(), true, 8, 5),
      shape, values);
  expectWithinHalfStep(
      *this, uniform(4, false, Granularity::perGroup(1, 8), f16(), false, 8, 5),
      shape, values);
  // Rank 3 and rank 1.
  expectWithinHalfStep(*this,
                       uniform(4, true, Granularity::perGroup(2, 5), bf16()),
                       {3, 2, 11}, randomValues(66, -1.0f, 1.0f), 0x1p-8f);
  expectWithinHalfStep(*this, uniform(8, true, Granularity::perTensor(), f32()),
                       {19}, randomValues(19, -1.0f, 1.0f));
}

// Hand-computed: int4 symmetric per-channel with f16 scales.
TEST_F(UniformReferenceTest, KnownAnswerInt4) {
  UniformAttr attr = uniform(4, true, Granularity::perChannel(0), f16());
  // Row 0: absmax 7 -> s = 1; 2.5 rounds half to even to 2.
  // Row 1: absmax 14 -> s = 2; 3 / 2 = 1.5 -> 2, 1 / 2 = 0.5 -> 0.
  std::vector<float> values = {7.0f, -3.0f, 2.5f, -14.0f, 3.0f, 1.0f};
  PartsData parts = encode(attr, {2, 3}, values);
  ASSERT_EQ(parts.size(), 2u);
  // Codes 7, -3 (0xD), 2 | -7 (0x9), 2, 0, two bytes per row.
  EXPECT_EQ(parts[0], (Bytes{0xD7, 0x02, 0x29, 0x00}));
  // f16 1.0 = 0x3C00, 2.0 = 0x4000.
  EXPECT_EQ(parts[1], (Bytes{0x00, 0x3C, 0x00, 0x40}));
  EXPECT_EQ(decode(attr, {2, 3}, parts),
            (std::vector<float>{7.0f, -3.0f, 2.0f, -14.0f, 4.0f, 0.0f}));

  // Asymmetric ui4 per-tensor: lo = -1, hi = 2, s = 3 / 15 = 0.2,
  // z = rne(0 - (-1 / 0.2)) = 5.
  UniformAttr asym =
      uniform(4, false, Granularity::perTensor(), f32(), /*symmetric=*/false);
  PartsData asymParts = encode(asym, {4}, {-1.0f, 0.0f, 2.0f, 0.5f});
  ASSERT_EQ(asymParts.size(), 3u);
  // q = rne(x / 0.2) + 5: 0, 5, 15, rne(2.5) + 5 = 7.
  EXPECT_EQ(asymParts[0], (Bytes{0x50, 0x7F}));
  EXPECT_EQ(readScalar(asymParts[1], f32(), 0), 3.0f / 15.0f);
  EXPECT_EQ(asymParts[2], (Bytes{0x05}));
}

//===----------------------------------------------------------------------===//
// Minifloat
//===----------------------------------------------------------------------===//

struct FormatCase {
  const char *name;
  MinifloatKind kind;
  unsigned bits;
};

FloatType floatTypeOf(MLIRContext &ctx, MinifloatKind kind) {
  switch (kind) {
  case MinifloatKind::E4M3FN:
    return Float8E4M3FNType::get(&ctx);
  case MinifloatKind::E5M2:
    return Float8E5M2Type::get(&ctx);
  case MinifloatKind::E2M3FN:
    return Float6E2M3FNType::get(&ctx);
  case MinifloatKind::E3M2FN:
    return Float6E3M2FNType::get(&ctx);
  case MinifloatKind::E2M1FN:
    return Float4E2M1FNType::get(&ctx);
  case MinifloatKind::E8M0FNU:
    break;
  }
  return Float8E8M0FNUType::get(&ctx);
}

const FormatCase kFormats[] = {
    {"f8E4M3FN", MinifloatKind::E4M3FN, 8},
    {"f8E5M2", MinifloatKind::E5M2, 8},
    {"f6E2M3FN", MinifloatKind::E2M3FN, 6},
    {"f6E3M2FN", MinifloatKind::E3M2FN, 6},
    {"f4E2M1FN", MinifloatKind::E2M1FN, 4},
};

/// Random codes of `kind` that are not NaN.
std::vector<int32_t> randomMinifloatCodes(ReferenceTest &test,
                                          MinifloatKind kind, unsigned bits,
                                          int64_t count) {
  std::vector<int32_t> codes = test.randomCodes(count, 0, (1 << bits) - 1);
  for (int32_t &code : codes)
    while (std::isnan(decodeMinifloat(kind, code)))
      code = test.randomCodes(1, 0, (1 << bits) - 1)[0];
  return codes;
}

TEST_F(MinifloatReferenceTest, PackUnpackIdentityAllFormats) {
  SmallVector<int64_t> shape = {3, 40};
  int64_t numel = numElements(shape);
  Type e8m0 = Float8E8M0FNUType::get(&ctx);
  Type e4m3 = Float8E4M3FNType::get(&ctx);
  for (const FormatCase &format : kFormats) {
    SCOPED_TRACE(format.name);
    FloatType type = floatTypeOf(ctx, format.kind);
    Bytes codes =
        packed(randomMinifloatCodes(*this, format.kind, format.bits, numel),
               shape, format.bits);
    // Unscaled.
    {
      auto attr = MinifloatAttr::get(&ctx, type, Granularity::perTensor(),
                                     Type(), false);
      PartsData parts = {codes};
      std::vector<float> values = decode(attr, shape, parts);
      EXPECT_EQ(encode(attr, shape, values), parts);
      EXPECT_EQ(encode(attr, shape, values, {}), parts);
    }
    // MX: e8m0 scales per 32 along the innermost axis (40 = 32 + 8).
    {
      auto attr = MinifloatAttr::get(&ctx, type, Granularity::perGroup(-1, 32),
                                     e8m0, false);
      std::vector<int32_t> scaleCodes = randomCodes(6, 117, 137);
      Bytes scales(scaleCodes.begin(), scaleCodes.end());
      PartsData parts = {codes, scales};
      expectPartSizes(attr, shape, parts);
      std::vector<float> values = decode(attr, shape, parts);
      EXPECT_EQ(encode(attr, shape, values, refs(parts, 1)), parts);
    }
    // NVFP4 style: e4m3 scales per 16 and an f32 tensor scale.
    {
      auto attr = MinifloatAttr::get(&ctx, type, Granularity::perGroup(-1, 16),
                                     e4m3, true);
      std::vector<int32_t> scaleCodes = randomCodes(9, 0x08, 0x7E);
      Bytes scales(scaleCodes.begin(), scaleCodes.end());
      PartsData parts = {codes, scales, scalars(f32(), {0.7f})};
      expectPartSizes(attr, shape, parts);
      std::vector<float> values = decode(attr, shape, parts);
      EXPECT_EQ(encode(attr, shape, values, refs(parts, 1)), parts);
    }
    // Plain f16 scales per channel.
    {
      auto attr = MinifloatAttr::get(&ctx, type, Granularity::perChannel(0),
                                     f16(), false);
      PartsData parts = {codes, scalars(f16(), randomScales(*this, f16(), 3))};
      std::vector<float> values = decode(attr, shape, parts);
      EXPECT_EQ(encode(attr, shape, values, refs(parts, 1)), parts);
    }
  }
}

/// Whether `decoded / scale` is a representable value of `kind` nearest to
/// `x / scale` (or the saturated maximum).
void expectNearest(MinifloatKind kind, unsigned bits, float x, float decoded,
                   float scale) {
  float target = x / scale;
  float got = decoded / scale;
  float best = std::numeric_limits<float>::infinity();
  for (uint32_t code = 0; code < (1u << bits); ++code) {
    float v = decodeMinifloat(kind, code);
    if (!std::isnan(v) && !std::isinf(v))
      best = std::min(best, std::fabs(v - target));
  }
  float maxFinite = getMinifloatSpec(kind).maxFinite;
  if (std::fabs(target) > maxFinite) {
    EXPECT_EQ(std::fabs(got), maxFinite) << "x " << x;
    return;
  }
  // got carries the rounding of decoded = m * scale and of the division.
  EXPECT_LE(std::fabs(got - target),
            best * (1.0f + 1e-6f) + 1e-6f * std::fabs(target) + 1e-30f)
      << "x " << x << " scale " << scale;
}

TEST_F(MinifloatReferenceTest, QuantizeDequantizeWithinHalfUlp) {
  SmallVector<int64_t> shape = {4, 45};
  int64_t numel = numElements(shape);
  for (const FormatCase &format : kFormats) {
    SCOPED_TRACE(format.name);
    FloatType type = floatTypeOf(ctx, format.kind);
    float maxFinite = getMinifloatSpec(format.kind).maxFinite;
    // Unscaled: values up to 1.5x the range, so some saturate.
    auto plain =
        MinifloatAttr::get(&ctx, type, Granularity::perTensor(), Type(), false);
    std::vector<float> values =
        randomValues(numel, -1.5f * maxFinite, 1.5f * maxFinite);
    values[0] = 1e-3f;
    values[1] = -0.0f;
    std::vector<float> decoded =
        decode(plain, shape, encode(plain, shape, values));
    for (int64_t i = 0; i < numel; ++i)
      expectNearest(format.kind, format.bits, values[i], decoded[i], 1.0f);

    // MX: codes of x / 2^e, e the shared exponent of each 32-element block.
    auto mx = MinifloatAttr::get(&ctx, type, Granularity::perGroup(-1, 32),
                                 Float8E8M0FNUType::get(&ctx), false);
    values = randomValues(numel, -50.0f, 50.0f);
    PartsData parts = encode(mx, shape, values);
    decoded = decode(mx, shape, parts);
    for (int64_t r = 0; r < 4; ++r) {
      for (int64_t c = 0; c < 45; ++c) {
        float absMax = 0.0f;
        for (int64_t k = (c / 32) * 32;
             k < std::min<int64_t>(45, (c / 32 + 1) * 32); ++k)
          absMax = std::max(absMax, std::fabs(values[r * 45 + k]));
        int32_t e = mxScaleExponent(absMax, format.kind);
        EXPECT_EQ(parts[1][r * 2 + c / 32], uint8_t(e + 127));
        expectNearest(format.kind, format.bits, values[r * 45 + c],
                      decoded[r * 45 + c], std::ldexp(1.0f, e));
      }
    }

    // Plain f32 per-channel scales s = absmax / maxFinite.
    auto scaled = MinifloatAttr::get(&ctx, type, Granularity::perChannel(0),
                                     f32(), false);
    parts = encode(scaled, shape, values);
    decoded = decode(scaled, shape, parts);
    for (int64_t r = 0; r < 4; ++r) {
      float absMax = 0.0f;
      for (int64_t c = 0; c < 45; ++c)
        absMax = std::max(absMax, std::fabs(values[r * 45 + c]));
      float scale = readScalar(parts[1], f32(), r);
      EXPECT_EQ(scale, absMax / maxFinite);
      for (int64_t c = 0; c < 45; ++c)
        expectNearest(format.kind, format.bits, values[r * 45 + c],
                      decoded[r * 45 + c], scale);
    }
  }
}

// One MXFP4 block of 32, hand-encoded. absmax 24 -> e = floor(log2 24) - 2 =
// 2, scale 4 (e8m0 code 129); codes of x / 4.
TEST_F(MinifloatReferenceTest, KnownAnswerMXFP4Block) {
  auto attr = MinifloatAttr::get(&ctx, Float4E2M1FNType::get(&ctx),
                                 Granularity::perGroup(-1, 32),
                                 Float8E8M0FNUType::get(&ctx), false);
  // x / 4: 0, .5, 1, 1.5, 2, 3, 4, 6 | -.5, -1, -1.5, -2, -3, -4, -6, 5
  // (5 ties to 4, the even one) | .25 (ties to 0), .75 (ties to 1), 0...
  std::vector<float> scaled = {0,  0.5f,  1,  1.5f, 2,  3,  4, 6,     -0.5f,
                               -1, -1.5f, -2, -3,   -4, -6, 5, 0.25f, 0.75f};
  scaled.resize(32, 0.0f);
  std::vector<float> values;
  for (float v : scaled)
    values.push_back(4.0f * v);
  PartsData parts = encode(attr, {32}, values);
  ASSERT_EQ(parts.size(), 2u);
  // Codes 0..7, 9..15, 6, 0, 2, then zeros; two per byte, low nibble first.
  Bytes expected = {0x10, 0x32, 0x54, 0x76, 0xA9, 0xCB, 0xED, 0x6F,
                    0x20, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
  EXPECT_EQ(parts[0], expected);
  EXPECT_EQ(parts[1], (Bytes{129}));
  std::vector<float> decoded = decode(attr, {32}, parts);
  EXPECT_EQ(decoded[15], 16.0f);
  EXPECT_EQ(decoded[16], 0.0f);
  EXPECT_EQ(decoded[17], 4.0f);
  EXPECT_EQ(decoded[14], -24.0f);
}

// NVFP4: tensor scale absmax / (448 * 6), e4m3 block scales per 16.
TEST_F(MinifloatReferenceTest, NVFP4DerivedScales) {
  auto attr = MinifloatAttr::get(&ctx, Float4E2M1FNType::get(&ctx),
                                 Granularity::perGroup(-1, 16),
                                 Float8E4M3FNType::get(&ctx), true);
  SmallVector<int64_t> shape = {2, 40};
  std::vector<float> values = randomValues(80, -3.0f, 3.0f);
  values[17] = 26.88f; // the tensor absmax
  PartsData parts = encode(attr, shape, values);
  ASSERT_EQ(parts.size(), 3u);
  float tensorScale = readScalar(parts[2], f32(), 0);
  EXPECT_EQ(tensorScale, 26.88f / (448.0f * 6.0f));
  std::vector<float> decoded = decode(attr, shape, parts);
  for (int64_t r = 0; r < 2; ++r) {
    for (int64_t g = 0; g < 3; ++g) {
      float absMax = 0.0f;
      for (int64_t c = g * 16; c < std::min<int64_t>(40, g * 16 + 16); ++c)
        absMax = std::max(absMax, std::fabs(values[r * 40 + c]));
      uint8_t scaleCode = parts[1][r * 3 + g];
      EXPECT_EQ(scaleCode, encodeMinifloat(MinifloatKind::E4M3FN,
                                           absMax / 6.0f / tensorScale));
      float scale =
          decodeMinifloat(MinifloatKind::E4M3FN, scaleCode) * tensorScale;
      for (int64_t c = g * 16; c < std::min<int64_t>(40, g * 16 + 16); ++c)
        expectNearest(MinifloatKind::E2M1FN, 4, values[r * 40 + c],
                      decoded[r * 40 + c], scale);
    }
  }
}

//===----------------------------------------------------------------------===//
// Lookup tables
//===----------------------------------------------------------------------===//

TEST_F(LutReferenceTest, PackUnpackIdentityAllWidths) {
  SmallVector<int64_t> shape = {3, 17};
  int64_t numel = numElements(shape);
  for (unsigned bits = 1; bits <= 8; ++bits) {
    SCOPED_TRACE(::testing::Message() << "bits " << bits);
    int64_t size = int64_t(1) << bits;
    // Fixed table evenly spaced in [-1, 1], f16 scales per group of 7.
    std::vector<float> table(size);
    for (int64_t i = 0; i < size; ++i)
      table[i] = -1.0f + 2.0f * float(i) / float(size - 1);
    auto fixed =
        LutAttr::get(&ctx, bits, Granularity::perGroup(1, 7),
                     DenseF32ArrayAttr::get(&ctx, table), Type(), f16());
    PartsData parts = {packed(randomCodes(numel, 0, size - 1), shape, bits),
                       scalars(f16(), randomScales(*this, f16(), 9))};
    expectPartSizes(fixed, shape, parts);
    std::vector<float> values = decode(fixed, shape, parts);
    EXPECT_EQ(encode(fixed, shape, values, refs(parts, 1)), parts);

    // Fixed table without scales.
    auto unscaled =
        LutAttr::get(&ctx, bits, Granularity::perTensor(),
                     DenseF32ArrayAttr::get(&ctx, table), Type(), Type());
    PartsData codesOnly = {parts[0]};
    values = decode(unscaled, shape, codesOnly);
    EXPECT_EQ(encode(unscaled, shape, values), codesOnly);

    // Stored f16 tables per channel, distinct entries.
    auto stored = LutAttr::get(&ctx, bits, Granularity::perChannel(0),
                               DenseF32ArrayAttr(), f16(), Type());
    std::vector<float> tables;
    for (int64_t r = 0; r < 3; ++r) {
      for (int64_t i = 0; i < size; ++i)
        tables.push_back(float(r + 1) * (float((i * 37) % size) - 100.0f));
    }
    PartsData storedParts = {
        packed(randomCodes(numel, 0, size - 1), shape, bits),
        scalars(f16(), tables)};
    expectPartSizes(stored, shape, storedParts);
    values = decode(stored, shape, storedParts);
    EXPECT_EQ(encode(stored, shape, values, refs(storedParts, 1)), storedParts);
  }
}

// NF4 by hand: absmax 2 -> s = 2; x / s = -1, 0, 0.5, 1. 0.5 is nearer
// 0.4407 (code 12) than 0.5626 (code 13).
TEST_F(LutReferenceTest, KnownAnswerNF4) {
  auto attr =
      LutAttr::get(&ctx, 4, Granularity::perTensor(),
                   DenseF32ArrayAttr::get(&ctx, kNF4Values), Type(), f32());
  PartsData parts = encode(attr, {1, 4}, {-2.0f, 0.0f, 1.0f, 2.0f});
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0], (Bytes{0x70, 0xFC}));
  EXPECT_EQ(parts[1], (Bytes{0x00, 0x00, 0x00, 0x40}));
  EXPECT_EQ(decode(attr, {1, 4}, parts),
            (std::vector<float>{-2.0f, 0.0f, kNF4Values[12] * 2.0f, 2.0f}));
}

// Stored tables: 2^bits levels evenly spaced between the block min and max.
TEST_F(LutReferenceTest, DerivedTables) {
  auto attr = LutAttr::get(&ctx, 2, Granularity::perChannel(0),
                           DenseF32ArrayAttr(), f32(), Type());
  PartsData parts = encode(attr, {2, 3}, {-3.0f, 0.0f, 1.4f, 1.0f, 2.0f, 2.5f});
  ASSERT_EQ(parts.size(), 2u);
  // Row 0: min -3, max 1.4, step 4.4 / 3, the last level the max itself.
  float step = (1.4f - -3.0f) / 3.0f;
  std::vector<float> row0 = {-3.0f, -3.0f + 1.0f * step, -3.0f + 2.0f * step,
                             1.4f};
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(readScalar(parts[1], f32(), i), row0[i]) << i;
  // Row 1: min 1, max 2.5: levels 1, 1.5, 2, 2.5.
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(readScalar(parts[1], f32(), 4 + i), 1.0f + 0.5f * float(i));
  std::vector<float> decoded = decode(attr, {2, 3}, parts);
  EXPECT_EQ(decoded[0], -3.0f);
  EXPECT_EQ(decoded[2], 1.4f);
  EXPECT_EQ(decoded[3], 1.0f);
  EXPECT_EQ(decoded[1], row0[2]);
  EXPECT_EQ(decoded[4], 2.0f);
  EXPECT_EQ(decoded[5], 2.5f);
}

//===----------------------------------------------------------------------===//
// Codebook
//===----------------------------------------------------------------------===//

TEST_F(CodebookReferenceTest, PackUnpackIdentity) {
  SmallVector<int64_t> shape = {3, 20};
  // One stage, 12 entries (4-bit indices below 12), dim 4, f16 row scales.
  {
    auto attr = CodebookAttr::get(&ctx, 4, 12, 1, f32(), f16());
    std::vector<float> codebook = randomValues(48, -1.0f, 1.0f);
    PartsData parts = {packed(randomCodes(15, 0, 11), {1, 3, 5}, 4),
                       scalars(f32(), codebook),
                       scalars(f16(), randomScales(*this, f16(), 3))};
    expectPartSizes(attr, shape, parts);
    std::vector<float> values = decode(attr, shape, parts);
    EXPECT_EQ(encode(attr, shape, values, refs(parts, 1)), parts);
  }
  // Two residual stages: a coarse grid, then a small refinement.
  {
    auto attr = CodebookAttr::get(&ctx, 2, 8, 2, f32(), Type());
    std::vector<float> codebooks;
    for (int e = 0; e < 8; ++e) {
      codebooks.push_back(float(e % 4) * 4.0f);
      codebooks.push_back(float(e / 4) * 4.0f);
    }
    for (int e = 0; e < 8; ++e) {
      codebooks.push_back(0.1f * float(e % 3) - 0.1f);
      codebooks.push_back(0.1f * float(e / 3) - 0.1f);
    }
    PartsData parts = {packed(randomCodes(60, 0, 7), {2, 3, 10}, 3),
                       scalars(f32(), codebooks)};
    expectPartSizes(attr, shape, parts);
    std::vector<float> values = decode(attr, shape, parts);
    // Element 0 of row 1 is codebooks[0][i0][0] + codebooks[1][i1][0].
    std::vector<int32_t> indices = unpacked(parts[0], {2, 3, 10}, 3, false);
    EXPECT_EQ(values[20],
              codebooks[indices[10] * 2] + codebooks[16 + indices[40] * 2]);
    EXPECT_EQ(encode(attr, shape, values, refs(parts, 1)), parts);
  }
}

// Data made of k distinct vectors in k runs: the evenly spaced start hits
// every run, so k-means recovers the vectors and the decode is exact.
TEST_F(CodebookReferenceTest, KMeansRecoversClusters) {
  auto attr = CodebookAttr::get(&ctx, 3, 4, 1, f32(), Type());
  std::vector<float> centers = {1, 2, 3, -1, 0, 5, 7, 7, 7, 0.5f, -2, 0};
  std::vector<float> values;
  for (int v = 0; v < 16; ++v)
    for (int l = 0; l < 3; ++l)
      values.push_back(centers[(v / 4) * 3 + l]);
  PartsData parts = encode(attr, {4, 12}, values);
  expectPartSizes(attr, {4, 12}, parts);
  EXPECT_EQ(decode(attr, {4, 12}, parts), values);
}

//===----------------------------------------------------------------------===//
// Binary and ternary
//===----------------------------------------------------------------------===//

TEST_F(SignReferenceTest, PackUnpackIdentity) {
  SmallVector<int64_t> shape = {4, 15};
  Granularity granularity = Granularity::perGroup(1, 6);
  PartsData binary = {packed(randomCodes(60, 0, 1), shape, 1),
                      scalars(f16(), randomScales(*this, f16(), 12))};
  auto binaryAttr = BinaryAttr::get(&ctx, granularity, f16());
  expectPartSizes(binaryAttr, shape, binary);
  std::vector<float> values = decode(binaryAttr, shape, binary);
  EXPECT_EQ(encode(binaryAttr, shape, values, refs(binary, 1)), binary);

  PartsData ternary = {packed(randomCodes(60, -1, 1), shape, 2),
                       scalars(bf16(), randomScales(*this, bf16(), 12))};
  auto ternaryAttr = TernaryAttr::get(&ctx, granularity, bf16());
  expectPartSizes(ternaryAttr, shape, ternary);
  values = decode(ternaryAttr, shape, ternary);
  EXPECT_EQ(encode(ternaryAttr, shape, values, refs(ternary, 1)), ternary);
}

TEST_F(SignReferenceTest, KnownAnswers) {
  // Binary: s = mean |x| = (1 + 2 + 0 + 3) / 4 = 1.5; codes x >= 0.
  auto binary = BinaryAttr::get(&ctx, Granularity::perTensor(), f32());
  PartsData parts = encode(binary, {4}, {1.0f, -2.0f, 0.0f, -3.0f});
  EXPECT_EQ(parts[0], (Bytes{0x05}));
  EXPECT_EQ(decode(binary, {4}, parts),
            (std::vector<float>{1.5f, -1.5f, 1.5f, -1.5f}));

  // Ternary: s = mean |x| = 1; codes clamp(rne(x)) = 1, -1, 0, 1 (0.5 -> 0).
  auto ternary = TernaryAttr::get(&ctx, Granularity::perTensor(), f32());
  parts = encode(ternary, {5}, {2.0f, -1.5f, 0.0f, 0.5f, 1.0f});
  // Codes 1, 3, 0, 0, 1 at 2 bits.
  EXPECT_EQ(parts[0], (Bytes{0x0D, 0x01}));
  EXPECT_EQ(readScalar(parts[1], f32(), 0), 1.0f);
  // A zero tensor gets s = 1.
  parts = encode(ternary, {3}, {0.0f, 0.0f, 0.0f});
  EXPECT_EQ(readScalar(parts[1], f32(), 0), 1.0f);
  // The invalid code 2 decodes as -2 * s.
  PartsData invalid = {Bytes{0x02}, scalars(f32(), {0.5f})};
  EXPECT_EQ(decode(ternary, {1}, invalid), (std::vector<float>{-1.0f}));
}

//===----------------------------------------------------------------------===//
// Plain
//===----------------------------------------------------------------------===//

TEST_F(PlainReferenceTest, F32IsStoredAsIs) {
  auto plain = PlainAttr::get(&ctx, cast<FloatType>(f32()));
  SmallVector<int64_t> shape = {3, 7};
  std::vector<float> values = randomValues(21, -4.0f, 4.0f);
  values[5] = -0.0f;
  values[6] = 1e-40f; // Subnormals survive.
  PartsData parts = encode(plain, shape, values);
  expectPartSizes(plain, shape, parts);
  EXPECT_EQ(parts[0], scalars(f32(), values));
  std::vector<float> decoded = decode(plain, shape, parts);
  EXPECT_EQ(decoded, values);
  EXPECT_TRUE(std::signbit(decoded[5]));
  EXPECT_EQ(cast<EncodingAttrInterface>(plain).getBitsPerWeight(shape), 32.0);
}

TEST_F(PlainReferenceTest, HalfAndBFloat16RoundHalfToEven) {
  auto half = PlainAttr::get(&ctx, cast<FloatType>(f16()));
  // f16 has a 2^-10 ulp at 1: 1 + 2^-11 ties to 1, 1 + 3 * 2^-11 ties to
  // 1 + 2^-9 (even mantissa), 1 + 2^-11 + 2^-20 rounds up.
  std::vector<float> values = {1.0f + 0x1p-11f, 1.0f + 3 * 0x1p-11f,
                               1.0f + 0x1p-11f + 0x1p-20f, -2.5f, 1e6f};
  PartsData parts = encode(half, {5}, values);
  expectPartSizes(half, {5}, parts);
  EXPECT_EQ(parts[0], (Bytes{0x00, 0x3C, 0x02, 0x3C, 0x01, 0x3C, 0x00, 0xC1,
                             0x00, 0x7C}));
  EXPECT_EQ(decode(half, {5}, parts),
            (std::vector<float>{1.0f, 1.0f + 0x1p-9f, 1.0f + 0x1p-10f, -2.5f,
                                INFINITY}));
  EXPECT_EQ(cast<EncodingAttrInterface>(half).getBitsPerWeight({4, 4}), 16.0);

  auto bf16Attr = PlainAttr::get(&ctx, cast<FloatType>(bf16()));
  // bf16 has a 2^-7 ulp at 1.
  values = {1.0f + 0x1p-8f, 1.0f + 3 * 0x1p-8f, -3.0f};
  parts = encode(bf16Attr, {3}, values);
  EXPECT_EQ(parts[0], (Bytes{0x80, 0x3F, 0x82, 0x3F, 0x40, 0xC0}));
  EXPECT_EQ(decode(bf16Attr, {3}, parts),
            (std::vector<float>{1.0f, 1.0f + 0x1p-6f, -3.0f}));
  EXPECT_EQ(cast<EncodingAttrInterface>(bf16Attr).getBitsPerWeight({4, 4}),
            16.0);
}

TEST_F(PlainReferenceTest, RejectsParametersAndWrongSizes) {
  auto half = PlainAttr::get(&ctx, cast<FloatType>(f16()));
  PartsData parts;
  Bytes extra = {0, 0};
  SmallVector<ArrayRef<uint8_t>> params = {extra};
  EXPECT_TRUE(failed(
      half.referenceEncode({2}, {1.0f, 2.0f}, params, parts, emitter())));
  EXPECT_NE(lastDiagnostic().find("no parameter parts"), std::string::npos);
  std::vector<float> out(2);
  Bytes shortPart = {0, 0};
  SmallVector<ArrayRef<uint8_t>> shortParts = {shortPart};
  EXPECT_TRUE(failed(half.referenceDecode({2}, shortParts, out, emitter())));
}

} // namespace

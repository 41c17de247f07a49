//===- MinifloatTest.cpp - Tests for minifloat encode/decode --------------===//

#include "quant/Support/Minifloat.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

using namespace mlir::qnt;

namespace {

/// How a format spends its special codes; written down independently of the
/// library's spec table.
enum class Specials { None, AllOnesNaN, IEEE };

struct RefFormat {
  MinifloatKind kind;
  const char *label;
  unsigned bits, exponentBits, mantissaBits;
  int bias;
  Specials specials;
  double maxFinite;
  int maxExponent;
  double minSubnormal;
};

const RefFormat kSignedFormats[] = {
    {MinifloatKind::E4M3FN, "E4M3FN", 8, 4, 3, 7, Specials::AllOnesNaN, 448.0,
     8, 0.001953125},
    {MinifloatKind::E5M2, "E5M2", 8, 5, 2, 15, Specials::IEEE, 57344.0, 15,
     1.52587890625e-05},
    {MinifloatKind::E2M3FN, "E2M3FN", 6, 2, 3, 1, Specials::None, 7.5, 2,
     0.125},
    {MinifloatKind::E3M2FN, "E3M2FN", 6, 3, 2, 3, Specials::None, 28.0, 4,
     0.0625},
    {MinifloatKind::E2M1FN, "E2M1FN", 4, 2, 1, 1, Specials::None, 6.0, 2, 0.5},
};

const double kNaN = std::numeric_limits<double>::quiet_NaN();
const float kInfF = std::numeric_limits<float>::infinity();
const float kNaNF = std::numeric_limits<float>::quiet_NaN();

/// Independent decoder: (-1)^s * 2^(e - bias) * (1 + m / 2^M) for normals,
/// (-1)^s * 2^(1 - bias) * (m / 2^M) for subnormals, evaluated in double.
double referenceDecode(const RefFormat &f, uint32_t code) {
  const uint32_t sign = (code >> (f.bits - 1)) & 1;
  const uint32_t exponentMask = (1u << f.exponentBits) - 1;
  const uint32_t mantissaMask = (1u << f.mantissaBits) - 1;
  const uint32_t e = (code >> f.mantissaBits) & exponentMask;
  const uint32_t m = code & mantissaMask;
  const double scale = std::pow(2.0, f.mantissaBits);
  double value;
  if (f.specials == Specials::IEEE && e == exponentMask)
    value = m == 0 ? std::numeric_limits<double>::infinity() : kNaN;
  else if (f.specials == Specials::AllOnesNaN && e == exponentMask &&
           m == mantissaMask)
    value = kNaN;
  else if (e == 0)
    value = std::pow(2.0, 1 - f.bias) * (m / scale);
  else
    value = std::pow(2.0, static_cast<int>(e) - f.bias) * (1.0 + m / scale);
  return sign ? -value : value;
}

/// Finite non-negative magnitudes of a format, indexed by magnitude code.
std::vector<double> finiteMagnitudes(const RefFormat &f) {
  std::vector<double> values;
  for (uint32_t c = 0; c < (1u << (f.bits - 1)); ++c) {
    const double v = referenceDecode(f, c);
    if (std::isnan(v) || std::isinf(v))
      break;
    values.push_back(v);
  }
  return values;
}

/// Independent encoder: brute-force nearest finite code by exact double
/// distance, ties to the even code, saturating at the largest finite value.
uint32_t referenceEncode(const RefFormat &f, float x) {
  const uint32_t signBit = 1u << (f.bits - 1);
  if (std::isnan(x))
    return f.specials == Specials::None ? 0 : signBit - 1;
  const uint32_t sign = std::signbit(x) ? signBit : 0;
  const std::vector<double> magnitudes = finiteMagnitudes(f);
  const uint32_t maxCode = static_cast<uint32_t>(magnitudes.size() - 1);
  if (std::isinf(x) && f.specials == Specials::IEEE)
    return sign | (((1u << f.exponentBits) - 1) << f.mantissaBits);
  const double a = std::fabs(static_cast<double>(x));
  if (a >= magnitudes.back())
    return sign | maxCode;
  uint32_t best = 0;
  for (uint32_t c = 1; c <= maxCode; ++c) {
    const double dc = std::fabs(magnitudes[c] - a);
    const double db = std::fabs(magnitudes[best] - a);
    if (dc < db || (dc == db && c % 2 == 0))
      best = c;
  }
  return sign | best;
}

uint32_t bitsOf(float x) {
  uint32_t u;
  std::memcpy(&u, &x, sizeof(u));
  return u;
}

float fromBits(uint32_t u) {
  float x;
  std::memcpy(&x, &u, sizeof(x));
  return x;
}

TEST(MinifloatTest, SpecFields) {
  for (const RefFormat &f : kSignedFormats) {
    SCOPED_TRACE(f.label);
    const MinifloatSpec &spec = getMinifloatSpec(f.kind);
    ASSERT_NE(spec.name, nullptr);
    EXPECT_EQ(spec.bits, f.bits);
    EXPECT_EQ(spec.exponentBits, f.exponentBits);
    EXPECT_EQ(spec.mantissaBits, f.mantissaBits);
    EXPECT_EQ(spec.bits, 1 + f.exponentBits + f.mantissaBits);
    EXPECT_EQ(spec.bias, f.bias);
    EXPECT_EQ(spec.hasInf, f.specials == Specials::IEEE);
    EXPECT_EQ(spec.hasNaN, f.specials != Specials::None);
    EXPECT_EQ(static_cast<double>(spec.maxFinite), f.maxFinite);
    EXPECT_EQ(spec.maxExponent, f.maxExponent);
    EXPECT_EQ(std::pow(2.0, spec.maxExponent),
              std::pow(2.0, std::floor(std::log2(f.maxFinite))));
  }
  const MinifloatSpec &e8m0 = getMinifloatSpec(MinifloatKind::E8M0FNU);
  ASSERT_NE(e8m0.name, nullptr);
  EXPECT_EQ(e8m0.bits, 8u);
  EXPECT_EQ(e8m0.exponentBits, 8u);
  EXPECT_EQ(e8m0.mantissaBits, 0u);
  EXPECT_EQ(e8m0.bias, 127);
  EXPECT_FALSE(e8m0.hasInf);
  EXPECT_TRUE(e8m0.hasNaN);
  EXPECT_EQ(e8m0.maxFinite, std::ldexp(1.0f, 127));
  EXPECT_EQ(e8m0.maxExponent, 127);
}

TEST(MinifloatTest, MaxAndMinValues) {
  EXPECT_EQ(decodeMinifloat(MinifloatKind::E4M3FN, 0x7E), 448.0f);
  EXPECT_EQ(decodeMinifloat(MinifloatKind::E4M3FN, 0xFE), -448.0f);
  EXPECT_EQ(decodeMinifloat(MinifloatKind::E5M2, 0x7B), 57344.0f);
  EXPECT_EQ(decodeMinifloat(MinifloatKind::E2M3FN, 0x1F), 7.5f);
  EXPECT_EQ(decodeMinifloat(MinifloatKind::E2M3FN, 0x3F), -7.5f);
  EXPECT_EQ(decodeMinifloat(MinifloatKind::E3M2FN, 0x1F), 28.0f);
  EXPECT_EQ(decodeMinifloat(MinifloatKind::E2M1FN, 0x7), 6.0f);
  EXPECT_EQ(decodeMinifloat(MinifloatKind::E2M1FN, 0xF), -6.0f);
  for (const RefFormat &f : kSignedFormats) {
    SCOPED_TRACE(f.label);
    float largest = 0.0f;
    for (uint32_t c = 0; c < (1u << f.bits); ++c) {
      const float v = decodeMinifloat(f.kind, c);
      if (std::isfinite(v))
        largest = std::fmax(largest, v);
    }
    EXPECT_EQ(static_cast<double>(largest), f.maxFinite);
    EXPECT_EQ(largest, getMinifloatSpec(f.kind).maxFinite);
    EXPECT_EQ(static_cast<double>(decodeMinifloat(f.kind, 1)), f.minSubnormal);
  }
}

TEST(MinifloatTest, KnownValues) {
  EXPECT_EQ(decodeMinifloat(MinifloatKind::E4M3FN, 0x38), 1.0f);
  EXPECT_EQ(decodeMinifloat(MinifloatKind::E4M3FN, 0x08), 0.015625f);
  EXPECT_EQ(decodeMinifloat(MinifloatKind::E4M3FN, 0x07), 0.013671875f);
  EXPECT_EQ(decodeMinifloat(MinifloatKind::E5M2, 0x3C), 1.0f);
  EXPECT_EQ(decodeMinifloat(MinifloatKind::E5M2, 0x7C), kInfF);
  EXPECT_EQ(decodeMinifloat(MinifloatKind::E5M2, 0xFC), -kInfF);
  EXPECT_EQ(decodeMinifloat(MinifloatKind::E2M3FN, 0x08), 1.0f);
  EXPECT_EQ(decodeMinifloat(MinifloatKind::E3M2FN, 0x0C), 1.0f);
  const float e2m1[8] = {0.0f, 0.5f, 1.0f, 1.5f, 2.0f, 3.0f, 4.0f, 6.0f};
  for (uint32_t c = 0; c < 8; ++c) {
    EXPECT_EQ(decodeMinifloat(MinifloatKind::E2M1FN, c), e2m1[c]);
    EXPECT_EQ(decodeMinifloat(MinifloatKind::E2M1FN, c | 8), -e2m1[c]);
    EXPECT_EQ(encodeMinifloat(MinifloatKind::E2M1FN, e2m1[c]), c);
  }
  EXPECT_TRUE(std::signbit(decodeMinifloat(MinifloatKind::E4M3FN, 0x80)));
  EXPECT_TRUE(std::isnan(decodeMinifloat(MinifloatKind::E4M3FN, 0x7F)));
  EXPECT_TRUE(std::isnan(decodeMinifloat(MinifloatKind::E4M3FN, 0xFF)));
  EXPECT_TRUE(std::isnan(decodeMinifloat(MinifloatKind::E5M2, 0x7D)));
  EXPECT_TRUE(std::isnan(decodeMinifloat(MinifloatKind::E5M2, 0xFF)));
  EXPECT_EQ(encodeMinifloat(MinifloatKind::E4M3FN, 1.0f), 0x38u);
  EXPECT_EQ(encodeMinifloat(MinifloatKind::E4M3FN, -1.0f), 0xB8u);
  EXPECT_EQ(encodeMinifloat(MinifloatKind::E5M2, -2.0f), 0xC0u);
  EXPECT_EQ(encodeMinifloat(MinifloatKind::E3M2FN, 1.0f), 0x0Cu);
  EXPECT_EQ(encodeMinifloat(MinifloatKind::E2M3FN, -1.0f), 0x28u);
}

TEST(MinifloatTest, DecodeAllCodesMatchesFormula) {
  for (const RefFormat &f : kSignedFormats) {
    SCOPED_TRACE(f.label);
    for (uint32_t c = 0; c < (1u << f.bits); ++c) {
      const double expected = referenceDecode(f, c);
      const float actual = decodeMinifloat(f.kind, c);
      // Bits above the format's width are ignored.
      const float withJunk = decodeMinifloat(f.kind, c | (0xABCDu << f.bits));
      if (std::isnan(expected)) {
        EXPECT_TRUE(std::isnan(actual)) << "code " << c;
        EXPECT_TRUE(std::isnan(withJunk)) << "code " << c;
        continue;
      }
      EXPECT_EQ(static_cast<double>(actual), expected) << "code " << c;
      EXPECT_EQ(std::signbit(actual), ((c >> (f.bits - 1)) & 1) != 0)
          << "code " << c;
      EXPECT_EQ(bitsOf(withJunk), bitsOf(actual)) << "code " << c;
    }
  }
}

TEST(MinifloatTest, NaNCodeCount) {
  // E4M3FN has exactly two NaN codes; E5M2 has six; fp6/fp4 have none.
  auto countNaN = [](MinifloatKind kind, unsigned bits) {
    int n = 0;
    for (uint32_t c = 0; c < (1u << bits); ++c)
      n += std::isnan(decodeMinifloat(kind, c)) ? 1 : 0;
    return n;
  };
  EXPECT_EQ(countNaN(MinifloatKind::E4M3FN, 8), 2);
  EXPECT_EQ(countNaN(MinifloatKind::E5M2, 8), 6);
  EXPECT_EQ(countNaN(MinifloatKind::E2M3FN, 6), 0);
  EXPECT_EQ(countNaN(MinifloatKind::E3M2FN, 6), 0);
  EXPECT_EQ(countNaN(MinifloatKind::E2M1FN, 4), 0);
  EXPECT_EQ(countNaN(MinifloatKind::E8M0FNU, 8), 1);
}

TEST(MinifloatTest, EncodeDecodeRoundTrip) {
  for (const RefFormat &f : kSignedFormats) {
    SCOPED_TRACE(f.label);
    for (uint32_t c = 0; c < (1u << f.bits); ++c) {
      const float v = decodeMinifloat(f.kind, c);
      if (std::isnan(v))
        continue;
      EXPECT_EQ(encodeMinifloat(f.kind, v), c) << "code " << c << " = " << v;
    }
  }
}

TEST(MinifloatTest, EncodeTiesToEven) {
  for (const RefFormat &f : kSignedFormats) {
    SCOPED_TRACE(f.label);
    const std::vector<double> magnitudes = finiteMagnitudes(f);
    const uint32_t signBit = 1u << (f.bits - 1);
    for (uint32_t c = 0; c + 1 < magnitudes.size(); ++c) {
      const double midpoint = (magnitudes[c] + magnitudes[c + 1]) / 2;
      const float mid = static_cast<float>(midpoint);
      ASSERT_EQ(static_cast<double>(mid), midpoint);
      const uint32_t even = (c % 2 == 0) ? c : c + 1;
      const float below = std::nextafter(mid, 0.0f);
      const float above = std::nextafter(mid, kInfF);
      EXPECT_EQ(encodeMinifloat(f.kind, mid), even) << "midpoint " << mid;
      EXPECT_EQ(encodeMinifloat(f.kind, below), c) << "below " << mid;
      EXPECT_EQ(encodeMinifloat(f.kind, above), c + 1) << "above " << mid;
      EXPECT_EQ(encodeMinifloat(f.kind, -mid), signBit | even);
      EXPECT_EQ(encodeMinifloat(f.kind, -below), signBit | c);
      EXPECT_EQ(encodeMinifloat(f.kind, -above), signBit | (c + 1));
    }
  }
  // Hand-picked ties: 5 lies between 4 (0x6) and 6 (0x7) in E2M1.
  EXPECT_EQ(encodeMinifloat(MinifloatKind::E2M1FN, 5.0f), 0x6u);
  EXPECT_EQ(encodeMinifloat(MinifloatKind::E2M1FN, 0.25f), 0x0u);
  EXPECT_EQ(encodeMinifloat(MinifloatKind::E2M1FN, 0.75f), 0x2u);
  EXPECT_EQ(encodeMinifloat(MinifloatKind::E2M1FN, 2.5f), 0x4u);
  // E4M3FN: 1.0625 lies between 1.0 (0x38) and 1.125 (0x39).
  EXPECT_EQ(encodeMinifloat(MinifloatKind::E4M3FN, 1.0625f), 0x38u);
  EXPECT_EQ(encodeMinifloat(MinifloatKind::E4M3FN, 1.1875f), 0x3Au);
  // Subnormal/normal boundary of E4M3FN: 2^-9 * 7.5 between 0x07 and 0x08.
  EXPECT_EQ(encodeMinifloat(MinifloatKind::E4M3FN, 0.0146484375f), 0x08u);
  // Half the smallest subnormal rounds to (signed) zero.
  EXPECT_EQ(encodeMinifloat(MinifloatKind::E4M3FN, 0.0009765625f), 0x00u);
  EXPECT_EQ(encodeMinifloat(MinifloatKind::E4M3FN, -0.0009765625f), 0x80u);
  EXPECT_EQ(encodeMinifloat(MinifloatKind::E4M3FN, 0.00146484375f), 0x01u);
}

TEST(MinifloatTest, EncodeSaturates) {
  for (const RefFormat &f : kSignedFormats) {
    SCOPED_TRACE(f.label);
    const uint32_t signBit = 1u << (f.bits - 1);
    const uint32_t maxCode =
        static_cast<uint32_t>(finiteMagnitudes(f).size() - 1);
    const float max = static_cast<float>(f.maxFinite);
    for (float x : {max, std::nextafter(max, kInfF), max * 1.01f, max * 1.5f,
                    max * 2.0f, 1e30f, std::numeric_limits<float>::max()}) {
      EXPECT_EQ(encodeMinifloat(f.kind, x), maxCode) << x;
      EXPECT_EQ(encodeMinifloat(f.kind, -x), signBit | maxCode) << -x;
    }
    if (f.specials == Specials::IEEE) {
      EXPECT_EQ(encodeMinifloat(f.kind, kInfF), 0x7Cu);
      EXPECT_EQ(encodeMinifloat(f.kind, -kInfF), 0xFCu);
    } else {
      EXPECT_EQ(encodeMinifloat(f.kind, kInfF), maxCode);
      EXPECT_EQ(encodeMinifloat(f.kind, -kInfF), signBit | maxCode);
    }
  }
  // Past the last finite value, non-saturating conversions would give NaN
  // (E4M3FN at 464) or infinity (E5M2 at 61440); saturation keeps the max.
  EXPECT_EQ(encodeMinifloat(MinifloatKind::E4M3FN, 464.0f), 0x7Eu);
  EXPECT_EQ(encodeMinifloat(MinifloatKind::E4M3FN, 500.0f), 0x7Eu);
  EXPECT_EQ(encodeMinifloat(MinifloatKind::E4M3FN, -1000.0f), 0xFEu);
  EXPECT_EQ(encodeMinifloat(MinifloatKind::E5M2, 61440.0f), 0x7Bu);
  EXPECT_EQ(encodeMinifloat(MinifloatKind::E5M2, 1e6f), 0x7Bu);
  EXPECT_EQ(encodeMinifloat(MinifloatKind::E2M1FN, 7.0f), 0x7u);
  EXPECT_EQ(encodeMinifloat(MinifloatKind::E2M1FN, -100.0f), 0xFu);
  EXPECT_EQ(encodeMinifloat(MinifloatKind::E2M3FN, 8.0f), 0x1Fu);
  EXPECT_EQ(encodeMinifloat(MinifloatKind::E3M2FN, 30.0f), 0x1Fu);
}

TEST(MinifloatTest, EncodeSpecialInputs) {
  EXPECT_EQ(encodeMinifloat(MinifloatKind::E4M3FN, kNaNF), 0x7Fu);
  EXPECT_EQ(encodeMinifloat(MinifloatKind::E4M3FN, -kNaNF), 0x7Fu);
  EXPECT_EQ(encodeMinifloat(MinifloatKind::E5M2, kNaNF), 0x7Fu);
  EXPECT_TRUE(std::isnan(decodeMinifloat(
      MinifloatKind::E5M2, encodeMinifloat(MinifloatKind::E5M2, kNaNF))));
  EXPECT_EQ(encodeMinifloat(MinifloatKind::E2M3FN, kNaNF), 0u);
  EXPECT_EQ(encodeMinifloat(MinifloatKind::E3M2FN, kNaNF), 0u);
  EXPECT_EQ(encodeMinifloat(MinifloatKind::E2M1FN, kNaNF), 0u);
  EXPECT_EQ(encodeMinifloat(MinifloatKind::E8M0FNU, kNaNF), 0xFFu);
  for (const RefFormat &f : kSignedFormats) {
    SCOPED_TRACE(f.label);
    const uint32_t signBit = 1u << (f.bits - 1);
    EXPECT_EQ(encodeMinifloat(f.kind, 0.0f), 0u);
    EXPECT_EQ(encodeMinifloat(f.kind, -0.0f), signBit);
    EXPECT_EQ(encodeMinifloat(f.kind, 1e-30f), 0u);
    EXPECT_EQ(encodeMinifloat(f.kind, -1e-30f), signBit);
    EXPECT_EQ(encodeMinifloat(f.kind, fromBits(1)), 0u);
    EXPECT_EQ(encodeMinifloat(f.kind, -fromBits(1)), signBit);
  }
}

TEST(MinifloatTest, EncodeMatchesBruteForceReference) {
  std::mt19937 rng(31337);
  std::uniform_int_distribution<uint32_t> anyBits;
  for (const RefFormat &f : kSignedFormats) {
    SCOPED_TRACE(f.label);
    const int lowExponent =
        static_cast<int>(std::floor(std::log2(f.minSubnormal))) - 3;
    const int highExponent = f.maxExponent + 2;
    std::uniform_int_distribution<int> exponent(lowExponent, highExponent);
    for (int i = 0; i < 40000; ++i) {
      float x;
      if (i % 8 == 0) {
        x = fromBits(anyBits(rng));
      } else {
        // Random significand and sign, exponent around the format's range.
        const uint32_t u = (anyBits(rng) & 0x807FFFFFu) |
                           static_cast<uint32_t>(exponent(rng) + 127) << 23;
        x = fromBits(u);
      }
      ASSERT_EQ(encodeMinifloat(f.kind, x), referenceEncode(f, x))
          << "x = " << x << " bits " << std::hex << bitsOf(x);
    }
  }
}

TEST(MinifloatTest, E8M0FNU) {
  EXPECT_EQ(decodeMinifloat(MinifloatKind::E8M0FNU, 127), 1.0f);
  EXPECT_EQ(decodeMinifloat(MinifloatKind::E8M0FNU, 128), 2.0f);
  EXPECT_EQ(decodeMinifloat(MinifloatKind::E8M0FNU, 125), 0.25f);
  EXPECT_EQ(decodeMinifloat(MinifloatKind::E8M0FNU, 0), std::ldexp(1.0f, -127));
  EXPECT_EQ(decodeMinifloat(MinifloatKind::E8M0FNU, 254),
            std::ldexp(1.0f, 127));
  EXPECT_TRUE(std::isnan(decodeMinifloat(MinifloatKind::E8M0FNU, 255)));
  for (uint32_t c = 0; c < 255; ++c) {
    const float v = decodeMinifloat(MinifloatKind::E8M0FNU, c);
    ASSERT_EQ(static_cast<double>(v), std::pow(2.0, static_cast<int>(c) - 127));
    ASSERT_EQ(encodeMinifloat(MinifloatKind::E8M0FNU, v), c);
    // floor(log2(x)): everything in [2^k, 2^(k+1)) encodes k.
    if (c < 254) {
      const float top =
          std::nextafter(decodeMinifloat(MinifloatKind::E8M0FNU, c + 1), 0.0f);
      ASSERT_EQ(encodeMinifloat(MinifloatKind::E8M0FNU, top), c);
      ASSERT_EQ(encodeMinifloat(MinifloatKind::E8M0FNU, v * 1.5f), c);
    }
  }
  EXPECT_EQ(encodeMinifloat(MinifloatKind::E8M0FNU, 1.0f), 127u);
  EXPECT_EQ(encodeMinifloat(MinifloatKind::E8M0FNU, 1.99f), 127u);
  EXPECT_EQ(encodeMinifloat(MinifloatKind::E8M0FNU, 2.0f), 128u);
  EXPECT_EQ(encodeMinifloat(MinifloatKind::E8M0FNU, 0.75f), 126u);
  EXPECT_EQ(encodeMinifloat(MinifloatKind::E8M0FNU, 6.0f), 129u);
  EXPECT_EQ(encodeMinifloat(MinifloatKind::E8M0FNU, 0.0f), 0u);
  EXPECT_EQ(encodeMinifloat(MinifloatKind::E8M0FNU, -0.0f), 0u);
  EXPECT_EQ(encodeMinifloat(MinifloatKind::E8M0FNU, -4.0f), 0u);
  EXPECT_EQ(encodeMinifloat(MinifloatKind::E8M0FNU, -kInfF), 0u);
  EXPECT_EQ(encodeMinifloat(MinifloatKind::E8M0FNU, 1e-40f), 0u);
  EXPECT_EQ(encodeMinifloat(MinifloatKind::E8M0FNU, 3e38f), 254u);
  EXPECT_EQ(encodeMinifloat(MinifloatKind::E8M0FNU, kInfF), 254u);
}

TEST(MinifloatTest, MxScaleExponent) {
  EXPECT_EQ(mxScaleExponent(6.0f, MinifloatKind::E2M1FN), 0);
  EXPECT_EQ(mxScaleExponent(448.0f, MinifloatKind::E4M3FN), 0);
  EXPECT_EQ(mxScaleExponent(1.0f, MinifloatKind::E2M1FN), -2);
  EXPECT_EQ(mxScaleExponent(57344.0f, MinifloatKind::E5M2), 0);
  EXPECT_EQ(mxScaleExponent(7.5f, MinifloatKind::E2M3FN), 0);
  EXPECT_EQ(mxScaleExponent(28.0f, MinifloatKind::E3M2FN), 0);
  EXPECT_EQ(mxScaleExponent(3.99f, MinifloatKind::E2M1FN), -1);
  EXPECT_EQ(mxScaleExponent(4.0f, MinifloatKind::E2M1FN), 0);
  EXPECT_EQ(mxScaleExponent(7.99f, MinifloatKind::E2M1FN), 0);
  EXPECT_EQ(mxScaleExponent(8.0f, MinifloatKind::E2M1FN), 1);
  EXPECT_EQ(mxScaleExponent(512.0f, MinifloatKind::E4M3FN), 1);
  EXPECT_EQ(mxScaleExponent(0.1f, MinifloatKind::E4M3FN), -12);
  EXPECT_EQ(mxScaleExponent(-6.0f, MinifloatKind::E2M1FN), 0);
  // Degenerate blocks.
  EXPECT_EQ(mxScaleExponent(0.0f, MinifloatKind::E2M1FN), -127);
  EXPECT_EQ(mxScaleExponent(-0.0f, MinifloatKind::E4M3FN), -127);
  EXPECT_EQ(mxScaleExponent(kNaNF, MinifloatKind::E4M3FN), -127);
  EXPECT_EQ(mxScaleExponent(kInfF, MinifloatKind::E4M3FN), -127);
  // Clamping at both ends, float subnormals included.
  EXPECT_EQ(mxScaleExponent(1e-40f, MinifloatKind::E2M1FN), -127);
  EXPECT_EQ(mxScaleExponent(std::ldexp(1.0f, -125), MinifloatKind::E2M1FN),
            -127);
  EXPECT_EQ(mxScaleExponent(std::ldexp(1.0f, -124), MinifloatKind::E2M1FN),
            -126);
  EXPECT_EQ(mxScaleExponent(std::ldexp(1.0f, -130), MinifloatKind::E8M0FNU),
            -127);
  EXPECT_EQ(mxScaleExponent(3e38f, MinifloatKind::E2M1FN), 125);
  EXPECT_EQ(mxScaleExponent(std::numeric_limits<float>::max(),
                            MinifloatKind::E8M0FNU),
            0);
  // Exhaustive over powers of two: scaling absMax down by 2^scale lands it in
  // [2^emax, 2^(emax+1)) whenever the exponent is not clamped.
  for (const RefFormat &f : kSignedFormats) {
    for (int k = -100; k <= 100; ++k) {
      const float absMax = std::ldexp(1.5f, k);
      const int32_t scale = mxScaleExponent(absMax, f.kind);
      EXPECT_EQ(scale, k - f.maxExponent) << f.label << " k=" << k;
      const float scaled = std::ldexp(absMax, -scale);
      EXPECT_LE(scaled, static_cast<float>(f.maxFinite) * 2.0f);
      EXPECT_GE(scaled, std::ldexp(1.0f, f.maxExponent));
    }
  }
}

TEST(MinifloatTest, E8M0FromExponent) {
  EXPECT_EQ(e8m0FromExponent(0), 127);
  EXPECT_EQ(e8m0FromExponent(1), 128);
  EXPECT_EQ(e8m0FromExponent(-1), 126);
  EXPECT_EQ(e8m0FromExponent(-127), 0);
  EXPECT_EQ(e8m0FromExponent(127), 254);
  EXPECT_EQ(e8m0FromExponent(-128), 0);
  EXPECT_EQ(e8m0FromExponent(128), 254);
  EXPECT_EQ(e8m0FromExponent(1000), 254);
  EXPECT_EQ(e8m0FromExponent(std::numeric_limits<int32_t>::min()), 0);
  EXPECT_EQ(e8m0FromExponent(std::numeric_limits<int32_t>::max()), 254);
  for (int32_t e = -127; e <= 127; ++e)
    EXPECT_EQ(decodeMinifloat(MinifloatKind::E8M0FNU, e8m0FromExponent(e)),
              std::ldexp(1.0f, e));
}

} // namespace

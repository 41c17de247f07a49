//===- RoundingTest.cpp - Tests for rounding and half conversions ---------===//

#include "quant/Support/Rounding.h"

#include "gtest/gtest.h"

#include <cfenv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>

using namespace mlir::qnt;

namespace {

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

/// Bitwise float equality, so that -0.0 differs from +0.0.
#define EXPECT_SAME_FLOAT(actual, expected)                                    \
  EXPECT_EQ(bitsOf(actual), bitsOf(expected))                                  \
      << (actual) << " vs " << (expected)

const float kInf = std::numeric_limits<float>::infinity();
const float kNaN = std::numeric_limits<float>::quiet_NaN();

/// Independent binary16 decoder: (-1)^s * 2^(e - 15) * (1 + m / 1024), or
/// 2^-14 * m / 1024 for subnormals, evaluated in double.
double referenceHalf(uint16_t h) {
  const int sign = h >> 15;
  const int exponent = (h >> 10) & 0x1F;
  const int mantissa = h & 0x3FF;
  double value;
  if (exponent == 0)
    value = std::ldexp(mantissa / 1024.0, -14);
  else if (exponent == 31)
    value = mantissa ? std::numeric_limits<double>::quiet_NaN()
                     : std::numeric_limits<double>::infinity();
  else
    value = std::ldexp(1.0 + mantissa / 1024.0, exponent - 15);
  return sign ? -value : value;
}

/// Independent float -> binary16 reference: picks the nearest of all finite
/// halves by exact double distance (ties to the even code), with overflow to
/// infinity at and beyond 65520.
uint16_t referenceFloatToHalf(float x) {
  const uint16_t sign = std::signbit(x) ? 0x8000 : 0;
  const double a = std::fabs(static_cast<double>(x));
  if (a >= 65520.0)
    return sign | 0x7C00;
  // Binary search over the monotone magnitudes 0x0000..0x7BFF.
  uint16_t lo = 0, hi = 0x7BFF;
  while (hi - lo > 1) {
    const uint16_t mid = static_cast<uint16_t>((lo + hi) / 2);
    if (referenceHalf(mid) <= a)
      lo = mid;
    else
      hi = mid;
  }
  const double dLo = a - referenceHalf(lo);
  const double dHi = referenceHalf(hi) - a;
  uint16_t best;
  if (dLo < dHi)
    best = lo;
  else if (dHi < dLo)
    best = hi;
  else
    best = (lo % 2 == 0) ? lo : hi;
  return sign | best;
}

TEST(RoundingTest, RoundHalfToEvenTies) {
  EXPECT_SAME_FLOAT(roundHalfToEven(0.5f), 0.0f);
  EXPECT_SAME_FLOAT(roundHalfToEven(1.5f), 2.0f);
  EXPECT_SAME_FLOAT(roundHalfToEven(2.5f), 2.0f);
  EXPECT_SAME_FLOAT(roundHalfToEven(3.5f), 4.0f);
  EXPECT_SAME_FLOAT(roundHalfToEven(-0.5f), -0.0f);
  EXPECT_SAME_FLOAT(roundHalfToEven(-1.5f), -2.0f);
  EXPECT_SAME_FLOAT(roundHalfToEven(-2.5f), -2.0f);
  EXPECT_SAME_FLOAT(roundHalfToEven(-3.5f), -4.0f);
  EXPECT_SAME_FLOAT(roundHalfToEven(4194304.5f), 4194304.0f);
  EXPECT_SAME_FLOAT(roundHalfToEven(4194305.5f), 4194306.0f);
  EXPECT_SAME_FLOAT(roundHalfToEven(8388607.5f), 8388608.0f);
}

TEST(RoundingTest, RoundHalfToEvenNonTies) {
  EXPECT_SAME_FLOAT(roundHalfToEven(0.0f), 0.0f);
  EXPECT_SAME_FLOAT(roundHalfToEven(-0.0f), -0.0f);
  EXPECT_SAME_FLOAT(roundHalfToEven(0.49999997f), 0.0f);
  EXPECT_SAME_FLOAT(roundHalfToEven(-0.49999997f), -0.0f);
  EXPECT_SAME_FLOAT(roundHalfToEven(0.50000006f), 1.0f);
  EXPECT_SAME_FLOAT(roundHalfToEven(2.4999998f), 2.0f);
  EXPECT_SAME_FLOAT(roundHalfToEven(2.5000002f), 3.0f);
  EXPECT_SAME_FLOAT(roundHalfToEven(-2.7f), -3.0f);
  EXPECT_SAME_FLOAT(roundHalfToEven(1e-40f), 0.0f);
  EXPECT_SAME_FLOAT(roundHalfToEven(8388608.0f), 8388608.0f);
  EXPECT_SAME_FLOAT(roundHalfToEven(1e10f), 1e10f);
  EXPECT_SAME_FLOAT(roundHalfToEven(-1e30f), -1e30f);
  EXPECT_SAME_FLOAT(roundHalfToEven(kInf), kInf);
  EXPECT_SAME_FLOAT(roundHalfToEven(-kInf), -kInf);
  EXPECT_TRUE(std::isnan(roundHalfToEven(kNaN)));
}

TEST(RoundingTest, RoundHalfToEvenMatchesNearbyint) {
  ASSERT_EQ(std::fegetround(), FE_TONEAREST);
  std::mt19937 rng(42);
  std::uniform_int_distribution<uint32_t> anyBits;
  for (int i = 0; i < 200000; ++i) {
    float x = fromBits(anyBits(rng));
    if (i % 2)
      x = std::ldexp(static_cast<float>(anyBits(rng) % 100000), -10) *
          ((i % 4 == 1) ? -1.0f : 1.0f);
    if (std::isnan(x))
      continue;
    EXPECT_SAME_FLOAT(roundHalfToEven(x), std::nearbyint(x));
  }
}

TEST(RoundingTest, RoundHalfToEvenIgnoresRoundingMode) {
  const int modes[] = {FE_UPWARD, FE_DOWNWARD, FE_TOWARDZERO};
  for (int mode : modes) {
    ASSERT_EQ(std::fesetround(mode), 0);
    volatile float half = 0.5f;
    const float a = roundHalfToEven(half);
    const float b = roundHalfToEven(half * 3.0f);
    const float c = roundHalfToEven(-half * 5.0f);
    const float d = roundHalfToEven(0.50000006f);
    const float e = roundHalfToEven(-0.49999997f);
    const float f = roundHalfToEven(8388607.5f);
    std::fesetround(FE_TONEAREST);
    EXPECT_SAME_FLOAT(a, 0.0f);
    EXPECT_SAME_FLOAT(b, 2.0f);
    EXPECT_SAME_FLOAT(c, -2.0f);
    EXPECT_SAME_FLOAT(d, 1.0f);
    EXPECT_SAME_FLOAT(e, -0.0f);
    EXPECT_SAME_FLOAT(f, 8388608.0f);
  }
}

TEST(RoundingTest, QuantizeToInt) {
  // Plain rounding with ties to even, then the zero point.
  EXPECT_EQ(quantizeToInt(2.5f, 1.0f, 0, -128, 127), 2);
  EXPECT_EQ(quantizeToInt(3.5f, 1.0f, 0, -128, 127), 4);
  EXPECT_EQ(quantizeToInt(-2.5f, 1.0f, 0, -128, 127), -2);
  EXPECT_EQ(quantizeToInt(2.5f, 1.0f, 3, -128, 127), 5);
  EXPECT_EQ(quantizeToInt(1.0f, 0.5f, 0, -128, 127), 2);
  EXPECT_EQ(quantizeToInt(0.75f, 0.5f, 0, -128, 127), 2);
  EXPECT_EQ(quantizeToInt(0.25f, 0.5f, 0, -128, 127), 0);
  EXPECT_EQ(quantizeToInt(-1.0f, 0.25f, 10, 0, 255), 6);
  // The quotient is rounded to float before rounding to an integer:
  // 0.45f / 0.1f is 4.5000001 exactly but 4.5f in float, a tie that goes to
  // 4; likewise 0.75f / 0.1f is 7.4999999 exactly but 7.5f, which goes to 8.
  EXPECT_EQ(quantizeToInt(0.45f, 0.1f, 0, -128, 127), 4);
  EXPECT_EQ(quantizeToInt(0.75f, 0.1f, 0, -128, 127), 8);
  EXPECT_EQ(quantizeToInt(0.35f, 0.1f, 0, -128, 127), 4);
  // Rounding happens before the zero point is added: 0.5 + 1 is not 2.
  EXPECT_EQ(quantizeToInt(0.5f, 1.0f, 1, -128, 127), 1);
  EXPECT_EQ(quantizeToInt(1.5f, 1.0f, 1, -128, 127), 3);
}

TEST(RoundingTest, QuantizeToIntSaturates) {
  EXPECT_EQ(quantizeToInt(1000.0f, 1.0f, 0, -128, 127), 127);
  EXPECT_EQ(quantizeToInt(-1000.0f, 1.0f, 0, -128, 127), -128);
  EXPECT_EQ(quantizeToInt(127.4f, 1.0f, 0, -128, 127), 127);
  EXPECT_EQ(quantizeToInt(127.5f, 1.0f, 0, -128, 127), 127);
  EXPECT_EQ(quantizeToInt(-128.5f, 1.0f, 0, -128, 127), -128);
  EXPECT_EQ(quantizeToInt(200.0f, 1.0f, 100, 0, 255), 255);
  EXPECT_EQ(quantizeToInt(-1.0f, 1.0f, 0, 0, 255), 0);
  EXPECT_EQ(quantizeToInt(7.6f, 1.0f, 0, -8, 7), 7);
  EXPECT_EQ(quantizeToInt(-8.6f, 1.0f, 0, -8, 7), -8);
  EXPECT_EQ(quantizeToInt(kInf, 1.0f, 0, -128, 127), 127);
  EXPECT_EQ(quantizeToInt(-kInf, 1.0f, 0, -128, 127), -128);
  EXPECT_EQ(quantizeToInt(1.0f, 1e-45f, 0, -128, 127), 127);
  EXPECT_EQ(quantizeToInt(3e38f, 1e-3f, 0, INT32_MIN, INT32_MAX), INT32_MAX);
  EXPECT_EQ(quantizeToInt(-3e38f, 1e-3f, 0, INT32_MIN, INT32_MAX), INT32_MIN);
  EXPECT_EQ(quantizeToInt(2147483520.0f, 1.0f, 1000, INT32_MIN, INT32_MAX),
            INT32_MAX);
  EXPECT_EQ(quantizeToInt(-2147483648.0f, 1.0f, -5, INT32_MIN, INT32_MAX),
            INT32_MIN);
  // A large zero point by itself saturates too.
  EXPECT_EQ(quantizeToInt(0.0f, 1.0f, 1000, -128, 127), 127);
}

TEST(RoundingTest, QuantizeToIntSpecialInputs) {
  // NaN quotient -> 0, then the zero point (clamped).
  EXPECT_EQ(quantizeToInt(kNaN, 1.0f, 0, -128, 127), 0);
  EXPECT_EQ(quantizeToInt(kNaN, 1.0f, 5, -128, 127), 5);
  EXPECT_EQ(quantizeToInt(kNaN, 1.0f, 300, -128, 127), 127);
  EXPECT_EQ(quantizeToInt(kNaN, 1.0f, -3, 0, 255), 0);
  EXPECT_EQ(quantizeToInt(1.0f, kNaN, 7, 0, 255), 7);
  EXPECT_EQ(quantizeToInt(kInf, kInf, 7, 0, 255), 7);
  // scale == 0 -> quotient 0.
  EXPECT_EQ(quantizeToInt(5.0f, 0.0f, 0, -128, 127), 0);
  EXPECT_EQ(quantizeToInt(-5.0f, 0.0f, 9, -128, 127), 9);
  EXPECT_EQ(quantizeToInt(5.0f, -0.0f, 9, -128, 127), 9);
  EXPECT_EQ(quantizeToInt(kInf, 0.0f, 1, -128, 127), 1);
  // Negative scales just flip the sign.
  EXPECT_EQ(quantizeToInt(5.0f, -1.0f, 0, -128, 127), -5);
}

TEST(RoundingTest, HalfKnownBitPatterns) {
  EXPECT_EQ(floatToHalfBits(0.0f), 0x0000);
  EXPECT_EQ(floatToHalfBits(-0.0f), 0x8000);
  EXPECT_EQ(floatToHalfBits(1.0f), 0x3C00);
  EXPECT_EQ(floatToHalfBits(-2.0f), 0xC000);
  EXPECT_EQ(floatToHalfBits(0.5f), 0x3800);
  EXPECT_EQ(floatToHalfBits(0.1f), 0x2E66);
  EXPECT_EQ(floatToHalfBits(3.140625f), 0x4248);
  EXPECT_EQ(floatToHalfBits(65504.0f), 0x7BFF);
  EXPECT_EQ(floatToHalfBits(-65504.0f), 0xFBFF);
  EXPECT_EQ(floatToHalfBits(std::ldexp(1.0f, -14)), 0x0400);
  EXPECT_EQ(floatToHalfBits(std::ldexp(1.0f, -24)), 0x0001);
  EXPECT_EQ(floatToHalfBits(-std::ldexp(1.0f, -24)), 0x8001);
  EXPECT_EQ(floatToHalfBits(std::ldexp(1023.0f, -24)), 0x03FF);
  EXPECT_EQ(floatToHalfBits(kInf), 0x7C00);
  EXPECT_EQ(floatToHalfBits(-kInf), 0xFC00);
  EXPECT_EQ(floatToHalfBits(1e-40f), 0x0000);
  EXPECT_EQ(floatToHalfBits(-1e-40f), 0x8000);
}

TEST(RoundingTest, HalfRoundingAndOverflow) {
  // Overflow: the midpoint between 65504 and 65536 is 65520, a tie that
  // rounds to the even pattern 0x7C00, i.e. infinity.
  EXPECT_EQ(floatToHalfBits(65519.996f), 0x7BFF);
  EXPECT_EQ(floatToHalfBits(65520.0f), 0x7C00);
  EXPECT_EQ(floatToHalfBits(65536.0f), 0x7C00);
  EXPECT_EQ(floatToHalfBits(1e6f), 0x7C00);
  EXPECT_EQ(floatToHalfBits(-1e30f), 0xFC00);
  EXPECT_EQ(floatToHalfBits(std::numeric_limits<float>::max()), 0x7C00);
  // Normal ties: 1 + 2^-11 is halfway between 0x3C00 and 0x3C01.
  EXPECT_EQ(floatToHalfBits(1.0f + std::ldexp(1.0f, -11)), 0x3C00);
  EXPECT_EQ(floatToHalfBits(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3C02);
  EXPECT_EQ(floatToHalfBits(std::nextafter(1.0f + std::ldexp(1.0f, -11), 2.0f)),
            0x3C01);
  // Subnormal ties: 2^-25 is halfway between 0 and 2^-24.
  EXPECT_EQ(floatToHalfBits(std::ldexp(1.0f, -25)), 0x0000);
  EXPECT_EQ(floatToHalfBits(std::nextafter(std::ldexp(1.0f, -25), 1.0f)),
            0x0001);
  EXPECT_EQ(floatToHalfBits(std::ldexp(3.0f, -25)), 0x0002);
  EXPECT_EQ(floatToHalfBits(std::ldexp(5.0f, -25)), 0x0002);
  EXPECT_EQ(floatToHalfBits(std::ldexp(7.0f, -25)), 0x0004);
  // Rounding up out of the subnormals gives the smallest normal.
  EXPECT_EQ(floatToHalfBits(std::ldexp(2047.0f, -25)), 0x0400);
  // Rounding up across a binade bumps the exponent.
  EXPECT_EQ(floatToHalfBits(std::nextafter(2.0f, 0.0f)), 0x4000);
}

TEST(RoundingTest, HalfNaN) {
  const uint16_t quiet = floatToHalfBits(kNaN);
  EXPECT_EQ(quiet & 0x7C00, 0x7C00);
  EXPECT_NE(quiet & 0x0200, 0) << "NaN must come out quiet";
  // A signalling NaN whose payload sits in the low bits must stay NaN.
  const uint16_t fromSignalling = floatToHalfBits(fromBits(0x7F800001));
  EXPECT_EQ(fromSignalling & 0x7C00, 0x7C00);
  EXPECT_NE(fromSignalling & 0x03FF, 0);
  EXPECT_EQ(floatToHalfBits(fromBits(0xFFC00000)), 0xFE00);
  EXPECT_EQ(floatToHalfBits(fromBits(0x7FC02000)), 0x7E01);
  EXPECT_TRUE(std::isnan(halfBitsToFloat(0x7E00)));
  EXPECT_TRUE(std::isnan(halfBitsToFloat(0x7C01)));
  EXPECT_TRUE(std::isnan(halfBitsToFloat(0xFFFF)));
}

TEST(RoundingTest, HalfDecodeAllCodes) {
  for (uint32_t h = 0; h <= 0xFFFF; ++h) {
    const float value = halfBitsToFloat(static_cast<uint16_t>(h));
    const double expected = referenceHalf(static_cast<uint16_t>(h));
    if (std::isnan(expected)) {
      EXPECT_TRUE(std::isnan(value)) << h;
      EXPECT_TRUE(std::isnan(halfBitsToFloat(floatToHalfBits(value))));
      continue;
    }
    ASSERT_EQ(static_cast<double>(value), expected) << "h=" << h;
    ASSERT_EQ(std::signbit(value), (h & 0x8000) != 0) << "h=" << h;
    ASSERT_EQ(floatToHalfBits(value), h) << "round trip of h=" << h;
  }
  EXPECT_SAME_FLOAT(halfBitsToFloat(0x0001), std::ldexp(1.0f, -24));
  EXPECT_SAME_FLOAT(halfBitsToFloat(0x03FF), std::ldexp(1023.0f, -24));
  EXPECT_SAME_FLOAT(halfBitsToFloat(0x7BFF), 65504.0f);
  EXPECT_SAME_FLOAT(halfBitsToFloat(0x8000), -0.0f);
  EXPECT_SAME_FLOAT(halfBitsToFloat(0xFC00), -kInf);
}

TEST(RoundingTest, HalfEncodeMatchesReference) {
  std::mt19937 rng(2024);
  std::uniform_int_distribution<uint32_t> anyBits;
  // Floats near the half range, including every midpoint of adjacent halves
  // and its neighbours, plus random floats of any magnitude.
  for (uint32_t h = 0; h < 0x7C00; ++h) {
    const double lo = referenceHalf(static_cast<uint16_t>(h));
    const double hi =
        h + 1 < 0x7C00 ? referenceHalf(static_cast<uint16_t>(h + 1)) : 65536.0;
    const float mid = static_cast<float>((lo + hi) / 2);
    ASSERT_EQ(static_cast<double>(mid), (lo + hi) / 2);
    for (float x :
         {mid, std::nextafter(mid, 0.0f), std::nextafter(mid, kInf)}) {
      ASSERT_EQ(floatToHalfBits(x), referenceFloatToHalf(x)) << x;
      ASSERT_EQ(floatToHalfBits(-x), referenceFloatToHalf(-x)) << -x;
    }
  }
  for (int i = 0; i < 300000; ++i) {
    float x = fromBits(anyBits(rng));
    if (i % 2)
      x = fromBits((anyBits(rng) & 0x80FFFFFF) |
                   ((96 + anyBits(rng) % 50) << 23));
    if (std::isnan(x))
      continue;
    ASSERT_EQ(floatToHalfBits(x), referenceFloatToHalf(x)) << x;
  }
}

#if defined(__FLT16_MAX__) && (defined(__x86_64__) || defined(__aarch64__))
TEST(RoundingTest, HalfMatchesCompilerFloat16) {
  // The compiler's own conversion is a second, independent reference.
  for (uint64_t u = 0; u <= 0xFFFFFFFFull; u += 2053) {
    const float x = fromBits(static_cast<uint32_t>(u));
    if (std::isnan(x))
      continue;
    const _Float16 h = static_cast<_Float16>(x);
    uint16_t expected;
    std::memcpy(&expected, &h, sizeof(expected));
    ASSERT_EQ(floatToHalfBits(x), expected) << x;
  }
}
#endif

TEST(RoundingTest, BFloat16KnownPatterns) {
  EXPECT_EQ(floatToBFloat16Bits(0.0f), 0x0000);
  EXPECT_EQ(floatToBFloat16Bits(-0.0f), 0x8000);
  EXPECT_EQ(floatToBFloat16Bits(1.0f), 0x3F80);
  EXPECT_EQ(floatToBFloat16Bits(-2.0f), 0xC000);
  EXPECT_EQ(floatToBFloat16Bits(3.140625f), 0x4049);
  EXPECT_EQ(floatToBFloat16Bits(kInf), 0x7F80);
  EXPECT_EQ(floatToBFloat16Bits(-kInf), 0xFF80);
  // Ties to even: 0x3F808000 is halfway between 0x3F80 and 0x3F81.
  EXPECT_EQ(floatToBFloat16Bits(fromBits(0x3F808000)), 0x3F80);
  EXPECT_EQ(floatToBFloat16Bits(fromBits(0x3F818000)), 0x3F82);
  EXPECT_EQ(floatToBFloat16Bits(fromBits(0x3F808001)), 0x3F81);
  EXPECT_EQ(floatToBFloat16Bits(fromBits(0x3F807FFF)), 0x3F80);
  EXPECT_EQ(floatToBFloat16Bits(fromBits(0xBF818000)), 0xBF82);
  // Carry into the exponent, and overflow to infinity.
  EXPECT_EQ(floatToBFloat16Bits(fromBits(0x3FFFFFFF)), 0x4000);
  EXPECT_EQ(floatToBFloat16Bits(std::numeric_limits<float>::max()), 0x7F80);
  EXPECT_EQ(floatToBFloat16Bits(fromBits(0x7F7F7FFF)), 0x7F7F);
  // Subnormals round like everything else.
  EXPECT_EQ(floatToBFloat16Bits(fromBits(0x00008000)), 0x0000);
  EXPECT_EQ(floatToBFloat16Bits(fromBits(0x00018000)), 0x0002);
  EXPECT_EQ(floatToBFloat16Bits(fromBits(0x00008001)), 0x0001);
}

TEST(RoundingTest, BFloat16NaN) {
  // NaNs whose payload lies only in the dropped bits must stay NaN.
  for (uint32_t u :
       {0x7F800001u, 0xFF800001u, 0x7FC00000u, 0x7F80FFFFu, 0xFFFFFFFFu}) {
    const uint16_t b = floatToBFloat16Bits(fromBits(u));
    EXPECT_EQ(b & 0x7F80, 0x7F80) << std::hex << u;
    EXPECT_NE(b & 0x007F, 0) << std::hex << u;
    EXPECT_NE(b & 0x0040, 0) << "quiet bit " << std::hex << u;
    EXPECT_EQ(static_cast<uint32_t>(b >> 15), u >> 31)
        << "sign " << std::hex << u;
    EXPECT_TRUE(std::isnan(bfloat16BitsToFloat(b)));
  }
}

TEST(RoundingTest, BFloat16RoundTripAllCodes) {
  for (uint32_t b = 0; b <= 0xFFFF; ++b) {
    const float value = bfloat16BitsToFloat(static_cast<uint16_t>(b));
    ASSERT_EQ(bitsOf(value), b << 16);
    if (std::isnan(value))
      continue;
    ASSERT_EQ(floatToBFloat16Bits(value), b);
  }
}

TEST(RoundingTest, BFloat16MatchesNearestReference) {
  // Reference: the two bfloat16 neighbours of x, chosen by exact double
  // distance, ties to the even pattern.
  std::mt19937 rng(99);
  std::uniform_int_distribution<uint32_t> anyBits;
  for (int i = 0; i < 300000; ++i) {
    const uint32_t u = anyBits(rng);
    const float x = fromBits(u);
    if (std::isnan(x) || std::isinf(x))
      continue;
    const uint16_t down = static_cast<uint16_t>(u >> 16);
    const uint16_t up = static_cast<uint16_t>(down + 1);
    const double a = std::fabs(static_cast<double>(x));
    const double lo = std::fabs(static_cast<double>(bfloat16BitsToFloat(down)));
    double hi;
    if ((up & 0x7FFF) == 0x7F80)
      hi = std::ldexp(1.0, 128); // Rounding up past the largest finite.
    else
      hi = std::fabs(static_cast<double>(bfloat16BitsToFloat(up)));
    uint16_t expected;
    if (a - lo < hi - a)
      expected = down;
    else if (hi - a < a - lo)
      expected = up;
    else
      expected = (down % 2 == 0) ? down : up;
    ASSERT_EQ(floatToBFloat16Bits(x), expected) << std::hex << u;
  }
}

} // namespace

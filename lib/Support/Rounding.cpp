//===- Rounding.cpp - Rounding and half-precision conversions -------------===//
//
// The conversions work on the IEEE bit patterns with integer arithmetic, so
// they are exact and do not depend on the floating-point environment.
//
//===----------------------------------------------------------------------===//

#include "quant/Support/Rounding.h"

#include <cassert>
#include <cmath>
#include <cstring>

using namespace mlir::qnt;

namespace {

uint32_t floatBits(float x) {
  uint32_t u;
  std::memcpy(&u, &x, sizeof(u));
  return u;
}

float bitsToFloat(uint32_t u) {
  float x;
  std::memcpy(&x, &u, sizeof(x));
  return x;
}

/// Shifts `value` right by `shift` (1..31) bits, rounding to nearest, ties to
/// even.
uint32_t shiftRightRoundEven(uint32_t value, unsigned shift) {
  const uint32_t quotient = value >> shift;
  const uint32_t remainder = value & ((uint32_t(1) << shift) - 1);
  const uint32_t half = uint32_t(1) << (shift - 1);
  if (remainder > half || (remainder == half && (quotient & 1)))
    return quotient + 1;
  return quotient;
}

} // namespace

float mlir::qnt::roundHalfToEven(float x) {
  const float magnitude = std::fabs(x);
  // NaN, infinities and every float >= 2^23 are returned unchanged; the
  // latter are already integers.
  if (!(magnitude < 8388608.0f))
    return x;
  // Float-to-integer conversion truncates whatever the rounding mode is, and
  // for magnitudes below 2^23 the fraction below is computed exactly.
  int32_t truncated = static_cast<int32_t>(magnitude);
  const float fraction = magnitude - static_cast<float>(truncated);
  if (fraction > 0.5f || (fraction == 0.5f && (truncated & 1)))
    ++truncated;
  return std::copysign(static_cast<float>(truncated), x);
}

int32_t mlir::qnt::quantizeToInt(float x, float scale, int32_t zeroPoint,
                                 int32_t qmin, int32_t qmax) {
  assert(qmin <= qmax && "empty quantization range");
  float quotient = scale == 0.0f ? 0.0f : x / scale;
  if (std::isnan(quotient))
    quotient = 0.0f;
  // Every int32 and every rounded float is exact in double, and the sum is
  // only inexact far outside the int32 range, where it saturates anyway.
  const double value =
      static_cast<double>(roundHalfToEven(quotient)) + zeroPoint;
  if (value <= static_cast<double>(qmin))
    return qmin;
  if (value >= static_cast<double>(qmax))
    return qmax;
  return static_cast<int32_t>(value);
}

uint16_t mlir::qnt::floatToHalfBits(float x) {
  const uint32_t u = floatBits(x);
  const uint16_t sign = static_cast<uint16_t>((u >> 16) & 0x8000);
  const uint32_t magnitude = u & 0x7FFFFFFF;
  const uint32_t mantissa = u & 0x7FFFFF;
  // NaN: keep the sign and the top payload bits, and force the quiet bit.
  if (magnitude > 0x7F800000)
    return static_cast<uint16_t>(sign | 0x7E00 | (mantissa >> 13));
  const int exponent = static_cast<int>(magnitude >> 23) - 127;
  // Infinities and anything at or above 2^16 overflow.
  if (exponent > 15)
    return static_cast<uint16_t>(sign | 0x7C00);
  if (exponent >= -14) {
    // Normal range. A carry out of the mantissa increments the exponent,
    // which also turns values that round past 65504 into infinity.
    uint32_t half =
        (static_cast<uint32_t>(exponent + 15) << 10) | (mantissa >> 13);
    const uint32_t rest = mantissa & 0x1FFF;
    if (rest > 0x1000 || (rest == 0x1000 && (half & 1)))
      ++half;
    return static_cast<uint16_t>(sign | half);
  }
  // Subnormal range: the result counts units of 2^-24. Anything below 2^-25
  // (float subnormals included) rounds to zero; 2^-25 itself is a tie that
  // rounds to the even value zero.
  if (exponent < -25)
    return sign;
  const uint32_t significand = mantissa | 0x800000;
  const unsigned shift = static_cast<unsigned>(-exponent - 1); // 14..24
  return static_cast<uint16_t>(sign | shiftRightRoundEven(significand, shift));
}

float mlir::qnt::halfBitsToFloat(uint16_t bits) {
  const uint32_t sign = static_cast<uint32_t>(bits & 0x8000) << 16;
  const uint32_t exponent = (bits >> 10) & 0x1F;
  uint32_t mantissa = bits & 0x3FF;
  if (exponent == 0x1F)
    return bitsToFloat(sign | 0x7F800000 | (mantissa << 13));
  if (exponent != 0)
    return bitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
  if (mantissa == 0)
    return bitsToFloat(sign);
  // Subnormal: normalize so that the leading one becomes the implicit bit.
  uint32_t floatExponent = 113;
  while (!(mantissa & 0x400)) {
    mantissa <<= 1;
    --floatExponent;
  }
  return bitsToFloat(sign | (floatExponent << 23) | ((mantissa & 0x3FF) << 13));
}

uint16_t mlir::qnt::floatToBFloat16Bits(float x) {
  const uint32_t u = floatBits(x);
  // NaN: truncate and force the quiet bit so the payload cannot vanish.
  if ((u & 0x7FFFFFFF) > 0x7F800000)
    return static_cast<uint16_t>((u >> 16) | 0x0040);
  // Adding 0x7FFF plus the lowest kept bit rounds to nearest, ties to even;
  // a carry into the exponent is correct, up to and including infinity.
  const uint32_t rounded = u + 0x7FFF + ((u >> 16) & 1);
  return static_cast<uint16_t>(rounded >> 16);
}

float mlir::qnt::bfloat16BitsToFloat(uint16_t bits) {
  return bitsToFloat(static_cast<uint32_t>(bits) << 16);
}

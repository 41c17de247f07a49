//===- Minifloat.cpp - OCP and ONNX minifloat formats ---------------------===//
//
// Decoding builds the float bit pattern directly; encoding rounds the float
// significand with integer arithmetic. Neither uses lookup tables or depends
// on the floating-point environment.
//
//===----------------------------------------------------------------------===//

#include "quant/Support/Minifloat.h"

#include <cassert>
#include <cstring>
#include <limits>

using namespace mlir::qnt;

namespace {

const MinifloatSpec kSpecs[] = {
    // name, bits, exponentBits, mantissaBits, bias, hasInf, hasNaN,
    // maxFinite, maxExponent
    {"f8E4M3FN", 8, 4, 3, 7, false, true, 448.0f, 8},
    {"f8E5M2", 8, 5, 2, 15, true, true, 57344.0f, 15},
    {"f6E2M3FN", 6, 2, 3, 1, false, false, 7.5f, 2},
    {"f6E3M2FN", 6, 3, 2, 3, false, false, 28.0f, 4},
    {"f4E2M1FN", 4, 2, 1, 1, false, false, 6.0f, 2},
    {"f8E8M0FNU", 8, 8, 0, 127, false, true, 1.70141183460469231732e38f, 127},
};

uint32_t lowMask(unsigned bits) {
  return bits >= 32 ? ~uint32_t(0) : (uint32_t(1) << bits) - 1;
}

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

/// 2^k as a float, exactly, for k in [-149, 127].
float exactPowerOfTwo(int k) {
  assert(k >= -149 && k <= 127 && "power of two out of float range");
  if (k >= -126)
    return bitsToFloat(static_cast<uint32_t>(k + 127) << 23);
  return bitsToFloat(uint32_t(1) << (k + 149));
}

/// floor(log2(x)) for a finite x > 0, float subnormals included.
int floorLog2(float x) {
  const uint32_t u = floatBits(x) & 0x7FFFFFFF;
  const uint32_t exponentField = u >> 23;
  if (exponentField != 0)
    return static_cast<int>(exponentField) - 127;
  int result = -150;
  for (uint32_t mantissa = u; mantissa != 0; mantissa >>= 1)
    ++result;
  return result;
}

/// Shifts `value` right by `shift` bits, rounding to nearest, ties to even.
uint64_t shiftRightRoundEven(uint64_t value, int shift) {
  if (shift <= 0)
    return value;
  // `value` is a float significand (< 2^24): such shifts leave less than half.
  if (shift > 40)
    return 0;
  const uint64_t quotient = value >> shift;
  const uint64_t remainder = value & ((uint64_t(1) << shift) - 1);
  const uint64_t half = uint64_t(1) << (shift - 1);
  if (remainder > half || (remainder == half && (quotient & 1)))
    return quotient + 1;
  return quotient;
}

/// Code of the largest finite magnitude of a signed format.
uint32_t maxFiniteMagnitudeCode(MinifloatKind kind, const MinifloatSpec &spec) {
  const uint32_t magnitudeMask = lowMask(spec.bits - 1);
  switch (kind) {
  case MinifloatKind::E4M3FN:
    // S.1111.111 is NaN.
    return magnitudeMask - 1;
  case MinifloatKind::E5M2:
    // The all-ones exponent holds infinities and NaNs.
    return (lowMask(spec.exponentBits) - 1) << spec.mantissaBits |
           lowMask(spec.mantissaBits);
  default:
    return magnitudeMask;
  }
}

} // namespace

const MinifloatSpec &mlir::qnt::getMinifloatSpec(MinifloatKind kind) {
  const unsigned index = static_cast<unsigned>(kind);
  assert(index < sizeof(kSpecs) / sizeof(kSpecs[0]) && "unknown minifloat");
  return kSpecs[index];
}

float mlir::qnt::decodeMinifloat(MinifloatKind kind, uint32_t code) {
  const MinifloatSpec &spec = getMinifloatSpec(kind);
  code &= lowMask(spec.bits);
  if (kind == MinifloatKind::E8M0FNU) {
    if (code == 0xFF)
      return std::numeric_limits<float>::quiet_NaN();
    return exactPowerOfTwo(static_cast<int>(code) - 127);
  }

  const unsigned m = spec.mantissaBits;
  const uint32_t signBit = uint32_t(1) << (spec.bits - 1);
  const uint32_t magnitude = code & (signBit - 1);
  const uint32_t exponentField = magnitude >> m;
  const uint32_t mantissa = magnitude & lowMask(m);
  const uint32_t allOnesExponent = lowMask(spec.exponentBits);

  float value;
  if (kind == MinifloatKind::E4M3FN && magnitude == lowMask(spec.bits - 1)) {
    value = std::numeric_limits<float>::quiet_NaN();
  } else if (spec.hasInf && exponentField == allOnesExponent) {
    value = mantissa == 0 ? std::numeric_limits<float>::infinity()
                          : std::numeric_limits<float>::quiet_NaN();
  } else if (exponentField == 0) {
    // Subnormal: mantissa * 2^(1 - bias - m); both factors and the product are
    // exact in float.
    value = static_cast<float>(mantissa) *
            exactPowerOfTwo(1 - spec.bias - static_cast<int>(m));
  } else {
    // Normal: build the float directly; every format here has fewer mantissa
    // bits and a narrower exponent range than float.
    const int exponent = static_cast<int>(exponentField) - spec.bias;
    value = bitsToFloat(static_cast<uint32_t>(exponent + 127) << 23 |
                        mantissa << (23 - m));
  }
  return (code & signBit) ? -value : value;
}

uint32_t mlir::qnt::encodeMinifloat(MinifloatKind kind, float x) {
  const MinifloatSpec &spec = getMinifloatSpec(kind);
  const uint32_t u = floatBits(x);
  const uint32_t absBits = u & 0x7FFFFFFF;
  const bool isNaN = absBits > 0x7F800000;

  if (kind == MinifloatKind::E8M0FNU) {
    if (isNaN)
      return 0xFF;
    if (!(x > 0.0f))
      return 0;
    // floor(log2(x)) + 127 clamped to [0, 254] is the float exponent field:
    // 0 for float subnormals, and 255 (infinity) clamps to 254.
    const uint32_t exponentField = u >> 23;
    return exponentField > 254 ? 254 : exponentField;
  }

  const uint32_t signBit = uint32_t(1) << (spec.bits - 1);
  if (isNaN) {
    if (!spec.hasNaN)
      return 0;
    // Canonical NaN: all exponent and mantissa bits set (0x7F).
    return signBit - 1;
  }

  const uint32_t sign = (u >> 31) ? signBit : 0;
  const unsigned m = spec.mantissaBits;
  const uint32_t maxMagnitude = maxFiniteMagnitudeCode(kind, spec);
  if (absBits == 0x7F800000 && spec.hasInf)
    return sign | lowMask(spec.exponentBits) << m;
  if (bitsToFloat(absBits) >= spec.maxFinite)
    return sign | maxMagnitude;
  if (absBits == 0)
    return sign;

  // The magnitude is significand * 2^(exponent - 23) with significand < 2^24.
  const uint32_t exponentField = absBits >> 23;
  uint64_t significand = absBits & 0x7FFFFF;
  int exponent = -126;
  if (exponentField != 0) {
    significand |= 0x800000;
    exponent = static_cast<int>(exponentField) - 127;
  }
  // Count units of the target spacing 2^(max(exponent, emin) - m).
  const int minNormalExponent = 1 - spec.bias;
  const bool isSubnormal = exponent < minNormalExponent;
  const int quantumExponent =
      (isSubnormal ? minNormalExponent : exponent) - static_cast<int>(m);
  const uint64_t units =
      shiftRightRoundEven(significand, quantumExponent - (exponent - 23));
  // Subnormals store the unit count directly; a count of 2^m is the smallest
  // normal, which the same bit pattern encodes. Normals store the biased
  // exponent above the mantissa; a carry out of the mantissa bumps the
  // exponent, which is again the right encoding.
  uint64_t magnitude = units;
  if (!isSubnormal)
    magnitude = (static_cast<uint64_t>(exponent - minNormalExponent + 1) << m) +
                units - (uint64_t(1) << m);
  // Magnitudes below maxFinite cannot round above it; keep the clamp as a
  // guard against carries into the NaN or infinity patterns.
  if (magnitude > maxMagnitude)
    magnitude = maxMagnitude;
  return sign | static_cast<uint32_t>(magnitude);
}

int32_t mlir::qnt::mxScaleExponent(float absMax, MinifloatKind element) {
  const uint32_t absBits = floatBits(absMax) & 0x7FFFFFFF;
  // Zero, infinities and NaNs.
  if (absBits == 0 || absBits >= 0x7F800000)
    return -127;
  int32_t exponent =
      floorLog2(bitsToFloat(absBits)) - getMinifloatSpec(element).maxExponent;
  if (exponent < -127)
    exponent = -127;
  if (exponent > 127)
    exponent = 127;
  return exponent;
}

uint8_t mlir::qnt::e8m0FromExponent(int32_t exponent) {
  if (exponent < -127)
    return 0;
  if (exponent > 127)
    return 254;
  return static_cast<uint8_t>(exponent + 127);
}

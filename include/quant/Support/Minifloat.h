//===- Minifloat.h - OCP and ONNX minifloat formats -------------*- C++ -*-===//
//
// Encode and decode of the 8-, 6- and 4-bit floating-point formats of the OCP
// 8-bit floating point and Microscaling (MX) v1.0 specifications, and the MX
// shared-scale computation.
//
// All functions are table-free, exact and independent of the current
// rounding mode. This library is plain C++ with no MLIR or LLVM dependency.
//
//===----------------------------------------------------------------------===//

#ifndef QUANT_SUPPORT_MINIFLOAT_H
#define QUANT_SUPPORT_MINIFLOAT_H

#include <cstdint>

namespace mlir {
namespace qnt {

enum class MinifloatKind { E4M3FN, E5M2, E2M3FN, E3M2FN, E2M1FN, E8M0FNU };

struct MinifloatSpec {
  const char *name;
  /// Total bits, exponent bits and mantissa bits. E8M0FNU has no sign bit.
  unsigned bits, exponentBits, mantissaBits;
  int bias;
  bool hasInf;
  bool hasNaN;
  /// Largest finite value.
  float maxFinite;
  /// emax: exponent of the largest normal power of two (2 for E2M1FN, 8 for
  /// E4M3FN, 15 for E5M2, 2 for E2M3FN, 4 for E3M2FN, 127 for E8M0FNU).
  int maxExponent;
};

/// Returns the parameters of `kind`.
const MinifloatSpec &getMinifloatSpec(MinifloatKind kind);

/// Exact value of `code` (only its low `bits` bits are used), subnormals
/// included. E4M3FN: S.1111.111 is NaN, no infinities. E5M2: IEEE-like with
/// infinities and NaNs. E2M3FN, E3M2FN, E2M1FN: no infinities or NaNs.
/// E8M0FNU: 2^(code - 127), 0xFF is NaN.
float decodeMinifloat(MinifloatKind kind, uint32_t code);

/// Encodes `x`, rounding to nearest, ties to even, and saturating finite
/// values beyond the range to +-maxFinite (ONNX saturate=1). Infinities
/// saturate to +-maxFinite, except for E5M2, which keeps them as infinities.
/// NaN gives the canonical positive NaN code (0x7F for E4M3FN and E5M2, 0xFF
/// for E8M0FNU) and 0 for formats without NaN. Zero and values that round to
/// zero keep their sign bit.
///
/// E8M0FNU: encodes floor(log2(x)) + 127 for x > 0, with the exponent clamped
/// to [-127, 127]; 0 and negative values give code 0.
uint32_t encodeMinifloat(MinifloatKind kind, float x);

/// OCP MX v1.0 shared-scale exponent for a block whose largest magnitude is
/// `absMax`: floor(log2(absMax)) - getMinifloatSpec(element).maxExponent,
/// clamped to [-127, 127]. The sign of `absMax` is ignored; zero, NaN and
/// infinite `absMax` give -127.
int32_t mxScaleExponent(float absMax, MinifloatKind element);

/// E8M0 code of the power of two 2^exponent: exponent + 127, clamped to
/// [0, 254].
uint8_t e8m0FromExponent(int32_t exponent);

} // namespace qnt
} // namespace mlir

#endif // QUANT_SUPPORT_MINIFLOAT_H

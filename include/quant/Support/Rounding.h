//===- Rounding.h - Rounding and half-precision conversions -----*- C++ -*-===//
//
// Bit-exact rounding helpers shared by the packers and the reference decoders:
// round-half-to-even, ONNX QuantizeLinear, and IEEE binary16 / bfloat16
// conversions. None of them depends on the current floating-point rounding
// mode, except that quantizeToInt divides in float.
//
// This library is plain C++ with no MLIR or LLVM dependency.
//
//===----------------------------------------------------------------------===//

#ifndef QUANT_SUPPORT_ROUNDING_H
#define QUANT_SUPPORT_ROUNDING_H

#include <cstdint>

namespace mlir {
namespace qnt {

/// Rounds `x` to the nearest integer, ties to even. The result keeps the sign
/// of `x` (so -0.5 gives -0.0). NaN and infinities are returned unchanged.
/// Exact and independent of the current rounding mode.
float roundHalfToEven(float x);

/// ONNX QuantizeLinear: saturate(roundHalfToEven(x / scale) + zeroPoint) to
/// [qmin, qmax]. The quotient is computed in float. A NaN quotient and
/// `scale == 0` both count as a quotient of 0; infinite quotients saturate.
int32_t quantizeToInt(float x, float scale, int32_t zeroPoint, int32_t qmin,
                      int32_t qmax);

/// Converts to IEEE binary16 bits, rounding to nearest, ties to even.
/// Overflow gives infinity; NaN gives a quiet NaN with the same sign and the
/// top 10 payload bits.
uint16_t floatToHalfBits(float x);

/// Converts IEEE binary16 bits to float; exact, subnormals included.
float halfBitsToFloat(uint16_t bits);

/// Converts to bfloat16 bits, rounding to nearest, ties to even. NaN stays a
/// (quiet) NaN with the same sign.
uint16_t floatToBFloat16Bits(float x);

/// Converts bfloat16 bits to float; exact.
float bfloat16BitsToFloat(uint16_t bits);

} // namespace qnt
} // namespace mlir

#endif // QUANT_SUPPORT_ROUNDING_H

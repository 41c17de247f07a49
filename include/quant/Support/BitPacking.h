//===- BitPacking.h - Sub-byte code packing ---------------------*- C++ -*-===//
//
// Packing of integer codes of 1 to 16 bits into byte rows.
//
// Codes are packed LSB-first along a row: code `i` occupies bits
// [i * bits, (i + 1) * bits) of the row, where bit `k` of the row is bit
// `k % 8` of byte `k / 8`. A code may straddle up to three bytes. Every row
// starts on a byte boundary and the padding bits at the end of a row are zero.
//
// This library is plain C++ with no MLIR or LLVM dependency.
//
//===----------------------------------------------------------------------===//

#ifndef QUANT_SUPPORT_BITPACKING_H
#define QUANT_SUPPORT_BITPACKING_H

#include <cstdint>

namespace mlir {
namespace qnt {

/// Number of bytes of one packed row of `rowLength` codes of `bits` bits:
/// ceil(rowLength * bits / 8). `bits` must be in [1, 16] and `rowLength` >= 0.
int64_t packedRowBytes(int64_t rowLength, unsigned bits);

/// Packs `rows` x `rowLength` codes into `out`, which must hold
/// `rows * packedRowBytes(rowLength, bits)` bytes. Only the low `bits` bits of
/// each code are used (two's complement for negative codes). Padding bits are
/// zero.
void packCodes(const int32_t *codes, int64_t rows, int64_t rowLength,
               unsigned bits, uint8_t *out);

/// Inverse of packCodes: unpacks `rows` x `rowLength` codes into `out`.
/// Sign-extends each code from `bits` bits when `isSigned`, otherwise
/// zero-extends.
void unpackCodes(const uint8_t *packed, int64_t rows, int64_t rowLength,
                 unsigned bits, bool isSigned, int32_t *out);

/// Reads code `index` of one packed row. Only the bytes that hold the code are
/// read.
int32_t readCode(const uint8_t *row, int64_t index, unsigned bits,
                 bool isSigned);

/// Writes the low `bits` bits of `code` as code `index` of one packed row,
/// replacing what was there. Only the bytes that hold the code are touched,
/// and bits of neighbouring codes are preserved.
void writeCode(uint8_t *row, int64_t index, unsigned bits, int32_t code);

} // namespace qnt
} // namespace mlir

#endif // QUANT_SUPPORT_BITPACKING_H

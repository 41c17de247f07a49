//===- BitPacking.cpp - Sub-byte code packing -----------------------------===//
//
// Codes are streamed through a 64-bit accumulator one row at a time, so every
// row is written exactly once and padding bits come out as zero.
//
//===----------------------------------------------------------------------===//

#include "quant/Support/BitPacking.h"

#include <cassert>

using namespace mlir::qnt;

namespace {

uint32_t lowMask(unsigned bits) {
  return bits >= 32 ? ~uint32_t(0) : (uint32_t(1) << bits) - 1;
}

int32_t extendCode(uint32_t value, unsigned bits, bool isSigned) {
  if (isSigned && bits < 32 && ((value >> (bits - 1)) & 1))
    value |= ~lowMask(bits);
  return static_cast<int32_t>(value);
}

[[maybe_unused]] bool isValidWidth(unsigned bits) {
  return bits >= 1 && bits <= 16;
}

} // namespace

int64_t mlir::qnt::packedRowBytes(int64_t rowLength, unsigned bits) {
  assert(isValidWidth(bits) && "bit width must be in [1, 16]");
  assert(rowLength >= 0 && "row length must be non-negative");
  return (rowLength * static_cast<int64_t>(bits) + 7) / 8;
}

void mlir::qnt::packCodes(const int32_t *codes, int64_t rows, int64_t rowLength,
                          unsigned bits, uint8_t *out) {
  assert(isValidWidth(bits) && "bit width must be in [1, 16]");
  const uint64_t mask = lowMask(bits);
  for (int64_t r = 0; r < rows; ++r) {
    uint64_t acc = 0;
    unsigned accBits = 0;
    for (int64_t i = 0; i < rowLength; ++i) {
      acc |= (static_cast<uint64_t>(static_cast<uint32_t>(*codes++)) & mask)
             << accBits;
      accBits += bits;
      while (accBits >= 8) {
        *out++ = static_cast<uint8_t>(acc);
        acc >>= 8;
        accBits -= 8;
      }
    }
    if (accBits > 0)
      *out++ = static_cast<uint8_t>(acc);
  }
}

void mlir::qnt::unpackCodes(const uint8_t *packed, int64_t rows,
                            int64_t rowLength, unsigned bits, bool isSigned,
                            int32_t *out) {
  assert(isValidWidth(bits) && "bit width must be in [1, 16]");
  const uint32_t mask = lowMask(bits);
  const int64_t rowBytes = packedRowBytes(rowLength, bits);
  for (int64_t r = 0; r < rows; ++r) {
    // Bytes are only fetched once the code being decoded needs them, so the
    // loop never reads past the end of the row.
    const uint8_t *in = packed + r * rowBytes;
    uint64_t acc = 0;
    unsigned accBits = 0;
    for (int64_t i = 0; i < rowLength; ++i) {
      while (accBits < bits) {
        acc |= static_cast<uint64_t>(*in++) << accBits;
        accBits += 8;
      }
      *out++ = extendCode(static_cast<uint32_t>(acc) & mask, bits, isSigned);
      acc >>= bits;
      accBits -= bits;
    }
  }
}

int32_t mlir::qnt::readCode(const uint8_t *row, int64_t index, unsigned bits,
                            bool isSigned) {
  assert(isValidWidth(bits) && "bit width must be in [1, 16]");
  assert(index >= 0 && "code index must be non-negative");
  const uint64_t bitPos = static_cast<uint64_t>(index) * bits;
  const uint8_t *p = row + (bitPos >> 3);
  const unsigned shift = static_cast<unsigned>(bitPos & 7);
  const unsigned numBytes = (shift + bits + 7) / 8;
  uint32_t word = 0;
  for (unsigned i = 0; i < numBytes; ++i)
    word |= static_cast<uint32_t>(p[i]) << (8 * i);
  return extendCode((word >> shift) & lowMask(bits), bits, isSigned);
}

void mlir::qnt::writeCode(uint8_t *row, int64_t index, unsigned bits,
                          int32_t code) {
  assert(isValidWidth(bits) && "bit width must be in [1, 16]");
  assert(index >= 0 && "code index must be non-negative");
  const uint64_t bitPos = static_cast<uint64_t>(index) * bits;
  uint8_t *p = row + (bitPos >> 3);
  const unsigned shift = static_cast<unsigned>(bitPos & 7);
  const unsigned numBytes = (shift + bits + 7) / 8;
  const uint32_t mask = lowMask(bits) << shift;
  const uint32_t value = (static_cast<uint32_t>(code) << shift) & mask;
  for (unsigned i = 0; i < numBytes; ++i) {
    const uint32_t byteMask = (mask >> (8 * i)) & 0xFF;
    const uint32_t byteValue = (value >> (8 * i)) & 0xFF;
    p[i] = static_cast<uint8_t>((p[i] & ~byteMask) | byteValue);
  }
}

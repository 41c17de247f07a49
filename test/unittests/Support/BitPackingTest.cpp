//===- BitPackingTest.cpp - Tests for sub-byte code packing ---------------===//

#include "quant/Support/BitPacking.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <random>
#include <vector>

using namespace mlir::qnt;

namespace {

/// Independent bit-by-bit reference packer: bit `k` of a row is bit `k % 8` of
/// byte `k / 8`, and code `i` occupies row bits [i * bits, (i + 1) * bits).
std::vector<uint8_t> referencePack(const std::vector<int32_t> &codes,
                                   int64_t rows, int64_t rowLength,
                                   unsigned bits) {
  const int64_t rowBytes = (rowLength * bits + 7) / 8;
  std::vector<uint8_t> out(static_cast<size_t>(rows * rowBytes), 0);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t i = 0; i < rowLength; ++i) {
      const uint32_t code = static_cast<uint32_t>(codes[r * rowLength + i]);
      for (unsigned b = 0; b < bits; ++b) {
        if (!((code >> b) & 1))
          continue;
        const int64_t bit = i * bits + b;
        out[r * rowBytes + bit / 8] |= static_cast<uint8_t>(1u << (bit % 8));
      }
    }
  }
  return out;
}

std::vector<int32_t> randomCodes(std::mt19937 &rng, size_t count, unsigned bits,
                                 bool isSigned) {
  const int32_t lo = isSigned ? -(1 << (bits - 1)) : 0;
  const int32_t hi = isSigned ? (1 << (bits - 1)) - 1 : (1 << bits) - 1;
  std::uniform_int_distribution<int32_t> dist(lo, hi);
  std::vector<int32_t> codes(count);
  for (int32_t &code : codes)
    code = dist(rng);
  // Make sure the extreme codes show up too.
  if (count >= 2) {
    codes[0] = lo;
    codes[count - 1] = hi;
  }
  return codes;
}

TEST(BitPackingTest, PackedRowBytes) {
  EXPECT_EQ(packedRowBytes(0, 4), 0);
  EXPECT_EQ(packedRowBytes(1, 1), 1);
  EXPECT_EQ(packedRowBytes(8, 1), 1);
  EXPECT_EQ(packedRowBytes(9, 1), 2);
  EXPECT_EQ(packedRowBytes(3, 4), 2);
  EXPECT_EQ(packedRowBytes(3, 3), 2);
  EXPECT_EQ(packedRowBytes(8, 3), 3);
  EXPECT_EQ(packedRowBytes(13, 5), 9);
  EXPECT_EQ(packedRowBytes(7, 7), 7);
  EXPECT_EQ(packedRowBytes(33, 16), 66);
  EXPECT_EQ(packedRowBytes(1, 16), 2);
  EXPECT_EQ(packedRowBytes(int64_t(1) << 40, 4), int64_t(1) << 39);
  for (unsigned bits = 1; bits <= 16; ++bits)
    for (int64_t n = 0; n < 50; ++n)
      EXPECT_EQ(packedRowBytes(n, bits), (n * bits + 7) / 8);
}

TEST(BitPackingTest, HandCheckedNibbles) {
  const int32_t codes[] = {1, 2, 3};
  uint8_t out[2] = {0xAA, 0xAA};
  packCodes(codes, 1, 3, 4, out);
  EXPECT_EQ(out[0], 0x21);
  EXPECT_EQ(out[1], 0x03);

  int32_t back[3] = {};
  unpackCodes(out, 1, 3, 4, /*isSigned=*/false, back);
  EXPECT_EQ(back[0], 1);
  EXPECT_EQ(back[1], 2);
  EXPECT_EQ(back[2], 3);
}

TEST(BitPackingTest, HandCheckedThreeBitStraddle) {
  // 5 = 101 at bits 0-2, 3 = 011 at bits 3-5, 6 = 110 at bits 6-8: the third
  // code straddles the byte boundary. Byte 0 = 0b10'011'101, byte 1 = 0b1.
  const int32_t codes[] = {5, 3, 6};
  uint8_t out[2] = {0xFF, 0xFF};
  packCodes(codes, 1, 3, 3, out);
  EXPECT_EQ(out[0], 0x9D);
  EXPECT_EQ(out[1], 0x01);
  EXPECT_EQ(readCode(out, 2, 3, false), 6);
  EXPECT_EQ(readCode(out, 2, 3, true), -2);
  EXPECT_EQ(readCode(out, 0, 3, true), -3);
  EXPECT_EQ(readCode(out, 1, 3, true), 3);
}

TEST(BitPackingTest, HandCheckedOtherWidths) {
  {
    // 5 bits: 31 | 0 << 5 | 17 << 10 = 0x441F.
    const int32_t codes[] = {31, 0, 17};
    uint8_t out[2] = {};
    packCodes(codes, 1, 3, 5, out);
    EXPECT_EQ(out[0], 0x1F);
    EXPECT_EQ(out[1], 0x44);
  }
  {
    // 12 bits: 0xABC | 0x123 << 12 = 0x123ABC.
    const int32_t codes[] = {0xABC, 0x123};
    uint8_t out[3] = {};
    packCodes(codes, 1, 2, 12, out);
    EXPECT_EQ(out[0], 0xBC);
    EXPECT_EQ(out[1], 0x3A);
    EXPECT_EQ(out[2], 0x12);
  }
  {
    // 16 bits, little endian, negative codes in two's complement.
    const int32_t codes[] = {0x1234, -2};
    uint8_t out[4] = {};
    packCodes(codes, 1, 2, 16, out);
    EXPECT_EQ(out[0], 0x34);
    EXPECT_EQ(out[1], 0x12);
    EXPECT_EQ(out[2], 0xFE);
    EXPECT_EQ(out[3], 0xFF);
    EXPECT_EQ(readCode(out, 1, 16, true), -2);
    EXPECT_EQ(readCode(out, 1, 16, false), 0xFFFE);
  }
  {
    // 1 bit: LSB first.
    const int32_t codes[] = {1, 0, 0, 1, 1, 0, 1, 0, 1, 1};
    uint8_t out[2] = {};
    packCodes(codes, 1, 10, 1, out);
    EXPECT_EQ(out[0], 0x59);
    EXPECT_EQ(out[1], 0x03);
  }
  {
    // 7 bits: 0x7F | 0x01 << 7 = 0xFF, then 0x00 in the remaining 6 bits.
    const int32_t codes[] = {0x7F, 0x01};
    uint8_t out[2] = {0xEE, 0xEE};
    packCodes(codes, 1, 2, 7, out);
    EXPECT_EQ(out[0], 0xFF);
    EXPECT_EQ(out[1], 0x00);
  }
}

TEST(BitPackingTest, NegativeCodesUseLowBits) {
  const int32_t codes[] = {-1, -8, 7};
  uint8_t out[2] = {};
  packCodes(codes, 1, 3, 4, out);
  EXPECT_EQ(out[0], 0x8F);
  EXPECT_EQ(out[1], 0x07);

  int32_t back[3] = {};
  unpackCodes(out, 1, 3, 4, /*isSigned=*/true, back);
  EXPECT_EQ(back[0], -1);
  EXPECT_EQ(back[1], -8);
  EXPECT_EQ(back[2], 7);
  unpackCodes(out, 1, 3, 4, /*isSigned=*/false, back);
  EXPECT_EQ(back[0], 15);
  EXPECT_EQ(back[1], 8);
  EXPECT_EQ(back[2], 7);
}

TEST(BitPackingTest, HighBitsAreIgnored) {
  // Only the low `bits` bits of each code count.
  const int32_t codes[] = {0x7FFFFFF5, static_cast<int32_t>(0x80000003u)};
  uint8_t out[1] = {};
  packCodes(codes, 1, 2, 4, out);
  EXPECT_EQ(out[0], 0x35);

  uint8_t row[2] = {};
  writeCode(row, 1, 3, -1);
  EXPECT_EQ(row[0], 0x38);
  EXPECT_EQ(row[1], 0x00);
}

TEST(BitPackingTest, RowsStartOnByteBoundaries) {
  // Two rows of three 3-bit codes: 9 bits each, so 2 bytes per row and 7
  // padding bits at the end of each row.
  const int32_t codes[] = {7, 7, 7, 1, 2, 3};
  uint8_t out[4] = {0xFF, 0xFF, 0xFF, 0xFF};
  packCodes(codes, 2, 3, 3, out);
  EXPECT_EQ(out[0], 0xFF);
  EXPECT_EQ(out[1], 0x01);
  // 1 | 2 << 3 | 3 << 6 = 0xD1; the top bit of 3 (bit 8) is 0.
  EXPECT_EQ(out[2], 0xD1);
  EXPECT_EQ(out[3], 0x00);
  EXPECT_EQ(readCode(out + 2, 0, 3, false), 1);
  EXPECT_EQ(readCode(out + 2, 2, 3, false), 3);
}

TEST(BitPackingTest, RandomRoundTripAllWidths) {
  std::mt19937 rng(12345);
  const int64_t rowLengths[] = {1, 2, 3, 5, 7, 8, 13, 16, 33, 100};
  const int64_t rowCounts[] = {1, 3};
  constexpr uint8_t kGuard = 0xA5;
  constexpr size_t kGuardBytes = 8;
  for (unsigned bits = 1; bits <= 16; ++bits) {
    for (bool isSigned : {false, true}) {
      for (int64_t rowLength : rowLengths) {
        for (int64_t rows : rowCounts) {
          SCOPED_TRACE(testing::Message()
                       << "bits=" << bits << " signed=" << isSigned
                       << " rowLength=" << rowLength << " rows=" << rows);
          const size_t count = static_cast<size_t>(rows * rowLength);
          const std::vector<int32_t> codes =
              randomCodes(rng, count, bits, isSigned);
          const int64_t rowBytes = packedRowBytes(rowLength, bits);
          const size_t totalBytes = static_cast<size_t>(rows * rowBytes);

          // Pack into a buffer with guard bytes behind it, prefilled with
          // garbage that packCodes must overwrite.
          std::vector<uint8_t> packed(totalBytes + kGuardBytes, kGuard);
          packCodes(codes.data(), rows, rowLength, bits, packed.data());
          for (size_t i = totalBytes; i < packed.size(); ++i)
            ASSERT_EQ(packed[i], kGuard) << "wrote past the end";
          packed.resize(totalBytes);

          // Same bytes as the independent reference, so padding is zero.
          ASSERT_EQ(packed, referencePack(codes, rows, rowLength, bits));

          // Unpack gives the codes back.
          std::vector<int32_t> unpacked(count + 1, 0x5EEDBEEF);
          unpackCodes(packed.data(), rows, rowLength, bits, isSigned,
                      unpacked.data());
          EXPECT_EQ(unpacked[count], 0x5EEDBEEF) << "wrote past the end";
          unpacked.resize(count);
          ASSERT_EQ(unpacked, codes);

          // readCode agrees with packCodes, code by code.
          for (int64_t r = 0; r < rows; ++r)
            for (int64_t i = 0; i < rowLength; ++i)
              ASSERT_EQ(
                  readCode(packed.data() + r * rowBytes, i, bits, isSigned),
                  codes[static_cast<size_t>(r * rowLength + i)]);

          // writeCode in a scrambled order into a zeroed buffer reproduces
          // packCodes exactly.
          std::vector<size_t> order(count);
          for (size_t i = 0; i < count; ++i)
            order[i] = i;
          std::shuffle(order.begin(), order.end(), rng);
          std::vector<uint8_t> written(totalBytes, 0);
          for (size_t k : order) {
            const int64_t r = static_cast<int64_t>(k) / rowLength;
            const int64_t i = static_cast<int64_t>(k) % rowLength;
            writeCode(written.data() + r * rowBytes, i, bits, codes[k]);
          }
          ASSERT_EQ(written, packed);

          // writeCode over garbage replaces every code bit; only padding
          // bits keep the garbage.
          std::vector<uint8_t> overwritten(totalBytes, 0xFF);
          for (size_t k : order) {
            const int64_t r = static_cast<int64_t>(k) / rowLength;
            const int64_t i = static_cast<int64_t>(k) % rowLength;
            writeCode(overwritten.data() + r * rowBytes, i, bits, codes[k]);
          }
          const unsigned usedBits =
              static_cast<unsigned>((rowLength * bits) % 8);
          for (int64_t r = 0; r < rows; ++r) {
            for (int64_t b = 0; b < rowBytes; ++b) {
              const size_t at = static_cast<size_t>(r * rowBytes + b);
              uint8_t paddingMask = 0;
              if (b == rowBytes - 1 && usedBits != 0)
                paddingMask = static_cast<uint8_t>(0xFF << usedBits);
              ASSERT_EQ(overwritten[at], packed[at] | paddingMask);
            }
          }
        }
      }
    }
  }
}

TEST(BitPackingTest, WriteCodePreservesNeighbours) {
  std::mt19937 rng(777);
  for (unsigned bits = 1; bits <= 16; ++bits) {
    SCOPED_TRACE(testing::Message() << "bits=" << bits);
    const int64_t rowLength = 29;
    std::vector<int32_t> codes =
        randomCodes(rng, static_cast<size_t>(rowLength), bits, false);
    std::vector<uint8_t> row(
        static_cast<size_t>(packedRowBytes(rowLength, bits)));
    packCodes(codes.data(), 1, rowLength, bits, row.data());
    std::uniform_int_distribution<int32_t> value(0, (1 << bits) - 1);
    for (int step = 0; step < 200; ++step) {
      const int64_t index = step % rowLength;
      const int32_t code = value(rng);
      writeCode(row.data(), index, bits, code);
      codes[static_cast<size_t>(index)] = code;
      for (int64_t i = 0; i < rowLength; ++i)
        ASSERT_EQ(readCode(row.data(), i, bits, false),
                  codes[static_cast<size_t>(i)]);
    }
    std::vector<int32_t> unpacked(codes.size());
    unpackCodes(row.data(), 1, rowLength, bits, false, unpacked.data());
    EXPECT_EQ(unpacked, codes);
  }
}

TEST(BitPackingTest, SignExtension) {
  for (unsigned bits = 1; bits <= 16; ++bits) {
    SCOPED_TRACE(testing::Message() << "bits=" << bits);
    const int32_t minCode = -(1 << (bits - 1));
    const int32_t maxCode = (1 << (bits - 1)) - 1;
    const int32_t codes[] = {minCode, -1, 0, maxCode};
    uint8_t packed[8] = {};
    packCodes(codes, 1, 4, bits, packed);
    int32_t back[4] = {};
    unpackCodes(packed, 1, 4, bits, /*isSigned=*/true, back);
    EXPECT_EQ(back[0], minCode);
    EXPECT_EQ(back[1], -1);
    EXPECT_EQ(back[2], 0);
    EXPECT_EQ(back[3], maxCode);
    unpackCodes(packed, 1, 4, bits, /*isSigned=*/false, back);
    EXPECT_EQ(back[0], 1 << (bits - 1));
    EXPECT_EQ(back[1], (1 << bits) - 1);
    EXPECT_EQ(back[2], 0);
    EXPECT_EQ(back[3], maxCode);
  }
}

TEST(BitPackingTest, ExactSizeBuffers) {
  // Rows packed into exactly-sized heap buffers: a read or write past the end
  // shows up under AddressSanitizer.
  std::mt19937 rng(5);
  for (unsigned bits = 1; bits <= 16; ++bits) {
    for (int64_t rowLength : {1, 3, 7, 13, 33}) {
      const std::vector<int32_t> codes =
          randomCodes(rng, static_cast<size_t>(rowLength), bits, true);
      const size_t rowBytes =
          static_cast<size_t>(packedRowBytes(rowLength, bits));
      std::unique_ptr<uint8_t[]> row(new uint8_t[rowBytes]);
      packCodes(codes.data(), 1, rowLength, bits, row.get());
      std::unique_ptr<int32_t[]> back(new int32_t[codes.size()]);
      unpackCodes(row.get(), 1, rowLength, bits, true, back.get());
      EXPECT_EQ(back[codes.size() - 1], codes.back());
      EXPECT_EQ(readCode(row.get(), rowLength - 1, bits, true), codes.back());
      writeCode(row.get(), rowLength - 1, bits, 0);
      EXPECT_EQ(readCode(row.get(), rowLength - 1, bits, true), 0);
    }
  }
}

TEST(BitPackingTest, EmptyInputsTouchNothing) {
  uint8_t out[1] = {0x77};
  packCodes(nullptr, 0, 5, 4, out);
  packCodes(nullptr, 3, 0, 4, out);
  EXPECT_EQ(out[0], 0x77);
  int32_t back[1] = {42};
  unpackCodes(out, 3, 0, 4, true, back);
  EXPECT_EQ(back[0], 42);
}

} // namespace

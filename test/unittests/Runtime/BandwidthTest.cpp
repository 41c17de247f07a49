//===- BandwidthTest.cpp - Tests for streaming reads and cache flushes ----===//

#include "quant/Runtime/Bandwidth.h"
#include "quant/Runtime/Buffer.h"

#include "gtest/gtest.h"

#include <cstdint>
#include <cstring>
#include <dlfcn.h>
#include <vector>

using namespace mlir::qnt::rt;

/// Constant data of this test program, as a model's weights are of its
/// library: the linker puts it in .rodata.
extern const uint8_t kKnownConstant[];
const uint8_t kKnownConstant[64] = {1, 2, 3, 4, 5, 6, 7, 8};

/// Writable data, which no read-only segment holds.
uint8_t knownMutable[64] = {1};

namespace {

/// The sum streamRead promises, one word at a time.
uint64_t referenceSum(const uint8_t *data, size_t bytes) {
  uint64_t sum = 0;
  for (size_t i = 0; i < bytes; i += 8) {
    uint64_t word = 0;
    std::memcpy(&word, data + i, bytes - i < 8 ? bytes - i : 8);
    sum += word;
  }
  return sum;
}

/// Bytes that differ from each other and from their neighbours' words, so a
/// skipped, repeated or misplaced byte changes the sum.
std::vector<uint8_t> makeData(size_t bytes) {
  std::vector<uint8_t> data(bytes);
  uint64_t state = 0x9e3779b97f4a7c15ull;
  for (uint8_t &byte : data) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    byte = uint8_t(state >> 56);
  }
  return data;
}

std::vector<StreamReadVariant> supportedVariants() {
  std::vector<StreamReadVariant> variants;
  for (StreamReadVariant variant :
       {StreamReadVariant::Generic, StreamReadVariant::Avx2,
        StreamReadVariant::Avx512})
    if (isStreamReadSupported(variant))
      variants.push_back(variant);
  return variants;
}

TEST(BandwidthTest, GenericIsAlwaysSupported) {
  EXPECT_TRUE(isStreamReadSupported(StreamReadVariant::Generic));
  EXPECT_TRUE(isStreamReadSupported(getStreamReadVariant()));
  EXPECT_STREQ(getStreamReadVariantName(StreamReadVariant::Avx512), "avx512f");
}

TEST(BandwidthTest, EveryVariantSumsEveryByte) {
  // Sizes around the word, vector, unrolled-step and prefetch boundaries.
  std::vector<size_t> sizes = {0,    1,    2,    7,        8,    9,    31,
                               32,   33,   63,   64,       65,   255,  256,
                               257,  511,  512,  513,      1000, 2047, 2048,
                               2049, 4095, 4103, 65536 + 3};
  std::vector<uint8_t> data = makeData(65536 + 64 + 8);
  for (StreamReadVariant variant : supportedVariants())
    for (size_t offset : {0, 1, 8, 13})
      for (size_t bytes : sizes) {
        SCOPED_TRACE(std::string(getStreamReadVariantName(variant)) +
                     " offset " + std::to_string(offset) + " bytes " +
                     std::to_string(bytes));
        const uint8_t *start = data.data() + offset;
        EXPECT_EQ(streamReadWith(variant, start, bytes),
                  referenceSum(start, bytes));
      }
}

TEST(BandwidthTest, PicksTheWidestVariantTheCpuHas) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  StreamReadVariant expected =
      __builtin_cpu_supports("avx512f") ? StreamReadVariant::Avx512
      : __builtin_cpu_supports("avx2")  ? StreamReadVariant::Avx2
                                        : StreamReadVariant::Generic;
#else
  StreamReadVariant expected = StreamReadVariant::Generic;
#endif
  EXPECT_EQ(getStreamReadVariant(), expected);
}

TEST(BandwidthTest, StreamReadMatchesTheReference) {
  std::vector<uint8_t> data = makeData(12345);
  EXPECT_EQ(streamRead(data.data(), data.size()),
            referenceSum(data.data(), data.size()));
  EXPECT_EQ(streamRead(data.data(), 0), 0u);
  EXPECT_EQ(streamRead(data.data(), 1), uint64_t(data[0]));
}

TEST(BandwidthTest, SumDependsOnTheLastByte) {
  for (size_t bytes : {1, 64, 513, 4097}) {
    std::vector<uint8_t> data = makeData(bytes);
    uint64_t before = streamRead(data.data(), bytes);
    data.back() ^= 1;
    EXPECT_NE(streamRead(data.data(), bytes), before) << bytes << " bytes";
  }
}

TEST(BandwidthTest, FlushReadsTheWholeWrittenBuffer) {
  for (size_t bytes : {1, 100, 4096, 1000003}) {
    CacheFlusher flusher(bytes);
    ASSERT_TRUE(flusher.valid());
    ASSERT_EQ(flusher.size(), bytes);
    const auto *data = static_cast<const uint8_t *>(flusher.data());
    // Every byte was written (no untouched zero pages to read)...
    size_t zeros = 0;
    for (size_t i = 0; i < bytes; ++i)
      zeros += data[i] == 0;
    EXPECT_EQ(zeros, 0u);
    // ...and the flush reads all of them.
    EXPECT_EQ(flusher.flush(), referenceSum(data, bytes));
    EXPECT_NE(flusher.flush(), referenceSum(data, bytes - 1));
  }
}

bool isInRanges(const void *address, const std::vector<MemoryRange> &ranges) {
  auto p = reinterpret_cast<uintptr_t>(address);
  for (const MemoryRange &range : ranges) {
    auto start = reinterpret_cast<uintptr_t>(range.data);
    if (p >= start && p < start + range.size)
      return true;
  }
  return false;
}

TEST(BandwidthTest, FindsTheMainProgramsReadOnlyData) {
  void *self = ::dlopen(nullptr, RTLD_NOW);
  ASSERT_NE(self, nullptr);
  std::vector<MemoryRange> ranges = getReadOnlyDataSegments(self);
  ASSERT_FALSE(ranges.empty());
  EXPECT_TRUE(isInRanges(kKnownConstant, ranges));
  EXPECT_TRUE(isInRanges(kKnownConstant + 63, ranges));
  // Code and writable data are not read-only data.
  EXPECT_FALSE(
      isInRanges(reinterpret_cast<const void *>(&referenceSum), ranges));
  EXPECT_FALSE(isInRanges(knownMutable, ranges));
  // Every byte is mapped and readable.
  for (const MemoryRange &range : ranges)
    EXPECT_EQ(
        streamRead(range.data, range.size),
        referenceSum(static_cast<const uint8_t *>(range.data), range.size));
  ::dlclose(self);
}

TEST(BandwidthTest, FindsTheSegmentsOfTheObjectAHandleNames) {
  void *libm = ::dlopen("libm.so.6", RTLD_NOW | RTLD_LOCAL);
  if (!libm)
    GTEST_SKIP() << "libm.so.6 not loadable";
  void *cosine = ::dlsym(libm, "cos");
  ASSERT_NE(cosine, nullptr);
  Dl_info expected;
  ASSERT_NE(::dladdr(cosine, &expected), 0);
  std::vector<MemoryRange> ranges = getReadOnlyDataSegments(libm);
  ASSERT_FALSE(ranges.empty());
  // Every range lies in libm, none in this program.
  for (const MemoryRange &range : ranges) {
    Dl_info first, last;
    ASSERT_NE(::dladdr(range.data, &first), 0);
    ASSERT_NE(
        ::dladdr(static_cast<const uint8_t *>(range.data) + range.size - 1,
                 &last),
        0);
    EXPECT_EQ(first.dli_fbase, expected.dli_fbase);
    EXPECT_EQ(last.dli_fbase, expected.dli_fbase);
  }
  EXPECT_FALSE(isInRanges(kKnownConstant, ranges));
  EXPECT_FALSE(isInRanges(cosine, ranges));
  ::dlclose(libm);
}

TEST(BandwidthTest, NoHandleHasNoSegments) {
  EXPECT_TRUE(getReadOnlyDataSegments(nullptr).empty());
}

} // namespace

//===- BufferTest.cpp - Tests for aligned buffers -------------------------===//

#include "quant/Runtime/Buffer.h"
#include "quant/Runtime/Runtime.h"

#include "gtest/gtest.h"

#include <cstdint>
#include <cstring>
#include <utility>

using namespace mlir::qnt::rt;

namespace {

bool isAligned(const void *ptr, size_t alignment) {
  return reinterpret_cast<uintptr_t>(ptr) % alignment == 0;
}

TEST(BufferTest, DefaultAlignmentIs64) {
  for (size_t bytes : {1, 3, 63, 64, 65, 1000, 1 << 20}) {
    AlignedBuffer buffer(bytes);
    ASSERT_TRUE(buffer.valid());
    EXPECT_EQ(buffer.size(), bytes);
    EXPECT_EQ(buffer.alignment(), 64u);
    EXPECT_TRUE(isAligned(buffer.data(), 64));
  }
}

TEST(BufferTest, HonoursRequestedAlignment) {
  for (size_t alignment : {1, 2, 8, 16, 32, 128, 4096}) {
    AlignedBuffer buffer(100, alignment);
    ASSERT_TRUE(buffer.valid()) << alignment;
    EXPECT_TRUE(isAligned(buffer.data(), alignment));
    EXPECT_GE(buffer.alignment(), alignment);
  }
}

TEST(BufferTest, ZeroFillsByDefault) {
  AlignedBuffer buffer(4096);
  ASSERT_TRUE(buffer.valid());
  for (size_t i = 0; i < buffer.size(); ++i)
    ASSERT_EQ(buffer.as<uint8_t>()[i], 0);
}

TEST(BufferTest, RejectsBadAlignment) {
  AlignedBuffer buffer(100, 48);
  EXPECT_FALSE(buffer.valid());
  EXPECT_EQ(buffer.data(), nullptr);
  EXPECT_EQ(buffer.size(), 0u);
  EXPECT_EQ(alignedAlloc(16, 3), nullptr);
  EXPECT_FALSE(isValidAlignment(0));
  EXPECT_TRUE(isValidAlignment(1));
  EXPECT_FALSE(isValidAlignment(96));
}

TEST(BufferTest, ZeroBytesIsStillAnAllocation) {
  AlignedBuffer buffer(0);
  EXPECT_TRUE(buffer.valid());
  EXPECT_EQ(buffer.size(), 0u);
  void *a = alignedAlloc(0);
  void *b = alignedAlloc(0);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_NE(a, b);
  alignedFree(a);
  alignedFree(b);
}

TEST(BufferTest, MovesTransferOwnership) {
  AlignedBuffer a(256);
  ASSERT_TRUE(a.valid());
  std::memset(a.data(), 0x5a, 256);
  void *ptr = a.data();
  AlignedBuffer b(std::move(a));
  EXPECT_FALSE(a.valid());
  EXPECT_EQ(a.size(), 0u);
  EXPECT_EQ(b.data(), ptr);
  EXPECT_EQ(b.size(), 256u);
  AlignedBuffer c(16);
  c = std::move(b);
  EXPECT_EQ(c.data(), ptr);
  EXPECT_EQ(c.as<uint8_t>()[255], 0x5a);
  void *released = c.release();
  EXPECT_EQ(released, ptr);
  EXPECT_FALSE(c.valid());
  alignedFree(released);
  c.reset(); // resetting an empty buffer is harmless
}

TEST(RuntimeCApiTest, AllocIsAligned) {
  void *p = quant_rt_alloc(1000, 0);
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(isAligned(p, 64));
  quant_rt_free(p);
  void *q = quant_rt_alloc(10, 256);
  ASSERT_NE(q, nullptr);
  EXPECT_TRUE(isAligned(q, 256));
  quant_rt_free(q);
  EXPECT_EQ(quant_rt_alloc(10, 24), nullptr);
  quant_rt_free(nullptr);
}

} // namespace

//===- LookupTest.cpp - Tests for lookup tables ---------------------------===//

#include "quant/Support/Lookup.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

using namespace mlir::qnt;

namespace {

const float kInf = std::numeric_limits<float>::infinity();
const float kNaN = std::numeric_limits<float>::quiet_NaN();

TEST(LookupTest, NF4TableValues) {
  // bitsandbytes' NF4 table, as written in its source.
  const float expected[16] = {-1.0f,
                              -0.6961928009986877f,
                              -0.5250730514526367f,
                              -0.39491748809814453f,
                              -0.28444138169288635f,
                              -0.18477343022823334f,
                              -0.09105003625154495f,
                              0.0f,
                              0.07958029955625534f,
                              0.16093020141124725f,
                              0.24611230194568634f,
                              0.33791524171829224f,
                              0.44070982933044434f,
                              0.5626170039176941f,
                              0.7229568362236023f,
                              1.0f};
  for (int i = 0; i < 16; ++i)
    EXPECT_EQ(kNF4Values[i], expected[i]) << "entry " << i;
}

TEST(LookupTest, NF4TableShape) {
  EXPECT_EQ(kNF4Values[0], -1.0f);
  EXPECT_EQ(kNF4Values[15], 1.0f);
  EXPECT_EQ(kNF4Values[0], -kNF4Values[15]);
  EXPECT_EQ(kNF4Values[7], 0.0f);
  EXPECT_FALSE(std::signbit(kNF4Values[7]));
  for (int i = 0; i + 1 < 16; ++i)
    EXPECT_LT(kNF4Values[i], kNF4Values[i + 1]) << "entry " << i;
  // Seven negative and eight positive levels.
  int negative = 0, positive = 0;
  for (float v : kNF4Values) {
    negative += v < 0 ? 1 : 0;
    positive += v > 0 ? 1 : 0;
  }
  EXPECT_EQ(negative, 7);
  EXPECT_EQ(positive, 8);
}

TEST(LookupTest, NF4ExactAndMidpoints) {
  for (int32_t i = 0; i < 16; ++i)
    EXPECT_EQ(nearestIndex(kNF4Values, 16, kNF4Values[i]), i);
  for (int32_t i = 0; i + 1 < 16; ++i) {
    // Adjacent entries are close in magnitude, so the double midpoint is
    // exact. Check the float nearest to it and both its neighbours.
    const double midpoint =
        (static_cast<double>(kNF4Values[i]) + kNF4Values[i + 1]) / 2;
    const float mid = static_cast<float>(midpoint);
    for (float x :
         {std::nextafter(mid, -kInf), mid, std::nextafter(mid, kInf)}) {
      const int32_t expected = static_cast<double>(x) > midpoint ? i + 1 : i;
      EXPECT_EQ(nearestIndex(kNF4Values, 16, x), expected)
          << "x = " << x << " between entries " << i << " and " << i + 1;
    }
  }
  EXPECT_EQ(nearestIndex(kNF4Values, 16, -5.0f), 0);
  EXPECT_EQ(nearestIndex(kNF4Values, 16, 5.0f), 15);
  EXPECT_EQ(nearestIndex(kNF4Values, 16, -0.0f), 7);
}

TEST(LookupTest, TiesGoToLowestIndex) {
  const float sorted[] = {1.0f, 3.0f};
  EXPECT_EQ(nearestIndex(sorted, 2, 2.0f), 0);
  const float reversed[] = {3.0f, 1.0f};
  EXPECT_EQ(nearestIndex(reversed, 2, 2.0f), 0);
  const float duplicates[] = {7.0f, 5.0f, 5.0f, 5.0f};
  EXPECT_EQ(nearestIndex(duplicates, 4, 5.0f), 1);
  EXPECT_EQ(nearestIndex(duplicates, 4, 4.0f), 1);
  const float signedZeros[] = {-0.0f, 0.0f};
  EXPECT_EQ(nearestIndex(signedZeros, 2, 0.0f), 0);
  const float symmetric[] = {0.5f, -0.5f, 0.25f, -0.25f};
  EXPECT_EQ(nearestIndex(symmetric, 4, 0.0f), 2);
  EXPECT_EQ(nearestIndex(symmetric, 4, 0.375f), 0);
  EXPECT_EQ(nearestIndex(symmetric, 4, -0.375f), 1);
}

TEST(LookupTest, UnsortedTable) {
  const float table[] = {0.5f, -2.0f, 10.0f, 3.0f, -7.5f};
  EXPECT_EQ(nearestIndex(table, 5, 2.6f), 3);
  EXPECT_EQ(nearestIndex(table, 5, -100.0f), 4);
  EXPECT_EQ(nearestIndex(table, 5, 100.0f), 2);
  EXPECT_EQ(nearestIndex(table, 5, -1.0f), 1);
  EXPECT_EQ(nearestIndex(table, 5, 0.0f), 0);
  // 6.5 is 3.5 away from both 3 and 10: the tie goes to the lower index.
  EXPECT_EQ(nearestIndex(table, 5, 6.5f), 2);
  EXPECT_EQ(nearestIndex(table, 5, 6.4f), 3);
  EXPECT_EQ(nearestIndex(table, 1, 100.0f), 0);
}

TEST(LookupTest, DistancesAreExact) {
  // In double, 1e30 - 1e-30 and 1e30 - 2e-30 round to the same value; the
  // second entry is still strictly nearer.
  const float tiny[] = {1e-30f, 2e-30f};
  EXPECT_EQ(nearestIndex(tiny, 2, 1e30f), 1);
  EXPECT_EQ(nearestIndex(tiny, 2, -1e30f), 0);
  const float mixed[] = {-3e38f, 3e38f, 1e-38f, 0.0f};
  EXPECT_EQ(nearestIndex(mixed, 4, 1e-45f), 3);
  EXPECT_EQ(nearestIndex(mixed, 4, -1e-45f), 3);
  EXPECT_EQ(nearestIndex(mixed, 4, 9e-39f), 2);
  EXPECT_EQ(nearestIndex(mixed, 4, 3.4e38f), 1);
  EXPECT_EQ(nearestIndex(mixed, 4, -3.4e38f), 0);
  // 1 + 2^-23 is exactly halfway between the entries; one ulp above is not.
  const float neighbours[] = {1.0f, 1.0f + std::ldexp(1.0f, -22)};
  EXPECT_EQ(nearestIndex(neighbours, 2, 1.0f + std::ldexp(1.0f, -23)), 0);
  EXPECT_EQ(nearestIndex(neighbours, 2,
                         std::nextafter(1.0f + std::ldexp(1.0f, -23), 2.0f)),
            1);
}

TEST(LookupTest, SpecialValues) {
  EXPECT_EQ(nearestIndex(kNF4Values, 0, 1.0f), -1);
  EXPECT_EQ(nearestIndex(kNF4Values, -3, 1.0f), -1);
  EXPECT_EQ(nearestIndex(kNF4Values, 16, kNaN), 0);
  EXPECT_EQ(nearestIndex(kNF4Values, 16, kInf), 15);
  EXPECT_EQ(nearestIndex(kNF4Values, 16, -kInf), 0);
  const float withNaN[] = {kNaN, 4.0f, kNaN, 1.0f};
  EXPECT_EQ(nearestIndex(withNaN, 4, 0.0f), 3);
  EXPECT_EQ(nearestIndex(withNaN, 4, 3.0f), 1);
  EXPECT_EQ(nearestIndex(withNaN, 4, kInf), 1);
  const float allNaN[] = {kNaN, kNaN};
  EXPECT_EQ(nearestIndex(allNaN, 2, 1.0f), 0);
  const float withInf[] = {kInf, 2.0f, -kInf};
  EXPECT_EQ(nearestIndex(withInf, 3, 1e38f), 1);
  EXPECT_EQ(nearestIndex(withInf, 3, kInf), 0);
  EXPECT_EQ(nearestIndex(withInf, 3, -kInf), 2);
  const float onlyInf[] = {-kInf, kInf};
  EXPECT_EQ(nearestIndex(onlyInf, 2, 5.0f), 0);
}

TEST(LookupTest, MatchesBruteForceOnRandomTables) {
  // For moderate magnitudes the double difference of two floats is exact, so
  // a plain double scan is an independent reference.
  std::mt19937 rng(4242);
  std::uniform_real_distribution<float> value(-4.0f, 4.0f);
  std::uniform_int_distribution<int> size(1, 300);
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<float> table(static_cast<size_t>(size(rng)));
    for (float &v : table)
      v = std::round(value(rng) * 64.0f) / 64.0f; // Coarse grid: many ties.
    for (int q = 0; q < 100; ++q) {
      const float x =
          q % 2 ? value(rng) : std::round(value(rng) * 128.0f) / 128.0f;
      int32_t expected = 0;
      double bestDistance = std::fabs(static_cast<double>(table[0]) - x);
      for (size_t i = 1; i < table.size(); ++i) {
        const double d = std::fabs(static_cast<double>(table[i]) - x);
        if (d < bestDistance) {
          bestDistance = d;
          expected = static_cast<int32_t>(i);
        }
      }
      ASSERT_EQ(
          nearestIndex(table.data(), static_cast<int64_t>(table.size()), x),
          expected);
    }
  }
}

} // namespace

//===- Lookup.cpp - Lookup tables and nearest-value search ----------------===//
//
// Distances are compared exactly: each difference is kept as an unevaluated
// sum of a rounded double and its rounding error (TwoSum), so two table
// entries only tie when they are truly equally far from the input.
//
//===----------------------------------------------------------------------===//

#include "quant/Support/Lookup.h"

#include <cmath>
#include <limits>

using namespace mlir::qnt;

const float mlir::qnt::kNF4Values[16] = {
    -1.0f,
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
    1.0f,
};

namespace {

/// The exact distance |a - b| as head + tail, where head is the rounded
/// double distance and tail its rounding error. Ordering pairs
/// lexicographically orders the exact distances, because rounding is
/// monotonic and |tail| is at most half an ulp of head.
struct Distance {
  double head;
  double tail;

  bool operator<(const Distance &other) const {
    return head < other.head || (head == other.head && tail < other.tail);
  }
};

Distance exactDistance(float a, float b) {
  // Knuth's TwoSum of a + (-b) in double, which cannot overflow for finite
  // floats. It needs fp-contraction off to be exact.
  const double lhs = a;
  const double rhs = -static_cast<double>(b);
  const double sum = lhs + rhs;
  const double rhsPart = sum - lhs;
  const double lhsPart = sum - rhsPart;
  const double error = (lhs - lhsPart) + (rhs - rhsPart);
  if (sum < 0 || (sum == 0 && error < 0))
    return {-sum, -error};
  return {sum, error};
}

} // namespace

int32_t mlir::qnt::nearestIndex(const float *table, int64_t size, float x) {
  if (size <= 0)
    return -1;
  if (std::isnan(x))
    return 0;

  int64_t best = -1;
  if (std::isinf(x)) {
    // Every finite entry is infinitely far away; pick the extreme entry on
    // the side of x.
    for (int64_t i = 0; i < size; ++i) {
      if (std::isnan(table[i]))
        continue;
      if (best < 0 || (x > 0 ? table[i] > table[best] : table[i] < table[best]))
        best = i;
    }
    return best < 0 ? 0 : static_cast<int32_t>(best);
  }

  Distance bestDistance = {0.0, 0.0};
  for (int64_t i = 0; i < size; ++i) {
    const float value = table[i];
    if (std::isnan(value))
      continue;
    // An infinite entry is never nearer than a finite one; among infinite
    // entries only, the first wins.
    const Distance distance =
        std::isinf(value)
            ? Distance{std::numeric_limits<double>::infinity(), 0.0}
            : exactDistance(value, x);
    if (best < 0 || distance < bestDistance) {
      best = i;
      bestDistance = distance;
    }
  }
  return best < 0 ? 0 : static_cast<int32_t>(best);
}

//===- ReferenceCompositeTest.cpp - reference codecs of composites --------===//
//
// sparse (N:M, bitmap, CSR), outliers, low_rank and permuted: hand-computed
// bytes, exact round trips of already-sparse tensors, and identities.
//
//===----------------------------------------------------------------------===//

#include "ReferenceTestUtils.h"

#include <cmath>
#include <numeric>

using namespace mlir;
using namespace mlir::qnt;
using namespace mlir::qnt::testing;

namespace {

class SparseReferenceTest : public ReferenceTest {
protected:
  SparseAttr nm(unsigned n, unsigned m, int64_t axis = -1,
                Attribute values = {}) {
    return SparseAttr::get(&ctx, SparsityKind::NM, n, m, axis, 0, values);
  }
  SparseAttr unstructured(SparsityKind kind, int64_t nnz,
                          Attribute values = {}) {
    return SparseAttr::get(&ctx, kind, 0, 0, -1, nnz, values);
  }

  /// A tensor with exactly `n` non-zeros in every group of `m` along the
  /// innermost axis, at random offsets.
  std::vector<float> randomNMSparse(int64_t rows, int64_t cols, int n, int m) {
    std::vector<float> values(rows * cols, 0.0f);
    for (int64_t g = 0; g < rows * cols / m; ++g) {
      std::vector<int> offsets(m);
      std::iota(offsets.begin(), offsets.end(), 0);
      std::shuffle(offsets.begin(), offsets.end(), rng);
      for (int j = 0; j < n; ++j) {
        float v = randomValues(1, 0.5f, 4.0f)[0];
        values[g * m + offsets[j]] = (j % 2) ? -v : v;
      }
    }
    return values;
  }
};
class CompositeReferenceTest : public ReferenceTest {};

float relativeError(ArrayRef<float> got, ArrayRef<float> expected) {
  double num = 0.0, den = 0.0;
  for (auto [g, e] : llvm::zip_equal(got, expected)) {
    num += (double(g) - e) * (double(g) - e);
    den += double(e) * e;
  }
  return float(std::sqrt(num / den));
}

//===----------------------------------------------------------------------===//
// Sparse
//===----------------------------------------------------------------------===//

// Group 0 keeps -3 (offset 3) and 2 (offset 1), stored in offset order;
// group 1 has a three-way tie of magnitude 1 and keeps offsets 0 and 1.
TEST_F(SparseReferenceTest, KnownAnswer2of4Row) {
  SparseAttr attr = nm(2, 4);
  std::vector<float> row = {0.5f, 2.0f, 0.0f, -3.0f, 1.0f, 1.0f, -1.0f, 0.25f};
  PartsData parts = encode(attr, {1, 8}, row);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0], scalars(f32(), {2.0f, -3.0f, 1.0f, 1.0f}));
  // Positions 1, 3, 0, 1 at 2 bits: 0b01'00'11'01.
  EXPECT_EQ(parts[1], (Bytes{0x4D}));
  EXPECT_EQ(decode(attr, {1, 8}, parts),
            (std::vector<float>{0, 2, 0, -3, 1, 1, 0, 0}));
}

TEST_F(SparseReferenceTest, NMOfSparseTensorIsExact) {
  // Plain f32 and f16 values, 2:4 and 1:3 (3-column groups, 2-bit
  // positions), innermost axis.
  for (auto [n, m] : {std::pair{2, 4}, std::pair{1, 3}, std::pair{4, 8}}) {
    std::vector<float> values = randomNMSparse(5, 24, n, m);
    for (Attribute valueType : {Attribute(), Attribute(TypeAttr::get(f16()))}) {
      SparseAttr attr = nm(n, m, -1, valueType);
      PartsData parts = encode(attr, {5, 24}, values);
      expectPartSizes(attr, {5, 24}, parts);
      std::vector<float> decoded = decode(attr, {5, 24}, parts);
      for (auto [d, v] : llvm::zip_equal(decoded, values))
        EXPECT_EQ(d, valueType ? halfBitsToFloat(floatToHalfBits(v)) : v);
      // Re-encoding the decoded tensor reproduces every byte.
      EXPECT_EQ(encode(attr, {5, 24}, decoded), parts);
    }
  }
}

TEST_F(SparseReferenceTest, NMOverInt4IsExact) {
  // Integers in [-7, 7] with 7 in every row: per-channel int4 with s = 1
  // holds them exactly.
  std::vector<float> values = randomNMSparse(4, 20, 2, 4);
  for (float &v : values)
    v = std::round(v);
  for (int64_t r = 0; r < 4; ++r) {
    values[r * 20 + 0] = 7.0f;
    values[r * 20 + 1] = 0.0f;
    values[r * 20 + 2] = 0.0f;
    values[r * 20 + 3] = -5.0f;
  }
  UniformAttr int4 = uniform(4, true, Granularity::perChannel(0), f16());
  SparseAttr attr = nm(2, 4, -1, int4);
  PartsData parts = encode(attr, {4, 20}, values);
  // values.codes, values.scales, positions.
  ASSERT_EQ(parts.size(), 3u);
  expectPartSizes(attr, {4, 20}, parts);
  EXPECT_EQ(decode(attr, {4, 20}, parts), values);
  // The value encoding saw a [4, 10] tensor: scale 1 per row.
  for (int r = 0; r < 4; ++r)
    EXPECT_EQ(readScalar(parts[1], f16(), r), 1.0f);
}

TEST_F(SparseReferenceTest, NMAlongOuterAxis) {
  // 2:4 along axis 0 of [8, 5]: kept values have shape [4, 5].
  std::vector<float> transposed = randomNMSparse(5, 8, 2, 4);
  std::vector<float> values(40);
  for (int r = 0; r < 8; ++r)
    for (int c = 0; c < 5; ++c)
      values[r * 5 + c] = transposed[c * 8 + r];
  SparseAttr attr = nm(2, 4, 0);
  PartsData parts = encode(attr, {8, 5}, values);
  expectPartSizes(attr, {8, 5}, parts);
  EXPECT_EQ(parts[0].size(), 4u * 5u * 4u);
  EXPECT_EQ(decode(attr, {8, 5}, parts), values);
}

TEST_F(SparseReferenceTest, PackUnpackIdentityRandomMetadata) {
  // N:M with random distinct increasing positions and non-zero values.
  {
    SparseAttr attr = nm(2, 4);
    std::vector<float> dense = randomNMSparse(3, 12, 2, 4);
    PartsData parts = encode(attr, {3, 12}, dense);
    std::vector<float> decoded = decode(attr, {3, 12}, parts);
    EXPECT_EQ(decoded, dense);
    EXPECT_EQ(encode(attr, {3, 12}, decoded), parts);
  }
  // Bitmap and CSR: random bitmaps with nnz = popcount.
  for (SparsityKind kind : {SparsityKind::Bitmap, SparsityKind::CSR}) {
    std::vector<int32_t> bits = randomCodes(7 * 9, 0, 1);
    int64_t nnz = std::accumulate(bits.begin(), bits.end(), int64_t(0));
    std::vector<float> kept = randomValues(nnz, 0.5f, 3.0f);
    std::vector<int32_t> offsets = {0}, cols;
    for (int r = 0; r < 7; ++r) {
      for (int c = 0; c < 9; ++c)
        if (bits[r * 9 + c])
          cols.push_back(c);
      offsets.push_back(int32_t(cols.size()));
    }
    SparseAttr attr = unstructured(kind, nnz);
    PartsData parts;
    parts.push_back(scalars(f32(), kept));
    if (kind == SparsityKind::Bitmap) {
      parts.push_back(packed(bits, {7, 9}, 1));
      parts.push_back(int32s(offsets));
    } else {
      parts.push_back(int32s(offsets));
      parts.push_back(int32s(cols));
    }
    expectPartSizes(attr, {7, 9}, parts);
    std::vector<float> decoded = decode(attr, {7, 9}, parts);
    EXPECT_EQ(encode(attr, {7, 9}, decoded), parts);
  }
}

// CSR by hand; with nnz 2 the two largest magnitudes (5, -2) are kept.
TEST_F(SparseReferenceTest, KnownAnswerCSR) {
  std::vector<float> dense = {0, 5, 0, 0, 0, 0, 0, 0, 1, 0, 0, -2};
  SparseAttr attr = unstructured(SparsityKind::CSR, 3);
  PartsData parts = encode(attr, {3, 4}, dense);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[0], scalars(f32(), {5.0f, 1.0f, -2.0f}));
  EXPECT_EQ(parts[1], int32s({0, 1, 1, 3}));
  EXPECT_EQ(parts[2], int32s({1, 0, 3}));
  EXPECT_EQ(decode(attr, {3, 4}, parts), dense);

  SparseAttr two = unstructured(SparsityKind::CSR, 2);
  parts = encode(two, {3, 4}, dense);
  EXPECT_EQ(parts[0], scalars(f32(), {5.0f, -2.0f}));
  EXPECT_EQ(parts[1], int32s({0, 1, 1, 2}));
  EXPECT_EQ(parts[2], int32s({1, 3}));

  // Bitmap of the same tensor, nnz 5: two trailing value slots are zero.
  SparseAttr bitmap = unstructured(SparsityKind::Bitmap, 5);
  parts = encode(bitmap, {3, 4}, dense);
  EXPECT_EQ(parts[0], scalars(f32(), {5.0f, 1.0f, -2.0f, 0.0f, 0.0f}));
  EXPECT_EQ(parts[1], (Bytes{0x02, 0x00, 0x09}));
  EXPECT_EQ(parts[2], int32s({0, 1, 1, 3}));
  EXPECT_EQ(decode(bitmap, {3, 4}, parts), dense);
}

TEST_F(SparseReferenceTest, UnstructuredOfSparseTensorIsExact) {
  std::vector<float> dense(5 * 11, 0.0f);
  for (int i = 0; i < 55; i += 4)
    dense[i] = float(i % 7) - 3.0f; // some of these are zero anyway
  int64_t nonZeros = std::count_if(dense.begin(), dense.end(),
                                   [](float x) { return x != 0.0f; });
  for (SparsityKind kind : {SparsityKind::Bitmap, SparsityKind::CSR}) {
    for (int64_t nnz : {nonZeros, nonZeros + 3}) {
      SparseAttr attr = unstructured(kind, nnz);
      PartsData parts = encode(attr, {5, 11}, dense);
      expectPartSizes(attr, {5, 11}, parts);
      EXPECT_EQ(decode(attr, {5, 11}, parts), dense);
    }
    // Over int8 values per tensor: s = 3 / 127, so within half a step.
    SparseAttr int8 = unstructured(
        kind, nonZeros, uniform(8, true, Granularity::perTensor(), f32()));
    PartsData parts = encode(int8, {5, 11}, dense);
    std::vector<float> decoded = decode(int8, {5, 11}, parts);
    for (auto [d, v] : llvm::zip_equal(decoded, dense)) {
      if (v == 0.0f)
        EXPECT_EQ(d, 0.0f);
      else
        EXPECT_NEAR(d, v, 0.5f * 3.0f / 127.0f);
    }
  }
}

//===----------------------------------------------------------------------===//
// Outliers
//===----------------------------------------------------------------------===//

TEST_F(CompositeReferenceTest, OutliersCoveringAllNonZerosAreExact) {
  std::vector<float> dense(3 * 7, 0.0f);
  dense[2] = 1.25f;
  dense[8] = -300.0f;
  dense[9] = 0.001f;
  dense[15] = 7.5f;
  dense[20] = -2.0f;
  UniformAttr base = uniform(4, true, Granularity::perGroup(1, 4), f16());
  for (int64_t nnz : {5, 6}) {
    auto attr = OutliersAttr::get(&ctx, base, nnz, f32());
    PartsData parts = encode(attr, {3, 7}, dense);
    // base.codes, base.scales, row offsets, cols, values.
    ASSERT_EQ(parts.size(), 5u);
    expectPartSizes(attr, {3, 7}, parts);
    EXPECT_EQ(parts[2], int32s({0, 1, 3, 5}));
    EXPECT_EQ(decode(attr, {3, 7}, parts), dense);
  }
}

// Random base codes (zero under the outliers) and outliers larger than any
// base value: decode, then encode without parameters, gives the same bytes.
TEST_F(CompositeReferenceTest, OutliersPackUnpackIdentity) {
  SmallVector<int64_t> shape = {4, 9};
  UniformAttr base = uniform(8, true, Granularity::perTensor(), f16());
  auto attr = OutliersAttr::get(&ctx, base, 5, f16());
  std::vector<int32_t> codes = randomCodes(36, -127, 127);
  codes[0] = 127;
  std::vector<int32_t> positions = {3, 11, 12, 20, 35};
  std::vector<int32_t> offsets = {0, 1, 3, 4, 5}, cols;
  std::vector<float> outliers;
  for (int32_t position : positions) {
    codes[position] = 0;
    cols.push_back(position % 9);
    float v = float(randomCodes(1, 100, 2000)[0]);
    outliers.push_back(position % 2 ? -v : v);
  }
  PartsData parts = {packed(codes, shape, 8), scalars(f16(), {0.5f}),
                     int32s(offsets), int32s(cols), scalars(f16(), outliers)};
  expectPartSizes(attr, shape, parts);
  std::vector<float> values = decode(attr, shape, parts);
  EXPECT_EQ(values[11], outliers[1]);
  EXPECT_EQ(values[0], 63.5f);
  EXPECT_EQ(encode(attr, shape, values), parts);
}

TEST_F(CompositeReferenceTest, OutliersShrinkTheError) {
  SmallVector<int64_t> shape = {8, 32};
  std::vector<float> values = randomValues(256, -1.0f, 1.0f);
  values[5] = 40.0f;
  values[77] = -25.0f;
  values[200] = 31.0f;
  UniformAttr base = uniform(4, true, Granularity::perChannel(0), f16());
  std::vector<float> baseOnly =
      decode(base, shape, encode(base, shape, values));
  auto attr = OutliersAttr::get(&ctx, base, 3, f16());
  PartsData parts = encode(attr, shape, values);
  std::vector<float> withOutliers = decode(attr, shape, parts);
  EXPECT_EQ(parts[parts.size() - 2], int32s({5, 13, 8}));
  // The outliers themselves are exact up to f16 rounding of x - base(x).
  EXPECT_NEAR(withOutliers[5], 40.0f, 0.02f);
  EXPECT_LT(relativeError(withOutliers, values),
            0.2f * relativeError(baseOnly, values));
}

//===----------------------------------------------------------------------===//
// Low rank
//===----------------------------------------------------------------------===//

TEST_F(CompositeReferenceTest, LowRankFullRankReconstructs) {
  for (auto [rows, cols] : {std::pair{6, 9}, std::pair{9, 5}}) {
    SmallVector<int64_t> shape = {rows, cols};
    std::vector<float> values = randomValues(rows * cols, -2.0f, 2.0f);
    UniformAttr base = uniform(3, true, Granularity::perTensor(), f32());
    auto attr = LowRankAttr::get(&ctx, base, std::min(rows, cols),
                                 Float32Type::get(&ctx));
    PartsData parts = encode(attr, shape, values);
    expectPartSizes(attr, shape, parts);
    std::vector<float> decoded = decode(attr, shape, parts);
    EXPECT_LT(relativeError(decoded, values), 1e-3f);
  }
}

TEST_F(CompositeReferenceTest, LowRankRecoversALowRankResidual) {
  // x = D + L: D integer codes with absmax 7 (int4 per tensor, s = 1 after
  // f16 rounding) and L a rank-2 term below half a step, so the base decodes
  // to D and the residual is exactly L, which rank-2 f16 factors capture.
  SmallVector<int64_t> shape = {3, 4, 10};
  std::vector<int32_t> codes = randomCodes(120, -6, 6);
  codes[17] = 7;
  std::vector<float> a = randomValues(12 * 2, -0.03f, 0.03f);
  std::vector<float> b = randomValues(2 * 10, -0.03f, 0.03f);
  std::vector<float> values(120);
  for (int r = 0; r < 12; ++r)
    for (int c = 0; c < 10; ++c)
      values[r * 10 + c] =
          float(codes[r * 10 + c]) + a[r * 2] * b[c] + a[r * 2 + 1] * b[10 + c];
  UniformAttr base = uniform(4, true, Granularity::perTensor(), f16());
  std::vector<float> baseOnly =
      decode(base, shape, encode(base, shape, values));
  for (int i = 0; i < 120; ++i)
    ASSERT_EQ(baseOnly[i], float(codes[i]));
  auto attr = LowRankAttr::get(&ctx, base, 2, f16());
  PartsData parts = encode(attr, shape, values);
  expectPartSizes(attr, shape, parts);
  std::vector<float> decoded = decode(attr, shape, parts);
  double baseError = 0.0, lowRankError = 0.0;
  for (int i = 0; i < 120; ++i) {
    baseError = std::max(baseError, double(std::fabs(baseOnly[i] - values[i])));
    lowRankError =
        std::max(lowRankError, double(std::fabs(decoded[i] - values[i])));
  }
  EXPECT_GT(baseError, 1e-4);
  EXPECT_LT(lowRankError, 0.01 * baseError);
}

TEST_F(CompositeReferenceTest, LowRankDecodeByHand) {
  // Base ternary with s = 1, u = [[1, 2]], v = [[0.5, 1, 0], [1, 0, -1]].
  auto base = TernaryAttr::get(&ctx, Granularity::perTensor(), f32());
  auto attr = LowRankAttr::get(&ctx, base, 2, f32());
  PartsData parts = {Bytes{0x31}, scalars(f32(), {1.0f}),
                     scalars(f32(), {1.0f, 2.0f}),
                     scalars(f32(), {0.5f, 1.0f, 0.0f, 1.0f, 0.0f, -1.0f})};
  // Base codes 1, 0, -1 (0b11'00'01); x = base + u v.
  EXPECT_EQ(decode(attr, {1, 3}, parts),
            (std::vector<float>{1.0f + 2.5f, 0.0f + 1.0f, -1.0f - 2.0f}));
}

//===----------------------------------------------------------------------===//
// Permuted
//===----------------------------------------------------------------------===//

// Channel absmax [1, 5, 3, 5]: descending stable order 1, 3, 2, 0, so
// perm = [3, 0, 2, 1] (x[..., i] = base[..., perm[i]]).
TEST_F(CompositeReferenceTest, KnownAnswerPermutation) {
  auto base = uniform(8, true, Granularity::perChannel(1), f32());
  auto attr = PermutedAttr::get(&ctx, base, 1);
  std::vector<float> values = {1, -5, 3, 0, -1, 2, -1, 5};
  PartsData parts = encode(attr, {2, 4}, values);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[2], int32s({3, 0, 2, 1}));
  // The base sees the channels in order 1, 3, 2, 0.
  std::vector<float> reordered = {-5, 0, 3, 1, 2, 5, -1, -1};
  PartsData baseParts = encode(base, {2, 4}, reordered);
  EXPECT_EQ(parts[0], baseParts[0]);
  EXPECT_EQ(parts[1], baseParts[1]);
  std::vector<float> baseDecoded = decode(base, {2, 4}, baseParts);
  std::vector<float> decoded = decode(attr, {2, 4}, parts);
  int perm[4] = {3, 0, 2, 1};
  for (int r = 0; r < 2; ++r)
    for (int i = 0; i < 4; ++i)
      EXPECT_EQ(decoded[r * 4 + i], baseDecoded[r * 4 + perm[i]]);
}

TEST_F(CompositeReferenceTest, PermutedMatchesUnpermutedBase) {
  SmallVector<int64_t> shape = {6, 10};
  std::vector<float> values = randomValues(60, -1.0f, 1.0f);
  for (int r = 0; r < 6; ++r)
    values[r * 10 + 7] *= 20.0f; // an outlier channel
  // Per-channel scales along the permuted axis: each channel is quantized on
  // its own, so the permutation changes nothing numerically.
  for (int64_t axis : {1, -1}) {
    auto base = uniform(4, true, Granularity::perChannel(1), f16());
    auto attr = PermutedAttr::get(&ctx, base, axis);
    PartsData parts = encode(attr, shape, values);
    expectPartSizes(attr, shape, parts);
    EXPECT_EQ(readInt32(parts.back(), 7), 0); // the outlier channel first
    EXPECT_EQ(decode(attr, shape, parts),
              decode(base, shape, encode(base, shape, values)));
  }
  // Per-group along the permuted axis: the base encodes the reordered tensor,
  // and the decode undoes the reordering.
  auto grouped = uniform(4, true, Granularity::perGroup(0, 4), f16());
  auto attr = PermutedAttr::get(&ctx, grouped, 0);
  PartsData parts = encode(attr, shape, values);
  std::vector<float> decoded = decode(attr, shape, parts);
  SmallVector<ArrayRef<uint8_t>> all = refs(parts);
  std::vector<float> baseDecoded =
      decode(grouped, shape, ArrayRef(all).drop_back());
  for (int i = 0; i < 6; ++i) {
    int32_t source = readInt32(parts.back(), i);
    for (int c = 0; c < 10; ++c)
      EXPECT_EQ(decoded[i * 10 + c], baseDecoded[source * 10 + c]);
  }
}

// A base whose channel absmaxes already descend re-encodes to the same bytes
// under any stored permutation.
TEST_F(CompositeReferenceTest, PermutedPackUnpackIdentity) {
  SmallVector<int64_t> shape = {5, 6};
  auto base = uniform(4, true, Granularity::perChannel(1), f16());
  auto attr = PermutedAttr::get(&ctx, base, 1);
  std::vector<int32_t> codes = randomCodes(30, -7, 7);
  for (int c = 0; c < 6; ++c)
    codes[(c % 5) * 6 + c] = 7; // every channel reaches qmaxPos
  std::vector<float> scales = {2.0f, 1.5f, 1.0f, 0.75f, 0.5f, 0.25f};
  std::vector<int32_t> perm = {4, 0, 5, 2, 1, 3};
  PartsData parts = {packed(codes, shape, 4), scalars(f16(), scales),
                     int32s(perm)};
  std::vector<float> values = decode(attr, shape, parts);
  EXPECT_EQ(encode(attr, shape, values), parts);
}

} // namespace

//===- ReferenceBitsAndErrorsTest.cpp - bit counts and diagnostics --------===//
//
// Exact bits per weight of the headline formats, and the diagnostics the
// reference codecs give for malformed input.
//
//===----------------------------------------------------------------------===//

#include "ReferenceTestUtils.h"

using namespace mlir;
using namespace mlir::qnt;
using namespace mlir::qnt::testing;

namespace {

class BitsPerWeightTest : public ReferenceTest {
protected:
  double bpw(Attribute attr, ArrayRef<int64_t> shape) {
    return cast<EncodingAttrInterface>(attr).getBitsPerWeight(shape);
  }
  const SmallVector<int64_t> big = {4096, 4096};
  const double numel = 4096.0 * 4096.0;
};
class ReferenceErrorTest : public ReferenceTest {
protected:
  /// Expects failure and a diagnostic containing `message`.
  void expectError(LogicalResult result, StringRef message) {
    EXPECT_TRUE(failed(result));
    ASSERT_FALSE(diagnostics.empty()) << "no diagnostic for: " << message.str();
    EXPECT_NE(diagnostics.back().find(message.str()), std::string::npos)
        << "got: " << diagnostics.back();
    diagnostics.clear();
  }
};

TEST_F(BitsPerWeightTest, Uniform) {
  EXPECT_EQ(bpw(uniform(4, true, Granularity::perGroup(1, 128), f16()), big),
            4.125);
  EXPECT_EQ(bpw(uniform(8, true, Granularity::perChannel(0), f32()), big),
            8.0 + 32.0 / 4096.0);
  // Asymmetric adds a 4-bit zero point per group of 32.
  EXPECT_EQ(
      bpw(uniform(4, false, Granularity::perGroup(1, 32), f16(), false), big),
      4.0 + 16.0 / 32.0 + 4.0 / 32.0);
  // Double quant: 8-bit scale codes per 64 plus an f32 per 256 scales.
  EXPECT_EQ(
      bpw(uniform(4, false, Granularity::perGroup(1, 64), f16(), true, 8, 256),
          big),
      4.0 + 8.0 / 64.0 + 32.0 / (64.0 * 256.0));
}

TEST_F(BitsPerWeightTest, Minifloat) {
  Type e8m0 = Float8E8M0FNUType::get(&ctx);
  auto mxfp4 = MinifloatAttr::get(&ctx, Float4E2M1FNType::get(&ctx),
                                  Granularity::perGroup(-1, 32), e8m0, false);
  EXPECT_EQ(bpw(mxfp4, big), 4.25);
  auto mxfp8 = MinifloatAttr::get(&ctx, Float8E4M3FNType::get(&ctx),
                                  Granularity::perGroup(-1, 32), e8m0, false);
  EXPECT_EQ(bpw(mxfp8, big), 8.25);
  auto nvfp4 = MinifloatAttr::get(&ctx, Float4E2M1FNType::get(&ctx),
                                  Granularity::perGroup(-1, 16),
                                  Float8E4M3FNType::get(&ctx), true);
  EXPECT_EQ(bpw(nvfp4, big), 4.5 + 32.0 / numel);
}

TEST_F(BitsPerWeightTest, SignLutCodebook) {
  EXPECT_EQ(bpw(TernaryAttr::get(&ctx, Granularity::perTensor(), f32()), big),
            2.0 + 32.0 / numel);
  EXPECT_EQ(bpw(BinaryAttr::get(&ctx, Granularity::perChannel(0), f16()), big),
            1.0 + 16.0 / 4096.0);
  auto nf4 = LutAttr::get(&ctx, 4, Granularity::perGroup(1, 64),
                          DenseF32ArrayAttr::get(&ctx, std::vector<float>(16)),
                          Type(), f16());
  EXPECT_EQ(bpw(nf4, big), 4.25);
  // 2 stages of 8-bit indices per 8 weights, plus 2 x 256 x 8 f16 entries.
  auto codebook = CodebookAttr::get(&ctx, 8, 256, 2, f16(), Type());
  EXPECT_EQ(bpw(codebook, big), 2.0 + 2.0 * 256 * 8 * 16 / numel);
}

TEST_F(BitsPerWeightTest, Composites) {
  UniformAttr int4 = uniform(4, true, Granularity::perGroup(1, 128), f16());
  // 2:4 over int4: half the weights at 4.125 bits plus 2-bit positions.
  auto sparse = SparseAttr::get(&ctx, SparsityKind::NM, 2, 4, -1, 0, int4);
  EXPECT_EQ(bpw(sparse, big), 0.5 * 4.125 + 0.5 * 2.0);
  auto lowRank = LowRankAttr::get(&ctx, int4, 16, f16());
  EXPECT_EQ(bpw(lowRank, big), 4.125 + (4096.0 + 4096.0) * 16 * 16 / numel);
  auto outliers = OutliersAttr::get(&ctx, int4, 4096, f16());
  EXPECT_EQ(bpw(outliers, big),
            4.125 + (4097.0 * 32 + 4096.0 * (32 + 16)) / numel);
  auto permuted = PermutedAttr::get(&ctx, int4, 1);
  EXPECT_EQ(bpw(permuted, big), 4.125 + 4096.0 * 32 / numel);
}

TEST_F(ReferenceErrorTest, WrongPartsAndSizes) {
  UniformAttr attr =
      uniform(4, false, Granularity::perGroup(1, 4), f16(), false);
  SmallVector<int64_t> shape = {2, 10};
  std::vector<float> out(20);
  Bytes codes(10), scales(12), zeros(4);
  expectError(attr.referenceDecode(shape, {codes, scales}, out, emitter()),
              "expected 3 parts, got 2");
  Bytes shortScales(10);
  expectError(
      attr.referenceDecode(shape, {codes, shortScales, zeros}, out, emitter()),
      "part 'scales' has 10 bytes, expected 12");
  expectError(attr.referenceDecode(shape, {codes, scales, zeros},
                                   MutableArrayRef(out).drop_back(), emitter()),
              "expected an output of 20 elements, got 19");
  EXPECT_TRUE(succeeded(
      attr.referenceDecode(shape, {codes, scales, zeros}, out, emitter())));

  PartsData parts;
  std::vector<float> values(19);
  expectError(attr.referenceEncode(shape, values, {}, parts, emitter()),
              "expected 20 values, got 19");
  values.resize(20);
  expectError(attr.referenceEncode(shape, values, {scales}, parts, emitter()),
              "expected 2 parameter parts, got 1");
  expectError(attr.referenceEncode(shape, values, {shortScales, zeros}, parts,
                                   emitter()),
              "part 'scales' has 10 bytes, expected 12");
}

TEST_F(ReferenceErrorTest, MalformedMetadata) {
  std::vector<float> out(12);
  // CSR column index past the row.
  auto csr = SparseAttr::get(&ctx, SparsityKind::CSR, 0, 0, -1, 2, Attribute());
  expectError(csr.referenceDecode({3, 4},
                                  {scalars(f32(), {1, 2}), int32s({0, 1, 1, 2}),
                                   int32s({1, 4})},
                                  out, emitter()),
              "column index 4 is out of range for 4 columns");
  expectError(csr.referenceDecode({3, 4},
                                  {scalars(f32(), {1, 2}), int32s({0, 3, 1, 2}),
                                   int32s({1, 2})},
                                  out, emitter()),
              "row offset 3 of row 1 is out of range [0, 2]");
  // Bitmap with more set bits than values.
  auto bitmap =
      SparseAttr::get(&ctx, SparsityKind::Bitmap, 0, 0, -1, 1, Attribute());
  expectError(bitmap.referenceDecode({3, 4},
                                     {scalars(f32(), {1}), Bytes{0x03, 0, 0},
                                      int32s({0, 2, 2, 2})},
                                     out, emitter()),
              "refers to value 1 outside [0, 1)");
  // Permutation entry out of range.
  auto permuted = PermutedAttr::get(
      &ctx, TernaryAttr::get(&ctx, Granularity::perTensor(), f32()), 0);
  expectError(permuted.referenceDecode(
                  {3, 4}, {Bytes(3), scalars(f32(), {1}), int32s({0, 3, 1})},
                  out, emitter()),
              "permutation entry 3 is out of range for extent 3");
  // Codebook index beyond the entries.
  auto codebook = CodebookAttr::get(&ctx, 2, 3, 1, f32(), Type());
  expectError(codebook.referenceDecode(
                  {3, 4},
                  {Bytes{0x03, 0x00, 0x00}, scalars(f32(), {0, 0, 0, 0, 0, 0})},
                  out, emitter()),
              "codebook index 3 out of range for 3 entries");
  // A nested failure surfaces through the composite.
  auto sparse =
      SparseAttr::get(&ctx, SparsityKind::NM, 2, 4, -1, 0,
                      uniform(4, true, Granularity::perTensor(), f32()));
  expectError(sparse.referenceDecode({3, 4}, {Bytes(3), Bytes(3), Bytes(3)},
                                     out, emitter()),
              "part 'values.scales' has 3 bytes, expected 4");
}

TEST_F(ReferenceErrorTest, InvalidShapesAndParams) {
  PartsData parts;
  // N:M needs the axis extent to be a multiple of M.
  auto nm = SparseAttr::get(&ctx, SparsityKind::NM, 2, 4, -1, 0, Attribute());
  expectError(
      nm.referenceEncode({2, 6}, std::vector<float>(12), {}, parts, emitter()),
      "extent 6 along axis 1 is not a multiple of M = 4");
  // Composites take no parameter parts.
  Bytes extra(4);
  expectError(nm.referenceEncode({2, 8}, std::vector<float>(16), {extra}, parts,
                                 emitter()),
              "expected 0 parameter parts, got 1");
  // Codebook vectors must tile the innermost axis.
  auto codebook = CodebookAttr::get(&ctx, 4, 16, 1, f16(), Type());
  expectError(codebook.referenceEncode({2, 6}, std::vector<float>(12), {},
                                       parts, emitter()),
              "innermost extent 6 is not a multiple of the vector dim 4");
  // Symmetric 1-bit codes cannot derive a scale.
  expectError(
      uniform(1, true, Granularity::perTensor(), f32())
          .referenceEncode({4}, std::vector<float>(4), {}, parts, emitter()),
      "symmetric quantization needs at least 2 bits");
  // Granularity axis out of range.
  expectError(uniform(4, true, Granularity::perChannel(2), f32())
                  .referenceEncode({4, 4}, std::vector<float>(16), {}, parts,
                                   emitter()),
              "axis 2 is out of range for rank 2");
  // Rank 0.
  expectError(
      uniform(4, true, Granularity::perTensor(), f32())
          .referenceEncode({}, std::vector<float>(1), {}, parts, emitter()),
      "expected a tensor of rank >= 1");
}

} // namespace

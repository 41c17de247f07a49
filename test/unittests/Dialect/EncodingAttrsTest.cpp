//===- EncodingAttrsTest.cpp - C++ API of the qnt encoding attributes -----===//
//
// Accessors (code ranges, preset names, NF4 detection) and the getChecked
// failure paths that the textual syntax cannot reach.
//
//===----------------------------------------------------------------------===//

#include "quant/Dialect/Qnt/IR/QntAttrs.h"
#include "quant/Dialect/Qnt/IR/QntDialect.h"
#include "quant/Support/Lookup.h"

#include "mlir/AsmParser/AsmParser.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"

#include "gtest/gtest.h"

#include <functional>
#include <string>

using namespace mlir;
using namespace mlir::qnt;

namespace {

class EncodingAttrsTest : public ::testing::Test {
protected:
  EncodingAttrsTest() { context.loadDialect<QntDialect>(); }

  /// Parses `text`; returns null (and records the diagnostic) on failure.
  Attribute parse(StringRef text) { return parseAttribute(text, &context); }

  /// Emits diagnostics into `lastError` instead of stderr.
  std::function<InFlightDiagnostic()> emitError() {
    return [this] { return mlir::emitError(UnknownLoc::get(&context)); };
  }

  MLIRContext context;
  std::string lastError;
  ScopedDiagnosticHandler handler{&context, [this](Diagnostic &diag) {
                                    lastError = diag.str();
                                    return success();
                                  }};
};

TEST_F(EncodingAttrsTest, UniformCodeRange) {
  struct Case {
    const char *text;
    int64_t qmin, qmax;
  } cases[] = {
      {"#qnt.uniform<i8, per_tensor, scale = f32>", -128, 127},
      {"#qnt.uniform<ui8, per_tensor, scale = f32>", 0, 255},
      {"#qnt.uniform<i4, per_channel(0), scale = f16>", -8, 7},
      {"#qnt.uniform<ui4, per_tensor, scale = f32, asymmetric>", 0, 15},
      {"#qnt.uniform<i3, per_tensor, scale = f32>", -4, 3},
      {"#qnt.uniform<i1, per_tensor, scale = f32, asymmetric>", -1, 0},
      {"#qnt.uniform<ui1, per_tensor, scale = f32, asymmetric>", 0, 1},
  };
  for (const Case &c : cases) {
    auto attr = dyn_cast_or_null<UniformAttr>(parse(c.text));
    ASSERT_TRUE(attr) << c.text << ": " << lastError;
    EXPECT_EQ(attr.getQMin(), c.qmin) << c.text;
    EXPECT_EQ(attr.getQMax(), c.qmax) << c.text;
  }
}

TEST_F(EncodingAttrsTest, MinifloatPresetNames) {
  struct Case {
    const char *text, *preset;
  } cases[] = {
      {"#qnt.float<mxfp8>", "mxfp8"},
      {"#qnt.float<mxfp6>", "mxfp6"},
      {"#qnt.float<mxfp4>", "mxfp4"},
      {"#qnt.float<nvfp4>", "nvfp4"},
      {"#qnt.float<f4E2M1FN, per_group(-1, 32), scale = f8E8M0FNU>", "mxfp4"},
      {"#qnt.float<f4E2M1FN, per_group(-1, 32), scale = f8E8M0FNU, "
       "tensor_scale>",
       ""},
      {"#qnt.float<f6E3M2FN, per_group(-1, 32), scale = f8E8M0FNU>", ""},
      {"#qnt.float<f8E4M3FN, per_group(-1, 32), scale = f32>", ""},
      {"#qnt.float<f4E2M1FN, per_group(0, 16), scale = f8E4M3FN, "
       "tensor_scale>",
       ""},
      {"#qnt.float<f8E4M3FN>", ""},
  };
  for (const Case &c : cases) {
    auto attr = dyn_cast_or_null<MinifloatAttr>(parse(c.text));
    ASSERT_TRUE(attr) << c.text << ": " << lastError;
    EXPECT_EQ(attr.getPresetName().str(), c.preset) << c.text;
  }
  // The preset expands to its parameters.
  auto nvfp4 = cast<MinifloatAttr>(parse("#qnt.float<nvfp4>"));
  EXPECT_TRUE(isa<Float4E2M1FNType>(nvfp4.getFormat()));
  EXPECT_TRUE(isa<Float8E4M3FNType>(nvfp4.getScaleType()));
  EXPECT_EQ(nvfp4.getGranularity(), Granularity::perGroup(-1, 16));
  EXPECT_TRUE(nvfp4.getTensorScale());
}

TEST_F(EncodingAttrsTest, LutNF4) {
  auto nf4 = cast<LutAttr>(parse("#qnt.lut<nf4, per_group(1, 64), scale = "
                                 "f16>"));
  EXPECT_TRUE(nf4.isNF4());
  EXPECT_EQ(nf4.getBits(), 4u);
  ASSERT_EQ(nf4.getValues().size(), 16);
  for (int i = 0; i < 16; ++i)
    EXPECT_EQ(nf4.getValues()[i], kNF4Values[i]);

  auto stored = cast<LutAttr>(parse("#qnt.lut<4, per_tensor, table = f16>"));
  EXPECT_FALSE(stored.isNF4());
  auto other = cast<LutAttr>(parse(
      "#qnt.lut<2, per_tensor, values = [-1.5, -0.5, 0.5, 1.5], scale = f32>"));
  EXPECT_FALSE(other.isNF4());
}

TEST_F(EncodingAttrsTest, CheckedConstructionFailures) {
  Builder b(&context);
  Granularity perTensor = Granularity::perTensor();

  EXPECT_FALSE(UniformAttr::getChecked(emitError(), &context,
                                       b.getIntegerType(4), perTensor, Type(),
                                       true, 0u, int64_t(0)));
  EXPECT_EQ(lastError, "uniform scale type is required");

  EXPECT_FALSE(SparseAttr::getChecked(emitError(), &context,
                                      SparsityKind::Bitmap, 2u, 4u, int64_t(-1),
                                      int64_t(8), Attribute()));
  EXPECT_EQ(lastError, "bitmap sparsity takes no n:m");

  EXPECT_FALSE(OutliersAttr::getChecked(emitError(), &context, Attribute(),
                                        int64_t(4), Type(b.getF16Type())));
  EXPECT_EQ(lastError, "outliers base is required");

  auto uniform = UniformAttr::getChecked(
      emitError(), &context, b.getIntegerType(4), perTensor,
      Type(b.getF32Type()), true, 0u, int64_t(0));
  ASSERT_TRUE(uniform);
  EXPECT_TRUE(PermutedAttr::getChecked(emitError(), &context,
                                       Attribute(uniform), int64_t(0)));
  EXPECT_TRUE(SparseAttr::getChecked(emitError(), &context, SparsityKind::CSR,
                                     0u, 0u, int64_t(-1), int64_t(8),
                                     Attribute(uniform)));
}

TEST_F(EncodingAttrsTest, VerifyEncodingOnTensorConstruction) {
  auto attr = cast<CodebookAttr>(parse(
      "#qnt.codebook<dim = 4, entries = 16, stages = 1, codebook = f16>"));
  Builder b(&context);
  EXPECT_TRUE(RankedTensorType::getChecked(emitError(), ArrayRef<int64_t>{3, 8},
                                           b.getF32Type(), attr));
  EXPECT_FALSE(RankedTensorType::getChecked(
      emitError(), ArrayRef<int64_t>{3, 6}, b.getF32Type(), attr));
  EXPECT_EQ(lastError,
            "innermost extent 6 is not a multiple of the codebook dim 4");
}

} // namespace

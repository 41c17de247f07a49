//===- CalibrationTest.cpp - activation statistics and calibration --------===//
//
// LayerInputStats against direct computation (batches that straddle the
// X^T X chunk), layer naming, and calibrateModel end to end through the JIT
// on .npy samples written here.
//
//===----------------------------------------------------------------------===//

#include "quant/Compiler/Calibration.h"
#include "quant/Dialect/Qnt/IR/QntOps.h"
#include "quant/InitAll.h"
#include "quant/Runtime/Npy.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Parser/Parser.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

using namespace mlir;
using namespace mlir::qnt;

namespace {

std::vector<float> randomRows(int64_t rows, int64_t k, unsigned seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> data(rows * k);
  for (float &value : data)
    value = normal(gen);
  // A channel of much larger magnitude, as real activations have.
  for (int64_t r = 0; r < rows; ++r)
    data[r * k + 1] *= 30.0f;
  return data;
}

/// The statistics of `data` ([rows, k]) computed directly.
struct Direct {
  float min = std::numeric_limits<float>::infinity();
  float max = -std::numeric_limits<float>::infinity();
  std::vector<float> absMax;
  std::vector<double> meanAbs;
  std::vector<double> gram;

  Direct(const std::vector<float> &data, int64_t k)
      : absMax(k, 0.0f), meanAbs(k, 0.0), gram(k * k, 0.0) {
    int64_t rows = data.size() / k;
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t i = 0; i < k; ++i) {
        float x = data[r * k + i];
        min = std::min(min, x);
        max = std::max(max, x);
        absMax[i] = std::max(absMax[i], std::fabs(x));
        meanAbs[i] += std::fabs(x);
        for (int64_t j = 0; j < k; ++j)
          gram[i * k + j] += double(x) * double(data[r * k + j]);
      }
    for (double &value : meanAbs)
      value /= double(rows);
  }
};

void expectNear(const std::vector<double> &got, const std::vector<double> &want,
                double rtol) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i)
    EXPECT_NEAR(got[i], want[i], rtol * std::max(1.0, std::fabs(want[i])))
        << "at " << i;
}

TEST(LayerInputStatsTest, MatchesDirectComputationAcrossBatches) {
  const int64_t k = 13;
  std::vector<float> data = randomRows(1 + 63 + 100 + 7, k, 1);
  LayerInputStats stats(k, /*withGram=*/true);
  int64_t offset = 0;
  // Batches below, at and beyond the 64-row chunk.
  for (int64_t batch : {1, 63, 100, 7}) {
    stats.addRows(data.data() + offset * k, batch);
    offset += batch;
  }
  Direct direct(data, k);
  EXPECT_EQ(stats.getRows(), 171);
  EXPECT_EQ(stats.getK(), k);
  EXPECT_EQ(stats.getMin(), direct.min);
  EXPECT_EQ(stats.getMax(), direct.max);
  EXPECT_EQ(
      std::vector<float>(stats.getAbsMax().begin(), stats.getAbsMax().end()),
      direct.absMax);
  expectNear(stats.getMeanAbs(), direct.meanAbs, 1e-12);
  std::vector<double> gram = stats.getGram();
  expectNear(gram, direct.gram, 1e-12);
  for (int64_t i = 0; i < k; ++i)
    for (int64_t j = 0; j < k; ++j)
      EXPECT_EQ(gram[i * k + j], gram[j * k + i]);
}

TEST(LayerInputStatsTest, GramMidStreamDoesNotDisturbAccumulation) {
  const int64_t k = 5;
  std::vector<float> data = randomRows(90, k, 2);
  LayerInputStats stats(k, true);
  stats.addRows(data.data(), 30);
  Direct first(std::vector<float>(data.begin(), data.begin() + 30 * k), k);
  expectNear(stats.getGram(), first.gram, 1e-12);
  stats.addRows(data.data() + 30 * k, 60);
  expectNear(stats.getGram(), Direct(data, k).gram, 1e-12);
}

TEST(LayerInputStatsTest, EmptyAndWithoutGram) {
  LayerInputStats empty(3, true);
  EXPECT_EQ(empty.getRows(), 0);
  EXPECT_EQ(empty.getMin(), std::numeric_limits<float>::infinity());
  EXPECT_EQ(empty.getMax(), -std::numeric_limits<float>::infinity());
  EXPECT_EQ(empty.getMeanAbs(), std::vector<double>(3, 0.0));
  EXPECT_EQ(empty.getGram(), std::vector<double>(9, 0.0));

  LayerInputStats noGram(4, false);
  std::vector<float> data = randomRows(10, 4, 3);
  noGram.addRows(data.data(), 10);
  EXPECT_FALSE(noGram.hasGram());
  EXPECT_TRUE(noGram.getGram().empty());
  EXPECT_EQ(noGram.getMax(), Direct(data, 4).max);
}

class CalibrationTest : public ::testing::Test {
protected:
  CalibrationTest() {
    DialectRegistry registry;
    mlir::registerAllDialects(registry);
    mlir::registerAllExtensions(registry);
    qnt::registerAllDialects(registry);
    context.appendDialectRegistry(registry);
    context.loadAllAvailableDialects();
  }

  OwningOpRef<ModuleOp> parse(StringRef text) {
    return parseSourceString<ModuleOp>(text, &context);
  }

  SmallVector<std::string> layerNames(ModuleOp module) {
    SmallVector<std::string> names;
    module.walk([&](MatmulOp op) {
      auto name = op->getAttrOfType<StringAttr>(kLayerAttrName);
      names.push_back(name ? name.str() : "<none>");
    });
    return names;
  }

  MLIRContext context;
  std::string lastError;
  ScopedDiagnosticHandler handler{&context, [this](Diagnostic &diag) {
                                    lastError = diag.str();
                                    return success();
                                  }};
};

// Two layers: the first reads the input x, the second relu(x W1^T) where
// W1 = 0.5 * ones; the weights are int8 per-tensor.
constexpr const char *kTwoLayers = R"mlir(
#i8 = #qnt.uniform<i8, per_tensor, scale = f32>
func.func @f(%x: tensor<5x6xf32> {qnt.name = "x"}) -> tensor<5x2xf32> {
  %w1 = qnt.constant [dense<1> : tensor<3x6xi8>, dense<0.5> : tensor<1x1xf32>]
      : tensor<3x6xf32, #i8>
  %w2 = qnt.constant [dense<2> : tensor<2x3xi8>, dense<0.25> : tensor<1x1xf32>]
      : tensor<2x3xf32, #i8>
  %h = qnt.matmul %x, %w1 {activation = #qnt.activation<relu>}
      : (tensor<5x6xf32>, tensor<3x6xf32, #i8>) -> tensor<5x3xf32> loc("blk/q:proj")
  %y = qnt.matmul %h, %w2
      : (tensor<5x3xf32>, tensor<2x3xf32, #i8>) -> tensor<5x2xf32>
  return %y : tensor<5x2xf32>
}
)mlir";

TEST_F(CalibrationTest, AssignLayerNames) {
  OwningOpRef<ModuleOp> module = parse(R"mlir(
#i8 = #qnt.uniform<i8, per_tensor, scale = f32>
func.func @f(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %w = qnt.constant [dense<1> : tensor<4x4xi8>, dense<0.5> : tensor<1x1xf32>]
      : tensor<4x4xf32, #i8>
  %a = qnt.matmul %x, %w : (tensor<1x4xf32>, tensor<4x4xf32, #i8>) -> tensor<1x4xf32> loc("/attn/q proj")
  %b = qnt.matmul %a, %w {qnt.layer = "attn_q_proj"} : (tensor<1x4xf32>, tensor<4x4xf32, #i8>) -> tensor<1x4xf32>
  %c = qnt.matmul %b, %w : (tensor<1x4xf32>, tensor<4x4xf32, #i8>) -> tensor<1x4xf32>
  %d = qnt.matmul %c, %w : (tensor<1x4xf32>, tensor<4x4xf32, #i8>) -> tensor<1x4xf32> loc("///")
  return %d : tensor<1x4xf32>
}
)mlir");
  ASSERT_TRUE(module);
  ASSERT_TRUE(succeeded(assignLayerNames(*module)));
  // Sanitised NameLoc names, de-duplicated against the given one; no
  // usable name gives the position.
  EXPECT_EQ(layerNames(*module),
            (SmallVector<std::string>{"attn_q_proj.1", "attn_q_proj", "layer2",
                                      "layer3"}));
  // Naming again changes nothing.
  ASSERT_TRUE(succeeded(assignLayerNames(*module)));
  EXPECT_EQ(layerNames(*module)[0], "attn_q_proj.1");
}

TEST_F(CalibrationTest, AssignLayerNamesRejectsBadNames) {
  OwningOpRef<ModuleOp> module = parse(R"mlir(
#i8 = #qnt.uniform<i8, per_tensor, scale = f32>
func.func @f(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %w = qnt.constant [dense<1> : tensor<4x4xi8>, dense<0.5> : tensor<1x1xf32>]
      : tensor<4x4xf32, #i8>
  %a = qnt.matmul %x, %w {qnt.layer = 3 : i64} : (tensor<1x4xf32>, tensor<4x4xf32, #i8>) -> tensor<1x4xf32>
  return %a : tensor<1x4xf32>
}
)mlir");
  ASSERT_TRUE(module);
  EXPECT_TRUE(failed(assignLayerNames(*module)));
  EXPECT_NE(lastError.find("'qnt.layer' must be a non-empty string"),
            std::string::npos)
      << lastError;
}

TEST_F(CalibrationTest, CalibratesFromNpySamples) {
  OwningOpRef<ModuleOp> module = parse(kTwoLayers);
  ASSERT_TRUE(module);
  SmallString<128> dir;
  ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("calibration-test", dir));

  // Two samples stacked in DIR/x.npy.
  const int64_t samples = 2, rows = 5, k = 6;
  std::vector<float> x = randomRows(samples * rows, k, 4);
  std::vector<uint8_t> bytes(x.size() * sizeof(float));
  std::memcpy(bytes.data(), x.data(), bytes.size());
  rt::Result<rt::NpyArray> array =
      rt::makeNpyArray("<f4", {samples, rows, k}, std::move(bytes));
  ASSERT_TRUE(array.ok()) << array.getError();
  SmallString<128> path(dir);
  llvm::sys::path::append(path, "x.npy");
  ASSERT_TRUE(rt::writeNpy(std::string(path), *array).ok());

  CalibrationOptions options;
  options.dataDir = std::string(dir);
  options.maxGramK = 4;
  FailureOr<CalibrationResult> result = calibrateModel(*module, options);
  ASSERT_TRUE(succeeded(result)) << lastError;
  EXPECT_EQ(result->numSamples, samples);
  ASSERT_EQ(result->layers.size(), 2u);

  // Layer 0 reads x itself: exact. K = 6 > maxGramK: no X^T X.
  const LayerCalibration *first = result->lookup("blk_q:proj");
  ASSERT_TRUE(first);
  EXPECT_EQ(first->index, 0);
  EXPECT_EQ(first->n, 3);
  EXPECT_FALSE(first->stats.hasGram());
  Direct direct(x, k);
  EXPECT_EQ(first->stats.getRows(), samples * rows);
  EXPECT_EQ(first->stats.getMin(), direct.min);
  EXPECT_EQ(first->stats.getMax(), direct.max);
  expectNear(first->stats.getMeanAbs(), direct.meanAbs, 1e-12);

  // Layer 1 reads h = relu(0.5 * sum_k x): every channel equal.
  std::vector<float> h;
  for (int64_t r = 0; r < samples * rows; ++r) {
    float sum = 0.0f;
    for (int64_t i = 0; i < k; ++i)
      sum += 0.5f * x[r * k + i];
    for (int j = 0; j < 3; ++j)
      h.push_back(std::max(sum, 0.0f));
  }
  const LayerCalibration *second = result->lookup("layer1");
  ASSERT_TRUE(second);
  EXPECT_EQ(second->k, 3);
  ASSERT_TRUE(second->stats.hasGram());
  Direct directH(h, 3);
  expectNear(second->stats.getGram(), directH.gram, 1e-5);
  EXPECT_NEAR(second->stats.getMax(), directH.max, 1e-5);
  EXPECT_EQ(second->stats.getMin(), 0.0f);

  // The module itself only gained the layer names.
  EXPECT_EQ(layerNames(*module),
            (SmallVector<std::string>{"blk_q:proj", "layer1"}));
  llvm::sys::fs::remove_directories(dir);
}

TEST_F(CalibrationTest, ReportsMissingInput) {
  OwningOpRef<ModuleOp> module = parse(kTwoLayers);
  ASSERT_TRUE(module);
  SmallString<128> dir;
  ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("calibration-test", dir));
  SmallString<128> sample(dir);
  llvm::sys::path::append(sample, "s0");
  ASSERT_FALSE(llvm::sys::fs::create_directory(sample));
  CalibrationOptions options;
  options.dataDir = std::string(dir);
  EXPECT_TRUE(failed(calibrateModel(*module, options)));
  EXPECT_NE(lastError.find("missing '" + std::string(sample) + "/x.npy'"),
            std::string::npos)
      << lastError;
  llvm::sys::fs::remove_directories(dir);
}

} // namespace

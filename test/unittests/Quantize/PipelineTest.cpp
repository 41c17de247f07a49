//===- PipelineTest.cpp - The pieces together, as the passes use them -----===//
//
// Calibrate, quantize every layer in every candidate format with GPTQ,
// measure the output errors, assign formats under a 4.25 bits-per-weight
// budget and write the report.
//
//===----------------------------------------------------------------------===//

#include "quant/Quantize/BitAllocation.h"
#include "quant/Quantize/Report.h"
#include "quant/Quantize/Sensitivity.h"
#include "quant/Quantize/WeightQuantizer.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstdlib>
#include <random>

using namespace mlir::qnt;
using namespace mlir::qnt::quantize;

namespace {

struct Layer {
  std::string name;
  int64_t rows, cols;
  std::vector<float> w;
  std::vector<double> h;
};

/// Layers of different sizes whose inputs have different scales (so their
/// sensitivities differ) and a few outlier channels.
std::vector<Layer> makeLayers() {
  std::mt19937 rng(2024);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<Layer> layers;
  const int64_t shapes[4][2] = {{64, 64}, {128, 64}, {64, 128}, {32, 96}};
  const float inputScale[4] = {1.0f, 4.0f, 0.5f, 2.0f};
  for (int l = 0; l < 4; ++l) {
    Layer layer;
    layer.name = "layer" + std::to_string(l);
    layer.rows = shapes[l][0];
    layer.cols = shapes[l][1];
    layer.w.resize(layer.rows * layer.cols);
    for (float &v : layer.w)
      v = 0.05f * dist(rng);
    const int64_t samples = 128;
    std::vector<float> x(samples * layer.cols);
    for (int64_t s = 0; s < samples; ++s) {
      float walk = dist(rng);
      for (int64_t c = 0; c < layer.cols; ++c) {
        walk = 0.8f * walk + 0.6f * dist(rng);
        float outlier = c % 29 == 7 ? 8.0f : 1.0f;
        x[s * layer.cols + c] = inputScale[l] * outlier * walk;
      }
    }
    ActivationStats stats(layer.cols);
    stats.add(x, samples);
    layer.h = stats.getHessian();
    layers.push_back(std::move(layer));
  }
  return layers;
}

TEST(Pipeline, AssignFormatsUnderBudgetAndReport) {
  std::vector<Layer> layers = makeLayers();
  std::vector<QuantFormat> candidates;
  for (const char *name : {"int2-g32", "int3-g32", "int4-g32", "int4",
                           "nf4-g64", "mxfp4", "nvfp4", "int8-pc", "f16"})
    candidates.push_back(*QuantFormat::parse(name));

  // errors[l][c], costs in exact bits.
  std::vector<CandidateList> lists(layers.size());
  std::vector<std::vector<QuantizedWeights>> results(layers.size());
  uint64_t numWeights = 0;
  for (size_t l = 0; l < layers.size(); ++l) {
    const Layer &layer = layers[l];
    numWeights += uint64_t(layer.rows * layer.cols);
    for (const QuantFormat &f : candidates) {
      GPTQOptions opts;
      opts.actOrder = true;
      auto q = quantizeGPTQ(f, layer.w, layer.rows, layer.cols, layer.h, opts);
      ASSERT_TRUE(bool(q)) << llvm::toString(q.takeError());
      lists[l].push_back({f.getStorageBits(layer.rows, layer.cols),
                          outputError(layer.w, q->dequantized, layer.rows,
                                      layer.cols, layer.h)});
      results[l].push_back(std::move(*q));
    }
  }
  // More bits, less error, within one family.
  for (const CandidateList &list : lists) {
    EXPECT_GT(list[0].error, list[1].error); // int2 > int3
    EXPECT_GT(list[1].error, list[2].error); // int3 > int4
    EXPECT_GT(list[2].error, list[7].error); // int4 > int8
  }

  uint64_t budget = budgetFromBitsPerWeight(4.25, numWeights);
  auto best = solveKnapsack(lists, budget);
  ASSERT_TRUE(bool(best)) << llvm::toString(best.takeError());
  EXPECT_LE(best->cost, budget);
  EXPECT_LE(double(best->cost) / double(numWeights), 4.25);
  // No single format for every layer that fits the budget does better.
  for (size_t c = 0; c < candidates.size(); ++c) {
    uint64_t cost = 0;
    double error = 0;
    for (const CandidateList &list : lists) {
      cost += list[c].cost;
      error += list[c].error;
    }
    if (cost <= budget)
      EXPECT_LE(best->error, error * (1 + 1e-12)) << candidates[c].getName();
  }

  // The report: table, JSON and the Pareto plot with the choice marked.
  std::vector<LayerReport> rows;
  for (size_t l = 0; l < layers.size(); ++l) {
    const QuantFormat &f = candidates[best->choices[l]];
    LayerReport r;
    r.name = layers[l].name;
    r.format = f.getName();
    r.encoding = f.getEncodingAttr();
    r.method = "gptq";
    r.rows = layers[l].rows;
    r.cols = layers[l].cols;
    r.bits = f.getStorageBits(r.rows, r.cols);
    r.bytes = f.getStorageBytes(r.rows, r.cols);
    r.error = lists[l][best->choices[l]].error;
    std::vector<float> zeros(layers[l].w.size(), 0.0f);
    r.relativeError =
        r.error / outputError(layers[l].w, zeros, r.rows, r.cols, layers[l].h);
    rows.push_back(r);
  }
  ReportTotals totals = computeTotals(rows);
  EXPECT_EQ(totals.bits, best->cost);
  EXPECT_NEAR(totals.error, best->error, 1e-9 * best->error);

  auto frontier = paretoFrontier(lists);
  ASSERT_TRUE(bool(frontier));
  std::vector<ParetoPoint> points =
      paretoPointsFromAllocations(*frontier, numWeights);
  bool marked = false;
  for (ParetoPoint &p : points)
    if (std::fabs(p.error - best->error) <= 1e-9 * best->error &&
        p.size <= 4.25) {
      p.chosen = marked = true;
      p.label = "4.25 bits/w budget";
    }
  EXPECT_TRUE(marked) << "the optimum lies on the frontier";

  llvm::SmallString<128> dir;
  ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("quant-pipeline", dir));
  ASSERT_FALSE(bool(writeReportFiles(dir, rows, points)));
  for (const char *name : {"report.txt", "report.json", "pareto.svg"}) {
    llvm::SmallString<128> path(dir);
    llvm::sys::path::append(path, name);
    EXPECT_TRUE(llvm::sys::fs::exists(path)) << name;
    if (!std::getenv("QUANT_KEEP_REPORT"))
      llvm::sys::fs::remove(path);
  }
  if (std::getenv("QUANT_KEEP_REPORT"))
    printf("report in %s\n", dir.c_str());
  else
    llvm::sys::fs::remove(dir);
}

} // namespace

//===- BitAllocationTest.cpp - Multiple-choice knapsack tests -------------===//

#include "quant/Quantize/BitAllocation.h"

#include "gtest/gtest.h"

#include <cmath>
#include <limits>
#include <random>

using namespace mlir::qnt;
using namespace mlir::qnt::quantize;

namespace {

/// Every assignment, enumerated.
template <typename Fn>
void forEachAssignment(const std::vector<CandidateList> &layers, Fn fn) {
  std::vector<int64_t> idx(layers.size(), 0);
  while (true) {
    uint64_t cost = 0;
    double error = 0;
    for (size_t i = 0; i < layers.size(); ++i) {
      cost += layers[i][idx[i]].cost;
      error += layers[i][idx[i]].error;
    }
    fn(idx, cost, error);
    size_t i = 0;
    while (i < layers.size() && ++idx[i] == int64_t(layers[i].size()))
      idx[i++] = 0;
    if (i == layers.size())
      return;
  }
}

/// Brute-force optimum (infinity when infeasible).
double bruteForce(const std::vector<CandidateList> &layers, uint64_t budget) {
  double best = std::numeric_limits<double>::infinity();
  forEachAssignment(
      layers, [&](const std::vector<int64_t> &, uint64_t cost, double error) {
        if (cost <= budget)
          best = std::min(best, error);
      });
  return best;
}

std::vector<CandidateList> randomLayers(std::mt19937 &rng, uint64_t costScale,
                                        uint64_t costUnit) {
  std::uniform_int_distribution<int> numLayers(1, 6), numCands(1, 4);
  std::uniform_int_distribution<uint64_t> cost(1, costScale);
  std::uniform_real_distribution<double> error(0.0, 10.0);
  std::vector<CandidateList> layers(numLayers(rng));
  for (CandidateList &list : layers) {
    list.resize(numCands(rng));
    for (Candidate &c : list)
      c = {cost(rng) * costUnit, error(rng)};
  }
  return layers;
}

void checkAgainstBruteForce(uint64_t costScale, uint64_t costUnit,
                            KnapsackOptions options, unsigned seed) {
  std::mt19937 rng(seed);
  int feasible = 0;
  for (int trial = 0; trial < 400; ++trial) {
    std::vector<CandidateList> layers = randomLayers(rng, costScale, costUnit);
    uint64_t minTotal = 0, maxTotal = 0;
    for (const CandidateList &l : layers) {
      uint64_t lo = l[0].cost, hi = 0;
      for (const Candidate &c : l) {
        lo = std::min(lo, c.cost);
        hi = std::max(hi, c.cost);
      }
      minTotal += lo;
      maxTotal += hi;
    }
    // Mostly between the cheapest and the dearest assignment, some below.
    std::uniform_int_distribution<uint64_t> budgetDist(minTotal - minTotal / 8,
                                                       maxTotal + 2);
    uint64_t budget = budgetDist(rng);
    double expected = bruteForce(layers, budget);
    auto got = solveKnapsack(layers, budget, options);
    if (std::isinf(expected)) {
      ASSERT_FALSE(bool(got)) << "trial " << trial;
      EXPECT_NE(llvm::toString(got.takeError()).find("below the cheapest"),
                std::string::npos);
      continue;
    }
    ++feasible;
    ASSERT_TRUE(bool(got)) << llvm::toString(got.takeError());
    EXPECT_LE(got->cost, budget) << "trial " << trial;
    EXPECT_NEAR(got->error, expected, 1e-9) << "trial " << trial;
    // The reported totals are those of the choices.
    uint64_t cost = 0;
    double error = 0;
    for (size_t i = 0; i < layers.size(); ++i) {
      cost += layers[i][got->choices[i]].cost;
      error += layers[i][got->choices[i]].error;
    }
    EXPECT_EQ(cost, got->cost);
    EXPECT_NEAR(error, got->error, 1e-12);
  }
  EXPECT_GT(feasible, 300);
}

TEST(Knapsack, DenseDPIsOptimal) { checkAgainstBruteForce(50, 1, {}, 1); }

TEST(Knapsack, DenseDPWithCommonFactor) {
  // Costs in bits of whole groups: all multiples of 4096.
  checkAgainstBruteForce(30, 4096, {}, 2);
}

TEST(Knapsack, ParetoDPIsOptimal) {
  KnapsackOptions options;
  options.forcePareto = true;
  checkAgainstBruteForce(50, 1, options, 3);
}

TEST(Knapsack, HugeCostsFallBackToPareto) {
  // Costs near 1e12 with no common factor: the dense table would be huge.
  std::mt19937 rng(4);
  for (int trial = 0; trial < 100; ++trial) {
    std::vector<CandidateList> layers =
        randomLayers(rng, uint64_t(1000000000000), 1);
    uint64_t budget = 0;
    for (const CandidateList &l : layers)
      budget += l[0].cost;
    double expected = bruteForce(layers, budget);
    auto got = solveKnapsack(layers, budget);
    ASSERT_TRUE(bool(got));
    EXPECT_NEAR(got->error, expected, 1e-9);
  }
}

TEST(Knapsack, ParetoFrontierMatchesBruteForce) {
  std::mt19937 rng(5);
  for (int trial = 0; trial < 100; ++trial) {
    std::vector<CandidateList> layers = randomLayers(rng, 40, 8);
    auto frontier = paretoFrontier(layers);
    ASSERT_TRUE(bool(frontier));
    ASSERT_FALSE(frontier->empty());
    // Increasing cost, strictly decreasing error, each optimal at its cost.
    for (size_t i = 0; i < frontier->size(); ++i) {
      const Allocation &a = (*frontier)[i];
      EXPECT_NEAR(a.error, bruteForce(layers, a.cost), 1e-9);
      if (i > 0) {
        EXPECT_GT(a.cost, (*frontier)[i - 1].cost);
        EXPECT_LT(a.error, (*frontier)[i - 1].error);
      }
    }
    // No assignment is missing: every one is dominated by a frontier point.
    forEachAssignment(
        layers, [&](const std::vector<int64_t> &, uint64_t cost, double error) {
          bool dominated = false;
          for (const Allocation &a : *frontier)
            dominated |= a.cost <= cost && a.error <= error + 1e-9;
          EXPECT_TRUE(dominated);
        });
    // A sweep over the frontier's costs gives the frontier back.
    std::vector<uint64_t> budgets;
    for (const Allocation &a : *frontier)
      budgets.push_back(a.cost);
    auto sweep = sweepBudgets(layers, budgets);
    ASSERT_TRUE(bool(sweep));
    ASSERT_EQ(sweep->size(), frontier->size());
    for (size_t i = 0; i < sweep->size(); ++i)
      EXPECT_NEAR((*sweep)[i].error, (*frontier)[i].error, 1e-9);
  }
}

TEST(Knapsack, BadInput) {
  std::vector<CandidateList> empty = {{{1, 1.0}}, {}};
  auto a = solveKnapsack(empty, 10);
  ASSERT_FALSE(bool(a));
  EXPECT_NE(llvm::toString(a.takeError()).find("layer 1 has no candidates"),
            std::string::npos);
  std::vector<CandidateList> nan = {
      {{1, std::numeric_limits<double>::quiet_NaN()}}};
  auto b = solveKnapsack(nan, 10);
  ASSERT_FALSE(bool(b));
  EXPECT_NE(llvm::toString(b.takeError()).find("non-finite"),
            std::string::npos);
  std::vector<CandidateList> one = {{{5, 1.0}, {9, 0.5}}, {{7, 2.0}}};
  auto c = solveKnapsack(one, 11);
  ASSERT_FALSE(bool(c));
  EXPECT_NE(llvm::toString(c.takeError()).find("cheapest assignment (12)"),
            std::string::npos);
  auto d = solveKnapsack(one, 16);
  ASSERT_TRUE(bool(d));
  EXPECT_EQ(d->choices, (std::vector<int64_t>{1, 0}));
  EXPECT_EQ(d->cost, 16u);
}

TEST(Knapsack, BudgetsAndLatency) {
  EXPECT_EQ(budgetFromBitsPerWeight(4.25, 4096), 17408u);
  EXPECT_EQ(budgetFromBitsPerWeight(4.1, 1000), 4100u);
  EXPECT_EQ(budgetFromBitsPerWeight(4.1, 3), 12u);
  EXPECT_EQ(budgetFromBitsPerWeight(0.0, 3), 0u);

  LatencyModel model;
  model.nsPerWeight = {{"int4", 0.25}, {"mxfp4", 0.5}};
  model.fixedNsPerLayer = 100;
  auto cost = model.getCost(QuantFormat::uniform(4, 128), 64, 64);
  ASSERT_TRUE(bool(cost));
  EXPECT_EQ(*cost, 100u + 1024u);
  auto missing = model.getCost(QuantFormat::nvfp4(), 64, 64);
  ASSERT_FALSE(bool(missing));
  EXPECT_NE(llvm::toString(missing.takeError()).find("'nvfp4'"),
            std::string::npos);
}

TEST(Knapsack, LatencyBudgetIsOptimal) {
  // Latency costs come from a cost model (ns at 1 ns resolution, far from
  // any common factor); the solver must still be exact against brute force,
  // in both the dense and the Pareto DP.
  LatencyModel model;
  model.fixedNsPerLayer = 1907.4;
  model.nsPerWeight = {{"int2-g64", 0.0263}, {"int4", 0.0268},
                       {"int4-g32", 0.0372}, {"nf4", 0.0371},
                       {"int8", 0.0433},     {"mxfp4", 0.0287}};
  std::vector<QuantFormat> formats;
  for (const auto &[name, ns] : model.nsPerWeight)
    formats.push_back(cantFail(QuantFormat::parse(name)));
  std::mt19937 rng(6);
  std::uniform_int_distribution<int> numLayers(1, 6), dim(1, 64);
  std::uniform_real_distribution<double> error(0.0, 10.0);
  for (bool pareto : {false, true}) {
    KnapsackOptions options;
    options.forcePareto = pareto;
    int feasible = 0;
    for (int trial = 0; trial < 300; ++trial) {
      std::vector<CandidateList> layers(numLayers(rng));
      uint64_t lo = 0, hi = 0;
      for (CandidateList &list : layers) {
        int64_t rows = 32 * dim(rng), cols = 32 * dim(rng);
        uint64_t l = ~uint64_t(0), h = 0;
        for (const QuantFormat &f : formats) {
          uint64_t ns = cantFail(model.getCost(f, rows, cols));
          EXPECT_EQ(ns, uint64_t(std::ceil(
                            1907.4 + model.nsPerWeight[list.size()].second *
                                         double(rows * cols))))
              << f.getName();
          list.push_back({ns, error(rng)});
          l = std::min(l, ns);
          h = std::max(h, ns);
        }
        lo += l;
        hi += h;
      }
      uint64_t budget =
          std::uniform_int_distribution<uint64_t>(lo - lo / 16, hi + 1)(rng);
      double expected = bruteForce(layers, budget);
      auto got = solveKnapsack(layers, budget, options);
      if (std::isinf(expected)) {
        ASSERT_FALSE(bool(got));
        llvm::consumeError(got.takeError());
        continue;
      }
      ++feasible;
      ASSERT_TRUE(bool(got)) << llvm::toString(got.takeError());
      EXPECT_LE(got->cost, budget);
      EXPECT_NEAR(got->error, expected, 1e-9) << "trial " << trial;
    }
    EXPECT_GT(feasible, 200);
  }
  // Microsecond budgets in whole nanoseconds.
  EXPECT_EQ(budgetFromMicroseconds(12.345), 12345u);
  EXPECT_EQ(budgetFromMicroseconds(0.0015), 1u);
  EXPECT_EQ(budgetFromMicroseconds(1e-4), 0u);
  EXPECT_EQ(budgetFromMicroseconds(-1), 0u);
  // A slice carries its share of the fixed cost.
  EXPECT_EQ(cantFail(model.getCost(QuantFormat::uniform(4, 128), 10, 100, 0.5)),
            uint64_t(std::ceil(1907.4 / 2 + 0.0268 * 1000)));
}

TEST(Knapsack, ByteSizes) {
  EXPECT_EQ(cantFail(parseByteSize("12345")), 12345u);
  EXPECT_EQ(cantFail(parseByteSize("12345B")), 12345u);
  EXPECT_EQ(cantFail(parseByteSize("12MB")), 12000000u);
  EXPECT_EQ(cantFail(parseByteSize("12 mb")), 12000000u);
  EXPECT_EQ(cantFail(parseByteSize("4MiB")), 4u << 20);
  EXPECT_EQ(cantFail(parseByteSize("1.5KiB")), 1536u);
  EXPECT_EQ(cantFail(parseByteSize("2GB")), 2000000000u);
  EXPECT_EQ(cantFail(parseByteSize("0.1kB")), 100u);
  for (const char *bad : {"", "MB", "12XB", "-3", "1.5", "1e3", "3 MiBs"}) {
    auto v = parseByteSize(bad);
    ASSERT_FALSE(bool(v)) << bad;
    EXPECT_NE(llvm::toString(v.takeError())
                  .find("bad byte size '" + std::string(bad) + "'"),
              std::string::npos);
  }
}

/// The error message of parseLatencyModel on `json`.
std::string modelError(llvm::StringRef json) {
  auto model = parseLatencyModel(json, "m.json");
  if (model)
    return "<parsed>";
  return llvm::toString(model.takeError());
}

TEST(LatencyModelFile, Parses) {
  auto model = parseLatencyModel(R"({
    "machine": "test box", "fixed_ns_per_layer": 1500, "ns_per_outlier": 2.5,
    "formats": {
      "int4-g128": {"encoding": "#qnt.uniform<i4, per_group(1, 128), scale = f16>",
                    "ns_per_weight": 0.025, "measured_ms": 1.0},
      "mxfp4": 0.03,
      "nf4-g64": {"ns_per_weight": 0.04}
    }})",
                                 "m.json");
  ASSERT_TRUE(bool(model)) << llvm::toString(model.takeError());
  EXPECT_EQ(model->source, "m.json");
  EXPECT_EQ(model->machine, "test box");
  EXPECT_EQ(model->fixedNsPerLayer, 1500.0);
  EXPECT_EQ(model->nsPerOutlier, 2.5);
  ASSERT_EQ(model->nsPerWeight.size(), 3u);
  // Names are normalized: int4-g128 is int4, nf4-g64 is nf4.
  EXPECT_EQ(cantFail(model->getCost(QuantFormat::uniform(4, 128), 100, 100)),
            1500u + 250u);
  EXPECT_EQ(cantFail(model->getCost(QuantFormat::nf4(64), 100, 100)),
            1500u + 400u);
  EXPECT_EQ(cantFail(model->getCost(QuantFormat::mxfp4(), 100, 100)),
            1500u + 300u);
  auto missing = model->getCost(QuantFormat::uniform(8, 128), 1, 1);
  ASSERT_FALSE(bool(missing));
  EXPECT_EQ(llvm::toString(missing.takeError()),
            "latency model 'm.json' has no throughput for format 'int8' "
            "(measure it with bench/latency_model.sh)");
}

TEST(LatencyModelFile, BadFilesGiveClearErrors) {
  EXPECT_NE(modelError("{\"formats\": ")
                .find("latency model 'm.json': invalid JSON: "),
            std::string::npos);
  EXPECT_EQ(modelError("[1, 2]"),
            "latency model 'm.json': expected a JSON object at the top level");
  EXPECT_NE(modelError("{}").find("latency model 'm.json': missing 'formats'"),
            std::string::npos);
  EXPECT_NE(modelError("{\"formats\": {}}")
                .find("'formats' must be a "
                      "non-empty object"),
            std::string::npos);
  EXPECT_NE(modelError("{\"formats\": {\"int4-q7\": 0.1}}")
                .find("latency model 'm.json': format 'int4-q7': bad format"),
            std::string::npos)
      << modelError("{\"formats\": {\"int4-q7\": 0.1}}");
  EXPECT_EQ(modelError("{\"formats\": {\"int4\": -0.1}}"),
            "latency model 'm.json': format 'int4': 'ns_per_weight' must be "
            "a finite number >= 0");
  EXPECT_EQ(modelError("{\"formats\": {\"int4\": \"fast\"}}"),
            "latency model 'm.json': format 'int4': 'ns_per_weight' must be "
            "a finite number >= 0");
  EXPECT_EQ(modelError("{\"formats\": {\"int4\": {\"ms\": 1}}}"),
            "latency model 'm.json': format 'int4' has no 'ns_per_weight'");
  EXPECT_EQ(modelError("{\"formats\": {\"int4\": 0.1, \"int4-g128\": 0.2}}"),
            "latency model 'm.json': format 'int4-g128' is given twice (as "
            "'int4')");
  EXPECT_EQ(modelError("{\"fixed_ns_per_layer\": -5, \"formats\": "
                       "{\"int4\": 0.1}}"),
            "latency model 'm.json': 'fixed_ns_per_layer' must be a finite "
            "number >= 0");
  EXPECT_EQ(modelError("{\"ns_per_outlier\": \"x\", \"formats\": "
                       "{\"int4\": 0.1}}"),
            "latency model 'm.json': 'ns_per_outlier' must be a finite number "
            ">= 0");
  EXPECT_EQ(modelError("{\"formats\": {\"int4-g32\": {\"ns_per_weight\": 0.1, "
                       "\"encoding\": \"#qnt.float<mxfp4>\"}}}"),
            "latency model 'm.json': format 'int4-g32' has encoding "
            "'#qnt.float<mxfp4>' but the format is '#qnt.uniform<i4, "
            "per_group(1, 32), scale = f16>'");
  auto file = loadLatencyModel("/nonexistent/latency.json");
  ASSERT_FALSE(bool(file));
  EXPECT_NE(llvm::toString(file.takeError())
                .find("cannot read latency model '/nonexistent/latency.json'"),
            std::string::npos);
}

TEST(LatencyModelFile, DefaultCoversTheCommonFormats) {
  // bench/latency_model.json, compiled in: measured, positive figures for
  // the formats quant-compile offers by default and the --quantize ones.
  const LatencyModel &model = getDefaultLatencyModel();
  EXPECT_NE(model.source.find("bench/latency_model.json"), std::string::npos);
  EXPECT_GT(model.fixedNsPerLayer, 0.0);
  for (const char *name :
       {"int2-g64", "int3-g64", "uint3-g32-asym", "int4-g128",
        "uint4-g128-asym", "int4-g64", "uint4-g64-asym", "int4-g32",
        "uint4-g32-asym", "nf4-g64", "int8-g128", "int8-g64", "mxfp4", "nvfp4",
        "mxfp8", "f16", "f32"}) {
    auto cost = model.getCost(cantFail(QuantFormat::parse(name)), 4096, 4096);
    ASSERT_TRUE(bool(cost)) << llvm::toString(cost.takeError());
    EXPECT_GT(*cost, uint64_t(model.fixedNsPerLayer)) << name;
  }
  // Fewer bytes to stream: a 4-bit GEMV beats f32 by a wide margin.
  auto cost = [&](const char *name) {
    return cantFail(
        model.getCost(cantFail(QuantFormat::parse(name)), 4096, 4096));
  };
  EXPECT_LT(2 * cost("int4-g128"), cost("f32"));
}

} // namespace

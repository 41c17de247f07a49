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

} // namespace

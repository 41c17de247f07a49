//===- BitAllocation.cpp - Multiple-choice knapsack -----------------------===//

#include "quant/Quantize/BitAllocation.h"

#include "llvm/ADT/Twine.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

using namespace mlir::qnt;
using namespace mlir::qnt::quantize;

static llvm::Error makeError(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

static llvm::Error checkLayers(llvm::ArrayRef<CandidateList> layers) {
  for (size_t i = 0; i < layers.size(); ++i) {
    if (layers[i].empty())
      return makeError("bit allocation: layer " + llvm::Twine(uint64_t(i)) +
                       " has no candidates");
    if (layers[i].size() > 65535)
      return makeError("bit allocation: layer " + llvm::Twine(uint64_t(i)) +
                       " has more than 65535 candidates");
    for (const Candidate &c : layers[i])
      if (!std::isfinite(c.error))
        return makeError("bit allocation: layer " + llvm::Twine(uint64_t(i)) +
                         " has a candidate with a non-finite error");
  }
  return llvm::Error::success();
}

static uint64_t minCost(const CandidateList &list) {
  uint64_t m = std::numeric_limits<uint64_t>::max();
  for (const Candidate &c : list)
    m = std::min(m, c.cost);
  return m;
}

static void finish(llvm::ArrayRef<CandidateList> layers, Allocation &a) {
  a.cost = 0;
  a.error = 0.0;
  for (size_t i = 0; i < layers.size(); ++i) {
    a.cost += layers[i][a.choices[i]].cost;
    a.error += layers[i][a.choices[i]].error;
  }
}

namespace {
/// One Pareto state: its cost, error and how it was reached.
struct State {
  uint64_t cost;
  double error;
  int64_t parent;
  int64_t choice;
};
} // namespace

/// Pareto-set DP. Keeps, after each layer, the partial assignments that no
/// other dominates and that can still finish within `budget`.
static llvm::Expected<std::vector<Allocation>>
paretoDP(llvm::ArrayRef<CandidateList> layers, uint64_t budget,
         const KnapsackOptions &options, bool wholeFrontier) {
  size_t n = layers.size();
  // Cheapest cost of the layers after i, for pruning.
  std::vector<uint64_t> tailMin(n + 1, 0);
  for (size_t i = n; i-- > 0;)
    tailMin[i] = tailMin[i + 1] + minCost(layers[i]);
  std::vector<std::vector<State>> sets(n + 1);
  sets[0].push_back({0, 0.0, -1, -1});
  std::vector<State> next;
  for (size_t i = 0; i < n; ++i) {
    next.clear();
    for (size_t s = 0; s < sets[i].size(); ++s)
      for (size_t j = 0; j < layers[i].size(); ++j) {
        uint64_t cost = sets[i][s].cost + layers[i][j].cost;
        if (cost + tailMin[i + 1] > budget)
          continue;
        next.push_back({cost, sets[i][s].error + layers[i][j].error, int64_t(s),
                        int64_t(j)});
      }
    std::stable_sort(
        next.begin(), next.end(), [](const State &a, const State &b) {
          return a.cost != b.cost ? a.cost < b.cost : a.error < b.error;
        });
    std::vector<State> &kept = sets[i + 1];
    double bestError = std::numeric_limits<double>::infinity();
    for (const State &st : next)
      if (st.error < bestError) {
        kept.push_back(st);
        bestError = st.error;
      }
    if (kept.size() > options.maxParetoStates)
      return makeError(
          "bit allocation: more than " + llvm::Twine(options.maxParetoStates) +
          " Pareto states after layer " + llvm::Twine(uint64_t(i)));
  }
  auto build = [&](int64_t index) {
    Allocation a;
    a.choices.assign(n, 0);
    for (size_t i = n; i-- > 0;) {
      const State &st = sets[i + 1][index];
      a.choices[i] = st.choice;
      index = st.parent;
    }
    finish(layers, a);
    return a;
  };
  std::vector<Allocation> result;
  const std::vector<State> &last = sets[n];
  if (last.empty())
    return result;
  if (wholeFrontier) {
    for (size_t s = 0; s < last.size(); ++s)
      result.push_back(build(int64_t(s)));
  } else {
    // Errors decrease along the set: the last state is the best.
    result.push_back(build(int64_t(last.size() - 1)));
  }
  return result;
}

llvm::Expected<Allocation>
quantize::solveKnapsack(llvm::ArrayRef<CandidateList> layers, uint64_t budget,
                        const KnapsackOptions &options) {
  if (llvm::Error err = checkLayers(layers))
    return std::move(err);
  size_t n = layers.size();
  uint64_t base = 0, extraMax = 0, divisor = 0;
  for (const CandidateList &list : layers) {
    uint64_t m = minCost(list), top = 0;
    base += m;
    for (const Candidate &c : list) {
      divisor = std::gcd(divisor, c.cost - m);
      top = std::max(top, c.cost - m);
    }
    extraMax += top;
  }
  if (base > budget)
    return makeError("bit allocation: budget " + llvm::Twine(budget) +
                     " is below the cheapest assignment (" + llvm::Twine(base) +
                     ")");
  if (n == 0)
    return Allocation();
  if (divisor == 0)
    divisor = 1;
  // Reduced budget: sums of reduced costs are multiples of the divisor.
  uint64_t cells = std::min(budget - base, extraMax) / divisor;
  if (options.forcePareto || (cells + 1) > options.maxCells / n) {
    auto result = paretoDP(layers, budget, options, false);
    if (!result)
      return result.takeError();
    return std::move(result->front());
  }

  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> dp(cells + 1, 0.0), nextDp(cells + 1);
  std::vector<uint16_t> choice(n * (cells + 1));
  for (size_t i = 0; i < n; ++i) {
    const CandidateList &list = layers[i];
    uint64_t m = minCost(list);
    for (uint64_t b = 0; b <= cells; ++b) {
      double best = inf;
      uint16_t bestJ = 0;
      for (size_t j = 0; j < list.size(); ++j) {
        uint64_t c = (list[j].cost - m) / divisor;
        if (c > b)
          continue;
        double e = dp[b - c] + list[j].error;
        if (e < best) {
          best = e;
          bestJ = uint16_t(j);
        }
      }
      nextDp[b] = best;
      choice[i * (cells + 1) + b] = bestJ;
    }
    dp.swap(nextDp);
  }
  Allocation a;
  a.choices.assign(n, 0);
  uint64_t b = cells;
  for (size_t i = n; i-- > 0;) {
    uint16_t j = choice[i * (cells + 1) + b];
    a.choices[i] = j;
    b -= (layers[i][j].cost - minCost(layers[i])) / divisor;
  }
  finish(layers, a);
  return a;
}

llvm::Expected<std::vector<Allocation>>
quantize::paretoFrontier(llvm::ArrayRef<CandidateList> layers,
                         const KnapsackOptions &options) {
  if (llvm::Error err = checkLayers(layers))
    return std::move(err);
  return paretoDP(layers, std::numeric_limits<uint64_t>::max(), options, true);
}

llvm::Expected<std::vector<Allocation>>
quantize::sweepBudgets(llvm::ArrayRef<CandidateList> layers,
                       llvm::ArrayRef<uint64_t> budgets,
                       const KnapsackOptions &options) {
  if (llvm::Error err = checkLayers(layers))
    return std::move(err);
  uint64_t cheapest = 0;
  for (const CandidateList &list : layers)
    cheapest += minCost(list);
  std::vector<Allocation> result;
  for (uint64_t budget : budgets) {
    if (budget < cheapest)
      continue;
    auto a = solveKnapsack(layers, budget, options);
    if (!a)
      return a.takeError();
    result.push_back(std::move(*a));
  }
  return result;
}

uint64_t quantize::budgetFromBitsPerWeight(double bitsPerWeight,
                                           uint64_t numWeights) {
  long double x = (long double)bitsPerWeight * (long double)numWeights;
  if (x <= 0)
    return 0;
  long double nearest = std::round(x);
  // Decimal averages (4.1) are not exact in binary: snap near-integers.
  if (std::fabs(x - nearest) <= 1e-9L * std::max<long double>(1.0L, x))
    return uint64_t(nearest);
  return uint64_t(std::floor(x));
}

llvm::Expected<uint64_t> LatencyModel::getCost(const QuantFormat &format,
                                               int64_t rows,
                                               int64_t cols) const {
  std::string name = format.getName();
  for (const auto &[key, ns] : nsPerWeight)
    if (key == name)
      return uint64_t(
          std::ceil(fixedNsPerLayer + ns * double(rows) * double(cols)));
  return makeError("latency model has no throughput for format '" + name + "'");
}

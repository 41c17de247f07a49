//===- BitAllocation.h - Bit-width assignment under a budget ----*- C++ -*-===//
//
// Exact multiple-choice knapsack: every layer picks one candidate (a format
// with an integer cost, e.g. its exact stored bits, bytes or modelled
// latency, and an error, e.g. its output error); minimize the total error
// subject to the total cost <= budget.
//
// The solver is a dynamic program over the budget. It first removes each
// layer's cheapest cost from its candidates and from the budget and divides
// all costs by their greatest common divisor, both exact for integer costs;
// the budget axis then usually has few cells. When the table would still
// exceed `maxCells`, it switches to a DP over Pareto sets of (cost, error)
// partial solutions, which is exact too and does not depend on the size of
// the budget.
//
//===----------------------------------------------------------------------===//

#ifndef QUANT_QUANTIZE_BITALLOCATION_H
#define QUANT_QUANTIZE_BITALLOCATION_H

#include "quant/Quantize/QuantFormat.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>
#include <vector>

namespace mlir {
namespace qnt {
namespace quantize {

/// One candidate of one layer.
struct Candidate {
  /// Integer cost (bits, bytes, nanoseconds, ...).
  uint64_t cost = 0;
  /// Error if chosen (lower is better); must be finite.
  double error = 0.0;
};

/// A layer's candidates.
using CandidateList = std::vector<Candidate>;

/// One assignment: a candidate index per layer.
struct Allocation {
  std::vector<int64_t> choices;
  uint64_t cost = 0;
  double error = 0.0;
};

struct KnapsackOptions {
  /// Largest dense table (layers x budget cells) before the Pareto DP.
  uint64_t maxCells = uint64_t(1) << 26;
  /// Largest Pareto set kept per layer before giving up with an error.
  uint64_t maxParetoStates = uint64_t(1) << 22;
  /// Force the Pareto DP (for tests).
  bool forcePareto = false;
};

/// Minimum-error assignment with total cost <= budget. Errors: a layer
/// without candidates, a non-finite error, a budget below the cheapest
/// assignment (the message gives that minimum), or an oversized problem.
llvm::Expected<Allocation> solveKnapsack(llvm::ArrayRef<CandidateList> layers,
                                         uint64_t budget,
                                         const KnapsackOptions &options = {});

/// Every Pareto-optimal assignment (no other has both lower-or-equal cost
/// and strictly lower error), by increasing cost and decreasing error.
llvm::Expected<std::vector<Allocation>>
paretoFrontier(llvm::ArrayRef<CandidateList> layers,
               const KnapsackOptions &options = {});

/// solveKnapsack for each budget (budgets below the minimum are skipped).
llvm::Expected<std::vector<Allocation>>
sweepBudgets(llvm::ArrayRef<CandidateList> layers,
             llvm::ArrayRef<uint64_t> budgets,
             const KnapsackOptions &options = {});

/// Total-bit budget for an average of `bitsPerWeight` over `numWeights`
/// weights: floor(bitsPerWeight * numWeights), computed so that decimal
/// budgets like 4.25 give the exact product.
uint64_t budgetFromBitsPerWeight(double bitsPerWeight, uint64_t numWeights);

/// A CPU cost model: measured nanoseconds per weight of each format (by
/// QuantFormat::getName()) plus a fixed cost per layer.
struct LatencyModel {
  std::vector<std::pair<std::string, double>> nsPerWeight;
  double fixedNsPerLayer = 0.0;

  /// ceil(fixed + nsPerWeight(format) * rows * cols) in ns; an error names
  /// a format the model has no figure for.
  llvm::Expected<uint64_t> getCost(const QuantFormat &format, int64_t rows,
                                   int64_t cols) const;
};

} // namespace quantize
} // namespace qnt
} // namespace mlir

#endif // QUANT_QUANTIZE_BITALLOCATION_H

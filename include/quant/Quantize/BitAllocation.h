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

/// A CPU cost model: the measured nanoseconds per weight of each format's
/// GEMV kernel (by QuantFormat::getName()) plus a fixed cost per layer
/// (bench/latency_model.sh measures both):
///   time(layer) = fixedNsPerLayer + nsPerWeight(format) * rows * cols.
struct LatencyModel {
  std::vector<std::pair<std::string, double>> nsPerWeight;
  double fixedNsPerLayer = 0.0;
  /// Nanoseconds per stored outlier of a sparse #qnt.outliers part: the
  /// bench's extra time of int4 with 1 % outliers over int4, per outlier
  /// (< 0: not measured).
  double nsPerOutlier = -1.0;
  /// Where the figures come from (a file, or the built-in default) and the
  /// machine they were measured on, for reports.
  std::string source, machine;

  /// ceil(fixedShare * fixed + nsPerWeight(format) * rows * cols) in ns:
  /// latency costs are integers at a resolution of 1 ns, so the knapsack
  /// over them is exact. `fixedShare` is the part of the per-layer cost a
  /// piece of a layer carries (a slice of r of R rows: r / R). An error
  /// names a format the model has no figure for.
  llvm::Expected<uint64_t> getCost(const QuantFormat &format, int64_t rows,
                                   int64_t cols, double fixedShare = 1.0) const;
};

/// Parses the JSON that bench/latency_model.sh writes:
///   {"fixed_ns_per_layer": F, "formats": {NAME: {"ns_per_weight": X,
///    "encoding": E}, NAME: X, ...}, "ns_per_outlier": O, "machine": M, ...}
/// Names are QuantFormat::parse names (stored as getName(), so "int4-g128"
/// and "int4" are one format); "encoding", when present, must be the
/// format's getEncodingAttr(). Figures must be finite and non-negative.
/// Errors start with `source` and name the offending key.
llvm::Expected<LatencyModel> parseLatencyModel(llvm::StringRef json,
                                               llvm::StringRef source);

/// parseLatencyModel of a file; the source is its path.
llvm::Expected<LatencyModel> loadLatencyModel(llvm::StringRef path);

/// The model measured on the development machine (bench/latency_model.json,
/// compiled in).
const LatencyModel &getDefaultLatencyModel();

/// What a budget limits.
enum class BudgetKind {
  /// Average stored bits per weight, metadata included (costs in bits).
  BitsPerWeight,
  /// Total bytes of the physical parts: codes and metadata (costs in bytes).
  Bytes,
  /// Modelled latency of a LatencyModel (costs in ns).
  Latency,
};

/// Latency budget in ns for `microseconds`: floor(us * 1000), with decimal
/// inputs like 12.345 giving the exact product.
uint64_t budgetFromMicroseconds(double microseconds);

/// A byte count: digits with an optional suffix B, kB/KB (1000), MB, GB,
/// KiB (1024), MiB, GiB (case-insensitive, fractions allowed with a suffix,
/// "1.5MiB"). Errors quote the text.
llvm::Expected<uint64_t> parseByteSize(llvm::StringRef text);

} // namespace quantize
} // namespace qnt
} // namespace mlir

#endif // QUANT_QUANTIZE_BITALLOCATION_H

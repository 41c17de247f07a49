//===- Report.h - Quantization report writers -------------------*- C++ -*-===//
//
// What the deciding passes report: a per-layer table (format, bits per
// weight, error, bytes) as aligned text and as JSON, and an SVG plot of the
// total error against the model size across budgets (the Pareto frontier),
// with the chosen assignment highlighted.
//
//===----------------------------------------------------------------------===//

#ifndef QUANT_QUANTIZE_REPORT_H
#define QUANT_QUANTIZE_REPORT_H

#include "quant/Quantize/BitAllocation.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <string>
#include <vector>

namespace mlir {
namespace qnt {
namespace quantize {

/// One row of the per-layer table.
struct LayerReport {
  std::string name;
  /// QuantFormat::getName() and the #qnt attribute (may be empty).
  std::string format, encoding;
  /// How the weights were quantized ("rtn", "mse", "gptq", ...).
  std::string method;
  int64_t rows = 0, cols = 0;
  /// Exact stored bits and physical bytes.
  uint64_t bits = 0, bytes = 0;
  /// Output error Tr(dW H dW^T), and relative to Tr(W H W^T) (< 0: unknown).
  double error = 0.0, relativeError = -1.0;
  /// Modelled latency of the layer's kernel (< 0: unknown).
  double latencyUs = -1.0;
  /// Model sensitivity: the factor from the layer's output error to the
  /// model's (`error` includes it; < 0: not measured).
  double gain = -1.0;

  double getBitsPerWeight() const;
};

/// Totals over the layers.
struct ReportTotals {
  int64_t weights = 0;
  uint64_t bits = 0, bytes = 0;
  double error = 0.0;
  /// Sum of the layers' modelled latencies (< 0: some layer's is unknown).
  double latencyUs = -1.0;
  double getBitsPerWeight() const;
};
ReportTotals computeTotals(llvm::ArrayRef<LayerReport> layers);

/// The table as aligned text with a total line.
void writeLayerTable(llvm::raw_ostream &os, llvm::ArrayRef<LayerReport> layers);

/// {"layers": [{name, format, encoding, method, shape, bits,
/// bits_per_weight, bytes, error, relative_error}...], "total": {...}}.
llvm::json::Value layerReportToJSON(llvm::ArrayRef<LayerReport> layers);

/// One point of the size / error plot.
struct ParetoPoint {
  /// x: average bits per weight (or any size measure); y: total error.
  double size = 0.0, error = 0.0;
  bool chosen = false;
  std::string label;
  /// A point of the budget sweep (drawn as a square, off the frontier line).
  bool swept = false;
};

/// Points of a list of allocations: size = cost / numWeights.
std::vector<ParetoPoint>
paretoPointsFromAllocations(llvm::ArrayRef<Allocation> allocations,
                            uint64_t numWeights);

struct PlotOptions {
  std::string title = "Total error against size";
  std::string xLabel = "average bits per weight";
  std::string yLabel = "total output error";
  /// Logarithmic error axis (used only when every error is positive).
  bool logError = true;
  int width = 640, height = 420;
};

/// A standalone SVG: axes with ticks and labels, the frontier as a line
/// through the (non-swept) points sorted by size, a circle per frontier
/// point, a square per swept point, the chosen ones highlighted and
/// labelled, and a legend.
void writeParetoSVG(llvm::raw_ostream &os, llvm::ArrayRef<ParetoPoint> points,
                    const PlotOptions &options = {});

/// One budget of a sweep and the assignment the knapsack chose under it.
struct SweepRow {
  /// The budget as text ("4.25 bits/w", "65536 B", "120.500 us").
  std::string budget;
  uint64_t weights = 0, bits = 0, bytes = 0;
  /// Modelled latency (< 0: the latency model lacks a chosen format).
  double latencyUs = -1.0;
  double error = 0.0;
  /// The budget the model was compiled under.
  bool chosen = false;

  double getBitsPerWeight() const;
};

/// The budget the formats were chosen under, and the results across budgets.
struct BudgetReport {
  /// What the budget limits: "bits per weight", "bytes" or "latency".
  std::string kind;
  /// The budget given, as text.
  std::string budget;
  /// Which latency model gave the latency figures (empty: none).
  std::string latencyModel;
  /// By increasing budget.
  std::vector<SweepRow> sweep;
};

/// The sweep as an aligned table (budget -> bits/w, bytes, latency, error),
/// under a line naming the budget and the latency model.
void writeSweepTable(llvm::raw_ostream &os, const BudgetReport &budget);

/// {"kind", "budget", "latency_model", "sweep": [{budget, bits,
/// bits_per_weight, bytes, latency_us, error, chosen}...]}.
llvm::json::Value budgetReportToJSON(const BudgetReport &budget);

/// Writes report.txt, report.json and pareto.svg into `dir` (created if
/// missing); with `budget`, report.txt also holds the sweep table and
/// report.json a "budget" member. Errors name the file.
llvm::Error writeReportFiles(llvm::StringRef dir,
                             llvm::ArrayRef<LayerReport> layers,
                             llvm::ArrayRef<ParetoPoint> points,
                             const PlotOptions &options = {},
                             const BudgetReport *budget = nullptr);

} // namespace quantize
} // namespace qnt
} // namespace mlir

#endif // QUANT_QUANTIZE_REPORT_H

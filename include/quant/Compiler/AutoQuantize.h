//===- AutoQuantize.h - calibrated quantization under a budget --*- C++ -*-===//
//
// The automatic flow after calibration: every qnt.matmul whose weight is a
// 2-D #qnt.plain constant is quantized to each candidate format (GPTQ with
// the layer's X^T X, or round-to-nearest), scored by its output error
// Tr(dW X^T X dW^T), and one format per layer is chosen by the exact
// multiple-choice knapsack under a budget: average bits per weight
// (metadata included), total bytes, or modelled CPU latency. The chosen
// codes replace the plain constant; the quantizer's arithmetic comes from
// lib/Quantize.
//
//===----------------------------------------------------------------------===//

#ifndef QUANT_COMPILER_AUTOQUANTIZE_H
#define QUANT_COMPILER_AUTOQUANTIZE_H

#include "quant/Compiler/Calibration.h"
#include "quant/Quantize/BitAllocation.h"
#include "quant/Quantize/Report.h"
#include "quant/Quantize/Sensitivity.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LLVM.h"

#include <string>
#include <vector>

namespace mlir {
namespace qnt {

/// The candidates quant-compile uses without --candidates: int2, symmetric
/// and asymmetric 3- and 4-bit integers with groups of 32 to 128, NF4, and
/// int8 for the layers that need it, so the knapsack can trade group size
/// and zero points against bits per layer.
std::vector<std::string> getDefaultCandidates();

struct AutoQuantizeOptions {
  /// Candidate formats, as quantize::CandidateFormat::parse names them:
  /// QuantFormat names ("int4-g32", "int3-g64", "nf4", "mxfp4", ...), or
  /// dense + sparse ones ("int3-g32+o1": the top 1 % of the weights, by
  /// |w| * sqrt(diag(X^T X)), kept in the CSR part of a #qnt.outliers).
  std::vector<std::string> candidates = getDefaultCandidates();
  /// Average stored bits per weight over the quantized layers.
  double budgetBits = 4.25;
  /// GPTQ (second-order error compensation) rather than round-to-nearest.
  bool gptq = true;
  /// GPTQ: quantize columns by decreasing diag(X^T X).
  bool actOrder = true;
  /// Group scales (and zero points) by an MSE clipping search weighted by
  /// diag(X^T X), rather than min-max.
  bool mseClip = true;
  /// How a candidate's error is scored for the knapsack: the layer's output
  /// error Tr(dW X^T X dW^T), or the cheaper Hessian-trace proxy
  /// trace(X^T X) / K * ||dW||^2 (no cross-channel terms).
  quantize::SensitivityKind sensitivity =
      quantize::SensitivityKind::OutputError;
  /// Outlier handling on the float model before the formats are chosen
  /// (rewriteOutlierChannels): Hadamard rotations folded into producer /
  /// consumer pairs (qnt-rotate-weights), per-channel scale migration
  /// ("awq", "smoothquant" or "" for none; qnt-migrate-scales, AWQ
  /// searching for `migrateFormat`), and outlier channel grouping absorbed
  /// by the producers (qnt-reorder-channels, unabsorbable groups skipped).
  bool rotate = false;
  std::string migrate = "awq";
  std::string migrateFormat = "int4-g64";
  bool reorder = true;
  /// Where report.txt, report.json and pareto.svg go; empty: nowhere.
  std::string reportDir;
  /// Output rows per allocation unit: 0 chooses one format per layer; N
  /// cuts each layer's output channels into slices of N rows, each scored
  /// (Tr(dW_s X^T X dW_s^T)) and chosen on its own, and the layer becomes
  /// one qnt.matmul per run of slices sharing a format, concatenated.
  int64_t sliceRows = 0;
  /// What the budget limits: budgetBits (average stored bits per weight),
  /// budgetBytes (the quantized layers' physical bytes, codes and
  /// metadata) or budgetLatencyUs (their latency under latencyModel, in
  /// whole nanoseconds, so the knapsack stays exact).
  quantize::BudgetKind budgetKind = quantize::BudgetKind::BitsPerWeight;
  uint64_t budgetBytes = 0;
  double budgetLatencyUs = 0.0;
  /// The CPU cost model of latency budgets and of the report's latencies.
  quantize::LatencyModel latencyModel = quantize::getDefaultLatencyModel();

  bool rewritesChannels() const {
    return rotate || !migrate.empty() || reorder;
  }

  /// Model sensitivity (quant-compile --sensitivity=model): each layer's
  /// output errors (Tr(dW X^T X dW^T), whatever `sensitivity` says) are
  /// multiplied by a gain measured on the model: the float model runs on
  /// the first `sensitivitySamples` samples of `modelRun` with the layer's
  /// weight replaced by a reference candidate (the median by bits), and
  /// gain = (model output error per sample) / (layer output error per
  /// calibration sample) of that candidate. Layer errors then compare
  /// across layers in units of model output error.
  bool modelSensitivity = false;
  int64_t sensitivitySamples = 32;
  CalibrationOptions modelRun;
  /// With modelSensitivity (--sensitivity=model-exact): every candidate of
  /// every layer is measured on the model itself (one JIT compilation per
  /// pair) instead of scaling layer errors by one gain; whole layers only.
  bool modelExact = false;
};

struct AutoQuantizeResult {
  /// One row per quantized layer (per slice, "name[begin:end]", with
  /// sliceRows), in program order.
  std::vector<quantize::LayerReport> layers;
  /// The chosen candidate index per layer, total bits and total error.
  quantize::Allocation allocation;
  /// Weights of the quantized layers.
  uint64_t numWeights = 0;
  /// Totals of the chosen assignment: stored bits, bytes and modelled
  /// latency (< 0: the latency model lacks a chosen format).
  uint64_t bits = 0, bytes = 0;
  double latencyUs = -1.0;
};

/// The float rewrites of `options` (rotate, migrate, reorder, in that
/// order), on a module whose qnt.matmul ops carry `qnt.layer` names: the
/// per-channel input statistics of `calibration` are attached to each layer
/// for the passes (qnt.input_absmax, qnt.input_meanabs) and removed after.
/// The model computes the same function (up to float rounding); its layer
/// inputs change, so calibrate again before autoQuantizeWeights.
LogicalResult rewriteOutlierChannels(ModuleOp module,
                                     const CalibrationResult &calibration,
                                     const AutoQuantizeOptions &options);

/// Quantizes the plain qnt.matmul weights of `module` as described above.
/// Every such layer needs X^T X in `calibration` (matched by its qnt.layer
/// name). Errors (unknown formats, missing statistics, a budget below the
/// cheapest assignment, packed parts that do not decode to the quantizer's
/// values) are reported at the op or the module.
FailureOr<AutoQuantizeResult>
autoQuantizeWeights(ModuleOp module, const CalibrationResult &calibration,
                    const AutoQuantizeOptions &options);

} // namespace qnt
} // namespace mlir

#endif // QUANT_COMPILER_AUTOQUANTIZE_H

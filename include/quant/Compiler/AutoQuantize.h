//===- AutoQuantize.h - calibrated quantization under a budget --*- C++ -*-===//
//
// The automatic flow after calibration: every qnt.matmul whose weight is a
// 2-D #qnt.plain constant is quantized to each candidate format (GPTQ with
// the layer's X^T X, or round-to-nearest), scored by its output error
// Tr(dW X^T X dW^T), and one format per layer is chosen by the exact
// multiple-choice knapsack under an average bits-per-weight budget
// (metadata included). The chosen codes replace the plain constant; the
// quantizer's arithmetic comes from lib/Quantize.
//
//===----------------------------------------------------------------------===//

#ifndef QUANT_COMPILER_AUTOQUANTIZE_H
#define QUANT_COMPILER_AUTOQUANTIZE_H

#include "quant/Compiler/Calibration.h"
#include "quant/Quantize/BitAllocation.h"
#include "quant/Quantize/Report.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LLVM.h"

#include <string>
#include <vector>

namespace mlir {
namespace qnt {

struct AutoQuantizeOptions {
  /// Candidate formats, as quantize::QuantFormat::parse names them
  /// ("int4-g32", "int3-g64", "nf4", "mxfp4", ...).
  std::vector<std::string> candidates;
  /// Average stored bits per weight over the quantized layers.
  double budgetBits = 4.25;
  /// GPTQ (second-order error compensation) rather than round-to-nearest.
  bool gptq = true;
  /// GPTQ: quantize columns by decreasing diag(X^T X).
  bool actOrder = false;
  /// Where report.txt, report.json and pareto.svg go; empty: nowhere.
  std::string reportDir;
};

struct AutoQuantizeResult {
  /// One row per quantized layer, in program order.
  std::vector<quantize::LayerReport> layers;
  /// The chosen candidate index per layer, total bits and total error.
  quantize::Allocation allocation;
  /// Weights of the quantized layers.
  uint64_t numWeights = 0;
};

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

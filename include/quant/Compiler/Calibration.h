//===- Calibration.h - run the float model, record layer inputs -*- C++ -*-===//
//
// Calibration runs a model on sample inputs, in process (JIT), and records
// the statistics of the input (lhs) of every qnt.matmul: min / max,
// per-channel max |x| and mean |x|, the row count and, for layers with K up
// to a limit, X^T X. The weight quantizers (GPTQ, MSE clipping), the outlier
// scoring and the bit-width assignment read them.
//
// Layers are named by a `qnt.layer` string attribute on each qnt.matmul
// (assignLayerNames), so statistics written to disk and the module can be
// matched up later.
//
// Inputs come from `.npy` files in a directory (named after the model's ABI
// inputs, docs/ABI.md), in either layout:
//   DIR/<input>.npy          the input's shape (one sample) or [S, shape...]
//                            (S samples); every input gives the same S;
//   DIR/<sample>/<input>.npy one sample per subdirectory, in name order.
// or are synthetic: standard normal values from a fixed seed (float inputs
// only). Synthetic inputs are i.i.d., so their X^T X is close to a multiple
// of the identity: good for testing the flow, not for tuning quantizers.
//
//===----------------------------------------------------------------------===//

#ifndef QUANT_COMPILER_CALIBRATION_H
#define QUANT_COMPILER_CALIBRATION_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <string>
#include <vector>

namespace mlir {
namespace qnt {

/// The discardable attribute that names a qnt.matmul layer.
inline constexpr llvm::StringLiteral kLayerAttrName = "qnt.layer";

/// Running statistics of the rows of one layer's input, a [rows, K] matrix.
/// Plain C++: accumulation is in double, so the order in which rows arrive
/// changes results only by double rounding.
class LayerInputStats {
public:
  /// Statistics over K channels; X^T X only when `withGram`.
  LayerInputStats(int64_t k, bool withGram);

  /// Adds `rows` rows of K floats, row-major. Values must be finite.
  void addRows(const float *data, int64_t rows);

  int64_t getK() const { return k; }
  int64_t getRows() const { return rows; }
  bool hasGram() const { return withGram; }
  /// Smallest and largest value seen (+inf / -inf before any row).
  float getMin() const { return minValue; }
  float getMax() const { return maxValue; }
  /// max |x| per channel.
  llvm::ArrayRef<float> getAbsMax() const { return absMax; }
  /// sum |x| / rows per channel (zeros before any row).
  std::vector<double> getMeanAbs() const;
  /// X^T X = sum over rows of x x^T, K x K row-major and symmetric. Not
  /// divided by the row count. Empty without `withGram`.
  std::vector<double> getGram() const;

private:
  void flushChunk();

  int64_t k;
  bool withGram;
  int64_t rows = 0;
  float minValue;
  float maxValue;
  std::vector<float> absMax;
  std::vector<double> sumAbs;
  /// Upper triangle of X^T X (full K x K storage).
  std::vector<double> gram;
  /// Rows not yet folded into `gram`, transposed: chunk[i * kChunk + r].
  std::vector<double> chunk;
  int64_t chunkRows = 0;
};

/// The statistics of one qnt.matmul layer.
struct LayerCalibration {
  /// The layer's `qnt.layer` name.
  std::string name;
  /// Position of the op among the entry function's qnt.matmul ops.
  int64_t index = 0;
  /// Input channels (K) and output channels (N).
  int64_t k = 0;
  int64_t n = 0;
  LayerInputStats stats;

  LayerCalibration(std::string name, int64_t index, int64_t k, int64_t n,
                   bool withGram)
      : name(std::move(name)), index(index), k(k), n(n), stats(k, withGram) {}
};

struct CalibrationOptions {
  /// The public function to run; empty: the only public one.
  std::string entry;
  /// Directory of .npy samples (layouts above); empty: synthetic inputs.
  std::string dataDir;
  /// Synthetic samples to run when dataDir is empty.
  int64_t syntheticSamples = 8;
  /// Seed of the synthetic inputs.
  uint64_t seed = 0;
  /// X^T X is recorded for layers with K up to this (it takes 8 K^2 bytes).
  int64_t maxGramK = 4096;
  /// Run the model through the CPU pipeline rather than the reference
  /// lowering (the oracle the other backends are checked against).
  bool cpuPipeline = false;
};

struct CalibrationResult {
  /// Samples the model ran on.
  int64_t numSamples = 0;
  /// Where the samples came from: the directory, or "synthetic".
  std::string source;
  /// One entry per qnt.matmul of the entry function, in program order.
  std::vector<LayerCalibration> layers;

  /// The layer named `name`, or null.
  const LayerCalibration *lookup(llvm::StringRef name) const;
};

/// Gives every qnt.matmul in `module` without a `qnt.layer` name a unique
/// one: the op's NameLoc name (an ONNX node name) made a file-name-safe
/// string ([A-Za-z0-9_.:-]), else "layer<i>" with i its position among
/// the module's qnt.matmul ops; clashes get a ".<n>" suffix. Fails, at the op,
/// when two ops already carry the same name or a name is not a non-empty
/// string.
LogicalResult assignLayerNames(ModuleOp module);

/// Runs the entry function of `module` on the samples `options` names and
/// returns the statistics of every qnt.matmul lhs in the entry function.
/// Names layers first (assignLayerNames, which changes `module`); otherwise
/// works on a copy. Every qnt.matmul must sit directly in the body of a
/// single-block entry function and have a static f32 lhs. Errors (missing or
/// mismatched .npy files, non-finite activations, lowering or JIT failures)
/// are reported through the module's context.
FailureOr<CalibrationResult> calibrateModel(ModuleOp module,
                                            const CalibrationOptions &options);

/// Writes `result` to directory `dir` (created if needed): `stats.json` with
/// every layer's name, index, k, n, rows, min, max, abs_max and mean_abs
/// arrays, and for layers with X^T X a file `<name>.xtx.npy` (float64, K x K)
/// named by the layer's "xtx" field. Errors are reported at `loc`.
LogicalResult writeCalibration(const CalibrationResult &result,
                               llvm::StringRef dir, Location loc);

/// One layer's float weights replaced by other values (row-major, the
/// plain weight's shape), e.g. a quantized candidate's dequantized values.
struct WeightReplacement {
  /// The `qnt.layer` name of the qnt.matmul whose plain weight changes.
  std::string layer;
  std::vector<float> weights;
};

/// The model output errors of weight replacements.
struct OutputErrorResult {
  /// Samples the model ran on.
  int64_t numSamples = 0;
  /// sum over float outputs of y_float^2, averaged over the samples.
  double referenceEnergy = 0.0;
  /// Per replacement: sum over float outputs of (y_replaced - y_float)^2,
  /// averaged over the samples; all other layers stay float.
  std::vector<double> errors;
};

/// Runs `module` (float, layers named) as calibrateModel does on the first
/// `maxSamples` samples of `options`, once as is and once per replacement
/// with that one layer's weight replaced, and measures how far the entry
/// function's float results move. Each replacement compiles its own copy
/// (weights are constants), so this costs one JIT compilation per entry.
/// The layer must have a 2-D #qnt.plain weight with f32 storage.
FailureOr<OutputErrorResult>
measureOutputErrors(ModuleOp module, llvm::ArrayRef<WeightReplacement> changes,
                    const CalibrationOptions &options, int64_t maxSamples);

} // namespace qnt
} // namespace mlir

#endif // QUANT_COMPILER_CALIBRATION_H

//===- Sensitivity.h - Calibration statistics and layer errors --*- C++ -*-===//
//
// What calibration records about a linear layer's input X [samples, K]
// (per-channel min / max / absolute max / mean absolute value, and
// H = X^T X), and the sensitivity measures the bit-width assignment uses:
//  * the output error of quantizing W to Wq, Tr(dW H dW^T) with dW = W - Wq,
//    which is ||dW X^T||_F^2, the squared error of the layer's outputs over
//    the calibration samples;
//  * the same split into groups (the block-diagonal part of H);
//  * a Hessian-trace proxy, (trace(H) / K) * ||dW||_F^2, exact when H is a
//    multiple of the identity and needing only diag(H).
//
//===----------------------------------------------------------------------===//

#ifndef QUANT_QUANTIZE_SENSITIVITY_H
#define QUANT_QUANTIZE_SENSITIVITY_H

#include "quant/Quantize/QuantFormat.h"

#include "llvm/ADT/ArrayRef.h"

#include <cstdint>
#include <vector>

namespace mlir {
namespace qnt {
namespace quantize {

/// Running statistics of a layer input with `channels` channels (K), for
/// callers without an MLIR module. The compiler's calibration
/// (LayerInputStats in quant/Compiler/Calibration.h) records the same
/// quantities in the same types (absmax float, mean |x| and X^T X double),
/// so its results feed the functions here directly.
class ActivationStats {
public:
  /// `keepHessian`: also accumulate X^T X ([K, K] doubles).
  explicit ActivationStats(int64_t channels, bool keepHessian = true);

  /// Adds `samples` rows of a row-major [samples, K] activation.
  void add(llvm::ArrayRef<float> x, int64_t samples);

  int64_t getChannels() const { return channels; }
  int64_t getNumSamples() const { return samples; }
  float getMin() const { return minValue; }
  float getMax() const { return maxValue; }
  const std::vector<float> &getChannelAbsMax() const { return absMax; }
  /// Mean of |x| per channel over the samples seen.
  std::vector<double> getChannelMeanAbs() const;
  /// X^T X (empty unless kept).
  const std::vector<double> &getHessian() const { return hessian; }

private:
  int64_t channels;
  int64_t samples = 0;
  float minValue, maxValue;
  std::vector<float> absMax;
  std::vector<double> absSum;
  std::vector<double> hessian;
};

/// H += X^T X for a row-major [samples, K] activation (H is [K, K]).
void accumulateHessian(std::vector<double> &hessian, llvm::ArrayRef<float> x,
                       int64_t samples, int64_t channels);

/// Tr(dW H dW^T), dW = w - wq, both [rows, cols], H [cols, cols].
double outputError(llvm::ArrayRef<float> w, llvm::ArrayRef<float> wq,
                   int64_t rows, int64_t cols, llvm::ArrayRef<double> hessian);

/// Per (row, group) error dw_g^T H_gg dw_g using the diagonal block of H of
/// each group of `groupSize` input channels (0 = whole row), row-major
/// [rows, groups]. Their sum is outputError for a block-diagonal H; each is
/// non-negative, so groups can be ranked and chosen independently.
std::vector<double> groupOutputErrors(llvm::ArrayRef<float> w,
                                      llvm::ArrayRef<float> wq, int64_t rows,
                                      int64_t cols, int64_t groupSize,
                                      llvm::ArrayRef<double> hessian);

/// Hessian-trace proxy: (sum(diagH) / cols) * ||w - wq||_F^2, where
/// `diagH` is diag(H) (size cols).
double traceProxyError(llvm::ArrayRef<float> w, llvm::ArrayRef<float> wq,
                       int64_t rows, int64_t cols,
                       llvm::ArrayRef<double> diagH);

/// diag(H) of a row-major [n, n] matrix.
std::vector<double> getDiagonal(llvm::ArrayRef<double> hessian, int64_t n);

/// Which sensitivity a caller wants.
enum class SensitivityKind { OutputError, TraceProxy };

/// The chosen sensitivity of quantizing `w` to `wq`; `hessian` is [K, K].
double layerSensitivity(SensitivityKind kind, llvm::ArrayRef<float> w,
                        llvm::ArrayRef<float> wq, int64_t rows, int64_t cols,
                        llvm::ArrayRef<double> hessian);

} // namespace quantize
} // namespace qnt
} // namespace mlir

#endif // QUANT_QUANTIZE_SENSITIVITY_H

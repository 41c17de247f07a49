//===- WeightQuantizer.h - RTN, MSE clipping and GPTQ -----------*- C++ -*-===//
//
// Weight quantization methods over any QuantFormat:
//  * round-to-nearest with min-max parameters (the reference encode);
//  * MSE-optimal clipping: per group, a grid search over shrink factors of
//    the range, keeping the one with the least (optionally weighted) squared
//    error;
//  * GPTQ (Frantar et al., 2023): columns are quantized one at a time and
//    the error of each is spread over the columns not yet quantized, using
//    the upper Cholesky factor of the inverse of H = X^T X + damp * I.
//
// W is row-major [rows, cols] = [N, K]; H is row-major double [K, K].
//
//===----------------------------------------------------------------------===//

#ifndef QUANT_QUANTIZE_WEIGHTQUANTIZER_H
#define QUANT_QUANTIZE_WEIGHTQUANTIZER_H

#include "quant/Quantize/QuantFormat.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"

namespace mlir {
namespace qnt {
namespace quantize {

/// How group parameters are chosen.
struct ScaleSearchOptions {
  /// false: min-max (the reference encode); true: MSE clipping search.
  bool mseClip = false;
  /// Number of shrink factors tried, evenly spaced from 1 down to minShrink.
  int gridPoints = 32;
  float minShrink = 0.5f;
  /// Optional per-input-channel weights of the squared error (size cols),
  /// e.g. diag(X^T X); empty means uniform weights.
  llvm::ArrayRef<double> columnWeights;
};

/// Parameters of one group chosen by `options`. `firstCol` locates the group
/// in the row for the column weights.
GroupParams searchGroupParams(const QuantFormat &format, const float *x,
                              int64_t n, float tensorScale,
                              const ScaleSearchOptions &options,
                              int64_t firstCol = 0);

/// Round-to-nearest quantization of every group, with min-max or MSE-clipped
/// parameters. Fails on a bad format or a size mismatch.
llvm::Expected<QuantizedWeights>
quantizeRTN(const QuantFormat &format, llvm::ArrayRef<float> w, int64_t rows,
            int64_t cols, const ScaleSearchOptions &options = {});

struct GPTQOptions {
  /// Dampening added to the diagonal: dampPercent * mean(diag(H)).
  double dampPercent = 0.01;
  /// Columns per lazy batch update.
  int64_t blockSize = 128;
  /// Quantize columns in order of decreasing diag(H).
  bool actOrder = false;
  /// How each group's parameters are chosen when its first column comes up.
  ScaleSearchOptions scaleSearch;
};

/// GPTQ. Group parameters are computed on the fly, when the first column of
/// a group comes up, from the current (error-compensated) weights of all the
/// group's columns; groups always cover consecutive input channels of the
/// original order, with and without act-order, so the result is in `format`
/// with no permutation. Columns with diag(H) == 0 (dead inputs) are
/// quantized as they are and get no compensation. If the damped H is not
/// positive definite the dampening is raised tenfold, up to 4 times.
llvm::Expected<QuantizedWeights> quantizeGPTQ(const QuantFormat &format,
                                              llvm::ArrayRef<float> w,
                                              int64_t rows, int64_t cols,
                                              llvm::ArrayRef<double> hessian,
                                              const GPTQOptions &options = {});

/// GPTQ that keeps the positions with `exact[r * cols + c]` != 0 (empty: none)
/// out of the quantization, as SpQR does for its outliers: they leave their
/// groups' parameter search, their dense codes hold 0 quantized, they make
/// no error, and the values they reach after the error compensation of the
/// columns before them are returned in `exactValues` (rows x cols, 0
/// elsewhere) for the caller to store exactly. Errors as quantizeGPTQ.
llvm::Expected<QuantizedWeights> quantizeGPTQKeepingExact(
    const QuantFormat &format, llvm::ArrayRef<float> w, int64_t rows,
    int64_t cols, llvm::ArrayRef<double> hessian, llvm::ArrayRef<uint8_t> exact,
    std::vector<float> &exactValues, const GPTQOptions &options = {});

/// In-place Cholesky factorization of the symmetric positive definite
/// row-major [n, n] matrix `a`: on success the lower triangle holds L with
/// a = L L^T and the strict upper triangle is zeroed. Returns false when a
/// pivot is not positive.
bool choleskyLower(std::vector<double> &a, int64_t n);

/// Upper Cholesky factor U of inverse(a) (inverse(a) = U^T U), as GPTQ uses
/// it, for a symmetric positive definite `a`. Returns false when `a` is not
/// positive definite.
bool inverseCholeskyUpper(llvm::ArrayRef<double> a, int64_t n,
                          std::vector<double> &upper);

} // namespace quantize
} // namespace qnt
} // namespace mlir

#endif // QUANT_QUANTIZE_WEIGHTQUANTIZER_H

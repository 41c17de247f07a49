//===- Outliers.h - Outlier channels, scale migration, rotation -*- C++ -*-===//
//
// Transformations that make a linear layer y = W x easier to quantize while
// keeping it equivalent, to be folded into the weights and into the op that
// produces x:
//  * channel permutations that put the outlier input channels together, so
//    that they share quantization groups (W's columns and the producer's
//    rows / per-channel vectors are permuted alike);
//  * per-input-channel scale migration, W' = W diag(s), x' = diag(1/s) x:
//    AWQ (grid search over alpha for s = a^alpha / w^(1 - alpha), judged by
//    the layer's output error after quantization) and SmoothQuant;
//  * a random Hadamard rotation Q (orthogonal): W' = W Q^T, x' = Q x;
//  * dense + sparse splitting: the largest-magnitude weights go to a CSR
//    part kept in high precision, the rest is quantized densely.
// Each transform also maps H = X^T X to that of the new activations, so
// GPTQ and the sensitivities can run on the transformed layer.
//
// Vectors and matrices are row-major floats; W is [rows, cols] = [N, K].
//
//===----------------------------------------------------------------------===//

#ifndef QUANT_QUANTIZE_OUTLIERS_H
#define QUANT_QUANTIZE_OUTLIERS_H

#include "quant/Quantize/WeightQuantizer.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <vector>

namespace mlir {
namespace qnt {
namespace quantize {

//===----------------------------------------------------------------------===//
// Permutations
//===----------------------------------------------------------------------===//

/// A channel order: new position j holds old channel order[j].
using ChannelOrder = std::vector<int64_t>;

/// Whether `order` is a permutation of [0, n).
bool isPermutation(llvm::ArrayRef<int64_t> order, int64_t n);
/// The inverse: result[order[j]] = j.
ChannelOrder invertOrder(llvm::ArrayRef<int64_t> order);

/// W'[:, j] = W[:, order[j]] (the consumer's input channels).
std::vector<float> permuteColumns(llvm::ArrayRef<float> w, int64_t rows,
                                  int64_t cols, llvm::ArrayRef<int64_t> order);
/// W'[j, :] = W[order[j], :] (the producer's output channels).
std::vector<float> permuteRows(llvm::ArrayRef<float> w, int64_t rows,
                               int64_t cols, llvm::ArrayRef<int64_t> order);
/// v'[j] = v[order[j]] (bias, norm gamma and beta of the producer).
std::vector<float> permuteVector(llvm::ArrayRef<float> v,
                                 llvm::ArrayRef<int64_t> order);

/// X^T X of the permuted activations: H'[i][j] = H[order[i]][order[j]].
std::vector<double> permuteHessian(llvm::ArrayRef<double> hessian,
                                   llvm::ArrayRef<int64_t> order);

/// The `permutation` part of `#qnt.permuted<BASE, axis = 1>` for a weight
/// whose base stores the columns in `order`: decode reads
/// x[..., i] = base[..., perm[i]], so perm is the inverse order.
std::vector<int32_t> toEncodingPermutation(llvm::ArrayRef<int64_t> order);

/// Outlier score of each input channel: actScale[k] * ||W[:, k]||_2, with
/// actScale the activation absolute max (or mean absolute value).
std::vector<double> channelOutlierScores(llvm::ArrayRef<float> actScale,
                                         llvm::ArrayRef<float> w, int64_t rows,
                                         int64_t cols);

/// Order that groups outlier channels. With numOutliers < 0 all channels are
/// sorted by decreasing score (stable), so channels of similar magnitude
/// share groups; otherwise only the `numOutliers` highest-scoring channels
/// move to the front (by decreasing score) and the rest keep their order.
ChannelOrder outlierGroupingOrder(llvm::ArrayRef<double> scores,
                                  int64_t numOutliers = -1);

//===----------------------------------------------------------------------===//
// Scale migration
//===----------------------------------------------------------------------===//

/// W' = W diag(factors): column k scaled by factors[k].
std::vector<float> scaleColumns(llvm::ArrayRef<float> w, int64_t rows,
                                int64_t cols, llvm::ArrayRef<float> factors);
/// W' = diag(factors) W: row j scaled by factors[j] (the producer side,
/// with factors = 1 / s).
std::vector<float> scaleRows(llvm::ArrayRef<float> w, int64_t rows,
                             int64_t cols, llvm::ArrayRef<float> factors);
/// 1 / v elementwise.
std::vector<float> reciprocal(llvm::ArrayRef<float> v);

/// X^T X of the migrated activations x' = diag(1/s) x:
/// H'[a][b] = H[a][b] / (s[a] * s[b]), so GPTQ can run on W diag(s).
std::vector<double> scaleHessian(llvm::ArrayRef<double> hessian,
                                 llvm::ArrayRef<float> s);

/// SmoothQuant: s_k = actAbsMax_k^alpha / max_n |W[n, k]|^(1 - alpha)
/// (1 where either is zero), so that x / s and W diag(s) share the range.
std::vector<float> smoothQuantScales(llvm::ArrayRef<float> actAbsMax,
                                     llvm::ArrayRef<float> w, int64_t rows,
                                     int64_t cols, double alpha = 0.5);

struct AWQOptions {
  /// alpha in {0, 1 / (gridPoints - 1), ..., 1}.
  int gridPoints = 21;
  /// Divide the activation term by the weight term (s = a^alpha / w^(1 -
  /// alpha)); false gives plain s = a^alpha.
  bool weightTerm = true;
  /// How the scaled weights are quantized while searching.
  ScaleSearchOptions scaleSearch;
};

struct AWQResult {
  /// Chosen alpha, or -1 when no scaling beats s = 1.
  double alpha = -1.0;
  /// Per-input-channel scales (all 1 when alpha = -1).
  std::vector<float> scales;
  /// Output error with the chosen scales and with s = 1.
  double error = 0.0, baselineError = 0.0;
};

/// AWQ scale search. `actMeanAbs` is the activations' mean |x| per channel
/// (a); the weight term is mean_n |W[n, k]|; scales are normalized to
/// sqrt(max * min) = 1. Each candidate is judged by the output error of
/// RTN-quantizing W diag(s) and scaling back, with `hessian` either the full
/// [cols, cols] X^T X or only its diagonal (cols values).
llvm::Expected<AWQResult>
searchAWQScales(const QuantFormat &format, llvm::ArrayRef<float> w,
                int64_t rows, int64_t cols, llvm::ArrayRef<double> actMeanAbs,
                llvm::ArrayRef<double> hessian, const AWQOptions &options = {});

//===----------------------------------------------------------------------===//
// Hadamard rotation
//===----------------------------------------------------------------------===//

/// In-place orthonormal fast Walsh-Hadamard transform (Sylvester order,
/// scaled by 1/sqrt(n)) of `n` values; n must be a power of two. The
/// transform is symmetric and its own inverse.
void fastWalshHadamard(float *v, int64_t n);
void fastWalshHadamard(double *v, int64_t n);

/// Q = blockdiag(H_b0, H_b1, ...) diag(signs): orthonormal Walsh-Hadamard
/// blocks of power-of-two sizes (the binary decomposition of `size`, each
/// at most `maxBlock`) after a random +-1 diagonal.
class HadamardRotation {
public:
  /// `seed` drives the signs (std::mt19937_64, platform independent);
  /// `maxBlock` (a power of two, 0 = no limit) caps the block size, e.g.
  /// at the quantization group size so groups stay independent.
  static llvm::Expected<HadamardRotation> create(int64_t size, uint64_t seed,
                                                 int64_t maxBlock = 0,
                                                 bool randomSigns = true);

  int64_t getSize() const { return size; }
  llvm::ArrayRef<int64_t> getBlocks() const { return blocks; }

  /// v <- Q v and v <- Q^T v for one vector of getSize() values.
  void apply(float *v) const;
  void applyTranspose(float *v) const;

  /// W Q^T for W [rows, size] (each row w -> Q w): the consumer's weights.
  std::vector<float> rotateWeight(llvm::ArrayRef<float> w, int64_t rows) const;
  /// Each of `samples` activation rows x -> Q x.
  std::vector<float> rotateActivations(llvm::ArrayRef<float> x,
                                       int64_t samples) const;
  /// Q H Q^T for H [size, size] = X^T X: that of the rotated activations.
  std::vector<double> rotateHessian(llvm::ArrayRef<double> hessian) const;
  /// Q A for A [size, cols] (each column a -> Q a): the producer's weights
  /// (and, with cols = 1, its bias), so that it emits Q x.
  std::vector<float> rotateProducer(llvm::ArrayRef<float> a,
                                    int64_t cols) const;

private:
  int64_t size = 0;
  std::vector<int64_t> blocks;
  std::vector<float> signs;
};

//===----------------------------------------------------------------------===//
// Dense + sparse
//===----------------------------------------------------------------------===//

/// CSR outliers of a [rows, cols] matrix, the layout of #qnt.outliers.
struct SparseOutliers {
  int64_t rows = 0, cols = 0;
  std::vector<int32_t> rowOffsets; // rows + 1
  std::vector<int32_t> colIndices; // nnz, ascending within a row
  std::vector<float> values;       // nnz
  int64_t getNnz() const { return int64_t(values.size()); }
};

/// round(fraction * numel), clamped to [0, numel].
int64_t outlierCountForFraction(double fraction, int64_t numel);

/// Moves the `nnz` largest magnitudes (ties: lower row-major index, as the
/// dialect's encode picks them) into a CSR part and zeroes them in `dense`
/// (a copy of w).
SparseOutliers extractOutliers(llvm::ArrayRef<float> w, int64_t rows,
                               int64_t cols, int64_t nnz,
                               std::vector<float> &dense);

/// dense += sparse.
void addOutliers(const SparseOutliers &sparse,
                 llvm::MutableArrayRef<float> dense);

/// Outlier values as #qnt.outliers stores them once the dense part is
/// quantized: w[idx] - baseDequantized[idx] at each outlier position, so
/// base + outliers reproduces w exactly there.
std::vector<float> outlierResiduals(const SparseOutliers &sparse,
                                    llvm::ArrayRef<float> w,
                                    llvm::ArrayRef<float> baseDequantized);

/// Outlier score of each weight for the automatic flow:
/// |w[r][c]| * sqrt(columnWeights[c]) with columnWeights = diag(X^T X), the
/// square root of the output error that zeroing the weight alone would
/// cause; plain |w| when `columnWeights` is empty. NaN scores -1.
std::vector<double> outlierScores(llvm::ArrayRef<float> w, int64_t rows,
                                  int64_t cols,
                                  llvm::ArrayRef<double> columnWeights);

/// extractOutliers with the `nnz` highest `scores` (ties: lower row-major
/// index) instead of the largest magnitudes.
SparseOutliers extractOutliersByScore(llvm::ArrayRef<float> w, int64_t rows,
                                      int64_t cols, int64_t nnz,
                                      llvm::ArrayRef<double> scores,
                                      std::vector<float> &dense);

/// The `#qnt.outliers` CSR parts, little-endian as docs/Encodings.md lays
/// them out: row offsets (i32, rows + 1), column indices (i32, nnz) and
/// values (f16 or f32, nnz). `sparse.values` must already be on the value
/// type (see roundOutlierValue).
std::vector<std::vector<uint8_t>> packOutlierParts(const SparseOutliers &sparse,
                                                   ScaleType valueType);

/// `v` rounded to the outlier value type (f16 round to nearest even, f32
/// unchanged).
float roundOutlierValue(ScaleType valueType, float v);

//===----------------------------------------------------------------------===//
// Candidate formats of the automatic flow (dense, or dense + sparse)
//===----------------------------------------------------------------------===//

/// A candidate: a dense QuantFormat, optionally with the top
/// `outlierPercent` % of the weights (by outlierScores) kept in a CSR part,
/// i.e. `#qnt.outliers<DENSE, nnz = n, value = f16|f32>`.
struct CandidateFormat {
  QuantFormat dense;
  /// In (0, 100); 0 means no sparse part.
  double outlierPercent = 0.0;
  /// F16 or F32.
  ScaleType outlierValueType = ScaleType::F16;

  bool hasOutliers() const { return outlierPercent > 0.0; }

  /// `DENSE` or `DENSE+oP[-f16|-f32]`, DENSE as QuantFormat::parse takes it
  /// and P the percentage of weights kept sparse, in (0, 100): `int3-g32+o1`,
  /// `int4-g128+o0.5-f32`. Values are f16 unless `-f32` is given.
  static llvm::Expected<CandidateFormat> parse(llvm::StringRef name);
  /// Short name, as accepted by parse().
  std::string getName() const;
  /// Outliers of a [rows, cols] weight: round(P / 100 * rows * cols), at
  /// least 1 (the encoding needs nnz > 0); 0 without a sparse part.
  int64_t getNumOutliers(int64_t rows, int64_t cols) const;
  /// The encoding attribute of a [rows, cols] weight.
  std::string getEncodingAttr(int64_t rows, int64_t cols) const;
  /// Exact stored bits, as the encoding counts them: the dense format's,
  /// plus (rows + 1) * 32 row offsets and nnz * (32 + value bits).
  uint64_t getStorageBits(int64_t rows, int64_t cols) const;
  /// Bytes of the physical parts.
  uint64_t getStorageBytes(int64_t rows, int64_t cols) const;

private:
  /// Bits of the CSR part (whole bytes: 32-bit offsets and columns, f16 or
  /// f32 values); 0 without one.
  uint64_t getSparseBits(int64_t rows, int64_t cols) const;
};

/// A [rows, cols] weight quantized to a CandidateFormat.
struct QuantizedCandidate {
  CandidateFormat format;
  /// The dense part: the weight with the outliers zeroed, quantized.
  QuantizedWeights dense;
  /// The sparse part; values are the stored residuals w - dense (rounded to
  /// the value type). Empty (rows = 0) without outliers.
  SparseOutliers outliers;
  /// What the encoding decodes to: dense + outliers, added in f32.
  std::vector<float> dequantized;

  int64_t getRows() const { return dense.rows; }
  /// The physical parts: the dense format's, then the CSR parts.
  std::vector<std::vector<uint8_t>> packParts() const;
};

struct CandidateQuantizeOptions {
  /// GPTQ (with `hessian`) or round-to-nearest.
  bool gptq = true;
  GPTQOptions gptqOptions;
  /// Round-to-nearest parameter search.
  ScaleSearchOptions scaleSearch;
};

/// Quantizes `w` [rows, cols] to `format`, cut into slices of `sliceRows`
/// output rows (0: the whole weight as one slice; the last slice may be
/// shorter), each slice a weight of its own: its own outliers (the top P %
/// of its weights, scored with diag(hessian)), its own tensor scale. One
/// result per slice, in order. GPTQ and round-to-nearest treat rows
/// independently, so formats without a tensor scale are quantized once for
/// the whole weight and cut, which gives the same codes as slice by slice.
llvm::Expected<std::vector<QuantizedCandidate>>
quantizeCandidate(const CandidateFormat &format, llvm::ArrayRef<float> w,
                  int64_t rows, int64_t cols, llvm::ArrayRef<double> hessian,
                  int64_t sliceRows, const CandidateQuantizeOptions &options);

} // namespace quantize
} // namespace qnt
} // namespace mlir

#endif // QUANT_QUANTIZE_OUTLIERS_H

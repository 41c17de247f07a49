//===- QuantFormat.h - Target quantization grids ----------------*- C++ -*-===//
//
// Descriptions of the weight formats that the deciding passes choose between
// (uniform integers, block-scaled minifloats, NF4) and the arithmetic that
// puts a group of weights on a format's grid.
//
// Weights are row-major float matrices W [N, K] (output x input channels).
// Scales are shared along K: by groups of `groupSize` consecutive input
// channels of one output row, or by the whole row (per-channel). Every
// format maps to one `#qnt.*` encoding (getEncodingAttr) and all arithmetic
// follows docs/Encodings.md: scales are rounded to their stored type before
// they quantize, quantization rounds half to even and saturates, decode is
// `float(q - z) * s` or `decode(code) * s * tensor_scale` in f32, so the
// dequantized values computed here are the reference decode of the codes.
//
// Plain C++ over LLVM Support and QuantSupport (no MLIR).
//
//===----------------------------------------------------------------------===//

#ifndef QUANT_QUANTIZE_QUANTFORMAT_H
#define QUANT_QUANTIZE_QUANTFORMAT_H

#include "quant/Support/Minifloat.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>
#include <vector>

namespace mlir {
namespace qnt {
namespace quantize {

/// Stored type of a scale.
enum class ScaleType { F32, F16, BF16, E8M0, E4M3 };

/// Bits of one stored scale of `type`.
unsigned getScaleTypeBits(ScaleType type);

/// Rounds `x` to `type` and returns the raw stored bits (`code`) and the
/// decoded f32 value. F16/BF16/F32 round to nearest even; E4M3 saturates;
/// E8M0 takes floor(log2(x)) (callers normally pass a power of two).
float roundScale(ScaleType type, float x, uint32_t *code = nullptr);

/// Decodes stored scale bits.
float decodeScale(ScaleType type, uint32_t code);

/// The family of a format's grid.
enum class GridKind {
  /// value = (q - z) * s, q an N-bit integer.
  Uniform,
  /// value = decodeMinifloat(code) * s * tensor_scale.
  Minifloat,
  /// value = table[code] * s, s = absmax of the block (NF4 style).
  Lut,
  /// Plain f32 / f16 / bf16 values (#qnt.plain), type in `scaleType`.
  Plain,
};

/// A target weight format. Construct with the factories below or parse().
struct QuantFormat {
  GridKind kind = GridKind::Uniform;
  /// Bits of one code.
  unsigned bits = 4;
  /// Uniform: signed (iN) or unsigned (uiN) storage.
  bool isSigned = true;
  /// Uniform: zero points are stored (N bits each), else implicit.
  bool asymmetric = false;
  /// Minifloat: element format.
  MinifloatKind element = MinifloatKind::E2M1FN;
  /// Input channels per scale along K; 0 means one scale per output row.
  int64_t groupSize = 128;
  /// Minifloat: false for unscaled codes.
  bool hasScale = true;
  ScaleType scaleType = ScaleType::F16;
  /// Minifloat: one f32 scale for the whole tensor on top of the block
  /// scales (NVFP4).
  bool tensorScale = false;
  /// Lut: the fixed table, 2^bits entries spanning [-1, 1].
  std::vector<float> table;

  /// `iN`/`uiN` uniform codes; groupSize 0 = per output channel.
  static QuantFormat uniform(unsigned bits, int64_t groupSize,
                             ScaleType scaleType = ScaleType::F16,
                             bool asymmetric = false, bool isSigned = true);
  /// Block-scaled (or, with groupSize < 0, unscaled) minifloat.
  static QuantFormat minifloat(MinifloatKind element, int64_t groupSize,
                               ScaleType scaleType, bool tensorScale = false);
  /// OCP MX: e2m1 / e4m3 elements, blocks of 32, e8m0 scales.
  static QuantFormat mxfp4();
  static QuantFormat mxfp8();
  /// NVFP4: e2m1 elements, blocks of 16, e4m3 scales, f32 tensor scale.
  static QuantFormat nvfp4();
  /// Unquantized values stored as f32, f16 or bf16.
  static QuantFormat plain(ScaleType type);
  /// QLoRA NF4 with absmax scales.
  static QuantFormat nf4(int64_t groupSize = 64,
                         ScaleType scaleType = ScaleType::F16);

  /// Parses a short format name, the inverse of getName():
  ///   int4 | uint4 | int4-g128 | uint4-g32-asym | int8-pc | int4-g64-f32
  ///   | int3-g64-bf16 | nf4 | nf4-g128 | mxfp4 | mxfp6 | mxfp8 | nvfp4
  ///   | f32 | f16 | bf16 (plain) | fp8e4m3 (unscaled) | fp8e5m2-pc |
  ///   fp4e2m1-g32-f16 | fp4e2m1-g16-e4m3-ts
  /// `gN` sets the group size (default 128 for integers, 64 for nf4), `pc`
  /// per output channel, `asym` stored zero points, f32/f16/bf16 (and
  /// e8m0/e4m3 for minifloats) the scale type (default f16), `ts` a tensor
  /// scale. Errors name the offending piece.
  static llvm::Expected<QuantFormat> parse(llvm::StringRef name);

  /// Short name, as accepted by parse().
  std::string getName() const;
  /// The `#qnt.*` attribute of this format on a [N, K] weight.
  std::string getEncodingAttr() const;

  /// Checks the fields (bit widths, group size, table size, scale types).
  llvm::Error verify() const;

  /// Smallest and largest code (uniform).
  int32_t getQMin() const;
  int32_t getQMax() const;
  /// Zero point of a symmetric uniform format (0 signed, 2^(N-1) unsigned).
  int32_t getImplicitZeroPoint() const;
  /// Largest magnitude of the unscaled grid: qmax (uniform, symmetric),
  /// maxFinite (minifloat), max |table| (lut).
  float getGridMax() const;

  /// Group size along K for `cols` input channels.
  int64_t getGroupSize(int64_t cols) const {
    return groupSize > 0 ? groupSize : cols;
  }
  /// Scales per output row.
  int64_t getNumGroups(int64_t cols) const;
  /// Whether a scale (and zero point) is stored per group.
  bool hasGroupParams() const {
    return kind == GridKind::Uniform || kind == GridKind::Lut ||
           (kind == GridKind::Minifloat && hasScale);
  }

  /// Exact stored bits of a [rows, cols] weight, metadata included, as
  /// EncodingAttrInterface::getStorageBits counts them.
  uint64_t getStorageBits(int64_t rows, int64_t cols) const;
  /// getStorageBits / (rows * cols).
  double getBitsPerWeight(int64_t rows, int64_t cols) const;
  /// Bytes of the physical parts (packed rows padded to bytes).
  uint64_t getStorageBytes(int64_t rows, int64_t cols) const;

  bool operator==(const QuantFormat &other) const;
  bool operator!=(const QuantFormat &other) const { return !(*this == other); }
};

/// Quantization parameters of one group.
struct GroupParams {
  /// Decoded scale (what quantizes and dequantizes); 1 when unscaled.
  float scale = 1.0f;
  /// Raw stored bits of the scale.
  uint32_t scaleCode = 0;
  /// Zero point (uniform; the implicit one when symmetric).
  int32_t zeroPoint = 0;
};

/// Tensor scale of `format` for weights `w` (e4m3 block scales, as NVFP4:
/// absmax / (448 * maxFinite)); 1 when the format has none, its scales need
/// no help, or the weights are all zero.
float computeTensorScale(const QuantFormat &format, llvm::ArrayRef<float> w);

/// Reference parameters of docs/Encodings.md for a group of `n` values, with
/// the range shrunk by `clip` in (0, 1] (1 = min-max; asymmetric formats
/// shrink both ends).
GroupParams chooseGroupParams(const QuantFormat &format, const float *x,
                              int64_t n, float tensorScale, float clip = 1.0f);

/// Quantizes one value: returns the dequantized value and sets `code`.
float quantizeValue(const QuantFormat &format, const GroupParams &params,
                    float tensorScale, float x, int32_t *code = nullptr);

/// Dequantizes one code.
float dequantizeCode(const QuantFormat &format, const GroupParams &params,
                     float tensorScale, int32_t code);

/// Quantizes `n` values with the given parameters. `codes` may be null.
void quantizeGroup(const QuantFormat &format, const GroupParams &params,
                   float tensorScale, const float *x, int64_t n, int32_t *codes,
                   float *dequantized);

/// A quantized [rows, cols] weight.
struct QuantizedWeights {
  QuantFormat format;
  int64_t rows = 0, cols = 0;
  float tensorScale = 1.0f;
  /// rows x cols codes (uniform: integers; minifloat and plain: raw bits;
  /// lut: index).
  std::vector<int32_t> codes;
  /// rows x getNumGroups(cols) parameters (empty for unscaled minifloats).
  std::vector<GroupParams> params;
  /// rows x cols decoded values.
  std::vector<float> dequantized;

  const GroupParams &getParams(int64_t row, int64_t col) const;
  /// Decodes `codes` with `params` again (for checking that results are on
  /// the grid).
  std::vector<float> decode() const;
  /// The physical parts in the order and layout of docs/Encodings.md:
  /// codes, scales, [zero_points], [tensor_scale].
  std::vector<std::vector<uint8_t>> packParts() const;

  /// Rows [begin, begin + count) as a weight of their own (same format and
  /// tensor scale): codes, parameters and values of those rows.
  QuantizedWeights sliceRows(int64_t begin, int64_t count) const;
  /// Appends the rows of `other` (same format, columns and tensor scale,
  /// else an error), so that slices quantized apart form one weight.
  llvm::Error appendRows(const QuantizedWeights &other);
};

} // namespace quantize
} // namespace qnt
} // namespace mlir

#endif // QUANT_QUANTIZE_QUANTFORMAT_H

//===- PlainWeights.h - CPU kernels for plain float weights -----*- C++ -*-===//
//
// #qnt.plain<f32 | f16 | bf16> weights in the generated CPU kernels
// (QntToCPU.h): quant's fp32 baseline. The weight [N, K] is repacked at
// compile time, in its storage type, into tiles of `tileN` output channels
// stored K-major, [tiles, K, tileN], so that the kernel streams every tile
// contiguously and one vector load at (tile, k) yields a vector of output
// channels. The kernel keeps `rows x vectors` f32 accumulators in registers
// (register tiling over M) and per k does `vectors` weight loads (f16 widened
// with vcvtph2ps, bf16 by a 16-bit shift), `rows` broadcasts of lhs[r, k]
// and `rows x vectors` FMAs; the shared epilogue follows.
//
//===----------------------------------------------------------------------===//

#ifndef QUANT_CONVERSION_QNTTOCPU_PLAINWEIGHTS_H
#define QUANT_CONVERSION_QNTTOCPU_PLAINWEIGHTS_H

#include "quant/Dialect/Qnt/IR/QntAttrs.h"

#include "mlir/IR/Builders.h"

#include <cstdint>
#include <string>
#include <vector>

namespace mlir {
namespace qnt {

/// The static shape of a repacked plain weight.
struct PlainLayout {
  int64_t n = 0, k = 0;
  int64_t tileN = 0, numTiles = 0;
  /// Bytes of one stored element (4 for f32, 2 for f16 / bf16).
  int64_t elementBytes = 4;

  SmallVector<int64_t> getShape() const { return {numTiles, k, tileN}; }
};

/// Whether a plain weight of `shape` can take the CPU kernel.
bool canRepackPlainForCpu(PlainAttr encoding, ArrayRef<int64_t> shape,
                          std::string &reason);

/// Repacks the `values` part of a plain weight into [tiles, K, tileN]
/// elements of the storage type (raw little-endian bytes; channels past N
/// are zero). Fails when the part has the wrong size.
FailureOr<std::vector<uint8_t>>
repackPlainForCpu(PlainAttr encoding, ArrayRef<int64_t> shape, int64_t tileN,
                  ArrayRef<uint8_t> values, PlainLayout &layout);

/// The element type of the repacked global: f32, f16, or i16 for bf16 (its
/// bits are widened by hand, which needs no bf16 support in the target).
Type getPlainGlobalElementType(PlainAttr encoding);

/// Operands of the plain kernel.
struct PlainKernelArgs {
  const PlainLayout *layout;
  PlainAttr encoding;
  int64_t lanes, vectorsPerTile;
  /// [tiles, K, tileN] weight memref and [M, K] f32 lhs memref.
  Value weights, lhs;
  /// Software prefetch distance along the weights in bytes (0: none).
  int64_t prefetchBytes = 0;
};

/// K elements per block of the GEMM loop order (tile, K block, row block):
/// a [kBlock, tileN] slice of a tile stays in L2 while every row block reads
/// it. 0 when one row block covers all rows (nothing to reuse).
int64_t getPlainKBlock(const PlainLayout &layout, int64_t m, int64_t rowBlock);

/// Accumulates k in [kBegin, kBegin + kLength) of rows [rowBase, rowBase +
/// rows) of one tile into `acc` (`rows x vectorsPerTile` f32 vectors,
/// row-major) and returns the new accumulators.
SmallVector<Value> emitPlainRows(OpBuilder &b, Location loc,
                                 const PlainKernelArgs &args, Value tile,
                                 Value rowBase, int64_t rows, Value kBegin,
                                 int64_t kLength, ValueRange acc);

} // namespace qnt
} // namespace mlir

#endif // QUANT_CONVERSION_QNTTOCPU_PLAINWEIGHTS_H

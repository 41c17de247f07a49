//===- QntToCPU.h - SIMD CPU kernels for qnt.matmul -------------*- C++ -*-===//
//
// The CPU backend's kernel generator: qnt.matmul with a constant
// #qnt.uniform weight becomes a vector-dialect kernel on memrefs that reads
// weights repacked at compile time (WeightRepacking.h) and decodes them in
// registers.
//
//===----------------------------------------------------------------------===//

#ifndef QUANT_CONVERSION_QNTTOCPU_QNTTOCPU_H
#define QUANT_CONVERSION_QNTTOCPU_QNTTOCPU_H

#include "mlir/IR/PatternMatch.h"
#include "mlir/Support/LLVM.h"

#include <string>

namespace mlir {
class SymbolTable;
namespace qnt {
class MatmulOp;

/// How kernels are shaped.
struct CpuKernelOptions {
  /// f32 lanes of one vector.
  int64_t vectorWidth = 16;
  /// Output channels per tile (a multiple of vectorWidth).
  int64_t tileN = 32;
  /// Whether tileN was asked for; if not, an int8-path GEMV (M = 1, at
  /// least two such tiles) takes 8 vectors per tile with VNNI (32
  /// registers), 4 on AVX2: each group's activation sum, scales and
  /// conversions then serve more channels (cold int4 g32 GEMV with VNNI,
  /// share of the weights' read bandwidth: 2 vectors 0.78-0.80, 4 vectors
  /// 0.88-0.92, 8 vectors 0.96). GEMMs keep tileN: their row blocks need
  /// the registers.
  bool tileNGiven = false;
  int64_t int8GemvTileVectorsVnni = 8;
  int64_t int8GemvTileVectorsAvx2 = 4;
  /// lhs rows that share one decode of the weights.
  int64_t rowBlock = 4;
  /// compute=int8 (Int8Kernel.h): activations quantized per K block.
  bool int8 = false;
  /// int8: vpdpbusd (16 lanes) rather than the AVX2 fallback (8 lanes).
  bool vnni = true;
  /// int8: activation block along K for per-channel weights.
  int64_t int8Block = 64;
  /// int8 with VNNI (32 vector registers): lhs rows per register block,
  /// each holding f32 and i32 accumulators for every vector of the tile.
  int64_t int8RowBlock = 6;
  /// Plain float weights (PlainWeights.h): vectors of output channels per
  /// tile and lhs rows per register block; rows x vectors accumulators plus
  /// the weight vectors and a broadcast must fit the vector registers.
  int64_t plainTileVectors = 4;
  int64_t plainRowBlock = 6;
  /// Software prefetch distance along the code stream, in bytes (0: none),
  /// of the f32 and the int8 path: with a decode between the loads the
  /// out-of-order window alone does not keep enough misses in flight. The
  /// defaults are the best measured for a cold 4096 x 4096 int4 GEMV
  /// compiled ahead of time (int8 g32: 1 KB 0.78-0.85 of the stream
  /// bandwidth, 4 KB 0.89-0.92; the JIT hid the difference).
  int64_t prefetchDistance = 8192;
  int64_t int8PrefetchDistance = 4096;
  /// The same for plain float weights (one prefetch per cache line): the
  /// fp32 decoder decode step went from ~9.7 to ~5.9 ms with 2 KB.
  int64_t plainPrefetchDistance = 2048;
};

/// The repacked codes and scales interleaved in one i32 global
/// [T, G, W * tileN + scale words]: each group's W code words of tileN
/// lanes, then its tileN scales (f16 pairs or f32 bits). A kernel then reads
/// one sequential stream: a second stream for the scales cost 5-8 % of a
/// cold int4 group-32 GEMV.
struct WeightStream {
  Value buffer;
  int64_t tileN = 0;
  /// Where a group's scales start: W * tileN.
  int64_t scalesOffset = 0;
  /// f16 or f32.
  Type scaleType;

  /// One word of `lanes` channels starting at channel `lane`.
  Value loadCodes(OpBuilder &b, Location loc, VectorType intVector, Value tile,
                  Value group, Value word, int64_t lane) const;
  /// Prefetches the stream `bytesAhead` bytes past that word.
  void prefetch(OpBuilder &b, Location loc, Value tile, Value group, Value word,
                int64_t lane, int64_t bytesAhead) const;
  /// The group's scales of channels [lane, lane + lanes), widened to f32;
  /// with `bytesAhead` > 0 the stream that far past them is prefetched once
  /// per cache line (the code prefetches skip the scales' lines).
  Value loadScales(OpBuilder &b, Location loc, VectorType floatVector,
                   Value tile, Value group, int64_t lane,
                   int64_t bytesAhead = 0) const;
};

/// Whether `op` can become a generated CPU kernel; if not, `reason` says why.
bool isSupportedByCpuKernel(MatmulOp op, std::string &reason);

/// Replaces `op` (isSupportedByCpuKernel must hold) by repacked weight
/// globals, inserted into `symbols`, and a generated kernel.
LogicalResult rewriteMatmulToCpuKernel(RewriterBase &rewriter, MatmulOp op,
                                       const CpuKernelOptions &options,
                                       SymbolTable &symbols);

} // namespace qnt
} // namespace mlir

#endif // QUANT_CONVERSION_QNTTOCPU_QNTTOCPU_H

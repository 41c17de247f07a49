//===- Int8Kernel.h - int8 compute path of the CPU kernels ------*- C++ -*-===//
//-*-===//
//
// compute=int8 of convert-qnt-to-cpu. Activations are quantized on the fly,
// per row and K group of the repacked weight, to 8 bits:
//
//   s_a = amax / 127,  q = clamp(roundeven(x * (127 / amax)), -127, 127)
//
// (s_a = 0 and q = 0 when amax = 0). Weights stay s8 in registers (int4 /
// int2 words are split into s8 lanes). Per group the i32 dot product
// sum_k q_k * w_k is exact; with VNNI (vpdpbusd: u8 x s8) the activations
// are stored as q + 128 and the accumulator starts at -128 * sum_k w_k,
// precomputed at compile time; the AVX2 fallback (vpmaddubsw + vpmaddwd)
// multiplies |w| by sign(w) * q instead. Either way each group adds
//
//   acc = acc + float(dot) * (s_a * s_w)
//
// to the f32 accumulator (mulf then addf, no FMA), followed by the shared
// epilogue. Per-channel weights are regrouped into K blocks of `block`.
//
//===----------------------------------------------------------------------===//

#ifndef QUANT_CONVERSION_QNTTOCPU_INT8KERNEL_H
#define QUANT_CONVERSION_QNTTOCPU_INT8KERNEL_H

#include "quant/Conversion/QntToCPU/WeightRepacking.h"

#include "mlir/IR/Builders.h"

#include <string>

namespace mlir {
namespace qnt {

/// Marks a private func.func declaration standing for the LLVM intrinsic
/// named by the attribute's string.
constexpr const char kIntrinsicProxyAttr[] = "qnt.llvm_intrinsic";

/// Whether the int8 path handles a weight of `layout` with `lanes` i32
/// lanes per vector (16 for VNNI, 8 for AVX2).
bool canUseInt8Kernel(const RepackedLayout &layout, int64_t lanes, bool vnni,
                      std::string &reason);

/// Regroups a per-channel weight into K blocks of `block` codes (a multiple
/// of 16) and returns -128 * sum of the codes per (tile, group, lane) for
/// VNNI (empty for AVX2).
std::vector<int32_t> prepareInt8Weight(RepackedWeight &weight, int64_t block,
                                       bool vnni);

/// The quantized activations of the int8 kernel.
struct Int8Activations {
  /// [M, groups, words * (8 / bits)] i32: 4 bytes per vpdpbusd step.
  Value quads;
  /// [M, groups] f32 activation scales.
  Value scales;
};

/// Emits the on-the-fly quantization of `lhs` ([M, K] f32 memref).
Int8Activations emitInt8ActivationQuantization(OpBuilder &b, Location loc,
                                               const RepackedLayout &layout,
                                               Value lhs, int64_t m, bool vnni);

/// Operands of one K group of the int8 kernel.
struct Int8GroupArgs {
  const RepackedLayout *layout;
  int64_t lanes, vectorsPerTile;
  bool vnni;
  Value codes, weightScales, negCorrections;
  Int8Activations activations;
  /// Where the intrinsic proxies are declared.
  Operation *module = nullptr;
};

/// Accumulates group `group` (of `groupLength` codes) of rows
/// [rowBase, rowBase + rows) into `acc` ([rows][vectors] f32).
SmallVector<Value> emitInt8Group(OpBuilder &b, Location loc,
                                 const Int8GroupArgs &args, Value tile,
                                 Value group, int64_t groupLength,
                                 Value rowBase, int64_t rows, ValueRange acc);

} // namespace qnt
} // namespace mlir

#endif // QUANT_CONVERSION_QNTTOCPU_INT8KERNEL_H

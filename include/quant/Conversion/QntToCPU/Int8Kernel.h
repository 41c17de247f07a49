//===- Int8Kernel.h - int8 compute path of the CPU kernels ------*- C++ -*-===//
//
// compute=int8 of convert-qnt-to-cpu. Activations are quantized on the fly,
// per row and K group of the repacked weight, to 8 bits:
//
//   s_a = amax / 127,  q = clamp(roundeven(x * (127 / amax)), -127, 127)
//
// (s_a = 0 and q = 0 when amax = 0), 16 elements at a time, written in the
// byte order the kernel broadcasts. Per group the i32 dot product
// sum_k q_k * w_k is exact. With VNNI (vpdpbusd: u8 x s8) the weight codes
// are stored biased, u = w + 2^(bits-1) (the top bit of every code flipped
// at compile time), so that a code decodes with one shift and one mask into
// u8 lanes; the activations are the s8 operand and the accumulator starts
// at -2^(bits-1) * sum_k q_k (summed while quantizing). The AVX2 fallback
// (vpmaddubsw + vpmaddwd) keeps signed weights and multiplies |w| by
// sign(w) * q. Asymmetric weights keep unsigned codes as they are (signed
// ones take the VNNI bias, and so do their zero points) and start the
// accumulator at -zp * sum_k q_k instead, which keeps the dot product
// sum_k q_k * (w_k - zp) exact. Either way each group adds
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
/// of 16) and, for VNNI, biases every signed code (and its zero point) by
/// 2^(bits-1).
void prepareInt8Weight(RepackedWeight &weight, int64_t block, bool vnni);

/// The quantized activations of the int8 kernel.
struct Int8Activations {
  /// [M, groups, Q] i32, Q >= words * (8 / bits) rounded up to whole
  /// 16-byte chunks: 4 bytes per vpdpbusd step.
  Value quads;
  /// [M, groups] f32 activation scales.
  Value scales;
  /// [M, groups] i32 sums of the quantized activations (VNNI or zero
  /// points only).
  Value sums;
};

/// Emits the on-the-fly quantization of `lhs` ([M, K] f32 memref), with
/// the sums of the quantized activations when `withSums`.
Int8Activations emitInt8ActivationQuantization(OpBuilder &b, Location loc,
                                               const RepackedLayout &layout,
                                               Value lhs, int64_t m,
                                               bool withSums);

/// Operands of one K group of the int8 kernel.
struct WeightStream;

struct Int8GroupArgs {
  const RepackedLayout *layout;
  int64_t lanes, vectorsPerTile;
  bool vnni;
  /// Null while the f32 path is used.
  const WeightStream *weight = nullptr;
  Int8Activations activations;
  /// [T, G, tileN] i32 zero points (after the VNNI bias), or null.
  Value zeroPoints;
  /// Where the intrinsic proxies are declared.
  Operation *module = nullptr;
  /// Software prefetch distance of the code stream in bytes (0: none).
  int64_t prefetchCodes = 0;
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

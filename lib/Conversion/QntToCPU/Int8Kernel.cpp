//===- Int8Kernel.cpp - int8 (VNNI) compute path of the CPU kernels -------===//
//
// See Int8Kernel.h for the arithmetic. Layout of one group in registers:
// a repacked code word holds c = 32 / bits codes along K; it is split into
// S = 8 / bits byte-lane sub-words, sub-word s holding codes t = j * S + s
// (j = 0..3) in byte j, so one 32-bit activation quad per (row, word, s)
// broadcast to all lanes feeds one vpdpbusd per vector of channels. The
// activations of 16 consecutive k (4 quads) are quantized as one vector and
// put into that order by one byte shuffle.
//
//===----------------------------------------------------------------------===//

#include "quant/Conversion/QntToCPU/Int8Kernel.h"
#include "quant/Conversion/QntToCPU/QntToCPU.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinOps.h"

using namespace mlir;
using namespace mlir::qnt;

bool mlir::qnt::canUseInt8Kernel(const RepackedLayout &layout, int64_t lanes,
                                 bool vnni, std::string &reason) {
  if (layout.bits != 2 && layout.bits != 4 && layout.bits != 8) {
    reason = "int8 compute needs 2, 4 or 8-bit codes";
    return false;
  }
  // Zero points are subtracted in i32 (dot - zp * sum q); the AVX2 path
  // needs codes that fit s8.
  if (!vnni && !layout.signedCodes && layout.bits == 8) {
    reason = "the AVX2 int8 path needs codes that fit s8";
    return false;
  }
  if (lanes != (vnni ? 16 : 8)) {
    reason = vnni ? "vpdpbusd needs 16 lanes" : "the AVX2 path needs 8 lanes";
    return false;
  }
  return true;
}

void mlir::qnt::prepareInt8Weight(RepackedWeight &weight, int64_t block,
                                  bool vnni) {
  RepackedLayout &layout = weight.layout;
  // Per-channel: the whole K is one group; the same words regrouped into
  // blocks of `block` codes are a contiguous reshape (zero-padded).
  if (layout.numGroups == 1 && layout.k > block &&
      block % layout.codesPerWord == 0) {
    int64_t words = block / layout.codesPerWord;
    int64_t groups = llvm::divideCeil(layout.k, block);
    std::vector<int32_t> codes(layout.numTiles * groups * words * layout.tileN,
                               0);
    std::vector<float> scales(layout.numTiles * groups * layout.tileN);
    std::vector<int32_t> zeroPoints(layout.hasZeroPoints ? scales.size() : 0);
    for (int64_t t = 0; t < layout.numTiles; ++t) {
      int64_t from = t * layout.wordsPerGroup * layout.tileN;
      std::copy_n(weight.codes.begin() + from,
                  layout.wordsPerGroup * layout.tileN,
                  codes.begin() + t * groups * words * layout.tileN);
      for (int64_t g = 0; g < groups; ++g) {
        std::copy_n(weight.scales.begin() + t * layout.tileN, layout.tileN,
                    scales.begin() + (t * groups + g) * layout.tileN);
        if (layout.hasZeroPoints)
          std::copy_n(weight.zeroPoints.begin() + t * layout.tileN,
                      layout.tileN,
                      zeroPoints.begin() + (t * groups + g) * layout.tileN);
      }
    }
    weight.codes = std::move(codes);
    weight.scales = std::move(scales);
    weight.zeroPoints = std::move(zeroPoints);
    layout.groupSize = block;
    layout.numGroups = groups;
    layout.wordsPerGroup = words;
  }
  // Unsigned codes are u8 lanes as they are; signed ones are biased for
  // VNNI (u8) and sign-extended by the AVX2 path.
  if (!vnni || !layout.signedCodes)
    return;
  // u = w + 2^(bits-1) flips the top bit of every bits-wide code; the zero
  // points move with the codes (w - zp = u - (zp + 2^(bits-1))).
  for (int32_t &zeroPoint : weight.zeroPoints)
    zeroPoint += int32_t(1) << (layout.bits - 1);
  uint32_t topBits = 0;
  for (int64_t j = 0; j < layout.codesPerWord; ++j)
    topBits |= uint32_t(1) << (j * layout.bits + layout.bits - 1);
  for (int32_t &word : weight.codes)
    word = int32_t(uint32_t(word) ^ topBits);
}

/// The activation quad layout: byte p of a 16-element chunk holds element
/// e(p) of the chunk (quad p / 4 = word * S + s, byte j = p % 4).
static SmallVector<int64_t> getQuadShuffle(const RepackedLayout &layout) {
  int64_t subWords = 8 / layout.bits;
  SmallVector<int64_t> mask;
  for (int64_t p = 0; p < 16; ++p) {
    int64_t quad = p / 4, j = p % 4;
    int64_t word = quad / subWords, s = quad % subWords;
    mask.push_back(word * layout.codesPerWord + j * subWords + s);
  }
  return mask;
}

/// Quads per (row, group): whole 16-byte chunks.
static int64_t getQuadsPerGroup(const RepackedLayout &layout) {
  return llvm::divideCeil(layout.wordsPerGroup * layout.codesPerWord, 16) * 4;
}

Int8Activations
mlir::qnt::emitInt8ActivationQuantization(OpBuilder &b, Location loc,
                                          const RepackedLayout &layout,
                                          Value lhs, int64_t m, bool withSums) {
  Type i8 = b.getI8Type(), i32 = b.getI32Type(), f32 = b.getF32Type();
  constexpr int64_t kChunk = 16;
  auto floatVector = VectorType::get({kChunk}, f32);
  auto intVector = VectorType::get({kChunk}, i32);
  auto byteVector = VectorType::get({kChunk}, i8);
  auto maskVector = VectorType::get({kChunk}, b.getI1Type());
  auto quadVector = VectorType::get({kChunk / 4}, i32);
  int64_t quadsPerGroup = getQuadsPerGroup(layout);
  int64_t chunks = quadsPerGroup / 4;
  SmallVector<int64_t> shuffle = getQuadShuffle(layout);
  auto index = [&](OpBuilder &b, int64_t v) -> Value {
    return arith::ConstantIndexOp::create(b, loc, v);
  };
  auto f32Const = [&](OpBuilder &b, float v) -> Value {
    return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
  };
  auto splat = [&](OpBuilder &b, VectorType type, Attribute v) -> Value {
    return arith::ConstantOp::create(b, loc, DenseElementsAttr::get(type, v));
  };
  Int8Activations result;
  result.quads = memref::AllocOp::create(
      b, loc, MemRefType::get({m, layout.numGroups, quadsPerGroup}, i32),
      b.getI64IntegerAttr(64));
  result.scales = memref::AllocOp::create(
      b, loc, MemRefType::get({m, layout.numGroups}, f32),
      b.getI64IntegerAttr(64));
  if (withSums)
    result.sums = memref::AllocOp::create(
        b, loc, MemRefType::get({m, layout.numGroups}, i32),
        b.getI64IntegerAttr(64));
  Int8Activations out = result;

  // The elements [kc, kc + 16) of `row` that lie before `kEnd`; others 0.
  auto loadChunk = [&](OpBuilder &b, Value row, Value kc, Value kEnd) {
    Value count = arith::SubIOp::create(b, loc, kEnd, kc);
    Value mask =
        vector::CreateMaskOp::create(b, loc, maskVector, ValueRange{count});
    return vector::MaskedLoadOp::create(
        b, loc, floatVector, lhs, ValueRange{row, kc}, mask,
        splat(b, floatVector, b.getF32FloatAttr(0.0f)));
  };

  scf::ForOp::create(
      b, loc, index(b, 0), index(b, m), index(b, 1), ValueRange{},
      [&](OpBuilder &b, Location, Value row, ValueRange) {
        scf::ForOp::create(
            b, loc, index(b, 0), index(b, layout.numGroups), index(b, 1),
            ValueRange{}, [&](OpBuilder &b, Location, Value group, ValueRange) {
              Value k0 = arith::MulIOp::create(b, loc, group,
                                               index(b, layout.groupSize));
              Value kEnd = arith::MinSIOp::create(
                  b, loc,
                  arith::AddIOp::create(b, loc, k0, index(b, layout.groupSize)),
                  index(b, layout.k));
              auto chunkK = [&](OpBuilder &b, Value c) -> Value {
                return arith::AddIOp::create(
                    b, loc, k0,
                    arith::MulIOp::create(b, loc, c, index(b, kChunk)));
              };
              auto amaxLoop = scf::ForOp::create(
                  b, loc, index(b, 0), index(b, chunks), index(b, 1),
                  ValueRange{splat(b, floatVector, b.getF32FloatAttr(0.0f))},
                  [&](OpBuilder &b, Location, Value c, ValueRange iter) {
                    Value x = loadChunk(b, row, chunkK(b, c), kEnd);
                    Value ax = math::AbsFOp::create(b, loc, x);
                    scf::YieldOp::create(b, loc,
                                         ValueRange{arith::MaxNumFOp::create(
                                             b, loc, iter[0], ax)});
                  });
              Value amax = vector::ReductionOp::create(
                  b, loc, vector::CombiningKind::MAXNUMF,
                  amaxLoop.getResult(0));
              Value scale =
                  arith::DivFOp::create(b, loc, amax, f32Const(b, 127));
              Value positive = arith::CmpFOp::create(
                  b, loc, arith::CmpFPredicate::OGT, amax, f32Const(b, 0));
              Value inverse = arith::SelectOp::create(
                  b, loc, positive,
                  arith::DivFOp::create(b, loc, f32Const(b, 127), amax),
                  f32Const(b, 0));
              memref::StoreOp::create(b, loc, scale, out.scales,
                                      ValueRange{row, group});
              Value inverses =
                  vector::BroadcastOp::create(b, loc, floatVector, inverse);
              // Quantize, shuffle into quad order, store 4 quads per chunk;
              // elements past the group give q = 0.
              auto quantLoop = scf::ForOp::create(
                  b, loc, index(b, 0), index(b, chunks), index(b, 1),
                  ValueRange{splat(b, intVector, b.getI32IntegerAttr(0))},
                  [&](OpBuilder &b, Location, Value c, ValueRange iter) {
                    Value x = loadChunk(b, row, chunkK(b, c), kEnd);
                    Value q = math::RoundEvenOp::create(
                        b, loc, arith::MulFOp::create(b, loc, x, inverses));
                    q = arith::MinimumFOp::create(
                        b, loc,
                        arith::MaximumFOp::create(
                            b, loc, q,
                            splat(b, floatVector, b.getF32FloatAttr(-127))),
                        splat(b, floatVector, b.getF32FloatAttr(127)));
                    Value qi = arith::FPToSIOp::create(b, loc, intVector, q);
                    Value bytes =
                        arith::TruncIOp::create(b, loc, byteVector, qi);
                    bytes = vector::ShuffleOp::create(b, loc, bytes, bytes,
                                                      shuffle);
                    Value quads =
                        vector::BitCastOp::create(b, loc, quadVector, bytes);
                    vector::StoreOp::create(
                        b, loc, quads, out.quads,
                        ValueRange{
                            row, group,
                            arith::MulIOp::create(b, loc, c, index(b, 4))});
                    scf::YieldOp::create(
                        b, loc,
                        ValueRange{arith::AddIOp::create(b, loc, iter[0], qi)});
                  });
              if (withSums) {
                Value sum = vector::ReductionOp::create(
                    b, loc, vector::CombiningKind::ADD, quantLoop.getResult(0));
                memref::StoreOp::create(b, loc, sum, out.sums,
                                        ValueRange{row, group});
              }
              scf::YieldOp::create(b, loc);
            });
        scf::YieldOp::create(b, loc);
      });
  return result;
}

SmallVector<Value> mlir::qnt::emitInt8Group(OpBuilder &b, Location loc,
                                            const Int8GroupArgs &args,
                                            Value tile, Value group,
                                            int64_t groupLength, Value rowBase,
                                            int64_t rows, ValueRange acc) {
  const RepackedLayout &layout = *args.layout;
  int64_t lanes = args.lanes, vectors = args.vectorsPerTile;
  int64_t bits = layout.bits, subWords = 8 / bits;
  Type i8 = b.getI8Type(), i16 = b.getI16Type(), i32 = b.getI32Type();
  auto intVector = VectorType::get({lanes}, i32);
  auto byteVector = VectorType::get({4 * lanes}, i8);
  auto floatVector = VectorType::get({lanes}, b.getF32Type());
  auto index = [&](OpBuilder &b, int64_t v) -> Value {
    return arith::ConstantIndexOp::create(b, loc, v);
  };
  auto splat = [&](OpBuilder &b, VectorType type, Attribute v) -> Value {
    return arith::ConstantOp::create(b, loc, DenseElementsAttr::get(type, v));
  };
  // Intrinsics are called through private proxy declarations that
  // convert-forall-to-quant-runtime turns into llvm.call_intrinsic after
  // bufferization (whose deallocation rejects ops without memory effects).
  auto call = [&](OpBuilder &b, Type type, StringRef name,
                  ValueRange operands) -> Value {
    auto module = cast<ModuleOp>(args.module);
    std::string proxyName = "__qnt_intrinsic_" + name.str();
    std::replace(proxyName.begin(), proxyName.end(), '.', '_');
    auto proxy = module.lookupSymbol<func::FuncOp>(proxyName);
    if (!proxy) {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(module.getBody());
      proxy = func::FuncOp::create(
          b, loc, proxyName, b.getFunctionType(operands.getTypes(), {type}));
      proxy.setPrivate();
      proxy->setAttr(kIntrinsicProxyAttr, b.getStringAttr(name));
    }
    return func::CallOp::create(b, loc, proxy, operands).getResult(0);
  };

  SmallVector<Value> rowIndices;
  for (int64_t r = 0; r < rows; ++r)
    rowIndices.push_back(arith::AddIOp::create(b, loc, rowBase, index(b, r)));
  // i32 accumulators start at -2^(bits-1) * sum_k q_k (VNNI: the weight
  // bias) or zero.
  // Few rows: sub-words accumulate into separate i32 chains (summed
  // exactly at the end) so that vpdpbusd latency does not serialise them.
  int64_t splits =
      std::max<int64_t>(1, std::min<int64_t>(subWords, 8 / (rows * vectors)));
  Value zeroDot = splat(b, intVector, b.getI32IntegerAttr(0));
  SmallVector<Value> dots;
  // With zero points (after the VNNI bias): dot - zp * sum_k q_k.
  SmallVector<Value> negativeZeroPoints;
  if (args.zeroPoints)
    for (int64_t v = 0; v < vectors; ++v)
      negativeZeroPoints.push_back(arith::SubIOp::create(
          b, loc, zeroDot,
          vector::LoadOp::create(
              b, loc, intVector, args.zeroPoints,
              ValueRange{tile, group, index(b, v * lanes)})));
  for (int64_t r = 0; r < rows; ++r) {
    Value start = splat(b, intVector, b.getI32IntegerAttr(0));
    if (args.zeroPoints) {
      Value sum = memref::LoadOp::create(b, loc, args.activations.sums,
                                         ValueRange{rowIndices[r], group});
      Value sums = vector::BroadcastOp::create(b, loc, intVector, sum);
      for (int64_t v = 0; v < vectors; ++v) {
        dots.push_back(
            arith::MulIOp::create(b, loc, sums, negativeZeroPoints[v]));
        for (int64_t t = 1; t < splits; ++t)
          dots.push_back(zeroDot);
      }
      continue;
    }
    if (args.vnni) {
      Value sum = memref::LoadOp::create(b, loc, args.activations.sums,
                                         ValueRange{rowIndices[r], group});
      Value correction = arith::MulIOp::create(
          b, loc, sum,
          arith::ConstantOp::create(
              b, loc, b.getI32IntegerAttr(-(int32_t(1) << (bits - 1)))));
      start = vector::BroadcastOp::create(b, loc, intVector, correction);
    }
    for (int64_t v = 0; v < vectors; ++v) {
      dots.push_back(start);
      for (int64_t t = 1; t < splits; ++t)
        dots.push_back(zeroDot);
    }
  }

  auto emitWord = [&](OpBuilder &b, Value word, SmallVector<Value> &dots) {
    SmallVector<Value> words;
    for (int64_t v = 0; v < vectors; ++v) {
      words.push_back(args.weight->loadCodes(b, loc, intVector, tile, group,
                                             word, v * lanes));
      if (args.prefetchCodes > 0)
        args.weight->prefetch(b, loc, tile, group, word, v * lanes,
                              args.prefetchCodes);
    }
    for (int64_t s = 0; s < subWords; ++s) {
      // s8 weights of sub-word s.
      SmallVector<Value> weights;
      for (int64_t v = 0; v < vectors; ++v) {
        Value w = words[v];
        if (bits < 8) {
          if (s > 0)
            w = arith::ShRUIOp::create(
                b, loc, w, splat(b, intVector, b.getI32IntegerAttr(s * bits)));
          uint32_t mask = (1u << bits) - 1;
          mask *= 0x01010101u;
          w = arith::AndIOp::create(
              b, loc, w,
              splat(b, intVector, b.getI32IntegerAttr(int32_t(mask))));
        }
        Value bytes = vector::BitCastOp::create(b, loc, byteVector, w);
        // VNNI codes are biased unsigned already; AVX2 sign-extends them.
        if (bits < 8 && !args.vnni && layout.signedCodes) {
          Value sign =
              splat(b, byteVector, b.getIntegerAttr(i8, 1 << (bits - 1)));
          bytes = arith::SubIOp::create(
              b, loc, arith::XOrIOp::create(b, loc, bytes, sign), sign);
        }
        weights.push_back(bytes);
      }
      Value quadIndex = arith::AddIOp::create(
          b, loc, arith::MulIOp::create(b, loc, word, index(b, subWords)),
          index(b, s));
      for (int64_t r = 0; r < rows; ++r) {
        Value quad =
            memref::LoadOp::create(b, loc, args.activations.quads,
                                   ValueRange{rowIndices[r], group, quadIndex});
        Value activations = vector::BitCastOp::create(
            b, loc, byteVector,
            vector::BroadcastOp::create(b, loc, intVector, quad));
        for (int64_t v = 0; v < vectors; ++v) {
          Value &dot = dots[(r * vectors + v) * splits + s % splits];
          if (args.vnni) {
            dot = call(b, intVector, "llvm.x86.avx512.vpdpbusd.512",
                       {dot, weights[v], activations});
            continue;
          }
          // |w| (u8) * sign(w) q (s8): pairs stay within i16.
          Value magnitude = call(b, byteVector, "llvm.x86.avx2.psign.b",
                                 {weights[v], weights[v]});
          Value signedActs = call(b, byteVector, "llvm.x86.avx2.psign.b",
                                  {activations, weights[v]});
          auto shortVector = VectorType::get({2 * lanes}, i16);
          Value pairs = call(b, shortVector, "llvm.x86.avx2.pmadd.ub.sw",
                             {magnitude, signedActs});
          Value quads =
              call(b, intVector, "llvm.x86.avx2.pmadd.wd",
                   {pairs, splat(b, shortVector, b.getIntegerAttr(i16, 1))});
          dot = arith::AddIOp::create(b, loc, dot, quads);
        }
      }
    }
  };

  int64_t words = llvm::divideCeil(groupLength, layout.codesPerWord);
  // Short groups (int4 g32: 4 words) are unrolled: no loop overhead
  // between the few vpdpbusd of a group.
  constexpr int64_t kMaxUnrolledWords = 4;
  if (words <= kMaxUnrolledWords) {
    for (int64_t w = 0; w < words; ++w)
      emitWord(b, index(b, w), dots);
  } else if (words > 1) {
    auto loop = scf::ForOp::create(
        b, loc, index(b, 0), index(b, words), index(b, 1), dots,
        [&](OpBuilder &nb, Location, Value word, ValueRange iterArgs) {
          SmallVector<Value> values(iterArgs);
          emitWord(nb, word, values);
          scf::YieldOp::create(nb, loc, values);
        });
    dots.assign(loop.getResults().begin(), loop.getResults().end());
  } else {
    emitWord(b, index(b, 0), dots);
  }

  auto dot = [&](int64_t r, int64_t v) {
    Value sum = dots[(r * vectors + v) * splits];
    for (int64_t t = 1; t < splits; ++t)
      sum = arith::AddIOp::create(b, loc, sum,
                                  dots[(r * vectors + v) * splits + t]);
    return sum;
  };
  SmallVector<Value> weightScales;
  for (int64_t v = 0; v < vectors; ++v)
    weightScales.push_back(args.weight->loadScales(
        b, loc, floatVector, tile, group, v * lanes, args.prefetchCodes));
  SmallVector<Value> result;
  for (int64_t r = 0; r < rows; ++r) {
    Value actScale = memref::LoadOp::create(b, loc, args.activations.scales,
                                            ValueRange{rowIndices[r], group});
    Value actScales =
        vector::BroadcastOp::create(b, loc, floatVector, actScale);
    for (int64_t v = 0; v < vectors; ++v) {
      Value scale = arith::MulFOp::create(b, loc, actScales, weightScales[v]);
      Value value = arith::SIToFPOp::create(b, loc, floatVector, dot(r, v));
      value = arith::MulFOp::create(b, loc, value, scale);
      result.push_back(
          arith::AddFOp::create(b, loc, acc[r * vectors + v], value));
    }
  }
  return result;
}

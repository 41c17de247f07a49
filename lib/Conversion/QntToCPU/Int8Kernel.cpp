//===- Int8Kernel.cpp - int8 (VNNI) compute path of the CPU kernels -------===//
//
// See Int8Kernel.h for the arithmetic. Layout of one group in registers:
// a repacked code word holds c = 32 / bits codes along K; it is split into
// S = 8 / bits s8 sub-words, sub-word s holding codes t = j * S + s
// (j = 0..3) in byte j, so one 32-bit activation quad per (row, word, s)
// broadcast to all lanes feeds one vpdpbusd per vector of channels.
//
//===----------------------------------------------------------------------===//

#include "quant/Conversion/QntToCPU/Int8Kernel.h"

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
  if (layout.hasZeroPoints || !layout.signedCodes) {
    reason = "int8 compute needs symmetric weights";
    return false;
  }
  if (lanes != (vnni ? 16 : 8)) {
    reason = vnni ? "vpdpbusd needs 16 lanes" : "the AVX2 path needs 8 lanes";
    return false;
  }
  return true;
}

std::vector<int32_t> mlir::qnt::prepareInt8Weight(RepackedWeight &weight,
                                                  int64_t block, bool vnni) {
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
    for (int64_t t = 0; t < layout.numTiles; ++t) {
      int64_t from = t * layout.wordsPerGroup * layout.tileN;
      std::copy_n(weight.codes.begin() + from,
                  layout.wordsPerGroup * layout.tileN,
                  codes.begin() + t * groups * words * layout.tileN);
      for (int64_t g = 0; g < groups; ++g)
        std::copy_n(weight.scales.begin() + t * layout.tileN, layout.tileN,
                    scales.begin() + (t * groups + g) * layout.tileN);
    }
    weight.codes = std::move(codes);
    weight.scales = std::move(scales);
    layout.groupSize = block;
    layout.numGroups = groups;
    layout.wordsPerGroup = words;
  }
  std::vector<int32_t> negCorrections;
  if (!vnni)
    return negCorrections;
  negCorrections.assign(layout.numTiles * layout.numGroups * layout.tileN, 0);
  for (int64_t t = 0; t < layout.numTiles; ++t)
    for (int64_t g = 0; g < layout.numGroups; ++g)
      for (int64_t w = 0; w < layout.wordsPerGroup; ++w)
        for (int64_t lane = 0; lane < layout.tileN; ++lane) {
          uint32_t word = uint32_t(
              weight.codes[((t * layout.numGroups + g) * layout.wordsPerGroup +
                            w) *
                               layout.tileN +
                           lane]);
          int32_t sum = 0;
          for (int64_t j = 0; j < layout.codesPerWord; ++j) {
            int32_t code = int32_t(word << (32 - layout.bits * (j + 1))) >>
                           (32 - layout.bits);
            sum += code;
          }
          negCorrections[(t * layout.numGroups + g) * layout.tileN + lane] -=
              128 * sum;
        }
  return negCorrections;
}

Int8Activations
mlir::qnt::emitInt8ActivationQuantization(OpBuilder &b, Location loc,
                                          const RepackedLayout &layout,
                                          Value lhs, int64_t m, bool vnni) {
  Type i32 = b.getI32Type(), f32 = b.getF32Type();
  int64_t subWords = 8 / layout.bits;
  int64_t quadsPerGroup = layout.wordsPerGroup * subWords;
  auto index = [&](int64_t v) -> Value {
    return arith::ConstantIndexOp::create(b, loc, v);
  };
  auto f32Const = [&](float v) -> Value {
    return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
  };
  auto i32Const = [&](int32_t v) -> Value {
    return arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(v));
  };
  Int8Activations result;
  result.quads = memref::AllocOp::create(
      b, loc, MemRefType::get({m, layout.numGroups, quadsPerGroup}, i32),
      b.getI64IntegerAttr(64));
  result.scales = memref::AllocOp::create(
      b, loc, MemRefType::get({m, layout.numGroups}, f32),
      b.getI64IntegerAttr(64));
  Value quads = result.quads, scales = result.scales;
  scf::ForOp::create(
      b, loc, index(0), index(m), index(1), ValueRange{},
      [&](OpBuilder &b, Location, Value row, ValueRange) {
        scf::ForOp::create(
            b, loc, index(0), index(layout.numGroups), index(1), ValueRange{},
            [&](OpBuilder &b, Location, Value group, ValueRange) {
              Value k0 =
                  arith::MulIOp::create(b, loc, group, index(layout.groupSize));
              Value kEnd = arith::MinSIOp::create(
                  b, loc,
                  arith::AddIOp::create(b, loc, k0, index(layout.groupSize)),
                  index(layout.k));
              auto amaxLoop = scf::ForOp::create(
                  b, loc, k0, kEnd, index(1), ValueRange{f32Const(0.0f)},
                  [&](OpBuilder &b, Location, Value k, ValueRange iter) {
                    Value x =
                        memref::LoadOp::create(b, loc, lhs, ValueRange{row, k});
                    Value ax = math::AbsFOp::create(b, loc, x);
                    scf::YieldOp::create(b, loc,
                                         ValueRange{arith::MaxNumFOp::create(
                                             b, loc, iter[0], ax)});
                  });
              Value amax = amaxLoop.getResult(0);
              Value scale = arith::DivFOp::create(b, loc, amax, f32Const(127));
              Value positive = arith::CmpFOp::create(
                  b, loc, arith::CmpFPredicate::OGT, amax, f32Const(0));
              Value inverse = arith::SelectOp::create(
                  b, loc, positive,
                  arith::DivFOp::create(b, loc, f32Const(127), amax),
                  f32Const(0));
              memref::StoreOp::create(b, loc, scale, scales,
                                      ValueRange{row, group});
              // One quad per (word, sub-word); codes past K give q = 0.
              scf::ForOp::create(
                  b, loc, index(0), index(quadsPerGroup), index(1),
                  ValueRange{},
                  [&](OpBuilder &b, Location, Value quad, ValueRange) {
                    Value word =
                        arith::DivUIOp::create(b, loc, quad, index(subWords));
                    Value sub =
                        arith::RemUIOp::create(b, loc, quad, index(subWords));
                    Value base = arith::AddIOp::create(
                        b, loc, k0,
                        arith::AddIOp::create(
                            b, loc,
                            arith::MulIOp::create(b, loc, word,
                                                  index(layout.codesPerWord)),
                            sub));
                    Value packed = i32Const(0);
                    for (int64_t j = 0; j < 4; ++j) {
                      Value k = arith::AddIOp::create(b, loc, base,
                                                      index(j * subWords));
                      Value valid = arith::CmpIOp::create(
                          b, loc, arith::CmpIPredicate::slt, k, kEnd);
                      Value safeK = arith::MinSIOp::create(b, loc, k,
                                                           index(layout.k - 1));
                      Value x = memref::LoadOp::create(b, loc, lhs,
                                                       ValueRange{row, safeK});
                      x = arith::SelectOp::create(b, loc, valid, x,
                                                  f32Const(0));
                      Value q = math::RoundEvenOp::create(
                          b, loc, arith::MulFOp::create(b, loc, x, inverse));
                      q = arith::MinimumFOp::create(
                          b, loc,
                          arith::MaximumFOp::create(b, loc, q, f32Const(-127)),
                          f32Const(127));
                      Value qi = arith::FPToSIOp::create(b, loc, i32, q);
                      if (vnni)
                        qi = arith::AddIOp::create(b, loc, qi, i32Const(128));
                      qi = arith::AndIOp::create(b, loc, qi, i32Const(255));
                      if (j > 0)
                        qi = arith::ShLIOp::create(b, loc, qi, i32Const(8 * j));
                      packed = arith::OrIOp::create(b, loc, packed, qi);
                    }
                    memref::StoreOp::create(b, loc, packed, quads,
                                            ValueRange{row, group, quad});
                    scf::YieldOp::create(b, loc);
                  });
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

  // i32 accumulators start at the correction (VNNI) or zero.
  SmallVector<Value> dots;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t v = 0; v < vectors; ++v)
      dots.push_back(args.negCorrections
                         ? Value(vector::LoadOp::create(
                               b, loc, intVector, args.negCorrections,
                               ValueRange{tile, group, index(b, v * lanes)}))
                         : splat(b, intVector, b.getI32IntegerAttr(0)));
  SmallVector<Value> rowIndices;
  for (int64_t r = 0; r < rows; ++r)
    rowIndices.push_back(arith::AddIOp::create(b, loc, rowBase, index(b, r)));

  auto emitWord = [&](OpBuilder &b, Value word, SmallVector<Value> &dots) {
    SmallVector<Value> words;
    for (int64_t v = 0; v < vectors; ++v)
      words.push_back(vector::LoadOp::create(
          b, loc, intVector, args.codes,
          ValueRange{tile, group, word, index(b, v * lanes)}));
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
        if (bits < 8) {
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
          Value &dot = dots[r * vectors + v];
          if (args.vnni) {
            dot = call(b, intVector, "llvm.x86.avx512.vpdpbusd.512",
                       {dot, activations, weights[v]});
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
  if (words > 1) {
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

  SmallVector<Value> weightScales;
  for (int64_t v = 0; v < vectors; ++v)
    weightScales.push_back(
        vector::LoadOp::create(b, loc, floatVector, args.weightScales,
                               ValueRange{tile, group, index(b, v * lanes)}));
  SmallVector<Value> result;
  for (int64_t r = 0; r < rows; ++r) {
    Value actScale = memref::LoadOp::create(b, loc, args.activations.scales,
                                            ValueRange{rowIndices[r], group});
    Value actScales =
        vector::BroadcastOp::create(b, loc, floatVector, actScale);
    for (int64_t v = 0; v < vectors; ++v) {
      Value scale = arith::MulFOp::create(b, loc, actScales, weightScales[v]);
      Value value =
          arith::SIToFPOp::create(b, loc, floatVector, dots[r * vectors + v]);
      value = arith::MulFOp::create(b, loc, value, scale);
      result.push_back(
          arith::AddFOp::create(b, loc, acc[r * vectors + v], value));
    }
  }
  return result;
}

//===- QntToCPU.cpp - SIMD CPU kernels for qnt.matmul ---------------------===//
//
// convert-qnt-to-cpu: every qnt.matmul whose weight is a constant 2-D
// #qnt.uniform tensor becomes
//
//   * memref.globals holding the weight repacked at compile time
//     (WeightRepacking.h): one i32 stream [tiles, groups, words * tileN +
//     scale words], each group's code words followed by its scales (f16
//     when exact, else f32), and i32 zero points [tiles, groups, tileN];
//   * a kernel on memrefs:
//
//       scf.forall tile                          (output channels)
//         scf.for row block of R rows            (lhs rows)
//           acc[R][V] = 0                        (V vectors of lanes)
//           scf.for group                        (K groups)
//             part[R][V][S] = 0                  (S split accumulators)
//             scf.for word
//               w[v] = vector.load stream[tile, group, word * tileN +
//                                         v * lanes]
//               prefetch the stream a few KB ahead
//               for code j (unrolled)
//                 q = (w[v] << (32 - bits * (j + 1))) >> (32 - bits)
//                 f = sitofp(q - zero_point)
//                   (<= 4 bits, 16 lanes: f = table[w[v] >> (bits * j)]
//                    - zero_point, one vpermps)
//                 for row r: part[r][v][j % S] =
//                     fma(broadcast(lhs[r, k]), f, part[r][v][j % S])
//             acc[r][v] = fma(sum_s part[r][v][s], scale[tile, group, v], acc)
//           epilogue on acc: + bias, activation, + residual, masked store
//
// Nothing but code words, scales and zero points is read from the weight:
// the float weight never exists in memory.
//
//===----------------------------------------------------------------------===//

#include "quant/Conversion/Passes.h"

#include "quant/Conversion/QntToCPU/Int8Kernel.h"
#include "quant/Conversion/QntToCPU/NonUniformWeights.h"
#include "quant/Conversion/QntToCPU/PlainWeights.h"
#include "quant/Conversion/QntToCPU/QntToCPU.h"
#include "quant/Conversion/QntToCPU/WeightRepacking.h"
#include "quant/Dialect/Qnt/IR/QntAttrs.h"
#include "quant/Dialect/Qnt/IR/QntDialect.h"
#include "quant/Dialect/Qnt/IR/QntOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/Support/MathExtras.h"

#include <cmath>
#include <cstring>

namespace mlir {
#define GEN_PASS_DEF_CONVERTQNTTOCPUPASS
#include "quant/Conversion/Passes.h.inc"
} // namespace mlir

using namespace mlir;
using namespace mlir::qnt;

//===----------------------------------------------------------------------===//
// Support
//===----------------------------------------------------------------------===//

/// Repacked parts up to this size are inline dense attributes, larger ones
/// dense_resource blobs (weights never go through a textual round trip).
static constexpr size_t kInlineLimitBytes = 4096;

/// A private constant memref.global holding `data`.
template <typename T>
static memref::GlobalOp
createGlobal(OpBuilder &b, Location loc, SymbolTable &symbols, StringRef name,
             ArrayRef<int64_t> shape, Type elementType, ArrayRef<T> data) {
  auto tensorType = RankedTensorType::get(shape, elementType);
  ArrayRef<char> raw(reinterpret_cast<const char *>(data.data()),
                     data.size() * sizeof(T));
  ElementsAttr init;
  if (raw.size() <= kInlineLimitBytes) {
    init = DenseElementsAttr::getFromRawBuffer(tensorType, raw);
  } else {
    AsmResourceBlob blob =
        HeapAsmResourceBlob::allocateAndCopyWithAlign(raw, alignof(T));
    init = DenseResourceElementsAttr::get(tensorType, name, std::move(blob));
  }
  auto global =
      memref::GlobalOp::create(b, loc, name, b.getStringAttr("private"),
                               MemRefType::get(shape, elementType), init,
                               /*constant=*/true, b.getI64IntegerAttr(64));
  symbols.insert(global);
  return global;
}

/// The index within its group of lane `lane` of code word `word` (a lane
/// past tileN reaches on into the stream).
static Value getWordIndex(OpBuilder &b, Location loc, Value word, int64_t tileN,
                          int64_t lane) {
  return arith::AddIOp::create(
      b, loc,
      arith::MulIOp::create(b, loc, word,
                            arith::ConstantIndexOp::create(b, loc, tileN)),
      arith::ConstantIndexOp::create(b, loc, lane));
}

/// Prefetches (for reading, into every cache level) stream[tile, group,
/// index]. Past the group's (or the tile's) end the index runs on into the
/// next ones: the address is what matters, and a prefetch never faults.
static void emitStreamPrefetch(OpBuilder &b, Location loc, Value buffer,
                               Value tile, Value group, Value index) {
  memref::PrefetchOp::create(b, loc, buffer, ValueRange{tile, group, index},
                             /*isWrite=*/false, /*localityHint=*/3,
                             /*isDataCache=*/true);
}

Value WeightStream::loadCodes(OpBuilder &b, Location loc, VectorType intVector,
                              Value tile, Value group, Value word,
                              int64_t lane) const {
  return vector::LoadOp::create(
      b, loc, intVector, buffer,
      ValueRange{tile, group, getWordIndex(b, loc, word, tileN, lane)});
}

void WeightStream::prefetch(OpBuilder &b, Location loc, Value tile, Value group,
                            Value word, int64_t lane,
                            int64_t bytesAhead) const {
  emitStreamPrefetch(b, loc, buffer, tile, group,
                     getWordIndex(b, loc, word, tileN, lane + bytesAhead / 4));
}

Value WeightStream::loadScales(OpBuilder &b, Location loc,
                               VectorType floatVector, Value tile, Value group,
                               int64_t lane, int64_t bytesAhead) const {
  int64_t lanes = floatVector.getNumElements();
  int64_t perWord = scaleType.isF16() ? 2 : 1;
  int64_t offset = scalesOffset + lane / perWord;
  Value words = vector::LoadOp::create(
      b, loc, VectorType::get({lanes / perWord}, b.getI32Type()), buffer,
      ValueRange{tile, group, arith::ConstantIndexOp::create(b, loc, offset)});
  // One prefetch per 16 words (a cache line when the group starts one).
  if (bytesAhead > 0 && (lane / perWord) % 16 == 0)
    emitStreamPrefetch(
        b, loc, buffer, tile, group,
        arith::ConstantIndexOp::create(b, loc, offset + bytesAhead / 4));
  Value scales = vector::BitCastOp::create(
      b, loc, VectorType::get({lanes}, scaleType), words);
  if (scaleType.isF16())
    scales = arith::ExtFOp::create(b, loc, floatVector, scales);
  return scales;
}

/// A 16-entry table of the unscaled values of integer codes (before the
/// zero point): entry i is the code in the low `bits` bits of i.
static CodeDecode getIntegerCodeTable(const RepackedLayout &layout,
                                      Operation *module) {
  CodeDecode decode;
  decode.tableBits = layout.bits;
  decode.module = module;
  int32_t size = int32_t(1) << layout.bits;
  for (int32_t i = 0; i < 16; ++i) {
    int32_t code = i % size;
    if (layout.signedCodes && code >= size / 2)
      code -= size;
    decode.table[i] = float(code);
  }
  return decode;
}

//===----------------------------------------------------------------------===//
// Kernel generation
//===----------------------------------------------------------------------===//

namespace {

/// Everything the kernel body needs.
struct KernelBuilder {
  Location loc;
  RepackedLayout layout;
  int64_t m;
  int64_t lanes;
  int64_t vectorsPerTile;
  int64_t rowBlock;
  /// Independent partial accumulators per (row, vector), so that FMA chains
  /// do not serialise when few rows share a decode.
  int64_t splits;
  Activation activation;
  Value zeroPoints, lhs, bias, residual, out;
  VectorType floatVector, intVector;
  /// Set for non-integer codes (NonUniformWeights.h).
  const CodeDecode *codeDecode = nullptr;
  /// Set for integer codes decoded by a table lookup (unscaled values,
  /// before the zero point).
  const CodeDecode *uniformTable = nullptr;
  /// The int8 compute path (Int8Kernel.h); unused while int8.codes is null.
  Int8GroupArgs int8 = {};
  /// Set for plain float weights (PlainWeights.h), which have no groups.
  const PlainKernelArgs *plain = nullptr;
  /// Software prefetch distance of the code stream in bytes (0: none).
  int64_t prefetchCodes = 0;
  /// The codes and scales (not for plain weights).
  WeightStream weight;

  Value index(OpBuilder &b, int64_t v) const {
    return arith::ConstantIndexOp::create(b, loc, v);
  }
  Value floatZero(OpBuilder &b) const {
    return arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(floatVector, b.getF32FloatAttr(0.0f)));
  }
  Value intSplat(OpBuilder &b, int32_t v) const {
    return arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(intVector, b.getI32IntegerAttr(v)));
  }
  Value add(OpBuilder &b, Value x, Value y) const {
    return arith::AddIOp::create(b, loc, x, y);
  }
  Value mul(OpBuilder &b, Value x, int64_t c) const {
    return arith::MulIOp::create(b, loc, x, index(b, c));
  }

  /// Code `slot` of every lane of `word`, as a signed i32 vector.
  Value decodeCode(OpBuilder &b, Value word, int64_t slot) const {
    int64_t bits = layout.bits;
    int64_t top = 32 - bits * (slot + 1);
    Value shifted = word;
    if (top > 0)
      shifted = arith::ShLIOp::create(b, loc, word, intSplat(b, top));
    Value amount = intSplat(b, 32 - bits);
    if (layout.signedCodes)
      return arith::ShRSIOp::create(b, loc, shifted, amount);
    return arith::ShRUIOp::create(b, loc, shifted, amount);
  }

  /// Accumulates the codes [0, count) of word `word` of `group` into
  /// `partial` ([rows][vectors][splits]).
  void emitWord(OpBuilder &b, Value tile, Value group, Value groupK, Value word,
                int64_t count, Value rowBase, int64_t rows,
                ArrayRef<Value> groupZeroPoints,
                SmallVectorImpl<Value> &partial) const {
    SmallVector<Value> words;
    for (int64_t v = 0; v < vectorsPerTile; ++v) {
      words.push_back(
          weight.loadCodes(b, loc, intVector, tile, group, word, v * lanes));
      if (prefetchCodes > 0)
        weight.prefetch(b, loc, tile, group, word, v * lanes, prefetchCodes);
    }
    Value wordK = add(b, groupK, mul(b, word, layout.codesPerWord));
    SmallVector<Value> lhsRows;
    for (int64_t r = 0; r < rows; ++r)
      lhsRows.push_back(add(b, rowBase, index(b, r)));
    for (int64_t slot = 0; slot < count; ++slot) {
      SmallVector<Value> weights;
      for (int64_t v = 0; v < vectorsPerTile; ++v) {
        if (codeDecode) {
          weights.push_back(emitCodeDecode(b, loc, *codeDecode, layout,
                                           words[v], slot, floatVector));
          continue;
        }
        if (uniformTable) {
          Value f = emitCodeDecode(b, loc, *uniformTable, layout, words[v],
                                   slot, floatVector);
          if (layout.hasZeroPoints)
            f = arith::SubFOp::create(b, loc, f, groupZeroPoints[v]);
          weights.push_back(f);
          continue;
        }
        Value q = decodeCode(b, words[v], slot);
        if (layout.hasZeroPoints)
          q = arith::SubIOp::create(b, loc, q, groupZeroPoints[v]);
        weights.push_back(arith::SIToFPOp::create(b, loc, floatVector, q));
      }
      Value k = add(b, wordK, index(b, slot));
      for (int64_t r = 0; r < rows; ++r) {
        Value x =
            memref::LoadOp::create(b, loc, lhs, ValueRange{lhsRows[r], k});
        Value xs = vector::BroadcastOp::create(b, loc, floatVector, x);
        for (int64_t v = 0; v < vectorsPerTile; ++v) {
          Value &acc =
              partial[(r * vectorsPerTile + v) * splits + slot % splits];
          acc = vector::FMAOp::create(b, loc, xs, weights[v], acc);
        }
      }
    }
  }

  /// Accumulates one K group of `groupLength` elements into `acc`
  /// ([rows][vectors]) and returns the new accumulators.
  SmallVector<Value> emitGroup(OpBuilder &b, Value tile, Value group,
                               int64_t groupLength, Value rowBase, int64_t rows,
                               ValueRange acc) const {
    if (int8.weight)
      return emitInt8Group(b, loc, int8, tile, group, groupLength, rowBase,
                           rows, acc);
    Value groupK = mul(b, group, layout.groupSize);
    SmallVector<Value> groupZeroPoints;
    if (layout.hasZeroPoints)
      for (int64_t v = 0; v < vectorsPerTile; ++v) {
        Value zeroPoint = vector::LoadOp::create(
            b, loc, intVector, zeroPoints,
            ValueRange{tile, group, index(b, v * lanes)});
        // The table decode subtracts them as floats (exact).
        if (uniformTable)
          zeroPoint = arith::SIToFPOp::create(b, loc, floatVector, zeroPoint);
        groupZeroPoints.push_back(zeroPoint);
      }
    int64_t numPartial = rows * vectorsPerTile * splits;
    Value zero = floatZero(b);
    SmallVector<Value> partial(numPartial, zero);
    int64_t fullWords = groupLength / layout.codesPerWord;
    int64_t tail = groupLength % layout.codesPerWord;
    if (fullWords > 0) {
      auto loop = scf::ForOp::create(
          b, loc, index(b, 0), index(b, fullWords), index(b, 1), partial,
          [&](OpBuilder &nb, Location, Value word, ValueRange iterArgs) {
            SmallVector<Value> values(iterArgs);
            emitWord(nb, tile, group, groupK, word, layout.codesPerWord,
                     rowBase, rows, groupZeroPoints, values);
            scf::YieldOp::create(nb, loc, values);
          });
      partial.assign(loop.getResults().begin(), loop.getResults().end());
    }
    if (tail > 0)
      emitWord(b, tile, group, groupK, index(b, fullWords), tail, rowBase, rows,
               groupZeroPoints, partial);

    SmallVector<Value> groupScales;
    for (int64_t v = 0; v < vectorsPerTile; ++v)
      groupScales.push_back(weight.loadScales(b, loc, floatVector, tile, group,
                                              v * lanes, prefetchCodes));
    SmallVector<Value> result;
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t v = 0; v < vectorsPerTile; ++v) {
        int64_t base = (r * vectorsPerTile + v) * splits;
        Value sum = partial[base];
        for (int64_t s = 1; s < splits; ++s)
          sum = arith::AddFOp::create(b, loc, sum, partial[base + s]);
        result.push_back(vector::FMAOp::create(b, loc, sum, groupScales[v],
                                               acc[r * vectorsPerTile + v]));
      }
    }
    return result;
  }

  /// The whole K reduction and the epilogue of `rows` rows from `rowBase`.
  void emitRows(OpBuilder &b, Value tile, Value rowBase, int64_t rows) const {
    SmallVector<Value> acc;
    if (plain)
      acc = emitPlainRows(
          b, loc, *plain, tile, rowBase, rows, index(b, 0), layout.k,
          SmallVector<Value>(rows * vectorsPerTile, floatZero(b)));
    else
      acc = emitGroups(b, tile, rowBase, rows);
    emitEpilogue(b, tile, rowBase, rows, acc);
  }

  /// Plain weights, K block [kBegin, kBegin + kLength) of rows [rowBase,
  /// rowBase + rows): continues the partial sums kept in `out` (unless
  /// `first`), then stores them back or, for the `last` block, applies the
  /// epilogue. Lanes past N are masked off in both directions.
  void emitPlainBlockRows(OpBuilder &b, Value tile, Value rowBase, int64_t rows,
                          Value kBegin, int64_t kLength, bool first,
                          bool last) const {
    Value tileN = mul(b, tile, layout.tileN);
    Value padding = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.0f));
    SmallVector<Value> acc;
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t v = 0; v < vectorsPerTile; ++v) {
        if (first) {
          acc.push_back(floatZero(b));
          continue;
        }
        acc.push_back(vector::TransferReadOp::create(
            b, loc, floatVector, out,
            ValueRange{add(b, rowBase, index(b, r)),
                       add(b, tileN, index(b, v * lanes))},
            padding, ArrayRef<bool>{false}));
      }
    acc = emitPlainRows(b, loc, *plain, tile, rowBase, rows, kBegin, kLength,
                        acc);
    if (last)
      return emitEpilogue(b, tile, rowBase, rows, acc);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t v = 0; v < vectorsPerTile; ++v)
        vector::TransferWriteOp::create(
            b, loc, acc[r * vectorsPerTile + v], out,
            ValueRange{add(b, rowBase, index(b, r)),
                       add(b, tileN, index(b, v * lanes))},
            ArrayRef<bool>{false});
  }

  /// All row blocks of one K block of plain weights.
  void emitPlainBlock(OpBuilder &b, Value tile, Value kBegin, int64_t kLength,
                      bool first, bool last) const {
    int64_t fullBlocks = m / rowBlock;
    int64_t tail = m % rowBlock;
    if (fullBlocks > 0)
      scf::ForOp::create(
          b, loc, index(b, 0), index(b, fullBlocks), index(b, 1), ValueRange{},
          [&](OpBuilder &nb, Location, Value block, ValueRange) {
            emitPlainBlockRows(nb, tile, mul(nb, block, rowBlock), rowBlock,
                               kBegin, kLength, first, last);
            scf::YieldOp::create(nb, loc);
          });
    if (tail > 0)
      emitPlainBlockRows(b, tile, index(b, fullBlocks * rowBlock), tail, kBegin,
                         kLength, first, last);
  }

  /// Plain weights with several row blocks: loop order (K block, row block)
  /// so that each K block of the tile is read from L2 by every row block.
  void emitPlainTileBlocked(OpBuilder &b, Value tile, int64_t kBlock) const {
    int64_t numBlocks = llvm::divideCeil(layout.k, kBlock);
    int64_t lastLength = layout.k - (numBlocks - 1) * kBlock;
    emitPlainBlock(b, tile, index(b, 0), numBlocks == 1 ? lastLength : kBlock,
                   /*first=*/true, /*last=*/numBlocks == 1);
    if (numBlocks > 2)
      scf::ForOp::create(
          b, loc, index(b, 1), index(b, numBlocks - 1), index(b, 1),
          ValueRange{}, [&](OpBuilder &nb, Location, Value block, ValueRange) {
            emitPlainBlock(nb, tile, mul(nb, block, kBlock), kBlock,
                           /*first=*/false, /*last=*/false);
            scf::YieldOp::create(nb, loc);
          });
    if (numBlocks > 1)
      emitPlainBlock(b, tile, index(b, (numBlocks - 1) * kBlock), lastLength,
                     /*first=*/false, /*last=*/true);
  }

  /// The K reduction over groups of rows [rowBase, rowBase + rows).
  SmallVector<Value> emitGroups(OpBuilder &b, Value tile, Value rowBase,
                                int64_t rows) const {
    SmallVector<Value> acc(rows * vectorsPerTile, floatZero(b));
    int64_t fullGroups = layout.k / layout.groupSize;
    int64_t tail = layout.k % layout.groupSize;
    if (fullGroups > 0) {
      auto loop = scf::ForOp::create(
          b, loc, index(b, 0), index(b, fullGroups), index(b, 1), acc,
          [&](OpBuilder &nb, Location, Value group, ValueRange iterArgs) {
            scf::YieldOp::create(nb, loc,
                                 emitGroup(nb, tile, group, layout.groupSize,
                                           rowBase, rows, iterArgs));
          });
      acc.assign(loop.getResults().begin(), loop.getResults().end());
    }
    if (tail > 0)
      acc = emitGroup(b, tile, index(b, fullGroups), tail, rowBase, rows, acc);
    return acc;
  }

  void emitEpilogue(OpBuilder &b, Value tile, Value rowBase, int64_t rows,
                    ArrayRef<Value> acc) const {
    // Epilogue: y = act(acc + bias) + residual, stored with lanes past N
    // masked off.
    Value tileN = mul(b, tile, layout.tileN);
    Value padding = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.0f));
    for (int64_t v = 0; v < vectorsPerTile; ++v) {
      Value n = add(b, tileN, index(b, v * lanes));
      Value biasVector;
      if (bias)
        biasVector = vector::TransferReadOp::create(b, loc, floatVector, bias,
                                                    ValueRange{n}, padding,
                                                    ArrayRef<bool>{false});
      for (int64_t r = 0; r < rows; ++r) {
        Value row = add(b, rowBase, index(b, r));
        Value y = acc[r * vectorsPerTile + v];
        if (bias)
          y = arith::AddFOp::create(b, loc, y, biasVector);
        y = buildActivation(b, loc, activation, y);
        if (residual)
          y = arith::AddFOp::create(
              b, loc, y,
              vector::TransferReadOp::create(b, loc, floatVector, residual,
                                             ValueRange{row, n}, padding,
                                             ArrayRef<bool>{false}));
        vector::TransferWriteOp::create(b, loc, y, out, ValueRange{row, n},
                                        ArrayRef<bool>{false});
      }
    }
  }

  /// One tile of output channels, all rows.
  void emitTile(OpBuilder &b, Value tile) const {
    if (plain) {
      if (int64_t kBlock = getPlainKBlock(*plain->layout, m, rowBlock))
        return emitPlainTileBlocked(b, tile, kBlock);
    }
    int64_t fullBlocks = m / rowBlock;
    int64_t tail = m % rowBlock;
    if (fullBlocks > 0)
      scf::ForOp::create(
          b, loc, index(b, 0), index(b, fullBlocks), index(b, 1), ValueRange{},
          [&](OpBuilder &nb, Location, Value block, ValueRange) {
            emitRows(nb, tile, mul(nb, block, rowBlock), rowBlock);
            scf::YieldOp::create(nb, loc);
          });
    if (tail > 0)
      emitRows(b, tile, index(b, fullBlocks * rowBlock), tail);
  }
};

} // namespace

bool mlir::qnt::isSupportedByCpuKernel(MatmulOp op, std::string &reason) {
  auto weightType = cast<RankedTensorType>(op.getWeight().getType());
  auto encoding = dyn_cast<UniformAttr>(weightType.getEncoding());
  if (!encoding &&
      !isa_and_nonnull<MinifloatAttr, LutAttr, BinaryAttr, TernaryAttr,
                       PlainAttr>(weightType.getEncoding())) {
    reason = "weight encoding has no cpu kernel";
    return false;
  }
  auto constant = op.getWeight().getDefiningOp<ConstantOp>();
  if (!constant) {
    reason = "weight is not a qnt.constant";
    return false;
  }
  auto lhsType = cast<RankedTensorType>(op.getLhs().getType());
  auto resultType = cast<RankedTensorType>(op.getResult().getType());
  if (lhsType.getRank() != 2 || weightType.getRank() != 2) {
    reason = "batched matmul";
    return false;
  }
  if (!lhsType.hasStaticShape() || !weightType.hasStaticShape() ||
      !resultType.hasStaticShape()) {
    reason = "dynamic shapes";
    return false;
  }
  auto isF32 = [](Value v) {
    return !v || cast<RankedTensorType>(v.getType()).getElementType().isF32();
  };
  if (!isF32(op.getLhs()) || !isF32(op.getResult()) || !isF32(op.getBias()) ||
      !isF32(op.getResidual())) {
    reason = "activations are not f32";
    return false;
  }
  if (op.getBias() &&
      cast<RankedTensorType>(op.getBias().getType()).getRank() != 1) {
    reason = "bias is not 1-D";
    return false;
  }
  if (auto plain = dyn_cast<PlainAttr>(weightType.getEncoding()))
    return canRepackPlainForCpu(plain, weightType.getShape(), reason);
  if (!encoding)
    return canRepackNonUniformForCpu(weightType.getEncoding(),
                                     weightType.getShape(), reason);
  return canRepackForCpu(encoding, weightType.getShape(), reason);
}

/// A read-only buffer view of a tensor (null for null).
static Value toBuffer(OpBuilder &b, Location loc, Value tensor) {
  if (!tensor)
    return {};
  auto type = cast<RankedTensorType>(tensor.getType());
  return bufferization::ToBufferOp::create(
      b, loc, MemRefType::get(type.getShape(), type.getElementType()), tensor,
      /*readOnly=*/true);
}

/// Emits the tile loop of `kb` (whose `out` is set) and replaces `op` by
/// its result.
static void emitKernelAndReplace(RewriterBase &rewriter, MatmulOp op,
                                 ConstantOp constant, const KernelBuilder &kb) {
  Location loc = op.getLoc();
  auto forall = scf::ForallOp::create(
      rewriter, loc,
      ArrayRef<OpFoldResult>{rewriter.getIndexAttr(kb.layout.numTiles)},
      ValueRange{}, std::nullopt);
  {
    OpBuilder::InsertionGuard bodyGuard(rewriter);
    rewriter.setInsertionPointToStart(forall.getBody());
    kb.emitTile(rewriter, forall.getInductionVar(0));
  }
  Value result = bufferization::ToTensorOp::create(
      rewriter, loc, op.getResult().getType(), kb.out, /*restrict=*/true,
      /*writable=*/true);
  rewriter.replaceOp(op, result);
  if (constant->use_empty())
    rewriter.eraseOp(constant);
}

/// The plain float kernel (PlainWeights.h).
static LogicalResult rewritePlainMatmul(RewriterBase &rewriter, MatmulOp op,
                                        PlainAttr encoding,
                                        const CpuKernelOptions &options,
                                        SymbolTable &symbols,
                                        ArrayRef<uint8_t> values) {
  Location loc = op.getLoc();
  auto weightType = cast<RankedTensorType>(op.getWeight().getType());
  auto constant = op.getWeight().getDefiningOp<ConstantOp>();
  int64_t lanes = options.vectorWidth;
  int64_t vectors = options.plainTileVectors;
  PlainLayout plainLayout;
  FailureOr<std::vector<uint8_t>> repacked = repackPlainForCpu(
      encoding, weightType.getShape(), vectors * lanes, values, plainLayout);
  if (failed(repacked))
    return rewriter.notifyMatchFailure(op, "weight part has the wrong size");

  auto module = op->getParentOfType<ModuleOp>();
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPointToStart(module.getBody());
  Type globalType = getPlainGlobalElementType(encoding);
  memref::GlobalOp global;
  if (plainLayout.elementBytes == 4)
    global = createGlobal<float>(
        rewriter, loc, symbols, "__qnt_cpu_plain", plainLayout.getShape(),
        globalType,
        ArrayRef<float>(reinterpret_cast<const float *>(repacked->data()),
                        repacked->size() / 4));
  else
    global = createGlobal<uint16_t>(
        rewriter, loc, symbols, "__qnt_cpu_plain", plainLayout.getShape(),
        globalType,
        ArrayRef<uint16_t>(reinterpret_cast<const uint16_t *>(repacked->data()),
                           repacked->size() / 2));

  rewriter.setInsertionPoint(op);
  auto resultType = cast<RankedTensorType>(op.getResult().getType());
  int64_t m = resultType.getShape()[0];
  RepackedLayout layout;
  layout.n = plainLayout.n;
  layout.k = plainLayout.k;
  layout.tileN = plainLayout.tileN;
  layout.numTiles = plainLayout.numTiles;
  layout.bits = encoding.getStorageType().getWidth();
  layout.codesPerWord = 1;
  layout.groupSize = layout.k;
  layout.numGroups = 1;
  layout.wordsPerGroup = layout.k;
  Type f32 = rewriter.getF32Type();
  PlainKernelArgs plainArgs{&plainLayout,
                            encoding,
                            lanes,
                            vectors,
                            memref::GetGlobalOp::create(rewriter, loc,
                                                        global.getType(),
                                                        global.getSymName()),
                            toBuffer(rewriter, loc, op.getLhs())};
  plainArgs.prefetchBytes = options.plainPrefetchDistance;
  KernelBuilder kb{loc,
                   layout,
                   m,
                   lanes,
                   vectors,
                   std::max<int64_t>(1, std::min(options.plainRowBlock, m)),
                   1,
                   op.getActivation(),
                   Value(),
                   plainArgs.lhs,
                   toBuffer(rewriter, loc, op.getBias()),
                   toBuffer(rewriter, loc, op.getResidual()),
                   Value(),
                   VectorType::get({lanes}, f32),
                   VectorType::get({lanes}, rewriter.getI32Type())};
  kb.plain = &plainArgs;
  kb.out = memref::AllocOp::create(rewriter, loc,
                                   MemRefType::get(resultType.getShape(), f32),
                                   rewriter.getI64IntegerAttr(64));
  emitKernelAndReplace(rewriter, op, constant, kb);
  return success();
}

LogicalResult
mlir::qnt::rewriteMatmulToCpuKernel(RewriterBase &rewriter, MatmulOp op,
                                    const CpuKernelOptions &options,
                                    SymbolTable &symbols) {
  Location loc = op.getLoc();
  auto weightType = cast<RankedTensorType>(op.getWeight().getType());
  auto encoding = dyn_cast<UniformAttr>(weightType.getEncoding());
  auto constant = op.getWeight().getDefiningOp<ConstantOp>();

  // Repack at compile time.
  std::vector<std::vector<uint8_t>> partBytes;
  for (Attribute part : constant.getParts()) {
    FailureOr<std::vector<uint8_t>> bytes =
        getConstantBytes(cast<ElementsAttr>(part));
    if (failed(bytes))
      return rewriter.notifyMatchFailure(op, "unreadable weight part");
    partBytes.push_back(std::move(*bytes));
  }
  if (auto plain = dyn_cast<PlainAttr>(weightType.getEncoding())) {
    if (partBytes.size() != 1)
      return rewriter.notifyMatchFailure(op, "plain weight has one part");
    return rewritePlainMatmul(rewriter, op, plain, options, symbols,
                              partBytes[0]);
  }
  SmallVector<ArrayRef<uint8_t>> partRefs(partBytes.begin(), partBytes.end());
  int64_t tileN = options.tileN;
  int64_t gemvTileN = (options.vnni ? options.int8GemvTileVectorsVnni
                                    : options.int8GemvTileVectorsAvx2) *
                      options.vectorWidth;
  auto resultType = cast<RankedTensorType>(op.getResult().getType());
  int64_t m = resultType.getShape()[0];
  if (!options.tileNGiven && options.int8 && encoding && m == 1 &&
      weightType.getShape()[0] >= 2 * gemvTileN) {
    std::string reason;
    if (canUseInt8Kernel(
            getRepackedLayout(encoding, weightType.getShape(), gemvTileN),
            options.vectorWidth, options.vnni, reason))
      tileN = gemvTileN;
  }
  CodeDecode codeDecode;
  FailureOr<RepackedWeight> repacked =
      encoding ? repackForCpu(encoding, weightType.getShape(), tileN, partRefs)
               : repackNonUniformForCpu(weightType.getEncoding(),
                                        weightType.getShape(), tileN, partRefs,
                                        codeDecode);
  if (failed(repacked))
    return rewriter.notifyMatchFailure(op, "weight parts have wrong sizes");
  const RepackedLayout &layout = repacked->layout;
  // compute=int8 where the weight allows it, else the f32 path.
  std::string int8Reason;
  bool int8 =
      options.int8 && encoding &&
      canUseInt8Kernel(layout, options.vectorWidth, options.vnni, int8Reason);
  if (int8)
    prepareInt8Weight(*repacked, options.int8Block, options.vnni);

  // The repacked weight as private constant globals.
  auto module = op->getParentOfType<ModuleOp>();
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPointToStart(module.getBody());
  Type i32 = rewriter.getI32Type(), f32 = rewriter.getF32Type();
  // Scales that f16 holds exactly are stored as f16: for small groups they
  // are a good part of the bytes read.
  std::optional<std::vector<uint16_t>> halves =
      getExactF16Scales(repacked->scales);
  WeightStream stream;
  stream.tileN = layout.tileN;
  stream.scalesOffset = layout.wordsPerGroup * layout.tileN;
  stream.scaleType = halves ? Type(rewriter.getF16Type()) : Type(f32);
  int64_t scaleWords = halves ? layout.tileN / 2 : layout.tileN;
  int64_t groupWords = stream.scalesOffset + scaleWords;
  std::vector<int32_t> interleaved(layout.numTiles * layout.numGroups *
                                   groupWords);
  for (int64_t g = 0; g < layout.numTiles * layout.numGroups; ++g) {
    int32_t *out = interleaved.data() + g * groupWords;
    std::copy_n(repacked->codes.begin() + g * stream.scalesOffset,
                stream.scalesOffset, out);
    out += stream.scalesOffset;
    if (halves)
      std::memcpy(out, halves->data() + g * layout.tileN,
                  layout.tileN * sizeof(uint16_t));
    else
      std::memcpy(out, repacked->scales.data() + g * layout.tileN,
                  layout.tileN * sizeof(float));
  }
  auto weightGlobal = createGlobal<int32_t>(
      rewriter, loc, symbols, "__qnt_cpu_weight",
      {layout.numTiles, layout.numGroups, groupWords}, i32, interleaved);
  memref::GlobalOp zeroPointsGlobal;
  if (layout.hasZeroPoints)
    zeroPointsGlobal = createGlobal<int32_t>(
        rewriter, loc, symbols, "__qnt_cpu_zero_points",
        layout.getParamsShape(), i32, repacked->zeroPoints);

  rewriter.setInsertionPoint(op);
  auto getGlobal = [&](memref::GlobalOp global) -> Value {
    if (!global)
      return {};
    return memref::GetGlobalOp::create(rewriter, loc, global.getType(),
                                       global.getSymName());
  };
  KernelBuilder kb{
      loc,
      layout,
      m,
      options.vectorWidth,
      tileN / options.vectorWidth,
      std::max<int64_t>(1, std::min(int8 && options.vnni ? options.int8RowBlock
                                                         : options.rowBlock,
                                    m)),
      1,
      op.getActivation(),
      getGlobal(zeroPointsGlobal),
      toBuffer(rewriter, loc, op.getLhs()),
      toBuffer(rewriter, loc, op.getBias()),
      toBuffer(rewriter, loc, op.getResidual()),
      Value(),
      VectorType::get({options.vectorWidth}, f32),
      VectorType::get({options.vectorWidth}, i32)};
  // Enough independent FMA chains to cover the FMA latency (about 4 chains
  // of the two FMA ports) when few rows share a decode.
  kb.splits = std::max<int64_t>(
      1, std::min<int64_t>(4 / (kb.rowBlock * kb.vectorsPerTile), 4));
  if (!encoding) {
    codeDecode.module = module;
    kb.codeDecode = &codeDecode;
  }
  // Codes of at most 4 bits: one shift and one register table lookup
  // (vpermps reads the low 4 index bits) instead of two shifts and a
  // conversion. AVX2's 8-entry permute covers 3 bits.
  CodeDecode integerTable;
  if (encoding && !int8 &&
      (kb.lanes == 16 ? layout.bits <= 4 : kb.lanes == 8 && layout.bits <= 3)) {
    integerTable = getIntegerCodeTable(layout, module);
    kb.uniformTable = &integerTable;
  }
  stream.buffer = getGlobal(weightGlobal);
  kb.weight = stream;
  kb.prefetchCodes =
      int8 ? options.int8PrefetchDistance : options.prefetchDistance;
  auto outType = MemRefType::get(resultType.getShape(), f32);
  kb.out = memref::AllocOp::create(rewriter, loc, outType,
                                   rewriter.getI64IntegerAttr(64));
  if (int8)
    kb.int8 = {
        &layout,
        kb.lanes,
        kb.vectorsPerTile,
        options.vnni,
        &kb.weight,
        emitInt8ActivationQuantization(rewriter, loc, layout, kb.lhs, m,
                                       options.vnni || layout.hasZeroPoints),
        kb.zeroPoints,
        module};
  kb.int8.prefetchCodes = kb.prefetchCodes;

  emitKernelAndReplace(rewriter, op, constant, kb);
  return success();
}

//===----------------------------------------------------------------------===//
// Pass
//===----------------------------------------------------------------------===//

namespace {
struct ConvertQntToCPUPass
    : public impl::ConvertQntToCPUPassBase<ConvertQntToCPUPass> {
  using Base::Base;
  void runOnOperation() override;
};
} // namespace

void ConvertQntToCPUPass::runOnOperation() {
  ModuleOp module = getOperation();
  if (vectorWidth <= 0 || !llvm::isPowerOf2_64(vectorWidth)) {
    module.emitError() << "vector-width must be a positive power of two, got "
                       << int64_t(vectorWidth);
    return signalPassFailure();
  }
  CpuKernelOptions options;
  options.vectorWidth = vectorWidth;
  options.tileN = tileN == 0 ? 2 * vectorWidth : int64_t(tileN);
  options.tileNGiven = tileN != 0;
  options.rowBlock = int64_t(rowBlock);
  if (prefetchDistance >= 0) {
    options.prefetchDistance = prefetchDistance;
    options.int8PrefetchDistance = prefetchDistance;
    options.plainPrefetchDistance = prefetchDistance;
  }
  // AVX2 has 16 vector registers (AVX-512 32): 3 x 4 accumulators.
  if (vectorWidth < 16) {
    options.plainTileVectors = 3;
    options.plainRowBlock = 4;
  }
  if (compute != "f32" && compute != "int8") {
    module.emitError() << "compute must be f32 or int8, got '" << compute
                       << "'";
    return signalPassFailure();
  }
  options.int8 = compute == "int8";
  options.vnni = vnni;
  if (options.tileN <= 0 || options.tileN % vectorWidth != 0) {
    module.emitError() << "tile-n must be a positive multiple of vector-width ("
                       << int64_t(vectorWidth) << "), got " << options.tileN;
    return signalPassFailure();
  }
  if (options.rowBlock <= 0) {
    module.emitError() << "row-block must be positive, got "
                       << options.rowBlock;
    return signalPassFailure();
  }

  SmallVector<MatmulOp> matmuls;
  module.walk([&](MatmulOp op) {
    std::string reason;
    if (isSupportedByCpuKernel(op, reason))
      matmuls.push_back(op);
  });
  SymbolTable symbols(module);
  IRRewriter rewriter(&getContext());
  for (MatmulOp op : matmuls)
    if (failed(rewriteMatmulToCpuKernel(rewriter, op, options, symbols))) {
      op.emitError("cannot generate a cpu kernel for this matmul");
      return signalPassFailure();
    }
}

//===- PlainWeights.cpp - CPU kernels for plain float weights -------------===//
//
// See PlainWeights.h. The K loop is unrolled by kUnroll; when few rows share
// a weight load the accumulators are split over alternating k so that the
// FMA chains do not serialise on the FMA latency.
//
//===----------------------------------------------------------------------===//

#include "quant/Conversion/QntToCPU/PlainWeights.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "llvm/Support/MathExtras.h"

#include <cstring>

using namespace mlir;
using namespace mlir::qnt;

/// K steps per loop iteration.
static constexpr int64_t kUnroll = 4;
/// Independent FMA chains wanted per step (about 2 FMA ports x 4 cycles).
static constexpr int64_t kMinChains = 8;

bool mlir::qnt::canRepackPlainForCpu(PlainAttr encoding,
                                     ArrayRef<int64_t> shape,
                                     std::string &reason) {
  if (shape.size() != 2) {
    reason = "weight is not 2-D";
    return false;
  }
  FloatType type = encoding.getStorageType();
  if (!type.isF32() && !type.isF16() && !type.isBF16()) {
    reason = "plain storage must be f32, f16 or bf16";
    return false;
  }
  return true;
}

Type mlir::qnt::getPlainGlobalElementType(PlainAttr encoding) {
  FloatType type = encoding.getStorageType();
  if (type.isBF16())
    return IntegerType::get(type.getContext(), 16);
  return type;
}

FailureOr<std::vector<uint8_t>>
mlir::qnt::repackPlainForCpu(PlainAttr encoding, ArrayRef<int64_t> shape,
                             int64_t tileN, ArrayRef<uint8_t> values,
                             PlainLayout &layout) {
  layout.n = shape[0];
  layout.k = shape[1];
  layout.tileN = tileN;
  layout.numTiles = llvm::divideCeil(layout.n, tileN);
  layout.elementBytes = encoding.getStorageType().getWidth() / 8;
  int64_t n = layout.n, k = layout.k, bytes = layout.elementBytes;
  if (int64_t(values.size()) != n * k * bytes)
    return failure();
  std::vector<uint8_t> result(layout.numTiles * k * tileN * bytes, 0);
  for (int64_t row = 0; row < n; ++row) {
    int64_t tile = row / tileN, lane = row % tileN;
    const uint8_t *src = values.data() + row * k * bytes;
    uint8_t *dst = result.data() + (tile * k * tileN + lane) * bytes;
    for (int64_t col = 0; col < k; ++col)
      std::memcpy(dst + col * tileN * bytes, src + col * bytes, bytes);
  }
  return result;
}

int64_t mlir::qnt::getPlainKBlock(const PlainLayout &layout, int64_t m,
                                  int64_t rowBlock) {
  if (m <= rowBlock)
    return 0;
  // 128 KB of weights per block: well inside L2, with room for the lhs rows.
  int64_t block = (128 << 10) / (layout.tileN * layout.elementBytes);
  block = std::max<int64_t>(kUnroll, block / kUnroll * kUnroll);
  return block >= layout.k ? 0 : block;
}

SmallVector<Value> mlir::qnt::emitPlainRows(OpBuilder &b, Location loc,
                                            const PlainKernelArgs &args,
                                            Value tile, Value rowBase,
                                            int64_t rows, Value kBegin,
                                            int64_t kLength, ValueRange init) {
  int64_t lanes = args.lanes, vectors = args.vectorsPerTile;
  FloatType storage = args.encoding.getStorageType();
  Type f32 = b.getF32Type(), i32 = b.getI32Type();
  auto floatVector = VectorType::get({lanes}, f32);
  auto intVector = VectorType::get({lanes}, i32);
  auto loadVector =
      VectorType::get({lanes}, getPlainGlobalElementType(args.encoding));
  auto index = [&](OpBuilder &b, int64_t v) -> Value {
    return arith::ConstantIndexOp::create(b, loc, v);
  };
  int64_t chains = rows * vectors;
  int64_t splits = std::max<int64_t>(
      1, std::min<int64_t>(kUnroll, llvm::divideCeil(kMinChains, chains)));
  // splits must divide the unroll so that every chain sees whole steps.
  while (kUnroll % splits != 0)
    --splits;

  SmallVector<Value> rowIndices;
  for (int64_t r = 0; r < rows; ++r)
    rowIndices.push_back(arith::AddIOp::create(b, loc, rowBase, index(b, r)));

  // One k step: acc[split][r][v] += lhs[r, k] * w[k, v].
  auto emitStep = [&](OpBuilder &b, Value k, int64_t split,
                      SmallVectorImpl<Value> &acc) {
    SmallVector<Value> weights;
    for (int64_t v = 0; v < vectors; ++v) {
      Value w =
          vector::LoadOp::create(b, loc, loadVector, args.weights,
                                 ValueRange{tile, k, index(b, v * lanes)});
      // One prefetch per cache line; past the tile's end the address runs
      // into the next tile, which is what is read next.
      if (args.prefetchBytes > 0 &&
          (v * lanes * args.layout->elementBytes) % 64 == 0)
        memref::PrefetchOp::create(
            b, loc, args.weights,
            ValueRange{tile, k,
                       index(b, v * lanes + args.prefetchBytes /
                                                args.layout->elementBytes)},
            /*isWrite=*/false, /*localityHint=*/3, /*isDataCache=*/true);
      if (storage.isF16()) {
        w = arith::ExtFOp::create(b, loc, floatVector, w);
      } else if (storage.isBF16()) {
        // bf16 bits are the top half of the f32 bits.
        w = arith::ExtUIOp::create(b, loc, intVector, w);
        w = arith::ShLIOp::create(
            b, loc, w,
            arith::ConstantOp::create(
                b, loc,
                DenseElementsAttr::get(intVector, b.getI32IntegerAttr(16))));
        w = arith::BitcastOp::create(b, loc, floatVector, w);
      }
      weights.push_back(w);
    }
    for (int64_t r = 0; r < rows; ++r) {
      Value x = memref::LoadOp::create(b, loc, args.lhs,
                                       ValueRange{rowIndices[r], k});
      Value xs = vector::BroadcastOp::create(b, loc, floatVector, x);
      for (int64_t v = 0; v < vectors; ++v) {
        Value &a = acc[(split * rows + r) * vectors + v];
        a = vector::FMAOp::create(b, loc, xs, weights[v], a);
      }
    }
  };

  Value zero = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(floatVector, b.getF32FloatAttr(0.0f)));
  // Split 0 continues `init`; the others start at zero.
  SmallVector<Value> acc(init.begin(), init.end());
  acc.resize(splits * chains, zero);
  int64_t fullSteps = kLength / kUnroll;
  auto kAt = [&](OpBuilder &b, int64_t offset) -> Value {
    return arith::AddIOp::create(b, loc, kBegin, index(b, offset));
  };
  if (fullSteps > 0) {
    auto loop = scf::ForOp::create(
        b, loc, kBegin, kAt(b, fullSteps * kUnroll), index(b, kUnroll), acc,
        [&](OpBuilder &nb, Location, Value k0, ValueRange iterArgs) {
          SmallVector<Value> values(iterArgs);
          for (int64_t u = 0; u < kUnroll; ++u) {
            Value k =
                u == 0
                    ? k0
                    : Value(arith::AddIOp::create(nb, loc, k0, index(nb, u)));
            emitStep(nb, k, u % splits, values);
          }
          scf::YieldOp::create(nb, loc, values);
        });
    acc.assign(loop.getResults().begin(), loop.getResults().end());
  }
  for (int64_t k = fullSteps * kUnroll; k < kLength; ++k)
    emitStep(b, kAt(b, k), k % splits, acc);

  SmallVector<Value> result(acc.begin(), acc.begin() + chains);
  for (int64_t s = 1; s < splits; ++s)
    for (int64_t i = 0; i < chains; ++i)
      result[i] = arith::AddFOp::create(b, loc, result[i], acc[s * chains + i]);
  return result;
}

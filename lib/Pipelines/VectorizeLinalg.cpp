//===- VectorizeLinalg.cpp - tile and vectorize float linalg ops ----------===//
//
// The CPU pipeline's kernels cover qnt.matmul; the rest of a model (norms,
// softmax, activations, residual adds, attention's batch matmuls, layout
// changes) arrives as linalg on tensors. This pass tiles each such op so
// that one tile is a few hardware vectors and vectorizes the tile with the
// upstream linalg vectorizer, instead of leaving it to scalar loops.
//
//===----------------------------------------------------------------------===//

#include "quant/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/TilingInterface.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/LoopInvariantCodeMotionUtils.h"

namespace mlir {
#define GEN_PASS_DEF_VECTORIZELINALGPASS
#include "quant/Conversion/Passes.h.inc"
} // namespace mlir

using namespace mlir;

namespace {

/// The largest tile <= target that divides size, preferring multiples of
/// `lanes` (whole vectors); the whole range when it fits.
int64_t pickTile(int64_t size, int64_t target, int64_t lanes) {
  if (size <= target)
    return size;
  int64_t best = 1;
  for (int64_t t = target; t > 1; --t) {
    if (size % t)
      continue;
    if (t % lanes == 0)
      return t;
    best = std::max(best, t);
  }
  return best;
}

/// Tile sizes for one op (one per loop; 0 would mean untiled, never used).
SmallVector<int64_t> tileSizesFor(linalg::LinalgOp op, int64_t lanes) {
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  SmallVector<int64_t> tiles(ranges.size(), 1);
  if (ranges.empty())
    return tiles;
  if (linalg::isaContractionOpInterface(op)) {
    FailureOr<linalg::ContractionDimensions> dims =
        linalg::inferContractionDims(op);
    if (succeeded(dims) && !dims->m.empty() && !dims->n.empty() &&
        !dims->k.empty()) {
      // A 4 x 4*lanes accumulator block (16 registers) over 8-deep steps
      // of the reduction; the loop over k keeps the block in registers once
      // its transfers are hoisted.
      unsigned m = dims->m.back(), n = dims->n.back(), k = dims->k.back();
      tiles[m] = pickTile(ranges[m], 4, 1);
      tiles[n] = pickTile(ranges[n], 4 * lanes, lanes);
      tiles[k] = pickTile(ranges[k], 8, 1);
      return tiles;
    }
  }
  // Elementwise, transposes, broadcasts and reductions: only the innermost
  // loop is vectorized; reductions get longer tiles (fewer horizontal
  // steps).
  unsigned last = ranges.size() - 1;
  bool reduction =
      linalg::isReductionIterator(op.getIteratorTypesArray()[last]);
  tiles[last] = pickTile(ranges[last], (reduction ? 16 : 4) * lanes, lanes);
  return tiles;
}

bool isCandidate(linalg::LinalgOp op) {
  if (!op.hasPureTensorSemantics() || op.hasDynamicShape())
    return false;
  // Only ops at function level: the kernels' own loops are left alone.
  if (!isa<func::FuncOp>(op->getParentOp()))
    return false;
  // Memrefs of i1 hold a byte per element, but LLVM packs a vector of i1
  // into bits when it loads or stores one: bool tensors stay scalar.
  return llvm::all_of(op->getOperandTypes(), [](Type t) {
    auto shaped = dyn_cast<ShapedType>(t);
    return !shaped || (!shaped.getElementType().isIndex() &&
                       !shaped.getElementType().isInteger(1));
  });
}

struct VectorizeLinalgPass
    : impl::VectorizeLinalgPassBase<VectorizeLinalgPass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    MLIRContext *ctx = &getContext();
    if (lanes < 1) {
      func.emitError() << "quant-vectorize-linalg: lanes must be positive";
      return signalPassFailure();
    }
    SmallVector<linalg::LinalgOp> ops;
    func.walk([&](linalg::LinalgOp op) {
      if (isCandidate(op))
        ops.push_back(op);
    });

    IRRewriter rewriter(ctx);
    for (linalg::LinalgOp op : ops) {
      SmallVector<int64_t> tiles = tileSizesFor(op, lanes);
      // Vectorizing a tile of the same kind must work, or the op stays.
      if (failed(linalg::vectorizeOpPrecondition(op)))
        continue;
      Operation *tiled = op;
      if (llvm::any_of(llvm::zip(tiles, op.getStaticLoopRanges()), [](auto p) {
            return std::get<0>(p) != std::get<1>(p);
          })) {
        scf::SCFTilingOptions options;
        options.setTileSizes(getAsIndexOpFoldResult(ctx, tiles));
        rewriter.setInsertionPoint(op);
        FailureOr<scf::SCFTilingResult> result = scf::tileUsingSCF(
            rewriter, cast<TilingInterface>(op.getOperation()), options);
        if (failed(result) || result->tiledOps.size() != 1)
          continue;
        rewriter.replaceOp(op, result->replacements);
        tiled = result->tiledOps.front();
      }
      rewriter.setInsertionPoint(tiled);
      FailureOr<linalg::VectorizationResult> vectorized =
          linalg::vectorize(rewriter, tiled);
      if (succeeded(vectorized)) {
        if (tiled->getNumResults())
          rewriter.replaceOp(tiled, vectorized->replacements);
        else
          rewriter.eraseOp(tiled);
      }
    }

    // Fold the tile slices into the transfers, turn broadcast-multiply-
    // reduce chains back into vector.contract, and clean up.
    {
      RewritePatternSet patterns(ctx);
      tensor::populateFoldTensorSubsetIntoVectorTransferPatterns(patterns);
      vector::populateVectorReductionToContractPatterns(patterns);
      vector::populateVectorTransferPermutationMapLoweringPatterns(patterns);
      vector::TransferReadOp::getCanonicalizationPatterns(patterns, ctx);
      vector::TransferWriteOp::getCanonicalizationPatterns(patterns, ctx);
      tensor::ExtractSliceOp::getCanonicalizationPatterns(patterns, ctx);
      tensor::InsertSliceOp::getCanonicalizationPatterns(patterns, ctx);
      scf::ForOp::getCanonicalizationPatterns(patterns, ctx);
      if (failed(applyPatternsGreedily(func, std::move(patterns))))
        return signalPassFailure();
    }

    // Keep each contraction's accumulator in registers across its reduction
    // loop: the read / write pair on the loop's tensor becomes an iter_arg.
    SmallVector<scf::ForOp> loops;
    func.walk([&](scf::ForOp loop) { loops.push_back(loop); });
    for (scf::ForOp loop : loops)
      (void)hoistLoopInvariantSubsets(rewriter, loop);

    // Unit dimensions (batch, single rows) out of the vectors, so that the
    // transfers are 1-D and 2-D ones unroll into 1-D loads and stores.
    {
      RewritePatternSet patterns(ctx);
      vector::populateCastAwayVectorLeadingOneDimPatterns(patterns);
      vector::populateVectorTransferDropUnitDimsPatterns(patterns);
      vector::populateDropUnitDimWithShapeCastPatterns(patterns);
      // Reductions (not lowered by convert-vector-to-llvm) to 1-D
      // vector.reduction / elementwise combines.
      vector::populateVectorMultiReductionLoweringPatterns(
          patterns, vector::VectorMultiReductionLowering::InnerReduction);
      vector::ShapeCastOp::getCanonicalizationPatterns(patterns, ctx);
      vector::BroadcastOp::getCanonicalizationPatterns(patterns, ctx);
      if (failed(applyPatternsGreedily(func, std::move(patterns))))
        return signalPassFailure();
    }

    // Vector math as polynomials (scalar math keeps libm).
    SmallVector<Operation *> mathOps;
    func.walk([&](Operation *op) {
      if (isa<math::MathDialect>(op->getDialect()) && op->getNumResults() &&
          isa<VectorType>(op->getResult(0).getType()))
        mathOps.push_back(op);
    });
    if (!mathOps.empty()) {
      RewritePatternSet patterns(ctx);
      populateMathF32ExpansionPatterns(patterns,
                                       [](StringRef) { return true; });
      populateMathPolynomialApproximationPatterns(
          patterns, [](StringRef) { return true; });
      if (failed(applyOpPatternsGreedily(mathOps, std::move(patterns))))
        return signalPassFailure();
    }
    // The approximations use math.fma, which math-to-libm would scalarize
    // into fmaf calls; vector.fma becomes the LLVM intrinsic.
    func.walk([&](math::FmaOp fma) {
      if (!isa<VectorType>(fma.getType()))
        return;
      rewriter.setInsertionPoint(fma);
      rewriter.replaceOpWithNewOp<vector::FMAOp>(fma, fma.getA(), fma.getB(),
                                                 fma.getC());
    });
  }
};

} // namespace

//===- FuseMatmul.cpp - form qnt.matmul from dequantize + matmul ----------===//
//
// Rewrites
//   %wf = qnt.dequantize %w : tensor<NxK, #enc> -> tensor<NxK>
//   %y  = linalg.matmul (A, B = %wf read as (n, k), or transpose(%wf))
//           outs(linalg.fill 0)
//   [%y = linalg.generic { y + bias[n] } ] [relu | silu] [+ residual]
// into one qnt.matmul, so that the weight is decoded inside the kernel and no
// float copy of it, nor the intermediate results, go through memory.
//
//===----------------------------------------------------------------------===//

#include "quant/Dialect/Qnt/Transforms/Passes.h"

#include "quant/Dialect/Qnt/IR/QntOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::qnt {
#define GEN_PASS_DEF_QNTFUSEMATMULPASS
#include "quant/Dialect/Qnt/Transforms/Passes.h.inc"
} // namespace mlir::qnt

using namespace mlir;
using namespace mlir::qnt;

namespace {

/// The weight operand of a matmul when it is a decoded [N, K] qnt tensor read
/// transposed: either through an (n, k) indexing map, or through a
/// linalg.transpose of the dequantized tensor.
static Value getEncodedWeight(linalg::MatmulOp matmul) {
  MLIRContext *ctx = matmul.getContext();
  AffineExpr m, n, k;
  bindDims(ctx, m, n, k);
  SmallVector<AffineMap> maps = matmul.getIndexingMapsArray();
  auto map = [&](ArrayRef<AffineExpr> exprs) {
    return AffineMap::get(3, 0, exprs, ctx);
  };
  if (maps[0] != map({m, k}) || maps[2] != map({m, n}))
    return {};
  Value rhs = matmul.getInputs()[1];
  if (maps[1] == map({k, n})) {
    auto transpose = rhs.getDefiningOp<linalg::TransposeOp>();
    if (!transpose || transpose.getPermutation() != ArrayRef<int64_t>{1, 0})
      return {};
    rhs = transpose.getInput();
  } else if (maps[1] != map({n, k})) {
    return {};
  }
  auto dequantize = rhs.getDefiningOp<DequantizeOp>();
  if (!dequantize ||
      dequantize.getResult().getType().getElementType() !=
          cast<ShapedType>(matmul.getResultTypes()[0]).getElementType())
    return {};
  return dequantize.getInput();
}

static bool isZeroFill(Value init) {
  auto fill = init.getDefiningOp<linalg::FillOp>();
  return fill && matchPattern(fill.getInputs()[0], m_AnyZeroFloat());
}

/// What an elementwise linalg.generic applied to the matmul result does, when
/// it is expressible as a qnt.matmul epilogue.
struct Epilogue {
  Value bias;
  Activation activation = Activation::None;
  Value residual;
};

/// Matches `x / (1 + exp(-x))`, the form silu takes after lowering.
static bool isSilu(Operation *div, Value x) {
  auto divf = dyn_cast<arith::DivFOp>(div);
  if (!divf || divf.getLhs() != x)
    return false;
  auto add = divf.getRhs().getDefiningOp<arith::AddFOp>();
  if (!add)
    return false;
  Value exp = add.getLhs(), one = add.getRhs();
  if (!matchPattern(one, m_OneFloat()))
    std::swap(exp, one);
  auto expOp = exp.getDefiningOp<math::ExpOp>();
  auto neg = expOp ? expOp.getOperand().getDefiningOp<arith::NegFOp>()
                   : arith::NegFOp();
  return matchPattern(one, m_OneFloat()) && neg && neg.getOperand() == x;
}

/// The division that ends `x / (1 + exp(-x))`, starting from the negation.
static Operation *findSiluDivision(arith::NegFOp neg) {
  Operation *op = neg;
  for (int step = 0; step < 3; ++step) {
    if (!op->getResult(0).hasOneUse())
      return nullptr;
    op = *op->getResult(0).getUsers().begin();
  }
  return isa<arith::DivFOp>(op) ? op : nullptr;
}

/// Walks the body of `generic` from the block argument that carries the
/// matmul result and collects bias, activation and residual, in the order
/// qnt.matmul applies them. Fails on anything else.
static FailureOr<Epilogue> matchEpilogue(linalg::GenericOp generic,
                                         Value matmulResult,
                                         const Epilogue &sofar) {
  if (generic.getNumDpsInits() != 1 ||
      generic.getNumParallelLoops() != generic.getNumLoops() ||
      generic.getNumLoops() != 2)
    return failure();
  AffineMap identity =
      AffineMap::getMultiDimIdentityMap(2, generic.getContext());
  AffineMap biasMap = AffineMap::get(
      2, 0, getAffineDimExpr(1, generic.getContext()), generic.getContext());
  if (generic.getIndexingMapsArray().back() != identity)
    return failure();

  Block &body = generic.getRegion().front();
  Value current;
  DenseMap<Value, std::pair<Value, AffineMap>> operandOfArg;
  for (OpOperand *input : generic.getDpsInputOperands()) {
    Value arg = body.getArgument(input->getOperandNumber());
    AffineMap map = generic.getMatchingIndexingMap(input);
    if (input->get() == matmulResult && map == identity && !current)
      current = arg;
    else
      operandOfArg[arg] = {input->get(), map};
  }
  if (!current)
    return failure();

  Epilogue epilogue = sofar;
  // Stage 0: bias may come next, 1: activation, 2: residual, 3: done.
  int stage = epilogue.residual                         ? 3
              : epilogue.activation != Activation::None ? 2
              : epilogue.bias                           ? 1
                                                        : 0;
  auto otherOperand = [&](Value lhs, Value rhs) -> Value {
    return lhs == current ? rhs : rhs == current ? lhs : Value();
  };
  DenseSet<Operation *> siluPieces;
  for (Operation &op : body.without_terminator()) {
    if (siluPieces.contains(&op))
      continue;
    if (auto add = dyn_cast<arith::AddFOp>(op)) {
      Value other = otherOperand(add.getLhs(), add.getRhs());
      auto it = operandOfArg.find(other);
      if (!other || it == operandOfArg.end())
        return failure();
      auto [tensor, map] = it->second;
      if (map == biasMap && stage == 0) {
        epilogue.bias = tensor;
        stage = 1;
      } else if (map == identity && stage <= 2) {
        epilogue.residual = tensor;
        stage = 3;
      } else {
        return failure();
      }
      current = add.getResult();
      continue;
    }
    if (isa<arith::MaximumFOp, arith::MaxNumFOp>(op) && stage <= 1) {
      Value other = otherOperand(op.getOperand(0), op.getOperand(1));
      if (!other || !matchPattern(other, m_AnyZeroFloat()))
        return failure();
      epilogue.activation = Activation::Relu;
      stage = 2;
      current = op.getResult(0);
      continue;
    }
    // silu: neg -> exp -> add 1 -> div; matched as a whole from the neg.
    if (auto neg = dyn_cast<arith::NegFOp>(op);
        neg && neg.getOperand() == current && stage <= 1) {
      Operation *div = findSiluDivision(neg);
      if (!div || !isSilu(div, current))
        return failure();
      siluPieces.insert(div);
      for (Value v = div->getOperand(1); Operation *piece = v.getDefiningOp();
           v = piece->getOperand(0)) {
        siluPieces.insert(piece);
        if (piece == neg)
          break;
      }
      epilogue.activation = Activation::Silu;
      stage = 2;
      current = div->getResult(0);
      continue;
    }
    return failure();
  }
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  if (yield.getValues().front() != current)
    return failure();
  return epilogue;
}

/// What the fusion saved, reported as pass statistics.
struct FusionCounts {
  int64_t fused = 0;
  int64_t kernelsRemoved = 0;
  int64_t bytesNotMaterialized = 0;
};

static int64_t getTensorBytes(Type type) {
  auto shaped = cast<ShapedType>(type);
  return shaped.getNumElements() * shaped.getElementTypeBitWidth() / 8;
}

struct FuseDequantizeMatmul : OpRewritePattern<linalg::MatmulOp> {
  FuseDequantizeMatmul(MLIRContext *ctx, FusionCounts &counts)
      : OpRewritePattern(ctx), counts(counts) {}

  LogicalResult matchAndRewrite(linalg::MatmulOp matmul,
                                PatternRewriter &rewriter) const override {
    if (!matmul.hasPureTensorSemantics())
      return rewriter.notifyMatchFailure(matmul, "needs tensor semantics");
    Value weight = getEncodedWeight(matmul);
    if (!weight)
      return rewriter.notifyMatchFailure(matmul, "rhs is not a decoded weight");
    if (!isZeroFill(matmul.getDpsInits()[0]))
      return rewriter.notifyMatchFailure(matmul, "accumulator is not zero");

    // Absorb the elementwise consumers that the epilogue can express.
    Operation *last = matmul;
    Value result = matmul.getResult(0);
    Epilogue epilogue;
    while (result.hasOneUse()) {
      auto generic = dyn_cast<linalg::GenericOp>(*result.getUsers().begin());
      if (!generic)
        break;
      FailureOr<Epilogue> next = matchEpilogue(generic, result, epilogue);
      if (failed(next))
        break;
      epilogue = *next;
      last = generic;
      result = generic.getResult(0);
    }

    auto fused = MatmulOp::create(
        rewriter, matmul.getLoc(), result.getType(), matmul.getInputs()[0],
        weight, epilogue.bias, epilogue.residual,
        ActivationAttr::get(rewriter.getContext(), epilogue.activation));
    // The decoded weight (and its transpose) and every intermediate result
    // between the matmul and `last` no longer exist in memory.
    // A decoded weight that other ops still read stays, so it only counts
    // when the matmul was its last reader.
    Value decoded = matmul.getInputs()[1];
    int64_t kernels = 0, bytes = 0;
    for (Value v = decoded; v && v.hasOneUse();) {
      ++kernels;
      bytes += getTensorBytes(v.getType());
      auto transpose = v.getDefiningOp<linalg::TransposeOp>();
      v = transpose ? transpose.getInput() : Value();
    }
    for (Operation *op = matmul; op != last;
         op = *op->getResult(0).getUsers().begin()) {
      ++kernels;
      bytes += getTensorBytes(op->getResult(0).getType());
    }
    counts.fused += 1;
    counts.kernelsRemoved += kernels;
    counts.bytesNotMaterialized += bytes;

    rewriter.replaceOp(last, fused.getResult());
    return success();
  }

private:
  FusionCounts &counts;
};

struct QntFuseMatmulPass : qnt::impl::QntFuseMatmulPassBase<QntFuseMatmulPass> {
  using Base::Base;
  void runOnOperation() override;
};

} // namespace

/// Ops that become a kernel of their own: linalg ops and qnt compute ops.
static int64_t countKernels(FunctionOpInterface func) {
  int64_t count = 0;
  func.walk([&](Operation *op) {
    if (isa<linalg::LinalgOp, MatmulOp, DequantizeOp, QuantizeOp>(op) &&
        !isa<linalg::FillOp>(op))
      ++count;
  });
  return count;
}

void QntFuseMatmulPass::runOnOperation() {
  FunctionOpInterface func = getOperation();
  int64_t kernelsBefore = countKernels(func);
  FusionCounts counts;
  RewritePatternSet patterns(&getContext());
  patterns.add<FuseDequantizeMatmul>(&getContext(), counts);
  if (failed(applyPatternsGreedily(func, std::move(patterns))))
    return signalPassFailure();
  if (report)
    func.emitRemark() << "qnt-fuse-matmul: fused " << counts.fused
                      << " matmuls; kernels " << kernelsBefore << " -> "
                      << countKernels(func) << "; "
                      << counts.bytesNotMaterialized
                      << " bytes of decoded weights and intermediates no "
                         "longer go through memory";
}

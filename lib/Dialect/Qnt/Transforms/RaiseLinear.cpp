//===- RaiseLinear.cpp - float matmul with a constant weight to qnt.matmul ===//
//
// A float matmul whose right-hand side is a constant (seen through reshapes
// and transposes) is a linear layer: it becomes one qnt.matmul whose [N, K]
// weight is a #qnt.plain constant of the weight's own float type, so that
// the fused kernels (and qnt-quantize-weights) apply to float models too.
//
//  - tosa.matmul (what the ONNX importer emits for MatMul / Gemm): the
//    reshapes that fold the lhs batch around it are dropped, and a
//    following bias add ([N] broadcast), relu (tosa.clamp at 0) and
//    residual add (same shape) become the qnt.matmul epilogue.
//  - linalg.matmul / linalg.batch_matmul (batch 1): the weight becomes
//    qnt.dequantize of the plain constant and qnt-fuse-matmul's patterns
//    form the qnt.matmul with its epilogue (one matcher for both passes).
//
// The values are the constant's own: the raised module computes the same
// sums of the same products.
//
//===----------------------------------------------------------------------===//

#include "quant/Dialect/Qnt/Transforms/Passes.h"

#include "quant/Dialect/Qnt/IR/QntAttrs.h"
#include "quant/Dialect/Qnt/IR/QntOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cstring>

namespace mlir::qnt {
#define GEN_PASS_DEF_QNTRAISELINEARPASS
#include "quant/Dialect/Qnt/Transforms/Passes.h.inc"
} // namespace mlir::qnt

using namespace mlir;
using namespace mlir::qnt;

namespace {

/// A constant float tensor as raw elements (row-major, `width` bytes each)
/// with its current logical shape.
struct HostWeight {
  FloatType elementType;
  SmallVector<int64_t> shape;
  std::vector<uint8_t> bytes;
  unsigned width = 0;
  /// The name of the blob the constant came from ("" when inline).
  std::string name;
};

/// Permutes `w` by `perms` (result dim i = input dim perms[i]).
static void transposeHost(HostWeight &w, ArrayRef<int64_t> perms) {
  size_t rank = w.shape.size();
  SmallVector<int64_t> outShape, inStrides(rank, 1);
  for (size_t i = rank; i-- > 1;)
    inStrides[i - 1] = inStrides[i] * w.shape[i];
  for (int64_t p : perms)
    outShape.push_back(w.shape[p]);
  std::vector<uint8_t> out(w.bytes.size());
  SmallVector<int64_t> index(rank, 0);
  int64_t total = ShapedType::getNumElements(outShape);
  for (int64_t e = 0; e < total; ++e) {
    int64_t src = 0;
    for (size_t i = 0; i < rank; ++i)
      src += index[i] * inStrides[perms[i]];
    std::memcpy(&out[e * w.width], &w.bytes[src * w.width], w.width);
    for (size_t i = rank; i-- > 0;) {
      if (++index[i] < outShape[i])
        break;
      index[i] = 0;
    }
  }
  w.bytes = std::move(out);
  w.shape = outShape;
}

/// Follows `value` up through reshapes and transposes to a float constant
/// and replays them on the host. Fails for anything else.
static FailureOr<HostWeight> traceConstantWeight(Value value) {
  SmallVector<Operation *> chain;
  ElementsAttr root;
  while (true) {
    Operation *def = value.getDefiningOp();
    if (!def)
      return failure();
    if (auto c = dyn_cast<arith::ConstantOp>(def)) {
      root = dyn_cast<ElementsAttr>(c.getValue());
      break;
    }
    if (auto c = dyn_cast<tosa::ConstOp>(def)) {
      root = c.getValues();
      break;
    }
    if (!isa<tosa::ReshapeOp, tosa::TransposeOp, linalg::TransposeOp,
             tensor::CollapseShapeOp, tensor::ExpandShapeOp>(def))
      return failure();
    chain.push_back(def);
    value = def->getOperand(0);
  }
  if (!root)
    return failure();
  auto type = cast<ShapedType>(root.getType());
  auto elementType = dyn_cast<FloatType>(type.getElementType());
  if (!elementType ||
      !(elementType.isF32() || elementType.isF16() || elementType.isBF16()))
    return failure();
  FailureOr<std::vector<uint8_t>> bytes = getConstantBytes(root);
  if (failed(bytes))
    return failure();
  HostWeight w;
  w.elementType = elementType;
  w.shape.assign(type.getShape().begin(), type.getShape().end());
  w.bytes = std::move(*bytes);
  w.width = elementType.getWidth() / 8;
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(root))
    w.name = resource.getRawHandle().getKey().str();
  for (Operation *op : llvm::reverse(chain)) {
    if (auto t = dyn_cast<tosa::TransposeOp>(op)) {
      SmallVector<int64_t> perms(t.getPerms().begin(), t.getPerms().end());
      transposeHost(w, perms);
    } else if (auto t = dyn_cast<linalg::TransposeOp>(op)) {
      transposeHost(w, t.getPermutation());
    } else {
      ArrayRef<int64_t> shape =
          cast<ShapedType>(op->getResult(0).getType()).getShape();
      w.shape.assign(shape.begin(), shape.end());
    }
  }
  return w;
}

/// Bytes of blobs larger than this become dense_resource attributes.
constexpr size_t kInlineLimit = 64;

/// The `#qnt.plain` constant holding `w` (shape [N, K]).
static Value createPlainConstant(OpBuilder &b, Location loc,
                                 const HostWeight &w) {
  auto encoding = PlainAttr::get(b.getContext(), w.elementType);
  auto encodedType = RankedTensorType::get(w.shape, b.getF32Type(), encoding);
  if (!w.elementType.isF32())
    encodedType = RankedTensorType::get(w.shape, w.elementType, encoding);
  auto partType = RankedTensorType::get(w.shape, w.elementType);
  ArrayRef<char> data(reinterpret_cast<const char *>(w.bytes.data()),
                      w.bytes.size());
  ElementsAttr part;
  if (w.bytes.size() <= kInlineLimit) {
    part = DenseElementsAttr::getFromRawBuffer(partType, data);
  } else {
    AsmResourceBlob blob =
        HeapAsmResourceBlob::allocateAndCopyWithAlign(data, w.width);
    // The blob manager makes the name unique (w_plain, w_plain_1, ...).
    std::string name = (w.name.empty() ? "weight" : w.name) + "_plain";
    part = DenseResourceElementsAttr::get(partType, name, std::move(blob));
  }
  return ConstantOp::create(b, loc, encodedType, b.getArrayAttr({part}));
}

/// The [N, K] weight of a [1..., K, N] host weight.
static FailureOr<HostWeight> toOutputMajor(HostWeight w) {
  size_t rank = w.shape.size();
  if (rank < 2 ||
      ShapedType::getNumElements(ArrayRef<int64_t>(w.shape).drop_back(2)) != 1)
    return failure();
  int64_t k = w.shape[rank - 2], n = w.shape[rank - 1];
  w.shape = {k, n};
  transposeHost(w, {1, 0});
  return w;
}

static bool isZeroConstant(Value v) {
  return matchPattern(v, m_AnyZeroFloat()) || matchPattern(v, m_Zero());
}

/// tosa.clamp with min 0 and no finite upper bound: relu.
static bool isRelu(tosa::ClampOp clamp) {
  auto lo = dyn_cast<FloatAttr>(clamp.getMinValAttr());
  auto hi = dyn_cast<FloatAttr>(clamp.getMaxValAttr());
  if (!lo || !hi || !lo.getValue().isZero())
    return false;
  APFloat max = hi.getValue();
  return max.isInfinity() ||
         max.compare(APFloat::getLargest(max.getSemantics())) ==
             APFloat::cmpEqual;
}

/// Whether `other` broadcasts only along the last dim ([N], [1, ..., N]).
static bool isBiasShape(Value other, int64_t n) {
  ArrayRef<int64_t> shape = cast<RankedTensorType>(other.getType()).getShape();
  return !shape.empty() && shape.back() == n &&
         ShapedType::getNumElements(shape.drop_back()) == 1;
}

/// `value` reshaped to `shape` (a tosa.reshape unless it already is).
static Value reshapeTo(OpBuilder &b, Location loc, Value value,
                       ArrayRef<int64_t> shape) {
  auto type = cast<RankedTensorType>(value.getType());
  if (type.getShape() == shape)
    return value;
  auto shapeAttr = DenseIntElementsAttr::get(
      RankedTensorType::get({int64_t(shape.size())}, b.getIndexType()), shape);
  Value newShape = tosa::ConstShapeOp::create(
      b, loc, tosa::shapeType::get(b.getContext(), shape.size()), shapeAttr);
  return tosa::ReshapeOp::create(
      b, loc, RankedTensorType::get(shape, type.getElementType()), value,
      newShape);
}

/// `value` [..., C] as [rows, C].
static Value flattenRows(OpBuilder &b, Location loc, Value value) {
  ArrayRef<int64_t> shape = cast<RankedTensorType>(value.getType()).getShape();
  return reshapeTo(
      b, loc, value,
      {ShapedType::getNumElements(shape.drop_back()), shape.back()});
}

struct RaiseCounts {
  int64_t raised = 0;
};

/// tosa.matmul(lhs, reshape/transpose(constant)) [reshape] [+ bias] [relu]
/// [+ residual] -> qnt.matmul.
struct RaiseTosaMatmul : OpRewritePattern<tosa::MatMulOp> {
  RaiseTosaMatmul(MLIRContext *ctx, RaiseCounts &counts)
      : OpRewritePattern(ctx), counts(counts) {}

  LogicalResult matchAndRewrite(tosa::MatMulOp op,
                                PatternRewriter &rewriter) const override {
    auto resultType = cast<RankedTensorType>(op.getType());
    if (!isa<FloatType>(resultType.getElementType()))
      return rewriter.notifyMatchFailure(op, "not a float matmul");
    if (!isZeroConstant(op.getAZp()) || !isZeroConstant(op.getBZp()))
      return rewriter.notifyMatchFailure(op, "non-zero zero points");
    FailureOr<HostWeight> host = traceConstantWeight(op.getB());
    if (failed(host))
      return rewriter.notifyMatchFailure(op, "rhs is not a constant weight");
    FailureOr<HostWeight> weight = toOutputMajor(*host);
    if (failed(weight))
      return rewriter.notifyMatchFailure(op, "the weight has a batch");
    Location loc = op.getLoc();
    int64_t n = weight->shape[0], k = weight->shape[1];

    // Drop the reshapes that fold the lhs batch into [1, M, K] and back.
    Value lhs = op.getA();
    auto outType = resultType;
    Operation *last = op;
    Value result = op.getResult();
    if (auto reshape = lhs.getDefiningOp<tosa::ReshapeOp>()) {
      auto inType = cast<RankedTensorType>(reshape.getInput1().getType());
      SmallVector<int64_t> shape(inType.getShape().drop_back());
      shape.push_back(n);
      auto type = RankedTensorType::get(shape, resultType.getElementType());
      auto back = result.hasOneUse()
                      ? dyn_cast<tosa::ReshapeOp>(*result.getUsers().begin())
                      : tosa::ReshapeOp();
      if (inType.getRank() >= 2 && inType.getShape().back() == k && back &&
          back.getType() == type) {
        lhs = reshape.getInput1();
        outType = type;
        last = back;
        result = back.getResult();
      }
    }

    // The epilogue: bias, relu, residual, in that order.
    Value biasSource, residual;
    Activation activation = Activation::None;
    while (result.hasOneUse() && !residual) {
      Operation *user = *result.getUsers().begin();
      if (auto add = dyn_cast<tosa::AddOp>(user)) {
        Value other =
            add.getInput1() == result ? add.getInput2() : add.getInput1();
        if (add.getType() != outType || add.getInput1() == add.getInput2())
          break;
        if (other.getType() == outType)
          residual = other;
        else if (!biasSource && activation == Activation::None &&
                 isBiasShape(other, n))
          biasSource = other;
        else
          break;
        last = add;
        result = add.getResult();
        continue;
      }
      if (auto clamp = dyn_cast<tosa::ClampOp>(user);
          clamp && isRelu(clamp) && activation == Activation::None) {
        activation = Activation::Relu;
        last = clamp;
        result = clamp.getResult();
        continue;
      }
      break;
    }
    // Everything the epilogue reads is an operand of `last` or of an op
    // before it: the qnt.matmul replaces `last` in place. It is 2-D (the
    // form every lowering takes): batched operands are flattened into rows.
    rewriter.setInsertionPoint(last);
    Value bias =
        biasSource ? reshapeTo(rewriter, loc, biasSource, {n}) : Value();
    Value w = createPlainConstant(rewriter, loc, *weight);
    Value lhs2 = flattenRows(rewriter, loc, lhs);
    if (residual)
      residual = flattenRows(rewriter, loc, residual);
    auto type2 = RankedTensorType::get(
        {cast<RankedTensorType>(lhs2.getType()).getDimSize(0), n},
        outType.getElementType());
    auto matmul = MatmulOp::create(
        rewriter, loc, type2, lhs2, w, bias, residual,
        ActivationAttr::get(rewriter.getContext(), activation));
    rewriter.replaceOp(
        last, reshapeTo(rewriter, loc, matmul.getResult(), outType.getShape()));
    ++counts.raised;
    return success();
  }

private:
  RaiseCounts &counts;
};

/// linalg.matmul(lhs, constant chain [K, N]) and linalg.batch_matmul with
/// a batch-1 lhs and weight: the weight becomes
/// linalg.transpose(qnt.dequantize(plain [N, K])); a linalg.matmul that
/// reads an [N, K] weight through (n, k) maps reads qnt.dequantize(plain)
/// directly. qnt-fuse-matmul turns both into a qnt.matmul.
struct PlainLinalgWeight : OpInterfaceRewritePattern<linalg::LinalgOp> {
  PlainLinalgWeight(MLIRContext *ctx, RaiseCounts &counts)
      : OpInterfaceRewritePattern(ctx), counts(counts) {}

  LogicalResult matchAndRewrite(linalg::LinalgOp op,
                                PatternRewriter &rewriter) const override {
    if (!isa<linalg::MatmulOp, linalg::BatchMatmulOp>(op) ||
        !op.hasPureTensorSemantics())
      return failure();
    // The weight is read as [K, N] (the default maps) or as [N, K] (the
    // transposed-B maps of nn.Linear).
    bool outputMajor = false;
    if (auto mm = dyn_cast<linalg::MatmulOp>(op.getOperation());
        mm && mm.hasUserDefinedMaps()) {
      MLIRContext *ctx = op.getContext();
      AffineExpr m, n, k;
      bindDims(ctx, m, n, k);
      auto map = [&](ArrayRef<AffineExpr> exprs) {
        return AffineMap::get(3, 0, exprs, ctx);
      };
      SmallVector<AffineMap> maps = op.getIndexingMapsArray();
      if (maps[0] != map({m, k}) || maps[1] != map({n, k}) ||
          maps[2] != map({m, n}))
        return rewriter.notifyMatchFailure(op, "unsupported indexing maps");
      outputMajor = true;
    }
    if (auto bm = dyn_cast<linalg::BatchMatmulOp>(op.getOperation());
        bm && bm.hasUserDefinedMaps())
      return rewriter.notifyMatchFailure(op, "custom indexing maps");
    Value rhs = op.getDpsInputs()[1];
    // Already in the form qnt-fuse-matmul matches.
    if (rhs.getDefiningOp<DequantizeOp>())
      return failure();
    if (auto t = rhs.getDefiningOp<linalg::TransposeOp>();
        t && t.getInput().getDefiningOp<DequantizeOp>())
      return failure();
    auto resultType = cast<RankedTensorType>(op->getResult(0).getType());
    Type elementType = resultType.getElementType();
    if (!isa<FloatType>(elementType))
      return failure();
    FailureOr<HostWeight> host = traceConstantWeight(rhs);
    if (failed(host))
      return rewriter.notifyMatchFailure(op, "rhs is not a constant weight");
    if (outputMajor) {
      if (host->shape.size() != 2 || host->elementType != elementType)
        return rewriter.notifyMatchFailure(op, "unsupported weight");
      rewriter.setInsertionPoint(op);
      Value w = createPlainConstant(rewriter, op.getLoc(), *host);
      Value decoded = DequantizeOp::create(
          rewriter, op.getLoc(),
          RankedTensorType::get(host->shape, elementType), w);
      rewriter.modifyOpInPlace(op, [&] { op->setOperand(1, decoded); });
      ++counts.raised;
      return success();
    }
    FailureOr<HostWeight> weight = toOutputMajor(*host);
    if (failed(weight) || weight->elementType != elementType)
      return rewriter.notifyMatchFailure(op, "unsupported weight");
    Location loc = op.getLoc();
    Value lhs = op.getDpsInputs()[0];
    Value init = op.getDpsInits()[0];
    bool batched = isa<linalg::BatchMatmulOp>(op.getOperation());
    if (batched && resultType.getDimSize(0) != 1)
      return rewriter.notifyMatchFailure(op, "batch larger than 1");

    rewriter.setInsertionPoint(op);
    SmallVector<ReassociationIndices> drop = {{0, 1}, {2}};
    if (batched) {
      lhs = tensor::CollapseShapeOp::create(rewriter, loc, lhs, drop);
      init = tensor::CollapseShapeOp::create(rewriter, loc, init, drop);
    }
    Value w = createPlainConstant(rewriter, loc, *weight);
    int64_t n = weight->shape[0], k = weight->shape[1];
    Value decoded = DequantizeOp::create(
        rewriter, loc, RankedTensorType::get({n, k}, elementType), w);
    Value kn = tensor::EmptyOp::create(rewriter, loc, {k, n}, elementType);
    Value transposed = linalg::TransposeOp::create(rewriter, loc, decoded, kn,
                                                   ArrayRef<int64_t>{1, 0})
                           .getResult()[0];
    Value result =
        linalg::MatmulOp::create(rewriter, loc, TypeRange{init.getType()},
                                 ValueRange{lhs, transposed}, ValueRange{init})
            .getResult(0);
    if (batched)
      result = tensor::ExpandShapeOp::create(rewriter, loc, resultType, result,
                                             drop);
    rewriter.replaceOp(op, result);
    ++counts.raised;
    return success();
  }

private:
  RaiseCounts &counts;
};

struct QntRaiseLinearPass
    : qnt::impl::QntRaiseLinearPassBase<QntRaiseLinearPass> {
  using Base::Base;
  void runOnOperation() override;
};

} // namespace

void QntRaiseLinearPass::runOnOperation() {
  FunctionOpInterface func = getOperation();
  RaiseCounts counts;
  RewritePatternSet patterns(&getContext());
  patterns.add<RaiseTosaMatmul, PlainLinalgWeight>(&getContext(), counts);
  GreedyRewriteConfig config;
  config.setRegionSimplificationLevel(GreedySimplifyRegionLevel::Disabled);
  if (failed(applyPatternsGreedily(func, std::move(patterns), config)))
    return signalPassFailure();
  // The linalg weights are in qnt-fuse-matmul's form now: let its patterns
  // build the qnt.matmul and absorb the epilogue.
  OpPassManager fuse(func->getName());
  fuse.addPass(createQntFuseMatmulPass());
  if (failed(runPipeline(fuse, func)))
    return signalPassFailure();
  if (report)
    func.emitRemark() << "qnt-raise-linear: raised " << counts.raised
                      << " matmuls with constant weights";
}

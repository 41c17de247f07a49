//===- OnnxNormalization.cpp - Normalization ops
//----------------------------===//
//
// LayerNormalization and BatchNormalization.
//
//===----------------------------------------------------------------------===//

#include "OnnxImporterImpl.h"

#include "quant/Dialect/Qnt/IR/QntAttrs.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/AffineMap.h"
#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/InterleavedRange.h"

#include <cmath>
#include <numeric>

using namespace mlir;
using namespace mlir::qnt;
using namespace mlir::qnt::onnx_import;

static LogicalResult layerNormOp(Importer &imp) {
  if (failed(imp.checkAttrs({"axis", "epsilon", "stash_type"})))
    return failure();
  FailureOr<Value> x = imp.input(0), scale = imp.input(1);
  if (failed(x) || failed(scale))
    return failure();
  OpBuilder &b = imp.b;
  Location loc = imp.loc;
  auto type = cast<RankedTensorType>(x->getType());
  int64_t rank = type.getRank();
  int64_t axis = normAxis(imp.attrInt("axis", -1), rank);
  if (axis < 0 || axis >= rank)
    return imp.nodeError() << "axis out of range";
  SmallVector<int64_t> axes;
  for (int64_t i = axis; i < rank; ++i)
    axes.push_back(i);
  double eps = imp.attrFloat("epsilon", 1e-5f);
  Value mean = reduceKeep(b, loc, *x, axes, ReduceKind::Mean);
  Value d = tosa::SubOp::create(b, loc, type, *x, mean);
  Value sq = mulOp(b, loc, type, d, d);
  Value var = reduceKeep(b, loc, sq, axes, ReduceKind::Mean);
  auto varType = cast<RankedTensorType>(var.getType());
  Value varEps =
      tosa::AddOp::create(b, loc, varType, var, scalarLike(b, loc, var, eps));
  Value inv = tosa::RsqrtOp::create(b, loc, varType, varEps);
  Value y = mulOp(b, loc, type, d, inv);
  y = mulOp(b, loc, type, y, toRank(b, loc, *scale, rank));
  if (imp.hasInput(2)) {
    FailureOr<Value> bias = imp.input(2);
    if (failed(bias))
      return failure();
    y = tosa::AddOp::create(b, loc, type, y, toRank(b, loc, *bias, rank));
  }
  // The optional Mean and InvStdDev outputs keep the normalized dims as 1s.
  if (failed(imp.setOutput(1, mean)) || failed(imp.setOutput(2, inv)))
    return failure();
  return imp.setOutput(0, y);
}

static LogicalResult batchNormOp(Importer &imp) {
  if (failed(
          imp.checkAttrs({"epsilon", "momentum", "training_mode", "spatial"})))
    return failure();
  bool training = imp.attrInt("training_mode", 0);
  if (!training && imp.numOutputs() > 1)
    return imp.nodeError() << "running mean / var outputs need "
                              "training_mode = 1";
  SmallVector<Value> in;
  for (unsigned i = 0; i < 5; ++i) {
    FailureOr<Value> v = imp.input(i);
    if (failed(v))
      return failure();
    in.push_back(*v);
  }
  OpBuilder &b = imp.b;
  Location loc = imp.loc;
  auto type = cast<RankedTensorType>(in[0].getType());
  int64_t rank = type.getRank();
  if (rank < 2)
    return imp.nodeError() << "input must have rank >= 2";
  SmallVector<int64_t> pshape(rank, 1);
  pshape[1] = type.getDimSize(1);
  for (unsigned i = 1; i < 5; ++i)
    in[i] = reshapeTo(b, loc, in[i], pshape);
  auto ptype = tensorType(pshape, type.getElementType());
  double eps = imp.attrFloat("epsilon", 1e-5f);
  Value mean = in[3], var = in[4];
  if (training) {
    // Normalize with the batch statistics (biased variance) and blend
    // them into the running ones: running = running * momentum + batch *
    // (1 - momentum).
    SmallVector<int64_t> axes = {0};
    for (int64_t i = 2; i < rank; ++i)
      axes.push_back(i);
    mean = reduceKeep(b, loc, in[0], axes, ReduceKind::Mean);
    Value centered = tosa::SubOp::create(b, loc, type, in[0], mean);
    var = reduceKeep(b, loc, mulOp(b, loc, type, centered, centered), axes,
                     ReduceKind::Mean);
    double momentum = imp.attrFloat("momentum", 0.9f);
    auto blend = [&](Value running, Value batch) {
      Value r =
          mulOp(b, loc, ptype, running, scalarLike(b, loc, running, momentum));
      Value c =
          mulOp(b, loc, ptype, batch, scalarLike(b, loc, batch, 1 - momentum));
      return reshapeTo(b, loc, tosa::AddOp::create(b, loc, ptype, r, c),
                       {pshape[1]});
    };
    if (imp.hasOutput(1) && failed(imp.setOutput(1, blend(in[3], mean))))
      return failure();
    if (imp.hasOutput(2) && failed(imp.setOutput(2, blend(in[4], var))))
      return failure();
  }
  Value varEps =
      tosa::AddOp::create(b, loc, ptype, var, scalarLike(b, loc, var, eps));
  Value inv = tosa::RsqrtOp::create(b, loc, ptype, varEps);
  Value factor = mulOp(b, loc, ptype, in[1], inv);
  Value d = tosa::SubOp::create(b, loc, type, in[0], mean);
  Value y = mulOp(b, loc, type, d, factor);
  y = tosa::AddOp::create(b, loc, type, y, in[2]);
  return imp.setOutput(0, y);
}

//===----------------------------------------------------------------------===//
// Instance / group / mean-variance normalization, LRN
//===----------------------------------------------------------------------===//

/// (x - mean) / sqrt(var + eps) over `axes` (biased variance).
static Value normalizeOver(OpBuilder &b, Location loc, Value x,
                           ArrayRef<int64_t> axes, double eps) {
  auto type = cast<RankedTensorType>(x.getType());
  Value mean = reduceKeep(b, loc, x, axes, ReduceKind::Mean);
  Value d = tosa::SubOp::create(b, loc, type, x, mean);
  Value var =
      reduceKeep(b, loc, mulOp(b, loc, type, d, d), axes, ReduceKind::Mean);
  auto varType = cast<RankedTensorType>(var.getType());
  Value varEps =
      tosa::AddOp::create(b, loc, varType, var, scalarLike(b, loc, var, eps));
  Value inv = tosa::RsqrtOp::create(b, loc, varType, varEps);
  return mulOp(b, loc, type, d, inv);
}

/// scale[c] * y + bias[c] for y of shape [N, C, ...].
static FailureOr<Value> channelAffine(Importer &imp, Value y, Value scale,
                                      Value bias) {
  OpBuilder &b = imp.b;
  Location loc = imp.loc;
  auto type = cast<RankedTensorType>(y.getType());
  SmallVector<int64_t> pshape(type.getRank(), 1);
  pshape[1] = type.getDimSize(1);
  if (product(shapeOf(scale)) != pshape[1] ||
      product(shapeOf(bias)) != pshape[1])
    return imp.nodeError() << "scale and bias need one entry per channel ("
                           << pshape[1] << ")";
  y = mulOp(b, loc, type, y, reshapeTo(b, loc, scale, pshape));
  return tosa::AddOp::create(b, loc, type, y, reshapeTo(b, loc, bias, pshape))
      .getResult();
}

static LogicalResult instanceNormOp(Importer &imp) {
  if (failed(imp.checkAttrs({"epsilon"})))
    return failure();
  FailureOr<Value> x = imp.input(0), scale = imp.input(1), bias = imp.input(2);
  if (failed(x) || failed(scale) || failed(bias))
    return failure();
  int64_t rank = shapeOf(*x).size();
  if (rank < 3)
    return imp.nodeError() << "input must have rank >= 3";
  SmallVector<int64_t> axes;
  for (int64_t i = 2; i < rank; ++i)
    axes.push_back(i);
  Value y =
      normalizeOver(imp.b, imp.loc, *x, axes, imp.attrFloat("epsilon", 1e-5f));
  FailureOr<Value> out = channelAffine(imp, y, *scale, *bias);
  if (failed(out))
    return failure();
  return imp.setOutput(0, *out);
}

/// GroupNormalization: scale / bias per group at opset 18, per channel
/// from opset 21.
static LogicalResult groupNormOp(Importer &imp) {
  if (failed(imp.checkAttrs({"epsilon", "num_groups", "stash_type"})))
    return failure();
  FailureOr<Value> x = imp.input(0), scale = imp.input(1), bias = imp.input(2);
  if (failed(x) || failed(scale) || failed(bias))
    return failure();
  OpBuilder &b = imp.b;
  Location loc = imp.loc;
  ArrayRef<int64_t> shape = shapeOf(*x);
  if (shape.size() < 2)
    return imp.nodeError() << "input must have rank >= 2";
  int64_t groups = imp.attrInt("num_groups", 0);
  int64_t n = shape[0], c = shape[1];
  if (groups <= 0 || c % groups)
    return imp.nodeError() << "num_groups = " << groups
                           << " does not divide the " << c << " channels";
  Value g = reshapeTo(b, loc, *x, {n, groups, product(shape) / (n * groups)});
  Value y = reshapeTo(
      b, loc, normalizeOver(b, loc, g, {2}, imp.attrFloat("epsilon", 1e-5f)),
      shape);
  Value s = *scale, bb = *bias;
  if (imp.opset < 21 && product(shapeOf(s)) == groups && groups != c) {
    // One value per group: repeat it for the group's channels.
    auto perGroup = [&](Value v) {
      Value r = reshapeTo(b, loc, v, {groups, 1});
      return reshapeTo(
          b, loc,
          buildGeneric(
              b, loc, {r}, tensorType({groups, c / groups}, elementTypeOf(v)),
              [](OpBuilder &, Location, ValueRange a) { return a[0]; }),
          {c});
    };
    s = perGroup(s);
    bb = perGroup(bb);
  }
  FailureOr<Value> out = channelAffine(imp, y, s, bb);
  if (failed(out))
    return failure();
  return imp.setOutput(0, *out);
}

/// MeanVarianceNormalization as ONNX's function body: (x - E[x]) /
/// (sqrt(E[x^2] - E[x]^2) + 1e-9).
static LogicalResult meanVarianceNormOp(Importer &imp) {
  if (failed(imp.checkAttrs({"axes"})))
    return failure();
  FailureOr<Value> x = imp.input(0);
  if (failed(x))
    return failure();
  OpBuilder &b = imp.b;
  Location loc = imp.loc;
  auto type = cast<RankedTensorType>(x->getType());
  int64_t rank = type.getRank();
  std::vector<int64_t> axesAttr =
      imp.attrInts("axes").value_or(std::vector<int64_t>{0, 2, 3});
  SmallVector<int64_t> axes;
  for (int64_t a : axesAttr) {
    a = normAxis(a, rank);
    if (a < 0 || a >= rank)
      return imp.nodeError() << "axis out of range";
    axes.push_back(a);
  }
  llvm::sort(axes);
  axes.erase(std::unique(axes.begin(), axes.end()), axes.end());
  Value mean = reduceKeep(b, loc, *x, axes, ReduceKind::Mean);
  auto meanType = cast<RankedTensorType>(mean.getType());
  Value meanSq = mulOp(b, loc, meanType, mean, mean);
  Value sqMean =
      reduceKeep(b, loc, mulOp(b, loc, type, *x, *x), axes, ReduceKind::Mean);
  Value var = tosa::SubOp::create(b, loc, meanType, sqMean, meanSq);
  Value std = buildGeneric(
      b, loc, {var}, meanType, [](OpBuilder &nb, Location l, ValueRange a) {
        return math::SqrtOp::create(nb, l, a[0]).getResult();
      });
  std =
      tosa::AddOp::create(b, loc, meanType, std, scalarLike(b, loc, std, 1e-9));
  Value d = tosa::SubOp::create(b, loc, type, *x, mean);
  return imp.setOutput(0, divide(b, loc, d, std));
}

/// LRN: x / (bias + alpha / size * sum of x^2 over `size` neighbouring
/// channels)^beta.
static LogicalResult lrnOp(Importer &imp) {
  if (failed(imp.checkAttrs({"alpha", "beta", "bias", "size"})))
    return failure();
  FailureOr<Value> x = imp.input(0);
  if (failed(x))
    return failure();
  int64_t size = imp.attrInt("size", 0);
  if (size <= 0)
    return imp.nodeError() << "size must be positive";
  double alpha = imp.attrFloat("alpha", 1e-4f),
         beta = imp.attrFloat("beta", 0.75f),
         bias = imp.attrFloat("bias", 1.0f);
  OpBuilder &b = imp.b;
  Location loc = imp.loc;
  auto type = cast<RankedTensorType>(x->getType());
  ArrayRef<int64_t> shape = type.getShape();
  int64_t rank = shape.size();
  if (rank < 3)
    return imp.nodeError() << "input must have rank >= 3";
  Type elementType = type.getElementType();
  int64_t before = (size - 1) / 2, after = size - 1 - before;
  // x^2 zero-padded along the channels, then a window sum per channel.
  Value sq = mulOp(b, loc, type, *x, *x);
  SmallVector<OpFoldResult> low(rank, b.getIndexAttr(0)),
      high(rank, b.getIndexAttr(0));
  low[1] = b.getIndexAttr(before);
  high[1] = b.getIndexAttr(after);
  SmallVector<int64_t> padded(shape);
  padded[1] += size - 1;
  Value zero = arith::ConstantOp::create(b, loc, elementType,
                                         b.getFloatAttr(elementType, 0.0));
  Value sqPad = tensor::PadOp::create(b, loc, tensorType(padded, elementType),
                                      sq, low, high, zero);
  MLIRContext *ctx = b.getContext();
  SmallVector<AffineExpr> inExprs, outExprs;
  for (int64_t i = 0; i < rank; ++i) {
    AffineExpr e = getAffineDimExpr(i, ctx);
    inExprs.push_back(i == 1 ? e + getAffineDimExpr(rank, ctx) : e);
    outExprs.push_back(e);
  }
  Value init = filledTensor(b, loc, shape, elementType, 0.0);
  // The window dim only indexes the input: a dummy [size] operand bounds it.
  Value window = tensor::EmptyOp::create(b, loc, {size}, elementType);
  SmallVector<AffineMap> maps = {
      AffineMap::get(rank + 1, 0, inExprs, ctx),
      AffineMap::get(rank + 1, 0, {getAffineDimExpr(rank, ctx)}, ctx),
      AffineMap::get(rank + 1, 0, outExprs, ctx)};
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  iterators.push_back(utils::IteratorType::reduction);
  Value sum =
      linalg::GenericOp::create(
          b, loc, type, ValueRange{sqPad, window}, ValueRange{init}, maps,
          iterators,
          [](OpBuilder &nb, Location l, ValueRange a) {
            linalg::YieldOp::create(
                nb, l, ValueRange{arith::AddFOp::create(nb, l, a[2], a[0])});
          })
          .getResult(0);
  Value y = buildGeneric(
      b, loc, {*x, sum}, type, [&](OpBuilder &nb, Location l, ValueRange a) {
        auto c = [&](double v) {
          return arith::ConstantOp::create(nb, l, elementType,
                                           nb.getFloatAttr(elementType, v));
        };
        Value base = arith::AddFOp::create(
            nb, l, c(bias),
            arith::MulFOp::create(nb, l, c(alpha / double(size)), a[1]));
        Value denom = math::PowFOp::create(nb, l, base, c(beta));
        return arith::DivFOp::create(nb, l, a[0], denom).getResult();
      });
  return imp.setOutput(0, y);
}

//===----------------------------------------------------------------------===//
// Registration
//===----------------------------------------------------------------------===//

void onnx_import::registerNormalizationOps(OpTable &table) {
  table.on("LayerNormalization", 17, layerNormOp);
  table.on("BatchNormalization", 7, batchNormOp);
  table.on("InstanceNormalization", 6, instanceNormOp);
  table.on("GroupNormalization", 18, groupNormOp);
  table.on("MeanVarianceNormalization", 9, meanVarianceNormOp);
  table.on("LRN", 1, lrnOp);
}

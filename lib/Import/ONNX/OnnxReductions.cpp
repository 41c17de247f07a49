//===- OnnxReductions.cpp - Reduce* ops
//-------------------------------------===//
//
// The Reduce* family, through tosa reductions that keep the reduced dims.
//
//===----------------------------------------------------------------------===//

#include "OnnxImporterImpl.h"

#include "quant/Dialect/Qnt/IR/QntAttrs.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
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

/// Reduces `v` over `axes` (sorted, unique), keeping the reduced dims.
Value onnx_import::reduceKeep(OpBuilder &b, Location loc, Value v,
                              ArrayRef<int64_t> axes, ReduceKind kind) {
  int64_t count = 1;
  for (int64_t axis : axes) {
    SmallVector<int64_t> shape(shapeOf(v));
    count *= shape[axis];
    shape[axis] = 1;
    auto type = tensorType(shape, elementTypeOf(v));
    if (kind == ReduceKind::Max)
      v = tosa::ReduceMaxOp::create(b, loc, type, v, b.getI32IntegerAttr(axis),
                                    nullptr);
    else if (kind == ReduceKind::Min)
      v = tosa::ReduceMinOp::create(b, loc, type, v, b.getI32IntegerAttr(axis),
                                    nullptr);
    else if (kind == ReduceKind::Prod)
      v = tosa::ReduceProductOp::create(b, loc, type, v,
                                        b.getI32IntegerAttr(axis));
    else
      v = tosa::ReduceSumOp::create(b, loc, type, v, b.getI32IntegerAttr(axis));
  }
  if (kind == ReduceKind::Mean) {
    Value divisor = scalarLike(b, loc, v, double(count));
    bool isFloat = isa<FloatType>(elementTypeOf(v));
    v = buildGeneric(
        b, loc, {v, divisor}, cast<RankedTensorType>(v.getType()),
        [&](OpBuilder &nb, Location l, ValueRange args) {
          if (isFloat)
            return arith::DivFOp::create(nb, l, args[0], args[1]).getResult();
          return arith::DivSIOp::create(nb, l, args[0], args[1]).getResult();
        });
  }
  return v;
}

Value onnx_import::divide(OpBuilder &b, Location loc, Value x, Value y) {
  SmallVector<int64_t> shape(shapeOf(x));
  for (auto [i, d] : llvm::enumerate(shapeOf(y)))
    if (shape[i] == 1)
      shape[i] = d;
  return buildGeneric(
      b, loc, {x, y}, tensorType(shape, elementTypeOf(x)),
      [&](OpBuilder &nb, Location l, ValueRange args) {
        return arith::DivFOp::create(nb, l, args[0], args[1]).getResult();
      });
}

/// The ONNX Reduce* ops: a tosa reduction, with an elementwise map before
/// (|x|, x^2, exp) or after (sqrt, log) for the composite ones.
enum class OnnxReduce {
  Sum,
  Max,
  Min,
  Mean,
  Prod,
  L1,
  L2,
  LogSum,
  LogSumExp,
  SumSquare
};

static Value mapFloat(OpBuilder &b, Location loc, Value v,
                      function_ref<Value(OpBuilder &, Location, Value)> fn) {
  return buildGeneric(b, loc, {v}, cast<RankedTensorType>(v.getType()),
                      [&](OpBuilder &nb, Location l, ValueRange args) {
                        return fn(nb, l, args[0]);
                      });
}

static Value reduceComposite(Importer &imp, Value x, ArrayRef<int64_t> axes,
                             OnnxReduce op) {
  OpBuilder &b = imp.b;
  Location loc = imp.loc;
  auto type = cast<RankedTensorType>(x.getType());
  switch (op) {
  case OnnxReduce::Sum:
    return reduceKeep(b, loc, x, axes, ReduceKind::Sum);
  case OnnxReduce::Max:
    return reduceKeep(b, loc, x, axes, ReduceKind::Max);
  case OnnxReduce::Min:
    return reduceKeep(b, loc, x, axes, ReduceKind::Min);
  case OnnxReduce::Mean:
    return reduceKeep(b, loc, x, axes, ReduceKind::Mean);
  case OnnxReduce::Prod:
    return reduceKeep(b, loc, x, axes, ReduceKind::Prod);
  case OnnxReduce::L1:
    return reduceKeep(b, loc, tosa::AbsOp::create(b, loc, type, x), axes,
                      ReduceKind::Sum);
  case OnnxReduce::SumSquare:
    return reduceKeep(b, loc, mulOp(b, loc, type, x, x), axes, ReduceKind::Sum);
  case OnnxReduce::L2: {
    Value sum =
        reduceKeep(b, loc, mulOp(b, loc, type, x, x), axes, ReduceKind::Sum);
    if (!isa<FloatType>(type.getElementType())) {
      // Integer L2 rounds the root down, as numpy's cast of sqrt does.
      Type t = type.getElementType();
      return mapFloat(b, loc, sum, [&](OpBuilder &nb, Location l, Value v) {
        Value f = arith::SIToFPOp::create(nb, l, nb.getF64Type(), v);
        Value r = math::SqrtOp::create(nb, l, f);
        return arith::FPToSIOp::create(nb, l, t, r).getResult();
      });
    }
    return mapFloat(b, loc, sum, [](OpBuilder &nb, Location l, Value v) {
      return math::SqrtOp::create(nb, l, v).getResult();
    });
  }
  case OnnxReduce::LogSum: {
    Value sum = reduceKeep(b, loc, x, axes, ReduceKind::Sum);
    return mapFloat(b, loc, sum, [](OpBuilder &nb, Location l, Value v) {
      return math::LogOp::create(nb, l, v).getResult();
    });
  }
  case OnnxReduce::LogSumExp: {
    // max + log(sum(exp(x - max))): no overflow for large inputs.
    Value max = reduceKeep(b, loc, x, axes, ReduceKind::Max);
    Value shifted = tosa::SubOp::create(b, loc, type, x, max);
    Value e = tosa::ExpOp::create(b, loc, type, shifted);
    Value sum = reduceKeep(b, loc, e, axes, ReduceKind::Sum);
    auto sumType = cast<RankedTensorType>(sum.getType());
    Value logSum = tosa::LogOp::create(b, loc, sumType, sum);
    return tosa::AddOp::create(b, loc, sumType, logSum, max);
  }
  }
  llvm_unreachable("unknown reduction");
}

static LogicalResult reduceOp(Importer &imp, OnnxReduce op) {
  if (failed(imp.checkAttrs({"axes", "keepdims", "noop_with_empty_axes"})))
    return failure();
  FailureOr<Value> x = imp.input(0);
  if (failed(x))
    return failure();
  bool isFloat = isa<FloatType>(elementTypeOf(*x));
  if (!isFloat && (op == OnnxReduce::LogSum || op == OnnxReduce::LogSumExp))
    return imp.nodeError() << "input must be a float tensor";
  ArrayRef<int64_t> inShape = shapeOf(*x);
  int64_t rank = inShape.size();
  std::vector<int64_t> axes;
  if (imp.hasInput(1)) {
    FailureOr<std::vector<int64_t>> a = imp.constInts(1, "axes");
    if (failed(a))
      return failure();
    axes = *a;
  } else if (auto a = imp.attrInts("axes")) {
    axes = *a;
  }
  bool keepDims = imp.attrInt("keepdims", 1);
  if (axes.empty()) {
    if (imp.attrInt("noop_with_empty_axes", 0))
      return imp.setOutput(0, *imp.inputInfo(0));
    for (int64_t i = 0; i < rank; ++i)
      axes.push_back(i);
  }
  for (int64_t &axis : axes) {
    axis = normAxis(axis, rank);
    if (axis < 0 || axis >= rank)
      return imp.nodeError() << "axis out of range";
  }
  llvm::sort(axes);
  axes.erase(std::unique(axes.begin(), axes.end()), axes.end());
  if (rank == 0)
    return imp.setOutput(0, *imp.inputInfo(0));
  for (int64_t axis : axes)
    if (inShape[axis] == 0)
      return imp.nodeError() << "reducing an empty dimension is not supported";
  Value r = reduceComposite(imp, *x, axes, op);
  if (!keepDims) {
    SmallVector<int64_t> shape;
    for (int64_t i = 0; i < rank; ++i)
      if (!llvm::is_contained(axes, i))
        shape.push_back(inShape[i]);
    r = reshapeTo(imp.b, imp.loc, r, shape);
  }
  return imp.setOutput(0, r, imp.inputInfo(0)->onnxType);
}

//===----------------------------------------------------------------------===//
// ArgMax / ArgMin
//===----------------------------------------------------------------------===//

Value onnx_import::buildArgReduce(OpBuilder &b, Location loc, Value x,
                                  int64_t axis, bool isMax, bool selectLast) {
  ArrayRef<int64_t> shape = shapeOf(x);
  int64_t rank = shape.size();
  Type elementType = elementTypeOf(x);
  SmallVector<int64_t> outShape(shape);
  outShape[axis] = 1;
  // Running best value and index; the first element always replaces the
  // initial value (which is never consulted: index 0 starts the scan).
  Value valueInit = filledTensor(b, loc, outShape, elementType, 0.0);
  Value indexInit = filledTensor(b, loc, outShape, b.getI64Type(), 0.0);
  SmallVector<AffineExpr> outExprs;
  SmallVector<utils::IteratorType> iterators;
  for (int64_t i = 0; i < rank; ++i) {
    outExprs.push_back(i == axis ? b.getAffineConstantExpr(0)
                                 : b.getAffineDimExpr(i));
    iterators.push_back(i == axis ? utils::IteratorType::reduction
                                  : utils::IteratorType::parallel);
  }
  AffineMap outMap = AffineMap::get(rank, 0, outExprs, b.getContext());
  SmallVector<AffineMap> maps = {b.getMultiDimIdentityMap(rank), outMap,
                                 outMap};
  bool isFloat = isa<FloatType>(elementType);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{valueInit.getType(), indexInit.getType()},
      ValueRange{x}, ValueRange{valueInit, indexInit}, maps, iterators,
      [&](OpBuilder &nb, Location l, ValueRange args) {
        Value v = args[0], best = args[1], bestIndex = args[2];
        Value i = arith::IndexCastOp::create(
            nb, l, nb.getI64Type(), linalg::IndexOp::create(nb, l, axis));
        Value better;
        if (isFloat) {
          arith::CmpFPredicate p =
              isMax ? (selectLast ? arith::CmpFPredicate::OGE
                                  : arith::CmpFPredicate::OGT)
                    : (selectLast ? arith::CmpFPredicate::OLE
                                  : arith::CmpFPredicate::OLT);
          better = arith::CmpFOp::create(nb, l, p, v, best);
        } else {
          arith::CmpIPredicate p =
              isMax ? (selectLast ? arith::CmpIPredicate::sge
                                  : arith::CmpIPredicate::sgt)
                    : (selectLast ? arith::CmpIPredicate::sle
                                  : arith::CmpIPredicate::slt);
          better = arith::CmpIOp::create(nb, l, p, v, best);
        }
        Value zero = arith::ConstantOp::create(nb, l, nb.getI64IntegerAttr(0));
        Value first =
            arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq, i, zero);
        Value take = arith::OrIOp::create(nb, l, first, better);
        Value newBest = arith::SelectOp::create(nb, l, take, v, best);
        Value newIndex = arith::SelectOp::create(nb, l, take, i, bestIndex);
        linalg::YieldOp::create(nb, l, ValueRange{newBest, newIndex});
      });
  return generic.getResult(1);
}

static LogicalResult argReduceOp(Importer &imp, bool isMax) {
  if (failed(imp.checkAttrs({"axis", "keepdims", "select_last_index"})))
    return failure();
  FailureOr<Value> x = imp.input(0);
  if (failed(x))
    return failure();
  ArrayRef<int64_t> shape = shapeOf(*x);
  int64_t rank = shape.size();
  if (rank == 0)
    return imp.nodeError() << "input must have rank >= 1";
  int64_t axis = normAxis(imp.attrInt("axis", 0), rank);
  if (axis < 0 || axis >= rank)
    return imp.nodeError() << "axis out of range";
  if (shape[axis] == 0)
    return imp.nodeError() << "ArgMax / ArgMin of an empty dimension";
  if (isOnnxUnsigned(imp.inputInfo(0)->onnxType) &&
      !elementTypeOf(*x).isInteger(1))
    return imp.nodeError() << "unsigned input is not supported";
  Value r = buildArgReduce(imp.b, imp.loc, *x, axis, isMax,
                           imp.attrInt("select_last_index", 0));
  if (!imp.attrInt("keepdims", 1)) {
    SmallVector<int64_t> outShape(shape);
    outShape.erase(outShape.begin() + axis);
    r = reshapeTo(imp.b, imp.loc, r, outShape);
  }
  return imp.setOutput(0, r, kInt64);
}

//===----------------------------------------------------------------------===//
// TopK
//===----------------------------------------------------------------------===//

/// TopK along the last axis of a [rows, n] tensor: k passes, each a
/// reduction picking, per row, the best element that comes after the
/// previous pick in the order (value, then lower index first): O(k n)
/// without a sort. Returns the [rows, k] values and i64 indices.
static std::pair<Value, Value> buildTopK(OpBuilder &b, Location loc, Value x,
                                         int64_t k, bool largest,
                                         bool isUnsigned) {
  ArrayRef<int64_t> shape = shapeOf(x);
  int64_t rows = shape[0];
  Type type = elementTypeOf(x);
  Type i64 = b.getI64Type();
  bool isFloat = isa<FloatType>(type);
  auto cmp = [&](OpBuilder &nb, Location l, Value a, Value c, bool strict) {
    // a before c in the order (strictly better, or also equal).
    if (isFloat) {
      arith::CmpFPredicate p = largest ? (strict ? arith::CmpFPredicate::OGT
                                                 : arith::CmpFPredicate::OGE)
                                       : (strict ? arith::CmpFPredicate::OLT
                                                 : arith::CmpFPredicate::OLE);
      return arith::CmpFOp::create(nb, l, p, a, c).getResult();
    }
    arith::CmpIPredicate p;
    if (isUnsigned)
      p = largest
              ? (strict ? arith::CmpIPredicate::ugt : arith::CmpIPredicate::uge)
              : (strict ? arith::CmpIPredicate::ult
                        : arith::CmpIPredicate::ule);
    else
      p = largest
              ? (strict ? arith::CmpIPredicate::sgt : arith::CmpIPredicate::sge)
              : (strict ? arith::CmpIPredicate::slt
                        : arith::CmpIPredicate::sle);
    return arith::CmpIOp::create(nb, l, p, a, c).getResult();
  };
  auto c0 = arith::ConstantIndexOp::create(b, loc, 0);
  auto c1 = arith::ConstantIndexOp::create(b, loc, 1);
  Value values = tensor::EmptyOp::create(b, loc, {rows, k}, type);
  Value indices = tensor::EmptyOp::create(b, loc, {rows, k}, i64);
  auto loop = scf::ForOp::create(
      b, loc, c0, arith::ConstantIndexOp::create(b, loc, k), c1,
      ValueRange{values, indices},
      [&](OpBuilder &nb, Location l, Value t, ValueRange iter) {
        Value zeroIdx =
            arith::ConstantOp::create(nb, l, nb.getI64IntegerAttr(0));
        Value first =
            arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq, t, c0);
        Value prevT = arith::SelectOp::create(
            nb, l, first, c0, arith::SubIOp::create(nb, l, t, c1));
        // Running best per row: value and index (-1: none yet).
        Value bestV = tensor::EmptyOp::create(nb, l, {rows}, type);
        Value bestI = filledTensor(nb, l, {rows}, i64, -1.0);
        MLIRContext *ctx = nb.getContext();
        AffineMap id = AffineMap::getMultiDimIdentityMap(2, ctx);
        AffineMap row = AffineMap::get(2, 0, {getAffineDimExpr(0, ctx)}, ctx);
        auto pick = linalg::GenericOp::create(
            nb, l, TypeRange{bestV.getType(), bestI.getType()}, ValueRange{x},
            ValueRange{bestV, bestI}, ArrayRef<AffineMap>{id, row, row},
            ArrayRef<utils::IteratorType>{utils::IteratorType::parallel,
                                          utils::IteratorType::reduction},
            [&](OpBuilder &bb, Location ll, ValueRange args) {
              Value v = args[0], bv = args[1], bi = args[2];
              Value r = linalg::IndexOp::create(bb, ll, 0);
              Value j = arith::IndexCastOp::create(
                  bb, ll, i64, linalg::IndexOp::create(bb, ll, 1));
              // Eligible: after the previous pick in the order.
              Value pv = tensor::ExtractOp::create(bb, ll, iter[0],
                                                   ValueRange{r, prevT});
              Value pi = tensor::ExtractOp::create(bb, ll, iter[1],
                                                   ValueRange{r, prevT});
              Value worse = cmp(bb, ll, pv, v, /*strict=*/true);
              Value tie = isFloat
                              ? arith::CmpFOp::create(
                                    bb, ll, arith::CmpFPredicate::OEQ, v, pv)
                                    .getResult()
                              : arith::CmpIOp::create(
                                    bb, ll, arith::CmpIPredicate::eq, v, pv)
                                    .getResult();
              Value later = arith::CmpIOp::create(
                  bb, ll, arith::CmpIPredicate::sgt, j, pi);
              Value eligible = arith::OrIOp::create(
                  bb, ll, first,
                  arith::OrIOp::create(
                      bb, ll, worse,
                      arith::AndIOp::create(bb, ll, tie, later)));
              Value noBest = arith::CmpIOp::create(
                  bb, ll, arith::CmpIPredicate::slt, bi, zeroIdx);
              Value better = arith::OrIOp::create(
                  bb, ll, noBest, cmp(bb, ll, v, bv, /*strict=*/true));
              Value take = arith::AndIOp::create(bb, ll, eligible, better);
              linalg::YieldOp::create(
                  bb, ll,
                  ValueRange{arith::SelectOp::create(bb, ll, take, v, bv),
                             arith::SelectOp::create(bb, ll, take, j, bi)});
            });
        SmallVector<OpFoldResult> offsets = {nb.getIndexAttr(0), t},
                                  sizes = {nb.getIndexAttr(rows),
                                           nb.getIndexAttr(1)},
                                  strides = {nb.getIndexAttr(1),
                                             nb.getIndexAttr(1)};
        Value col = reshapeTo(nb, l, pick.getResult(0), {rows, 1});
        Value colI = reshapeTo(nb, l, pick.getResult(1), {rows, 1});
        Value nv = tensor::InsertSliceOp::create(nb, l, col, iter[0], offsets,
                                                 sizes, strides);
        Value ni = tensor::InsertSliceOp::create(nb, l, colI, iter[1], offsets,
                                                 sizes, strides);
        scf::YieldOp::create(nb, l, ValueRange{nv, ni});
      });
  return {loop.getResult(0), loop.getResult(1)};
}

static LogicalResult topKOp(Importer &imp) {
  if (failed(imp.checkAttrs({"axis", "k", "largest", "sorted"})))
    return failure();
  int64_t k;
  if (imp.opset < 10) {
    k = imp.attrInt("k", -1);
  } else {
    FailureOr<std::vector<int64_t>> kv = imp.constInts(1, "K");
    if (failed(kv))
      return failure();
    if (kv->size() != 1)
      return imp.nodeError() << "K must hold one value";
    k = kv->front();
  }
  FailureOr<Value> x = imp.input(0);
  if (failed(x))
    return failure();
  ArrayRef<int64_t> shape = shapeOf(*x);
  int64_t rank = shape.size();
  if (rank == 0)
    return imp.nodeError() << "input must have rank >= 1";
  int64_t axis = normAxis(imp.attrInt("axis", -1), rank);
  if (axis < 0 || axis >= rank)
    return imp.nodeError() << "axis out of range";
  if (k < 0 || k > shape[axis])
    return imp.nodeError() << "K = " << k << " is outside [0, " << shape[axis]
                           << "]";
  OpBuilder &b = imp.b;
  Location loc = imp.loc;
  // Move the axis last and flatten the rest into rows.
  SmallVector<int32_t> perm;
  for (int64_t i = 0; i < rank; ++i)
    if (i != axis)
      perm.push_back(i);
  perm.push_back(axis);
  Value t = axis == rank - 1 ? *x : transposeBy(b, loc, *x, perm);
  int64_t n = shape[axis], rows = product(shape) / std::max<int64_t>(n, 1);
  SmallVector<int64_t> outT(shapeOf(t));
  outT.back() = k;
  Value values, indices;
  if (k == 0 || rows == 0) {
    values = tensor::EmptyOp::create(b, loc, outT, elementTypeOf(*x));
    indices = tensor::EmptyOp::create(b, loc, outT, b.getI64Type());
  } else {
    auto [v, i] = buildTopK(b, loc, reshapeTo(b, loc, t, {rows, n}), k,
                            imp.attrInt("largest", 1),
                            isOnnxUnsigned(imp.inputInfo(0)->onnxType));
    values = reshapeTo(b, loc, v, outT);
    indices = reshapeTo(b, loc, i, outT);
  }
  if (axis != rank - 1) {
    SmallVector<int32_t> inverse(rank);
    for (int64_t i = 0; i < rank; ++i)
      inverse[perm[i]] = i;
    values = transposeBy(b, loc, values, inverse);
    indices = transposeBy(b, loc, indices, inverse);
  }
  if (failed(imp.setOutput(0, values, imp.inputInfo(0)->onnxType)))
    return failure();
  return imp.setOutput(1, indices, kInt64);
}

//===----------------------------------------------------------------------===//
// Registration
//===----------------------------------------------------------------------===//

void onnx_import::registerReductionOps(OpTable &table) {
  auto reduce = [](OnnxReduce op) {
    return [op](Importer &imp) { return reduceOp(imp, op); };
  };
  // Axes are an attribute before opset 18 (13 for ReduceSum) and an input
  // after; reduceOp reads either.
  table.on("ReduceSum", 1, reduce(OnnxReduce::Sum));
  table.on("ReduceMax", 1, reduce(OnnxReduce::Max));
  table.on("ReduceMin", 1, reduce(OnnxReduce::Min));
  table.on("ReduceMean", 1, reduce(OnnxReduce::Mean));
  table.on("ReduceProd", 1, reduce(OnnxReduce::Prod));
  table.on("ReduceL1", 1, reduce(OnnxReduce::L1));
  table.on("ReduceL2", 1, reduce(OnnxReduce::L2));
  table.on("ReduceLogSum", 1, reduce(OnnxReduce::LogSum));
  table.on("ReduceLogSumExp", 1, reduce(OnnxReduce::LogSumExp));
  table.on("ReduceSumSquare", 1, reduce(OnnxReduce::SumSquare));
  table.on("ArgMax", 1, [](Importer &imp) { return argReduceOp(imp, true); });
  table.on("TopK", 1, topKOp);
  table.on("ArgMin", 1, [](Importer &imp) { return argReduceOp(imp, false); });
}

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
  TypedAttr initValue;
  if (auto ft = dyn_cast<FloatType>(elementType))
    initValue = b.getFloatAttr(ft, 0.0);
  else
    initValue = b.getIntegerAttr(elementType, 0);
  Value valueInit =
      linalg::FillOp::create(
          b, loc, ValueRange{arith::ConstantOp::create(b, loc, initValue)},
          ValueRange{tensor::EmptyOp::create(b, loc, outShape, elementType)})
          .getResult(0);
  Value indexInit =
      linalg::FillOp::create(
          b, loc,
          ValueRange{arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(0))},
          ValueRange{tensor::EmptyOp::create(b, loc, outShape, b.getI64Type())})
          .getResult(0);
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
  table.on("ArgMin", 1, [](Importer &imp) { return argReduceOp(imp, false); });
}

//===- OnnxActivations.cpp - Activations
//------------------------------------===//
//
// Softmax / LogSoftmax / Hardmax, Gelu and the pointwise activations
// (HardSigmoid, HardSwish, Elu, Selu, Celu, Softplus, Softsign, Mish,
// ThresholdedRelu, Shrink, PRelu) as linalg.generic maps.
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

static Value softmaxLastAxes(OpBuilder &b, Location loc, Value x,
                             int64_t axis) {
  auto type = cast<RankedTensorType>(x.getType());
  Value max = reduceKeep(b, loc, x, {axis}, ReduceKind::Max);
  Value shifted = tosa::SubOp::create(b, loc, type, x, max);
  Value e = tosa::ExpOp::create(b, loc, type, shifted);
  Value sum = reduceKeep(b, loc, e, {axis}, ReduceKind::Sum);
  return divide(b, loc, e, sum);
}

enum class SoftmaxKind { Softmax, LogSoftmax, Hardmax };

/// log(softmax(x)) along `axis`: x - max - log(sum(exp(x - max))).
static Value logSoftmaxAxis(OpBuilder &b, Location loc, Value x, int64_t axis) {
  auto type = cast<RankedTensorType>(x.getType());
  Value max = reduceKeep(b, loc, x, {axis}, ReduceKind::Max);
  Value shifted = tosa::SubOp::create(b, loc, type, x, max);
  Value e = tosa::ExpOp::create(b, loc, type, shifted);
  Value sum = reduceKeep(b, loc, e, {axis}, ReduceKind::Sum);
  Value logSum =
      tosa::LogOp::create(b, loc, cast<RankedTensorType>(sum.getType()), sum);
  return tosa::SubOp::create(b, loc, type, shifted, logSum);
}

/// 1 at the first maximum along `axis`, 0 elsewhere.
static Value hardmaxAxis(OpBuilder &b, Location loc, Value x, int64_t axis) {
  auto type = cast<RankedTensorType>(x.getType());
  Value index = buildArgReduce(b, loc, x, axis, /*isMax=*/true,
                               /*selectLast=*/false);
  Type elementType = type.getElementType();
  return buildGeneric(
      b, loc, {index}, type, [&](OpBuilder &nb, Location l, ValueRange args) {
        Value i = arith::IndexCastOp::create(
            nb, l, nb.getI64Type(), linalg::IndexOp::create(nb, l, axis));
        Value hit =
            arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq, i, args[0]);
        return arith::UIToFPOp::create(nb, l, elementType, hit).getResult();
      });
}

static Value softmaxFamily(OpBuilder &b, Location loc, Value x, int64_t axis,
                           SoftmaxKind kind) {
  if (kind == SoftmaxKind::LogSoftmax)
    return logSoftmaxAxis(b, loc, x, axis);
  if (kind == SoftmaxKind::Hardmax)
    return hardmaxAxis(b, loc, x, axis);
  return softmaxLastAxes(b, loc, x, axis);
}

/// Softmax / LogSoftmax / Hardmax: along one axis from opset 13, on the
/// input flattened to 2-D at `axis` before.
static LogicalResult softmaxOp(Importer &imp, SoftmaxKind kind) {
  if (failed(imp.checkAttrs({"axis"})))
    return failure();
  FailureOr<Value> x = imp.input(0);
  if (failed(x))
    return failure();
  if (!isa<FloatType>(elementTypeOf(*x)))
    return imp.nodeError() << "input must be a float tensor";
  OpBuilder &b = imp.b;
  Location loc = imp.loc;
  ArrayRef<int64_t> shape = shapeOf(*x);
  int64_t rank = shape.size();
  if (rank == 0)
    return imp.nodeError() << "input must have rank >= 1";
  int64_t axis = normAxis(imp.attrInt("axis", imp.opset >= 13 ? -1 : 1), rank);
  if (axis < 0 || axis >= rank)
    return imp.nodeError() << "axis out of range";
  if (imp.opset >= 13 || axis == rank - 1)
    return imp.setOutput(0, softmaxFamily(b, loc, *x, axis, kind));
  SmallVector<int64_t> shape2 = {product(shape.take_front(axis)),
                                 product(shape.drop_front(axis))};
  Value flat = reshapeTo(b, loc, *x, shape2);
  Value y = softmaxFamily(b, loc, flat, 1, kind);
  return imp.setOutput(0, reshapeTo(b, loc, y, shape));
}

static LogicalResult geluOp(Importer &imp) {
  if (failed(imp.checkAttrs({"approximate"})))
    return failure();
  std::string approximate = imp.attrString("approximate", "none");
  if (approximate != "none" && approximate != "tanh")
    return imp.nodeError() << "unsupported approximate = '" << approximate
                           << "'";
  FailureOr<Value> x = imp.input(0);
  if (failed(x))
    return failure();
  OpBuilder &b = imp.b;
  Location loc = imp.loc;
  Value v = *x;
  auto type = cast<RankedTensorType>(v.getType());
  Value inner;
  if (approximate == "none") {
    Value scaled = mulOp(b, loc, type, v, scalarLike(b, loc, v, M_SQRT1_2));
    inner = tosa::ErfOp::create(b, loc, type, scaled);
  } else {
    Value cube = mulOp(b, loc, type, mulOp(b, loc, type, v, v), v);
    Value t = tosa::AddOp::create(
        b, loc, type, v,
        mulOp(b, loc, type, cube, scalarLike(b, loc, v, 0.044715)));
    t = mulOp(b, loc, type, t, scalarLike(b, loc, v, std::sqrt(2.0 / M_PI)));
    inner = tosa::TanhOp::create(b, loc, type, t);
  }
  Value onePlus =
      tosa::AddOp::create(b, loc, type, inner, scalarLike(b, loc, v, 1.0));
  Value half = mulOp(b, loc, type, v, scalarLike(b, loc, v, 0.5));
  return imp.setOutput(0, mulOp(b, loc, type, half, onePlus));
}

//===----------------------------------------------------------------------===//
// Pointwise activations
//===----------------------------------------------------------------------===//

/// max(lo, min(hi, v)).
static Value clampF(OpBuilder &b, Location l, Value v, double lo, double hi) {
  Type t = v.getType();
  v = arith::MinimumFOp::create(b, l, v, floatConst(b, l, t, hi));
  return arith::MaximumFOp::create(b, l, v, floatConst(b, l, t, lo));
}

/// A pointwise float activation with scalar float attributes.
static LogicalResult pointwiseActivation(
    Importer &imp, ArrayRef<std::pair<StringRef, double>> attrDefaults,
    function_ref<Value(OpBuilder &, Location, Value, ArrayRef<double>)> body) {
  SmallVector<StringRef> names;
  SmallVector<double> values;
  for (auto [name, value] : attrDefaults) {
    names.push_back(name);
    values.push_back(imp.attrFloat(name, float(value)));
  }
  if (failed(imp.checkAttrs(names)))
    return failure();
  FailureOr<Value> x = imp.input(0);
  if (failed(x))
    return failure();
  Type type = elementTypeOf(*x);
  if (!isa<FloatType>(type))
    return imp.nodeError() << "input must be a float tensor, got "
                           << x->getType();
  FailureOr<Value> result = broadcastMap(
      imp, {*x}, type, [&](OpBuilder &nb, Location l, ValueRange args) {
        return body(nb, l, args[0], values);
      });
  if (failed(result))
    return failure();
  return imp.setOutput(0, *result, imp.inputInfo(0)->onnxType);
}

static Value lessThanZero(OpBuilder &b, Location l, Value v) {
  return arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLT, v,
                               floatConst(b, l, v.getType(), 0.0));
}

/// log(1 + exp(v)), as numpy's reference computes it.
static Value softplus(OpBuilder &b, Location l, Value v) {
  Value e = math::ExpOp::create(b, l, v);
  return math::Log1pOp::create(b, l, e);
}

static LogicalResult hardSigmoidOp(Importer &imp) {
  return pointwiseActivation(
      imp, {{"alpha", 0.2}, {"beta", 0.5}},
      [](OpBuilder &b, Location l, Value v, ArrayRef<double> a) {
        Type t = v.getType();
        Value y = arith::MulFOp::create(b, l, v, floatConst(b, l, t, a[0]));
        y = arith::AddFOp::create(b, l, y, floatConst(b, l, t, a[1]));
        return clampF(b, l, y, 0.0, 1.0);
      });
}

static LogicalResult hardSwishOp(Importer &imp) {
  return pointwiseActivation(
      imp, {}, [](OpBuilder &b, Location l, Value v, ArrayRef<double>) {
        Type t = v.getType();
        Value y =
            arith::MulFOp::create(b, l, v, floatConst(b, l, t, 1.0 / 6.0));
        y = arith::AddFOp::create(b, l, y, floatConst(b, l, t, 0.5));
        return arith::MulFOp::create(b, l, v, clampF(b, l, y, 0.0, 1.0))
            .getResult();
      });
}

static LogicalResult eluOp(Importer &imp) {
  return pointwiseActivation(
      imp, {{"alpha", 1.0}},
      [](OpBuilder &b, Location l, Value v, ArrayRef<double> a) {
        Type t = v.getType();
        Value em1 = math::ExpM1Op::create(b, l, v);
        Value neg = arith::MulFOp::create(b, l, em1, floatConst(b, l, t, a[0]));
        return arith::SelectOp::create(b, l, lessThanZero(b, l, v), neg, v)
            .getResult();
      });
}

static LogicalResult seluOp(Importer &imp) {
  return pointwiseActivation(
      imp,
      {{"alpha", 1.67326319217681884765625},
       {"gamma", 1.05070102214813232421875}},
      [](OpBuilder &b, Location l, Value v, ArrayRef<double> a) {
        Type t = v.getType();
        Value em1 = math::ExpM1Op::create(b, l, v);
        Value neg = arith::MulFOp::create(b, l, em1, floatConst(b, l, t, a[0]));
        Value isPos = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT, v,
                                            floatConst(b, l, t, 0.0));
        Value y = arith::SelectOp::create(b, l, isPos, v, neg);
        return arith::MulFOp::create(b, l, y, floatConst(b, l, t, a[1]))
            .getResult();
      });
}

static LogicalResult celuOp(Importer &imp) {
  return pointwiseActivation(
      imp, {{"alpha", 1.0}},
      [](OpBuilder &b, Location l, Value v, ArrayRef<double> a) {
        Type t = v.getType();
        Value alpha = floatConst(b, l, t, a[0]);
        Value em1 =
            math::ExpM1Op::create(b, l, arith::DivFOp::create(b, l, v, alpha));
        Value neg = arith::MulFOp::create(b, l, em1, alpha);
        Value zero = floatConst(b, l, t, 0.0);
        Value pos = arith::MaximumFOp::create(b, l, v, zero);
        return arith::AddFOp::create(b, l, pos,
                                     arith::MinimumFOp::create(b, l, neg, zero))
            .getResult();
      });
}

static LogicalResult softplusOp(Importer &imp) {
  return pointwiseActivation(
      imp, {}, [](OpBuilder &b, Location l, Value v, ArrayRef<double>) {
        return softplus(b, l, v);
      });
}

static LogicalResult softsignOp(Importer &imp) {
  return pointwiseActivation(
      imp, {}, [](OpBuilder &b, Location l, Value v, ArrayRef<double>) {
        Value d = arith::AddFOp::create(b, l, math::AbsFOp::create(b, l, v),
                                        floatConst(b, l, v.getType(), 1.0));
        return arith::DivFOp::create(b, l, v, d).getResult();
      });
}

static LogicalResult mishOp(Importer &imp) {
  return pointwiseActivation(
      imp, {}, [](OpBuilder &b, Location l, Value v, ArrayRef<double>) {
        Value t = math::TanhOp::create(b, l, softplus(b, l, v));
        return arith::MulFOp::create(b, l, v, t).getResult();
      });
}

static LogicalResult thresholdedReluOp(Importer &imp) {
  return pointwiseActivation(
      imp, {{"alpha", 1.0}},
      [](OpBuilder &b, Location l, Value v, ArrayRef<double> a) {
        Type t = v.getType();
        Value above = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT, v,
                                            floatConst(b, l, t, a[0]));
        return arith::SelectOp::create(b, l, above, v, floatConst(b, l, t, 0.0))
            .getResult();
      });
}

static LogicalResult shrinkOp(Importer &imp) {
  if (failed(imp.checkAttrs({"bias", "lambd"})))
    return failure();
  double bias = imp.attrFloat("bias", 0.0f),
         lambd = imp.attrFloat("lambd", 0.5f);
  FailureOr<Value> x = imp.input(0);
  if (failed(x))
    return failure();
  Type type = elementTypeOf(*x);
  bool isFloat = isa<FloatType>(type);
  bool isUnsigned = isOnnxUnsigned(imp.inputInfo(0)->onnxType);
  FailureOr<Value> result = broadcastMap(
      imp, {*x}, type, [&](OpBuilder &nb, Location l, ValueRange args) {
        Value v = args[0];
        // Integers compare and shift in f64, as the float attributes do.
        Value f = v;
        Type f64 = nb.getF64Type();
        if (!isFloat)
          f = isUnsigned ? arith::UIToFPOp::create(nb, l, f64, v).getResult()
                         : arith::SIToFPOp::create(nb, l, f64, v).getResult();
        else if (!type.isF64())
          f = arith::ExtFOp::create(nb, l, f64, v);
        Value lo = arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OLT, f,
                                         floatConst(nb, l, f64, -lambd));
        Value hi = arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OGT, f,
                                         floatConst(nb, l, f64, lambd));
        Value plus =
            arith::AddFOp::create(nb, l, f, floatConst(nb, l, f64, bias));
        Value minus =
            arith::SubFOp::create(nb, l, f, floatConst(nb, l, f64, bias));
        Value y = arith::SelectOp::create(
            nb, l, lo, plus,
            arith::SelectOp::create(nb, l, hi, minus,
                                    floatConst(nb, l, f64, 0.0)));
        if (!isFloat)
          return isUnsigned
                     ? arith::FPToUIOp::create(nb, l, type, y).getResult()
                     : arith::FPToSIOp::create(nb, l, type, y).getResult();
        if (!type.isF64())
          return arith::TruncFOp::create(nb, l, type, y).getResult();
        return y;
      });
  if (failed(result))
    return failure();
  return imp.setOutput(0, *result, imp.inputInfo(0)->onnxType);
}

/// PRelu: x < 0 ? slope * x : x, the slope broadcasting to x.
static LogicalResult preluOp(Importer &imp) {
  if (failed(imp.checkAttrs({})))
    return failure();
  FailureOr<Value> x = imp.input(0), slope = imp.input(1);
  if (failed(x) || failed(slope))
    return failure();
  Type type = elementTypeOf(*x);
  if (elementTypeOf(*slope) != type)
    return imp.nodeError() << "slope has a different element type";
  bool isFloat = isa<FloatType>(type);
  FailureOr<Value> result = broadcastMap(
      imp, {*x, *slope}, type,
      [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
        Value v = args[0], s = args[1];
        if (isFloat)
          return arith::SelectOp::create(nb, l, lessThanZero(nb, l, v),
                                         arith::MulFOp::create(nb, l, v, s), v);
        Value zero =
            arith::ConstantOp::create(nb, l, type, nb.getIntegerAttr(type, 0));
        Value neg =
            arith::CmpIOp::create(nb, l, arith::CmpIPredicate::slt, v, zero);
        return arith::SelectOp::create(nb, l, neg,
                                       arith::MulIOp::create(nb, l, v, s), v);
      });
  if (failed(result))
    return failure();
  if (shapeOf(*result) != shapeOf(*x))
    return imp.nodeError() << "slope does not broadcast to the input";
  return imp.setOutput(0, *result, imp.inputInfo(0)->onnxType);
}

//===----------------------------------------------------------------------===//
// Registration
//===----------------------------------------------------------------------===//

void onnx_import::registerActivationOps(OpTable &table) {
  table.on("Softmax", 1,
           [](Importer &imp) { return softmaxOp(imp, SoftmaxKind::Softmax); });
  table.on("LogSoftmax", 1, [](Importer &imp) {
    return softmaxOp(imp, SoftmaxKind::LogSoftmax);
  });
  table.on("Hardmax", 1,
           [](Importer &imp) { return softmaxOp(imp, SoftmaxKind::Hardmax); });
  table.on("HardSigmoid", 6, hardSigmoidOp);
  table.on("HardSwish", 14, hardSwishOp);
  table.on("Elu", 6, eluOp);
  table.on("Selu", 6, seluOp);
  table.on("Celu", 12, celuOp);
  table.on("Softplus", 1, softplusOp);
  table.on("Softsign", 1, softsignOp);
  table.on("Mish", 18, mishOp);
  table.on("ThresholdedRelu", 10, thresholdedReluOp);
  table.on("Shrink", 9, shrinkOp);
  table.on("PRelu", 7, preluOp);
  table.on("Gelu", 20, geluOp);
}

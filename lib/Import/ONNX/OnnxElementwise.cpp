//===- OnnxElementwise.cpp - Elementwise and math ops
//-----------------------===//
//
// Add / Sub / Mul / Div / Pow, Max / Min, the unary math ops, Clip and
// Identity / Dropout. TOSA where it has the op, linalg.generic with arith /
// math where it does not; constant integer operands (shape arithmetic) are
// folded on the host.
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

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

static LogicalResult foldBinary(Importer &imp, StringRef op) {
  HostTensor *x = imp.constInput(0), *y = imp.constInput(1);
  FailureOr<SmallVector<int64_t>> shape =
      broadcastShapes(imp, x->shape, y->shape);
  if (failed(shape))
    return failure();
  int64_t n = product(*shape);
  if ((x->getNumElements() != n && x->getNumElements() != 1) ||
      (y->getNumElements() != n && y->getNumElements() != 1))
    return imp.nodeError() << "cannot fold this broadcast of constants";
  auto result = std::make_shared<HostTensor>();
  result->type = x->type;
  result->shape = *shape;
  for (int64_t i = 0; i < n; ++i) {
    int64_t a = x->ints[x->ints.size() == 1 ? 0 : i];
    int64_t c = y->ints[y->ints.size() == 1 ? 0 : i];
    int64_t r = 0;
    if (op == "Add")
      r = a + c;
    else if (op == "Sub")
      r = a - c;
    else if (op == "Mul")
      r = a * c;
    else if (op == "Div") {
      if (c == 0)
        return imp.nodeError() << "integer division by zero in constants";
      r = a / c;
    } else if (op == "Max")
      r = std::max(a, c);
    else
      r = std::min(a, c);
    result->ints.push_back(r);
  }
  return setConstOutput(imp, 0, result);
}

static LogicalResult binaryOp(Importer &imp, StringRef op) {
  if (failed(imp.checkAttrs({})))
    return failure();
  if (allConstInts(imp) && op != "Pow")
    return foldBinary(imp, op);
  if (allConstSmall(imp) && imp.numInputs() == 2) {
    // Float shape arithmetic (sizes computed through Cast / Mul / Div).
    return foldElementwise(imp, imp.inputInfo(0)->onnxType,
                           [&](ArrayRef<double> v) {
                             if (op == "Add")
                               return v[0] + v[1];
                             if (op == "Sub")
                               return v[0] - v[1];
                             if (op == "Mul")
                               return v[0] * v[1];
                             if (op == "Div")
                               return v[0] / v[1];
                             if (op == "Max")
                               return std::max(v[0], v[1]);
                             if (op == "Min")
                               return std::min(v[0], v[1]);
                             return std::pow(v[0], v[1]);
                           });
  }
  FailureOr<Value> x = imp.input(0), y = failed(x) ? x : imp.input(1);
  if (failed(x) || failed(y))
    return failure();
  Value a = *x, c = *y;
  OpBuilder &b = imp.b;
  Location loc = imp.loc;
  FailureOr<SmallVector<int64_t>> shape =
      broadcastShapes(imp, shapeOf(a), shapeOf(c));
  if (failed(shape))
    return failure();
  Type elementType = elementTypeOf(a);
  if (op != "Pow" && elementTypeOf(c) != elementType)
    return imp.nodeError() << "operand element types differ";
  a = toRank(b, loc, a, shape->size());
  c = toRank(b, loc, c, shape->size());
  auto type = tensorType(*shape, elementType);
  bool isFloat = isa<FloatType>(elementType);
  Value result;
  if (op == "Add")
    result = tosa::AddOp::create(b, loc, type, a, c);
  else if (op == "Sub")
    result = tosa::SubOp::create(b, loc, type, a, c);
  else if (op == "Mul")
    result = mulOp(b, loc, type, a, c);
  else if (op == "Max")
    result = tosa::MaximumOp::create(b, loc, type, a, c);
  else if (op == "Min")
    result = tosa::MinimumOp::create(b, loc, type, a, c);
  else if (op == "Div")
    result = buildGeneric(
        b, loc, {a, c}, type, [&](OpBuilder &nb, Location l, ValueRange args) {
          if (isFloat)
            return arith::DivFOp::create(nb, l, args[0], args[1]).getResult();
          return arith::DivSIOp::create(nb, l, args[0], args[1]).getResult();
        });
  else {
    // Pow: exact forms for the exponents models use most.
    HostTensor *exponent = imp.constInput(1);
    if (!isFloat || !isa<FloatType>(elementTypeOf(c)) ||
        elementTypeOf(c) != elementType) {
      // Mixed or integer types: compute in f64 through math.powf (libm pow,
      // exact for integer results below 2^53) and convert back to the base
      // type; integer results are rounded for integer exponents (numpy's
      // exact integer power) and truncated for float exponents (numpy's
      // cast of the float result).
      Type exponentType = elementTypeOf(c);
      if (!isa<FloatType, IntegerType>(elementType) ||
          !isa<FloatType, IntegerType>(exponentType))
        return imp.nodeError()
               << "Pow with base type " << elementType << " and exponent type "
               << exponentType << " is not supported";
      bool baseUnsigned = isOnnxUnsigned(imp.inputInfo(0)->onnxType);
      bool exponentUnsigned = isOnnxUnsigned(imp.inputInfo(1)->onnxType);
      bool integerExponent = isa<IntegerType>(exponentType);
      auto toF64 = [](OpBuilder &nb, Location l, Value v,
                      bool isUnsigned) -> Value {
        Type f64 = nb.getF64Type();
        if (isa<IntegerType>(v.getType())) {
          if (isUnsigned)
            return arith::UIToFPOp::create(nb, l, f64, v);
          return arith::SIToFPOp::create(nb, l, f64, v);
        }
        if (v.getType().isF64())
          return v;
        return arith::ExtFOp::create(nb, l, f64, v);
      };
      result = buildGeneric(
          b, loc, {a, c}, type,
          [&](OpBuilder &nb, Location l, ValueRange args) {
            Value x = toF64(nb, l, args[0], baseUnsigned);
            Value y = toF64(nb, l, args[1], exponentUnsigned);
            Value r = math::PowFOp::create(nb, l, x, y);
            if (isa<FloatType>(elementType)) {
              if (elementType.isF64())
                return r;
              return arith::TruncFOp::create(nb, l, elementType, r).getResult();
            }
            if (integerExponent)
              r = math::RoundOp::create(nb, l, r);
            if (baseUnsigned)
              return arith::FPToUIOp::create(nb, l, elementType, r).getResult();
            return arith::FPToSIOp::create(nb, l, elementType, r).getResult();
          });
    } else if (exponent && exponent->isFloat() &&
               exponent->getNumElements() == 1 &&
               (exponent->floats[0] == 2.0 || exponent->floats[0] == 0.5 ||
                exponent->floats[0] == 1.0)) {
      double e = exponent->floats[0];
      if (e == 2.0)
        result = mulOp(b, loc, type, a, a);
      else if (e == 1.0)
        result = a;
      else
        result = buildGeneric(
            b, loc, {a}, type, [&](OpBuilder &nb, Location l, ValueRange args) {
              return math::SqrtOp::create(nb, l, args[0]).getResult();
            });
      if (cast<RankedTensorType>(result.getType()) != type)
        return imp.nodeError() << "Pow broadcasting the base is not supported";
    } else {
      result = tosa::PowOp::create(b, loc, type, a, c);
    }
  }
  return imp.setOutput(0, result, imp.inputInfo(0)->onnxType);
}

/// Max / Min of one or more inputs (opset 8+), as a chain of broadcasting
/// binary tosa.maximum / tosa.minimum.
static LogicalResult variadicMinMaxOp(Importer &imp, StringRef op) {
  if (imp.numInputs() == 0)
    return imp.nodeError() << "expected at least one input";
  if (imp.numInputs() == 2)
    return binaryOp(imp, op);
  if (failed(imp.checkAttrs({})))
    return failure();
  if (imp.numInputs() == 1)
    return imp.setOutput(0, *imp.inputInfo(0));
  OpBuilder &b = imp.b;
  Location loc = imp.loc;
  FailureOr<Value> first = imp.input(0);
  if (failed(first))
    return failure();
  Value acc = *first;
  Type elementType = elementTypeOf(acc);
  for (unsigned i = 1; i < imp.numInputs(); ++i) {
    FailureOr<Value> next = imp.input(i);
    if (failed(next))
      return failure();
    Value c = *next;
    if (elementTypeOf(c) != elementType)
      return imp.nodeError() << "operand element types differ";
    FailureOr<SmallVector<int64_t>> shape =
        broadcastShapes(imp, shapeOf(acc), shapeOf(c));
    if (failed(shape))
      return failure();
    Value lhs = toRank(b, loc, acc, shape->size());
    c = toRank(b, loc, c, shape->size());
    auto type = tensorType(*shape, elementType);
    if (op == "Max")
      acc = tosa::MaximumOp::create(b, loc, type, lhs, c);
    else
      acc = tosa::MinimumOp::create(b, loc, type, lhs, c);
  }
  return imp.setOutput(0, acc, imp.inputInfo(0)->onnxType);
}

static LogicalResult unaryOp(Importer &imp, StringRef op) {
  if (op == "LeakyRelu") {
    if (failed(imp.checkAttrs({"alpha"})))
      return failure();
  } else if (failed(imp.checkAttrs({}))) {
    return failure();
  }
  // Shape arithmetic: fold Neg / Abs of constant integers.
  if ((op == "Neg" || op == "Abs") && imp.constInput(0) && allConstInts(imp)) {
    HostTensor *c = imp.constInput(0);
    auto result = std::make_shared<HostTensor>(*c);
    for (int64_t &v : result->ints)
      v = op == "Neg" ? -v : std::abs(v);
    return setConstOutput(imp, 0, result);
  }
  HostTensor *c = imp.constInput(0);
  if (c && c->isFloat() && allConstSmall(imp) && op != "LeakyRelu" &&
      op != "Erf") {
    // Float shape arithmetic.
    return foldElementwise(imp, c->type, [&](ArrayRef<double> v) {
      double x = v[0];
      if (op == "Relu")
        return std::max(x, 0.0);
      if (op == "Sigmoid")
        return 1 / (1 + std::exp(-x));
      if (op == "Tanh")
        return std::tanh(x);
      if (op == "Exp")
        return std::exp(x);
      if (op == "Log")
        return std::log(x);
      if (op == "Abs")
        return std::fabs(x);
      if (op == "Floor")
        return std::floor(x);
      if (op == "Ceil")
        return std::ceil(x);
      if (op == "Reciprocal")
        return 1 / x;
      if (op == "Neg")
        return -x;
      if (op == "Sqrt")
        return std::sqrt(x);
      return std::nearbyint(x); // Round: half to even.
    });
  }
  FailureOr<Value> x = imp.input(0);
  if (failed(x))
    return failure();
  OpBuilder &b = imp.b;
  Location loc = imp.loc;
  Value v = *x;
  auto type = cast<RankedTensorType>(v.getType());
  Type elementType = type.getElementType();
  bool isFloat = isa<FloatType>(elementType);
  if (!isFloat && op != "Relu" && op != "Neg" && op != "Abs")
    return imp.nodeError() << "input must be a float tensor, got " << type;
  Value result;
  if (op == "Relu") {
    Attribute lo, hi;
    if (isFloat) {
      lo = b.getFloatAttr(elementType, 0.0);
      hi = b.getFloatAttr(elementType, INFINITY);
    } else {
      unsigned w = elementType.getIntOrFloatBitWidth();
      lo = b.getIntegerAttr(elementType, 0);
      hi = b.getIntegerAttr(elementType, APInt::getSignedMaxValue(w));
    }
    result = tosa::ClampOp::create(b, loc, type, v, lo, hi, nullptr);
  } else if (op == "Sigmoid") {
    result = tosa::SigmoidOp::create(b, loc, type, v);
  } else if (op == "Tanh") {
    result = tosa::TanhOp::create(b, loc, type, v);
  } else if (op == "Exp") {
    result = tosa::ExpOp::create(b, loc, type, v);
  } else if (op == "Log") {
    result = tosa::LogOp::create(b, loc, type, v);
  } else if (op == "Erf") {
    result = tosa::ErfOp::create(b, loc, type, v);
  } else if (op == "Abs") {
    result = tosa::AbsOp::create(b, loc, type, v);
  } else if (op == "Floor") {
    result = tosa::FloorOp::create(b, loc, type, v);
  } else if (op == "Ceil") {
    result = tosa::CeilOp::create(b, loc, type, v);
  } else if (op == "Reciprocal") {
    result = tosa::ReciprocalOp::create(b, loc, type, v);
  } else if (op == "Neg") {
    result =
        tosa::NegateOp::create(b, loc, type, v, zeroPoint(b, loc, elementType),
                               zeroPoint(b, loc, elementType));
  } else if (op == "Round") {
    // ONNX rounds halves to even.
    result = buildGeneric(
        b, loc, {v}, type, [&](OpBuilder &nb, Location l, ValueRange args) {
          return math::RoundEvenOp::create(nb, l, args[0]).getResult();
        });
  } else if (op == "Sqrt") {
    result = buildGeneric(
        b, loc, {v}, type, [&](OpBuilder &nb, Location l, ValueRange args) {
          return math::SqrtOp::create(nb, l, args[0]).getResult();
        });
  } else if (op == "LeakyRelu") {
    double alpha = imp.attrFloat("alpha", 0.01f);
    Value scaled = mulOp(b, loc, type, v, scalarLike(b, loc, v, alpha));
    result = tosa::MaximumOp::create(b, loc, type, v, scaled);
    if (alpha > 1)
      result = tosa::MinimumOp::create(b, loc, type, v, scaled);
  }
  return imp.setOutput(0, result, imp.inputInfo(0)->onnxType);
}

/// Clip: bounds from attributes (opset < 11) or optional inputs 1 / 2
/// (constant or run time).
static LogicalResult clipOp(Importer &imp) {
  if (failed(imp.checkAttrs({"min", "max"})))
    return failure();
  FailureOr<Value> x = imp.input(0);
  if (failed(x))
    return failure();
  OpBuilder &b = imp.b;
  Location loc = imp.loc;
  Value v = *x;
  auto type = cast<RankedTensorType>(v.getType());
  SmallVector<int64_t> ones(type.getRank(), 1);
  auto bound = [&](unsigned index, StringRef name) -> FailureOr<Value> {
    if (imp.opset < 11) {
      if (!imp.attr(name))
        return Value();
      if (!isa<FloatType>(type.getElementType()))
        return imp.nodeError()
               << "attribute '" << name << "' needs a float input";
      return scalarLike(b, loc, v, imp.attrFloat(name, 0.0f));
    }
    if (!imp.hasInput(index))
      return Value();
    FailureOr<Value> bv = imp.input(index);
    if (failed(bv))
      return failure();
    if (product(shapeOf(*bv)) != 1)
      return imp.nodeError() << "'" << name << "' must be a scalar";
    if (elementTypeOf(*bv) != type.getElementType())
      return imp.nodeError() << "'" << name << "' has a different type";
    return reshapeTo(b, loc, *bv, ones);
  };
  FailureOr<Value> lo = bound(1, "min");
  if (failed(lo))
    return failure();
  FailureOr<Value> hi = bound(2, "max");
  if (failed(hi))
    return failure();
  if (!isa<FloatType>(type.getElementType()) &&
      isOnnxUnsigned(imp.inputInfo(0)->onnxType) && (*lo || *hi))
    return imp.nodeError() << "unsigned Clip is not supported";
  if (*lo)
    v = tosa::MaximumOp::create(b, loc, type, v, *lo);
  if (*hi)
    v = tosa::MinimumOp::create(b, loc, type, v, *hi);
  return imp.setOutput(0, v, imp.inputInfo(0)->onnxType);
}

static LogicalResult identityOp(Importer &imp) {
  bool dropout = imp.node->op_type() == "Dropout";
  if (dropout) {
    if (imp.hasInput(2)) {
      // Training mode drops nothing only with a constant ratio of 0.
      HostTensor *training = imp.constInput(2);
      if (!training || training->ints.empty())
        return imp.nodeError() << "training_mode must be a constant";
      if (training->ints[0] != 0) {
        HostTensor *ratio = imp.hasInput(1) ? imp.constInput(1) : nullptr;
        bool zero = ratio && ratio->getNumElements() == 1 &&
                    (ratio->isFloat() ? ratio->floats.at(0) == 0.0
                                      : ratio->ints.at(0) == 0);
        if (!zero)
          return imp.nodeError() << "training_mode = true is supported only "
                                    "with a constant ratio of 0 (random "
                                    "dropout is not)";
      }
    }
  } else if (failed(imp.checkAttrs({}))) {
    return failure();
  }
  ValueInfo *info = imp.inputInfo(0);
  if (!info)
    return imp.nodeError() << "missing input";
  if (dropout && imp.hasOutput(1)) {
    // Nothing is dropped: the mask is all true.
    FailureOr<Value> x = imp.input(0);
    if (failed(x))
      return failure();
    Value mask = splatConst(imp.b, imp.loc, shapeOf(*x), imp.b.getI1Type(), 1);
    if (failed(imp.setOutput(1, mask, kBool)))
      return failure();
  }
  return imp.setOutput(0, *info);
}

//===----------------------------------------------------------------------===//
// Trigonometric and hyperbolic functions, Sign, Mod, Sum / Mean
//===----------------------------------------------------------------------===//

/// The math dialect op of a float unary ONNX op (libm or a polynomial after
/// lowering).
static Value buildMathUnary(OpBuilder &b, Location l, StringRef op, Value x) {
  if (op == "Sin")
    return math::SinOp::create(b, l, x);
  if (op == "Cos")
    return math::CosOp::create(b, l, x);
  if (op == "Tan")
    return math::TanOp::create(b, l, x);
  if (op == "Asin")
    return math::AsinOp::create(b, l, x);
  if (op == "Acos")
    return math::AcosOp::create(b, l, x);
  if (op == "Atan")
    return math::AtanOp::create(b, l, x);
  if (op == "Sinh")
    return math::SinhOp::create(b, l, x);
  if (op == "Cosh")
    return math::CoshOp::create(b, l, x);
  if (op == "Asinh")
    return math::AsinhOp::create(b, l, x);
  if (op == "Acosh")
    return math::AcoshOp::create(b, l, x);
  assert(op == "Atanh" && "unknown math op");
  return math::AtanhOp::create(b, l, x);
}

static double evalMathUnary(StringRef op, double x) {
  if (op == "Sin")
    return std::sin(x);
  if (op == "Cos")
    return std::cos(x);
  if (op == "Tan")
    return std::tan(x);
  if (op == "Asin")
    return std::asin(x);
  if (op == "Acos")
    return std::acos(x);
  if (op == "Atan")
    return std::atan(x);
  if (op == "Sinh")
    return std::sinh(x);
  if (op == "Cosh")
    return std::cosh(x);
  if (op == "Asinh")
    return std::asinh(x);
  if (op == "Acosh")
    return std::acosh(x);
  return std::atanh(x);
}

static LogicalResult mathUnaryOp(Importer &imp, StringRef op) {
  if (failed(imp.checkAttrs({})))
    return failure();
  HostTensor *c = imp.constInput(0);
  if (c && c->isFloat() && allConstSmall(imp))
    return foldElementwise(imp, c->type, [&](ArrayRef<double> v) {
      return evalMathUnary(op, v[0]);
    });
  FailureOr<Value> x = imp.input(0);
  if (failed(x))
    return failure();
  if (!isa<FloatType>(elementTypeOf(*x)))
    return imp.nodeError() << "input must be a float tensor, got "
                           << x->getType();
  FailureOr<Value> result =
      broadcastMap(imp, {*x}, elementTypeOf(*x),
                   [&](OpBuilder &nb, Location l, ValueRange args) {
                     return buildMathUnary(nb, l, op, args[0]);
                   });
  if (failed(result))
    return failure();
  return imp.setOutput(0, *result, imp.inputInfo(0)->onnxType);
}

/// Sign: -1, 0 or 1 of the input's type (NaN stays NaN).
static LogicalResult signOp(Importer &imp) {
  if (failed(imp.checkAttrs({})))
    return failure();
  int32_t onnxType = imp.inputInfo(0) ? imp.inputInfo(0)->onnxType : kFloat;
  if (allConstInts(imp) && imp.constInput(0))
    return foldIntElementwise(imp, onnxType, [](ArrayRef<int64_t> v) {
      return int64_t(v[0] > 0) - int64_t(v[0] < 0);
    });
  FailureOr<Value> x = imp.input(0);
  if (failed(x))
    return failure();
  Type type = elementTypeOf(*x);
  bool isUnsigned = isOnnxUnsigned(onnxType);
  FailureOr<Value> result = broadcastMap(
      imp, {*x}, type, [&](OpBuilder &nb, Location l, ValueRange args) {
        Value v = args[0];
        if (isa<FloatType>(type)) {
          Value zero = arith::ConstantOp::create(nb, l, type,
                                                 nb.getFloatAttr(type, 0.0));
          Value one = arith::ConstantOp::create(nb, l, type,
                                                nb.getFloatAttr(type, 1.0));
          Value minusOne = arith::ConstantOp::create(
              nb, l, type, nb.getFloatAttr(type, -1.0));
          Value gt =
              arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OGT, v, zero);
          Value lt =
              arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OLT, v, zero);
          Value neg = arith::SelectOp::create(nb, l, lt, minusOne, v);
          return arith::SelectOp::create(nb, l, gt, one, neg).getResult();
        }
        Value zero =
            arith::ConstantOp::create(nb, l, type, nb.getIntegerAttr(type, 0));
        Value one =
            arith::ConstantOp::create(nb, l, type, nb.getIntegerAttr(type, 1));
        Value minusOne =
            arith::ConstantOp::create(nb, l, type, nb.getIntegerAttr(type, -1));
        Value gt = arith::CmpIOp::create(nb, l,
                                         isUnsigned ? arith::CmpIPredicate::ugt
                                                    : arith::CmpIPredicate::sgt,
                                         v, zero);
        Value lt =
            arith::CmpIOp::create(nb, l, arith::CmpIPredicate::slt, v, zero);
        Value neg = isUnsigned
                        ? zero
                        : arith::SelectOp::create(nb, l, lt, minusOne, zero)
                              .getResult();
        return arith::SelectOp::create(nb, l, gt, one, neg).getResult();
      });
  if (failed(result))
    return failure();
  return imp.setOutput(0, *result, onnxType);
}

/// Mod: fmod = 1 is C's fmod (the sign of the dividend); fmod = 0 (integers
/// only) is Python's % (the sign of the divisor).
static LogicalResult modOp(Importer &imp) {
  if (failed(imp.checkAttrs({"fmod"})))
    return failure();
  bool fmod = imp.attrInt("fmod", 0);
  int32_t onnxType = imp.inputInfo(0) ? imp.inputInfo(0)->onnxType : kFloat;
  bool isUnsigned = isOnnxUnsigned(onnxType);
  if (allConstInts(imp)) {
    for (int64_t d : imp.constInput(1)->ints)
      if (d == 0)
        return imp.nodeError() << "integer Mod by zero in constants";
    return foldIntElementwise(imp, onnxType, [&](ArrayRef<int64_t> v) {
      int64_t r = v[0] % v[1];
      if (!fmod && r != 0 && ((r < 0) != (v[1] < 0)))
        r += v[1];
      return r;
    });
  }
  FailureOr<SmallVector<Value>> in = allInputs(imp);
  if (failed(in))
    return failure();
  if (in->size() != 2)
    return imp.nodeError() << "expected 2 inputs";
  Type type = elementTypeOf((*in)[0]);
  if (elementTypeOf((*in)[1]) != type)
    return imp.nodeError() << "operand element types differ";
  bool isFloat = isa<FloatType>(type);
  if (isFloat && !fmod)
    return imp.nodeError() << "float Mod needs fmod = 1";
  FailureOr<Value> result = broadcastMap(
      imp, *in, type, [&](OpBuilder &nb, Location l, ValueRange args) {
        Value a = args[0], d = args[1];
        if (isFloat)
          return arith::RemFOp::create(nb, l, a, d).getResult();
        if (isUnsigned)
          return arith::RemUIOp::create(nb, l, a, d).getResult();
        // A zero divisor would trap: divide by 1 instead (ONNX leaves the
        // result undefined).
        Value zero =
            arith::ConstantOp::create(nb, l, type, nb.getIntegerAttr(type, 0));
        Value one =
            arith::ConstantOp::create(nb, l, type, nb.getIntegerAttr(type, 1));
        Value isZero =
            arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq, d, zero);
        Value safe = arith::SelectOp::create(nb, l, isZero, one, d);
        Value r = arith::RemSIOp::create(nb, l, a, safe);
        if (fmod)
          return r;
        Value rNeg =
            arith::CmpIOp::create(nb, l, arith::CmpIPredicate::slt, r, zero);
        Value dNeg =
            arith::CmpIOp::create(nb, l, arith::CmpIPredicate::slt, safe, zero);
        Value rNonZero =
            arith::CmpIOp::create(nb, l, arith::CmpIPredicate::ne, r, zero);
        Value signsDiffer = arith::XOrIOp::create(nb, l, rNeg, dNeg);
        Value fix = arith::AndIOp::create(nb, l, rNonZero, signsDiffer);
        Value adjusted = arith::AddIOp::create(nb, l, r, safe);
        return arith::SelectOp::create(nb, l, fix, adjusted, r).getResult();
      });
  if (failed(result))
    return failure();
  return imp.setOutput(0, *result, onnxType);
}

/// Sum / Mean of one or more broadcasting inputs.
static LogicalResult sumMeanOp(Importer &imp, bool mean) {
  if (failed(imp.checkAttrs({})))
    return failure();
  FailureOr<SmallVector<Value>> in = allInputs(imp);
  if (failed(in))
    return failure();
  if (in->empty())
    return imp.nodeError() << "expected at least one input";
  Type type = elementTypeOf(in->front());
  for (Value v : *in)
    if (elementTypeOf(v) != type)
      return imp.nodeError() << "operand element types differ";
  bool isFloat = isa<FloatType>(type);
  if (mean && !isFloat)
    return imp.nodeError() << "Mean needs float inputs";
  double count = in->size();
  FailureOr<Value> result = broadcastMap(
      imp, *in, type, [&](OpBuilder &nb, Location l, ValueRange args) {
        Value acc = args[0];
        for (Value v : args.drop_front())
          acc = isFloat ? arith::AddFOp::create(nb, l, acc, v).getResult()
                        : arith::AddIOp::create(nb, l, acc, v).getResult();
        if (mean) {
          Value n = arith::ConstantOp::create(nb, l, type,
                                              nb.getFloatAttr(type, count));
          acc = arith::DivFOp::create(nb, l, acc, n);
        }
        return acc;
      });
  if (failed(result))
    return failure();
  return imp.setOutput(0, *result, imp.inputInfo(0)->onnxType);
}

//===----------------------------------------------------------------------===//
// Registration
//===----------------------------------------------------------------------===//

void onnx_import::registerElementwiseOps(OpTable &table) {
  table.on({"Add", "Sub", "Mul", "Div", "Pow"}, 7, binaryOp);
  table.on({"Max", "Min"}, 7, variadicMinMaxOp);
  table.on({"Relu", "Sigmoid", "Tanh", "Exp", "Log", "Erf", "Abs", "Floor",
            "Ceil", "Reciprocal", "Neg", "Sqrt", "LeakyRelu", "Round"},
           7, unaryOp);
  // Clip takes its bounds as attributes before opset 11, as inputs after.
  table.on("Clip", 6, clipOp);
  table.on("Identity", 1, identityOp);
  table.on({"Sin", "Cos", "Tan", "Asin", "Acos", "Atan"}, 7, mathUnaryOp);
  table.on({"Sinh", "Cosh", "Asinh", "Acosh", "Atanh"}, 9, mathUnaryOp);
  table.on("Sign", 9, signOp);
  table.on("Mod", 10, modOp);
  table.on("Sum", 8, [](Importer &imp) { return sumMeanOp(imp, false); });
  table.on("Mean", 8, [](Importer &imp) { return sumMeanOp(imp, true); });
  table.on("Dropout", 7, identityOp);
}

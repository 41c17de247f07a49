//===- OnnxOps.cpp - ONNX float ops to tosa / linalg ----------------------===//
//
// One handler per default-domain op. TOSA where it has the op (the pipelines
// run tosa-to-linalg), linalg.generic with arith / math where it does not
// (Div, Sqrt, Cast, Gather), tensor.extract_slice for Slice. Shape
// arithmetic on known integer tensors is folded on the host.
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
// IR helpers
//===----------------------------------------------------------------------===//

RankedTensorType onnx_import::tensorType(ArrayRef<int64_t> shape,
                                         Type elementType) {
  return RankedTensorType::get(shape, elementType);
}

ArrayRef<int64_t> onnx_import::shapeOf(Value value) {
  return cast<RankedTensorType>(value.getType()).getShape();
}

Type onnx_import::elementTypeOf(Value value) {
  return cast<ShapedType>(value.getType()).getElementType();
}

int64_t onnx_import::product(ArrayRef<int64_t> values) {
  int64_t result = 1;
  for (int64_t v : values)
    result *= v;
  return result;
}

static Value constShape(OpBuilder &b, Location loc, ArrayRef<int64_t> shape) {
  auto attr = DenseIntElementsAttr::get(
      RankedTensorType::get({int64_t(shape.size())}, b.getIndexType()), shape);
  return tosa::ConstShapeOp::create(
      b, loc, tosa::shapeType::get(b.getContext(), shape.size()), attr);
}

Value onnx_import::reshapeTo(OpBuilder &b, Location loc, Value value,
                             ArrayRef<int64_t> shape) {
  if (shapeOf(value) == shape)
    return value;
  // TOSA has no empty tensors; an empty result holds no data anyway.
  if (product(shape) == 0)
    return tensor::EmptyOp::create(b, loc, shape, elementTypeOf(value));
  return tosa::ReshapeOp::create(b, loc,
                                 tensorType(shape, elementTypeOf(value)), value,
                                 constShape(b, loc, shape));
}

Value onnx_import::splatConst(OpBuilder &b, Location loc,
                              ArrayRef<int64_t> shape, Type elementType,
                              double value) {
  auto type = tensorType(shape, elementType);
  Attribute element;
  if (isa<FloatType>(elementType))
    element = b.getFloatAttr(elementType, value);
  else
    element = b.getIntegerAttr(elementType, int64_t(value));
  auto attr = DenseElementsAttr::get(type, ArrayRef<Attribute>{element});
  return tosa::ConstOp::create(b, loc, type, attr);
}

Value onnx_import::transposeBy(OpBuilder &b, Location loc, Value value,
                               ArrayRef<int32_t> perms) {
  ArrayRef<int64_t> shape = shapeOf(value);
  SmallVector<int64_t> outShape;
  for (int32_t p : perms)
    outShape.push_back(shape[p]);
  return tosa::TransposeOp::create(b, loc,
                                   tensorType(outShape, elementTypeOf(value)),
                                   value, b.getDenseI32ArrayAttr(perms));
}

/// A scalar constant broadcastable against `like` (all dims 1).
static Value scalarLike(OpBuilder &b, Location loc, Value like, double v) {
  SmallVector<int64_t> ones(shapeOf(like).size(), 1);
  return splatConst(b, loc, ones, elementTypeOf(like), v);
}

static Value zeroPoint(OpBuilder &b, Location loc, Type elementType) {
  return splatConst(b, loc, {1}, elementType, 0);
}

/// Mul with the zero shift TOSA wants.
static Value mulOp(OpBuilder &b, Location loc, Type type, Value x, Value y) {
  Value shift = splatConst(b, loc, {1}, b.getIntegerType(8), 0);
  return tosa::MulOp::create(b, loc, type, x, y, shift);
}

Value onnx_import::buildGeneric(
    OpBuilder &b, Location loc, ArrayRef<Value> inputs,
    RankedTensorType resultType,
    function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
  int64_t rank = resultType.getRank();
  SmallVector<AffineMap> maps;
  for (Value in : inputs) {
    SmallVector<AffineExpr> exprs;
    ArrayRef<int64_t> shape = shapeOf(in);
    for (int64_t i = 0; i < rank; ++i)
      exprs.push_back(shape[i] == 1 && resultType.getDimSize(i) != 1
                          ? b.getAffineConstantExpr(0)
                          : b.getAffineDimExpr(i));
    maps.push_back(AffineMap::get(rank, 0, exprs, b.getContext()));
  }
  maps.push_back(b.getMultiDimIdentityMap(rank));
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  Value init = tensor::EmptyOp::create(b, loc, resultType.getShape(),
                                       resultType.getElementType());
  auto generic = linalg::GenericOp::create(
      b, loc, resultType, inputs, init, maps, iterators,
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        Value result = body(nb, nloc, args.drop_back());
        linalg::YieldOp::create(nb, nloc, result);
      });
  return generic.getResult(0);
}

static int64_t normAxis(int64_t axis, int64_t rank) {
  return axis < 0 ? axis + rank : axis;
}

//===----------------------------------------------------------------------===//
// Broadcasting
//===----------------------------------------------------------------------===//

FailureOr<SmallVector<int64_t>>
onnx_import::broadcastShapes(Importer &imp, ArrayRef<int64_t> a,
                             ArrayRef<int64_t> c) {
  size_t rank = std::max(a.size(), c.size());
  SmallVector<int64_t> result(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t x = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t y = i < rank - c.size() ? 1 : c[i - (rank - c.size())];
    if (x != y && x != 1 && y != 1)
      return imp.nodeError()
             << "shapes [" << llvm::interleaved(a, "x") << "] and ["
             << llvm::interleaved(c, "x") << "] do not broadcast";
    result[i] = x == 1 ? y : x;
  }
  return result;
}

Value onnx_import::toRank(OpBuilder &b, Location loc, Value v, size_t rank) {
  ArrayRef<int64_t> shape = shapeOf(v);
  if (shape.size() == rank)
    return v;
  SmallVector<int64_t> newShape(rank - shape.size(), 1);
  newShape.append(shape.begin(), shape.end());
  return reshapeTo(b, loc, v, newShape);
}

//===----------------------------------------------------------------------===//
// Host folding of integer tensors (shape arithmetic)
//===----------------------------------------------------------------------===//

static LogicalResult setConstOutput(Importer &imp, unsigned i,
                                    std::shared_ptr<HostTensor> tensor) {
  ValueInfo info;
  info.onnxType = tensor->type;
  info.constant = std::move(tensor);
  return imp.setOutput(i, std::move(info));
}

static bool allConstInts(Importer &imp) {
  for (unsigned i = 0; i < imp.numInputs(); ++i) {
    if (!imp.hasInput(i))
      continue;
    HostTensor *t = imp.constInput(i);
    if (!t || t->isFloat())
      return false;
  }
  return true;
}

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
// MatMul / Gemm
//===----------------------------------------------------------------------===//

/// Float matmul of [..., M, K] by [..., K, N] with ONNX broadcasting.
static FailureOr<Value> floatMatmul(Importer &imp, Value a, Value c) {
  OpBuilder &b = imp.b;
  Location loc = imp.loc;
  SmallVector<int64_t> as(shapeOf(a)), cs(shapeOf(c));
  bool aVector = as.size() == 1, cVector = cs.size() == 1;
  if (aVector)
    as.insert(as.begin(), 1);
  if (cVector)
    cs.push_back(1);
  int64_t m = as[as.size() - 2], k = as.back(), n = cs.back();
  if (cs[cs.size() - 2] != k)
    return imp.nodeError() << "reduction sizes " << k << " and "
                           << cs[cs.size() - 2] << " differ";
  ArrayRef<int64_t> aBatch = ArrayRef<int64_t>(as).drop_back(2);
  ArrayRef<int64_t> cBatch = ArrayRef<int64_t>(cs).drop_back(2);
  SmallVector<int64_t> batch;
  Value a3, c3;
  Type elementType = elementTypeOf(a);
  if (cBatch.empty() || product(cBatch) == 1) {
    // Fold the lhs batch into M.
    batch.assign(aBatch.begin(), aBatch.end());
    if (batch.empty() && !cBatch.empty())
      batch.assign(cBatch.begin(), cBatch.end());
    a3 = reshapeTo(b, loc, a, {1, product(aBatch) * m, k});
    c3 = reshapeTo(b, loc, c, {1, k, n});
    Value out = tosa::MatMulOp::create(
        b, loc, tensorType({1, product(aBatch) * m, n}, elementType), a3, c3,
        zeroPoint(b, loc, elementType), zeroPoint(b, loc, elementType));
    SmallVector<int64_t> outShape(batch);
    if (!aVector)
      outShape.push_back(m);
    if (!cVector)
      outShape.push_back(n);
    return reshapeTo(b, loc, out, outShape);
  }
  FailureOr<SmallVector<int64_t>> bshape = broadcastShapes(imp, aBatch, cBatch);
  if (failed(bshape))
    return failure();
  int64_t batchSize = product(*bshape);
  if (product(aBatch) != batchSize || product(cBatch) != batchSize ||
      aBatch.size() != cBatch.size())
    return imp.nodeError() << "broadcasting matmul batch dimensions is not "
                              "supported";
  a3 = reshapeTo(b, loc, a, {batchSize, m, k});
  c3 = reshapeTo(b, loc, c, {batchSize, k, n});
  Value out = tosa::MatMulOp::create(
      b, loc, tensorType({batchSize, m, n}, elementType), a3, c3,
      zeroPoint(b, loc, elementType), zeroPoint(b, loc, elementType));
  SmallVector<int64_t> outShape(*bshape);
  if (!aVector)
    outShape.push_back(m);
  if (!cVector)
    outShape.push_back(n);
  return reshapeTo(b, loc, out, outShape);
}

static LogicalResult matmulOp(Importer &imp) {
  if (failed(imp.checkAttrs({})))
    return failure();
  FailureOr<Value> a = imp.input(0);
  if (failed(a))
    return failure();
  ValueInfo *rhs = imp.inputInfo(1);
  if (!rhs)
    return imp.nodeError() << "missing input 1";
  if (!isa<FloatType>(elementTypeOf(*a)))
    return imp.nodeError() << "integer MatMul is not supported";
  if (rhs->qweight && !rhs->value) {
    FailureOr<Value> q = buildQuantizedMatmul(imp, *a, *rhs, false, Value());
    if (failed(q))
      return failure();
    if (*q)
      return imp.setOutput(0, *q);
  }
  FailureOr<Value> c = imp.input(1);
  if (failed(c))
    return failure();
  FailureOr<Value> result = floatMatmul(imp, *a, *c);
  if (failed(result))
    return failure();
  return imp.setOutput(0, *result);
}

static LogicalResult gemmOp(Importer &imp) {
  if (failed(imp.checkAttrs({"alpha", "beta", "transA", "transB"})))
    return failure();
  OpBuilder &b = imp.b;
  Location loc = imp.loc;
  double alpha = imp.attrFloat("alpha", 1.0f),
         beta = imp.attrFloat("beta", 1.0f);
  bool transA = imp.attrInt("transA", 0), transB = imp.attrInt("transB", 0);
  FailureOr<Value> a = imp.input(0);
  if (failed(a))
    return failure();
  Value av = *a;
  if (shapeOf(av).size() != 2)
    return imp.nodeError() << "A must be 2-D";
  if (transA)
    av = transposeBy(b, loc, av, {1, 0});
  Value bias;
  if (imp.hasInput(2)) {
    FailureOr<Value> cv = imp.input(2);
    if (failed(cv))
      return failure();
    bias = *cv;
  }
  ValueInfo *rhs = imp.inputInfo(1);
  if (!rhs)
    return imp.nodeError() << "missing input 1";
  // Quantized weight: qnt.matmul with the bias fused when it is [N].
  if (rhs->qweight && !rhs->value && alpha == 1.0 && (!bias || beta == 1.0)) {
    int64_t n = rhs->qweight->shape[transB ? 0 : 1];
    bool fuseBias =
        !bias || (shapeOf(bias).size() == 1 && shapeOf(bias)[0] == n);
    FailureOr<Value> q =
        buildQuantizedMatmul(imp, av, *rhs, transB, fuseBias ? bias : Value());
    if (failed(q))
      return failure();
    if (*q) {
      Value result = *q;
      if (bias && !fuseBias) {
        FailureOr<SmallVector<int64_t>> shape =
            broadcastShapes(imp, shapeOf(result), shapeOf(bias));
        if (failed(shape))
          return failure();
        result = tosa::AddOp::create(b, loc,
                                     tensorType(*shape, elementTypeOf(result)),
                                     result, toRank(b, loc, bias, 2));
      }
      return imp.setOutput(0, result);
    }
  }
  FailureOr<Value> bv = imp.input(1);
  if (failed(bv))
    return failure();
  Value w = *bv;
  if (shapeOf(w).size() != 2)
    return imp.nodeError() << "B must be 2-D";
  if (transB)
    w = transposeBy(b, loc, w, {1, 0});
  FailureOr<Value> result = floatMatmul(imp, av, w);
  if (failed(result))
    return failure();
  Value r = *result;
  auto type = cast<RankedTensorType>(r.getType());
  if (alpha != 1.0)
    r = mulOp(b, loc, type, r, scalarLike(b, loc, r, alpha));
  if (bias && beta != 0.0) {
    Value c = toRank(b, loc, bias, 2);
    if (beta != 1.0)
      c = mulOp(b, loc, cast<RankedTensorType>(c.getType()), c,
                scalarLike(b, loc, c, beta));
    r = tosa::AddOp::create(b, loc, type, r, c);
  }
  return imp.setOutput(0, r);
}

//===----------------------------------------------------------------------===//
// Reductions, Softmax, normalization
//===----------------------------------------------------------------------===//

enum class ReduceKind { Sum, Max, Min, Mean };

/// Reduces `v` over `axes` (sorted, unique), keeping the reduced dims.
static Value reduceKeep(OpBuilder &b, Location loc, Value v,
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

static Value divide(OpBuilder &b, Location loc, Value x, Value y) {
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

static LogicalResult reduceOp(Importer &imp, ReduceKind kind) {
  if (failed(imp.checkAttrs({"axes", "keepdims", "noop_with_empty_axes"})))
    return failure();
  FailureOr<Value> x = imp.input(0);
  if (failed(x))
    return failure();
  int64_t rank = shapeOf(*x).size();
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
  Value r = reduceKeep(imp.b, imp.loc, *x, axes, kind);
  if (!keepDims) {
    SmallVector<int64_t> shape;
    for (int64_t i = 0; i < rank; ++i)
      if (!llvm::is_contained(axes, i))
        shape.push_back(shapeOf(*x)[i]);
    r = reshapeTo(imp.b, imp.loc, r, shape);
  }
  return imp.setOutput(0, r, imp.inputInfo(0)->onnxType);
}

static Value softmaxLastAxes(OpBuilder &b, Location loc, Value x,
                             int64_t axis) {
  auto type = cast<RankedTensorType>(x.getType());
  Value max = reduceKeep(b, loc, x, {axis}, ReduceKind::Max);
  Value shifted = tosa::SubOp::create(b, loc, type, x, max);
  Value e = tosa::ExpOp::create(b, loc, type, shifted);
  Value sum = reduceKeep(b, loc, e, {axis}, ReduceKind::Sum);
  return divide(b, loc, e, sum);
}

static LogicalResult softmaxOp(Importer &imp) {
  if (failed(imp.checkAttrs({"axis"})))
    return failure();
  FailureOr<Value> x = imp.input(0);
  if (failed(x))
    return failure();
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
    return imp.setOutput(0, softmaxLastAxes(b, loc, *x, axis));
  // Before opset 13: softmax of the input flattened to 2-D at `axis`.
  SmallVector<int64_t> shape2 = {product(shape.take_front(axis)),
                                 product(shape.drop_front(axis))};
  Value flat = reshapeTo(b, loc, *x, shape2);
  Value y = softmaxLastAxes(b, loc, flat, 1);
  return imp.setOutput(0, reshapeTo(b, loc, y, shape));
}

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
// Shape ops
//===----------------------------------------------------------------------===//

/// Reshape of a value that may be a known constant (folded) or not.
static LogicalResult reshapeOutput(Importer &imp, ArrayRef<int64_t> shape) {
  ValueInfo *info = imp.inputInfo(0);
  if (!info)
    return imp.nodeError() << "missing input";
  if (!info->value && info->constant && !info->qweight) {
    if (product(shape) != info->constant->getNumElements())
      return imp.nodeError()
             << "cannot reshape " << info->constant->getNumElements()
             << " elements to [" << llvm::interleaved(shape, "x") << "]";
    auto t = std::make_shared<HostTensor>(*info->constant);
    t->shape.assign(shape.begin(), shape.end());
    ValueInfo out;
    out.constant = t;
    out.onnxType = t->type;
    out.isInitializer = info->isInitializer;
    return imp.setOutput(0, out);
  }
  FailureOr<Value> x = imp.input(0);
  if (failed(x))
    return failure();
  if (getEncoding(x->getType()))
    return imp.nodeError() << "reshaping a quantized tensor is not supported";
  return imp.setOutput(0, reshapeTo(imp.b, imp.loc, *x, shape), info->onnxType);
}

static FailureOr<SmallVector<int64_t>> inputShape(Importer &imp, unsigned i) {
  ValueInfo *info = imp.inputInfo(i);
  if (!info)
    return imp.nodeError() << "missing input " << i;
  if (info->value)
    return SmallVector<int64_t>(shapeOf(info->value));
  if (info->qweight)
    return info->qweight->shape;
  if (info->constant)
    return info->constant->shape;
  return imp.nodeError() << "input " << i << " has no shape";
}

static LogicalResult reshapeOp(Importer &imp) {
  if (failed(imp.checkAttrs({"allowzero"})))
    return failure();
  FailureOr<SmallVector<int64_t>> in = inputShape(imp, 0);
  FailureOr<std::vector<int64_t>> target = imp.constInts(1, "shape");
  if (failed(in) || failed(target))
    return failure();
  bool allowZero = imp.attrInt("allowzero", 0);
  SmallVector<int64_t> shape;
  int64_t inferred = -1;
  for (auto [i, d] : llvm::enumerate(*target)) {
    if (d == 0 && !allowZero) {
      if (i >= in->size())
        return imp.nodeError() << "shape copies a missing dimension";
      d = (*in)[i];
    }
    if (d == -1) {
      if (inferred >= 0)
        return imp.nodeError() << "shape has more than one -1";
      inferred = i;
      d = 1;
    } else if (d < 0) {
      return imp.nodeError() << "bad dimension " << d << " in shape";
    }
    shape.push_back(d);
  }
  if (inferred >= 0) {
    int64_t known = product(shape);
    if (known == 0 || product(*in) % known)
      return imp.nodeError() << "cannot infer the -1 dimension";
    shape[inferred] = product(*in) / known;
  }
  if (product(shape) != product(*in))
    return imp.nodeError() << "cannot reshape [" << llvm::interleaved(*in, "x")
                           << "] to [" << llvm::interleaved(shape, "x") << "]";
  return reshapeOutput(imp, shape);
}

static LogicalResult flattenOp(Importer &imp) {
  if (failed(imp.checkAttrs({"axis"})))
    return failure();
  FailureOr<SmallVector<int64_t>> in = inputShape(imp, 0);
  if (failed(in))
    return failure();
  int64_t rank = in->size();
  int64_t axis = normAxis(imp.attrInt("axis", 1), rank);
  if (axis < 0 || axis > rank)
    return imp.nodeError() << "axis out of range";
  return reshapeOutput(imp, {product(ArrayRef<int64_t>(*in).take_front(axis)),
                             product(ArrayRef<int64_t>(*in).drop_front(axis))});
}

static FailureOr<std::vector<int64_t>> axesOf(Importer &imp, bool required) {
  if (imp.hasInput(1))
    return imp.constInts(1, "axes");
  if (auto axes = imp.attrInts("axes"))
    return *axes;
  if (required)
    return imp.nodeError() << "missing axes";
  return std::vector<int64_t>();
}

static LogicalResult squeezeOp(Importer &imp, bool unsqueeze) {
  if (failed(imp.checkAttrs({"axes"})))
    return failure();
  FailureOr<SmallVector<int64_t>> in = inputShape(imp, 0);
  FailureOr<std::vector<int64_t>> axes = axesOf(imp, unsqueeze);
  if (failed(in) || failed(axes))
    return failure();
  SmallVector<int64_t> shape;
  if (unsqueeze) {
    int64_t rank = in->size() + axes->size();
    SmallVector<bool> isNew(rank, false);
    for (int64_t a : *axes) {
      a = normAxis(a, rank);
      if (a < 0 || a >= rank || isNew[a])
        return imp.nodeError() << "bad axes";
      isNew[a] = true;
    }
    size_t j = 0;
    for (int64_t i = 0; i < rank; ++i)
      shape.push_back(isNew[i] ? 1 : (*in)[j++]);
  } else {
    int64_t rank = in->size();
    SmallVector<bool> drop(rank, false);
    for (int64_t a : *axes) {
      a = normAxis(a, rank);
      if (a < 0 || a >= rank || (*in)[a] != 1)
        return imp.nodeError() << "cannot squeeze axis " << a;
      drop[a] = true;
    }
    for (int64_t i = 0; i < rank; ++i)
      if (axes->empty() ? (*in)[i] != 1 : !drop[i])
        shape.push_back((*in)[i]);
  }
  return reshapeOutput(imp, shape);
}

static LogicalResult transposeOp(Importer &imp) {
  if (failed(imp.checkAttrs({"perm"})))
    return failure();
  FailureOr<Value> x = imp.input(0);
  if (failed(x))
    return failure();
  int64_t rank = shapeOf(*x).size();
  SmallVector<int32_t> perms;
  if (auto p = imp.attrInts("perm")) {
    for (int64_t v : *p)
      perms.push_back(int32_t(v));
  } else {
    for (int64_t i = rank - 1; i >= 0; --i)
      perms.push_back(int32_t(i));
  }
  SmallVector<int32_t> sorted(perms);
  llvm::sort(sorted);
  for (int64_t i = 0; i < rank; ++i)
    if (int64_t(sorted.size()) != rank || sorted[i] != i)
      return imp.nodeError() << "perm is not a permutation";
  return imp.setOutput(0, transposeBy(imp.b, imp.loc, *x, perms),
                       imp.inputInfo(0)->onnxType);
}

static LogicalResult concatOp(Importer &imp) {
  if (failed(imp.checkAttrs({"axis"})))
    return failure();
  FailureOr<SmallVector<int64_t>> first = inputShape(imp, 0);
  if (failed(first))
    return failure();
  int64_t rank = first->size();
  int64_t axis = normAxis(imp.attrInt("axis", 0), rank);
  if (axis < 0 || axis >= rank)
    return imp.nodeError() << "axis out of range";
  if (allConstInts(imp)) {
    auto result = std::make_shared<HostTensor>();
    result->type = imp.constInput(0)->type;
    if (rank != 1)
      return imp.nodeError() << "folding a constant concat of rank " << rank
                             << " is not supported";
    for (unsigned i = 0; i < imp.numInputs(); ++i)
      llvm::append_range(result->ints, imp.constInput(i)->ints);
    result->shape = {int64_t(result->ints.size())};
    return setConstOutput(imp, 0, result);
  }
  SmallVector<Value> inputs;
  SmallVector<int64_t> shape(*first);
  shape[axis] = 0;
  for (unsigned i = 0; i < imp.numInputs(); ++i) {
    FailureOr<Value> v = imp.input(i);
    if (failed(v))
      return failure();
    if (shapeOf(*v).size() != size_t(rank))
      return imp.nodeError() << "inputs have different ranks";
    shape[axis] += shapeOf(*v)[axis];
    if (shapeOf(*v)[axis] != 0)
      inputs.push_back(*v);
  }
  Value result = tosa::ConcatOp::create(
      imp.b, imp.loc, tensorType(shape, elementTypeOf(inputs[0])), inputs,
      uint32_t(axis));
  return imp.setOutput(0, result, imp.inputInfo(0)->onnxType);
}

static LogicalResult shapeOp(Importer &imp) {
  if (failed(imp.checkAttrs({"start", "end"})))
    return failure();
  FailureOr<SmallVector<int64_t>> in = inputShape(imp, 0);
  if (failed(in))
    return failure();
  int64_t rank = in->size();
  int64_t start =
      std::clamp<int64_t>(normAxis(imp.attrInt("start", 0), rank), 0, rank);
  int64_t end =
      std::clamp<int64_t>(normAxis(imp.attrInt("end", rank), rank), 0, rank);
  auto result = std::make_shared<HostTensor>();
  result->type = kInt64;
  for (int64_t i = start; i < end; ++i)
    result->ints.push_back((*in)[i]);
  result->shape = {int64_t(result->ints.size())};
  return setConstOutput(imp, 0, result);
}

static LogicalResult sizeOp(Importer &imp) {
  if (failed(imp.checkAttrs({})))
    return failure();
  FailureOr<SmallVector<int64_t>> in = inputShape(imp, 0);
  if (failed(in))
    return failure();
  auto result = std::make_shared<HostTensor>();
  result->type = kInt64;
  result->ints.push_back(product(*in));
  return setConstOutput(imp, 0, result);
}

static LogicalResult constantOfShapeOp(Importer &imp) {
  if (failed(imp.checkAttrs({"value"})))
    return failure();
  FailureOr<std::vector<int64_t>> shape = imp.constInts(0, "shape");
  if (failed(shape))
    return failure();
  for (int64_t d : *shape)
    if (d < 0)
      return imp.nodeError() << "shape has a negative dim " << d;
  std::shared_ptr<HostTensor> value;
  if (const onnx::AttributeProto *a = imp.attr("value")) {
    FailureOr<std::shared_ptr<HostTensor>> t = imp.readTensor(a->t());
    if (failed(t))
      return failure();
    value = *t;
    if (value->getNumElements() != 1)
      return imp.nodeError() << "value must have one element";
  } else {
    value = std::make_shared<HostTensor>();
    value->type = kFloat;
    float zero = 0.0f;
    value->floats = {zero};
    value->raw.assign(reinterpret_cast<char *>(&zero),
                      reinterpret_cast<char *>(&zero) + 4);
  }
  auto result = std::make_shared<HostTensor>();
  result->type = value->type;
  result->shape.assign(shape->begin(), shape->end());
  int64_t n = product(result->shape);
  if (value->isFloat()) {
    result->floats.assign(n, value->floats[0]);
    for (int64_t i = 0; i < n; ++i)
      result->raw.insert(result->raw.end(), value->raw.begin(),
                         value->raw.end());
  } else {
    result->ints.assign(n, value->ints[0]);
  }
  return setConstOutput(imp, 0, result);
}

static LogicalResult constantOp(Importer &imp) {
  auto result = std::make_shared<HostTensor>();
  if (const onnx::AttributeProto *a = imp.attr("value")) {
    FailureOr<std::shared_ptr<HostTensor>> t = imp.readTensor(a->t());
    if (failed(t))
      return failure();
    result = *t;
  } else if (const onnx::AttributeProto *a = imp.attr("value_float")) {
    result->type = kFloat;
    float f = a->f();
    result->floats = {f};
    result->raw.assign(reinterpret_cast<char *>(&f),
                       reinterpret_cast<char *>(&f) + 4);
  } else if (const onnx::AttributeProto *a = imp.attr("value_floats")) {
    result->type = kFloat;
    result->shape = {int64_t(a->floats_size())};
    for (float f : a->floats()) {
      result->floats.push_back(f);
      result->raw.insert(result->raw.end(), reinterpret_cast<char *>(&f),
                         reinterpret_cast<char *>(&f) + 4);
    }
  } else if (const onnx::AttributeProto *a = imp.attr("value_int")) {
    result->type = kInt64;
    result->ints = {a->i()};
  } else if (const onnx::AttributeProto *a = imp.attr("value_ints")) {
    result->type = kInt64;
    result->ints.assign(a->ints().begin(), a->ints().end());
    result->shape = {int64_t(result->ints.size())};
  } else {
    return imp.nodeError() << "unsupported Constant form (sparse_value or "
                              "strings)";
  }
  return setConstOutput(imp, 0, result);
}

static LogicalResult castOp(Importer &imp) {
  if (failed(imp.checkAttrs({"to", "saturate"})))
    return failure();
  int32_t to = imp.attrInt("to", 0);
  FailureOr<Type> toType = imp.mlirType(to);
  if (failed(toType) || to == kInt4 || to == kUint4)
    return imp.nodeError() << "unsupported target type " << onnxTypeName(to);
  HostTensor *c = imp.constInput(0);
  if (c && !c->isFloat() && isOnnxIntegerType(to)) {
    auto result = std::make_shared<HostTensor>(*c);
    result->type = to;
    if (to == kBool)
      for (int64_t &v : result->ints)
        v = v != 0;
    return setConstOutput(imp, 0, result);
  }
  FailureOr<Value> x = imp.input(0);
  if (failed(x))
    return failure();
  Type from = elementTypeOf(*x);
  Type target = *toType;
  int32_t fromOnnx = imp.inputInfo(0)->onnxType;
  bool fromUnsigned = isOnnxUnsigned(fromOnnx);
  bool toUnsigned = isOnnxUnsigned(to);
  if (from == target)
    return imp.setOutput(0, *x, to);
  auto type = tensorType(shapeOf(*x), target);
  Value result = buildGeneric(
      imp.b, imp.loc, {*x}, type,
      [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
        Value v = args[0];
        bool fromFloat = isa<FloatType>(from), toFloat = isa<FloatType>(target);
        if (fromFloat && toFloat) {
          if (from.getIntOrFloatBitWidth() < target.getIntOrFloatBitWidth())
            return arith::ExtFOp::create(nb, l, target, v);
          if (from.isF32() && target.isBF16() && imp.opset < 19) {
            // Before Cast-19 ONNX's reference truncated f32 to bf16 (the
            // upper 16 bits); a NaN stays a quiet NaN.
            Type i32 = nb.getI32Type(), i16 = nb.getI16Type();
            Value bits = arith::BitcastOp::create(nb, l, i32, v);
            Value hi = arith::ShRUIOp::create(
                nb, l, bits,
                arith::ConstantOp::create(nb, l, nb.getI32IntegerAttr(16)));
            Value truncated = arith::BitcastOp::create(
                nb, l, target, arith::TruncIOp::create(nb, l, i16, hi));
            Value isNan =
                arith::CmpFOp::create(nb, l, arith::CmpFPredicate::UNO, v, v);
            Value nan = arith::ConstantOp::create(
                nb, l,
                nb.getFloatAttr(target, APFloat::getQNaN(APFloat::BFloat())));
            return arith::SelectOp::create(nb, l, isNan, nan, truncated);
          }
          return arith::TruncFOp::create(nb, l, target, v);
        }
        if (target.isInteger(1)) {
          if (fromFloat) {
            Value zero = arith::ConstantOp::create(nb, l, from,
                                                   nb.getFloatAttr(from, 0.0));
            return arith::CmpFOp::create(nb, l, arith::CmpFPredicate::UNE, v,
                                         zero);
          }
          Value zero = arith::ConstantOp::create(nb, l, from,
                                                 nb.getIntegerAttr(from, 0));
          return arith::CmpIOp::create(nb, l, arith::CmpIPredicate::ne, v,
                                       zero);
        }
        if (fromFloat) {
          if (toUnsigned)
            return arith::FPToUIOp::create(nb, l, target, v);
          return arith::FPToSIOp::create(nb, l, target, v);
        }
        if (toFloat) {
          if (fromUnsigned)
            return arith::UIToFPOp::create(nb, l, target, v);
          return arith::SIToFPOp::create(nb, l, target, v);
        }
        unsigned fw = from.getIntOrFloatBitWidth(),
                 tw = target.getIntOrFloatBitWidth();
        if (fw < tw) {
          if (fromUnsigned)
            return arith::ExtUIOp::create(nb, l, target, v);
          return arith::ExtSIOp::create(nb, l, target, v);
        }
        return arith::TruncIOp::create(nb, l, target, v);
      });
  return imp.setOutput(0, result, to);
}

static LogicalResult gatherOp(Importer &imp) {
  if (failed(imp.checkAttrs({"axis"})))
    return failure();
  FailureOr<SmallVector<int64_t>> dataShape = inputShape(imp, 0);
  if (failed(dataShape))
    return failure();
  int64_t rank = dataShape->size();
  int64_t axis = normAxis(imp.attrInt("axis", 0), rank);
  if (axis < 0 || axis >= rank)
    return imp.nodeError() << "axis out of range";
  int64_t dim = (*dataShape)[axis];
  HostTensor *data = imp.constInput(0);
  HostTensor *indices = imp.constInput(1);
  if (data && indices && !data->isFloat() && rank == 1) {
    auto result = std::make_shared<HostTensor>();
    result->type = data->type;
    result->shape = indices->shape;
    for (int64_t i : indices->ints) {
      if (i < -dim || i >= dim)
        return imp.nodeError() << "index " << i << " out of range";
      result->ints.push_back(data->ints[i < 0 ? i + dim : i]);
    }
    return setConstOutput(imp, 0, result);
  }
  FailureOr<Value> d = imp.input(0), idx = imp.input(1);
  if (failed(d) || failed(idx))
    return failure();
  OpBuilder &b = imp.b;
  Location loc = imp.loc;
  ArrayRef<int64_t> idxShape = shapeOf(*idx);
  int64_t idxRank = idxShape.size();
  SmallVector<int64_t> outShape(dataShape->begin(), dataShape->begin() + axis);
  outShape.append(idxShape.begin(), idxShape.end());
  outShape.append(dataShape->begin() + axis + 1, dataShape->end());
  int64_t outRank = outShape.size();
  auto type = tensorType(outShape, elementTypeOf(*d));
  SmallVector<AffineExpr> idxExprs;
  for (int64_t i = 0; i < idxRank; ++i)
    idxExprs.push_back(b.getAffineDimExpr(axis + i));
  SmallVector<AffineMap> maps = {
      AffineMap::get(outRank, 0, idxExprs, b.getContext()),
      b.getMultiDimIdentityMap(outRank)};
  SmallVector<utils::IteratorType> iterators(outRank,
                                             utils::IteratorType::parallel);
  Value init = tensor::EmptyOp::create(b, loc, outShape, elementTypeOf(*d));
  Value dataValue = *d;
  auto generic = linalg::GenericOp::create(
      b, loc, type, ValueRange{*idx}, init, maps, iterators,
      [&](OpBuilder &nb, Location l, ValueRange args) {
        Value i = arith::IndexCastOp::create(nb, l, nb.getIndexType(), args[0]);
        Value zero = arith::ConstantIndexOp::create(nb, l, 0);
        Value size = arith::ConstantIndexOp::create(nb, l, dim);
        Value neg =
            arith::CmpIOp::create(nb, l, arith::CmpIPredicate::slt, i, zero);
        Value wrapped = arith::AddIOp::create(nb, l, i, size);
        i = arith::SelectOp::create(nb, l, neg, wrapped, i);
        SmallVector<Value> coords;
        for (int64_t j = 0; j < axis; ++j)
          coords.push_back(linalg::IndexOp::create(nb, l, j));
        coords.push_back(i);
        for (int64_t j = axis + 1; j < rank; ++j)
          coords.push_back(linalg::IndexOp::create(nb, l, j - 1 + idxRank));
        Value v = tensor::ExtractOp::create(nb, l, dataValue, coords);
        linalg::YieldOp::create(nb, l, v);
      });
  return imp.setOutput(0, generic.getResult(0), imp.inputInfo(0)->onnxType);
}

static LogicalResult sliceOp(Importer &imp) {
  FailureOr<SmallVector<int64_t>> in = inputShape(imp, 0);
  if (failed(in))
    return failure();
  int64_t rank = in->size();
  std::vector<int64_t> starts, ends, axes, steps;
  if (imp.opset < 10) {
    if (failed(imp.checkAttrs({"starts", "ends", "axes"})))
      return failure();
    starts = imp.attrInts("starts").value_or(std::vector<int64_t>());
    ends = imp.attrInts("ends").value_or(std::vector<int64_t>());
    axes = imp.attrInts("axes").value_or(std::vector<int64_t>());
  } else {
    if (failed(imp.checkAttrs({})))
      return failure();
    FailureOr<std::vector<int64_t>> s = imp.constInts(1, "starts"),
                                    e = imp.constInts(2, "ends");
    if (failed(s) || failed(e))
      return failure();
    starts = *s;
    ends = *e;
    if (imp.hasInput(3)) {
      FailureOr<std::vector<int64_t>> a = imp.constInts(3, "axes");
      if (failed(a))
        return failure();
      axes = *a;
    }
    if (imp.hasInput(4)) {
      FailureOr<std::vector<int64_t>> st = imp.constInts(4, "steps");
      if (failed(st))
        return failure();
      steps = *st;
    }
  }
  if (axes.empty())
    for (size_t i = 0; i < starts.size(); ++i)
      axes.push_back(i);
  if (steps.empty())
    steps.assign(starts.size(), 1);
  if (ends.size() != starts.size() || axes.size() != starts.size() ||
      steps.size() != starts.size())
    return imp.nodeError() << "starts, ends, axes and steps differ in length";
  SmallVector<int64_t> offsets(rank, 0), sizes(*in), strides(rank, 1);
  SmallVector<int32_t> reversed; // Axes sliced with a negative step.
  for (size_t i = 0; i < starts.size(); ++i) {
    int64_t axis = normAxis(axes[i], rank);
    if (axis < 0 || axis >= rank)
      return imp.nodeError() << "axis out of range";
    int64_t dim = (*in)[axis], step = steps[i];
    if (step == 0)
      return imp.nodeError() << "a zero step is not allowed";
    int64_t start = starts[i] < 0 ? starts[i] + dim : starts[i];
    int64_t end = ends[i] < 0 ? ends[i] + dim : ends[i];
    if (step > 0) {
      start = std::clamp<int64_t>(start, 0, dim);
      end = std::clamp<int64_t>(end, 0, dim);
      sizes[axis] = end > start ? (end - start + step - 1) / step : 0;
      // An empty slice may start at the end of the dim (start clamped from
      // out of bounds); tensor.extract_slice wants offsets inside the dim.
      offsets[axis] = sizes[axis] == 0 ? 0 : start;
      strides[axis] = step;
      continue;
    }
    // Negative step: take the same elements in ascending order (from the
    // last one reached), then reverse the axis.
    start = std::clamp<int64_t>(start, 0, dim - 1);
    end = std::clamp<int64_t>(end, -1, dim - 1);
    sizes[axis] = start > end ? (start - end - step - 1) / -step : 0;
    offsets[axis] = sizes[axis] == 0 ? 0 : start + (sizes[axis] - 1) * step;
    strides[axis] = -step;
    if (sizes[axis] > 1)
      reversed.push_back(axis);
  }
  HostTensor *c = imp.constInput(0);
  if (c && !c->isFloat() && rank == 1) {
    if (!reversed.empty()) {
      offsets[0] += (sizes[0] - 1) * strides[0];
      strides[0] = -strides[0];
    }
    auto result = std::make_shared<HostTensor>();
    result->type = c->type;
    for (int64_t i = 0; i < sizes[0]; ++i)
      result->ints.push_back(c->ints[offsets[0] + i * strides[0]]);
    result->shape = {sizes[0]};
    return setConstOutput(imp, 0, result);
  }
  FailureOr<Value> x = imp.input(0);
  if (failed(x))
    return failure();
  auto type = tensorType(sizes, elementTypeOf(*x));
  Value result = tensor::ExtractSliceOp::create(
      imp.b, imp.loc, type, *x, ValueRange{}, ValueRange{}, ValueRange{},
      offsets, sizes, strides);
  for (int32_t axis : reversed)
    result = tosa::ReverseOp::create(imp.b, imp.loc, type, result,
                                     imp.b.getI32IntegerAttr(axis));
  return imp.setOutput(0, result, imp.inputInfo(0)->onnxType);
}

//===----------------------------------------------------------------------===//
// Convolution and pooling (2-D, NCHW, through NHWC TOSA ops)
//===----------------------------------------------------------------------===//

LogicalResult onnx_import::computeWindow(Importer &imp, ArrayRef<int64_t> inHW,
                                         ArrayRef<int64_t> kernel, Window &w,
                                         bool ceilMode, bool allowUnusedInput) {
  w.kernel.assign(kernel.begin(), kernel.end());
  std::vector<int64_t> strides =
      imp.attrInts("strides").value_or(std::vector<int64_t>{1, 1});
  std::vector<int64_t> dilations =
      imp.attrInts("dilations").value_or(std::vector<int64_t>{1, 1});
  w.stride.assign(strides.begin(), strides.end());
  w.dilation.assign(dilations.begin(), dilations.end());
  std::vector<int64_t> pads =
      imp.attrInts("pads").value_or(std::vector<int64_t>{0, 0, 0, 0});
  if (w.stride.size() != 2 || w.dilation.size() != 2 || pads.size() != 4)
    return imp.nodeError() << "strides / dilations / pads do not match a 2-D "
                              "window";
  std::string autoPad = imp.attrString("auto_pad", "NOTSET");
  w.pad = {pads[0], pads[2], pads[1], pads[3]};
  for (int i = 0; i < 2; ++i) {
    int64_t dk = (w.kernel[i] - 1) * w.dilation[i] + 1;
    if (autoPad == "VALID") {
      w.pad[2 * i] = w.pad[2 * i + 1] = 0;
    } else if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
      int64_t out = (inHW[i] + w.stride[i] - 1) / w.stride[i];
      int64_t total =
          std::max<int64_t>(0, (out - 1) * w.stride[i] + dk - inHW[i]);
      int64_t small = total / 2, large = total - small;
      w.pad[2 * i] = autoPad == "SAME_UPPER" ? small : large;
      w.pad[2 * i + 1] = autoPad == "SAME_UPPER" ? large : small;
    } else if (autoPad != "NOTSET") {
      return imp.nodeError() << "unsupported auto_pad '" << autoPad << "'";
    }
    int64_t span = inHW[i] + w.pad[2 * i] + w.pad[2 * i + 1] - dk;
    if (span < 0)
      return imp.nodeError() << "the window is larger than the padded input";
    int64_t rem = span % w.stride[i];
    if (rem && ceilMode)
      return imp.nodeError() << "ceil_mode = 1 with a partial last window is "
                                "not supported";
    if (rem > w.pad[2 * i + 1] && !allowUnusedInput)
      return imp.nodeError() << "a stride that leaves unused input rows "
                                "beyond the padding is not supported";
    w.pad[2 * i + 1] -= std::min(rem, w.pad[2 * i + 1]);
    w.outHW.push_back(span / w.stride[i] + 1);
  }
  return success();
}

static LogicalResult convOp(Importer &imp) {
  if (failed(imp.checkAttrs({"auto_pad", "dilations", "group", "kernel_shape",
                             "pads", "strides"})))
    return failure();
  FailureOr<Value> x = imp.input(0), wv = imp.input(1);
  if (failed(x) || failed(wv))
    return failure();
  OpBuilder &b = imp.b;
  Location loc = imp.loc;
  ArrayRef<int64_t> xs = shapeOf(*x), ws = shapeOf(*wv);
  if (xs.size() != 4 || ws.size() != 4)
    return imp.nodeError() << "only 2-D convolutions (NCHW) are supported";
  Type elementType = elementTypeOf(*x);
  if (!isa<FloatType>(elementType))
    return imp.nodeError() << "integer Conv is not supported";
  int64_t n = xs[0], c = xs[1], o = ws[0];
  int64_t group = imp.attrInt("group", 1);
  Window w;
  if (failed(computeWindow(imp, xs.drop_front(2), ws.drop_front(2), w)))
    return failure();
  Value bias;
  if (imp.hasInput(2)) {
    FailureOr<Value> bv = imp.input(2);
    if (failed(bv))
      return failure();
    bias = *bv;
  } else {
    bias = splatConst(b, loc, {o}, elementType, 0.0);
  }
  Value nhwc = transposeBy(b, loc, *x, {0, 2, 3, 1});
  auto outType = tensorType({n, w.outHW[0], w.outHW[1], o}, elementType);
  Value zp = zeroPoint(b, loc, elementType);
  auto accType = TypeAttr::get(elementType.isF16() ? Type(b.getF16Type())
                                                   : Type(b.getF32Type()));
  Value out;
  if (group == 1) {
    if (ws[1] != c)
      return imp.nodeError() << "weight channels " << ws[1]
                             << " do not match input channels " << c;
    Value ohwi = transposeBy(b, loc, *wv, {0, 2, 3, 1});
    out = tosa::Conv2DOp::create(b, loc, outType, nhwc, ohwi, bias, zp, zp,
                                 b.getDenseI64ArrayAttr(w.pad),
                                 b.getDenseI64ArrayAttr(w.stride),
                                 b.getDenseI64ArrayAttr(w.dilation), accType);
  } else if (group == c && ws[1] == 1 && o % c == 0) {
    int64_t mult = o / c;
    Value r = reshapeTo(b, loc, *wv, {c, mult, ws[2], ws[3]});
    Value hwcm = transposeBy(b, loc, r, {2, 3, 0, 1});
    out = tosa::DepthwiseConv2DOp::create(
        b, loc, outType, nhwc, hwcm, bias, zp, zp,
        b.getDenseI64ArrayAttr(w.pad), b.getDenseI64ArrayAttr(w.stride),
        b.getDenseI64ArrayAttr(w.dilation), accType);
  } else {
    return imp.nodeError() << "grouped convolution with group = " << group
                           << " is not supported (only 1 and depthwise)";
  }
  return imp.setOutput(0, transposeBy(b, loc, out, {0, 3, 1, 2}));
}

/// An N-D pooling window in ONNX terms (NC + spatial dims): explicit
/// begin / end pads and the output size, with ceil_mode's partial last
/// window allowed.
struct NdWindow {
  SmallVector<int64_t> kernel, stride, dilation, padBegin, padEnd, out;
};

static LogicalResult computeNdWindow(Importer &imp, ArrayRef<int64_t> in,
                                     ArrayRef<int64_t> kernel, bool ceilMode,
                                     NdWindow &w) {
  size_t d = in.size();
  w.kernel.assign(kernel.begin(), kernel.end());
  std::vector<int64_t> ones(d, 1), zeros(2 * d, 0);
  std::vector<int64_t> strides = imp.attrInts("strides").value_or(ones);
  std::vector<int64_t> dilations = imp.attrInts("dilations").value_or(ones);
  std::vector<int64_t> pads = imp.attrInts("pads").value_or(zeros);
  if (strides.size() != d || dilations.size() != d || pads.size() != 2 * d)
    return imp.nodeError() << "strides / dilations / pads do not match a " << d
                           << "-D window";
  std::string autoPad = imp.attrString("auto_pad", "NOTSET");
  for (size_t i = 0; i < d; ++i) {
    int64_t s = strides[i], dk = (kernel[i] - 1) * dilations[i] + 1;
    if (s <= 0 || dilations[i] <= 0 || kernel[i] <= 0)
      return imp.nodeError() << "kernel_shape, strides and dilations must be "
                                "positive";
    int64_t pb = pads[i], pe = pads[i + d], out;
    if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
      out = (in[i] + s - 1) / s;
      int64_t total = std::max<int64_t>(0, (out - 1) * s + dk - in[i]);
      int64_t small = total / 2, large = total - small;
      pb = autoPad == "SAME_UPPER" ? small : large;
      pe = autoPad == "SAME_UPPER" ? large : small;
    } else {
      if (autoPad == "VALID")
        pb = pe = 0;
      else if (autoPad != "NOTSET")
        return imp.nodeError() << "unsupported auto_pad '" << autoPad << "'";
      int64_t span = in[i] + pb + pe - dk;
      if (span < 0)
        return imp.nodeError() << "the window is larger than the padded input";
      out = (ceilMode ? (span + s - 1) / s : span / s) + 1;
      // A ceil_mode window must start inside the input or its begin pad.
      if (ceilMode && (out - 1) * s >= in[i] + pb)
        --out;
    }
    w.stride.push_back(s);
    w.dilation.push_back(dilations[i]);
    w.padBegin.push_back(pb);
    w.padEnd.push_back(pe);
    w.out.push_back(out);
  }
  return success();
}

/// The padding value of a max pool: -inf, or the type's lowest integer.
static TypedAttr lowestAttr(OpBuilder &b, Type t, bool isUnsigned) {
  if (auto ft = dyn_cast<FloatType>(t))
    return b.getFloatAttr(
        ft, APFloat::getInf(ft.getFloatSemantics(), /*Negative=*/true));
  unsigned bits = t.getIntOrFloatBitWidth();
  return b.getIntegerAttr(t, isUnsigned ? APInt::getZero(bits)
                                        : APInt::getSignedMinValue(bits));
}

/// MaxPool / AveragePool of any rank as a linalg.generic over the padded
/// input and the window: dilations, ceil_mode, count_include_pad and the
/// Indices output included. The average divides by a host-computed count
/// of the window elements that lie inside the input (or inside the padded
/// input with count_include_pad), so partial ceil_mode windows average
/// over what they cover, as in ONNX.
static LogicalResult poolOp(Importer &imp, bool isMax) {
  if (failed(imp.checkAttrs({"auto_pad", "ceil_mode", "count_include_pad",
                             "dilations", "kernel_shape", "pads",
                             "storage_order", "strides"})))
    return failure();
  FailureOr<Value> x = imp.input(0);
  if (failed(x))
    return failure();
  OpBuilder &b = imp.b;
  Location loc = imp.loc;
  SmallVector<int64_t> xs(shapeOf(*x));
  if (xs.size() < 3)
    return imp.nodeError() << "input must have rank >= 3 (N, C, spatial)";
  size_t d = xs.size() - 2;
  auto kernel = imp.attrInts("kernel_shape");
  if (!kernel || kernel->size() != d)
    return imp.nodeError() << "kernel_shape must have " << d << " entries";
  NdWindow w;
  if (failed(computeNdWindow(imp, ArrayRef<int64_t>(xs).drop_front(2), *kernel,
                             imp.attrInt("ceil_mode", 0), w)))
    return failure();
  bool withIndices = isMax && imp.hasOutput(1);
  int64_t storageOrder = imp.attrInt("storage_order", 0);
  if (withIndices && storageOrder && d != 2)
    return imp.nodeError() << "storage_order = 1 needs a 2-D window";
  Type elementType = elementTypeOf(*x);
  bool isUnsigned = isOnnxUnsigned(imp.inputInfo(0)->onnxType);
  if (!isMax && !isa<FloatType>(elementType))
    return imp.nodeError() << "AveragePool needs a float input";

  // The common 2-D case stays on the TOSA ops (NHWC), which the backends
  // know: no dilation or Indices, no partial ceil_mode window, padding not
  // counted, and only pad rows past the last window.
  bool includePad = imp.attrInt("count_include_pad", 0);
  bool hasPad = llvm::any_of(w.padBegin, [](int64_t p) { return p; }) ||
                llvm::any_of(w.padEnd, [](int64_t p) { return p; });
  bool tosaPool = d == 2 && !withIndices && (isMax || !includePad || !hasPad);
  SmallVector<int64_t> tosaPad; // t, b, l, r
  for (size_t i = 0; i < d && tosaPool; ++i) {
    int64_t span = xs[i + 2] + w.padBegin[i] + w.padEnd[i] - w.kernel[i];
    int64_t rem = span % w.stride[i];
    tosaPool = w.dilation[i] == 1 && w.out[i] == span / w.stride[i] + 1 &&
               rem <= w.padEnd[i];
    tosaPad.append({w.padBegin[i], w.padEnd[i] - rem});
  }
  if (tosaPool) {
    Value nhwc = transposeBy(b, loc, *x, {0, 2, 3, 1});
    auto outType = tensorType({xs[0], w.out[0], w.out[1], xs[1]}, elementType);
    Value out;
    if (isMax) {
      out = tosa::MaxPool2dOp::create(
          b, loc, outType, nhwc, b.getDenseI64ArrayAttr(w.kernel),
          b.getDenseI64ArrayAttr(w.stride), b.getDenseI64ArrayAttr(tosaPad));
    } else {
      Value zp = zeroPoint(b, loc, elementType);
      out = tosa::AvgPool2dOp::create(
          b, loc, outType, nhwc, zp, zp, b.getDenseI64ArrayAttr(w.kernel),
          b.getDenseI64ArrayAttr(w.stride), b.getDenseI64ArrayAttr(tosaPad),
          TypeAttr::get(b.getF32Type()));
    }
    return imp.setOutput(0, transposeBy(b, loc, out, {0, 3, 1, 2}),
                         imp.inputInfo(0)->onnxType);
  }

  // Pad so that every window lies inside the padded tensor.
  SmallVector<int64_t> lows(2, 0), highs(2, 0),
      padded(xs.begin(), xs.begin() + 2);
  for (size_t i = 0; i < d; ++i) {
    int64_t dk = (w.kernel[i] - 1) * w.dilation[i] + 1;
    int64_t need = (w.out[i] - 1) * w.stride[i] + dk;
    lows.push_back(w.padBegin[i]);
    highs.push_back(std::max<int64_t>(0, need - xs[i + 2] - w.padBegin[i]));
    padded.push_back(xs[i + 2] + lows.back() + highs.back());
  }
  Value src = *x;
  if (llvm::any_of(lows, [](int64_t v) { return v; }) ||
      llvm::any_of(highs, [](int64_t v) { return v; })) {
    TypedAttr padAttr = isMax ? lowestAttr(b, elementType, isUnsigned)
                              : cast<TypedAttr>(b.getZeroAttr(elementType));
    Value padValue = arith::ConstantOp::create(b, loc, padAttr);
    src = tensor::PadOp::create(b, loc, tensorType(padded, elementType), src,
                                getAsIndexOpFoldResult(b.getContext(), lows),
                                getAsIndexOpFoldResult(b.getContext(), highs),
                                padValue);
  }

  // Loops: n, c, out_0..out_d-1 (parallel), k_0..k_d-1 (reduction).
  unsigned loops = 2 + 2 * d;
  MLIRContext *ctx = b.getContext();
  SmallVector<AffineExpr> inExprs = {getAffineDimExpr(0, ctx),
                                     getAffineDimExpr(1, ctx)};
  SmallVector<AffineExpr> winExprs, outExprs = inExprs;
  for (size_t i = 0; i < d; ++i) {
    AffineExpr o = getAffineDimExpr(2 + i, ctx),
               k = getAffineDimExpr(2 + d + i, ctx);
    inExprs.push_back(o * w.stride[i] + k * w.dilation[i]);
    winExprs.push_back(k);
    outExprs.push_back(o);
  }
  SmallVector<AffineMap> maps = {AffineMap::get(loops, 0, inExprs, ctx),
                                 AffineMap::get(loops, 0, winExprs, ctx),
                                 AffineMap::get(loops, 0, outExprs, ctx)};
  SmallVector<utils::IteratorType> iterators(2 + d,
                                             utils::IteratorType::parallel);
  iterators.append(d, utils::IteratorType::reduction);
  SmallVector<int64_t> outShape = {xs[0], xs[1]};
  outShape.append(w.out.begin(), w.out.end());
  Value window = tensor::EmptyOp::create(b, loc, w.kernel, elementType);

  auto filled = [&](Type t, TypedAttr value) -> Value {
    Value init = tensor::EmptyOp::create(b, loc, outShape, t);
    Value v = arith::ConstantOp::create(b, loc, value);
    return linalg::FillOp::create(b, loc, v, init).getResult(0);
  };
  if (isMax) {
    SmallVector<Value> inits = {
        filled(elementType, lowestAttr(b, elementType, isUnsigned))};
    SmallVector<Type> resultTypes = {tensorType(outShape, elementType)};
    Type i64 = b.getI64Type();
    if (withIndices) {
      inits.push_back(filled(i64, b.getI64IntegerAttr(0)));
      resultTypes.push_back(tensorType(outShape, i64));
      maps.push_back(maps.back());
    }
    auto generic = linalg::GenericOp::create(
        b, loc, resultTypes, ValueRange{src, window}, inits, maps, iterators,
        [&](OpBuilder &nb, Location nl, ValueRange args) {
          Value v = args[0], cur = args[2];
          Value better;
          if (isa<FloatType>(elementType))
            better = arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OGT, v,
                                           cur);
          else
            better =
                arith::CmpIOp::create(nb, nl,
                                      isUnsigned ? arith::CmpIPredicate::ugt
                                                 : arith::CmpIPredicate::sgt,
                                      v, cur);
          SmallVector<Value> yields = {
              arith::SelectOp::create(nb, nl, better, v, cur)};
          if (withIndices) {
            // The flat NCHW index of the element in the unpadded input
            // (spatial dims reversed for storage_order = 1).
            auto idx = [&](unsigned dim) {
              Value i = linalg::IndexOp::create(nb, nl, dim);
              return arith::IndexCastOp::create(nb, nl, i64, i).getResult();
            };
            auto cst = [&](int64_t c) {
              return arith::ConstantOp::create(nb, nl, nb.getI64IntegerAttr(c))
                  .getResult();
            };
            SmallVector<Value> pos;
            for (size_t i = 0; i < d; ++i) {
              Value p = arith::AddIOp::create(
                  nb, nl,
                  arith::MulIOp::create(nb, nl, idx(2 + i), cst(w.stride[i])),
                  arith::MulIOp::create(nb, nl, idx(2 + d + i),
                                        cst(w.dilation[i])));
              pos.push_back(
                  arith::SubIOp::create(nb, nl, p, cst(w.padBegin[i])));
            }
            SmallVector<int64_t> dims(xs.begin() + 2, xs.end());
            if (storageOrder) {
              std::reverse(pos.begin(), pos.end());
              std::reverse(dims.begin(), dims.end());
            }
            Value flat = arith::AddIOp::create(
                nb, nl, arith::MulIOp::create(nb, nl, idx(0), cst(xs[1])),
                idx(1));
            for (size_t i = 0; i < d; ++i)
              flat = arith::AddIOp::create(
                  nb, nl, arith::MulIOp::create(nb, nl, flat, cst(dims[i])),
                  pos[i]);
            yields.push_back(
                arith::SelectOp::create(nb, nl, better, flat, args[3]));
          }
          linalg::YieldOp::create(nb, nl, yields);
        });
    if (failed(
            imp.setOutput(0, generic.getResult(0), imp.inputInfo(0)->onnxType)))
      return failure();
    if (withIndices)
      return imp.setOutput(1, generic.getResult(1), kInt64);
    return success();
  }

  // AveragePool: window sum, then divide by the per-position count.
  Value sum =
      linalg::GenericOp::create(
          b, loc, TypeRange{tensorType(outShape, elementType)},
          ValueRange{src, window},
          ValueRange{
              filled(elementType, cast<TypedAttr>(b.getZeroAttr(elementType)))},
          maps, iterators,
          [&](OpBuilder &nb, Location nl, ValueRange args) {
            linalg::YieldOp::create(
                nb, nl,
                arith::AddFOp::create(nb, nl, args[2], args[0]).getResult());
          })
          .getResult(0);
  SmallVector<int64_t> countShape = {1, 1};
  countShape.append(w.out.begin(), w.out.end());
  // Per dim, how many of each output position's taps are counted.
  SmallVector<SmallVector<int64_t>> perDim(d);
  for (size_t i = 0; i < d; ++i) {
    int64_t lo = includePad ? 0 : w.padBegin[i];
    int64_t hi = includePad ? xs[i + 2] + w.padBegin[i] + w.padEnd[i]
                            : xs[i + 2] + w.padBegin[i];
    for (int64_t o = 0; o < w.out[i]; ++o) {
      int64_t n = 0;
      for (int64_t k = 0; k < w.kernel[i]; ++k) {
        int64_t p = o * w.stride[i] + k * w.dilation[i];
        n += p >= lo && p < hi;
      }
      perDim[i].push_back(n);
    }
  }
  SmallVector<double> counts;
  SmallVector<int64_t> at(d, 0);
  for (int64_t e = 0, total = product(w.out); e < total; ++e) {
    int64_t rest = e;
    double n = 1;
    for (size_t i = d; i-- > 0;) {
      at[i] = rest % w.out[i];
      rest /= w.out[i];
      n *= perDim[i][at[i]];
    }
    counts.push_back(std::max(n, 1.0));
  }
  auto countType = tensorType(countShape, elementType);
  SmallVector<APFloat> countValues;
  const llvm::fltSemantics &sem =
      cast<FloatType>(elementType).getFloatSemantics();
  for (double c : counts) {
    APFloat f(c);
    bool lost;
    f.convert(sem, APFloat::rmNearestTiesToEven, &lost);
    countValues.push_back(f);
  }
  Value count = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(countType, countValues));
  Value avg = buildGeneric(
      b, loc, {sum, count}, tensorType(outShape, elementType),
      [](OpBuilder &nb, Location nl, ValueRange args) {
        return arith::DivFOp::create(nb, nl, args[0], args[1]).getResult();
      });
  return imp.setOutput(0, avg, imp.inputInfo(0)->onnxType);
}

static LogicalResult globalPoolOp(Importer &imp, ReduceKind kind) {
  if (failed(imp.checkAttrs({})))
    return failure();
  FailureOr<Value> x = imp.input(0);
  if (failed(x))
    return failure();
  int64_t rank = shapeOf(*x).size();
  if (rank < 3)
    return imp.nodeError() << "input must have rank >= 3";
  SmallVector<int64_t> axes;
  for (int64_t i = 2; i < rank; ++i)
    axes.push_back(i);
  return imp.setOutput(0, reduceKeep(imp.b, imp.loc, *x, axes, kind),
                       imp.inputInfo(0)->onnxType);
}

//===----------------------------------------------------------------------===//
// Registration
//===----------------------------------------------------------------------===//

void onnx_import::registerFloatOps(
    llvm::StringMap<Importer::Handler> &handlers) {
  for (StringRef op : {"Add", "Sub", "Mul", "Div", "Pow"})
    handlers[op] = [op](Importer &imp) { return binaryOp(imp, op); };
  for (StringRef op : {"Max", "Min"})
    handlers[op] = [op](Importer &imp) { return variadicMinMaxOp(imp, op); };
  for (StringRef op :
       {"Relu", "Sigmoid", "Tanh", "Exp", "Log", "Erf", "Abs", "Floor", "Ceil",
        "Reciprocal", "Neg", "Sqrt", "LeakyRelu", "Round"})
    handlers[op] = [op](Importer &imp) { return unaryOp(imp, op); };
  handlers["Clip"] = clipOp;
  handlers["Identity"] = identityOp;
  handlers["Dropout"] = identityOp;
  handlers["MatMul"] = matmulOp;
  handlers["Gemm"] = gemmOp;
  handlers["ReduceSum"] = [](Importer &imp) {
    return reduceOp(imp, ReduceKind::Sum);
  };
  handlers["ReduceMax"] = [](Importer &imp) {
    return reduceOp(imp, ReduceKind::Max);
  };
  handlers["ReduceMin"] = [](Importer &imp) {
    return reduceOp(imp, ReduceKind::Min);
  };
  handlers["ReduceMean"] = [](Importer &imp) {
    return reduceOp(imp, ReduceKind::Mean);
  };
  handlers["Softmax"] = softmaxOp;
  handlers["LayerNormalization"] = layerNormOp;
  handlers["BatchNormalization"] = batchNormOp;
  handlers["Gelu"] = geluOp;
  handlers["Reshape"] = reshapeOp;
  handlers["Flatten"] = flattenOp;
  handlers["Squeeze"] = [](Importer &imp) { return squeezeOp(imp, false); };
  handlers["Unsqueeze"] = [](Importer &imp) { return squeezeOp(imp, true); };
  handlers["Transpose"] = transposeOp;
  handlers["Concat"] = concatOp;
  handlers["Shape"] = shapeOp;
  handlers["Size"] = sizeOp;
  handlers["ConstantOfShape"] = constantOfShapeOp;
  handlers["Constant"] = constantOp;
  handlers["Cast"] = castOp;
  handlers["Gather"] = gatherOp;
  handlers["Slice"] = sliceOp;
  handlers["Conv"] = convOp;
  handlers["MaxPool"] = [](Importer &imp) { return poolOp(imp, true); };
  handlers["AveragePool"] = [](Importer &imp) { return poolOp(imp, false); };
  handlers["GlobalAveragePool"] = [](Importer &imp) {
    return globalPoolOp(imp, ReduceKind::Mean);
  };
  handlers["GlobalMaxPool"] = [](Importer &imp) {
    return globalPoolOp(imp, ReduceKind::Max);
  };
}

//===- OnnxBuilders.cpp - IR helpers of the ONNX importer
//-------------------===//
//
// Small builders every op family uses: typed tosa constants, reshapes,
// transposes, broadcasting and the elementwise linalg.generic.
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

Value onnx_import::constShape(OpBuilder &b, Location loc,
                              ArrayRef<int64_t> shape) {
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
Value onnx_import::scalarLike(OpBuilder &b, Location loc, Value like,
                              double v) {
  SmallVector<int64_t> ones(shapeOf(like).size(), 1);
  return splatConst(b, loc, ones, elementTypeOf(like), v);
}

Value onnx_import::zeroPoint(OpBuilder &b, Location loc, Type elementType) {
  return splatConst(b, loc, {1}, elementType, 0);
}

/// Mul with the zero shift TOSA wants.
Value onnx_import::mulOp(OpBuilder &b, Location loc, Type type, Value x,
                         Value y) {
  Value shift = splatConst(b, loc, {1}, b.getIntegerType(8), 0);
  return tosa::MulOp::create(b, loc, type, x, y, shift);
}

/// linalg.generic writing into `init`; the body gets one scalar per input
/// and, with `passDest`, the destination's element last.
static Value
buildGenericImpl(OpBuilder &b, Location loc, ArrayRef<Value> inputs, Value init,
                 bool passDest,
                 function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
  auto resultType = cast<RankedTensorType>(init.getType());
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
  auto generic = linalg::GenericOp::create(
      b, loc, resultType, inputs, init, maps, iterators,
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        Value result = body(nb, nloc, passDest ? args : args.drop_back());
        linalg::YieldOp::create(nb, nloc, result);
      });
  return generic.getResult(0);
}

Value onnx_import::buildGeneric(
    OpBuilder &b, Location loc, ArrayRef<Value> inputs,
    RankedTensorType resultType,
    function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
  Value init = tensor::EmptyOp::create(b, loc, resultType.getShape(),
                                       resultType.getElementType());
  return buildGenericImpl(b, loc, inputs, init, /*passDest=*/false, body);
}

Value onnx_import::buildGenericInto(
    OpBuilder &b, Location loc, ArrayRef<Value> inputs, Value dest,
    function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
  return buildGenericImpl(b, loc, inputs, dest, /*passDest=*/true, body);
}

int64_t onnx_import::normAxis(int64_t axis, int64_t rank) {
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

LogicalResult onnx_import::setConstOutput(Importer &imp, unsigned i,
                                          std::shared_ptr<HostTensor> tensor) {
  ValueInfo info;
  info.onnxType = tensor->type;
  info.constant = std::move(tensor);
  return imp.setOutput(i, std::move(info));
}

bool onnx_import::allConstInts(Importer &imp) {
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
// N-ary elementwise maps
//===----------------------------------------------------------------------===//

FailureOr<Value> onnx_import::broadcastMap(
    Importer &imp, ArrayRef<Value> inputs, Type resultElementType,
    function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
  SmallVector<int64_t> shape;
  for (Value in : inputs) {
    FailureOr<SmallVector<int64_t>> next =
        broadcastShapes(imp, shape, shapeOf(in));
    if (failed(next))
      return failure();
    shape = *next;
  }
  SmallVector<Value> ranked;
  for (Value in : inputs)
    ranked.push_back(toRank(imp.b, imp.loc, in, shape.size()));
  return buildGeneric(imp.b, imp.loc, ranked,
                      tensorType(shape, resultElementType), body);
}

FailureOr<SmallVector<Value>> onnx_import::allInputs(Importer &imp) {
  SmallVector<Value> values;
  for (unsigned i = 0; i < imp.numInputs(); ++i) {
    if (!imp.hasInput(i))
      continue;
    FailureOr<Value> v = imp.input(i);
    if (failed(v))
      return failure();
    values.push_back(*v);
  }
  return values;
}

/// Visits the broadcast result of host tensors `in` in row-major order,
/// passing each input's flat offset.
static LogicalResult
forEachBroadcast(Importer &imp, ArrayRef<HostTensor *> in,
                 SmallVector<int64_t> &shape,
                 function_ref<void(ArrayRef<int64_t>)> visit) {
  for (HostTensor *t : in) {
    FailureOr<SmallVector<int64_t>> next =
        broadcastShapes(imp, shape, t->shape);
    if (failed(next))
      return failure();
    shape = *next;
  }
  int64_t n = product(shape), rank = shape.size();
  SmallVector<int64_t> index(rank, 0), offsets(in.size());
  for (int64_t flat = 0; flat < n; ++flat) {
    for (auto [k, t] : llvm::enumerate(in)) {
      // Row-major offset into the (right-aligned, size-1 broadcast) input.
      int64_t offset = 0, tRank = t->shape.size();
      for (int64_t d = 0; d < tRank; ++d) {
        int64_t size = t->shape[d];
        int64_t coord = size == 1 ? 0 : index[rank - tRank + d];
        offset = offset * size + coord;
      }
      offsets[k] = offset;
    }
    visit(offsets);
    for (int64_t d = rank - 1; d >= 0; --d) {
      if (++index[d] < shape[d])
        break;
      index[d] = 0;
    }
  }
  return success();
}

static SmallVector<HostTensor *> constInputs(Importer &imp,
                                             ArrayRef<unsigned> inputs) {
  SmallVector<HostTensor *> in;
  if (inputs.empty()) {
    for (unsigned i = 0; i < imp.numInputs(); ++i)
      in.push_back(imp.constInput(i));
  } else {
    for (unsigned i : inputs)
      in.push_back(imp.constInput(i));
  }
  return in;
}

LogicalResult
onnx_import::foldIntElementwise(Importer &imp, int32_t resultType,
                                function_ref<int64_t(ArrayRef<int64_t>)> fn,
                                ArrayRef<unsigned> inputs,
                                ArrayRef<int64_t> broadcastTo) {
  SmallVector<HostTensor *> in = constInputs(imp, inputs);
  auto result = std::make_shared<HostTensor>();
  result->type = resultType;
  result->shape.assign(broadcastTo.begin(), broadcastTo.end());
  SmallVector<int64_t> args(in.size());
  if (failed(forEachBroadcast(imp, in, result->shape,
                              [&](ArrayRef<int64_t> offsets) {
                                for (auto [k, t] : llvm::enumerate(in))
                                  args[k] = t->ints[offsets[k]];
                                result->ints.push_back(fn(args));
                              })))
    return failure();
  return setConstOutput(imp, 0, result);
}

std::shared_ptr<HostTensor>
onnx_import::makeHostTensor(int32_t type, ArrayRef<int64_t> shape,
                            ArrayRef<double> values) {
  auto t = std::make_shared<HostTensor>();
  t->type = type;
  t->shape.assign(shape.begin(), shape.end());
  if (!isOnnxFloatType(type)) {
    for (double v : values)
      t->ints.push_back(type == kBool ? int64_t(v != 0) : int64_t(v));
    return t;
  }
  const llvm::fltSemantics &sem = type == kFloat     ? APFloat::IEEEsingle()
                                  : type == kDouble  ? APFloat::IEEEdouble()
                                  : type == kFloat16 ? APFloat::IEEEhalf()
                                                     : APFloat::BFloat();
  unsigned bytes = APFloat::getSizeInBits(sem) / 8;
  for (double v : values) {
    APFloat f(v);
    bool lost;
    f.convert(sem, APFloat::rmNearestTiesToEven, &lost);
    t->floats.push_back(f.convertToDouble());
    APInt bits = f.bitcastToAPInt();
    uint64_t word = bits.getZExtValue();
    const char *p = reinterpret_cast<const char *>(&word);
    t->raw.insert(t->raw.end(), p, p + bytes);
  }
  return t;
}

bool onnx_import::allConstSmall(Importer &imp) {
  for (unsigned i = 0; i < imp.numInputs(); ++i) {
    if (!imp.hasInput(i))
      continue;
    HostTensor *t = imp.constInput(i);
    if (!t || t->getNumElements() > kMaxFoldElements ||
        (t->isFloat() && int64_t(t->floats.size()) != t->getNumElements()))
      return false;
  }
  return imp.numInputs() > 0;
}

LogicalResult
onnx_import::foldElementwise(Importer &imp, int32_t resultType,
                             function_ref<double(ArrayRef<double>)> fn) {
  SmallVector<HostTensor *> in = constInputs(imp, {});
  SmallVector<int64_t> shape;
  std::vector<double> values;
  SmallVector<double> args(in.size());
  if (failed(forEachBroadcast(imp, in, shape, [&](ArrayRef<int64_t> offsets) {
        for (auto [k, t] : llvm::enumerate(in))
          args[k] = t->isFloat() ? t->floats[offsets[k]]
                                 : double(t->ints[offsets[k]]);
        values.push_back(fn(args));
      })))
    return failure();
  return setConstOutput(imp, 0, makeHostTensor(resultType, shape, values));
}

Value onnx_import::boundedIndex(OpBuilder &b, Location l, Value index,
                                int64_t dim) {
  Type i64 = b.getI64Type();
  if (index.getType() != i64)
    index = arith::ExtSIOp::create(b, l, i64, index);
  Value zero = arith::ConstantOp::create(b, l, b.getI64IntegerAttr(0));
  Value size = arith::ConstantOp::create(b, l, b.getI64IntegerAttr(dim));
  Value last = arith::ConstantOp::create(
      b, l, b.getI64IntegerAttr(std::max<int64_t>(dim - 1, 0)));
  Value negative =
      arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, index, zero);
  Value wrapped = arith::SelectOp::create(
      b, l, negative, arith::AddIOp::create(b, l, index, size), index);
  Value clamped = arith::MinSIOp::create(
      b, l, arith::MaxSIOp::create(b, l, wrapped, zero), last);
  return arith::IndexCastOp::create(b, l, b.getIndexType(), clamped);
}

SmallVector<Value> onnx_import::delinearize(OpBuilder &b, Location l,
                                            Value flat,
                                            ArrayRef<int64_t> shape) {
  SmallVector<Value> coords(shape.size());
  Value rest = flat;
  for (int64_t d = int64_t(shape.size()) - 1; d >= 0; --d) {
    Value size = arith::ConstantIndexOp::create(b, l, shape[d]);
    coords[d] = d == 0 ? rest : arith::RemUIOp::create(b, l, rest, size);
    if (d > 0)
      rest = arith::DivUIOp::create(b, l, rest, size);
  }
  return coords;
}

//===----------------------------------------------------------------------===//
// Generated tensors and scalar constants
//===----------------------------------------------------------------------===//

/// A linalg.generic producing `type` from no inputs: the body sees the
/// output coordinates through linalg.index.
Value onnx_import::generateTensor(
    OpBuilder &b, Location loc, RankedTensorType type,
    function_ref<Value(OpBuilder &, Location, ArrayRef<Value>)> body) {
  int64_t rank = type.getRank();
  Value init =
      tensor::EmptyOp::create(b, loc, type.getShape(), type.getElementType());
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      b, loc, type, ValueRange{}, init, b.getMultiDimIdentityMap(rank),
      iterators, [&](OpBuilder &nb, Location l, ValueRange) {
        SmallVector<Value> coords;
        for (int64_t d = 0; d < rank; ++d)
          coords.push_back(linalg::IndexOp::create(nb, l, d));
        linalg::YieldOp::create(nb, l, body(nb, l, coords));
      });
  return generic.getResult(0);
}

Value onnx_import::indexConst(OpBuilder &b, Location l, int64_t v) {
  return arith::ConstantIndexOp::create(b, l, v);
}

Value onnx_import::floatConst(OpBuilder &b, Location l, Type type, double v) {
  return arith::ConstantOp::create(b, l, type, b.getFloatAttr(type, v));
}

Value onnx_import::zeroOf(OpBuilder &b, Location l, Type t) {
  if (isa<FloatType>(t))
    return arith::ConstantOp::create(b, l, t, b.getFloatAttr(t, 0.0));
  return arith::ConstantOp::create(b, l, t, b.getIntegerAttr(t, 0));
}

Value onnx_import::oneOf(OpBuilder &b, Location l, Type t) {
  if (isa<FloatType>(t))
    return arith::ConstantOp::create(b, l, t, b.getFloatAttr(t, 1.0));
  return arith::ConstantOp::create(b, l, t, b.getIntegerAttr(t, 1));
}

Value onnx_import::filledTensor(OpBuilder &b, Location loc,
                                ArrayRef<int64_t> shape, Type elementType,
                                double value) {
  TypedAttr attr =
      isa<FloatType>(elementType)
          ? TypedAttr(b.getFloatAttr(elementType, value))
          : TypedAttr(b.getIntegerAttr(elementType, int64_t(value)));
  Value fill = arith::ConstantOp::create(b, loc, attr);
  Value empty = tensor::EmptyOp::create(b, loc, shape, elementType);
  return linalg::FillOp::create(b, loc, fill, empty).getResult(0);
}

//===- OnnxShapeOps.cpp - Shape and indexing ops
//----------------------------===//
//
// Reshape, Flatten, (Un)Squeeze, Transpose, Concat, Shape, Size,
// ConstantOfShape, Constant, Cast, Gather, Slice. Shape arithmetic on
// constant integer tensors is folded on the host.
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

FailureOr<SmallVector<int64_t>> onnx_import::inputShape(Importer &imp,
                                                        unsigned i) {
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

/// Input 0 converted to ONNX type `to` (Cast's `to`, CastLike's input 1).
static LogicalResult castTo(Importer &imp, int32_t to) {
  FailureOr<Type> toType = imp.mlirType(to);
  if (failed(toType) || to == kInt4 || to == kUint4)
    return imp.nodeError() << "unsupported target type " << onnxTypeName(to);
  HostTensor *c = imp.constInput(0);
  if (c && allConstSmall(imp) && (c->isFloat() || !isOnnxIntegerType(to)) &&
      to != kBfloat16 && c->type != kBfloat16 && to != kFloat8E4M3FN &&
      to != kFloat8E4M3FNUZ && to != kFloat8E5M2 && to != kFloat8E5M2FNUZ) {
    // Float shape arithmetic: Cast(Shape) to float and back.
    return foldElementwise(imp, to, [](ArrayRef<double> v) { return v[0]; });
  }
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

static LogicalResult castOp(Importer &imp) {
  if (failed(imp.checkAttrs({"to", "saturate"})))
    return failure();
  return castTo(imp, imp.attrInt("to", 0));
}

static LogicalResult castLikeOp(Importer &imp) {
  if (failed(imp.checkAttrs({"saturate"})))
    return failure();
  ValueInfo *like = imp.inputInfo(1);
  if (!like)
    return imp.nodeError() << "missing input 1";
  return castTo(imp, like->onnxType);
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
// Registration
//===----------------------------------------------------------------------===//

void onnx_import::registerShapeOps(OpTable &table) {
  table.on("Reshape", 5, reshapeOp);
  table.on("Flatten", 1, flattenOp);
  table.on("Squeeze", 1, [](Importer &imp) { return squeezeOp(imp, false); });
  table.on("Unsqueeze", 1, [](Importer &imp) { return squeezeOp(imp, true); });
  table.on("Transpose", 1, transposeOp);
  table.on("Concat", 4, concatOp);
  table.on("Shape", 1, shapeOp);
  table.on("Size", 1, sizeOp);
  table.on("ConstantOfShape", 9, constantOfShapeOp);
  table.on("Constant", 1, constantOp);
  table.on("Cast", 6, castOp);
  table.on("CastLike", 15, castLikeOp);
  table.on("Gather", 1, gatherOp);
  table.on("Slice", 1, sliceOp);
}

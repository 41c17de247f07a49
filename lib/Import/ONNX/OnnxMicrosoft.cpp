//===- OnnxMicrosoft.cpp - com.microsoft contrib ops ----------------------===//
//
// The contrib ops ONNX Runtime's exporters and transformer optimizer write
// (semantics: onnxruntime docs/ContribOperators.md): the fused norms
// (SkipLayerNormalization, SkipSimplifiedLayerNormalization,
// SimplifiedLayerNormalization), the GELU family (Gelu, FastGelu,
// BiasGelu, QuickGelu), BiasAdd, GatherBlockQuantized and the QOperator
// elementwise ops (QLinearAdd,
// QLinearMul, QLinearSigmoid, QLinearLeakyRelu, QLinearGlobalAveragePool,
// QLinearConcat, QLinearSoftmax), which dequantize, compute in f32 and
// requantize with round half to even and saturation, as ONNX Runtime does.
// MatMulNBits lives with the weight-quantization ops (OnnxQuantOps.cpp),
// the attention ops in OnnxMicrosoftAttention.cpp.
//
//===----------------------------------------------------------------------===//

#include "OnnxImporterImpl.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"

#include <cmath>

using namespace mlir;
using namespace mlir::qnt;
using namespace mlir::qnt::onnx_import;

//===----------------------------------------------------------------------===//
// Norms
//===----------------------------------------------------------------------===//

/// Normalizes `x` over its last dim: (x - mean) * rsqrt(var + eps), or
/// x * rsqrt(mean(x^2) + eps) when `rms`. Returns (y, mean, invStd).
static std::tuple<Value, Value, Value> normalizeLast(OpBuilder &b, Location loc,
                                                     Value x, double eps,
                                                     bool rms,
                                                     int64_t fromAxis) {
  auto type = cast<RankedTensorType>(x.getType());
  SmallVector<int64_t> axes;
  for (int64_t i = fromAxis; i < type.getRank(); ++i)
    axes.push_back(i);
  Value mean, centered = x;
  if (!rms) {
    mean = reduceKeep(b, loc, x, axes, ReduceKind::Mean);
    centered = tosa::SubOp::create(b, loc, type, x, mean);
  }
  Value var = reduceKeep(b, loc, mulOp(b, loc, type, centered, centered), axes,
                         ReduceKind::Mean);
  auto varType = cast<RankedTensorType>(var.getType());
  Value inv = tosa::RsqrtOp::create(
      b, loc, varType,
      tosa::AddOp::create(b, loc, varType, var, scalarLike(b, loc, var, eps)));
  return {mulOp(b, loc, type, centered, inv), mean, inv};
}

/// SkipLayerNormalization / SkipSimplifiedLayerNormalization: sum = input
/// + skip (+ bias), normalized over the hidden dim, times gamma (+ beta).
/// Outputs: output, mean, inv_std_var, input_skip_bias_sum.
static LogicalResult skipLayerNormOp(Importer &imp, bool rms) {
  if (failed(imp.checkAttrs({"epsilon"})))
    return failure();
  FailureOr<Value> x = imp.input(0), skip = imp.input(1), gamma = imp.input(2);
  if (failed(x) || failed(skip) || failed(gamma))
    return failure();
  OpBuilder &b = imp.b;
  Location loc = imp.loc;
  auto type = cast<RankedTensorType>(x->getType());
  int64_t rank = type.getRank();
  if (rank < 1)
    return imp.nodeError() << "input must have rank >= 1";
  unsigned biasIndex = rms ? 3 : 4;
  Value sum =
      tosa::AddOp::create(b, loc, type, *x, toRank(b, loc, *skip, rank));
  if (imp.hasInput(biasIndex)) {
    FailureOr<Value> bias = imp.input(biasIndex);
    if (failed(bias))
      return failure();
    sum = tosa::AddOp::create(b, loc, type, sum, toRank(b, loc, *bias, rank));
  }
  auto [y, mean, inv] = normalizeLast(
      b, loc, sum, imp.attrFloat("epsilon", 1e-12f), rms, rank - 1);
  y = mulOp(b, loc, type, y, toRank(b, loc, *gamma, rank));
  if (!rms && imp.hasInput(3)) {
    FailureOr<Value> beta = imp.input(3);
    if (failed(beta))
      return failure();
    y = tosa::AddOp::create(b, loc, type, y, toRank(b, loc, *beta, rank));
  }
  if (imp.hasOutput(1) && mean && failed(imp.setOutput(1, mean)))
    return failure();
  if (failed(imp.setOutput(2, inv)) || failed(imp.setOutput(3, sum)))
    return failure();
  return imp.setOutput(0, y);
}

/// SimplifiedLayerNormalization (RMSNorm): x * rsqrt(mean(x^2) + eps) *
/// scale over the dims from `axis`.
static LogicalResult simplifiedLayerNormOp(Importer &imp) {
  if (failed(imp.checkAttrs({"axis", "epsilon", "stash_type"})))
    return failure();
  FailureOr<Value> x = imp.input(0), scale = imp.input(1);
  if (failed(x) || failed(scale))
    return failure();
  auto type = cast<RankedTensorType>(x->getType());
  int64_t rank = type.getRank();
  int64_t axis = normAxis(imp.attrInt("axis", -1), rank);
  if (axis < 0 || axis >= rank)
    return imp.nodeError() << "axis out of range";
  auto [y, mean, inv] = normalizeLast(
      imp.b, imp.loc, *x, imp.attrFloat("epsilon", 1e-5f), true, axis);
  y = mulOp(imp.b, imp.loc, type, y, toRank(imp.b, imp.loc, *scale, rank));
  if (failed(imp.setOutput(1, inv)))
    return failure();
  return imp.setOutput(0, y);
}

//===----------------------------------------------------------------------===//
// GELU family, BiasAdd
//===----------------------------------------------------------------------===//

enum class GeluKind { Erf, Fast, Quick };

/// Gelu(x + bias): erf (Gelu, BiasGelu), tanh approximation (FastGelu) or
/// x * sigmoid(alpha x) (QuickGelu).
static LogicalResult geluFamilyOp(Importer &imp, GeluKind kind) {
  if (failed(imp.checkAttrs(kind == GeluKind::Quick
                                ? ArrayRef<StringRef>{"alpha"}
                                : ArrayRef<StringRef>{})))
    return failure();
  FailureOr<SmallVector<Value>> in = allInputs(imp);
  if (failed(in))
    return failure();
  if (in->empty() || in->size() > 2)
    return imp.nodeError() << "expected one or two inputs";
  Type type = elementTypeOf(in->front());
  if (!isa<FloatType>(type))
    return imp.nodeError() << "input must be a float tensor";
  double alpha = imp.attrFloat("alpha", 1.702f);
  FailureOr<Value> result = broadcastMap(
      imp, *in, type, [&](OpBuilder &b, Location l, ValueRange args) -> Value {
        Value x = args[0];
        if (args.size() > 1)
          x = arith::AddFOp::create(b, l, x, args[1]);
        Value half =
            arith::MulFOp::create(b, l, x, floatConst(b, l, type, 0.5));
        Value one = floatConst(b, l, type, 1.0);
        if (kind == GeluKind::Erf) {
          Value e = math::ErfOp::create(
              b, l,
              arith::MulFOp::create(b, l, x,
                                    floatConst(b, l, type, M_SQRT1_2)));
          return arith::MulFOp::create(b, l, half,
                                       arith::AddFOp::create(b, l, one, e));
        }
        if (kind == GeluKind::Fast) {
          Value cube =
              arith::MulFOp::create(b, l, arith::MulFOp::create(b, l, x, x), x);
          Value inner = arith::AddFOp::create(
              b, l, x,
              arith::MulFOp::create(b, l, cube,
                                    floatConst(b, l, type, 0.044715)));
          Value t = math::TanhOp::create(
              b, l,
              arith::MulFOp::create(
                  b, l, inner, floatConst(b, l, type, std::sqrt(2.0 / M_PI))));
          return arith::MulFOp::create(b, l, half,
                                       arith::AddFOp::create(b, l, one, t));
        }
        Value ax =
            arith::MulFOp::create(b, l, x, floatConst(b, l, type, alpha));
        Value sig = arith::DivFOp::create(
            b, l, one,
            arith::AddFOp::create(
                b, l, one,
                math::ExpOp::create(b, l, arith::NegFOp::create(b, l, ax))));
        return arith::MulFOp::create(b, l, x, sig);
      });
  if (failed(result))
    return failure();
  return imp.setOutput(0, *result);
}

static LogicalResult biasAddOp(Importer &imp) {
  if (failed(imp.checkAttrs({})))
    return failure();
  FailureOr<SmallVector<Value>> in = allInputs(imp);
  if (failed(in))
    return failure();
  if (in->size() != 3)
    return imp.nodeError() << "expected input, bias and skip";
  FailureOr<Value> result = broadcastMap(
      imp, *in, elementTypeOf(in->front()),
      [](OpBuilder &b, Location l, ValueRange a) {
        return arith::AddFOp::create(
                   b, l, arith::AddFOp::create(b, l, a[0], a[1]), a[2])
            .getResult();
      });
  if (failed(result))
    return failure();
  return imp.setOutput(0, *result);
}

//===----------------------------------------------------------------------===//
// QOperator elementwise ops
//===----------------------------------------------------------------------===//

/// A scalar quantization parameter (scale or zero point) at input `i`, as
/// an SSA scalar; a missing zero point is 0 of `zpType`.
static FailureOr<Value> scalarParam(Importer &imp, unsigned i, Type zpType) {
  OpBuilder &b = imp.b;
  Location loc = imp.loc;
  if (!imp.hasInput(i))
    return arith::ConstantOp::create(b, loc, zpType,
                                     b.getIntegerAttr(zpType, 0))
        .getResult();
  FailureOr<Value> v = imp.input(i);
  if (failed(v))
    return failure();
  if (product(shapeOf(*v)) != 1)
    return imp.nodeError() << "input " << i
                           << " must be a scalar (per-tensor quantization)";
  Value flat = reshapeTo(b, loc, *v, {1});
  return tensor::ExtractOp::create(
             b, loc, flat,
             ValueRange{arith::ConstantIndexOp::create(b, loc, 0)})
      .getResult();
}

struct QParams {
  Value scale, zeroPoint;
  bool isUnsigned;
};

static FailureOr<QParams> qparams(Importer &imp, unsigned scaleIndex,
                                  unsigned zpIndex, Type codeType,
                                  bool isUnsigned) {
  FailureOr<Value> s = scalarParam(imp, scaleIndex, codeType);
  FailureOr<Value> z = scalarParam(imp, zpIndex, codeType);
  if (failed(s) || failed(z))
    return failure();
  if (!s->getType().isF32())
    return imp.nodeError() << "input " << scaleIndex << " must be a float "
                           << "scale";
  return QParams{*s, *z, isUnsigned};
}

static Value dequantizeScalar(OpBuilder &b, Location l, Value code,
                              const QParams &p) {
  Type f32 = b.getF32Type(), i32 = b.getI32Type();
  auto widen = [&](Value v) -> Value {
    return p.isUnsigned ? arith::ExtUIOp::create(b, l, i32, v).getResult()
                        : arith::ExtSIOp::create(b, l, i32, v).getResult();
  };
  Value d = arith::SubIOp::create(b, l, widen(code), widen(p.zeroPoint));
  return arith::MulFOp::create(b, l, arith::SIToFPOp::create(b, l, f32, d),
                               p.scale);
}

/// round_half_even(x / scale) + zero point, saturated to the code type.
static Value quantizeScalar(OpBuilder &b, Location l, Value x, const QParams &p,
                            Type codeType) {
  Type f32 = b.getF32Type(), i32 = b.getI32Type();
  Value q =
      math::RoundEvenOp::create(b, l, arith::DivFOp::create(b, l, x, p.scale));
  Value zp = p.isUnsigned
                 ? arith::ExtUIOp::create(b, l, i32, p.zeroPoint).getResult()
                 : arith::ExtSIOp::create(b, l, i32, p.zeroPoint).getResult();
  q = arith::AddFOp::create(b, l, q, arith::SIToFPOp::create(b, l, f32, zp));
  unsigned bits = codeType.getIntOrFloatBitWidth();
  double lo = p.isUnsigned ? 0 : -std::ldexp(1.0, bits - 1);
  double hi =
      p.isUnsigned ? std::ldexp(1.0, bits) - 1 : std::ldexp(1.0, bits - 1) - 1;
  q = arith::MaximumFOp::create(b, l, q, floatConst(b, l, f32, lo));
  q = arith::MinimumFOp::create(b, l, q, floatConst(b, l, f32, hi));
  return p.isUnsigned ? arith::FPToUIOp::create(b, l, codeType, q).getResult()
                      : arith::FPToSIOp::create(b, l, codeType, q).getResult();
}

static FailureOr<Value> codesInput(Importer &imp, unsigned i,
                                   bool &isUnsigned) {
  FailureOr<Value> v = imp.input(i);
  if (failed(v))
    return failure();
  ValueInfo *info = imp.inputInfo(i);
  if (!info || (info->onnxType != kUint8 && info->onnxType != kInt8))
    return imp.nodeError() << "input " << i << " must be uint8 or int8";
  isUnsigned = info->onnxType == kUint8;
  return v;
}

/// The operands of the QOperator ops laid out (X, Xs, Xz, Ys, Yz): the
/// codes and both parameter sets.
struct QLinearUnary {
  Value codes;
  Type codeType;
  QParams in, out;
  bool isUnsigned;
  int32_t onnxType() const { return isUnsigned ? kUint8 : kInt8; }
};

static FailureOr<QLinearUnary> qlinearUnaryOperands(Importer &imp) {
  QLinearUnary q;
  FailureOr<Value> x = codesInput(imp, 0, q.isUnsigned);
  if (failed(x))
    return failure();
  q.codes = *x;
  q.codeType = elementTypeOf(*x);
  FailureOr<QParams> px = qparams(imp, 1, 2, q.codeType, q.isUnsigned),
                     py = qparams(imp, 3, 4, q.codeType, q.isUnsigned);
  if (failed(px) || failed(py))
    return failure();
  q.in = *px;
  q.out = *py;
  return q;
}

/// QLinearAdd / QLinearMul: (A, As, Az, B, Bs, Bz, Cs, Cz).
static LogicalResult qlinearBinaryOp(Importer &imp, bool isMul) {
  if (failed(imp.checkAttrs({})))
    return failure();
  bool aU, bU;
  FailureOr<Value> a = codesInput(imp, 0, aU), c = codesInput(imp, 3, bU);
  if (failed(a) || failed(c))
    return failure();
  Type codeType = elementTypeOf(*a);
  FailureOr<QParams> pa = qparams(imp, 1, 2, codeType, aU),
                     pb = qparams(imp, 4, 5, codeType, bU),
                     pc = qparams(imp, 6, 7, codeType, aU);
  if (failed(pa) || failed(pb) || failed(pc))
    return failure();
  FailureOr<Value> result = broadcastMap(
      imp, {*a, *c}, codeType, [&](OpBuilder &b, Location l, ValueRange x) {
        Value fa = dequantizeScalar(b, l, x[0], *pa);
        Value fb = dequantizeScalar(b, l, x[1], *pb);
        Value r = isMul ? arith::MulFOp::create(b, l, fa, fb).getResult()
                        : arith::AddFOp::create(b, l, fa, fb).getResult();
        return quantizeScalar(b, l, r, *pc, codeType);
      });
  if (failed(result))
    return failure();
  return imp.setOutput(0, *result, aU ? kUint8 : kInt8);
}

/// QLinearSigmoid / QLinearLeakyRelu: (X, Xs, Xz, Ys, Yz).
static LogicalResult qlinearUnaryOp(Importer &imp, bool isSigmoid) {
  if (failed(imp.checkAttrs(isSigmoid ? ArrayRef<StringRef>{}
                                      : ArrayRef<StringRef>{"alpha"})))
    return failure();
  FailureOr<QLinearUnary> q = qlinearUnaryOperands(imp);
  if (failed(q))
    return failure();
  double alpha = imp.attrFloat("alpha", 0.01f);
  FailureOr<Value> result = broadcastMap(
      imp, {q->codes}, q->codeType,
      [&](OpBuilder &b, Location l, ValueRange v) {
        Type f32 = b.getF32Type();
        Value f = dequantizeScalar(b, l, v[0], q->in);
        Value r;
        if (isSigmoid) {
          Value one = floatConst(b, l, f32, 1.0);
          r = arith::DivFOp::create(
              b, l, one,
              arith::AddFOp::create(
                  b, l, one,
                  math::ExpOp::create(b, l, arith::NegFOp::create(b, l, f))));
        } else {
          Value neg = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLT, f,
                                            floatConst(b, l, f32, 0.0));
          r = arith::SelectOp::create(
              b, l, neg,
              arith::MulFOp::create(b, l, f, floatConst(b, l, f32, alpha)), f);
        }
        return quantizeScalar(b, l, r, q->out, q->codeType);
      });
  if (failed(result))
    return failure();
  return imp.setOutput(0, *result, q->onnxType());
}

/// Dequantized [..] tensor of codes.
static Value dequantizeTensor(Importer &imp, Value codes, const QParams &p) {
  auto type = cast<RankedTensorType>(codes.getType());
  return buildGeneric(imp.b, imp.loc, {codes},
                      tensorType(type.getShape(), imp.b.getF32Type()),
                      [&](OpBuilder &b, Location l, ValueRange v) {
                        return dequantizeScalar(b, l, v[0], p);
                      });
}

static Value quantizeTensor(Importer &imp, Value x, const QParams &p,
                            Type codeType) {
  auto type = cast<RankedTensorType>(x.getType());
  return buildGeneric(imp.b, imp.loc, {x},
                      tensorType(type.getShape(), codeType),
                      [&](OpBuilder &b, Location l, ValueRange v) {
                        return quantizeScalar(b, l, v[0], p, codeType);
                      });
}

/// QLinearGlobalAveragePool: (X, Xs, Xz, Ys, Yz), NCHW or channels_last.
static LogicalResult qlinearGlobalAveragePoolOp(Importer &imp) {
  if (failed(imp.checkAttrs({"channels_last"})))
    return failure();
  FailureOr<QLinearUnary> q = qlinearUnaryOperands(imp);
  if (failed(q))
    return failure();
  int64_t rank = shapeOf(q->codes).size();
  if (rank < 3)
    return imp.nodeError() << "input must have rank >= 3";
  bool channelsLast = imp.attrInt("channels_last", 0);
  SmallVector<int64_t> axes;
  for (int64_t i = channelsLast ? 1 : 2; i < (channelsLast ? rank - 1 : rank);
       ++i)
    axes.push_back(i);
  Value f = dequantizeTensor(imp, q->codes, q->in);
  Value mean = reduceKeep(imp.b, imp.loc, f, axes, ReduceKind::Mean);
  return imp.setOutput(0, quantizeTensor(imp, mean, q->out, q->codeType),
                       q->onnxType());
}

/// QLinearAveragePool: (X, Xs, Xz, Ys, Yz) with AveragePool's window
/// attributes, NCHW or channels_last; averaged in f32 like ONNX Runtime.
static LogicalResult qlinearAveragePoolOp(Importer &imp) {
  if (failed(imp.checkAttrs({"auto_pad", "ceil_mode", "channels_last",
                             "count_include_pad", "kernel_shape", "pads",
                             "strides"})))
    return failure();
  FailureOr<QLinearUnary> q = qlinearUnaryOperands(imp);
  if (failed(q))
    return failure();
  int64_t rank = shapeOf(q->codes).size();
  if (rank < 3)
    return imp.nodeError() << "input must have rank >= 3";
  bool channelsLast = imp.attrInt("channels_last", 0);
  SmallVector<int32_t> toFirst = {0, int32_t(rank - 1)}, toLast = {0};
  for (int64_t i = 1; i < rank - 1; ++i)
    toFirst.push_back(int32_t(i));
  for (int64_t i = 2; i < rank; ++i)
    toLast.push_back(int32_t(i));
  toLast.push_back(1);
  Value f = dequantizeTensor(imp, q->codes, q->in);
  if (channelsLast)
    f = transposeBy(imp.b, imp.loc, f, toFirst);
  FailureOr<Value> y = buildPool(imp, /*isMax=*/false, f, false);
  if (failed(y))
    return failure();
  Value out = *y;
  if (channelsLast)
    out = transposeBy(imp.b, imp.loc, out, toLast);
  return imp.setOutput(0, quantizeTensor(imp, out, q->out, q->codeType),
                       q->onnxType());
}

/// QLinearConcat: (Ys, Yz, then (X, Xs, Xz) per input), axis.
static LogicalResult qlinearConcatOp(Importer &imp) {
  if (failed(imp.checkAttrs({"axis"})))
    return failure();
  unsigned n = imp.numInputs();
  if (n < 5 || (n - 2) % 3)
    return imp.nodeError() << "expected Y_scale, Y_zero_point and (X, scale, "
                              "zero point) triples";
  bool yU;
  FailureOr<Value> first = codesInput(imp, 2, yU);
  if (failed(first))
    return failure();
  Type codeType = elementTypeOf(*first);
  FailureOr<QParams> py = qparams(imp, 0, 1, codeType, yU);
  if (failed(py))
    return failure();
  int64_t rank = shapeOf(*first).size();
  int64_t axis = normAxis(imp.attrInt("axis", 0), rank);
  if (axis < 0 || axis >= rank)
    return imp.nodeError() << "axis out of range";
  SmallVector<Value> parts;
  SmallVector<int64_t> shape(shapeOf(*first));
  shape[axis] = 0;
  for (unsigned i = 2; i < n; i += 3) {
    bool xU;
    FailureOr<Value> x = codesInput(imp, i, xU);
    if (failed(x))
      return failure();
    FailureOr<QParams> px = qparams(imp, i + 1, i + 2, codeType, xU);
    if (failed(px))
      return failure();
    if (int64_t(shapeOf(*x).size()) != rank)
      return imp.nodeError() << "inputs have different ranks";
    shape[axis] += shapeOf(*x)[axis];
    parts.push_back(
        quantizeTensor(imp, dequantizeTensor(imp, *x, *px), *py, codeType));
  }
  Value result = tosa::ConcatOp::create(
      imp.b, imp.loc, tensorType(shape, codeType), parts, uint32_t(axis));
  return imp.setOutput(0, result, yU ? kUint8 : kInt8);
}

/// QLinearSoftmax: (X, Xs, Xz, Ys, Yz), axis (opset-13 semantics when the
/// node says opset >= 13, else the 2-D flattening).
static LogicalResult qlinearSoftmaxOp(Importer &imp) {
  if (failed(imp.checkAttrs({"axis", "opset"})))
    return failure();
  FailureOr<QLinearUnary> q = qlinearUnaryOperands(imp);
  if (failed(q))
    return failure();
  OpBuilder &b = imp.b;
  Location loc = imp.loc;
  ArrayRef<int64_t> shape = shapeOf(q->codes);
  int64_t rank = shape.size();
  int64_t opset = imp.attrInt("opset", 13);
  int64_t axis = normAxis(imp.attrInt("axis", opset >= 13 ? -1 : 1), rank);
  if (axis < 0 || axis >= rank)
    return imp.nodeError() << "axis out of range";
  Value f = dequantizeTensor(imp, q->codes, q->in);
  auto softmax = [&](Value v, int64_t ax) {
    auto type = cast<RankedTensorType>(v.getType());
    Value max = reduceKeep(b, loc, v, {ax}, ReduceKind::Max);
    Value e = tosa::ExpOp::create(b, loc, type,
                                  tosa::SubOp::create(b, loc, type, v, max));
    return divide(b, loc, e, reduceKeep(b, loc, e, {ax}, ReduceKind::Sum));
  };
  Value y;
  if (opset >= 13 || axis == rank - 1) {
    y = softmax(f, axis);
  } else {
    Value flat = reshapeTo(
        b, loc, f,
        {product(shape.take_front(axis)), product(shape.drop_front(axis))});
    y = reshapeTo(b, loc, softmax(flat, 1), shape);
  }
  return imp.setOutput(0, quantizeTensor(imp, y, q->out, q->codeType),
                       q->onnxType());
}

//===----------------------------------------------------------------------===//
// GatherBlockQuantized
//===----------------------------------------------------------------------===//

/// GatherBlockQuantized on a [rows, K] table of uint8 (bits = 8) or two
/// 4-bit codes per byte, low nibble first (bits = 4), with per-block scales
/// along K and optional zero points packed the same way (default: the
/// middle of the unsigned range). The rows gathered are dequantized only:
/// the table stays packed.
static LogicalResult gatherBlockQuantizedOp(Importer &imp) {
  if (failed(imp.checkAttrs(
          {"bits", "block_size", "gather_axis", "quantize_axis"})))
    return failure();
  int64_t bits = imp.attrInt("bits", 4), block = imp.attrInt("block_size", 128);
  if (bits != 4 && bits != 8)
    return imp.nodeError() << "bits must be 4 or 8";
  if (block < 16 || (block & (block - 1)))
    return imp.nodeError() << "block_size must be a power of 2, >= 16";
  FailureOr<Value> data = imp.input(0), indices = imp.input(1),
                   scales = imp.input(2);
  if (failed(data) || failed(indices) || failed(scales))
    return failure();
  ValueInfo *dataInfo = imp.inputInfo(0);
  ArrayRef<int64_t> ds = shapeOf(*data);
  if (ds.size() != 2 || dataInfo->onnxType != kUint8)
    return imp.nodeError() << "data must be a 2-D uint8 table (the packed "
                              "int4 / uint4 forms are not supported)";
  if (normAxis(imp.attrInt("gather_axis", 0), 2) != 0 ||
      normAxis(imp.attrInt("quantize_axis", 1), 2) != 1)
    return imp.nodeError() << "only gather_axis = 0 and quantize_axis = 1 "
                              "are supported";
  int64_t rows = ds[0], k = ds[1] * (8 / bits);
  int64_t blocks = (k + block - 1) / block;
  if (shapeOf(*scales) != ArrayRef<int64_t>{rows, blocks})
    return imp.nodeError() << "scales must be [" << rows << ", " << blocks
                           << "]";
  Type type = elementTypeOf(*scales);
  if (!isa<FloatType>(type))
    return imp.nodeError() << "scales must be float";
  Value zp;
  if (imp.hasInput(3)) {
    FailureOr<Value> z = imp.input(3);
    if (failed(z))
      return failure();
    int64_t packed = bits == 4 ? (blocks + 1) / 2 : blocks;
    if (shapeOf(*z) != ArrayRef<int64_t>{rows, packed})
      return imp.nodeError()
             << "zero_points must be [" << rows << ", " << packed << "]";
    zp = *z;
  }
  SmallVector<int64_t> outShape(shapeOf(*indices));
  outShape.push_back(k);
  Value dv = *data, iv = *indices, sv = *scales;
  Value result = generateTensor(
      imp.b, imp.loc, tensorType(outShape, type),
      [&](OpBuilder &b, Location l, ArrayRef<Value> c) -> Value {
        Type i32 = b.getI32Type();
        Value row = boundedIndex(
            b, l,
            tensor::ExtractOp::create(b, l, iv, c.drop_back()).getResult(),
            rows);
        Value col = c.back();
        // The code: a byte, or its low / high nibble.
        auto nibble = [&](Value table, Value position) -> Value {
          if (bits == 8)
            return arith::ExtUIOp::create(
                b, l, i32,
                tensor::ExtractOp::create(b, l, table,
                                          ValueRange{row, position}));
          Value byte = arith::ExtUIOp::create(
              b, l, i32,
              tensor::ExtractOp::create(
                  b, l, table,
                  ValueRange{row, arith::DivUIOp::create(
                                      b, l, position, indexConst(b, l, 2))}));
          Value odd = arith::IndexCastOp::create(
              b, l, i32,
              arith::RemUIOp::create(b, l, position, indexConst(b, l, 2)));
          Value shift = arith::MulIOp::create(
              b, l, odd,
              arith::ConstantOp::create(b, l, b.getI32IntegerAttr(4)));
          return arith::AndIOp::create(
              b, l, arith::ShRUIOp::create(b, l, byte, shift),
              arith::ConstantOp::create(b, l, b.getI32IntegerAttr(15)));
        };
        Value code = nibble(dv, col);
        Value blk = arith::DivUIOp::create(b, l, col, indexConst(b, l, block));
        Value z = zp ? nibble(zp, blk)
                     : arith::ConstantOp::create(
                           b, l, b.getI32IntegerAttr(bits == 4 ? 8 : 128))
                           .getResult();
        Value scale = tensor::ExtractOp::create(b, l, sv, ValueRange{row, blk});
        Value centered = arith::SIToFPOp::create(
            b, l, type, arith::SubIOp::create(b, l, code, z));
        return arith::MulFOp::create(b, l, centered, scale);
      });
  return imp.setOutput(0, result);
}

//===----------------------------------------------------------------------===//
// Registration
//===----------------------------------------------------------------------===//

void onnx_import::registerMicrosoftOps(OpTable &table) {
  registerMicrosoftQuantOps(table);
  registerMicrosoftIntegerOps(table);
  registerMicrosoftAttentionOps(table);
  table.on("SkipLayerNormalization", 1,
           [](Importer &imp) { return skipLayerNormOp(imp, false); });
  table.on("SkipSimplifiedLayerNormalization", 1,
           [](Importer &imp) { return skipLayerNormOp(imp, true); });
  table.on("SimplifiedLayerNormalization", 1, simplifiedLayerNormOp);
  table.on("Gelu", 1,
           [](Importer &imp) { return geluFamilyOp(imp, GeluKind::Erf); });
  table.on("BiasGelu", 1,
           [](Importer &imp) { return geluFamilyOp(imp, GeluKind::Erf); });
  table.on("FastGelu", 1,
           [](Importer &imp) { return geluFamilyOp(imp, GeluKind::Fast); });
  table.on("QuickGelu", 1,
           [](Importer &imp) { return geluFamilyOp(imp, GeluKind::Quick); });
  table.on("BiasAdd", 1, biasAddOp);
  table.on("GatherBlockQuantized", 1, gatherBlockQuantizedOp);
  table.on("QLinearAdd", 1,
           [](Importer &imp) { return qlinearBinaryOp(imp, false); });
  table.on("QLinearMul", 1,
           [](Importer &imp) { return qlinearBinaryOp(imp, true); });
  table.on("QLinearSigmoid", 1,
           [](Importer &imp) { return qlinearUnaryOp(imp, true); });
  table.on("QLinearLeakyRelu", 1,
           [](Importer &imp) { return qlinearUnaryOp(imp, false); });
  table.on("QLinearGlobalAveragePool", 1, qlinearGlobalAveragePoolOp);
  table.on("QLinearAveragePool", 1, qlinearAveragePoolOp);
  table.on("QLinearConcat", 1, qlinearConcatOp);
  table.on("QLinearSoftmax", 1, qlinearSoftmaxOp);
}

void onnx_import::registerOnnxDomainContribOps(OpTable &table) {
  // ONNX Runtime registers SimplifiedLayerNormalization in the default
  // domain (its transformer optimizer writes it there).
  table.on("SimplifiedLayerNormalization", 1, simplifiedLayerNormOp);
}

//===- OnnxIntegerOps.cpp - ONNX integer / QLinear ops to linalg ----------===//
//
// MatMulInteger, ConvInteger, QLinearMatMul, QLinearConv and
// DynamicQuantizeLinear on run-time 8-bit tensors, with ONNX numerics: the
// 8-bit operands are widened to i32 (zero-extended for uint8), zero points
// are subtracted before the product, products accumulate in i32
// (linalg.batch_matmul / linalg.conv_2d_*), and requantization computes
// round_half_to_even(acc * a_scale * b_scale / y_scale) + y_zero_point in
// f32, saturated to the output type.
//
//===----------------------------------------------------------------------===//

#include "OnnxImporterImpl.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "llvm/ADT/STLExtras.h"

using namespace mlir;
using namespace mlir::qnt;
using namespace mlir::qnt::onnx_import;

namespace {
/// An 8-bit integer operand widened to i32 with its zero point subtracted.
struct IntOperand {
  Value value;
  bool isUnsigned = false;
};
} // namespace

static bool isInt8Type(int32_t type) { return type == kInt8 || type == kUint8; }

/// `v` (8-bit) as i32: zero-extended when `isUnsigned`.
static Value widen(OpBuilder &b, Location loc, Value v, bool isUnsigned) {
  Type i32 = b.getI32Type();
  if (elementTypeOf(v) == i32)
    return v;
  return buildGeneric(b, loc, {v}, tensorType(shapeOf(v), i32),
                      [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
                        if (isUnsigned)
                          return arith::ExtUIOp::create(nb, l, i32, args[0]);
                        return arith::ExtSIOp::create(nb, l, i32, args[0]);
                      });
}

/// Input `i` (int8 / uint8), or a diagnostic naming `what`.
static FailureOr<Value> int8Input(Importer &imp, unsigned i, StringRef what,
                                  bool &isUnsigned) {
  ValueInfo *info = imp.inputInfo(i);
  if (!info)
    return imp.nodeError() << "missing input '" << what << "'";
  if (!isInt8Type(info->onnxType))
    return imp.nodeError() << "input '" << what << "' must be int8 or uint8, "
                           << "got " << onnxTypeName(info->onnxType);
  isUnsigned = isOnnxUnsigned(info->onnxType);
  return imp.input(i);
}

/// Input `i` as f32 (a float scale), or a diagnostic.
static FailureOr<Value> scaleInput(Importer &imp, unsigned i, StringRef what) {
  ValueInfo *info = imp.inputInfo(i);
  if (!info)
    return imp.nodeError() << "missing input '" << what << "'";
  if (info->onnxType != kFloat)
    return imp.nodeError() << "input '" << what << "' must be float, got "
                           << onnxTypeName(info->onnxType);
  return imp.input(i);
}

/// Reshapes a scalar or 1-D per-`dim` parameter (scale or zero point) so it
/// broadcasts against a tensor of rank `rank` whose dimension `dim` has
/// `size` elements.
static FailureOr<Value> paramAt(Importer &imp, Value param, StringRef what,
                                int64_t rank, int64_t dim, int64_t size) {
  int64_t count = product(shapeOf(param));
  SmallVector<int64_t> shape(rank, 1);
  if (count != 1) {
    if (shapeOf(param).size() != 1 || count != size)
      return imp.nodeError() << "'" << what << "' must be a scalar or 1-D of "
                             << "size " << size;
    shape[dim] = size;
  }
  return reshapeTo(imp.b, imp.loc, param, shape);
}

/// Input `xIndex` widened to i32 minus the optional zero point input
/// `zpIndex`, which is a scalar or 1-D along dimension `zpDim` of the
/// operand.
static FailureOr<IntOperand> shiftedOperand(Importer &imp, unsigned xIndex,
                                            StringRef xName, unsigned zpIndex,
                                            StringRef zpName, int64_t zpDim) {
  IntOperand op;
  FailureOr<Value> x = int8Input(imp, xIndex, xName, op.isUnsigned);
  if (failed(x))
    return failure();
  OpBuilder &b = imp.b;
  Location loc = imp.loc;
  op.value = widen(b, loc, *x, op.isUnsigned);
  if (!imp.hasInput(zpIndex))
    return op;
  bool zpUnsigned;
  FailureOr<Value> zp = int8Input(imp, zpIndex, zpName, zpUnsigned);
  if (failed(zp))
    return failure();
  if (zpUnsigned != op.isUnsigned)
    return imp.nodeError() << "'" << zpName << "' and '" << xName
                           << "' have different types";
  int64_t rank = shapeOf(op.value).size();
  FailureOr<Value> zpShaped =
      paramAt(imp, widen(b, loc, *zp, zpUnsigned), zpName, rank, zpDim,
              shapeOf(op.value)[zpDim]);
  if (failed(zpShaped))
    return failure();
  op.value = buildGeneric(
      b, loc, {op.value, *zpShaped}, cast<RankedTensorType>(op.value.getType()),
      [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
        return arith::SubIOp::create(nb, l, args[0], args[1]);
      });
  return op;
}

static Value zerosLike(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                       Type elementType) {
  return filledTensor(b, loc, shape, elementType, 0.0);
}

/// Broadcasts `v` to `shape` (same rank; size-1 dims expand).
static Value broadcastTo(OpBuilder &b, Location loc, Value v,
                         ArrayRef<int64_t> shape) {
  if (shapeOf(v) == shape)
    return v;
  return buildGeneric(
      b, loc, {v}, tensorType(shape, elementTypeOf(v)),
      [](OpBuilder &, Location, ValueRange args) -> Value { return args[0]; });
}

//===----------------------------------------------------------------------===//
// MatMulInteger / QLinearMatMul
//===----------------------------------------------------------------------===//

/// i32 matmul of [..., M, K] by [..., K, N] (ranks >= 2) with ONNX batch
/// broadcasting.
static FailureOr<Value> intMatmul(Importer &imp, Value a, Value c) {
  OpBuilder &b = imp.b;
  Location loc = imp.loc;
  SmallVector<int64_t> as(shapeOf(a)), cs(shapeOf(c));
  int64_t m = as[as.size() - 2], k = as.back(), n = cs.back();
  if (cs[cs.size() - 2] != k)
    return imp.nodeError() << "reduction sizes " << k << " and "
                           << cs[cs.size() - 2] << " differ";
  FailureOr<SmallVector<int64_t>> batch =
      broadcastShapes(imp, ArrayRef<int64_t>(as).drop_back(2),
                      ArrayRef<int64_t>(cs).drop_back(2));
  if (failed(batch))
    return failure();
  size_t rank = batch->size() + 2;
  a = toRank(b, loc, a, rank);
  c = toRank(b, loc, c, rank);
  SmallVector<int64_t> aShape(*batch), cShape(*batch), outShape(*batch);
  aShape.append({m, k});
  cShape.append({k, n});
  outShape.append({m, n});
  int64_t batchSize = product(*batch);
  Value a3 =
      reshapeTo(b, loc, broadcastTo(b, loc, a, aShape), {batchSize, m, k});
  Value c3 =
      reshapeTo(b, loc, broadcastTo(b, loc, c, cShape), {batchSize, k, n});
  Type i32 = b.getI32Type();
  Value init = zerosLike(b, loc, {batchSize, m, n}, i32);
  Value out = linalg::BatchMatmulOp::create(
                  b, loc, TypeRange{tensorType({batchSize, m, n}, i32)},
                  ValueRange{a3, c3}, ValueRange{init})
                  .getResult(0);
  return reshapeTo(b, loc, out, outShape);
}

/// The zero-point-shifted i32 operands of MatMulInteger / QLinearMatMul:
/// A's zero point is per row (dim -2), B's per column (dim -1). 1-D operands
/// are promoted to matrices; `squeeze` records which to drop again.
static LogicalResult matmulOperands(Importer &imp, unsigned aIndex,
                                    unsigned aZp, unsigned bIndex, unsigned bZp,
                                    Value &a, Value &c,
                                    SmallVector<int64_t> &squeezed) {
  ValueInfo *ai = imp.inputInfo(aIndex), *ci = imp.inputInfo(bIndex);
  if (!ai || !ci)
    return imp.nodeError() << "missing input";
  FailureOr<Value> av = imp.input(aIndex), cv = imp.input(bIndex);
  if (failed(av) || failed(cv))
    return failure();
  int64_t aRank = shapeOf(*av).size(), cRank = shapeOf(*cv).size();
  if (aRank < 1 || cRank < 1)
    return imp.nodeError() << "operands must have rank >= 1";
  // Shift first (the zero point of a vector is a scalar), then promote.
  FailureOr<IntOperand> sa = shiftedOperand(
      imp, aIndex, "A", aZp, "a_zero_point", std::max<int64_t>(aRank - 2, 0));
  if (failed(sa))
    return failure();
  FailureOr<IntOperand> sc =
      shiftedOperand(imp, bIndex, "B", bZp, "b_zero_point", cRank - 1);
  if (failed(sc))
    return failure();
  a = sa->value;
  c = sc->value;
  SmallVector<int64_t> outShape;
  SmallVector<int64_t> as(shapeOf(a)), cs(shapeOf(c));
  if (aRank == 1)
    a = reshapeTo(imp.b, imp.loc, a, {1, as[0]});
  if (cRank == 1)
    c = reshapeTo(imp.b, imp.loc, c, {cs[0], 1});
  squeezed.clear();
  if (aRank == 1)
    squeezed.push_back(-2);
  if (cRank == 1)
    squeezed.push_back(-1);
  return success();
}

/// Drops the dims that 1-D operands added.
static Value squeezeMatmul(Importer &imp, Value v, ArrayRef<int64_t> dims) {
  if (dims.empty())
    return v;
  SmallVector<int64_t> shape(shapeOf(v));
  int64_t rank = shape.size();
  SmallVector<int64_t> out;
  for (int64_t i = 0; i < rank; ++i)
    if (!llvm::is_contained(dims, i - rank))
      out.push_back(shape[i]);
  return reshapeTo(imp.b, imp.loc, v, out);
}

static LogicalResult matMulIntegerOp(Importer &imp) {
  if (failed(imp.checkAttrs({})))
    return failure();
  Value a, c;
  SmallVector<int64_t> squeezed;
  if (failed(matmulOperands(imp, 0, 2, 1, 3, a, c, squeezed)))
    return failure();
  FailureOr<Value> r = intMatmul(imp, a, c);
  if (failed(r))
    return failure();
  return imp.setOutput(0, squeezeMatmul(imp, *r, squeezed), kInt32);
}

/// y = saturate(round_half_even(acc * sa * sb / sy) + zy), with `acc` i32,
/// the scales f32 and `zy` 8-bit (all broadcastable against `acc`).
static Value requantize(OpBuilder &b, Location loc, Value acc, Value sa,
                        Value sb, Value sy, Value zy, bool isUnsigned) {
  Type f32 = b.getF32Type(), i8 = b.getIntegerType(8);
  double lo = isUnsigned ? 0.0 : -128.0, hi = isUnsigned ? 255.0 : 127.0;
  SmallVector<Value> inputs = {acc, sa, sb, sy};
  if (zy)
    inputs.push_back(zy);
  return buildGeneric(
      b, loc, inputs, tensorType(shapeOf(acc), i8),
      [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
        Value v = arith::SIToFPOp::create(nb, l, f32, args[0]);
        Value scale = arith::MulFOp::create(nb, l, args[1], args[2]);
        scale = arith::DivFOp::create(nb, l, scale, args[3]);
        v = arith::MulFOp::create(nb, l, v, scale);
        v = math::RoundEvenOp::create(nb, l, v);
        if (zy) {
          Value z =
              isUnsigned
                  ? arith::UIToFPOp::create(nb, l, f32, args[4]).getResult()
                  : arith::SIToFPOp::create(nb, l, f32, args[4]).getResult();
          v = arith::AddFOp::create(nb, l, v, z);
        }
        Value loC =
            arith::ConstantOp::create(nb, l, f32, nb.getF32FloatAttr(lo));
        Value hiC =
            arith::ConstantOp::create(nb, l, f32, nb.getF32FloatAttr(hi));
        v = arith::MaximumFOp::create(nb, l, v, loC);
        v = arith::MinimumFOp::create(nb, l, v, hiC);
        Value i = arith::FPToSIOp::create(nb, l, nb.getI32Type(), v);
        return arith::TruncIOp::create(nb, l, i8, i);
      });
}

/// The output zero point (input `index`) reshaped to `rank`, and whether the
/// output is unsigned (uint8 without a zero point).
static LogicalResult outputZeroPoint(Importer &imp, unsigned index,
                                     int64_t rank, Value &zp,
                                     bool &isUnsigned) {
  isUnsigned = true;
  zp = Value();
  if (!imp.hasInput(index))
    return success();
  FailureOr<Value> z = int8Input(imp, index, "y_zero_point", isUnsigned);
  if (failed(z))
    return failure();
  if (product(shapeOf(*z)) != 1)
    return imp.nodeError() << "'y_zero_point' must be a scalar";
  zp = reshapeTo(imp.b, imp.loc, *z, SmallVector<int64_t>(rank, 1));
  return success();
}

static LogicalResult qlinearMatMulOp(Importer &imp) {
  if (failed(imp.checkAttrs({})))
    return failure();
  Value a, c;
  SmallVector<int64_t> squeezed;
  if (failed(matmulOperands(imp, 0, 2, 3, 5, a, c, squeezed)))
    return failure();
  FailureOr<Value> acc = intMatmul(imp, a, c);
  if (failed(acc))
    return failure();
  int64_t rank = shapeOf(*acc).size();
  FailureOr<Value> sa = scaleInput(imp, 1, "a_scale");
  FailureOr<Value> sb = failed(sa) ? sa : scaleInput(imp, 4, "b_scale");
  FailureOr<Value> sy = failed(sb) ? sb : scaleInput(imp, 6, "y_scale");
  if (failed(sy))
    return failure();
  FailureOr<Value> saR =
      paramAt(imp, *sa, "a_scale", rank, rank - 2, shapeOf(*acc)[rank - 2]);
  FailureOr<Value> sbR = failed(saR) ? saR
                                     : paramAt(imp, *sb, "b_scale", rank,
                                               rank - 1, shapeOf(*acc).back());
  FailureOr<Value> syR =
      failed(sbR) ? sbR : paramAt(imp, *sy, "y_scale", rank, 0, 1);
  if (failed(syR))
    return failure();
  Value zy;
  bool isUnsigned;
  if (failed(outputZeroPoint(imp, 7, rank, zy, isUnsigned)))
    return failure();
  Value y = requantize(imp.b, imp.loc, *acc, *saR, *sbR, *syR, zy, isUnsigned);
  return imp.setOutput(0, squeezeMatmul(imp, y, squeezed),
                       isUnsigned ? kUint8 : kInt8);
}

//===----------------------------------------------------------------------===//
// ConvInteger / QLinearConv
//===----------------------------------------------------------------------===//

/// i32 NCHW convolution of shifted operands: x is padded with 0 (the zero
/// point, shifted), groups use linalg.conv_2d_ngchw_gfchw.
static FailureOr<Value> intConv(Importer &imp, Value x, Value w) {
  OpBuilder &b = imp.b;
  Location loc = imp.loc;
  ArrayRef<int64_t> xs = shapeOf(x), ws = shapeOf(w);
  if (xs.size() != 4 || ws.size() != 4)
    return imp.nodeError() << "only 2-D convolutions (NCHW) are supported";
  int64_t n = xs[0], c = xs[1], o = ws[0];
  int64_t group = imp.attrInt("group", 1);
  if (group < 1 || c % group || o % group || ws[1] != c / group)
    return imp.nodeError() << "weight shape does not match " << c
                           << " input channels in " << group << " groups";
  if (auto kernel = imp.attrInts("kernel_shape"))
    if (kernel->size() != 2 || (*kernel)[0] != ws[2] || (*kernel)[1] != ws[3])
      return imp.nodeError() << "kernel_shape does not match the weight";
  Window win;
  if (failed(computeWindow(imp, xs.drop_front(2), ws.drop_front(2), win,
                           /*ceilMode=*/false, /*allowUnusedInput=*/true)))
    return failure();
  Type i32 = b.getI32Type();
  if (llvm::any_of(win.pad, [](int64_t p) { return p != 0; })) {
    SmallVector<OpFoldResult> low = {b.getIndexAttr(0), b.getIndexAttr(0),
                                     b.getIndexAttr(win.pad[0]),
                                     b.getIndexAttr(win.pad[2])};
    SmallVector<OpFoldResult> high = {b.getIndexAttr(0), b.getIndexAttr(0),
                                      b.getIndexAttr(win.pad[1]),
                                      b.getIndexAttr(win.pad[3])};
    SmallVector<int64_t> padded = {n, c, xs[2] + win.pad[0] + win.pad[1],
                                   xs[3] + win.pad[2] + win.pad[3]};
    Value zero = arith::ConstantOp::create(b, loc, i32, b.getZeroAttr(i32));
    x = tensor::PadOp::create(b, loc, tensorType(padded, i32), x, low, high,
                              zero);
  }
  SmallVector<NamedAttribute> attrs = {
      b.getNamedAttr("strides", b.getI64TensorAttr(win.stride)),
      b.getNamedAttr("dilations", b.getI64TensorAttr(win.dilation))};
  int64_t oh = win.outHW[0], ow = win.outHW[1];
  if (group == 1) {
    Value init = zerosLike(b, loc, {n, o, oh, ow}, i32);
    return linalg::Conv2DNchwFchwOp::create(
               b, loc, TypeRange{tensorType({n, o, oh, ow}, i32)},
               ValueRange{x, w}, ValueRange{init}, attrs)
        .getResult(0);
  }
  ArrayRef<int64_t> ps = shapeOf(x);
  Value xg = reshapeTo(b, loc, x, {n, group, c / group, ps[2], ps[3]});
  Value wg = reshapeTo(b, loc, w, {group, o / group, ws[1], ws[2], ws[3]});
  SmallVector<int64_t> outShape = {n, group, o / group, oh, ow};
  Value init = zerosLike(b, loc, outShape, i32);
  Value out = linalg::Conv2DNgchwGfchwOp::create(
                  b, loc, TypeRange{tensorType(outShape, i32)},
                  ValueRange{xg, wg}, ValueRange{init}, attrs)
                  .getResult(0);
  return reshapeTo(b, loc, out, {n, o, oh, ow});
}

static const StringRef kConvAttrs[] = {"auto_pad",     "dilations", "group",
                                       "kernel_shape", "pads",      "strides"};

static LogicalResult convIntegerOp(Importer &imp) {
  if (failed(imp.checkAttrs(kConvAttrs)))
    return failure();
  FailureOr<IntOperand> x =
      shiftedOperand(imp, 0, "x", 2, "x_zero_point", /*zpDim=*/0);
  if (failed(x))
    return failure();
  FailureOr<IntOperand> w =
      shiftedOperand(imp, 1, "w", 3, "w_zero_point", /*zpDim=*/0);
  if (failed(w))
    return failure();
  if (imp.hasInput(2) && product(shapeOf(*imp.input(2))) != 1)
    return imp.nodeError() << "'x_zero_point' must be a scalar";
  FailureOr<Value> r = intConv(imp, x->value, w->value);
  if (failed(r))
    return failure();
  return imp.setOutput(0, *r, kInt32);
}

static LogicalResult qlinearConvOp(Importer &imp) {
  if (failed(imp.checkAttrs(kConvAttrs)))
    return failure();
  FailureOr<IntOperand> x =
      shiftedOperand(imp, 0, "x", 2, "x_zero_point", /*zpDim=*/0);
  if (failed(x))
    return failure();
  if (product(shapeOf(*imp.input(2))) != 1)
    return imp.nodeError() << "'x_zero_point' must be a scalar";
  FailureOr<IntOperand> w =
      shiftedOperand(imp, 3, "w", 5, "w_zero_point", /*zpDim=*/0);
  if (failed(w))
    return failure();
  FailureOr<Value> acc = intConv(imp, x->value, w->value);
  if (failed(acc))
    return failure();
  OpBuilder &b = imp.b;
  Location loc = imp.loc;
  int64_t o = shapeOf(*acc)[1];
  if (imp.hasInput(8)) {
    ValueInfo *bi = imp.inputInfo(8);
    if (!bi || bi->onnxType != kInt32)
      return imp.nodeError() << "input 'B' must be int32";
    FailureOr<Value> bias = imp.input(8);
    if (failed(bias))
      return failure();
    FailureOr<Value> biasR = paramAt(imp, *bias, "B", 4, 1, o);
    if (failed(biasR))
      return failure();
    acc = buildGeneric(
        b, loc, {*acc, *biasR}, cast<RankedTensorType>(acc->getType()),
        [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
          return arith::AddIOp::create(nb, l, args[0], args[1]);
        });
  }
  FailureOr<Value> sx = scaleInput(imp, 1, "x_scale");
  FailureOr<Value> sw = failed(sx) ? sx : scaleInput(imp, 4, "w_scale");
  FailureOr<Value> sy = failed(sw) ? sw : scaleInput(imp, 6, "y_scale");
  if (failed(sy))
    return failure();
  FailureOr<Value> sxR = paramAt(imp, *sx, "x_scale", 4, 0, 1);
  FailureOr<Value> swR =
      failed(sxR) ? sxR : paramAt(imp, *sw, "w_scale", 4, 1, o);
  FailureOr<Value> syR =
      failed(swR) ? swR : paramAt(imp, *sy, "y_scale", 4, 0, 1);
  if (failed(syR))
    return failure();
  Value zy;
  bool isUnsigned;
  if (failed(outputZeroPoint(imp, 7, 4, zy, isUnsigned)))
    return failure();
  Value y = requantize(b, loc, *acc, *sxR, *swR, *syR, zy, isUnsigned);
  return imp.setOutput(0, y, isUnsigned ? kUint8 : kInt8);
}

//===----------------------------------------------------------------------===//
// DynamicQuantizeLinear
//===----------------------------------------------------------------------===//

/// DynamicQuantizeLinear's computation: uint8 codes of `x` with the scale
/// and zero point of its range extended to 0 ([1] f32 each; the zero point
/// holds an integer value).
struct DynamicQuant {
  Value codes, scale, zeroPoint;
};

static FailureOr<DynamicQuant> dynamicQuantize(Importer &imp, Value x) {
  OpBuilder &b = imp.b;
  Location loc = imp.loc;
  SmallVector<int64_t> shape(shapeOf(x));
  int64_t count = product(shape);
  if (count == 0)
    return imp.nodeError() << "an empty input has no range";
  Type f32 = b.getF32Type(), i8 = b.getIntegerType(8);
  // Range of x, extended to include 0.
  Value flat = reshapeTo(b, loc, x, {count});
  auto one = tensorType({1}, f32);
  Value mn = tosa::ReduceMinOp::create(b, loc, one, flat,
                                       b.getI32IntegerAttr(0), nullptr);
  Value mx = tosa::ReduceMaxOp::create(b, loc, one, flat,
                                       b.getI32IntegerAttr(0), nullptr);
  auto constF = [](OpBuilder &nb, Location l, double v) -> Value {
    return arith::ConstantOp::create(nb, l, nb.getF32Type(),
                                     nb.getF32FloatAttr(v));
  };
  // y_scale = (max(x, 0) - min(x, 0)) / 255.
  Value scale = buildGeneric(
      b, loc, {mn, mx}, one,
      [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
        Value zero = constF(nb, l, 0.0);
        Value lo = arith::MinimumFOp::create(nb, l, args[0], zero);
        Value hi = arith::MaximumFOp::create(nb, l, args[1], zero);
        Value range = arith::SubFOp::create(nb, l, hi, lo);
        return arith::DivFOp::create(nb, l, range, constF(nb, l, 255.0));
      });
  // y_zero_point = round(saturate(0 - min(x, 0) / y_scale)), as f32.
  Value zpF = buildGeneric(
      b, loc, {mn, scale}, one,
      [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
        Value lo = arith::MinimumFOp::create(nb, l, args[0], constF(nb, l, 0));
        Value q = arith::DivFOp::create(nb, l, lo, args[1]);
        q = arith::SubFOp::create(nb, l, constF(nb, l, 0), q);
        q = arith::MaximumFOp::create(nb, l, q, constF(nb, l, 0));
        q = arith::MinimumFOp::create(nb, l, q, constF(nb, l, 255));
        return math::RoundEvenOp::create(nb, l, q);
      });
  // y = saturate(round(x / y_scale) + y_zero_point).
  SmallVector<int64_t> ones(shape.size(), 1);
  Value scaleB = reshapeTo(b, loc, scale, ones);
  Value zpB = reshapeTo(b, loc, zpF, ones);
  Value y = buildGeneric(
      b, loc, {x, scaleB, zpB}, tensorType(shape, i8),
      [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
        Value q = arith::DivFOp::create(nb, l, args[0], args[1]);
        q = math::RoundEvenOp::create(nb, l, q);
        q = arith::AddFOp::create(nb, l, q, args[2]);
        q = arith::MaximumFOp::create(nb, l, q, constF(nb, l, 0));
        q = arith::MinimumFOp::create(nb, l, q, constF(nb, l, 255));
        Value i = arith::FPToSIOp::create(nb, l, nb.getI32Type(), q);
        return arith::TruncIOp::create(nb, l, i8, i);
      });
  return DynamicQuant{y, scale, zpF};
}

static LogicalResult dynamicQuantizeLinearOp(Importer &imp) {
  if (failed(imp.checkAttrs({})))
    return failure();
  ValueInfo *info = imp.inputInfo(0);
  if (!info || info->onnxType != kFloat)
    return imp.nodeError() << "input 'x' must be float";
  FailureOr<Value> x = imp.input(0);
  if (failed(x))
    return failure();
  FailureOr<DynamicQuant> q = dynamicQuantize(imp, *x);
  if (failed(q))
    return failure();
  OpBuilder &b = imp.b;
  Location loc = imp.loc;
  Type i8 = b.getIntegerType(8);
  Value zp = buildGeneric(
      b, loc, {q->zeroPoint}, tensorType({1}, i8),
      [&](OpBuilder &nb, Location l, ValueRange args) {
        Value i = arith::FPToSIOp::create(nb, l, nb.getI32Type(), args[0]);
        return arith::TruncIOp::create(nb, l, i8, i).getResult();
      });
  if (failed(imp.setOutput(0, q->codes, kUint8)))
    return failure();
  if (imp.hasOutput(1) &&
      failed(imp.setOutput(1, reshapeTo(b, loc, q->scale, {}), kFloat)))
    return failure();
  if (imp.hasOutput(2) &&
      failed(imp.setOutput(2, reshapeTo(b, loc, zp, {}), kUint8)))
    return failure();
  return success();
}

/// float(acc) * (aScale * bScale) + bias, the scales scalar or per output
/// column, as ONNX Runtime's MatMulIntegerToFloat computes it.
static FailureOr<Value> scaleAccumulator(Importer &imp, Value acc, Value aScale,
                                         Value bScale, Value bias) {
  int64_t rank = shapeOf(acc).size(), n = shapeOf(acc).back();
  auto perColumn = [&](Value v, StringRef what) -> FailureOr<Value> {
    int64_t count = product(shapeOf(v));
    if (count != 1 && count != n)
      return imp.nodeError() << what << " must be a scalar or have one entry "
                             << "per column (" << n << ")";
    SmallVector<int64_t> shape(rank, 1);
    shape.back() = count;
    return reshapeTo(imp.b, imp.loc, v, shape);
  };
  FailureOr<Value> as = perColumn(aScale, "a_scale"),
                   bs = perColumn(bScale, "b_scale");
  if (failed(as) || failed(bs))
    return failure();
  SmallVector<Value> inputs = {acc, *as, *bs};
  if (bias) {
    FailureOr<Value> bb = perColumn(bias, "bias");
    if (failed(bb))
      return failure();
    inputs.push_back(*bb);
  }
  return broadcastMap(
      imp, inputs, imp.b.getF32Type(),
      [&](OpBuilder &b, Location l, ValueRange a) -> Value {
        Value m = arith::MulFOp::create(b, l, a[1], a[2]);
        Value y = arith::MulFOp::create(
            b, l, arith::SIToFPOp::create(b, l, b.getF32Type(), a[0]), m);
        if (a.size() > 3)
          y = arith::AddFOp::create(b, l, y, a[3]);
        return y;
      });
}

static FailureOr<Value> optionalInput(Importer &imp, unsigned i) {
  if (!imp.hasInput(i))
    return Value();
  return imp.input(i);
}

/// com.microsoft MatMulIntegerToFloat: (A, B, a_scale, b_scale,
/// a_zero_point, b_zero_point, bias).
static LogicalResult matMulIntegerToFloatOp(Importer &imp) {
  if (failed(imp.checkAttrs({})))
    return failure();
  Value a, c;
  SmallVector<int64_t> squeezed;
  if (failed(matmulOperands(imp, 0, 4, 1, 5, a, c, squeezed)))
    return failure();
  FailureOr<Value> acc = intMatmul(imp, a, c);
  FailureOr<Value> as = imp.input(2), bs = imp.input(3),
                   bias = optionalInput(imp, 6);
  if (failed(acc) || failed(as) || failed(bs) || failed(bias))
    return failure();
  FailureOr<Value> y = scaleAccumulator(imp, *acc, *as, *bs, *bias);
  if (failed(y))
    return failure();
  return imp.setOutput(0, squeezeMatmul(imp, *y, squeezed), kFloat);
}

/// com.microsoft DynamicQuantizeMatMul: (A float, B, b_scale,
/// b_zero_point, bias); A is quantized per tensor to uint8 at run time, as
/// DynamicQuantizeLinear does.
static LogicalResult dynamicQuantizeMatMulOp(Importer &imp) {
  if (failed(imp.checkAttrs({})))
    return failure();
  FailureOr<Value> x = imp.input(0);
  if (failed(x))
    return failure();
  if (!isa<FloatType>(elementTypeOf(*x)) || shapeOf(*x).size() < 2)
    return imp.nodeError() << "A must be a float matrix (rank >= 2)";
  FailureOr<DynamicQuant> q = dynamicQuantize(imp, *x);
  if (failed(q))
    return failure();
  OpBuilder &b = imp.b;
  Location loc = imp.loc;
  int64_t rank = shapeOf(*x).size();
  Value zp = reshapeTo(b, loc, q->zeroPoint, SmallVector<int64_t>(rank, 1));
  Value a = buildGeneric(
      b, loc, {q->codes, zp}, tensorType(shapeOf(*x), b.getI32Type()),
      [](OpBuilder &nb, Location l, ValueRange args) {
        Value code = arith::ExtUIOp::create(nb, l, nb.getI32Type(), args[0]);
        Value z = arith::FPToSIOp::create(nb, l, nb.getI32Type(), args[1]);
        return arith::SubIOp::create(nb, l, code, z).getResult();
      });
  FailureOr<Value> bv = imp.input(1);
  if (failed(bv))
    return failure();
  FailureOr<IntOperand> c = shiftedOperand(imp, 1, "B", 3, "b_zero_point",
                                           int64_t(shapeOf(*bv).size()) - 1);
  if (failed(c))
    return failure();
  FailureOr<Value> acc = intMatmul(imp, a, c->value);
  FailureOr<Value> bs = imp.input(2), bias = optionalInput(imp, 4);
  if (failed(acc) || failed(bs) || failed(bias))
    return failure();
  FailureOr<Value> y = scaleAccumulator(imp, *acc, q->scale, *bs, *bias);
  if (failed(y))
    return failure();
  return imp.setOutput(0, *y, kFloat);
}

void onnx_import::registerIntegerOps(OpTable &table) {
  table.on("MatMulInteger", 10, matMulIntegerOp);
  table.on("ConvInteger", 10, convIntegerOp);
  table.on("QLinearMatMul", 10, qlinearMatMulOp);
  table.on("QLinearConv", 10, qlinearConvOp);
  table.on("DynamicQuantizeLinear", 11, dynamicQuantizeLinearOp);
}

void onnx_import::registerMicrosoftIntegerOps(OpTable &table) {
  table.on("MatMulIntegerToFloat", 1, matMulIntegerToFloatOp);
  table.on("DynamicQuantizeMatMul", 1, dynamicQuantizeMatMulOp);
}

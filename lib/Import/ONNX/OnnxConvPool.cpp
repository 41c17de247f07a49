//===- OnnxConvPool.cpp - Convolution and pooling
//---------------------------===//
//
// Conv (2-D, NCHW, through NHWC TOSA), pooling of any rank.
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

/// out[n, o, y...] = bias[o] + sum_{ic, k...} xpad[n, g(o) * C/G + ic,
/// y * stride + k * dilation] * w[o, ic, k...] with g(o) = o floordiv (O/G):
/// any rank, groups, strides, dilations and pads, as one linalg.generic.
static FailureOr<Value> buildConvNd(Importer &imp, Value x, Value w, Value bias,
                                    ArrayRef<int64_t> stride,
                                    ArrayRef<int64_t> dilation,
                                    ArrayRef<int64_t> padBegin,
                                    ArrayRef<int64_t> padEnd, int64_t group) {
  OpBuilder &b = imp.b;
  Location loc = imp.loc;
  ArrayRef<int64_t> xs = shapeOf(x), ws = shapeOf(w);
  int64_t d = xs.size() - 2;
  int64_t n = xs[0], c = xs[1], o = ws[0], icg = ws[1];
  if (group <= 0 || c % group || o % group || c / group != icg)
    return imp.nodeError() << "group " << group << " does not fit " << c
                           << " input and " << o << " output channels "
                           << "(weight has " << icg << " per group)";
  int64_t ocg = o / group;
  Type elementType = elementTypeOf(x);
  // Zero padding.
  if (llvm::any_of(padBegin, [](int64_t p) { return p != 0; }) ||
      llvm::any_of(padEnd, [](int64_t p) { return p != 0; })) {
    SmallVector<OpFoldResult> low(2, b.getIndexAttr(0)),
        high(2, b.getIndexAttr(0));
    SmallVector<int64_t> padded = {n, c};
    for (int64_t i = 0; i < d; ++i) {
      low.push_back(b.getIndexAttr(padBegin[i]));
      high.push_back(b.getIndexAttr(padEnd[i]));
      padded.push_back(xs[2 + i] + padBegin[i] + padEnd[i]);
    }
    Value zero = arith::ConstantOp::create(b, loc, elementType,
                                           b.getFloatAttr(elementType, 0.0));
    x = tensor::PadOp::create(b, loc, tensorType(padded, elementType), x, low,
                              high, zero);
    xs = shapeOf(x);
  }
  SmallVector<int64_t> outShape = {n, o};
  for (int64_t i = 0; i < d; ++i) {
    int64_t span = xs[2 + i] - (ws[2 + i] - 1) * dilation[i] - 1;
    if (span < 0)
      return imp.nodeError() << "the kernel is larger than the padded input";
    outShape.push_back(span / stride[i] + 1);
  }
  auto outType = tensorType(outShape, elementType);
  // Output initialized with the bias.
  Value init = tensor::EmptyOp::create(b, loc, outShape, elementType);
  if (bias) {
    if (shapeOf(bias) != ArrayRef<int64_t>{o})
      return imp.nodeError() << "bias must have one entry per output channel";
    SmallVector<int64_t> biasShape(outShape.size(), 1);
    biasShape[1] = o;
    init = buildGeneric(
        b, loc, {reshapeTo(b, loc, bias, biasShape)}, outType,
        [](OpBuilder &, Location, ValueRange args) { return args[0]; });
  } else {
    init = filledTensor(b, loc, outShape, elementType, 0.0);
  }
  // Loops: n, o, y_1..y_d (parallel), ic, k_1..k_d (reduction).
  int64_t loops = 3 + 2 * d;
  MLIRContext *ctx = b.getContext();
  auto dim = [&](int64_t i) { return getAffineDimExpr(i, ctx); };
  AffineExpr icExpr = dim(2 + d);
  SmallVector<AffineExpr> xExprs = {dim(0),
                                    dim(1).floorDiv(ocg) * icg + icExpr};
  SmallVector<AffineExpr> wExprs = {dim(1), icExpr};
  SmallVector<AffineExpr> outExprs = {dim(0), dim(1)};
  for (int64_t i = 0; i < d; ++i) {
    AffineExpr y = dim(2 + i), k = dim(3 + d + i);
    xExprs.push_back(y * stride[i] + k * dilation[i]);
    wExprs.push_back(k);
    outExprs.push_back(y);
  }
  SmallVector<AffineMap> maps = {AffineMap::get(loops, 0, xExprs, ctx),
                                 AffineMap::get(loops, 0, wExprs, ctx),
                                 AffineMap::get(loops, 0, outExprs, ctx)};
  SmallVector<utils::IteratorType> iterators(2 + d,
                                             utils::IteratorType::parallel);
  iterators.append(1 + d, utils::IteratorType::reduction);
  auto conv = linalg::GenericOp::create(
      b, loc, outType, ValueRange{x, w}, ValueRange{init}, maps, iterators,
      [](OpBuilder &nb, Location l, ValueRange args) {
        Value p = arith::MulFOp::create(nb, l, args[0], args[1]);
        linalg::YieldOp::create(
            nb, l, ValueRange{arith::AddFOp::create(nb, l, args[2], p)});
      });
  return conv.getResult(0);
}

/// ConvTranspose as a convolution of the stride-dilated, fully padded input
/// with the flipped kernel (in / out channels swapped per group), cropped by
/// the pads.
static LogicalResult convTransposeOp(Importer &imp) {
  if (failed(imp.checkAttrs({"auto_pad", "dilations", "group", "kernel_shape",
                             "output_padding", "output_shape", "pads",
                             "strides"})))
    return failure();
  FailureOr<Value> x = imp.input(0), wv = imp.input(1);
  if (failed(x) || failed(wv))
    return failure();
  OpBuilder &b = imp.b;
  Location loc = imp.loc;
  ArrayRef<int64_t> xs = shapeOf(*x), ws = shapeOf(*wv);
  if (xs.size() < 3 || ws.size() != xs.size())
    return imp.nodeError() << "input and weight must be N-D of one rank";
  Type elementType = elementTypeOf(*x);
  if (!isa<FloatType>(elementType))
    return imp.nodeError() << "integer ConvTranspose is not supported";
  int64_t d = xs.size() - 2, n = xs[0], c = xs[1];
  int64_t group = imp.attrInt("group", 1);
  if (group <= 0 || c % group || ws[0] != c)
    return imp.nodeError() << "weight must be [C, M/group, k...] with C "
                              "divisible by group";
  int64_t icg = c / group, ocg = ws[1], o = ocg * group;
  SmallVector<int64_t> kernel(ws.drop_front(2));
  std::vector<int64_t> ones(d, 1), zeros(d, 0);
  std::vector<int64_t> stride = imp.attrInts("strides").value_or(ones);
  std::vector<int64_t> dilation = imp.attrInts("dilations").value_or(ones);
  std::vector<int64_t> outPad = imp.attrInts("output_padding").value_or(zeros);
  std::vector<int64_t> pads =
      imp.attrInts("pads").value_or(std::vector<int64_t>(2 * d, 0));
  if (int64_t(stride.size()) != d || int64_t(dilation.size()) != d ||
      int64_t(outPad.size()) != d || int64_t(pads.size()) != 2 * d)
    return imp.nodeError() << "strides / dilations / output_padding / pads do "
                              "not match a "
                           << d << "-D kernel";
  std::string autoPad = imp.attrString("auto_pad", "NOTSET");
  if (autoPad != "NOTSET" && autoPad != "VALID" && autoPad != "SAME_UPPER" &&
      autoPad != "SAME_LOWER")
    return imp.nodeError() << "unsupported auto_pad '" << autoPad << "'";
  std::optional<std::vector<int64_t>> outputShape =
      imp.attrInts("output_shape");
  if (outputShape && outputShape->size() == size_t(d + 2))
    outputShape->erase(outputShape->begin(), outputShape->begin() + 2);
  SmallVector<int64_t> padBegin(d), padEnd(d);
  for (int64_t i = 0; i < d; ++i) {
    int64_t full = stride[i] * (xs[2 + i] - 1) + outPad[i] +
                   (kernel[i] - 1) * dilation[i] + 1;
    if (outputShape || autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
      int64_t target = outputShape ? (*outputShape)[i] : xs[2 + i] * stride[i];
      // Negative total padding (an output_shape past the full output)
      // extends the output with positions no input reaches.
      int64_t total = full - target;
      int64_t half = total >= 0 ? total / 2 : -((-total + 1) / 2);
      bool upper = autoPad == "SAME_UPPER";
      padBegin[i] = upper ? half : total - half;
      padEnd[i] = total - padBegin[i];
    } else if (autoPad == "VALID") {
      padBegin[i] = padEnd[i] = 0;
    } else {
      padBegin[i] = pads[i];
      padEnd[i] = pads[i + d];
    }
  }
  // The input with stride - 1 zeros between elements and (k - 1) *
  // dilation zeros around it (plus output_padding at the end).
  SmallVector<int64_t> dilatedShape = {n, c};
  SmallVector<OpFoldResult> offsets = {b.getIndexAttr(0), b.getIndexAttr(0)},
                            sizes = {b.getIndexAttr(n), b.getIndexAttr(c)},
                            strides = {b.getIndexAttr(1), b.getIndexAttr(1)};
  for (int64_t i = 0; i < d; ++i) {
    int64_t edge = (kernel[i] - 1) * dilation[i];
    int64_t extendBegin = std::max<int64_t>(0, -padBegin[i]);
    int64_t extendEnd = std::max<int64_t>(0, -padEnd[i]);
    padBegin[i] += extendBegin;
    padEnd[i] += extendEnd;
    dilatedShape.push_back((xs[2 + i] - 1) * stride[i] + 1 + 2 * edge +
                           outPad[i] + extendBegin + extendEnd);
    offsets.push_back(b.getIndexAttr(edge + extendBegin));
    sizes.push_back(b.getIndexAttr(xs[2 + i]));
    strides.push_back(b.getIndexAttr(stride[i]));
  }
  Value canvas = filledTensor(b, loc, dilatedShape, elementType, 0.0);
  Value dilated = tensor::InsertSliceOp::create(b, loc, *x, canvas, offsets,
                                                sizes, strides);
  // Weight [C, M/g, k...] -> [g * M/g, C/g, k...], flipped along k.
  SmallVector<int64_t> grouped = {group, icg, ocg};
  grouped.append(kernel.begin(), kernel.end());
  Value wg = reshapeTo(b, loc, *wv, grouped);
  SmallVector<int32_t> perm = {0, 2, 1};
  for (int64_t i = 0; i < d; ++i)
    perm.push_back(3 + i);
  wg = transposeBy(b, loc, wg, perm);
  SmallVector<int64_t> flippedShape = {o, icg};
  flippedShape.append(kernel.begin(), kernel.end());
  Value wf = reshapeTo(b, loc, wg, flippedShape);
  for (int64_t i = 0; i < d; ++i)
    if (kernel[i] > 1)
      wf = tosa::ReverseOp::create(b, loc, wf.getType(), wf,
                                   b.getI32IntegerAttr(2 + i));
  Value bias;
  if (imp.hasInput(2)) {
    FailureOr<Value> bv = imp.input(2);
    if (failed(bv))
      return failure();
    bias = *bv;
  }
  SmallVector<int64_t> unit(d, 1), none(d, 0);
  FailureOr<Value> full =
      buildConvNd(imp, dilated, wf, bias, unit, dilation, none, none, group);
  if (failed(full))
    return failure();
  // Crop the pads.
  ArrayRef<int64_t> fullShape = shapeOf(*full);
  SmallVector<int64_t> cropOffsets = {0, 0}, cropSizes = {n, o},
                       cropStrides(d + 2, 1);
  for (int64_t i = 0; i < d; ++i) {
    int64_t size = fullShape[2 + i] - padBegin[i] - padEnd[i];
    if (size <= 0)
      return imp.nodeError() << "the pads remove the whole output";
    cropOffsets.push_back(padBegin[i]);
    cropSizes.push_back(size);
  }
  Value result = *full;
  if (ArrayRef<int64_t>(cropSizes) != fullShape)
    result = tensor::ExtractSliceOp::create(
        b, loc, tensorType(cropSizes, elementType), *full, ValueRange{},
        ValueRange{}, ValueRange{}, cropOffsets, cropSizes, cropStrides);
  return imp.setOutput(0, result);
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
  if (xs.size() < 3 || ws.size() != xs.size())
    return imp.nodeError() << "input and weight must be N-D (N, C, spatial...) "
                              "of one rank";
  Type elementType = elementTypeOf(*x);
  if (!isa<FloatType>(elementType))
    return imp.nodeError() << "integer Conv is not supported";
  int64_t n = xs[0], c = xs[1], o = ws[0];
  int64_t group = imp.attrInt("group", 1);
  if (auto k = imp.attrInts("kernel_shape"))
    if (ArrayRef<int64_t>(*k) != ws.drop_front(2))
      return imp.nodeError() << "kernel_shape does not match the weight";
  bool depthwise = group == c && ws[1] == 1 && o % c == 0;
  if (xs.size() != 4 || (group != 1 && !depthwise)) {
    // 1-D, 3-D and grouped convolutions: one linalg.generic.
    NdWindow w;
    if (failed(computeNdWindow(imp, xs.drop_front(2), ws.drop_front(2),
                               /*ceilMode=*/false, w)))
      return failure();
    Value bias;
    if (imp.hasInput(2)) {
      FailureOr<Value> bv = imp.input(2);
      if (failed(bv))
        return failure();
      bias = *bv;
    }
    FailureOr<Value> out = buildConvNd(imp, *x, *wv, bias, w.stride, w.dilation,
                                       w.padBegin, w.padEnd, group);
    if (failed(out))
      return failure();
    return imp.setOutput(0, *out);
  }
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
FailureOr<Value> onnx_import::buildPool(Importer &imp, bool isMax, Value x,
                                        bool isUnsigned) {
  OpBuilder &b = imp.b;
  Location loc = imp.loc;
  SmallVector<int64_t> xs(shapeOf(x));
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
  Type elementType = elementTypeOf(x);
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
    Value nhwc = transposeBy(b, loc, x, {0, 2, 3, 1});
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
    return transposeBy(b, loc, out, {0, 3, 1, 2});
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
  Value src = x;
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
    if (withIndices && failed(imp.setOutput(1, generic.getResult(1), kInt64)))
      return failure();
    return generic.getResult(0);
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
  return avg;
}

static LogicalResult poolOp(Importer &imp, bool isMax) {
  if (failed(imp.checkAttrs({"auto_pad", "ceil_mode", "count_include_pad",
                             "dilations", "kernel_shape", "pads",
                             "storage_order", "strides"})))
    return failure();
  FailureOr<Value> x = imp.input(0);
  if (failed(x))
    return failure();
  int32_t onnxType = imp.inputInfo(0)->onnxType;
  FailureOr<Value> y = buildPool(imp, isMax, *x, isOnnxUnsigned(onnxType));
  if (failed(y))
    return failure();
  return imp.setOutput(0, *y, onnxType);
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

void onnx_import::registerConvPoolOps(OpTable &table) {
  table.on("Conv", 1, convOp);
  table.on("ConvTranspose", 1, convTransposeOp);
  table.on("MaxPool", 1, [](Importer &imp) { return poolOp(imp, true); });
  table.on("AveragePool", 7, [](Importer &imp) { return poolOp(imp, false); });
  table.on("GlobalAveragePool", 1,
           [](Importer &imp) { return globalPoolOp(imp, ReduceKind::Mean); });
  table.on("GlobalMaxPool", 1,
           [](Importer &imp) { return globalPoolOp(imp, ReduceKind::Max); });
}

//===- OnnxResize.cpp - Resize and Upsample -------------------------------===//
//
// Resize (opsets 10-19) and Upsample: nearest (every nearest_mode), linear
// and cubic (cubic_coeff_a, exclude_outside) with every coordinate
// transformation mode, including tf_crop_and_resize's extrapolation.
//
// Shapes are static, so each resized axis gets its taps on the host: per
// output position, the input indices (edge-clamped, as ONNX's reference
// pads) and weights, computed in double precision the way the reference
// does. The resize is then one linalg.generic per axis (ONNX's reference is
// separable too): out[.., o, ..] = sum_t w[o][t] * in[.., idx[o][t], ..].
//
//===----------------------------------------------------------------------===//

#include "OnnxImporterImpl.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <cmath>

using namespace mlir;
using namespace mlir::qnt;
using namespace mlir::qnt::onnx_import;

namespace {

enum class InterpMode { Nearest, Linear, Cubic };
enum class CoordMode {
  HalfPixel,
  HalfPixelSymmetric,
  PytorchHalfPixel,
  AlignCorners,
  Asymmetric,
  TfHalfPixelForNN,
  TfCropAndResize
};
enum class NearestMode { RoundPreferFloor, RoundPreferCeil, Floor, Ceil };

struct ResizeOptions {
  InterpMode mode = InterpMode::Nearest;
  CoordMode coord = CoordMode::HalfPixel;
  NearestMode nearest = NearestMode::RoundPreferFloor;
  double cubicA = -0.75;
  bool excludeOutside = false;
  double extrapolation = 0.0;
};

/// The taps of one resized axis.
struct AxisTaps {
  int64_t taps = 0;
  std::vector<int64_t> index; // [out][taps]
  std::vector<double> weight; // [out][taps]
  std::vector<bool> outside;  // [out]: tf_crop_and_resize extrapolates
  bool anyOutside = false;
};

} // namespace

/// The input coordinate of output position `x` (ONNX's
/// coordinate_transformation_mode).
static double originalCoordinate(CoordMode mode, double x, double scale,
                                 int64_t inLen, double roiStart,
                                 double roiEnd) {
  // ONNX's reference measures the output as scale * inLen, unrounded.
  double outLen = scale * double(inLen);
  switch (mode) {
  case CoordMode::HalfPixel:
    return (x + 0.5) / scale - 0.5;
  case CoordMode::HalfPixelSymmetric: {
    double adjustment = std::floor(outLen) / outLen;
    double center = double(inLen) / 2;
    double offset = center * (1 - adjustment);
    return offset + (x + 0.5) / scale - 0.5;
  }
  case CoordMode::PytorchHalfPixel:
    return outLen > 1 ? (x + 0.5) / scale - 0.5 : 0.0;
  case CoordMode::AlignCorners:
    return outLen == 1 ? 0.0 : x * double(inLen - 1) / (outLen - 1);
  case CoordMode::Asymmetric:
    return x / scale;
  case CoordMode::TfHalfPixelForNN:
    return (x + 0.5) / scale;
  case CoordMode::TfCropAndResize:
    return outLen > 1
               ? roiStart * double(inLen - 1) +
                     x * (roiEnd - roiStart) * double(inLen - 1) / (outLen - 1)
               : 0.5 * (roiStart + roiEnd) * double(inLen - 1);
  }
  llvm_unreachable("unknown coordinate mode");
}

static int64_t nearestIndex(NearestMode mode, double x) {
  switch (mode) {
  case NearestMode::RoundPreferFloor:
    return x == std::floor(x) + 0.5 ? int64_t(std::floor(x))
                                    : int64_t(std::round(x));
  case NearestMode::RoundPreferCeil:
    return x == std::floor(x) + 0.5 ? int64_t(std::ceil(x))
                                    : int64_t(std::round(x));
  case NearestMode::Floor:
    return int64_t(std::floor(x));
  case NearestMode::Ceil:
    return int64_t(std::ceil(x));
  }
  llvm_unreachable("unknown nearest mode");
}

static AxisTaps computeTaps(const ResizeOptions &o, int64_t inLen,
                            int64_t outLen, double scale, double roiStart,
                            double roiEnd) {
  AxisTaps t;
  t.taps = o.mode == InterpMode::Nearest  ? 1
           : o.mode == InterpMode::Linear ? 2
                                          : 4;
  auto clampIndex = [&](int64_t i) {
    return std::clamp<int64_t>(i, 0, inLen - 1);
  };
  for (int64_t x = 0; x < outLen; ++x) {
    double xo =
        originalCoordinate(o.coord, double(x), scale, inLen, roiStart, roiEnd);
    bool outside = o.coord == CoordMode::TfCropAndResize &&
                   (xo < 0 || xo > double(inLen - 1));
    t.outside.push_back(outside);
    t.anyOutside |= outside;
    if (o.mode == InterpMode::Nearest) {
      t.index.push_back(clampIndex(nearestIndex(o.nearest, xo)));
      t.weight.push_back(1.0);
      continue;
    }
    double base = std::floor(xo);
    double r = xo - base;
    int64_t i0 = int64_t(base);
    if (o.mode == InterpMode::Linear) {
      t.index.push_back(clampIndex(i0));
      t.index.push_back(clampIndex(i0 + 1));
      t.weight.push_back(1 - r);
      t.weight.push_back(r);
      continue;
    }
    double a = o.cubicA;
    double c[4] = {((a * (r + 1) - 5 * a) * (r + 1) + 8 * a) * (r + 1) - 4 * a,
                   ((a + 2) * r - (a + 3)) * r * r + 1,
                   ((a + 2) * (1 - r) - (a + 3)) * (1 - r) * (1 - r) + 1,
                   ((a * (2 - r) - 5 * a) * (2 - r) + 8 * a) * (2 - r) - 4 * a};
    if (o.excludeOutside) {
      double sum = 0;
      for (int k = 0; k < 4; ++k) {
        int64_t i = i0 - 1 + k;
        if (i < 0 || i >= inLen)
          c[k] = 0;
        sum += c[k];
      }
      if (sum != 0)
        for (double &v : c)
          v /= sum;
    }
    for (int k = 0; k < 4; ++k) {
      t.index.push_back(clampIndex(i0 - 1 + k));
      t.weight.push_back(c[k]);
    }
  }
  return t;
}

/// One axis resampled by its taps.
static Value resampleAxis(OpBuilder &b, Location loc, Value x, int64_t axis,
                          int64_t outLen, const AxisTaps &taps) {
  auto inType = cast<RankedTensorType>(x.getType());
  SmallVector<int64_t> outShape(inType.getShape());
  outShape[axis] = outLen;
  Type elementType = inType.getElementType();
  auto floatType = dyn_cast<FloatType>(elementType);
  // Indices and weights as small constant tables.
  auto idxType = RankedTensorType::get({outLen, taps.taps}, b.getI64Type());
  Value idxTable = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(idxType, ArrayRef(taps.index)));
  Value weightTable;
  if (floatType) {
    auto wType = RankedTensorType::get({outLen, taps.taps}, floatType);
    SmallVector<APFloat> ws;
    for (double w : taps.weight) {
      APFloat v(w);
      bool lost;
      v.convert(floatType.getFloatSemantics(), APFloat::rmNearestTiesToEven,
                &lost);
      ws.push_back(v);
    }
    weightTable =
        arith::ConstantOp::create(b, loc, DenseElementsAttr::get(wType, ws));
  }
  int64_t rank = outShape.size();
  Value init = tensor::EmptyOp::create(b, loc, outShape, elementType);
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      b, loc, init.getType(), ValueRange{}, init,
      b.getMultiDimIdentityMap(rank), iterators,
      [&](OpBuilder &nb, Location l, ValueRange) {
        SmallVector<Value> coords;
        for (int64_t d = 0; d < rank; ++d)
          coords.push_back(linalg::IndexOp::create(nb, l, d));
        Value o = coords[axis];
        Value acc;
        for (int64_t k = 0; k < taps.taps; ++k) {
          Value kc = arith::ConstantIndexOp::create(nb, l, k);
          Value i =
              tensor::ExtractOp::create(nb, l, idxTable, ValueRange{o, kc});
          SmallVector<Value> src(coords);
          src[axis] = arith::IndexCastOp::create(nb, l, nb.getIndexType(), i);
          Value v = tensor::ExtractOp::create(nb, l, x, src);
          if (!floatType) {
            acc = v; // Nearest on integers: one tap.
            break;
          }
          Value w =
              tensor::ExtractOp::create(nb, l, weightTable, ValueRange{o, kc});
          Value term = arith::MulFOp::create(nb, l, w, v);
          acc =
              acc ? arith::AddFOp::create(nb, l, acc, term).getResult() : term;
        }
        linalg::YieldOp::create(nb, l, acc);
      });
  return generic.getResult(0);
}

/// tf_crop_and_resize: positions outside the input take extrapolation_value.
static Value extrapolate(OpBuilder &b, Location loc, Value y,
                         ArrayRef<std::pair<int64_t, AxisTaps>> axes,
                         double value) {
  auto type = cast<RankedTensorType>(y.getType());
  SmallVector<std::pair<int64_t, Value>> masks;
  for (const auto &[axis, taps] : axes) {
    if (!taps.anyOutside)
      continue;
    SmallVector<bool> bits(taps.outside.begin(), taps.outside.end());
    auto maskType =
        RankedTensorType::get({int64_t(bits.size())}, b.getI1Type());
    masks.push_back(
        {axis, arith::ConstantOp::create(
                   b, loc, DenseElementsAttr::get(maskType, ArrayRef(bits)))});
  }
  if (masks.empty())
    return y;
  Type elementType = type.getElementType();
  return buildGeneric(
      b, loc, {y}, type, [&](OpBuilder &nb, Location l, ValueRange args) {
        Value fill = arith::ConstantOp::create(
            nb, l, elementType, nb.getFloatAttr(elementType, value));
        Value out = args[0];
        for (auto [axis, mask] : masks) {
          Value i = linalg::IndexOp::create(nb, l, axis);
          Value m = tensor::ExtractOp::create(nb, l, mask, ValueRange{i});
          out = arith::SelectOp::create(nb, l, m, fill, out);
        }
        return out;
      });
}

static FailureOr<ResizeOptions> readOptions(Importer &imp, bool isUpsample) {
  ResizeOptions o;
  std::string mode = imp.attrString("mode", "nearest");
  if (mode == "nearest")
    o.mode = InterpMode::Nearest;
  else if (mode == "linear" || mode == "bilinear")
    o.mode = InterpMode::Linear;
  else if (mode == "cubic" && !isUpsample)
    o.mode = InterpMode::Cubic;
  else
    return imp.nodeError() << "unsupported mode '" << mode << "'";
  if (isUpsample || imp.opset < 11) {
    // Upsample and Resize-10: asymmetric coordinates, floor for nearest.
    o.coord = CoordMode::Asymmetric;
    o.nearest = NearestMode::Floor;
    return o;
  }
  std::string coord =
      imp.attrString("coordinate_transformation_mode", "half_pixel");
  static const std::pair<StringRef, CoordMode> kCoords[] = {
      {"half_pixel", CoordMode::HalfPixel},
      {"half_pixel_symmetric", CoordMode::HalfPixelSymmetric},
      {"pytorch_half_pixel", CoordMode::PytorchHalfPixel},
      {"align_corners", CoordMode::AlignCorners},
      {"asymmetric", CoordMode::Asymmetric},
      {"tf_half_pixel_for_nn", CoordMode::TfHalfPixelForNN},
      {"tf_crop_and_resize", CoordMode::TfCropAndResize}};
  auto it = llvm::find_if(kCoords, [&](auto &e) { return e.first == coord; });
  if (it == std::end(kCoords))
    return imp.nodeError() << "unsupported coordinate_transformation_mode '"
                           << coord << "'";
  o.coord = it->second;
  std::string nearest = imp.attrString("nearest_mode", "round_prefer_floor");
  if (nearest == "round_prefer_floor")
    o.nearest = NearestMode::RoundPreferFloor;
  else if (nearest == "round_prefer_ceil")
    o.nearest = NearestMode::RoundPreferCeil;
  else if (nearest == "floor")
    o.nearest = NearestMode::Floor;
  else if (nearest == "ceil")
    o.nearest = NearestMode::Ceil;
  else
    return imp.nodeError() << "unsupported nearest_mode '" << nearest << "'";
  o.cubicA = imp.attrFloat("cubic_coeff_a", -0.75f);
  o.excludeOutside = imp.attrInt("exclude_outside", 0);
  o.extrapolation = imp.attrFloat("extrapolation_value", 0.0f);
  if (imp.attrInt("antialias", 0))
    return imp.nodeError() << "antialias = 1 is not supported";
  return o;
}

/// Constant float contents of input `i` (empty when absent or empty).
static FailureOr<std::vector<double>> constFloats(Importer &imp, unsigned i,
                                                  StringRef what) {
  if (!imp.hasInput(i))
    return std::vector<double>();
  HostTensor *t = imp.constInput(i);
  if (!t)
    return imp.nodeError() << what << " must be a constant";
  if (t->isFloat())
    return t->floats;
  return std::vector<double>(t->ints.begin(), t->ints.end());
}

static LogicalResult resizeOp(Importer &imp, bool isUpsample) {
  if (failed(imp.checkAttrs({"mode", "coordinate_transformation_mode",
                             "nearest_mode", "cubic_coeff_a", "exclude_outside",
                             "extrapolation_value", "antialias", "axes",
                             "keep_aspect_ratio_policy", "scales"})))
    return failure();
  FailureOr<ResizeOptions> options = readOptions(imp, isUpsample);
  if (failed(options))
    return failure();
  FailureOr<Value> x = imp.input(0);
  if (failed(x))
    return failure();
  ArrayRef<int64_t> inShape = shapeOf(*x);
  int64_t rank = inShape.size();

  // Scales / sizes / roi by opset: Upsample-7 attribute, Upsample-9 and
  // Resize-10 input 1, Resize-11+ inputs roi, scales, sizes.
  std::vector<double> scales, roi;
  std::vector<int64_t> sizes;
  if (isUpsample && imp.opset < 9) {
    if (const onnx::AttributeProto *a = imp.attr("scales"))
      scales.assign(a->floats().begin(), a->floats().end());
  } else if (isUpsample || imp.opset < 11) {
    FailureOr<std::vector<double>> s = constFloats(imp, 1, "scales");
    if (failed(s))
      return failure();
    scales = *s;
  } else {
    FailureOr<std::vector<double>> r = constFloats(imp, 1, "roi");
    FailureOr<std::vector<double>> s = constFloats(imp, 2, "scales");
    if (failed(r) || failed(s))
      return failure();
    roi = *r;
    scales = *s;
    if (imp.hasInput(3)) {
      FailureOr<std::vector<int64_t>> z = imp.constInts(3, "sizes");
      if (failed(z))
        return failure();
      sizes = *z;
    }
  }
  // Opset 18: scales / sizes / roi for the listed axes only.
  std::vector<int64_t> axes;
  if (auto a = imp.attrInts("axes")) {
    for (int64_t axis : *a) {
      axis = normAxis(axis, rank);
      if (axis < 0 || axis >= rank)
        return imp.nodeError() << "axis out of range";
      axes.push_back(axis);
    }
  } else {
    for (int64_t i = 0; i < rank; ++i)
      axes.push_back(i);
  }
  size_t n = axes.size();
  if (!scales.empty() && !sizes.empty())
    return imp.nodeError() << "only one of scales and sizes may be given";
  if (scales.empty() && sizes.empty())
    return imp.nodeError() << "one of scales and sizes must be given";
  if ((!scales.empty() && scales.size() != n) ||
      (!sizes.empty() && sizes.size() != n))
    return imp.nodeError() << "scales / sizes need one entry per axis";
  if (!roi.empty() && roi.size() != 2 * n)
    return imp.nodeError() << "roi needs two entries per axis";

  SmallVector<double> scale(rank, 1.0);
  SmallVector<int64_t> outShape(inShape);
  if (!sizes.empty()) {
    std::string policy = imp.attrString("keep_aspect_ratio_policy", "stretch");
    if (policy != "stretch" && policy != "not_larger" &&
        policy != "not_smaller")
      return imp.nodeError()
             << "unsupported keep_aspect_ratio_policy '" << policy << "'";
    double common = policy == "not_larger" ? INFINITY : 0.0;
    for (size_t i = 0; i < n; ++i) {
      double s = double(sizes[i]) / double(inShape[axes[i]]);
      common =
          policy == "not_larger" ? std::min(common, s) : std::max(common, s);
    }
    for (size_t i = 0; i < n; ++i) {
      int64_t axis = axes[i];
      if (policy == "stretch") {
        outShape[axis] = sizes[i];
        scale[axis] = double(sizes[i]) / double(inShape[axis]);
      } else {
        scale[axis] = common;
        outShape[axis] = int64_t(std::round(common * double(inShape[axis])));
      }
    }
  } else {
    for (size_t i = 0; i < n; ++i) {
      double size = std::floor(double(inShape[axes[i]]) * scales[i]);
      if (!(scales[i] > 0) || !(size <= double(kMaxHostElements)))
        return imp.nodeError() << "scale " << scales[i]
                               << " must be positive and give an output dim "
                                  "of at most "
                               << kMaxHostElements;
      scale[axes[i]] = scales[i];
      outShape[axes[i]] = int64_t(size);
    }
  }
  for (int64_t d : outShape) {
    if (d <= 0)
      return imp.nodeError() << "the output would be empty";
    if (d > kMaxHostElements)
      return imp.nodeError() << "an output dim of " << d << " is larger than "
                             << kMaxHostElements;
  }
  Type elementType = elementTypeOf(*x);
  if (!isa<FloatType>(elementType) && options->mode != InterpMode::Nearest)
    return imp.nodeError() << "linear and cubic Resize need a float input";

  Value y = *x;
  SmallVector<std::pair<int64_t, AxisTaps>> resampled;
  for (size_t i = 0; i < n; ++i) {
    int64_t axis = axes[i];
    double roiStart = roi.empty() ? 0.0 : roi[i];
    double roiEnd = roi.empty() ? 1.0 : roi[i + n];
    bool identity = outShape[axis] == inShape[axis] && scale[axis] == 1.0 &&
                    options->coord != CoordMode::TfCropAndResize;
    if (identity)
      continue;
    AxisTaps taps = computeTaps(*options, inShape[axis], outShape[axis],
                                scale[axis], roiStart, roiEnd);
    y = resampleAxis(imp.b, imp.loc, y, axis, outShape[axis], taps);
    resampled.push_back({axis, std::move(taps)});
  }
  if (options->coord == CoordMode::TfCropAndResize)
    y = extrapolate(imp.b, imp.loc, y, resampled, options->extrapolation);
  return imp.setOutput(0, y, imp.inputInfo(0)->onnxType);
}

//===----------------------------------------------------------------------===//
// Registration
//===----------------------------------------------------------------------===//

void onnx_import::registerResizeOps(OpTable &table) {
  table.on("Resize", 10, [](Importer &imp) { return resizeOp(imp, false); });
  table.on("Upsample", 7, [](Importer &imp) { return resizeOp(imp, true); });
}

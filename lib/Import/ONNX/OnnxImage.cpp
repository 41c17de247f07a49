//===- OnnxImage.cpp - GridSample and RoiAlign ----------------------------===//
//
// Sampling ops whose coordinates come from data: GridSample (a flow field)
// and RoiAlign (boxes). Each output element is one linalg.generic body
// that computes its coordinates, taps and weights as ONNX's reference does;
// every read goes through boundedIndex, so no coordinate leaves the input.
//
//===----------------------------------------------------------------------===//

#include "OnnxImporterImpl.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::qnt;
using namespace mlir::qnt::onnx_import;

enum class SampleMode { Nearest, Linear, Cubic };

//===----------------------------------------------------------------------===//
// GridSample
//===----------------------------------------------------------------------===//

enum class GridPadding { Zeros, Border, Reflection };

/// x reflected into [lo, hi] (ONNX's _gs_reflect), in f64.
static Value reflectCoordinate(OpBuilder &b, Location l, Value x, double lo,
                               double hi) {
  Type f64 = b.getF64Type();
  auto c = [&](double v) {
    return arith::ConstantOp::create(b, l, f64, b.getFloatAttr(f64, v))
        .getResult();
  };
  double range = hi - lo;
  if (range <= 0)
    return c(lo);
  auto side = [&](Value dx, Value nearEnd, Value farEnd, bool below) {
    Value n =
        math::TruncOp::create(b, l, arith::DivFOp::create(b, l, dx, c(range)));
    Value r = arith::SubFOp::create(b, l, dx,
                                    arith::MulFOp::create(b, l, n, c(range)));
    Value odd = arith::TruncIOp::create(
        b, l, b.getI1Type(), arith::FPToSIOp::create(b, l, b.getI64Type(), n));
    Value even = below ? arith::AddFOp::create(b, l, nearEnd, r).getResult()
                       : arith::SubFOp::create(b, l, nearEnd, r).getResult();
    Value oddV = below ? arith::SubFOp::create(b, l, farEnd, r).getResult()
                       : arith::AddFOp::create(b, l, farEnd, r).getResult();
    return arith::SelectOp::create(b, l, odd, oddV, even).getResult();
  };
  Value below =
      arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLT, x, c(lo));
  Value above =
      arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT, x, c(hi));
  Value fromBelow =
      side(arith::SubFOp::create(b, l, c(lo), x), c(lo), c(hi), true);
  Value fromAbove =
      side(arith::SubFOp::create(b, l, x, c(hi)), c(hi), c(lo), false);
  return arith::SelectOp::create(
      b, l, below, fromBelow,
      arith::SelectOp::create(b, l, above, fromAbove, x));
}

/// GridSample of any spatial rank (opset 16: bilinear / nearest / bicubic,
/// opset 20: linear / nearest / cubic) as ONNX's reference computes it: the
/// grid denormalized per align_corners, the coordinate fixed by the padding
/// mode, then separable taps whose reads apply the padding mode again.
static LogicalResult gridSampleOp(Importer &imp) {
  if (failed(imp.checkAttrs({"align_corners", "mode", "padding_mode"})))
    return failure();
  std::string mode =
      imp.attrString("mode", imp.opset >= 20 ? "linear" : "bilinear");
  SampleMode interp;
  if (mode == "nearest")
    interp = SampleMode::Nearest;
  else if (mode == "bilinear" || mode == "linear")
    interp = SampleMode::Linear;
  else if (mode == "bicubic" || mode == "cubic")
    interp = SampleMode::Cubic;
  else
    return imp.nodeError() << "unsupported mode '" << mode << "'";
  std::string padding = imp.attrString("padding_mode", "zeros");
  GridPadding pad;
  if (padding == "zeros")
    pad = GridPadding::Zeros;
  else if (padding == "border")
    pad = GridPadding::Border;
  else if (padding == "reflection")
    pad = GridPadding::Reflection;
  else
    return imp.nodeError() << "unsupported padding_mode '" << padding << "'";
  bool alignCorners = imp.attrInt("align_corners", 0);
  FailureOr<Value> x = imp.input(0), grid = imp.input(1);
  if (failed(x) || failed(grid))
    return failure();
  ArrayRef<int64_t> xs = shapeOf(*x), gs = shapeOf(*grid);
  int64_t r = int64_t(xs.size()) - 2;
  if (r < 1 || int64_t(gs.size()) != r + 2 || gs[0] != xs[0] || gs.back() != r)
    return imp.nodeError() << "grid must be [N, out..., " << r << "]";
  Type type = elementTypeOf(*x);
  auto floatType = dyn_cast<FloatType>(type);
  if (!floatType || elementTypeOf(*grid) != type)
    return imp.nodeError() << "X and grid must be float tensors of one type";
  SmallVector<int64_t> outShape = {xs[0], xs[1]};
  outShape.append(gs.begin() + 1, gs.end() - 1);
  SmallVector<int64_t> dims(xs.drop_front(2));
  Value xv = *x, gv = *grid;
  int64_t taps = interp == SampleMode::Nearest  ? 1
                 : interp == SampleMode::Linear ? 2
                                                : 4;
  Value result = buildGeneric(
      imp.b, imp.loc, {}, tensorType(outShape, type),
      [&](OpBuilder &b, Location l, ValueRange) -> Value {
        Type f64 = b.getF64Type(), i64 = b.getI64Type();
        auto c = [&](double v) {
          return arith::ConstantOp::create(b, l, f64, b.getFloatAttr(f64, v))
              .getResult();
        };
        auto ci = [&](int64_t v) {
          return arith::ConstantOp::create(b, l, b.getI64IntegerAttr(v))
              .getResult();
        };
        auto toF64 = [&](Value v) -> Value {
          if (v.getType() == f64)
            return v;
          return arith::ExtFOp::create(b, l, f64, v);
        };
        SmallVector<Value> out;
        for (int64_t d = 0; d < r + 2; ++d)
          out.push_back(linalg::IndexOp::create(b, l, d));
        // Per spatial dim: base index and tap weights.
        SmallVector<Value> base(r);
        SmallVector<SmallVector<Value, 4>> weights(r);
        for (int64_t i = 0; i < r; ++i) {
          // The grid lists coordinates innermost dim first.
          SmallVector<Value> gc = {out[0]};
          gc.append(out.begin() + 2, out.end());
          gc.push_back(arith::ConstantIndexOp::create(b, l, r - 1 - i));
          Value g = toF64(tensor::ExtractOp::create(b, l, gv, gc).getResult());
          double len = double(dims[i]);
          Value v =
              alignCorners
                  ? arith::MulFOp::create(
                        b, l,
                        arith::DivFOp::create(
                            b, l, arith::AddFOp::create(b, l, g, c(1)), c(2)),
                        c(len - 1))
                        .getResult()
                  : arith::DivFOp::create(
                        b, l,
                        arith::SubFOp::create(
                            b, l,
                            arith::MulFOp::create(
                                b, l, arith::AddFOp::create(b, l, g, c(1)),
                                c(len)),
                            c(1)),
                        c(2))
                        .getResult();
          // The reference keeps coordinates in float32.
          v = arith::ExtFOp::create(
                  b, l, f64,
                  arith::TruncFOp::create(b, l, b.getF32Type(), v).getResult())
                  .getResult();
          if (interp == SampleMode::Nearest)
            v = math::RoundEvenOp::create(b, l, v);
          double lo = alignCorners ? 0.0 : -0.5;
          double hi = alignCorners ? len - 1 : len - 0.5;
          if (pad == GridPadding::Border) {
            Value outside = arith::OrIOp::create(
                b, l,
                arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLT, v,
                                      c(lo)),
                arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT, v,
                                      c(hi)));
            Value clamped = arith::MinimumFOp::create(
                b, l, arith::MaximumFOp::create(b, l, v, c(0)), c(len - 1));
            v = arith::SelectOp::create(b, l, outside, clamped, v);
          } else if (pad == GridPadding::Reflection) {
            v = reflectCoordinate(b, l, v, lo, hi);
          }
          if (interp == SampleMode::Nearest) {
            base[i] = arith::FPToSIOp::create(b, l, i64, v);
            weights[i] = {c(1)};
            continue;
          }
          Value fl = math::FloorOp::create(b, l, v);
          Value ratio = arith::SubFOp::create(b, l, v, fl);
          base[i] = arith::FPToSIOp::create(b, l, i64, fl);
          if (interp == SampleMode::Linear) {
            weights[i] = {arith::SubFOp::create(b, l, c(1), ratio), ratio};
            continue;
          }
          base[i] = arith::SubIOp::create(b, l, base[i], ci(1));
          // Keys' cubic convolution, A = -0.75.
          double a = -0.75;
          auto poly = [&](Value t, bool outer) -> Value {
            // outer: ((a t - 5a) t + 8a) t - 4a; inner: ((a+2) t - (a+3)) t^2
            // + 1.
            if (outer) {
              Value p = arith::SubFOp::create(
                  b, l, arith::MulFOp::create(b, l, c(a), t), c(5 * a));
              p = arith::AddFOp::create(b, l, arith::MulFOp::create(b, l, p, t),
                                        c(8 * a));
              return arith::SubFOp::create(
                  b, l, arith::MulFOp::create(b, l, p, t), c(4 * a));
            }
            Value p = arith::SubFOp::create(
                b, l, arith::MulFOp::create(b, l, c(a + 2), t), c(a + 3));
            return arith::AddFOp::create(
                b, l,
                arith::MulFOp::create(b, l, p,
                                      arith::MulFOp::create(b, l, t, t)),
                c(1));
          };
          Value oneMinus = arith::SubFOp::create(b, l, c(1), ratio);
          weights[i] = {
              poly(arith::AddFOp::create(b, l, ratio, c(1)), true),
              poly(ratio, false), poly(oneMinus, false),
              poly(arith::AddFOp::create(b, l, oneMinus, c(1)), true)};
        }
        // Sum over every tap combination.
        Value acc = c(0);
        int64_t combos = 1;
        for (int64_t i = 0; i < r; ++i)
          combos *= taps;
        for (int64_t k = 0; k < combos; ++k) {
          Value w = c(1);
          Value valid;
          SmallVector<Value> coords = {out[0], out[1]};
          for (int64_t i = 0, rest = k; i < r; ++i) {
            int64_t t = rest % taps;
            rest /= taps;
            w = arith::MulFOp::create(b, l, w, weights[i][t]);
            Value idx = arith::AddIOp::create(b, l, base[i], ci(t));
            int64_t len = dims[i];
            if (pad == GridPadding::Zeros) {
              Value ok = arith::AndIOp::create(
                  b, l,
                  arith::CmpIOp::create(b, l, arith::CmpIPredicate::sge, idx,
                                        ci(0)),
                  arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, idx,
                                        ci(len)));
              valid = valid ? arith::AndIOp::create(b, l, valid, ok).getResult()
                            : ok;
            } else if (pad == GridPadding::Reflection) {
              Value f = arith::SIToFPOp::create(b, l, f64, idx);
              f = reflectCoordinate(b, l, f, alignCorners ? 0.0 : -0.5,
                                    alignCorners ? double(len - 1)
                                                 : double(len) - 0.5);
              idx = arith::FPToSIOp::create(b, l, i64, f);
            }
            coords.push_back(boundedIndex(b, l, idx, len));
          }
          Value p =
              toF64(tensor::ExtractOp::create(b, l, xv, coords).getResult());
          if (valid)
            p = arith::SelectOp::create(b, l, valid, p, c(0));
          acc = arith::AddFOp::create(b, l, acc,
                                      arith::MulFOp::create(b, l, w, p));
        }
        return floatType.getWidth() == 64
                   ? acc
                   : arith::TruncFOp::create(b, l, type, acc).getResult();
      });
  return imp.setOutput(0, result);
}

//===----------------------------------------------------------------------===//
// RoiAlign
//===----------------------------------------------------------------------===//

/// RoiAlign (opset 10: output_half_pixel, 16: half_pixel by default):
/// per box and bin, the average (or ONNX Runtime's max) of bilinear samples
/// on a grid of sampling_ratio (or ceil(bin size)) points per side; the
/// grid size depends on the box, so the samples are an scf.for pair inside
/// the generic's body.
static LogicalResult roiAlignOp(Importer &imp) {
  if (failed(imp.checkAttrs({"coordinate_transformation_mode", "mode",
                             "output_height", "output_width", "sampling_ratio",
                             "spatial_scale"})))
    return failure();
  std::string mode = imp.attrString("mode", "avg");
  if (mode != "avg" && mode != "max")
    return imp.nodeError() << "unsupported mode '" << mode << "'";
  std::string coord =
      imp.attrString("coordinate_transformation_mode",
                     imp.opset >= 16 ? "half_pixel" : "output_half_pixel");
  if (coord != "half_pixel" && coord != "output_half_pixel")
    return imp.nodeError() << "unsupported coordinate_transformation_mode '"
                           << coord << "'";
  bool halfPixel = coord == "half_pixel";
  int64_t oh = imp.attrInt("output_height", 1),
          ow = imp.attrInt("output_width", 1);
  int64_t ratio = imp.attrInt("sampling_ratio", 0);
  double scale = imp.attrFloat("spatial_scale", 1.0f);
  if (oh <= 0 || ow <= 0 || ratio < 0)
    return imp.nodeError() << "output sizes must be positive and "
                              "sampling_ratio >= 0";
  FailureOr<Value> x = imp.input(0), rois = imp.input(1),
                   batchIdx = imp.input(2);
  if (failed(x) || failed(rois) || failed(batchIdx))
    return failure();
  ArrayRef<int64_t> xs = shapeOf(*x), rs = shapeOf(*rois);
  if (xs.size() != 4 || rs.size() != 2 || rs[1] != 4 ||
      shapeOf(*batchIdx) != ArrayRef<int64_t>{rs[0]})
    return imp.nodeError() << "expected X [N, C, H, W], rois [R, 4] and "
                              "batch_indices [R]";
  auto floatType = dyn_cast<FloatType>(elementTypeOf(*x));
  if (!floatType)
    return imp.nodeError() << "X must be a float tensor";
  int64_t numBatch = xs[0], height = xs[2], width = xs[3];
  Value xv = *x, rv = *rois, bv = *batchIdx;
  bool isMax = mode == "max";
  Type type = floatType;
  Value result = buildGeneric(
      imp.b, imp.loc, {}, tensorType({rs[0], xs[1], oh, ow}, type),
      [&](OpBuilder &b, Location l, ValueRange) -> Value {
        Type f32 = b.getF32Type(), i64 = b.getI64Type();
        auto c = [&](double v) {
          return arith::ConstantOp::create(b, l, f32, b.getFloatAttr(f32, v))
              .getResult();
        };
        auto idx = [&](int64_t v) {
          return arith::ConstantIndexOp::create(b, l, v).getResult();
        };
        auto toF32 = [&](Value v) -> Value {
          if (v.getType() == f32)
            return v;
          if (isa<FloatType>(v.getType()))
            return cast<FloatType>(v.getType()).getWidth() > 32
                       ? arith::TruncFOp::create(b, l, f32, v).getResult()
                       : arith::ExtFOp::create(b, l, f32, v).getResult();
          return arith::SIToFPOp::create(b, l, f32, v);
        };
        Value r = linalg::IndexOp::create(b, l, 0);
        Value ch = linalg::IndexOp::create(b, l, 1);
        Value ph = arith::IndexCastOp::create(b, l, i64,
                                              linalg::IndexOp::create(b, l, 2));
        Value pw = arith::IndexCastOp::create(b, l, i64,
                                              linalg::IndexOp::create(b, l, 3));
        auto roiAt = [&](int64_t k) {
          Value v = tensor::ExtractOp::create(b, l, rv, ValueRange{r, idx(k)});
          Value scaled = arith::MulFOp::create(b, l, toF32(v), c(scale));
          return halfPixel
                     ? arith::SubFOp::create(b, l, scaled, c(0.5)).getResult()
                     : scaled;
        };
        Value x0 = roiAt(0), y0 = roiAt(1), x1 = roiAt(2), y1 = roiAt(3);
        Value rw = arith::SubFOp::create(b, l, x1, x0);
        Value rh = arith::SubFOp::create(b, l, y1, y0);
        if (!halfPixel) {
          rw = arith::MaximumFOp::create(b, l, rw, c(1));
          rh = arith::MaximumFOp::create(b, l, rh, c(1));
        }
        Value binH = arith::DivFOp::create(b, l, rh, c(double(oh)));
        Value binW = arith::DivFOp::create(b, l, rw, c(double(ow)));
        auto gridCount = [&](Value size, int64_t bins) -> Value {
          if (ratio > 0)
            return arith::ConstantOp::create(b, l, b.getI64IntegerAttr(ratio));
          Value n = math::CeilOp::create(
              b, l, arith::DivFOp::create(b, l, size, c(double(bins))));
          // A degenerate box samples nothing; keep the count sane.
          n = arith::MaximumFOp::create(b, l, n, c(0));
          n = arith::MinimumFOp::create(b, l, n, c(1 << 20));
          return arith::FPToSIOp::create(b, l, i64, n);
        };
        Value gh = gridCount(rh, oh), gw = gridCount(rw, ow);
        Value count = arith::MaxSIOp::create(
            b, l, arith::MulIOp::create(b, l, gh, gw),
            arith::ConstantOp::create(b, l, b.getI64IntegerAttr(1)));
        Value batch = boundedIndex(
            b, l, tensor::ExtractOp::create(b, l, bv, ValueRange{r}), numBatch);
        Value startY = arith::AddFOp::create(
            b, l, y0, arith::MulFOp::create(b, l, toF32(ph), binH));
        Value startX = arith::AddFOp::create(
            b, l, x0, arith::MulFOp::create(b, l, toF32(pw), binW));
        Value stepY = arith::DivFOp::create(b, l, binH, toF32(gh));
        Value stepX = arith::DivFOp::create(b, l, binW, toF32(gw));
        auto pixel = [&](OpBuilder &nb, Location nl, Value yi, Value xi) {
          return toF32(tensor::ExtractOp::create(
                           nb, nl, xv,
                           ValueRange{batch, ch,
                                      arith::IndexCastOp::create(
                                          nb, nl, nb.getIndexType(), yi),
                                      arith::IndexCastOp::create(
                                          nb, nl, nb.getIndexType(), xi)})
                           .getResult());
        };
        // One bilinear sample (ONNX Runtime's rules at the borders); the
        // four weighted corners, or zeros outside [-1, size].
        auto sample = [&](OpBuilder &nb, Location nl, Value y,
                          Value xx) -> SmallVector<Value, 4> {
          auto cmp = [&](arith::CmpFPredicate p, Value a, double v) {
            return arith::CmpFOp::create(nb, nl, p, a, c(v)).getResult();
          };
          Value outside = arith::OrIOp::create(
              nb, nl,
              arith::OrIOp::create(
                  nb, nl, cmp(arith::CmpFPredicate::OLT, y, -1.0),
                  cmp(arith::CmpFPredicate::OGT, y, double(height))),
              arith::OrIOp::create(
                  nb, nl, cmp(arith::CmpFPredicate::OLT, xx, -1.0),
                  cmp(arith::CmpFPredicate::OGT, xx, double(width))));
          auto axis = [&](Value v, int64_t size) {
            v = arith::MaximumFOp::create(nb, nl, v, c(0));
            Value low = arith::FPToSIOp::create(nb, nl, i64, v);
            Value last = arith::ConstantOp::create(
                nb, nl, nb.getI64IntegerAttr(size - 1));
            Value atEnd = arith::CmpIOp::create(
                nb, nl, arith::CmpIPredicate::sge, low, last);
            low = arith::SelectOp::create(nb, nl, atEnd, last, low);
            Value high = arith::SelectOp::create(
                nb, nl, atEnd, last,
                arith::AddIOp::create(nb, nl, low,
                                      arith::ConstantOp::create(
                                          nb, nl, nb.getI64IntegerAttr(1))));
            v = arith::SelectOp::create(nb, nl, atEnd, toF32(low), v);
            Value frac = arith::SubFOp::create(nb, nl, v, toF32(low));
            return std::make_tuple(low, high, frac);
          };
          auto [yl, yh, ly] = axis(y, height);
          auto [xl, xh, lx] = axis(xx, width);
          Value hy = arith::SubFOp::create(nb, nl, c(1), ly);
          Value hx = arith::SubFOp::create(nb, nl, c(1), lx);
          SmallVector<Value, 4> terms = {
              arith::MulFOp::create(nb, nl,
                                    arith::MulFOp::create(nb, nl, hy, hx),
                                    pixel(nb, nl, yl, xl)),
              arith::MulFOp::create(nb, nl,
                                    arith::MulFOp::create(nb, nl, hy, lx),
                                    pixel(nb, nl, yl, xh)),
              arith::MulFOp::create(nb, nl,
                                    arith::MulFOp::create(nb, nl, ly, hx),
                                    pixel(nb, nl, yh, xl)),
              arith::MulFOp::create(nb, nl,
                                    arith::MulFOp::create(nb, nl, ly, lx),
                                    pixel(nb, nl, yh, xh))};
          for (Value &t : terms)
            t = arith::SelectOp::create(nb, nl, outside, c(0), t);
          return terms;
        };
        Value ghIdx = arith::IndexCastOp::create(b, l, b.getIndexType(), gh);
        Value gwIdx = arith::IndexCastOp::create(b, l, b.getIndexType(), gw);
        Value init = isMax ? c(-INFINITY) : c(0);
        auto outer = scf::ForOp::create(
            b, l, idx(0), ghIdx, idx(1), ValueRange{init},
            [&](OpBuilder &nb, Location nl, Value iy, ValueRange accY) {
              Value y = arith::AddFOp::create(
                  nb, nl, startY,
                  arith::MulFOp::create(
                      nb, nl,
                      arith::AddFOp::create(
                          nb, nl,
                          arith::UIToFPOp::create(
                              nb, nl, f32,
                              arith::IndexCastOp::create(nb, nl, i64, iy)),
                          c(0.5)),
                      stepY));
              auto inner = scf::ForOp::create(
                  nb, nl, idx(0), gwIdx, idx(1), ValueRange{accY[0]},
                  [&](OpBuilder &ib, Location il, Value ix, ValueRange acc) {
                    Value xx = arith::AddFOp::create(
                        ib, il, startX,
                        arith::MulFOp::create(
                            ib, il,
                            arith::AddFOp::create(
                                ib, il,
                                arith::UIToFPOp::create(
                                    ib, il, f32,
                                    arith::IndexCastOp::create(ib, il, i64,
                                                               ix)),
                                c(0.5)),
                            stepX));
                    SmallVector<Value, 4> t = sample(ib, il, y, xx);
                    Value v;
                    if (isMax) {
                      v = acc[0];
                      for (Value term : t)
                        v = arith::MaximumFOp::create(ib, il, v, term);
                    } else {
                      v = acc[0];
                      for (Value term : t)
                        v = arith::AddFOp::create(ib, il, v, term);
                    }
                    scf::YieldOp::create(ib, il, v);
                  });
              scf::YieldOp::create(nb, nl, inner.getResult(0));
            });
        Value v = outer.getResult(0);
        if (!isMax)
          v = arith::DivFOp::create(b, l, v, toF32(count));
        else
          v = arith::SelectOp::create(
              b, l,
              arith::CmpFOp::create(b, l, arith::CmpFPredicate::OEQ, v,
                                    c(-INFINITY)),
              c(0), v);
        if (type == f32)
          return v;
        return cast<FloatType>(type).getWidth() > 32
                   ? arith::ExtFOp::create(b, l, type, v).getResult()
                   : arith::TruncFOp::create(b, l, type, v).getResult();
      });
  return imp.setOutput(0, result);
}

//===----------------------------------------------------------------------===//
// Registration
//===----------------------------------------------------------------------===//

void onnx_import::registerImageOps(OpTable &table) {
  table.on("GridSample", 16, gridSampleOp);
  table.on("RoiAlign", 10, roiAlignOp);
}

//===- OnnxLayout.cpp - Layout, fill and scan ops -------------------------===//
//
// Trilu, EyeLike, Expand, Tile, Range, Split, CumSum, Pad (every mode),
// DepthToSpace / SpaceToDepth and ReverseSequence: linalg.generic maps over
// the output (reads through boundedIndex), slices, and an scf.for for
// CumSum's running sum.
//
//===----------------------------------------------------------------------===//

#include "OnnxImporterImpl.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InterleavedRange.h"

#include <cmath>
#include <cstring>

using namespace mlir;
using namespace mlir::qnt;
using namespace mlir::qnt::onnx_import;
//===----------------------------------------------------------------------===//
// Trilu, EyeLike
//===----------------------------------------------------------------------===//

/// j - i as an i64 for index values i, j.
static Value diagonalOffset(OpBuilder &b, Location l, Value i, Value j) {
  Type i64 = b.getI64Type();
  return arith::SubIOp::create(b, l, arith::IndexCastOp::create(b, l, i64, j),
                               arith::IndexCastOp::create(b, l, i64, i));
}

static LogicalResult triluOp(Importer &imp) {
  if (failed(imp.checkAttrs({"upper"})))
    return failure();
  bool upper = imp.attrInt("upper", 1);
  int64_t k = 0;
  if (imp.hasInput(1)) {
    FailureOr<std::vector<int64_t>> kv = imp.constInts(1, "k");
    if (failed(kv))
      return failure();
    if (kv->size() != 1)
      return imp.nodeError() << "k must be a scalar";
    k = kv->front();
  }
  FailureOr<Value> x = imp.input(0);
  if (failed(x))
    return failure();
  int64_t rank = shapeOf(*x).size();
  if (rank < 2)
    return imp.nodeError() << "input must have rank >= 2";
  Type type = elementTypeOf(*x);
  Value result = buildGeneric(
      imp.b, imp.loc, {*x}, cast<RankedTensorType>(x->getType()),
      [&](OpBuilder &nb, Location l, ValueRange args) {
        Value off =
            diagonalOffset(nb, l, linalg::IndexOp::create(nb, l, rank - 2),
                           linalg::IndexOp::create(nb, l, rank - 1));
        Value kc = arith::ConstantOp::create(nb, l, nb.getI64IntegerAttr(k));
        Value keep = arith::CmpIOp::create(nb, l,
                                           upper ? arith::CmpIPredicate::sge
                                                 : arith::CmpIPredicate::sle,
                                           off, kc);
        return arith::SelectOp::create(nb, l, keep, args[0],
                                       zeroOf(nb, l, type))
            .getResult();
      });
  return imp.setOutput(0, result, imp.inputInfo(0)->onnxType);
}

static LogicalResult eyeLikeOp(Importer &imp) {
  if (failed(imp.checkAttrs({"dtype", "k"})))
    return failure();
  FailureOr<SmallVector<int64_t>> shape = inputShape(imp, 0);
  if (failed(shape))
    return failure();
  if (shape->size() != 2)
    return imp.nodeError() << "input must be 2-D";
  int32_t onnxType = imp.attrInt("dtype", imp.inputInfo(0)->onnxType);
  FailureOr<Type> type = imp.mlirType(onnxType);
  if (failed(type))
    return imp.nodeError() << "unsupported dtype " << onnxTypeName(onnxType);
  int64_t k = imp.attrInt("k", 0);
  Value result = generateTensor(
      imp.b, imp.loc, tensorType(*shape, *type),
      [&](OpBuilder &nb, Location l, ArrayRef<Value> c) {
        Value kc = arith::ConstantOp::create(nb, l, nb.getI64IntegerAttr(k));
        Value on = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq,
                                         diagonalOffset(nb, l, c[0], c[1]), kc);
        return arith::SelectOp::create(nb, l, on, oneOf(nb, l, *type),
                                       zeroOf(nb, l, *type))
            .getResult();
      });
  return imp.setOutput(0, result, onnxType);
}

//===----------------------------------------------------------------------===//
// Expand, Tile, Range
//===----------------------------------------------------------------------===//

static LogicalResult expandOp(Importer &imp) {
  if (failed(imp.checkAttrs({})))
    return failure();
  FailureOr<std::vector<int64_t>> target = imp.constInts(1, "shape");
  FailureOr<SmallVector<int64_t>> in = inputShape(imp, 0);
  if (failed(target) || failed(in))
    return failure();
  FailureOr<SmallVector<int64_t>> shape =
      broadcastShapes(imp, *in, ArrayRef<int64_t>(*target));
  if (failed(shape))
    return failure();
  HostTensor *c = imp.constInput(0);
  if (c && !c->isFloat()) {
    // Shape arithmetic (e.g. Expand of a Range): fold.
    return foldIntElementwise(
        imp, c->type, [](ArrayRef<int64_t> v) { return v[0]; }, {0}, *shape);
  }
  FailureOr<Value> x = imp.input(0);
  if (failed(x))
    return failure();
  Value result = buildGeneric(
      imp.b, imp.loc, {toRank(imp.b, imp.loc, *x, shape->size())},
      tensorType(*shape, elementTypeOf(*x)),
      [](OpBuilder &, Location, ValueRange args) { return args[0]; });
  return imp.setOutput(0, result, imp.inputInfo(0)->onnxType);
}

static LogicalResult tileOp(Importer &imp) {
  if (failed(imp.checkAttrs({})))
    return failure();
  FailureOr<std::vector<int64_t>> repeats = imp.constInts(1, "repeats");
  FailureOr<Value> x =
      failed(repeats) ? FailureOr<Value>(failure()) : imp.input(0);
  if (failed(x))
    return failure();
  ArrayRef<int64_t> shape = shapeOf(*x);
  if (repeats->size() != shape.size())
    return imp.nodeError() << "repeats must have one entry per input dim";
  SmallVector<int64_t> outShape;
  for (auto [d, r] : llvm::zip(shape, *repeats)) {
    if (r < 0)
      return imp.nodeError() << "repeats must be >= 0";
    outShape.push_back(d * r);
  }
  Value xv = *x;
  Value result = generateTensor(
      imp.b, imp.loc, tensorType(outShape, elementTypeOf(xv)),
      [&](OpBuilder &nb, Location l, ArrayRef<Value> c) {
        SmallVector<Value> src;
        for (auto [i, d] : llvm::enumerate(shape))
          src.push_back(
              arith::RemUIOp::create(nb, l, c[i], indexConst(nb, l, d)));
        return tensor::ExtractOp::create(nb, l, xv, src).getResult();
      });
  return imp.setOutput(0, result, imp.inputInfo(0)->onnxType);
}

/// Range of constant scalars, folded (its length is data-dependent
/// otherwise, which needs the dynamic-shapes support).
static LogicalResult rangeOp(Importer &imp) {
  if (failed(imp.checkAttrs({})))
    return failure();
  HostTensor *start = imp.constInput(0), *limit = imp.constInput(1),
             *delta = imp.constInput(2);
  if (!start || !limit || !delta)
    return imp.nodeError() << "start, limit and delta must be constants "
                              "(a run-time Range has a data-dependent size)";
  if (start->getNumElements() != 1 || limit->getNumElements() != 1 ||
      delta->getNumElements() != 1)
    return imp.nodeError() << "start, limit and delta must be scalars";
  auto result = std::make_shared<HostTensor>();
  result->type = start->type;
  if (start->isFloat()) {
    double s = start->floats[0], e = limit->floats[0], d = delta->floats[0];
    if (d == 0 || !std::isfinite(s) || !std::isfinite(e) || !std::isfinite(d))
      return imp.nodeError() << "start, limit and delta must be finite and "
                                "delta non-zero";
    double count = std::max(std::ceil((e - s) / d), 0.0);
    if (count > double(kMaxHostElements))
      return imp.nodeError()
             << "Range would have " << llvm::formatv("{0:F0}", count).str()
             << " elements (at most " << kMaxHostElements << " are folded)";
    int64_t n = int64_t(count);
    for (int64_t i = 0; i < n; ++i) {
      double v = s + double(i) * d;
      result->floats.push_back(v);
      if (start->type == kFloat) {
        float f = float(v);
        result->raw.insert(result->raw.end(), reinterpret_cast<char *>(&f),
                           reinterpret_cast<char *>(&f) + 4);
      } else if (start->type == kDouble) {
        result->raw.insert(result->raw.end(), reinterpret_cast<char *>(&v),
                           reinterpret_cast<char *>(&v) + 8);
      } else {
        return imp.nodeError()
               << "unsupported Range type " << onnxTypeName(start->type);
      }
    }
    result->shape = {n};
  } else {
    int64_t s = start->ints[0], e = limit->ints[0], d = delta->ints[0];
    if (d == 0)
      return imp.nodeError() << "delta must not be 0";
    // In double: limit - start may overflow int64.
    double count =
        std::max(std::ceil((double(e) - double(s)) / double(d)), 0.0);
    if (count > double(kMaxHostElements))
      return imp.nodeError()
             << "Range would have " << llvm::formatv("{0:F0}", count).str()
             << " elements (at most " << kMaxHostElements << " are folded)";
    int64_t n = int64_t(count);
    for (int64_t i = 0; i < n; ++i)
      result->ints.push_back(s + i * d);
    result->shape = {n};
  }
  return setConstOutput(imp, 0, result);
}

//===----------------------------------------------------------------------===//
// Split
//===----------------------------------------------------------------------===//

static LogicalResult splitOp(Importer &imp) {
  if (failed(imp.checkAttrs({"axis", "split", "num_outputs"})))
    return failure();
  FailureOr<SmallVector<int64_t>> in = inputShape(imp, 0);
  if (failed(in))
    return failure();
  int64_t rank = in->size();
  int64_t axis = normAxis(imp.attrInt("axis", 0), rank);
  if (axis < 0 || axis >= rank)
    return imp.nodeError() << "axis out of range";
  int64_t dim = (*in)[axis];
  std::vector<int64_t> sizes;
  if (imp.hasInput(1)) {
    FailureOr<std::vector<int64_t>> s = imp.constInts(1, "split");
    if (failed(s))
      return failure();
    sizes = *s;
  } else if (auto s = imp.attrInts("split")) {
    sizes = *s;
  } else {
    // Equal parts; with num_outputs (opset 18) the last may be smaller.
    int64_t n = imp.attrInt("num_outputs", imp.numOutputs());
    if (n <= 0)
      return imp.nodeError() << "num_outputs must be positive";
    int64_t part = (dim + n - 1) / n;
    if (!imp.attr("num_outputs") && dim % n)
      return imp.nodeError()
             << "dim " << dim << " does not split into " << n << " equal parts";
    for (int64_t i = 0, left = dim; i < n; ++i, left -= part)
      sizes.push_back(std::max<int64_t>(0, std::min(part, left)));
  }
  if (int64_t(sizes.size()) != int64_t(imp.numOutputs()))
    return imp.nodeError() << "split has " << sizes.size() << " parts for "
                           << imp.numOutputs() << " outputs";
  int64_t total = 0;
  for (int64_t s : sizes) {
    if (s < 0)
      return imp.nodeError() << "split sizes must be >= 0";
    total += s;
  }
  if (total != dim)
    return imp.nodeError() << "split sizes sum to " << total << ", not " << dim;
  FailureOr<Value> x = imp.input(0);
  if (failed(x))
    return failure();
  int64_t offset = 0;
  for (auto [i, size] : llvm::enumerate(sizes)) {
    SmallVector<int64_t> offsets(rank, 0), shape(*in), strides(rank, 1);
    offsets[axis] = offset;
    shape[axis] = size;
    Value part =
        product(shape) == 0
            ? tensor::EmptyOp::create(imp.b, imp.loc, shape, elementTypeOf(*x))
                  .getResult()
            : tensor::ExtractSliceOp::create(
                  imp.b, imp.loc, tensorType(shape, elementTypeOf(*x)), *x,
                  ValueRange{}, ValueRange{}, ValueRange{}, offsets, shape,
                  strides);
    if (failed(imp.setOutput(i, part, imp.inputInfo(0)->onnxType)))
      return failure();
    offset += size;
  }
  return success();
}

//===----------------------------------------------------------------------===//
// CumSum
//===----------------------------------------------------------------------===//

static LogicalResult cumSumOp(Importer &imp) {
  if (failed(imp.checkAttrs({"exclusive", "reverse"})))
    return failure();
  bool exclusive = imp.attrInt("exclusive", 0),
       reverse = imp.attrInt("reverse", 0);
  FailureOr<std::vector<int64_t>> axisValue = imp.constInts(1, "axis");
  FailureOr<Value> x =
      failed(axisValue) ? FailureOr<Value>(failure()) : imp.input(0);
  if (failed(x))
    return failure();
  if (axisValue->size() != 1)
    return imp.nodeError() << "axis must be a scalar";
  ArrayRef<int64_t> shape = shapeOf(*x);
  int64_t rank = shape.size();
  int64_t axis = normAxis(axisValue->front(), rank);
  if (axis < 0 || axis >= rank)
    return imp.nodeError() << "axis out of range";
  Type type = elementTypeOf(*x);
  bool isFloat = isa<FloatType>(type);
  int64_t n = shape[axis];
  OpBuilder &b = imp.b;
  Location loc = imp.loc;
  SmallVector<int64_t> sliceShape(shape);
  sliceShape[axis] = 1;
  auto sliceType = tensorType(sliceShape, type);
  if (n == 0)
    return imp.setOutput(0, *x, imp.inputInfo(0)->onnxType);
  // out[p(i)] = out[p(i - 1)] + x[p(i - exclusive)] along the scan order p
  // (reversed or not); out[p(0)] is x[p(0)], or 0 when exclusive. Only the
  // output is carried through the loop, so it bufferizes in place.
  Value xv = *x;
  auto slicePos = [&](OpBuilder &nb, Location l, Value i) -> Value {
    if (!reverse)
      return i;
    return arith::SubIOp::create(nb, l, indexConst(nb, l, n - 1), i);
  };
  auto sliceAt = [&](OpBuilder &nb, Location l, Value source, Value pos) {
    SmallVector<OpFoldResult> offsets(rank, nb.getIndexAttr(0)), sizes,
        strides(rank, nb.getIndexAttr(1));
    for (int64_t s : sliceShape)
      sizes.push_back(nb.getIndexAttr(s));
    offsets[axis] = pos;
    return tensor::ExtractSliceOp::create(nb, l, sliceType, source, offsets,
                                          sizes, strides)
        .getResult();
  };
  auto insertAt = [&](OpBuilder &nb, Location l, Value slice, Value dest,
                      Value pos) {
    SmallVector<OpFoldResult> offsets(rank, nb.getIndexAttr(0)), sizes,
        strides(rank, nb.getIndexAttr(1));
    for (int64_t s : sliceShape)
      sizes.push_back(nb.getIndexAttr(s));
    offsets[axis] = pos;
    return tensor::InsertSliceOp::create(nb, l, slice, dest, offsets, sizes,
                                         strides)
        .getResult();
  };
  Value first =
      exclusive ? splatConst(b, loc, sliceShape, type, 0.0)
                : sliceAt(b, loc, xv, slicePos(b, loc, indexConst(b, loc, 0)));
  Value out =
      insertAt(b, loc, first, tensor::EmptyOp::create(b, loc, shape, type),
               slicePos(b, loc, indexConst(b, loc, 0)));
  auto loop = scf::ForOp::create(
      b, loc, indexConst(b, loc, 1), indexConst(b, loc, n),
      indexConst(b, loc, 1), ValueRange{out},
      [&](OpBuilder &nb, Location l, Value iv, ValueRange iter) {
        Value prevIndex =
            arith::SubIOp::create(nb, l, iv, indexConst(nb, l, 1));
        Value prev = sliceAt(nb, l, iter[0], slicePos(nb, l, prevIndex));
        Value add =
            sliceAt(nb, l, xv, slicePos(nb, l, exclusive ? prevIndex : iv));
        Value sum = buildGeneric(
            nb, l, {prev, add}, sliceType,
            [&](OpBuilder &bb, Location ll, ValueRange a) {
              return isFloat
                         ? arith::AddFOp::create(bb, ll, a[0], a[1]).getResult()
                         : arith::AddIOp::create(bb, ll, a[0], a[1])
                               .getResult();
            });
        scf::YieldOp::create(
            nb, l,
            ValueRange{insertAt(nb, l, sum, iter[0], slicePos(nb, l, iv))});
      });
  return imp.setOutput(0, loop.getResult(0), imp.inputInfo(0)->onnxType);
}

//===----------------------------------------------------------------------===//
// Pad
//===----------------------------------------------------------------------===//

static LogicalResult padOp(Importer &imp) {
  if (failed(imp.checkAttrs({"mode", "pads", "value"})))
    return failure();
  std::string mode = imp.attrString("mode", "constant");
  if (mode != "constant" && mode != "reflect" && mode != "edge" &&
      mode != "wrap")
    return imp.nodeError() << "unsupported mode '" << mode << "'";
  FailureOr<Value> x = imp.input(0);
  if (failed(x))
    return failure();
  ArrayRef<int64_t> shape = shapeOf(*x);
  int64_t rank = shape.size();
  std::vector<int64_t> pads;
  if (imp.opset < 11) {
    pads = imp.attrInts("pads").value_or(std::vector<int64_t>());
  } else {
    FailureOr<std::vector<int64_t>> p = imp.constInts(1, "pads");
    if (failed(p))
      return failure();
    pads = *p;
  }
  // Opset 18: pads only for the listed axes.
  std::vector<int64_t> axes;
  if (imp.hasInput(3)) {
    FailureOr<std::vector<int64_t>> a = imp.constInts(3, "axes");
    if (failed(a))
      return failure();
    axes = *a;
  } else {
    for (int64_t i = 0; i < rank; ++i)
      axes.push_back(i);
  }
  if (pads.size() != 2 * axes.size())
    return imp.nodeError() << "pads has " << pads.size() << " entries for "
                           << axes.size() << " axes";
  SmallVector<int64_t> before(rank, 0), after(rank, 0);
  for (auto [i, a] : llvm::enumerate(axes)) {
    int64_t axis = normAxis(a, rank);
    if (axis < 0 || axis >= rank)
      return imp.nodeError() << "axis out of range";
    before[axis] = pads[i];
    after[axis] = pads[i + axes.size()];
  }
  SmallVector<int64_t> outShape;
  for (int64_t d = 0; d < rank; ++d) {
    outShape.push_back(shape[d] + before[d] + after[d]);
    if (outShape.back() < 0)
      return imp.nodeError() << "pads remove more than dim " << d << " holds";
    if (mode != "constant" && shape[d] == 0 && outShape.back() > 0)
      return imp.nodeError() << "cannot " << mode << "-pad an empty dim";
  }
  Type type = elementTypeOf(*x);
  OpBuilder &b = imp.b;
  Location loc = imp.loc;
  Value padValue;
  if (mode == "constant") {
    if (imp.opset < 11) {
      padValue = isa<FloatType>(type)
                     ? arith::ConstantOp::create(
                           b, loc, type,
                           b.getFloatAttr(type, imp.attrFloat("value", 0.0f)))
                           .getResult()
                     : zeroOf(b, loc, type);
    } else if (imp.hasInput(2)) {
      FailureOr<Value> v = imp.input(2);
      if (failed(v))
        return failure();
      if (product(shapeOf(*v)) != 1)
        return imp.nodeError() << "constant_value must be a scalar";
      Value flat = reshapeTo(b, loc, *v, {1});
      padValue = tensor::ExtractOp::create(b, loc, flat,
                                           ValueRange{indexConst(b, loc, 0)});
    } else {
      padValue = zeroOf(b, loc, type);
    }
  }
  Value xv = *x;
  Value result = generateTensor(
      b, loc, tensorType(outShape, type),
      [&](OpBuilder &nb, Location l, ArrayRef<Value> c) -> Value {
        Type i64 = nb.getI64Type();
        auto cst = [&](int64_t v) {
          return arith::ConstantOp::create(nb, l, nb.getI64IntegerAttr(v))
              .getResult();
        };
        SmallVector<Value> src;
        Value inside;
        for (int64_t d = 0; d < rank; ++d) {
          Value i = arith::SubIOp::create(
              nb, l, arith::IndexCastOp::create(nb, l, i64, c[d]),
              cst(before[d]));
          int64_t n = shape[d];
          if (mode == "constant") {
            Value ok = arith::AndIOp::create(
                nb, l,
                arith::CmpIOp::create(nb, l, arith::CmpIPredicate::sge, i,
                                      cst(0)),
                arith::CmpIOp::create(nb, l, arith::CmpIPredicate::slt, i,
                                      cst(n)));
            inside = inside
                         ? arith::AndIOp::create(nb, l, inside, ok).getResult()
                         : ok;
          } else if (mode == "edge") {
            i = arith::MinSIOp::create(
                nb, l, arith::MaxSIOp::create(nb, l, i, cst(0)), cst(n - 1));
          } else if (mode == "wrap") {
            Value r = arith::RemSIOp::create(nb, l, i, cst(n));
            Value neg = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::slt,
                                              r, cst(0));
            i = arith::SelectOp::create(
                nb, l, neg, arith::AddIOp::create(nb, l, r, cst(n)), r);
          } else if (n > 1) {
            // reflect: period 2 (n - 1), mirrored without repeating the edge.
            int64_t period = 2 * (n - 1);
            Value r = arith::RemSIOp::create(nb, l, i, cst(period));
            Value neg = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::slt,
                                              r, cst(0));
            r = arith::SelectOp::create(
                nb, l, neg, arith::AddIOp::create(nb, l, r, cst(period)), r);
            Value upper = arith::CmpIOp::create(
                nb, l, arith::CmpIPredicate::sge, r, cst(n));
            i = arith::SelectOp::create(
                nb, l, upper, arith::SubIOp::create(nb, l, cst(period), r), r);
          }
          src.push_back(boundedIndex(nb, l, i, n));
        }
        Value v = tensor::ExtractOp::create(nb, l, xv, src);
        if (inside)
          v = arith::SelectOp::create(nb, l, inside, v, padValue);
        return v;
      });
  return imp.setOutput(0, result, imp.inputInfo(0)->onnxType);
}

//===----------------------------------------------------------------------===//
// DepthToSpace / SpaceToDepth, ReverseSequence
//===----------------------------------------------------------------------===//

static LogicalResult depthSpaceOp(Importer &imp, bool toSpace) {
  if (failed(imp.checkAttrs(toSpace ? ArrayRef<StringRef>{"blocksize", "mode"}
                                    : ArrayRef<StringRef>{"blocksize"})))
    return failure();
  int64_t bs = imp.attrInt("blocksize", 0);
  if (bs <= 0)
    return imp.nodeError() << "blocksize must be positive";
  std::string mode = imp.attrString("mode", "DCR");
  if (mode != "DCR" && mode != "CRD")
    return imp.nodeError() << "unsupported mode '" << mode << "'";
  FailureOr<Value> x = imp.input(0);
  if (failed(x))
    return failure();
  ArrayRef<int64_t> s = shapeOf(*x);
  if (s.size() != 4)
    return imp.nodeError() << "input must be 4-D (NCHW)";
  int64_t n = s[0], c = s[1], h = s[2], w = s[3];
  OpBuilder &b = imp.b;
  Location loc = imp.loc;
  Value r;
  if (toSpace) {
    if (c % (bs * bs))
      return imp.nodeError() << "channels are not a multiple of blocksize^2";
    int64_t c2 = c / (bs * bs);
    if (mode == "DCR")
      r = transposeBy(b, loc, reshapeTo(b, loc, *x, {n, bs, bs, c2, h, w}),
                      {0, 3, 4, 1, 5, 2});
    else
      r = transposeBy(b, loc, reshapeTo(b, loc, *x, {n, c2, bs, bs, h, w}),
                      {0, 1, 4, 2, 5, 3});
    r = reshapeTo(b, loc, r, {n, c2, h * bs, w * bs});
  } else {
    if (h % bs || w % bs)
      return imp.nodeError() << "H and W are not multiples of blocksize";
    r = transposeBy(b, loc,
                    reshapeTo(b, loc, *x, {n, c, h / bs, bs, w / bs, bs}),
                    {0, 3, 5, 1, 2, 4});
    r = reshapeTo(b, loc, r, {n, c * bs * bs, h / bs, w / bs});
  }
  return imp.setOutput(0, r, imp.inputInfo(0)->onnxType);
}

static LogicalResult reverseSequenceOp(Importer &imp) {
  if (failed(imp.checkAttrs({"batch_axis", "time_axis"})))
    return failure();
  FailureOr<Value> x = imp.input(0), lens = imp.input(1);
  if (failed(x) || failed(lens))
    return failure();
  ArrayRef<int64_t> shape = shapeOf(*x);
  int64_t rank = shape.size();
  int64_t batchAxis = imp.attrInt("batch_axis", 1),
          timeAxis = imp.attrInt("time_axis", 0);
  if (rank < 2 || batchAxis == timeAxis || batchAxis < 0 || batchAxis > 1 ||
      timeAxis < 0 || timeAxis > 1)
    return imp.nodeError() << "batch_axis and time_axis must be 0 and 1";
  if (shapeOf(*lens) != ArrayRef<int64_t>{shape[batchAxis]})
    return imp.nodeError() << "sequence_lens must have one entry per batch";
  Value xv = *x, lv = *lens;
  int64_t steps = shape[timeAxis];
  Value result = generateTensor(
      imp.b, imp.loc, cast<RankedTensorType>(xv.getType()),
      [&](OpBuilder &nb, Location l, ArrayRef<Value> c) {
        Type i64 = nb.getI64Type();
        Value len = tensor::ExtractOp::create(nb, l, lv, c[batchAxis]);
        if (len.getType() != i64)
          len = arith::ExtSIOp::create(nb, l, i64, len);
        Value t = arith::IndexCastOp::create(nb, l, i64, c[timeAxis]);
        Value inSeq =
            arith::CmpIOp::create(nb, l, arith::CmpIPredicate::slt, t, len);
        Value one = arith::ConstantOp::create(nb, l, nb.getI64IntegerAttr(1));
        Value mirrored = arith::SubIOp::create(
            nb, l, arith::SubIOp::create(nb, l, len, one), t);
        Value src = arith::SelectOp::create(nb, l, inSeq, mirrored, t);
        SmallVector<Value> coords(c.begin(), c.end());
        coords[timeAxis] = boundedIndex(nb, l, src, steps);
        return tensor::ExtractOp::create(nb, l, xv, coords).getResult();
      });
  return imp.setOutput(0, result, imp.inputInfo(0)->onnxType);
}

//===----------------------------------------------------------------------===//
// Registration
//===----------------------------------------------------------------------===//

void onnx_import::registerLayoutOps(OpTable &table) {
  table.on("Trilu", 14, triluOp);
  table.on("EyeLike", 9, eyeLikeOp);
  table.on("Expand", 8, expandOp);
  table.on("Tile", 6, tileOp);
  table.on("Range", 11, rangeOp);
  // Split sizes: an attribute before opset 13, an input after; equal parts
  // by num_outputs from opset 18.
  table.on("Split", 2, splitOp);
  table.on("CumSum", 11, cumSumOp);
  // Pad: pads and value as attributes before opset 11, inputs after.
  table.on("Pad", 2, padOp);
  table.on("DepthToSpace", 1,
           [](Importer &imp) { return depthSpaceOp(imp, true); });
  table.on("SpaceToDepth", 1,
           [](Importer &imp) { return depthSpaceOp(imp, false); });
  table.on("ReverseSequence", 10, reverseSequenceOp);
}

//===- OnnxSignal.cpp - Windows, MelWeightMatrix, DFT and STFT ------------===//
//
// The window ops and MelWeightMatrix have constant sizes (their output shape
// depends on them), so they fold to constants computed on the host in
// double precision. DFT and STFT are dense transforms: one linalg.generic
// contracting the signal with host-computed cos / sin tables (O(N K), fine
// for the frame lengths audio front ends use).
//
//===----------------------------------------------------------------------===//

#include "OnnxImporterImpl.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <cmath>
#include <cstring>

using namespace mlir;
using namespace mlir::qnt;
using namespace mlir::qnt::onnx_import;

/// A host tensor of ONNX float type `type` holding `values`.
static FailureOr<std::shared_ptr<HostTensor>>
floatTensor(Importer &imp, int32_t type, ArrayRef<int64_t> shape,
            ArrayRef<double> values) {
  if (type != kFloat && type != kDouble && type != kFloat16)
    return imp.nodeError() << "unsupported output_datatype "
                           << onnxTypeName(type);
  return makeHostTensor(type, shape, values);
}

/// A constant scalar input as a double.
static FailureOr<double> constScalar(Importer &imp, unsigned i,
                                     StringRef what) {
  HostTensor *t = imp.constInput(i);
  if (!t || t->getNumElements() != 1)
    return imp.nodeError() << what
                           << " must be a constant scalar (the output "
                              "shape depends on it)";
  return t->isFloat() ? t->floats[0] : double(t->ints[0]);
}

enum class WindowKind { Hann, Hamming, Blackman };

static LogicalResult windowOp(Importer &imp, WindowKind kind) {
  if (failed(imp.checkAttrs({"output_datatype", "periodic"})))
    return failure();
  FailureOr<double> size = constScalar(imp, 0, "size");
  if (failed(size))
    return failure();
  if (!(*size >= 0 && *size <= double(kMaxHostElements)))
    return imp.nodeError() << "size must be in [0, " << kMaxHostElements << "]";
  int64_t n = int64_t(*size);
  bool periodic = imp.attrInt("periodic", 1);
  double denom = periodic ? double(n) : double(n - 1);
  std::vector<double> values;
  for (int64_t i = 0; i < n; ++i) {
    double x = denom > 0 ? 2 * M_PI * double(i) / denom : 0.0;
    if (kind == WindowKind::Hann)
      values.push_back(0.5 - 0.5 * std::cos(x));
    else if (kind == WindowKind::Hamming)
      values.push_back(25.0 / 46.0 - 21.0 / 46.0 * std::cos(x));
    else
      values.push_back(0.42 - 0.5 * std::cos(x) + 0.08 * std::cos(2 * x));
  }
  FailureOr<std::shared_ptr<HostTensor>> t =
      floatTensor(imp, imp.attrInt("output_datatype", kFloat), {n}, values);
  if (failed(t))
    return failure();
  return setConstOutput(imp, 0, *t);
}

/// MelWeightMatrix as ONNX's reference computes it (triangular filters
/// between mel-spaced bins).
static LogicalResult melWeightMatrixOp(Importer &imp) {
  if (failed(imp.checkAttrs({"output_datatype"})))
    return failure();
  FailureOr<double> bins = constScalar(imp, 0, "num_mel_bins"),
                    dftLength = constScalar(imp, 1, "dft_length"),
                    rate = constScalar(imp, 2, "sample_rate"),
                    lower = constScalar(imp, 3, "lower_edge_hertz"),
                    upper = constScalar(imp, 4, "upper_edge_hertz");
  if (failed(bins) || failed(dftLength) || failed(rate) || failed(lower) ||
      failed(upper))
    return failure();
  if (!(*bins > 0 && *dftLength > 0 && *rate > 0 &&
        (*dftLength / 2 + 1) * *bins <= double(kMaxHostElements)))
    return imp.nodeError() << "num_mel_bins, dft_length and sample_rate must "
                              "be positive, the matrix at most "
                           << kMaxHostElements << " elements";
  int64_t melBins = int64_t(*bins), dft = int64_t(*dftLength);
  if (melBins <= 0 || dft <= 0 || *rate <= 0)
    return imp.nodeError() << "num_mel_bins, dft_length and sample_rate must "
                              "be positive";
  int64_t spectrogramBins = dft / 2 + 1;
  // The reference computes in float32 (its inputs' type).
  float lowMel = 2595.0f * std::log10(1.0f + float(*lower) / 700.0f);
  float highMel = 2595.0f * std::log10(1.0f + float(*upper) / 700.0f);
  float step = (highMel - lowMel) / float(melBins + 2);
  std::vector<int64_t> freq;
  for (int64_t i = 0; i < melBins + 2; ++i) {
    float mel = float(i) * step + lowMel;
    float hz = 700.0f * (std::pow(10.0f, mel / 2595.0f) - 1.0f);
    freq.push_back(int64_t(std::floor(float(dft + 1) * hz / float(*rate))));
  }
  std::vector<double> values(spectrogramBins * melBins, 0.0);
  auto at = [&](int64_t j, int64_t i) -> double * {
    if (j < 0 || j >= spectrogramBins)
      return nullptr;
    return &values[j * melBins + i];
  };
  for (int64_t i = 0; i < melBins; ++i) {
    int64_t lo = freq[i], center = freq[i + 1], hi = freq[i + 2];
    int64_t lowToCenter = center - lo;
    if (lowToCenter == 0) {
      if (double *v = at(center, i))
        *v = 1;
    } else {
      for (int64_t j = lo; j <= center; ++j)
        if (double *v = at(j, i))
          *v = double(j - lo) / double(lowToCenter);
    }
    int64_t centerToHigh = hi - center;
    if (centerToHigh > 0)
      for (int64_t j = center; j < hi; ++j)
        if (double *v = at(j, i))
          *v = double(hi - j) / double(centerToHigh);
  }
  FailureOr<std::shared_ptr<HostTensor>> t =
      floatTensor(imp, imp.attrInt("output_datatype", kFloat),
                  {spectrogramBins, melBins}, values);
  if (failed(t))
    return failure();
  return setConstOutput(imp, 0, *t);
}

//===----------------------------------------------------------------------===//
// DFT / STFT
//===----------------------------------------------------------------------===//

/// cos / sin tables [bins, length] of 2 pi k n / length.
static std::pair<Value, Value> twiddles(OpBuilder &b, Location loc,
                                        FloatType type, int64_t bins,
                                        int64_t length) {
  SmallVector<APFloat> cosv, sinv;
  for (int64_t k = 0; k < bins; ++k) {
    for (int64_t n = 0; n < length; ++n) {
      // Reduce k n mod length first: exact angles for large products.
      double angle = 2 * M_PI * double((k * n) % length) / double(length);
      for (auto [v, out] : {std::pair{std::cos(angle), &cosv},
                            std::pair{std::sin(angle), &sinv}}) {
        APFloat f(v);
        bool lost;
        f.convert(type.getFloatSemantics(), APFloat::rmNearestTiesToEven,
                  &lost);
        out->push_back(f);
      }
    }
  }
  auto tableType = RankedTensorType::get({bins, length}, type);
  return {arith::ConstantOp::create(b, loc,
                                    DenseElementsAttr::get(tableType, cosv)),
          arith::ConstantOp::create(b, loc,
                                    DenseElementsAttr::get(tableType, sinv))};
}

/// out[r, f, k, c] = sum_n (re, im)(signal[r, f * step + n] * window[n])
/// times e^(-+ 2 pi i k n / length), c = 0 real, 1 imaginary; `scale`
/// multiplies the result (1 / length for an inverse DFT).
static Value transform(OpBuilder &b, Location loc, Value re, Value im,
                       Value window, int64_t frames, int64_t step,
                       int64_t length, int64_t bins, bool inverse,
                       double scale) {
  auto type = cast<FloatType>(elementTypeOf(re));
  int64_t rows = shapeOf(re)[0];
  auto [cosT, sinT] = twiddles(b, loc, type, bins, length);
  MLIRContext *ctx = b.getContext();
  // Loops: r, f, k, c (parallel), n (reduction).
  auto d = [&](int64_t i) { return getAffineDimExpr(i, ctx); };
  AffineMap signalMap = AffineMap::get(5, 0, {d(0), d(1) * step + d(4)}, ctx);
  AffineMap tableMap = AffineMap::get(5, 0, {d(2), d(4)}, ctx);
  AffineMap windowMap = AffineMap::get(5, 0, {d(4)}, ctx);
  AffineMap outMap = AffineMap::getMultiDimIdentityMap(4, ctx);
  outMap = AffineMap::get(5, 0, {d(0), d(1), d(2), d(3)}, ctx);
  SmallVector<int64_t> outShape = {rows, frames, bins, 2};
  Value init = filledTensor(b, loc, outShape, type, 0.0);
  SmallVector<utils::IteratorType> iterators(4, utils::IteratorType::parallel);
  iterators.push_back(utils::IteratorType::reduction);
  Value result =
      linalg::GenericOp::create(
          b, loc, init.getType(), ValueRange{re, im, window, cosT, sinT},
          ValueRange{init},
          ArrayRef<AffineMap>{signalMap, signalMap, windowMap, tableMap,
                              tableMap, outMap},
          iterators,
          [&](OpBuilder &nb, Location l, ValueRange a) {
            Value w = a[2];
            Value xr = arith::MulFOp::create(nb, l, a[0], w);
            Value xi = arith::MulFOp::create(nb, l, a[1], w);
            Value c = a[3], s = a[4];
            // Forward: (xr + i xi)(c - i s); inverse: (xr + i xi)(c + i s).
            Value realPart, imagPart;
            if (!inverse) {
              realPart = arith::AddFOp::create(
                  nb, l, arith::MulFOp::create(nb, l, xr, c),
                  arith::MulFOp::create(nb, l, xi, s));
              imagPart = arith::SubFOp::create(
                  nb, l, arith::MulFOp::create(nb, l, xi, c),
                  arith::MulFOp::create(nb, l, xr, s));
            } else {
              realPart = arith::SubFOp::create(
                  nb, l, arith::MulFOp::create(nb, l, xr, c),
                  arith::MulFOp::create(nb, l, xi, s));
              imagPart = arith::AddFOp::create(
                  nb, l, arith::MulFOp::create(nb, l, xi, c),
                  arith::MulFOp::create(nb, l, xr, s));
            }
            Value isImag =
                arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq,
                                      linalg::IndexOp::create(nb, l, 3),
                                      arith::ConstantIndexOp::create(nb, l, 1));
            Value term =
                arith::SelectOp::create(nb, l, isImag, imagPart, realPart);
            linalg::YieldOp::create(
                nb, l, ValueRange{arith::AddFOp::create(nb, l, a[5], term)});
          })
          .getResult(0);
  if (scale != 1.0)
    result = buildGeneric(
        b, loc, {result}, cast<RankedTensorType>(result.getType()),
        [&](OpBuilder &nb, Location l, ValueRange a) {
          Value sc = arith::ConstantOp::create(nb, l, type,
                                               nb.getFloatAttr(type, scale));
          return arith::MulFOp::create(nb, l, a[0], sc).getResult();
        });
  return result;
}

/// Splits a [rows, length, 1 | 2] signal into real and imaginary [rows,
/// length] parts, zero-padded or cut to `length`.
static std::pair<Value, Value> splitComplex(OpBuilder &b, Location loc,
                                            Value signal, int64_t length) {
  ArrayRef<int64_t> shape = shapeOf(signal);
  int64_t rows = shape[0], have = shape[1], parts = shape[2];
  auto type = cast<FloatType>(elementTypeOf(signal));
  auto part = [&](int64_t p) -> Value {
    if (p >= parts)
      return splatConst(b, loc, {rows, length}, type, 0.0);
    int64_t take = std::min(have, length);
    Value slice = tensor::ExtractSliceOp::create(
        b, loc, tensorType({rows, take, 1}, type), signal, ValueRange{},
        ValueRange{}, ValueRange{}, ArrayRef<int64_t>{0, 0, p},
        ArrayRef<int64_t>{rows, take, 1}, ArrayRef<int64_t>{1, 1, 1});
    Value flat = reshapeTo(b, loc, slice, {rows, take});
    if (take == length)
      return flat;
    Value zero =
        arith::ConstantOp::create(b, loc, type, b.getFloatAttr(type, 0.0));
    return tensor::PadOp::create(
        b, loc, tensorType({rows, length}, type), flat,
        ArrayRef<OpFoldResult>{b.getIndexAttr(0), b.getIndexAttr(0)},
        ArrayRef<OpFoldResult>{b.getIndexAttr(0),
                               b.getIndexAttr(length - take)},
        zero);
  };
  return {part(0), part(1)};
}

static LogicalResult dftOp(Importer &imp) {
  if (failed(imp.checkAttrs({"axis", "inverse", "onesided"})))
    return failure();
  FailureOr<Value> x = imp.input(0);
  if (failed(x))
    return failure();
  ArrayRef<int64_t> shape = shapeOf(*x);
  int64_t rank = shape.size();
  if (rank < 3 || (shape.back() != 1 && shape.back() != 2) ||
      !isa<FloatType>(elementTypeOf(*x)))
    return imp.nodeError() << "input must be a float [batch..., signal, 1|2] "
                              "tensor";
  int64_t axis = imp.attrInt("axis", 1);
  axis = normAxis(axis, rank);
  if (axis < 1 || axis >= rank - 1)
    return imp.nodeError() << "axis must be a signal dim";
  bool inverse = imp.attrInt("inverse", 0),
       onesided = imp.attrInt("onesided", 0);
  int64_t length = shape[axis];
  if (imp.hasInput(1)) {
    FailureOr<std::vector<int64_t>> l = imp.constInts(1, "dft_length");
    if (failed(l))
      return failure();
    if (l->size() != 1 || l->front() <= 0)
      return imp.nodeError() << "dft_length must be a positive scalar";
    length = l->front();
  }
  if (onesided && inverse)
    return imp.nodeError() << "onesided inverse DFT is not supported";
  int64_t bins = onesided ? length / 2 + 1 : length;
  OpBuilder &b = imp.b;
  Location loc = imp.loc;
  // Move the signal axis next to the complex dim and flatten the rest.
  SmallVector<int32_t> perm;
  for (int64_t i = 0; i < rank - 1; ++i)
    if (i != axis)
      perm.push_back(i);
  perm.push_back(axis);
  perm.push_back(rank - 1);
  Value t = transposeBy(b, loc, *x, perm);
  SmallVector<int64_t> tShape(shapeOf(t));
  int64_t rows = product(ArrayRef<int64_t>(tShape).drop_back(2));
  Value flat = reshapeTo(b, loc, t, {rows, shape[axis], shape.back()});
  auto [re, im] = splitComplex(b, loc, flat, length);
  Value window = splatConst(b, loc, {length}, elementTypeOf(*x), 1.0);
  Value y = transform(b, loc, re, im, window, /*frames=*/1, /*step=*/0, length,
                      bins, inverse, inverse ? 1.0 / double(length) : 1.0);
  // [rows, 1, bins, 2] back to the input's layout with the axis resized.
  SmallVector<int64_t> outT(tShape.begin(), tShape.end() - 2);
  outT.push_back(bins);
  outT.push_back(2);
  y = reshapeTo(b, loc, y, outT);
  SmallVector<int32_t> inverse_(rank);
  for (int64_t i = 0; i < rank; ++i)
    inverse_[perm[i]] = i;
  return imp.setOutput(0, transposeBy(b, loc, y, inverse_));
}

static LogicalResult stftOp(Importer &imp) {
  if (failed(imp.checkAttrs({"onesided"})))
    return failure();
  FailureOr<Value> signal = imp.input(0);
  FailureOr<std::vector<int64_t>> step = imp.constInts(1, "frame_step");
  if (failed(signal) || failed(step))
    return failure();
  ArrayRef<int64_t> shape = shapeOf(*signal);
  if (shape.size() != 3 || (shape[2] != 1 && shape[2] != 2) ||
      !isa<FloatType>(elementTypeOf(*signal)))
    return imp.nodeError() << "signal must be a float [batch, length, 1|2] "
                              "tensor";
  if (step->size() != 1 || step->front() <= 0)
    return imp.nodeError() << "frame_step must be a positive scalar";
  OpBuilder &b = imp.b;
  Location loc = imp.loc;
  Type type = elementTypeOf(*signal);
  Value window;
  int64_t length = -1;
  if (imp.hasInput(2)) {
    FailureOr<Value> w = imp.input(2);
    if (failed(w))
      return failure();
    if (shapeOf(*w).size() != 1)
      return imp.nodeError() << "window must be 1-D";
    window = *w;
    length = shapeOf(*w)[0];
  }
  if (imp.hasInput(3)) {
    FailureOr<std::vector<int64_t>> l = imp.constInts(3, "frame_length");
    if (failed(l))
      return failure();
    if (l->size() != 1 || l->front() <= 0 ||
        (length >= 0 && l->front() != length))
      return imp.nodeError() << "frame_length must be a positive scalar "
                                "matching the window";
    length = l->front();
  }
  if (length <= 0)
    return imp.nodeError() << "a window or frame_length is required";
  if (!window)
    window = splatConst(b, loc, {length}, type, 1.0);
  if (length > shape[1])
    return imp.nodeError() << "frame_length exceeds the signal";
  int64_t frames = (shape[1] - length) / step->front() + 1;
  bool onesided = imp.attrInt("onesided", 1);
  int64_t bins = onesided ? length / 2 + 1 : length;
  auto [re, im] = splitComplex(b, loc, *signal, shape[1]);
  Value y = transform(b, loc, re, im, window, frames, step->front(), length,
                      bins, /*inverse=*/false, 1.0);
  return imp.setOutput(0, y);
}

//===----------------------------------------------------------------------===//
// Registration
//===----------------------------------------------------------------------===//

void onnx_import::registerSignalOps(OpTable &table) {
  table.on("HannWindow", 17,
           [](Importer &imp) { return windowOp(imp, WindowKind::Hann); });
  table.on("HammingWindow", 17,
           [](Importer &imp) { return windowOp(imp, WindowKind::Hamming); });
  table.on("BlackmanWindow", 17,
           [](Importer &imp) { return windowOp(imp, WindowKind::Blackman); });
  table.on("MelWeightMatrix", 17, melWeightMatrixOp);
  table.on("DFT", 17, dftOp);
  table.on("STFT", 17, stftOp);
}

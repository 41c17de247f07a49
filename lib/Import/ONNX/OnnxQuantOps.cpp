//===- OnnxQuantOps.cpp - ONNX quantization ops to qnt --------------------===//
//
// QuantizeLinear / DequantizeLinear (per-tensor, per-axis, blocked; int8,
// uint8, int4, uint4) become #qnt.uniform encodings with explicit
// parameters. A DequantizeLinear of an initializer stays encoded: MatMul /
// Gemm consume it as a qnt.constant (codes transposed to [N, K] at import)
// in qnt.matmul, anything else through qnt.dequantize. com.microsoft
// MatMulNBits becomes a qnt.constant of #qnt.uniform<uiN, per_group(1, B)>
// plus qnt.matmul.
//
//===----------------------------------------------------------------------===//

#include "OnnxImporterImpl.h"

#include "quant/Dialect/Qnt/IR/QntAttrs.h"
#include "quant/Dialect/Qnt/IR/QntOps.h"
#include "quant/Support/BitPacking.h"

#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"

#include <cstring>

using namespace mlir;
using namespace mlir::qnt;
using namespace mlir::qnt::onnx_import;

static Type scaleMlirType(OpBuilder &b, int32_t type) {
  switch (type) {
  case kFloat:
    return b.getF32Type();
  case kFloat16:
    return b.getF16Type();
  case kBfloat16:
    return b.getBF16Type();
  default:
    return Type();
  }
}

static int64_t scaleElementBytes(int32_t type) {
  return type == kFloat ? 4 : 2;
}

static std::string blobName(StringRef base, StringRef suffix) {
  std::string name = (base + "_" + suffix).str();
  for (char &c : name)
    if (!llvm::isAlnum(c) && c != '_' && c != '.')
      c = '_';
  if (name.empty() || llvm::isDigit(name[0]))
    name = "onnx_" + name;
  return name;
}

static ElementsAttr blobAttr(RankedTensorType type, StringRef name,
                             ArrayRef<char> bytes, size_t align) {
  AsmResourceBlob blob =
      HeapAsmResourceBlob::allocateAndCopyWithAlign(bytes, align);
  return DenseResourceElementsAttr::get(type, name, std::move(blob));
}

namespace {
/// Granularity and zero-point handling shared by Q and DQ.
struct QuantParams {
  QuantizedWeight::Kind kind = QuantizedWeight::Kind::Tensor;
  int64_t axis = 0;
  int64_t blockSize = 0;
};
} // namespace

/// Classifies the scale shape (scalar / 1-D / same rank) of a Q/DQ node.
static FailureOr<QuantParams> classify(Importer &imp, ArrayRef<int64_t> xShape,
                                       ArrayRef<int64_t> scaleShape) {
  QuantParams p;
  int64_t rank = xShape.size();
  int64_t axis = imp.attrInt("axis", 1);
  p.blockSize = imp.attrInt("block_size", 0);
  if (axis < 0)
    axis += rank;
  if (scaleShape.empty() || (scaleShape.size() == 1 && scaleShape[0] == 1 &&
                             (axis >= rank || xShape[axis] != 1))) {
    p.kind = QuantizedWeight::Kind::Tensor;
    return p;
  }
  if (axis < 0 || axis >= rank)
    return imp.nodeError() << "axis out of range";
  p.axis = axis;
  if (p.blockSize > 0) {
    if (int64_t(scaleShape.size()) != rank)
      return imp.nodeError()
             << "blocked quantization needs a scale of rank " << rank;
    for (int64_t i = 0; i < rank; ++i) {
      int64_t want =
          i == axis ? (xShape[i] + p.blockSize - 1) / p.blockSize : xShape[i];
      if (scaleShape[i] != want)
        return imp.nodeError()
               << "scale shape does not match block_size " << p.blockSize;
    }
    p.kind = QuantizedWeight::Kind::Block;
    return p;
  }
  if (scaleShape.size() != 1 || scaleShape[0] != xShape[axis])
    return imp.nodeError() << "per-axis scale must be 1-D of size "
                           << xShape[axis];
  p.kind = QuantizedWeight::Kind::Axis;
  return p;
}

static Granularity granularityOf(QuantizedWeight::Kind kind, int64_t axis,
                                 int64_t blockSize) {
  switch (kind) {
  case QuantizedWeight::Kind::Tensor:
    return Granularity::perTensor();
  case QuantizedWeight::Kind::Axis:
    return Granularity::perChannel(axis);
  case QuantizedWeight::Kind::Block:
    return Granularity::perGroup(axis, blockSize);
  }
  return Granularity::perTensor();
}

/// Flat index in the ONNX parameter tensor of parameter `p` (row-major over
/// the encoding's parameter shape `paramShape`), with `transposed` meaning
/// the encoding describes the 2-D transpose of the ONNX tensor.
static int64_t onnxParamIndex(ArrayRef<int64_t> p, ArrayRef<int64_t> paramShape,
                              QuantizedWeight::Kind kind, int64_t encAxis,
                              bool transposed) {
  switch (kind) {
  case QuantizedWeight::Kind::Tensor:
    return 0;
  case QuantizedWeight::Kind::Axis:
    return p[encAxis];
  case QuantizedWeight::Kind::Block: {
    if (transposed)
      return p[1] * paramShape[0] + p[0];
    int64_t flat = 0;
    for (auto [i, d] : llvm::enumerate(paramShape))
      flat = flat * d + p[i];
    return flat;
  }
  }
  return 0;
}

static void forEachIndex(ArrayRef<int64_t> shape,
                         function_ref<void(ArrayRef<int64_t>)> fn) {
  int64_t n = product(shape);
  SmallVector<int64_t> idx(shape.size(), 0);
  for (int64_t i = 0; i < n; ++i) {
    fn(idx);
    for (int64_t d = int64_t(shape.size()) - 1; d >= 0; --d) {
      if (++idx[d] < shape[d])
        break;
      idx[d] = 0;
    }
  }
}

static bool isSymmetric(ArrayRef<int32_t> zeroPoints, unsigned bits,
                        bool isSigned) {
  int32_t implicit = isSigned ? 0 : (1 << (bits - 1));
  if (zeroPoints.empty())
    return isSigned;
  return llvm::all_of(zeroPoints, [&](int32_t z) { return z == implicit; });
}

static std::vector<char> packParts(ArrayRef<int32_t> codes,
                                   ArrayRef<int64_t> shape, unsigned bits) {
  int64_t rowLength = shape.empty() ? 1 : shape.back();
  int64_t rows = rowLength ? product(shape) / rowLength : 0;
  std::vector<char> out(rows * packedRowBytes(rowLength, bits));
  packCodes(codes.data(), rows, rowLength, bits,
            reinterpret_cast<uint8_t *>(out.data()));
  return out;
}

static IntegerType storageTypeOf(OpBuilder &b, unsigned bits, bool isSigned) {
  return isSigned
             ? b.getIntegerType(bits)
             : IntegerType::get(b.getContext(), bits, IntegerType::Unsigned);
}

static FailureOr<UniformAttr> makeEncoding(Importer &imp, unsigned bits,
                                           bool isSigned, Granularity g,
                                           Type scaleType, bool symmetric,
                                           ArrayRef<int64_t> shape,
                                           Type floatType) {
  auto emit = [&]() { return imp.nodeError(); };
  UniformAttr enc = UniformAttr::getChecked(
      emit, &imp.ctx, storageTypeOf(imp.b, bits, isSigned), g, scaleType,
      symmetric, /*scaleBits=*/0u,
      /*scaleGroupSize=*/int64_t(0));
  if (!enc)
    return failure();
  if (failed(enc.verifyEncoding(shape, floatType, emit)))
    return failure();
  return enc;
}

/// The encoded constant of a quantized weight; `transposed` gives the 2-D
/// transpose ([K, N] codes become [N, K]).
static FailureOr<Value> encodedConstant(Importer &imp, QuantizedWeight &w,
                                        bool transposed, Type floatType) {
  OpBuilder &b = imp.b;
  SmallVector<int64_t> shape(w.shape);
  if (transposed) {
    if (shape.size() != 2)
      return imp.nodeError() << "quantized weight must be 2-D";
    std::swap(shape[0], shape[1]);
  }
  if (shape.empty())
    return imp.nodeError() << "a quantized scalar is not supported";
  int64_t encAxis = transposed ? 1 - w.axis : w.axis;
  Granularity g = granularityOf(w.kind, encAxis, w.blockSize);
  Type scaleType = scaleMlirType(b, w.scale->type);
  if (!scaleType)
    return imp.nodeError() << "unsupported scale type "
                           << onnxTypeName(w.scale->type);
  bool symmetric = isSymmetric(w.zeroPoints, w.bits, w.isSigned);
  FailureOr<UniformAttr> enc = makeEncoding(
      imp, w.bits, w.isSigned, g, scaleType, symmetric, shape, floatType);
  if (failed(enc))
    return failure();

  // Codes.
  std::vector<int32_t> codes(w.codes);
  if (transposed) {
    int64_t k = w.shape[0], n = w.shape[1];
    for (int64_t i = 0; i < k; ++i)
      for (int64_t j = 0; j < n; ++j)
        codes[j * k + i] = w.codes[i * n + j];
  }
  SmallVector<int64_t> paramShape = g.getParamShape(shape);
  int64_t es = scaleElementBytes(w.scale->type);
  std::vector<char> scales;
  std::vector<int32_t> zps;
  forEachIndex(paramShape, [&](ArrayRef<int64_t> p) {
    int64_t src = onnxParamIndex(p, paramShape, w.kind, encAxis, transposed);
    scales.insert(scales.end(), w.scale->raw.begin() + src * es,
                  w.scale->raw.begin() + (src + 1) * es);
    if (!w.zeroPoints.empty())
      zps.push_back(w.zeroPoints[src]);
  });
  if (!symmetric && zps.empty())
    zps.assign(product(paramShape), 0);

  auto type = RankedTensorType::get(shape, floatType, *enc);
  SmallVector<PartInfo> parts = enc->getParts(shape);
  SmallVector<Attribute> attrs;
  attrs.push_back(blobAttr(parts[0].getTensorType(), blobName(w.name, "codes"),
                           packParts(codes, shape, w.bits), 1));
  attrs.push_back(blobAttr(parts[1].getTensorType(), blobName(w.name, "scales"),
                           scales, es));
  if (!symmetric)
    attrs.push_back(blobAttr(parts[2].getTensorType(),
                             blobName(w.name, "zero_points"),
                             packParts(zps, paramShape, w.bits), 1));
  for (auto [attr, part] : llvm::zip(attrs, parts))
    if (cast<ElementsAttr>(attr).getType() != part.getTensorType())
      return imp.nodeError() << "internal error: part '" << part.name
                             << "' has an unexpected type";
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(b.getInsertionBlock());
  return qnt::ConstantOp::create(b, imp.loc, type, b.getArrayAttr(attrs))
      .getResult();
}

FailureOr<Value> onnx_import::buildQuantizedMatmul(Importer &imp, Value lhs,
                                                   ValueInfo &rhs,
                                                   bool weightIsNK,
                                                   Value bias) {
  QuantizedWeight &w = *rhs.qweight;
  OpBuilder &b = imp.b;
  Location loc = imp.loc;
  Type scaleType = scaleMlirType(b, w.scale->type);
  if (!lhs) {
    FailureOr<Value> c = encodedConstant(imp, w, false, scaleType);
    if (failed(c))
      return failure();
    return qnt::DequantizeOp::create(b, loc, tensorType(w.shape, scaleType), *c)
        .getResult();
  }
  if (w.shape.size() != 2)
    return Value();
  Type floatType = elementTypeOf(lhs);
  FailureOr<Value> weight = encodedConstant(imp, w, !weightIsNK, floatType);
  if (failed(weight))
    return failure();
  int64_t n = shapeOf(*weight)[0], k = shapeOf(*weight)[1];
  SmallVector<int64_t> lhsShape(shapeOf(lhs));
  if (lhsShape.back() != k)
    return imp.nodeError() << "reduction sizes " << lhsShape.back() << " and "
                           << k << " differ";
  // qnt.matmul takes [M, K] against an unbatched [N, K] weight: a vector
  // or batched activation ([B..., M, K], one weight for all) is flattened to
  // rows and its shape restored after.
  bool flatten = lhsShape.size() != 2;
  int64_t rows = product(ArrayRef<int64_t>(lhsShape).drop_back());
  if (flatten)
    lhs = reshapeTo(b, loc, lhs, {rows, k});
  if (bias && elementTypeOf(bias) != floatType)
    return imp.nodeError() << "bias type differs from the activations";
  Value result =
      qnt::MatmulOp::create(b, loc, tensorType({rows, n}, floatType), lhs,
                            *weight, bias, Value(), Activation::None);
  if (flatten) {
    SmallVector<int64_t> outShape(ArrayRef<int64_t>(lhsShape).drop_back());
    outShape.push_back(n);
    result = reshapeTo(b, loc, result, outShape);
  }
  return result;
}

//===----------------------------------------------------------------------===//
// DequantizeLinear / QuantizeLinear
//===----------------------------------------------------------------------===//

static bool quantizedStorage(int32_t type, unsigned &bits, bool &isSigned) {
  if (type != kInt8 && type != kUint8 && type != kInt4 && type != kUint4)
    return false;
  bits = onnxIntegerBits(type);
  isSigned = !isOnnxUnsigned(type);
  return true;
}

/// The parameter parts of a runtime encoding (qnt.quantize params or
/// qnt.assemble operands after the codes): scales reshaped to the parameter
/// shape, and zero points when asymmetric.
static LogicalResult runtimeParams(Importer &imp, const QuantParams &qp,
                                   ArrayRef<int64_t> shape, unsigned bits,
                                   bool isSigned, Type floatType,
                                   UniformAttr &encoding,
                                   SmallVector<Value> &params) {
  OpBuilder &b = imp.b;
  Location loc = imp.loc;
  Granularity g = granularityOf(qp.kind, qp.axis, qp.blockSize);
  SmallVector<int64_t> paramShape = g.getParamShape(shape);
  FailureOr<Value> scale = imp.input(1);
  if (failed(scale))
    return failure();
  Type scaleType = elementTypeOf(*scale);
  // Zero points: known constants decide the symmetry.
  std::vector<int32_t> zps;
  Value zpValue;
  if (imp.hasInput(2)) {
    if (HostTensor *zp = imp.constInput(2)) {
      for (int64_t z : zp->ints)
        zps.push_back(int32_t(z));
    } else {
      if (bits != 8)
        return imp.nodeError() << "a run-time zero point of a sub-byte type "
                                  "is not supported";
      FailureOr<Value> z = imp.input(2);
      if (failed(z))
        return failure();
      zpValue = *z;
    }
  }
  bool symmetric = !zpValue && isSymmetric(zps, bits, isSigned);
  FailureOr<UniformAttr> enc = makeEncoding(imp, bits, isSigned, g, scaleType,
                                            symmetric, shape, floatType);
  if (failed(enc))
    return failure();
  encoding = *enc;
  params.push_back(reshapeTo(b, loc, *scale, paramShape));
  if (symmetric)
    return success();
  if (zpValue) {
    params.push_back(reshapeTo(b, loc, zpValue, paramShape));
    return success();
  }
  std::vector<int32_t> ordered;
  if (zps.empty())
    zps.push_back(0);
  forEachIndex(paramShape, [&](ArrayRef<int64_t> p) {
    ordered.push_back(
        zps.size() == 1
            ? zps[0]
            : zps[onnxParamIndex(p, paramShape, qp.kind, qp.axis, false)]);
  });
  std::vector<char> packed = packParts(ordered, paramShape, bits);
  SmallVector<PartInfo> parts = enc->getParts(shape);
  auto type = parts[2].getTensorType();
  auto attr = DenseElementsAttr::getFromRawBuffer(type, ArrayRef<char>(packed));
  params.push_back(tosa::ConstOp::create(b, loc, type, attr));
  return success();
}

/// DequantizeLinear of a constant int32 tensor: the biases of QDQ Conv / Gemm
/// (scale = input scale * weight scale). They are small and added in float,
/// so they fold to a float constant at import.
static LogicalResult foldInt32Dequantize(Importer &imp, ValueInfo &x) {
  HostTensor *scale = imp.constInput(1);
  if (!scale || (imp.hasInput(2) && !imp.constInput(2)))
    return imp.nodeError() << "int32 input needs constant scale and zero point";
  if (scale->type != kFloat)
    return imp.nodeError() << "int32 input with a " << onnxTypeName(scale->type)
                           << " scale is not supported (supported: float)";
  ArrayRef<int64_t> shape = x.constant->shape;
  FailureOr<QuantParams> qp = classify(imp, shape, scale->shape);
  if (failed(qp))
    return failure();
  HostTensor *zp = imp.constInput(2);
  auto out = std::make_shared<HostTensor>();
  out->type = kFloat;
  out->shape.assign(shape.begin(), shape.end());
  int64_t n = product(shape);
  out->floats.resize(n);
  out->raw.resize(4 * n);
  // Row-major strides of x and of the parameter tensor.
  int64_t rank = shape.size();
  SmallVector<int64_t> stride(rank, 1), pstride(rank, 1);
  for (int64_t i = rank - 2; i >= 0; --i)
    stride[i] = stride[i + 1] * shape[i + 1];
  if (qp->kind == QuantizedWeight::Kind::Block)
    for (int64_t i = rank - 2; i >= 0; --i)
      pstride[i] = pstride[i + 1] * scale->shape[i + 1];
  for (int64_t e = 0; e < n; ++e) {
    int64_t p = 0;
    if (qp->kind == QuantizedWeight::Kind::Axis) {
      p = e / stride[qp->axis] % shape[qp->axis];
    } else if (qp->kind == QuantizedWeight::Kind::Block) {
      for (int64_t i = 0; i < rank; ++i) {
        int64_t c = e / stride[i] % shape[i];
        p += (i == qp->axis ? c / qp->blockSize : c) * pstride[i];
      }
    }
    int64_t z = zp ? zp->ints[zp->ints.size() == 1 ? 0 : p] : 0;
    float f = float(double(x.constant->ints[e] - z) * scale->floats[p]);
    out->floats[e] = f;
    std::memcpy(out->raw.data() + 4 * e, &f, 4);
  }
  ValueInfo info;
  info.constant = out;
  info.onnxType = kFloat;
  return imp.setOutput(0, info);
}

static LogicalResult dequantizeLinearOp(Importer &imp) {
  if (failed(imp.checkAttrs({"axis", "block_size", "output_dtype"})))
    return failure();
  ValueInfo *x = imp.inputInfo(0);
  ValueInfo *scaleInfo = imp.inputInfo(1);
  if (!x || !scaleInfo)
    return imp.nodeError() << "missing input";
  unsigned bits;
  bool isSigned;
  if (x->onnxType == kInt32 && x->constant && !x->value)
    return foldInt32Dequantize(imp, *x);
  if (!quantizedStorage(x->onnxType, bits, isSigned))
    return imp.nodeError() << "unsupported input type "
                           << onnxTypeName(x->onnxType)
                           << " (supported: int8, uint8, int4, uint4)";
  int32_t outType = imp.attrInt("output_dtype", 0);
  HostTensor *scaleConst = imp.constInput(1);
  int32_t scaleOnnxType = scaleInfo->onnxType;
  if (outType && outType != scaleOnnxType)
    return imp.nodeError() << "output_dtype different from the scale type is "
                              "not supported";
  SmallVector<int64_t> xShape;
  if (x->value)
    xShape.assign(shapeOf(x->value).begin(), shapeOf(x->value).end());
  else if (x->constant)
    xShape = x->constant->shape;
  SmallVector<int64_t> scaleShape =
      scaleConst ? scaleConst->shape
                 : SmallVector<int64_t>(shapeOf(scaleInfo->value));
  FailureOr<QuantParams> qp = classify(imp, xShape, scaleShape);
  if (failed(qp))
    return failure();

  // An initializer: keep it encoded.
  if (!x->value && x->constant) {
    if (!scaleConst || (imp.hasInput(2) && !imp.constInput(2)))
      return imp.nodeError() << "a constant input needs constant scale and "
                                "zero point";
    auto w = std::make_shared<QuantizedWeight>();
    w->name = imp.inputName(0).str();
    w->shape = xShape;
    for (int64_t c : x->constant->ints)
      w->codes.push_back(int32_t(c));
    w->bits = bits;
    w->isSigned = isSigned;
    w->kind = qp->kind;
    w->axis = qp->axis;
    w->blockSize = qp->blockSize;
    w->scale = scaleInfo->constant;
    if (!scaleMlirType(imp.b, w->scale->type))
      return imp.nodeError()
             << "unsupported scale type " << onnxTypeName(w->scale->type);
    if (HostTensor *zp = imp.constInput(2))
      for (int64_t z : zp->ints)
        w->zeroPoints.push_back(int32_t(z));
    if (!w->zeroPoints.empty() && w->zeroPoints.size() == 1 &&
        qp->kind != QuantizedWeight::Kind::Tensor)
      return imp.nodeError() << "zero point shape does not match the scale";
    ValueInfo out;
    out.qweight = w;
    out.onnxType = scaleOnnxType;
    return imp.setOutput(0, out);
  }

  FailureOr<Value> xv = imp.input(0);
  if (failed(xv))
    return failure();
  OpBuilder &b = imp.b;
  Location loc = imp.loc;
  Type scaleType = scaleMlirType(b, scaleOnnxType);
  if (!scaleType)
    return imp.nodeError() << "unsupported scale type "
                           << onnxTypeName(scaleOnnxType);
  if (getEncoding(xv->getType())) {
    // QuantizeLinear -> DequantizeLinear with the same parameters.
    if (x->quantScale != imp.inputName(1) ||
        x->quantZeroPoint != imp.inputName(2).str())
      return imp.nodeError() << "dequantizing with parameters other than "
                                "the QuantizeLinear's is not supported";
    auto type = cast<RankedTensorType>(xv->getType());
    Value r = qnt::DequantizeOp::create(
        b, loc, tensorType(type.getShape(), type.getElementType()), *xv);
    return imp.setOutput(0, r);
  }
  // Run-time integer codes: assemble them with the parameters (8-bit codes
  // are their own packed part).
  if (bits != 8)
    return imp.nodeError() << "run-time " << onnxTypeName(x->onnxType)
                           << " input is not supported";
  UniformAttr encoding;
  SmallVector<Value> parts = {*xv};
  if (failed(runtimeParams(imp, *qp, xShape, bits, isSigned, scaleType,
                           encoding, parts)))
    return failure();
  auto encodedType = RankedTensorType::get(xShape, scaleType, encoding);
  Value assembled = qnt::AssembleOp::create(b, loc, encodedType, parts);
  Value r = qnt::DequantizeOp::create(b, loc, tensorType(xShape, scaleType),
                                      assembled);
  return imp.setOutput(0, r);
}

static LogicalResult quantizeLinearOp(Importer &imp) {
  if (failed(
          imp.checkAttrs({"axis", "block_size", "output_dtype", "saturate"})))
    return failure();
  FailureOr<Value> x = imp.input(0);
  if (failed(x))
    return failure();
  ValueInfo *scaleInfo = imp.inputInfo(1);
  if (!scaleInfo)
    return imp.nodeError() << "missing scale";
  int32_t outType = imp.attrInt("output_dtype", 0);
  if (ValueInfo *zp = imp.inputInfo(2))
    outType = zp->onnxType;
  if (!outType)
    outType = kUint8;
  unsigned bits;
  bool isSigned;
  if (!quantizedStorage(outType, bits, isSigned))
    return imp.nodeError() << "unsupported output type "
                           << onnxTypeName(outType)
                           << " (supported: int8, uint8, int4, uint4)";
  Type floatType = elementTypeOf(*x);
  if (!isa<FloatType>(floatType))
    return imp.nodeError() << "input must be a float tensor";
  SmallVector<int64_t> xShape(shapeOf(*x));
  if (xShape.empty())
    return imp.nodeError() << "quantizing a scalar is not supported";
  HostTensor *scaleConst = imp.constInput(1);
  SmallVector<int64_t> scaleShape =
      scaleConst ? scaleConst->shape
                 : SmallVector<int64_t>(shapeOf(scaleInfo->value));
  FailureOr<QuantParams> qp = classify(imp, xShape, scaleShape);
  if (failed(qp))
    return failure();
  UniformAttr encoding;
  SmallVector<Value> params;
  if (failed(runtimeParams(imp, *qp, xShape, bits, isSigned, floatType,
                           encoding, params)))
    return failure();
  auto type = RankedTensorType::get(xShape, floatType, encoding);
  Value q = qnt::QuantizeOp::create(imp.b, imp.loc, type, *x, params);
  ValueInfo out;
  out.value = q;
  out.onnxType = outType;
  out.quantScale = imp.inputName(1).str();
  out.quantZeroPoint = imp.inputName(2).str();
  return imp.setOutput(0, out);
}

//===----------------------------------------------------------------------===//
// com.microsoft MatMulNBits
//===----------------------------------------------------------------------===//

static LogicalResult matMulNBitsOp(Importer &imp) {
  if (failed(imp.checkAttrs({"K", "N", "bits", "block_size", "accuracy_level",
                             "weight_prepacked"})))
    return failure();
  int64_t k = imp.attrInt("K", -1), n = imp.attrInt("N", -1);
  int64_t bits = imp.attrInt("bits", 4);
  int64_t block = imp.attrInt("block_size", -1);
  if (k <= 0 || n <= 0 || block <= 0)
    return imp.nodeError() << "K, N and block_size must be positive";
  if (bits != 2 && bits != 4 && bits != 8)
    return imp.nodeError() << "unsupported bits = " << bits
                           << " (supported: 2, 4, 8)";
  if (imp.attrInt("weight_prepacked", 0))
    return imp.nodeError() << "prepacked weights are not supported";
  if (imp.hasInput(4))
    return imp.nodeError() << "the g_idx input is not supported";
  FailureOr<Value> a = imp.input(0);
  if (failed(a))
    return failure();
  HostTensor *bq = imp.constInput(1);
  HostTensor *scales = imp.constInput(2);
  if (!bq || bq->type != kUint8)
    return imp.nodeError() << "B must be a constant uint8 tensor";
  if (!scales || !scales->isFloat() || !scaleMlirType(imp.b, scales->type))
    return imp.nodeError() << "scales must be a constant float / float16 "
                              "tensor";
  int64_t kBlocks = (k + block - 1) / block;
  int64_t blobSize = block * bits / 8;
  if (bq->getNumElements() != n * kBlocks * blobSize)
    return imp.nodeError() << "B has " << bq->getNumElements()
                           << " bytes, expected N * ceil(K / block_size) * "
                              "block_size * bits / 8 = "
                           << n * kBlocks * blobSize;
  if (scales->getNumElements() != n * kBlocks)
    return imp.nodeError() << "scales has " << scales->getNumElements()
                           << " elements, expected " << n * kBlocks;
  auto w = std::make_shared<QuantizedWeight>();
  w->name = imp.inputName(1).str();
  w->shape = {n, k};
  w->bits = bits;
  w->isSigned = false;
  w->kind = QuantizedWeight::Kind::Block;
  w->axis = 1;
  w->blockSize = block;
  auto scaleTensor = std::make_shared<HostTensor>(*scales);
  scaleTensor->shape = {n, kBlocks};
  w->scale = scaleTensor;
  std::vector<uint8_t> row(kBlocks * blobSize);
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < kBlocks * blobSize; ++j)
      row[j] = uint8_t(bq->ints[i * kBlocks * blobSize + j]);
    for (int64_t j = 0; j < k; ++j)
      w->codes.push_back(readCode(row.data(), j, bits, false));
  }
  if (imp.hasInput(3)) {
    HostTensor *zp = imp.constInput(3);
    if (!zp || zp->type != kUint8)
      return imp.nodeError() << "zero_points must be a constant packed uint8 "
                                "tensor";
    int64_t zpRow = (kBlocks * bits + 7) / 8;
    if (zp->getNumElements() != n * zpRow)
      return imp.nodeError() << "zero_points has " << zp->getNumElements()
                             << " bytes, expected " << n * zpRow;
    std::vector<uint8_t> zrow(zpRow);
    for (int64_t i = 0; i < n; ++i) {
      for (int64_t j = 0; j < zpRow; ++j)
        zrow[j] = uint8_t(zp->ints[i * zpRow + j]);
      for (int64_t j = 0; j < kBlocks; ++j)
        w->zeroPoints.push_back(readCode(zrow.data(), j, bits, false));
    }
  }
  // Without zero points: 2^(bits-1), the symmetric unsigned encoding.
  if (w->zeroPoints.empty())
    w->zeroPoints.assign(n * kBlocks, int32_t(1) << (bits - 1));
  Value bias;
  if (imp.hasInput(5)) {
    FailureOr<Value> bv = imp.input(5);
    if (failed(bv))
      return failure();
    bias = *bv;
  }
  if (shapeOf(*a).empty() || shapeOf(*a).back() != k)
    return imp.nodeError() << "A's last dimension must be K = " << k;
  ValueInfo info;
  info.qweight = w;
  FailureOr<Value> result = buildQuantizedMatmul(imp, *a, info, true, bias);
  if (failed(result))
    return failure();
  return imp.setOutput(0, *result);
}

void onnx_import::registerQuantOps(OpTable &table) {
  table.on("DequantizeLinear", 10, dequantizeLinearOp);
  table.on("QuantizeLinear", 10, quantizeLinearOp);
}

void onnx_import::registerMicrosoftQuantOps(OpTable &table) {
  table.on("MatMulNBits", 1, matMulNBitsOp);
}

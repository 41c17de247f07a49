//===- QntOps.cpp - qnt dialect operations --------------------------------===//
//
// Verifiers of the qnt ops. Every encoded operand or result is checked
// against the physical parts its encoding declares (getParts), so that
// lowerings can rely on part counts, shapes and element types.
//
//===----------------------------------------------------------------------===//

#include "quant/Dialect/Qnt/IR/QntOps.h"
#include "quant/Support/Rounding.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/ADT/STLExtras.h"

#include <cmath>
#include <cstring>

using namespace mlir;
using namespace mlir::qnt;

//===----------------------------------------------------------------------===//
// Custom directives
//===----------------------------------------------------------------------===//

// `, type(bias)` and `, type(residual)` after the lhs and weight types. The
// operands parsed before tell which types follow: two optional groups that
// both start with a comma could not tell a lone residual from a lone bias.
static ParseResult parseEpilogueTypes(
    OpAsmParser &parser,
    const std::optional<OpAsmParser::UnresolvedOperand> &bias,
    const std::optional<OpAsmParser::UnresolvedOperand> &residual,
    Type &biasType, Type &residualType) {
  if (bias && (parser.parseComma() || parser.parseType(biasType)))
    return failure();
  if (residual && (parser.parseComma() || parser.parseType(residualType)))
    return failure();
  return success();
}

static void printEpilogueTypes(OpAsmPrinter &printer, Operation *, Value, Value,
                               Type biasType, Type residualType) {
  for (Type type : {biasType, residualType})
    if (type)
      printer << ", " << type;
}

#define GET_OP_CLASSES
#include "quant/Dialect/Qnt/IR/QntOps.cpp.inc"

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

/// Prints a shape as `4x8` (`?` for dynamic extents).
static std::string formatShape(ArrayRef<int64_t> shape) {
  std::string result;
  llvm::raw_string_ostream os(result);
  llvm::interleave(
      shape, os,
      [&](int64_t d) {
        if (ShapedType::isDynamic(d))
          os << "?";
        else
          os << d;
      },
      "x");
  return result;
}

/// The parts of an encoded tensor type; fails (with a diagnostic on `op`)
/// when the type has no static shape, which every encoding needs.
static FailureOr<SmallVector<PartInfo>>
getEncodedParts(Operation *op, StringRef what, RankedTensorType type) {
  if (!type.hasStaticShape())
    return op->emitOpError()
           << what << " must have a static shape to carry an encoding, got "
           << type;
  return getEncoding(type).getParts(type.getShape());
}

/// Whether `type` is a plain ranked tensor matching `part` (shape and
/// element type; parts carry no encoding).
static bool matchesPart(Type type, const PartInfo &part) {
  auto tensorType = dyn_cast<RankedTensorType>(type);
  return tensorType && !tensorType.getEncoding() &&
         tensorType.getShape() == ArrayRef<int64_t>(part.shape) &&
         tensorType.getElementType() == part.elementType;
}

/// Checks `types` one by one against `parts`. `kind` names the operand or
/// result group in the diagnostic ("part", "param", "result").
static LogicalResult verifyPartTypes(Operation *op, StringRef kind,
                                     TypeRange types,
                                     ArrayRef<PartInfo> parts) {
  for (auto [index, type, part] : llvm::enumerate(types, parts)) {
    if (matchesPart(type, part))
      continue;
    return op->emitOpError()
           << kind << " " << index << " ('" << part.name << "') has type "
           << type << ", expected " << part.getTensorType();
  }
  return success();
}

/// Comma-separated part names, for count mismatches.
static std::string formatPartNames(ArrayRef<PartInfo> parts) {
  std::string result;
  llvm::raw_string_ostream os(result);
  llvm::interleaveComma(parts, os,
                        [&](const PartInfo &part) { os << part.name; });
  return result;
}

/// Checks that `types` are exactly the parts of the encoded `encodedType`.
static LogicalResult verifyAllParts(Operation *op, StringRef kind,
                                    TypeRange types,
                                    RankedTensorType encodedType,
                                    StringRef what) {
  FailureOr<SmallVector<PartInfo>> parts =
      getEncodedParts(op, what, encodedType);
  if (failed(parts))
    return failure();
  if (types.size() != parts->size())
    return op->emitOpError() << "expects " << parts->size() << " " << kind
                             << "s (" << formatPartNames(*parts) << ") for "
                             << encodedType << ", got " << types.size();
  return verifyPartTypes(op, kind, types, *parts);
}

//===----------------------------------------------------------------------===//
// ConstantOp
//===----------------------------------------------------------------------===//

LogicalResult ConstantOp::verify() {
  SmallVector<Type> partTypes;
  for (Attribute part : getParts())
    partTypes.push_back(cast<ElementsAttr>(part).getType());
  return verifyAllParts(*this, "part", partTypes, getType(), "result");
}

// ConstantLike ops must fold to their value; the parts array is the value,
// which also lets the greedy driver unique identical encoded constants.
OpFoldResult ConstantOp::fold(FoldAdaptor) { return getPartsAttr(); }

//===----------------------------------------------------------------------===//
// QuantizeOp
//===----------------------------------------------------------------------===//

LogicalResult QuantizeOp::verify() {
  RankedTensorType inputType = getInput().getType();
  RankedTensorType resultType = getType();
  if (inputType.getEncoding())
    return emitOpError() << "input must be a plain float tensor, got "
                         << inputType;
  if (inputType.getShape() != resultType.getShape())
    return emitOpError() << "input shape " << formatShape(inputType.getShape())
                         << " does not match result shape "
                         << formatShape(resultType.getShape());
  if (inputType.getElementType() != resultType.getElementType())
    return emitOpError() << "input element type " << inputType.getElementType()
                         << " does not match result element type "
                         << resultType.getElementType();
  FailureOr<SmallVector<PartInfo>> parts =
      getEncodedParts(*this, "result", resultType);
  if (failed(parts))
    return failure();
  if (getParams().empty())
    return success();

  unsigned numCodeParts =
      getEncoding(resultType).getNumCodeParts(resultType.getShape());
  ArrayRef<PartInfo> paramParts = ArrayRef<PartInfo>(*parts).drop_front(
      std::min<size_t>(numCodeParts, parts->size()));
  if (getParams().size() != paramParts.size()) {
    if (paramParts.empty())
      return emitOpError() << "encoding of " << resultType
                           << " has no parameter parts, got "
                           << getParams().size() << " params";
    return emitOpError() << "expects no params or " << paramParts.size() << " ("
                         << formatPartNames(paramParts) << "), got "
                         << getParams().size();
  }
  return verifyPartTypes(*this, "param", getParams().getTypes(), paramParts);
}

//===----------------------------------------------------------------------===//
// DequantizeOp
//===----------------------------------------------------------------------===//

LogicalResult DequantizeOp::verify() {
  RankedTensorType inputType = getInput().getType();
  RankedTensorType resultType = getType();
  if (resultType.getEncoding())
    return emitOpError() << "result must be a plain float tensor, got "
                         << resultType;
  if (inputType.getShape() != resultType.getShape())
    return emitOpError() << "input shape " << formatShape(inputType.getShape())
                         << " does not match result shape "
                         << formatShape(resultType.getShape());
  // Any float result element type is allowed: decode is in f32 and the
  // result is rounded to it.
  return getEncodedParts(*this, "input", inputType);
}

//===----------------------------------------------------------------------===//
// AssembleOp / DisassembleOp
//===----------------------------------------------------------------------===//

LogicalResult AssembleOp::verify() {
  return verifyAllParts(*this, "part", getParts().getTypes(), getType(),
                        "result");
}

LogicalResult DisassembleOp::verify() {
  return verifyAllParts(*this, "result", getParts().getTypes(),
                        getInput().getType(), "input");
}

//===----------------------------------------------------------------------===//
// MatmulOp
//===----------------------------------------------------------------------===//

static bool isCompatibleDim(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
}

static bool isCompatibleShape(ArrayRef<int64_t> a, ArrayRef<int64_t> b) {
  return a.size() == b.size() &&
         llvm::all_of(llvm::zip_equal(a, b), [](auto dims) {
           return isCompatibleDim(std::get<0>(dims), std::get<1>(dims));
         });
}

LogicalResult MatmulOp::verify() {
  RankedTensorType lhsType = getLhs().getType();
  RankedTensorType weightType = getWeight().getType();
  RankedTensorType resultType = getType();
  for (auto [name, type] :
       {std::pair<StringRef, RankedTensorType>{"lhs", lhsType},
        {"result", resultType}})
    if (type.getEncoding())
      return emitOpError() << name << " must be a plain float tensor, got "
                           << type;

  int64_t lhsRank = lhsType.getRank();
  if (lhsRank < 2)
    return emitOpError() << "lhs must have rank >= 2 ([..., M, K]), got rank "
                         << lhsRank;
  if (failed(getEncodedParts(*this, "weight", weightType)))
    return failure();

  ArrayRef<int64_t> lhsShape = lhsType.getShape();
  ArrayRef<int64_t> weightShape = weightType.getShape();
  ArrayRef<int64_t> batchShape = lhsShape.drop_back(2);
  int64_t weightRank = weightType.getRank();
  if (weightRank != 2 && weightRank != lhsRank)
    return emitOpError() << "weight must be [N, K] or batched [B..., N, K] "
                            "with the lhs rank "
                         << lhsRank << ", got shape "
                         << formatShape(weightShape);
  if (weightRank == lhsRank &&
      !isCompatibleShape(weightShape.drop_back(2), batchShape))
    return emitOpError() << "weight batch dimensions "
                         << formatShape(weightShape.drop_back(2))
                         << " do not match lhs batch dimensions "
                         << formatShape(batchShape);

  int64_t m = lhsShape[lhsRank - 2];
  int64_t k = lhsShape[lhsRank - 1];
  int64_t n = weightShape[weightRank - 2];
  int64_t weightK = weightShape[weightRank - 1];
  if (!isCompatibleDim(k, weightK))
    return emitOpError() << "lhs reduction size " << k
                         << " does not match weight reduction size " << weightK;

  SmallVector<int64_t> expectedShape(batchShape);
  expectedShape.push_back(m);
  expectedShape.push_back(n);
  if (!isCompatibleShape(resultType.getShape(), expectedShape))
    return emitOpError() << "result shape "
                         << formatShape(resultType.getShape())
                         << " does not match expected "
                         << formatShape(expectedShape) << " ([..., M, N])";

  if (Value bias = getBias()) {
    auto biasType = cast<RankedTensorType>(bias.getType());
    if (biasType.getEncoding() || biasType.getRank() != 1 ||
        !isCompatibleDim(biasType.getDimSize(0), n))
      return emitOpError() << "bias must be a plain 1-D tensor of " << n
                           << " elements ([N]), got " << biasType;
  }
  if (Value residual = getResidual())
    if (residual.getType() != resultType)
      return emitOpError() << "residual type " << residual.getType()
                           << " does not match result type " << resultType;
  return success();
}

//===----------------------------------------------------------------------===//
// Helpers shared by the lowerings and passes
//===----------------------------------------------------------------------===//

Value mlir::qnt::buildActivation(OpBuilder &b, Location loc,
                                 Activation activation, Value y) {
  auto cst = [&](float v) -> Value {
    TypedAttr value = b.getF32FloatAttr(v);
    if (auto vectorType = dyn_cast<VectorType>(y.getType()))
      value = DenseElementsAttr::get(vectorType, value);
    return arith::ConstantOp::create(b, loc, value);
  };
  switch (activation) {
  case Activation::None:
    return y;
  case Activation::Relu: {
    Value positive =
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, y, cst(0.0f));
    return arith::SelectOp::create(b, loc, positive, y, cst(0.0f));
  }
  case Activation::Gelu: {
    // 0.5 * y * (1 + erf(y / sqrt(2)))
    Value half = arith::MulFOp::create(b, loc, cst(0.5f), y);
    Value scaled =
        arith::DivFOp::create(b, loc, y, cst(static_cast<float>(M_SQRT2)));
    Value erf = math::ErfOp::create(b, loc, scaled);
    return arith::MulFOp::create(b, loc, half,
                                 arith::AddFOp::create(b, loc, cst(1.0f), erf));
  }
  case Activation::GeluTanh: {
    // 0.5 * y * (1 + tanh(sqrt(2 / pi) * (y + 0.044715 * y * y * y)))
    Value half = arith::MulFOp::create(b, loc, cst(0.5f), y);
    Value cube = arith::MulFOp::create(b, loc, cst(0.044715f), y);
    cube = arith::MulFOp::create(b, loc, cube, y);
    cube = arith::MulFOp::create(b, loc, cube, y);
    Value inner = arith::MulFOp::create(
        b, loc, cst(static_cast<float>(std::sqrt(2.0 / M_PI))),
        arith::AddFOp::create(b, loc, y, cube));
    Value tanh = math::TanhOp::create(b, loc, inner);
    return arith::MulFOp::create(
        b, loc, half, arith::AddFOp::create(b, loc, cst(1.0f), tanh));
  }
  case Activation::Silu: {
    // y / (1 + exp(-y))
    Value exp = math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, y));
    return arith::DivFOp::create(b, loc, y,
                                 arith::AddFOp::create(b, loc, cst(1.0f), exp));
  }
  }
  llvm_unreachable("unknown activation");
}

FailureOr<std::vector<uint8_t>> mlir::qnt::getConstantBytes(ElementsAttr attr) {
  auto type = cast<ShapedType>(attr.getType());
  Type elementType = type.getElementType();
  if (!elementType.isIntOrFloat() || elementType.getIntOrFloatBitWidth() % 8)
    return failure();
  size_t elementBytes = elementType.getIntOrFloatBitWidth() / 8;
  size_t numBytes = size_t(type.getNumElements()) * elementBytes;
  ArrayRef<char> raw;
  if (auto dense = dyn_cast<DenseElementsAttr>(attr))
    raw = dense.getRawData();
  else if (auto resource = dyn_cast<DenseResourceElementsAttr>(attr))
    raw = resource.getData();
  else
    return failure();

  std::vector<uint8_t> bytes(numBytes);
  if (raw.size() == numBytes) {
    std::memcpy(bytes.data(), raw.data(), numBytes);
  } else if (raw.size() == elementBytes && isa<DenseElementsAttr>(attr)) {
    for (size_t offset = 0; offset < numBytes; offset += elementBytes)
      std::memcpy(bytes.data() + offset, raw.data(), elementBytes);
  } else {
    return failure();
  }
  return bytes;
}

FailureOr<std::vector<float>>
mlir::qnt::getPlainConstantValues(ConstantOp constant) {
  auto encoding = dyn_cast<PlainAttr>(constant.getType().getEncoding());
  ArrayAttr parts = constant.getParts();
  if (!encoding || parts.size() != 1)
    return failure();
  FailureOr<std::vector<uint8_t>> bytes =
      getConstantBytes(cast<ElementsAttr>(parts[0]));
  if (failed(bytes))
    return failure();
  FloatType storage = encoding.getStorageType();
  std::vector<float> values;
  if (storage.isF32()) {
    values.resize(bytes->size() / 4);
    std::memcpy(values.data(), bytes->data(), values.size() * 4);
    return values;
  }
  values.reserve(bytes->size() / 2);
  for (size_t i = 0; i + 1 < bytes->size(); i += 2) {
    uint16_t bits = uint16_t((*bytes)[i]) | uint16_t((*bytes)[i + 1]) << 8;
    values.push_back(storage.isF16() ? halfBitsToFloat(bits)
                                     : bfloat16BitsToFloat(bits));
  }
  return values;
}

ElementsAttr mlir::qnt::buildPartAttr(const PartInfo &part,
                                      ArrayRef<uint8_t> bytes,
                                      int64_t inlineLimit, StringRef blobName) {
  RankedTensorType type = part.getTensorType();
  ArrayRef<char> data(reinterpret_cast<const char *>(bytes.data()),
                      bytes.size());
  if (int64_t(bytes.size()) <= inlineLimit)
    return DenseElementsAttr::getFromRawBuffer(type, data);
  // Parts hold whole-byte elements; blobs are aligned to them.
  size_t align =
      std::max<size_t>(1, part.elementType.getIntOrFloatBitWidth() / 8);
  AsmResourceBlob blob =
      HeapAsmResourceBlob::allocateAndCopyWithAlign(data, align);
  return DenseResourceElementsAttr::get(type, blobName, std::move(blob));
}

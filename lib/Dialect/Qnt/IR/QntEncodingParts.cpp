//===- QntEncodingParts.cpp - physical parts and bit counts ---------------===//
//
// What each encoding stores: the name, shape and element type of every part,
// and the exact number of stored bits. docs/Encodings.md describes the same
// layout in prose.
//
//===----------------------------------------------------------------------===//

#include "EncodingUtils.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/ADT/Hashing.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace mlir::qnt;

//===----------------------------------------------------------------------===//
// Shared helpers
//===----------------------------------------------------------------------===//

int64_t mlir::qnt::getNumElements(ArrayRef<int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

int64_t mlir::qnt::getNumRows(ArrayRef<int64_t> shape) {
  return shape.empty() ? 1 : getNumElements(shape.drop_back());
}

SmallVector<int64_t> mlir::qnt::getPackedShape(ArrayRef<int64_t> shape,
                                               unsigned bits) {
  SmallVector<int64_t> packed(shape);
  if (packed.empty())
    packed.push_back(1);
  packed.back() = llvm::divideCeil(packed.back() * bits, 8);
  return packed;
}

unsigned mlir::qnt::getStoredBitWidth(Type type) {
  if (auto floatType = dyn_cast<FloatType>(type))
    return getMinifloatKind(type) ? 8 : floatType.getWidth();
  return type.getIntOrFloatBitWidth();
}

Type mlir::qnt::getStoredPartType(Type type) {
  if (getMinifloatKind(type))
    return IntegerType::get(type.getContext(), 8);
  return type;
}

std::optional<MinifloatKind> mlir::qnt::getMinifloatKind(Type type) {
  if (isa<Float8E4M3FNType>(type))
    return MinifloatKind::E4M3FN;
  if (isa<Float8E5M2Type>(type))
    return MinifloatKind::E5M2;
  if (isa<Float6E2M3FNType>(type))
    return MinifloatKind::E2M3FN;
  if (isa<Float6E3M2FNType>(type))
    return MinifloatKind::E3M2FN;
  if (isa<Float4E2M1FNType>(type))
    return MinifloatKind::E2M1FN;
  if (isa<Float8E8M0FNUType>(type))
    return MinifloatKind::E8M0FNU;
  return std::nullopt;
}

bool mlir::qnt::isPlainScaleType(Type type) {
  return type && (type.isF32() || type.isF16() || type.isBF16());
}

void mlir::qnt::appendPrefixedParts(SmallVectorImpl<PartInfo> &result,
                                    StringRef prefix,
                                    ArrayRef<PartInfo> parts) {
  for (const PartInfo &part : parts) {
    PartInfo prefixed = part;
    prefixed.name = (prefix + "." + part.name).str();
    result.push_back(std::move(prefixed));
  }
}

int64_t PartInfo::getNumElements() const {
  return mlir::qnt::getNumElements(shape);
}

int64_t PartInfo::getNumBytes() const {
  return getNumElements() * (getStoredBitWidth(elementType) / 8);
}

//===----------------------------------------------------------------------===//
// Granularity
//===----------------------------------------------------------------------===//

static int64_t normalizeAxis(int64_t axis, int64_t rank) {
  return axis < 0 ? axis + rank : axis;
}

SmallVector<int64_t> Granularity::getBlockShape(ArrayRef<int64_t> shape) const {
  int64_t rank = shape.size();
  switch (kind) {
  case Kind::Tensor:
    return SmallVector<int64_t>(shape);
  case Kind::Channel: {
    SmallVector<int64_t> blockShape(shape);
    blockShape[normalizeAxis(axis, rank)] = 1;
    return blockShape;
  }
  case Kind::Group: {
    SmallVector<int64_t> blockShape(rank, 1);
    blockShape[normalizeAxis(axis, rank)] = groupSize;
    return blockShape;
  }
  case Kind::Block:
    return block;
  }
  llvm_unreachable("unknown granularity kind");
}

SmallVector<int64_t> Granularity::getParamShape(ArrayRef<int64_t> shape) const {
  SmallVector<int64_t> blockShape = getBlockShape(shape);
  SmallVector<int64_t> paramShape;
  for (auto [extent, blockExtent] : llvm::zip_equal(shape, blockShape))
    paramShape.push_back(
        blockExtent == 0 ? 1 : llvm::divideCeil(extent, blockExtent));
  return paramShape;
}

LogicalResult
Granularity::verify(function_ref<InFlightDiagnostic()> emitError) const {
  if (kind == Kind::Group && groupSize <= 0)
    return emitError() << "group size must be positive, got " << groupSize;
  if (kind == Kind::Block) {
    if (block.empty())
      return emitError() << "block granularity needs at least one extent";
    for (int64_t extent : block)
      if (extent <= 0)
        return emitError() << "block extents must be positive, got " << extent;
  }
  if ((kind == Kind::Channel || kind == Kind::Group) && axis < -1)
    return emitError() << "axis must be non-negative or -1 (innermost), got "
                       << axis;
  return success();
}

LogicalResult
Granularity::verify(ArrayRef<int64_t> shape,
                    function_ref<InFlightDiagnostic()> emitError) const {
  if (failed(verify(emitError)))
    return failure();
  int64_t rank = shape.size();
  if (kind == Kind::Channel || kind == Kind::Group) {
    int64_t normalized = normalizeAxis(axis, rank);
    if (normalized < 0 || normalized >= rank)
      return emitError() << "axis " << axis << " is out of range for rank "
                         << rank;
  }
  if (kind == Kind::Block && int64_t(block.size()) != rank)
    return emitError() << "block has " << block.size()
                       << " extents but the tensor has rank " << rank;
  return success();
}

llvm::hash_code mlir::qnt::hash_value(const Granularity &granularity) {
  return llvm::hash_combine(static_cast<int>(granularity.kind),
                            granularity.axis, granularity.groupSize,
                            llvm::hash_combine_range(granularity.block.begin(),
                                                     granularity.block.end()));
}

raw_ostream &mlir::qnt::operator<<(raw_ostream &os,
                                   const Granularity &granularity) {
  switch (granularity.kind) {
  case Granularity::Kind::Tensor:
    return os << "per_tensor";
  case Granularity::Kind::Channel:
    return os << "per_channel(" << granularity.axis << ")";
  case Granularity::Kind::Group:
    return os << "per_group(" << granularity.axis << ", "
              << granularity.groupSize << ")";
  case Granularity::Kind::Block:
    os << "block(";
    llvm::interleaveComma(granularity.block, os);
    return os << ")";
  }
  llvm_unreachable("unknown granularity kind");
}

AsmPrinter &mlir::qnt::operator<<(AsmPrinter &printer,
                                  const Granularity &granularity) {
  printer.getStream() << granularity;
  return printer;
}

FailureOr<Granularity> mlir::qnt::parseGranularity(AsmParser &parser) {
  SMLoc loc = parser.getCurrentLocation();
  StringRef keyword;
  if (parser.parseKeyword(&keyword))
    return failure();
  if (keyword == "per_tensor")
    return Granularity::perTensor();
  SmallVector<int64_t> values;
  auto parseInts = [&]() -> ParseResult {
    return parser.parseCommaSeparatedList(AsmParser::Delimiter::Paren,
                                          [&]() -> ParseResult {
                                            int64_t value;
                                            if (parser.parseInteger(value))
                                              return failure();
                                            values.push_back(value);
                                            return success();
                                          });
  };
  if (keyword == "per_channel") {
    if (parseInts())
      return failure();
    if (values.size() != 1)
      return parser.emitError(loc, "per_channel takes one axis"), failure();
    return Granularity::perChannel(values[0]);
  }
  if (keyword == "per_group") {
    if (parseInts())
      return failure();
    if (values.size() != 2)
      return parser.emitError(loc, "per_group takes an axis and a size"),
             failure();
    return Granularity::perGroup(values[0], values[1]);
  }
  if (keyword == "block") {
    if (parseInts())
      return failure();
    return Granularity::blocked(values);
  }
  parser.emitError(loc, "expected per_tensor, per_channel, per_group or "
                        "block, got '")
      << keyword << "'";
  return failure();
}

//===----------------------------------------------------------------------===//
// Sparse helpers
//===----------------------------------------------------------------------===//

EncodingAttrInterface mlir::qnt::getSparseValueEncoding(SparseAttr attr) {
  return dyn_cast_or_null<EncodingAttrInterface>(attr.getValues());
}

Type mlir::qnt::getSparsePlainValueType(SparseAttr attr) {
  if (auto typeAttr = dyn_cast_or_null<TypeAttr>(attr.getValues()))
    return typeAttr.getValue();
  return Float32Type::get(attr.getContext());
}

int64_t mlir::qnt::getSparseAxis(SparseAttr attr, int64_t rank) {
  return normalizeAxis(attr.getAxis(), rank);
}

SmallVector<int64_t> mlir::qnt::getSparseValueShape(SparseAttr attr,
                                                    ArrayRef<int64_t> shape) {
  if (attr.getKind() != SparsityKind::NM)
    return {attr.getNnz()};
  SmallVector<int64_t> valueShape(shape);
  int64_t axis = getSparseAxis(attr, shape.size());
  valueShape[axis] = shape[axis] / attr.getM() * attr.getN();
  return valueShape;
}

unsigned mlir::qnt::getSparsePositionBits(SparseAttr attr) {
  return std::max(1u, llvm::Log2_32_Ceil(attr.getM()));
}

//===----------------------------------------------------------------------===//
// Parts and stored bits, per encoding
//===----------------------------------------------------------------------===//

static PartInfo makePart(StringRef name, ArrayRef<int64_t> shape, Type type) {
  return PartInfo{name.str(), SmallVector<int64_t>(shape), type};
}

static Type i8Type(MLIRContext *ctx) { return IntegerType::get(ctx, 8); }
static Type i32Type(MLIRContext *ctx) { return IntegerType::get(ctx, 32); }

// Uniform: codes, scales (or scale_codes + scale_scales), [zero_points].
SmallVector<PartInfo> UniformAttr::getParts(ArrayRef<int64_t> shape) const {
  MLIRContext *ctx = getContext();
  SmallVector<int64_t> paramShape = getGranularity().getParamShape(shape);
  SmallVector<PartInfo> parts;
  parts.push_back(
      makePart("codes", getPackedShape(shape, getBits()), i8Type(ctx)));
  if (isDoubleQuantized()) {
    parts.push_back(makePart("scale_codes",
                             getPackedShape(paramShape, getScaleBits()),
                             i8Type(ctx)));
    int64_t superGroups =
        llvm::divideCeil(getNumElements(paramShape), getScaleGroupSize());
    parts.push_back(
        makePart("scale_scales", {superGroups}, Float32Type::get(ctx)));
  } else {
    parts.push_back(makePart("scales", paramShape, getScaleType()));
  }
  if (!getSymmetric())
    parts.push_back(makePart(
        "zero_points", getPackedShape(paramShape, getBits()), i8Type(ctx)));
  return parts;
}

uint64_t UniformAttr::getStorageBits(ArrayRef<int64_t> shape) const {
  int64_t numParams = getNumElements(getGranularity().getParamShape(shape));
  uint64_t bits = uint64_t(getNumElements(shape)) * getBits();
  if (isDoubleQuantized())
    bits += uint64_t(numParams) * getScaleBits() +
            uint64_t(llvm::divideCeil(numParams, getScaleGroupSize())) * 32;
  else
    bits += uint64_t(numParams) * getStoredBitWidth(getScaleType());
  if (!getSymmetric())
    bits += uint64_t(numParams) * getBits();
  return bits;
}

unsigned UniformAttr::getNumCodeParts(ArrayRef<int64_t>) const { return 1; }

// Float: codes, [scales], [tensor_scale].
SmallVector<PartInfo> MinifloatAttr::getParts(ArrayRef<int64_t> shape) const {
  MLIRContext *ctx = getContext();
  SmallVector<PartInfo> parts;
  parts.push_back(makePart(
      "codes", getPackedShape(shape, getFormat().getWidth()), i8Type(ctx)));
  if (isScaled())
    parts.push_back(makePart("scales", getGranularity().getParamShape(shape),
                             getStoredPartType(getScaleType())));
  if (getTensorScale())
    parts.push_back(makePart("tensor_scale", {1}, Float32Type::get(ctx)));
  return parts;
}

uint64_t MinifloatAttr::getStorageBits(ArrayRef<int64_t> shape) const {
  uint64_t bits = uint64_t(getNumElements(shape)) * getFormat().getWidth();
  if (isScaled())
    bits += uint64_t(getNumElements(getGranularity().getParamShape(shape))) *
            getStoredBitWidth(getScaleType());
  if (getTensorScale())
    bits += 32;
  return bits;
}

unsigned MinifloatAttr::getNumCodeParts(ArrayRef<int64_t>) const { return 1; }

// Lut: codes, then scales (fixed table) or one table per block.
SmallVector<PartInfo> LutAttr::getParts(ArrayRef<int64_t> shape) const {
  SmallVector<int64_t> paramShape = getGranularity().getParamShape(shape);
  SmallVector<PartInfo> parts;
  parts.push_back(makePart("codes", getPackedShape(shape, getBits()),
                           i8Type(getContext())));
  if (hasFixedTable()) {
    if (getScaleType())
      parts.push_back(makePart("scales", paramShape, getScaleType()));
  } else {
    SmallVector<int64_t> tableShape(paramShape);
    tableShape.push_back(int64_t(1) << getBits());
    parts.push_back(makePart("tables", tableShape, getTableType()));
  }
  return parts;
}

uint64_t LutAttr::getStorageBits(ArrayRef<int64_t> shape) const {
  uint64_t numParams = getNumElements(getGranularity().getParamShape(shape));
  uint64_t bits = uint64_t(getNumElements(shape)) * getBits();
  if (hasFixedTable()) {
    if (getScaleType())
      bits += numParams * getStoredBitWidth(getScaleType());
  } else {
    bits += numParams * (uint64_t(1) << getBits()) *
            getStoredBitWidth(getTableType());
  }
  return bits;
}

unsigned LutAttr::getNumCodeParts(ArrayRef<int64_t>) const { return 1; }

// Codebook: indices [stages, rows..., packed vectors], codebooks, [scales].
unsigned CodebookAttr::getIndexBits() const {
  return std::max(1u, llvm::Log2_32_Ceil(getEntries()));
}

SmallVector<PartInfo> CodebookAttr::getParts(ArrayRef<int64_t> shape) const {
  SmallVector<int64_t> vectorShape(shape);
  vectorShape.back() /= getDim();
  SmallVector<int64_t> indexShape = {int64_t(getStages())};
  llvm::append_range(indexShape, getPackedShape(vectorShape, getIndexBits()));
  SmallVector<PartInfo> parts;
  parts.push_back(makePart("indices", indexShape, i8Type(getContext())));
  parts.push_back(
      makePart("codebooks",
               {int64_t(getStages()), int64_t(getEntries()), int64_t(getDim())},
               getCodebookType()));
  if (getScaleType())
    parts.push_back(makePart("scales", {shape.front()}, getScaleType()));
  return parts;
}

uint64_t CodebookAttr::getStorageBits(ArrayRef<int64_t> shape) const {
  uint64_t vectors = getNumElements(shape) / getDim();
  uint64_t bits = uint64_t(getStages()) * vectors * getIndexBits();
  bits += uint64_t(getStages()) * getEntries() * getDim() *
          getStoredBitWidth(getCodebookType());
  if (getScaleType())
    bits += uint64_t(shape.front()) * getStoredBitWidth(getScaleType());
  return bits;
}

unsigned CodebookAttr::getNumCodeParts(ArrayRef<int64_t>) const { return 1; }

// Binary and ternary: codes and scales.
SmallVector<PartInfo> BinaryAttr::getParts(ArrayRef<int64_t> shape) const {
  return {makePart("codes", getPackedShape(shape, 1), i8Type(getContext())),
          makePart("scales", getGranularity().getParamShape(shape),
                   getScaleType())};
}

uint64_t BinaryAttr::getStorageBits(ArrayRef<int64_t> shape) const {
  return uint64_t(getNumElements(shape)) +
         uint64_t(getNumElements(getGranularity().getParamShape(shape))) *
             getStoredBitWidth(getScaleType());
}

unsigned BinaryAttr::getNumCodeParts(ArrayRef<int64_t>) const { return 1; }

SmallVector<PartInfo> TernaryAttr::getParts(ArrayRef<int64_t> shape) const {
  return {makePart("codes", getPackedShape(shape, 2), i8Type(getContext())),
          makePart("scales", getGranularity().getParamShape(shape),
                   getScaleType())};
}

uint64_t TernaryAttr::getStorageBits(ArrayRef<int64_t> shape) const {
  return uint64_t(getNumElements(shape)) * 2 +
         uint64_t(getNumElements(getGranularity().getParamShape(shape))) *
             getStoredBitWidth(getScaleType());
}

unsigned TernaryAttr::getNumCodeParts(ArrayRef<int64_t>) const { return 1; }

// Plain: the values themselves.
SmallVector<PartInfo> PlainAttr::getParts(ArrayRef<int64_t> shape) const {
  return {makePart("values", shape, getStorageType())};
}

uint64_t PlainAttr::getStorageBits(ArrayRef<int64_t> shape) const {
  return uint64_t(getNumElements(shape)) * getStorageType().getWidth();
}

unsigned PlainAttr::getNumCodeParts(ArrayRef<int64_t>) const { return 1; }

// Sparse: the kept values (plain or encoded), then the metadata.
SmallVector<PartInfo> SparseAttr::getParts(ArrayRef<int64_t> shape) const {
  MLIRContext *ctx = getContext();
  SmallVector<int64_t> valueShape = getSparseValueShape(*this, shape);
  SmallVector<PartInfo> parts;
  if (EncodingAttrInterface valueEncoding = getSparseValueEncoding(*this))
    appendPrefixedParts(parts, "values", valueEncoding.getParts(valueShape));
  else
    parts.push_back(
        makePart("values", valueShape, getSparsePlainValueType(*this)));
  int64_t rows = getNumRows(shape);
  switch (getKind()) {
  case SparsityKind::NM:
    parts.push_back(makePart(
        "positions", getPackedShape(valueShape, getSparsePositionBits(*this)),
        i8Type(ctx)));
    break;
  case SparsityKind::Bitmap:
    parts.push_back(makePart("bitmap", getPackedShape(shape, 1), i8Type(ctx)));
    parts.push_back(makePart("row_offsets", {rows + 1}, i32Type(ctx)));
    break;
  case SparsityKind::CSR:
    parts.push_back(makePart("row_offsets", {rows + 1}, i32Type(ctx)));
    parts.push_back(makePart("col_indices", {getNnz()}, i32Type(ctx)));
    break;
  }
  return parts;
}

uint64_t SparseAttr::getStorageBits(ArrayRef<int64_t> shape) const {
  SmallVector<int64_t> valueShape = getSparseValueShape(*this, shape);
  uint64_t bits;
  if (EncodingAttrInterface valueEncoding = getSparseValueEncoding(*this))
    bits = valueEncoding.getStorageBits(valueShape);
  else
    bits = uint64_t(getNumElements(valueShape)) *
           getStoredBitWidth(getSparsePlainValueType(*this));
  uint64_t rows = getNumRows(shape);
  switch (getKind()) {
  case SparsityKind::NM:
    return bits +
           uint64_t(getNumElements(valueShape)) * getSparsePositionBits(*this);
  case SparsityKind::Bitmap:
    return bits + uint64_t(getNumElements(shape)) + (rows + 1) * 32;
  case SparsityKind::CSR:
    return bits + (rows + 1) * 32 + uint64_t(getNnz()) * 32;
  }
  llvm_unreachable("unknown sparsity kind");
}

unsigned SparseAttr::getNumCodeParts(ArrayRef<int64_t> shape) const {
  return getParts(shape).size();
}

// Outliers: base parts, then the CSR outliers.
SmallVector<PartInfo> OutliersAttr::getParts(ArrayRef<int64_t> shape) const {
  MLIRContext *ctx = getContext();
  SmallVector<PartInfo> parts;
  appendPrefixedParts(parts, "base",
                      cast<EncodingAttrInterface>(getBase()).getParts(shape));
  parts.push_back(
      makePart("outlier_row_offsets", {getNumRows(shape) + 1}, i32Type(ctx)));
  parts.push_back(makePart("outlier_cols", {getNnz()}, i32Type(ctx)));
  parts.push_back(makePart("outlier_values", {getNnz()}, getValueType()));
  return parts;
}

uint64_t OutliersAttr::getStorageBits(ArrayRef<int64_t> shape) const {
  return cast<EncodingAttrInterface>(getBase()).getStorageBits(shape) +
         uint64_t(getNumRows(shape) + 1) * 32 +
         uint64_t(getNnz()) * (32 + getStoredBitWidth(getValueType()));
}

unsigned OutliersAttr::getNumCodeParts(ArrayRef<int64_t> shape) const {
  return getParts(shape).size();
}

// Low rank: base parts, then u [rows, rank] and v [rank, cols].
SmallVector<PartInfo> LowRankAttr::getParts(ArrayRef<int64_t> shape) const {
  SmallVector<PartInfo> parts;
  appendPrefixedParts(parts, "base",
                      cast<EncodingAttrInterface>(getBase()).getParts(shape));
  parts.push_back(
      makePart("u", {getNumRows(shape), getRank()}, getFactorType()));
  parts.push_back(makePart("v", {getRank(), shape.back()}, getFactorType()));
  return parts;
}

uint64_t LowRankAttr::getStorageBits(ArrayRef<int64_t> shape) const {
  return cast<EncodingAttrInterface>(getBase()).getStorageBits(shape) +
         uint64_t(getNumRows(shape) + shape.back()) * getRank() *
             getStoredBitWidth(getFactorType());
}

unsigned LowRankAttr::getNumCodeParts(ArrayRef<int64_t> shape) const {
  return getParts(shape).size();
}

// Permuted: base parts, then the permutation.
SmallVector<PartInfo> PermutedAttr::getParts(ArrayRef<int64_t> shape) const {
  SmallVector<PartInfo> parts;
  appendPrefixedParts(parts, "base",
                      cast<EncodingAttrInterface>(getBase()).getParts(shape));
  int64_t axis = normalizeAxis(getAxis(), shape.size());
  parts.push_back(
      makePart("permutation", {shape[axis]}, i32Type(getContext())));
  return parts;
}

uint64_t PermutedAttr::getStorageBits(ArrayRef<int64_t> shape) const {
  int64_t axis = normalizeAxis(getAxis(), shape.size());
  return cast<EncodingAttrInterface>(getBase()).getStorageBits(shape) +
         uint64_t(shape[axis]) * 32;
}

unsigned PermutedAttr::getNumCodeParts(ArrayRef<int64_t> shape) const {
  return getParts(shape).size();
}

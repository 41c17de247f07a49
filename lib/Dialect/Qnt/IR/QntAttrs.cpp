//===- QntAttrs.cpp - qnt encoding syntax and verification ----------------===//
//
// The textual form of every #qnt encoding (docs/Encodings.md has the grammar)
// and its checks: `verify` for what holds for any shape, `verifyEncoding` for
// what a tensor shape and element type must satisfy.
//
//===----------------------------------------------------------------------===//

#include "EncodingUtils.h"
#include "quant/Support/Lookup.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/ADT/STLExtras.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::qnt;

//===----------------------------------------------------------------------===//
// Parsing and printing helpers
//===----------------------------------------------------------------------===//

/// Parses `keyword =`.
static ParseResult parseKeywordEq(AsmParser &parser, StringRef keyword) {
  return failure(parser.parseKeyword(keyword) || parser.parseEqual());
}

/// Parses an integer that fits an `unsigned` parameter.
static ParseResult parseUnsigned(AsmParser &parser, unsigned &result) {
  SMLoc loc = parser.getCurrentLocation();
  int64_t value;
  if (parser.parseInteger(value))
    return failure();
  if (value < 0 || value > std::numeric_limits<unsigned>::max())
    return parser.emitError(loc)
           << "expected a non-negative 32-bit integer, got " << value;
  result = value;
  return success();
}

/// Parses optional `, keyword ...` clauses. Their keywords must follow the
/// order of `keywords`, each at most once; `parseClause` parses what follows
/// the keyword.
static ParseResult
parseClauses(AsmParser &parser, ArrayRef<StringRef> keywords,
             function_ref<ParseResult(StringRef)> parseClause) {
  size_t next = 0;
  while (succeeded(parser.parseOptionalComma())) {
    SMLoc loc = parser.getCurrentLocation();
    StringRef keyword;
    if (parser.parseKeyword(&keyword))
      return failure();
    ArrayRef<StringRef> allowed = keywords.drop_front(next);
    const StringRef *it = llvm::find(allowed, keyword);
    if (it == allowed.end()) {
      InFlightDiagnostic diag = parser.emitError(loc);
      if (allowed.empty())
        return diag << "unexpected '" << keyword << "'";
      diag << "expected ";
      for (auto [i, name] : llvm::enumerate(allowed)) {
        if (i != 0)
          diag << (i + 1 == allowed.size() ? " or " : ", ");
        diag << "'" << name << "'";
      }
      return diag << ", got '" << keyword << "'";
    }
    next = (it - keywords.begin()) + 1;
    if (parseClause(keyword))
      return failure();
  }
  return success();
}

/// The MLIR float type of a minifloat kind.
static FloatType getMinifloatType(MLIRContext *ctx, MinifloatKind kind) {
  switch (kind) {
  case MinifloatKind::E4M3FN:
    return Float8E4M3FNType::get(ctx);
  case MinifloatKind::E5M2:
    return Float8E5M2Type::get(ctx);
  case MinifloatKind::E2M3FN:
    return Float6E2M3FNType::get(ctx);
  case MinifloatKind::E3M2FN:
    return Float6E3M2FNType::get(ctx);
  case MinifloatKind::E2M1FN:
    return Float4E2M1FNType::get(ctx);
  case MinifloatKind::E8M0FNU:
    return Float8E8M0FNUType::get(ctx);
  }
  llvm_unreachable("unknown minifloat kind");
}

//===----------------------------------------------------------------------===//
// Verification helpers
//===----------------------------------------------------------------------===//

/// Checks that `type` is f32, f16 or bf16; `what` names it in the message.
static LogicalResult
verifyPlainType(function_ref<InFlightDiagnostic()> emitError, Type type,
                StringRef what) {
  if (isPlainScaleType(type))
    return success();
  if (!type)
    return emitError() << what << " is required";
  return emitError() << what << " must be f32, f16 or bf16, got " << type;
}

/// Checks that a composite's base is a qnt encoding.
static LogicalResult verifyBase(function_ref<InFlightDiagnostic()> emitError,
                                Attribute base, StringRef encoding) {
  if (isa_and_nonnull<EncodingAttrInterface>(base))
    return success();
  if (!base)
    return emitError() << encoding << " base is required";
  return emitError() << encoding << " base must be a qnt encoding, got "
                     << base;
}

static LogicalResult
verifyAxisAttr(function_ref<InFlightDiagnostic()> emitError, int64_t axis,
               StringRef what) {
  if (axis >= -1)
    return success();
  return emitError() << what << " must be non-negative or -1 (innermost), got "
                     << axis;
}

/// What every encoded tensor needs: a float element type and a static shape
/// of rank >= 1 with positive extents.
static LogicalResult
verifyEncodedTensor(ArrayRef<int64_t> shape, Type elementType,
                    function_ref<InFlightDiagnostic()> emitError) {
  if (!isPlainScaleType(elementType))
    return emitError()
           << "qnt encodings need an f32, f16 or bf16 element type, got "
           << elementType;
  if (shape.empty())
    return emitError() << "qnt encodings need a tensor of rank >= 1";
  if (ShapedType::isDynamicShape(shape))
    return emitError() << "qnt encodings need a static shape";
  for (int64_t extent : shape)
    if (extent <= 0)
      return emitError() << "qnt encodings need positive extents, got "
                         << extent;
  return success();
}

/// Verifies a nested encoding (composite base or sparse values) against the
/// shape it encodes.
static LogicalResult
verifyNested(Attribute nested, ArrayRef<int64_t> shape, Type elementType,
             function_ref<InFlightDiagnostic()> emitError) {
  if (auto verifiable = dyn_cast_or_null<VerifiableTensorEncoding>(nested))
    return verifiable.verifyEncoding(shape, elementType, emitError);
  return success();
}

static int64_t normalizeAxis(int64_t axis, int64_t rank) {
  return axis < 0 ? axis + rank : axis;
}

static LogicalResult
verifyAxisInRange(function_ref<InFlightDiagnostic()> emitError, int64_t axis,
                  int64_t rank, StringRef what) {
  int64_t normalized = normalizeAxis(axis, rank);
  if (normalized >= 0 && normalized < rank)
    return success();
  return emitError() << what << " " << axis << " is out of range for rank "
                     << rank;
}

//===----------------------------------------------------------------------===//
// UniformAttr
//===----------------------------------------------------------------------===//

Attribute UniformAttr::parse(AsmParser &parser, Type) {
  SMLoc loc = parser.getCurrentLocation();
  if (parser.parseLess())
    return {};
  SMLoc storageLoc = parser.getCurrentLocation();
  Type storage;
  OptionalParseResult storageResult = parser.parseOptionalType(storage);
  if (storageResult.has_value() && failed(*storageResult))
    return {};
  auto storageType = dyn_cast_or_null<IntegerType>(storage);
  if (!storageType) {
    parser.emitError(storageLoc,
                     "expected an integer storage type (iN or uiN)");
    return {};
  }
  Type scaleType;
  if (parser.parseComma())
    return {};
  FailureOr<Granularity> granularity = parseGranularity(parser);
  if (failed(granularity) || parser.parseComma() ||
      parseKeywordEq(parser, "scale") || parser.parseType(scaleType))
    return {};
  bool symmetric = true;
  unsigned scaleBits = 0;
  int64_t scaleGroupSize = 0;
  if (parseClauses(parser, {"asymmetric", "double_quant"},
                   [&](StringRef keyword) -> ParseResult {
                     if (keyword == "asymmetric") {
                       symmetric = false;
                       return success();
                     }
                     return failure(parser.parseLParen() ||
                                    parseUnsigned(parser, scaleBits) ||
                                    parser.parseComma() ||
                                    parser.parseInteger(scaleGroupSize) ||
                                    parser.parseRParen());
                   }) ||
      parser.parseGreater())
    return {};
  return parser.getChecked<UniformAttr>(loc, parser.getContext(), storageType,
                                        *granularity, scaleType, symmetric,
                                        scaleBits, scaleGroupSize);
}

void UniformAttr::print(AsmPrinter &printer) const {
  printer << "<" << getStorageType() << ", " << getGranularity()
          << ", scale = " << getScaleType();
  if (!getSymmetric())
    printer << ", asymmetric";
  if (getScaleBits() != 0 || getScaleGroupSize() != 0)
    printer << ", double_quant(" << getScaleBits() << ", "
            << getScaleGroupSize() << ")";
  printer << ">";
}

LogicalResult UniformAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                  IntegerType storageType,
                                  Granularity granularity, Type scaleType,
                                  bool symmetric, unsigned scaleBits,
                                  int64_t scaleGroupSize) {
  if (!storageType)
    return emitError() << "uniform storage type is required";
  if (storageType.isSigned())
    return emitError() << "storage type must be signless (iN) or unsigned "
                          "(uiN), got "
                       << storageType;
  unsigned bits = storageType.getWidth();
  if (bits < 1 || bits > 8)
    return emitError() << "storage width must be in [1, 8], got " << bits;
  if (symmetric && bits < 2)
    return emitError() << "symmetric storage needs at least 2 bits";
  if (failed(granularity.verify(emitError)))
    return failure();
  if (failed(verifyPlainType(emitError, scaleType, "uniform scale type")))
    return failure();
  if (scaleBits != 0 || scaleGroupSize != 0) {
    if (scaleBits < 1 || scaleBits > 8)
      return emitError() << "double_quant bits must be in [1, 8], got "
                         << scaleBits;
    if (scaleGroupSize <= 0)
      return emitError() << "double_quant group size must be positive, got "
                         << scaleGroupSize;
  }
  return success();
}

LogicalResult UniformAttr::verifyEncoding(
    ArrayRef<int64_t> shape, Type elementType,
    function_ref<InFlightDiagnostic()> emitError) const {
  if (failed(verifyEncodedTensor(shape, elementType, emitError)))
    return failure();
  return getGranularity().verify(shape, emitError);
}

int64_t UniformAttr::getQMin() const {
  return isSigned() ? -(int64_t(1) << (getBits() - 1)) : 0;
}

int64_t UniformAttr::getQMax() const {
  return isSigned() ? (int64_t(1) << (getBits() - 1)) - 1
                    : (int64_t(1) << getBits()) - 1;
}

//===----------------------------------------------------------------------===//
// MinifloatAttr
//===----------------------------------------------------------------------===//

namespace {
/// A named block-scaled format: per_group(-1, groupSize) with one scale type.
struct MinifloatPreset {
  StringLiteral name;
  MinifloatKind format;
  int64_t groupSize;
  MinifloatKind scale;
  bool tensorScale;
};
} // namespace

static constexpr MinifloatPreset kMinifloatPresets[] = {
    {"mxfp8", MinifloatKind::E4M3FN, 32, MinifloatKind::E8M0FNU, false},
    {"mxfp6", MinifloatKind::E2M3FN, 32, MinifloatKind::E8M0FNU, false},
    {"mxfp4", MinifloatKind::E2M1FN, 32, MinifloatKind::E8M0FNU, false},
    {"nvfp4", MinifloatKind::E2M1FN, 16, MinifloatKind::E4M3FN, true},
};

Attribute MinifloatAttr::parse(AsmParser &parser, Type) {
  MLIRContext *ctx = parser.getContext();
  SMLoc loc = parser.getCurrentLocation();
  if (parser.parseLess())
    return {};
  StringRef presetName;
  if (succeeded(parser.parseOptionalKeyword(
          &presetName, {"mxfp8", "mxfp6", "mxfp4", "nvfp4"}))) {
    if (parser.parseGreater())
      return {};
    const MinifloatPreset *preset =
        llvm::find_if(kMinifloatPresets, [&](const MinifloatPreset &p) {
          return p.name == presetName;
        });
    return parser.getChecked<MinifloatAttr>(
        loc, ctx, getMinifloatType(ctx, preset->format),
        Granularity::perGroup(-1, preset->groupSize),
        Type(getMinifloatType(ctx, preset->scale)), preset->tensorScale);
  }

  SMLoc formatLoc = parser.getCurrentLocation();
  Type format;
  OptionalParseResult formatResult = parser.parseOptionalType(format);
  if (formatResult.has_value() && failed(*formatResult))
    return {};
  auto formatType = dyn_cast_or_null<FloatType>(format);
  if (!formatType) {
    parser.emitError(formatLoc, "expected a float format or one of mxfp8, "
                                "mxfp6, mxfp4, nvfp4");
    return {};
  }
  Granularity granularity = Granularity::perTensor();
  Type scaleType;
  bool tensorScale = false;
  if (succeeded(parser.parseOptionalComma())) {
    if (succeeded(parser.parseOptionalKeyword("tensor_scale"))) {
      tensorScale = true;
    } else {
      FailureOr<Granularity> parsed = parseGranularity(parser);
      if (failed(parsed))
        return {};
      granularity = *parsed;
      if (parseClauses(parser, {"scale", "tensor_scale"},
                       [&](StringRef keyword) -> ParseResult {
                         if (keyword == "tensor_scale") {
                           tensorScale = true;
                           return success();
                         }
                         return failure(parser.parseEqual() ||
                                        parser.parseType(scaleType));
                       }))
        return {};
    }
  }
  if (parser.parseGreater())
    return {};
  return parser.getChecked<MinifloatAttr>(loc, ctx, formatType, granularity,
                                          scaleType, tensorScale);
}

void MinifloatAttr::print(AsmPrinter &printer) const {
  StringRef preset = getPresetName();
  if (!preset.empty()) {
    printer << "<" << preset << ">";
    return;
  }
  printer << "<" << getFormat();
  if (isScaled())
    printer << ", " << getGranularity() << ", scale = " << getScaleType();
  if (getTensorScale())
    printer << ", tensor_scale";
  printer << ">";
}

LogicalResult
MinifloatAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                      FloatType format, Granularity granularity, Type scaleType,
                      bool tensorScale) {
  if (!format)
    return emitError() << "float format is required";
  std::optional<MinifloatKind> kind = getMinifloatKind(format);
  if (!kind || *kind == MinifloatKind::E8M0FNU)
    return emitError() << "float format must be f8E4M3FN, f8E5M2, f6E2M3FN, "
                          "f6E3M2FN or f4E2M1FN, got "
                       << format;
  if (failed(granularity.verify(emitError)))
    return failure();
  if (scaleType && !isPlainScaleType(scaleType) &&
      !isa<Float8E8M0FNUType, Float8E4M3FNType>(scaleType))
    return emitError() << "float scale type must be f32, f16, bf16, "
                          "f8E8M0FNU or f8E4M3FN, got "
                       << scaleType;
  if (!scaleType && granularity.kind != Granularity::Kind::Tensor)
    return emitError() << "a float encoding without a scale must be "
                          "per_tensor";
  if (tensorScale && !scaleType)
    return emitError() << "tensor_scale needs a scale";
  return success();
}

LogicalResult MinifloatAttr::verifyEncoding(
    ArrayRef<int64_t> shape, Type elementType,
    function_ref<InFlightDiagnostic()> emitError) const {
  if (failed(verifyEncodedTensor(shape, elementType, emitError)))
    return failure();
  return getGranularity().verify(shape, emitError);
}

StringRef MinifloatAttr::getPresetName() const {
  const Granularity &granularity = getGranularity();
  if (granularity.kind != Granularity::Kind::Group || granularity.axis != -1)
    return "";
  std::optional<MinifloatKind> format = getMinifloatKind(getFormat());
  std::optional<MinifloatKind> scale =
      getScaleType() ? getMinifloatKind(getScaleType()) : std::nullopt;
  for (const MinifloatPreset &preset : kMinifloatPresets)
    if (format == preset.format && scale == preset.scale &&
        granularity.groupSize == preset.groupSize &&
        getTensorScale() == preset.tensorScale)
      return preset.name;
  return "";
}

//===----------------------------------------------------------------------===//
// LutAttr
//===----------------------------------------------------------------------===//

Attribute LutAttr::parse(AsmParser &parser, Type) {
  MLIRContext *ctx = parser.getContext();
  SMLoc loc = parser.getCurrentLocation();
  if (parser.parseLess())
    return {};
  unsigned bits = 0;
  DenseF32ArrayAttr values;
  bool isNF4 = succeeded(parser.parseOptionalKeyword("nf4"));
  if (isNF4) {
    bits = 4;
    values = DenseF32ArrayAttr::get(ctx, ArrayRef(kNF4Values));
  } else if (parseUnsigned(parser, bits)) {
    return {};
  }
  if (parser.parseComma())
    return {};
  FailureOr<Granularity> granularity = parseGranularity(parser);
  if (failed(granularity))
    return {};
  Type tableType, scaleType;
  // nf4 already fixes the values.
  SmallVector<StringRef> keywords = {"values", "table", "scale"};
  if (isNF4)
    keywords.erase(keywords.begin());
  if (parseClauses(
          parser, keywords,
          [&](StringRef keyword) -> ParseResult {
            if (parser.parseEqual())
              return failure();
            if (keyword == "table")
              return parser.parseType(tableType);
            if (keyword == "scale")
              return parser.parseType(scaleType);
            SmallVector<float> parsed;
            if (parser.parseCommaSeparatedList(
                    AsmParser::Delimiter::Square, [&]() -> ParseResult {
                      APFloat value(0.0f);
                      if (parser.parseFloat(APFloat::IEEEsingle(), value))
                        return failure();
                      parsed.push_back(value.convertToFloat());
                      return success();
                    }))
              return failure();
            values = DenseF32ArrayAttr::get(ctx, parsed);
            return success();
          }) ||
      parser.parseGreater())
    return {};
  return parser.getChecked<LutAttr>(loc, ctx, bits, *granularity, values,
                                    tableType, scaleType);
}

void LutAttr::print(AsmPrinter &printer) const {
  printer << "<";
  bool nf4 = isNF4();
  if (nf4)
    printer << "nf4";
  else
    printer << getBits();
  printer << ", " << getGranularity();
  if (getValues() && !nf4) {
    printer << ", values = [";
    llvm::interleaveComma(getValues().asArrayRef(), printer,
                          [&](float v) { printer.printFloat(APFloat(v)); });
    printer << "]";
  }
  if (getTableType())
    printer << ", table = " << getTableType();
  if (getScaleType())
    printer << ", scale = " << getScaleType();
  printer << ">";
}

LogicalResult LutAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                              unsigned bits, Granularity granularity,
                              DenseF32ArrayAttr values, Type tableType,
                              Type scaleType) {
  if (bits < 1 || bits > 8)
    return emitError() << "lut bits must be in [1, 8], got " << bits;
  if (failed(granularity.verify(emitError)))
    return failure();
  if (values && tableType)
    return emitError() << "a lut takes either fixed values or a stored "
                          "table, not both";
  if (!values && !tableType)
    return emitError() << "a lut needs fixed values or a stored table";
  if (values) {
    int64_t expected = int64_t(1) << bits;
    if (values.size() != expected)
      return emitError() << "a " << bits << "-bit lut needs " << expected
                         << " values, got " << values.size();
    for (float v : values.asArrayRef())
      if (!std::isfinite(v))
        return emitError() << "lut values must be finite";
  }
  if (tableType &&
      failed(verifyPlainType(emitError, tableType, "lut table type")))
    return failure();
  if (scaleType) {
    if (tableType)
      return emitError() << "a lut scale needs fixed values";
    if (failed(verifyPlainType(emitError, scaleType, "lut scale type")))
      return failure();
  }
  return success();
}

LogicalResult
LutAttr::verifyEncoding(ArrayRef<int64_t> shape, Type elementType,
                        function_ref<InFlightDiagnostic()> emitError) const {
  if (failed(verifyEncodedTensor(shape, elementType, emitError)))
    return failure();
  return getGranularity().verify(shape, emitError);
}

bool LutAttr::isNF4() const {
  return getBits() == 4 && getValues() &&
         llvm::equal(getValues().asArrayRef(), ArrayRef(kNF4Values));
}

//===----------------------------------------------------------------------===//
// CodebookAttr
//===----------------------------------------------------------------------===//

Attribute CodebookAttr::parse(AsmParser &parser, Type) {
  SMLoc loc = parser.getCurrentLocation();
  unsigned dim, entries, stages;
  Type codebookType, scaleType;
  if (parser.parseLess() || parseKeywordEq(parser, "dim") ||
      parseUnsigned(parser, dim) || parser.parseComma() ||
      parseKeywordEq(parser, "entries") || parseUnsigned(parser, entries) ||
      parser.parseComma() || parseKeywordEq(parser, "stages") ||
      parseUnsigned(parser, stages) || parser.parseComma() ||
      parseKeywordEq(parser, "codebook") || parser.parseType(codebookType) ||
      parseClauses(parser, {"scale"},
                   [&](StringRef) -> ParseResult {
                     return failure(parser.parseEqual() ||
                                    parser.parseType(scaleType));
                   }) ||
      parser.parseGreater())
    return {};
  return parser.getChecked<CodebookAttr>(loc, parser.getContext(), dim, entries,
                                         stages, codebookType, scaleType);
}

void CodebookAttr::print(AsmPrinter &printer) const {
  printer << "<dim = " << getDim() << ", entries = " << getEntries()
          << ", stages = " << getStages()
          << ", codebook = " << getCodebookType();
  if (getScaleType())
    printer << ", scale = " << getScaleType();
  printer << ">";
}

LogicalResult CodebookAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                   unsigned dim, unsigned entries,
                                   unsigned stages, Type codebookType,
                                   Type scaleType) {
  if (dim == 0)
    return emitError() << "codebook dim must be positive";
  // Indices are packed with at most 16 bits each.
  if (entries < 2 || entries > 65536)
    return emitError() << "codebook entries must be in [2, 65536], got "
                       << entries;
  if (stages == 0)
    return emitError() << "codebook stages must be at least 1";
  if (failed(verifyPlainType(emitError, codebookType, "codebook type")))
    return failure();
  if (scaleType &&
      failed(verifyPlainType(emitError, scaleType, "codebook scale type")))
    return failure();
  return success();
}

LogicalResult CodebookAttr::verifyEncoding(
    ArrayRef<int64_t> shape, Type elementType,
    function_ref<InFlightDiagnostic()> emitError) const {
  if (failed(verifyEncodedTensor(shape, elementType, emitError)))
    return failure();
  if (shape.back() % getDim() != 0)
    return emitError() << "innermost extent " << shape.back()
                       << " is not a multiple of the codebook dim " << getDim();
  return success();
}

//===----------------------------------------------------------------------===//
// BinaryAttr and TernaryAttr
//===----------------------------------------------------------------------===//

/// Parses `<granularity, scale = T>`.
static ParseResult parseGranularityAndScale(AsmParser &parser,
                                            Granularity &granularity,
                                            Type &scaleType) {
  if (parser.parseLess())
    return failure();
  FailureOr<Granularity> parsed = parseGranularity(parser);
  if (failed(parsed) || parser.parseComma() ||
      parseKeywordEq(parser, "scale") || parser.parseType(scaleType) ||
      parser.parseGreater())
    return failure();
  granularity = *parsed;
  return success();
}

Attribute BinaryAttr::parse(AsmParser &parser, Type) {
  SMLoc loc = parser.getCurrentLocation();
  Granularity granularity;
  Type scaleType;
  if (parseGranularityAndScale(parser, granularity, scaleType))
    return {};
  return parser.getChecked<BinaryAttr>(loc, parser.getContext(), granularity,
                                       scaleType);
}

void BinaryAttr::print(AsmPrinter &printer) const {
  printer << "<" << getGranularity() << ", scale = " << getScaleType() << ">";
}

LogicalResult BinaryAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                 Granularity granularity, Type scaleType) {
  if (failed(granularity.verify(emitError)))
    return failure();
  return verifyPlainType(emitError, scaleType, "binary scale type");
}

LogicalResult
BinaryAttr::verifyEncoding(ArrayRef<int64_t> shape, Type elementType,
                           function_ref<InFlightDiagnostic()> emitError) const {
  if (failed(verifyEncodedTensor(shape, elementType, emitError)))
    return failure();
  return getGranularity().verify(shape, emitError);
}

Attribute TernaryAttr::parse(AsmParser &parser, Type) {
  SMLoc loc = parser.getCurrentLocation();
  Granularity granularity;
  Type scaleType;
  if (parseGranularityAndScale(parser, granularity, scaleType))
    return {};
  return parser.getChecked<TernaryAttr>(loc, parser.getContext(), granularity,
                                        scaleType);
}

void TernaryAttr::print(AsmPrinter &printer) const {
  printer << "<" << getGranularity() << ", scale = " << getScaleType() << ">";
}

LogicalResult TernaryAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                  Granularity granularity, Type scaleType) {
  if (failed(granularity.verify(emitError)))
    return failure();
  return verifyPlainType(emitError, scaleType, "ternary scale type");
}

LogicalResult TernaryAttr::verifyEncoding(
    ArrayRef<int64_t> shape, Type elementType,
    function_ref<InFlightDiagnostic()> emitError) const {
  if (failed(verifyEncodedTensor(shape, elementType, emitError)))
    return failure();
  return getGranularity().verify(shape, emitError);
}

//===----------------------------------------------------------------------===//
// PlainAttr
//===----------------------------------------------------------------------===//

Attribute PlainAttr::parse(AsmParser &parser, Type) {
  SMLoc loc = parser.getCurrentLocation();
  Type storageType;
  if (parser.parseLess())
    return {};
  SMLoc typeLoc = parser.getCurrentLocation();
  if (parser.parseType(storageType) || parser.parseGreater())
    return {};
  auto floatType = dyn_cast<FloatType>(storageType);
  if (!floatType) {
    parser.emitError(typeLoc)
        << "plain storage type must be f32, f16 or bf16, got " << storageType;
    return {};
  }
  return parser.getChecked<PlainAttr>(loc, parser.getContext(), floatType);
}

void PlainAttr::print(AsmPrinter &printer) const {
  printer << "<" << getStorageType() << ">";
}

LogicalResult PlainAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                FloatType storageType) {
  return verifyPlainType(emitError, storageType, "plain storage type");
}

LogicalResult
PlainAttr::verifyEncoding(ArrayRef<int64_t> shape, Type elementType,
                          function_ref<InFlightDiagnostic()> emitError) const {
  return verifyEncodedTensor(shape, elementType, emitError);
}

//===----------------------------------------------------------------------===//
// SparseAttr
//===----------------------------------------------------------------------===//

Attribute SparseAttr::parse(AsmParser &parser, Type) {
  MLIRContext *ctx = parser.getContext();
  SMLoc loc = parser.getCurrentLocation();
  if (parser.parseLess())
    return {};
  SparsityKind kind = SparsityKind::NM;
  unsigned n = 0, m = 0;
  SMLoc kindLoc = parser.getCurrentLocation();
  StringRef keyword;
  if (succeeded(parser.parseOptionalKeyword(&keyword))) {
    if (keyword == "bitmap") {
      kind = SparsityKind::Bitmap;
    } else if (keyword == "csr") {
      kind = SparsityKind::CSR;
    } else {
      parser.emitError(kindLoc, "expected N:M, 'bitmap' or 'csr', got '")
          << keyword << "'";
      return {};
    }
  } else if (parseUnsigned(parser, n) || parser.parseColon() ||
             parseUnsigned(parser, m)) {
    return {};
  }
  int64_t axis = -1, nnz = 0;
  Attribute values;
  if (parseClauses(parser, {"axis", "nnz", "values"},
                   [&](StringRef clause) -> ParseResult {
                     if (parser.parseEqual())
                       return failure();
                     if (clause == "axis")
                       return parser.parseInteger(axis);
                     if (clause == "nnz")
                       return parser.parseInteger(nnz);
                     return parser.parseAttribute(values);
                   }) ||
      parser.parseGreater())
    return {};
  // Plain f32 values are the default.
  if (auto typeAttr = dyn_cast_or_null<TypeAttr>(values);
      typeAttr && typeAttr.getValue().isF32())
    values = {};
  return parser.getChecked<SparseAttr>(loc, ctx, kind, n, m, axis, nnz, values);
}

void SparseAttr::print(AsmPrinter &printer) const {
  printer << "<";
  if (getKind() == SparsityKind::NM)
    printer << getN() << ":" << getM();
  else
    printer << stringifySparsityKind(getKind());
  if (getAxis() != -1)
    printer << ", axis = " << getAxis();
  if (getNnz() != 0)
    printer << ", nnz = " << getNnz();
  if (Attribute values = getValues()) {
    auto typeAttr = dyn_cast<TypeAttr>(values);
    if (!typeAttr || !typeAttr.getValue().isF32()) {
      printer << ", values = ";
      if (typeAttr)
        printer << typeAttr.getValue();
      else
        printer.printAttribute(values);
    }
  }
  printer << ">";
}

LogicalResult SparseAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                 SparsityKind kind, unsigned n, unsigned m,
                                 int64_t axis, int64_t nnz, Attribute values) {
  if (kind == SparsityKind::NM) {
    if (n == 0 || n >= m)
      return emitError() << "n:m sparsity needs 0 < n < m, got " << n << ":"
                         << m;
    if (m > 256)
      return emitError() << "n:m sparsity needs m <= 256, got " << m;
    if (nnz != 0)
      return emitError() << "n:m sparsity takes no nnz";
    if (failed(verifyAxisAttr(emitError, axis, "sparse axis")))
      return failure();
  } else {
    StringRef name = stringifySparsityKind(kind);
    if (n != 0 || m != 0)
      return emitError() << name << " sparsity takes no n:m";
    if (axis != -1)
      return emitError() << "axis applies only to n:m sparsity";
    if (nnz <= 0)
      return emitError() << name << " sparsity needs nnz > 0, got " << nnz;
  }
  if (!values)
    return success();
  if (auto typeAttr = dyn_cast<TypeAttr>(values)) {
    if (!isPlainScaleType(typeAttr.getValue()))
      return emitError() << "sparse values must be a qnt encoding or f32, "
                            "f16 or bf16, got "
                         << typeAttr.getValue();
    return success();
  }
  if (!isa<EncodingAttrInterface>(values))
    return emitError() << "sparse values must be a qnt encoding or f32, f16 "
                          "or bf16, got "
                       << values;
  if (isa<SparseAttr>(values))
    return emitError() << "sparse values cannot themselves be sparse";
  return success();
}

LogicalResult
SparseAttr::verifyEncoding(ArrayRef<int64_t> shape, Type elementType,
                           function_ref<InFlightDiagnostic()> emitError) const {
  if (failed(verifyEncodedTensor(shape, elementType, emitError)))
    return failure();
  int64_t rank = shape.size();
  if (getKind() == SparsityKind::NM) {
    if (failed(verifyAxisInRange(emitError, getAxis(), rank, "sparse axis")))
      return failure();
    int64_t axis = getSparseAxis(*this, rank);
    if (shape[axis] % getM() != 0)
      return emitError() << "extent " << shape[axis] << " along axis " << axis
                         << " is not a multiple of m = " << getM();
  } else if (getNnz() > getNumElements(shape)) {
    return emitError() << "nnz " << getNnz() << " exceeds the "
                       << getNumElements(shape) << " elements of the tensor";
  }
  return verifyNested(getValues(), getSparseValueShape(*this, shape),
                      elementType, emitError);
}

//===----------------------------------------------------------------------===//
// OutliersAttr
//===----------------------------------------------------------------------===//

Attribute OutliersAttr::parse(AsmParser &parser, Type) {
  SMLoc loc = parser.getCurrentLocation();
  Attribute base;
  int64_t nnz;
  Type valueType;
  if (parser.parseLess() || parser.parseAttribute(base) ||
      parser.parseComma() || parseKeywordEq(parser, "nnz") ||
      parser.parseInteger(nnz) || parser.parseComma() ||
      parseKeywordEq(parser, "value") || parser.parseType(valueType) ||
      parser.parseGreater())
    return {};
  return parser.getChecked<OutliersAttr>(loc, parser.getContext(), base, nnz,
                                         valueType);
}

void OutliersAttr::print(AsmPrinter &printer) const {
  printer << "<";
  printer.printAttribute(getBase());
  printer << ", nnz = " << getNnz() << ", value = " << getValueType() << ">";
}

LogicalResult OutliersAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                   Attribute base, int64_t nnz,
                                   Type valueType) {
  if (failed(verifyBase(emitError, base, "outliers")))
    return failure();
  if (nnz <= 0)
    return emitError() << "outliers nnz must be positive, got " << nnz;
  return verifyPlainType(emitError, valueType, "outliers value type");
}

LogicalResult OutliersAttr::verifyEncoding(
    ArrayRef<int64_t> shape, Type elementType,
    function_ref<InFlightDiagnostic()> emitError) const {
  if (failed(verifyEncodedTensor(shape, elementType, emitError)))
    return failure();
  if (getNnz() > getNumElements(shape))
    return emitError() << "nnz " << getNnz() << " exceeds the "
                       << getNumElements(shape) << " elements of the tensor";
  return verifyNested(getBase(), shape, elementType, emitError);
}

//===----------------------------------------------------------------------===//
// LowRankAttr
//===----------------------------------------------------------------------===//

Attribute LowRankAttr::parse(AsmParser &parser, Type) {
  SMLoc loc = parser.getCurrentLocation();
  Attribute base;
  int64_t rank;
  Type factorType;
  if (parser.parseLess() || parser.parseAttribute(base) ||
      parser.parseComma() || parseKeywordEq(parser, "rank") ||
      parser.parseInteger(rank) || parser.parseComma() ||
      parseKeywordEq(parser, "factor") || parser.parseType(factorType) ||
      parser.parseGreater())
    return {};
  return parser.getChecked<LowRankAttr>(loc, parser.getContext(), base, rank,
                                        factorType);
}

void LowRankAttr::print(AsmPrinter &printer) const {
  printer << "<";
  printer.printAttribute(getBase());
  printer << ", rank = " << getRank() << ", factor = " << getFactorType()
          << ">";
}

LogicalResult LowRankAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                  Attribute base, int64_t rank,
                                  Type factorType) {
  if (failed(verifyBase(emitError, base, "low_rank")))
    return failure();
  if (rank <= 0)
    return emitError() << "low_rank rank must be positive, got " << rank;
  return verifyPlainType(emitError, factorType, "low_rank factor type");
}

LogicalResult LowRankAttr::verifyEncoding(
    ArrayRef<int64_t> shape, Type elementType,
    function_ref<InFlightDiagnostic()> emitError) const {
  if (failed(verifyEncodedTensor(shape, elementType, emitError)))
    return failure();
  int64_t maxRank = std::min(getNumRows(shape), shape.back());
  if (getRank() > maxRank)
    return emitError() << "low_rank rank " << getRank()
                       << " exceeds min(rows, cols) = " << maxRank;
  return verifyNested(getBase(), shape, elementType, emitError);
}

//===----------------------------------------------------------------------===//
// PermutedAttr
//===----------------------------------------------------------------------===//

Attribute PermutedAttr::parse(AsmParser &parser, Type) {
  SMLoc loc = parser.getCurrentLocation();
  Attribute base;
  int64_t axis;
  if (parser.parseLess() || parser.parseAttribute(base) ||
      parser.parseComma() || parseKeywordEq(parser, "axis") ||
      parser.parseInteger(axis) || parser.parseGreater())
    return {};
  return parser.getChecked<PermutedAttr>(loc, parser.getContext(), base, axis);
}

void PermutedAttr::print(AsmPrinter &printer) const {
  printer << "<";
  printer.printAttribute(getBase());
  printer << ", axis = " << getAxis() << ">";
}

LogicalResult PermutedAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                   Attribute base, int64_t axis) {
  if (failed(verifyBase(emitError, base, "permuted")))
    return failure();
  return verifyAxisAttr(emitError, axis, "permuted axis");
}

LogicalResult PermutedAttr::verifyEncoding(
    ArrayRef<int64_t> shape, Type elementType,
    function_ref<InFlightDiagnostic()> emitError) const {
  if (failed(verifyEncodedTensor(shape, elementType, emitError)))
    return failure();
  if (failed(verifyAxisInRange(emitError, getAxis(), shape.size(),
                               "permuted axis")))
    return failure();
  return verifyNested(getBase(), shape, elementType, emitError);
}

//===- QuantFormat.cpp - Target quantization grids ------------------------===//
//
// Group parameters, quantize and dequantize for every format, following the
// reference encode/decode of docs/Encodings.md operation for operation.
//
//===----------------------------------------------------------------------===//

#include "quant/Quantize/QuantFormat.h"

#include "quant/Support/BitPacking.h"
#include "quant/Support/Lookup.h"
#include "quant/Support/Rounding.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstring>

using namespace mlir::qnt;
using namespace mlir::qnt::quantize;
using llvm::StringRef;

//===----------------------------------------------------------------------===//
// Scales
//===----------------------------------------------------------------------===//

unsigned quantize::getScaleTypeBits(ScaleType type) {
  switch (type) {
  case ScaleType::F32:
    return 32;
  case ScaleType::F16:
  case ScaleType::BF16:
    return 16;
  case ScaleType::E8M0:
  case ScaleType::E4M3:
    return 8;
  }
  llvm_unreachable("unknown scale type");
}

float quantize::decodeScale(ScaleType type, uint32_t code) {
  switch (type) {
  case ScaleType::F32: {
    float x;
    std::memcpy(&x, &code, 4);
    return x;
  }
  case ScaleType::F16:
    return halfBitsToFloat(uint16_t(code));
  case ScaleType::BF16:
    return bfloat16BitsToFloat(uint16_t(code));
  case ScaleType::E8M0:
    return decodeMinifloat(MinifloatKind::E8M0FNU, code);
  case ScaleType::E4M3:
    return decodeMinifloat(MinifloatKind::E4M3FN, code);
  }
  llvm_unreachable("unknown scale type");
}

float quantize::roundScale(ScaleType type, float x, uint32_t *code) {
  uint32_t bits = 0;
  switch (type) {
  case ScaleType::F32:
    std::memcpy(&bits, &x, 4);
    break;
  case ScaleType::F16:
    bits = floatToHalfBits(x);
    break;
  case ScaleType::BF16:
    bits = floatToBFloat16Bits(x);
    break;
  case ScaleType::E8M0:
    bits = encodeMinifloat(MinifloatKind::E8M0FNU, x);
    break;
  case ScaleType::E4M3:
    bits = encodeMinifloat(MinifloatKind::E4M3FN, x);
    break;
  }
  if (code)
    *code = bits;
  return decodeScale(type, bits);
}

static StringRef getScaleTypeName(ScaleType type) {
  switch (type) {
  case ScaleType::F32:
    return "f32";
  case ScaleType::F16:
    return "f16";
  case ScaleType::BF16:
    return "bf16";
  case ScaleType::E8M0:
    return "e8m0";
  case ScaleType::E4M3:
    return "e4m3";
  }
  llvm_unreachable("unknown scale type");
}

static StringRef getScaleTypeMlirName(ScaleType type) {
  switch (type) {
  case ScaleType::E8M0:
    return "f8E8M0FNU";
  case ScaleType::E4M3:
    return "f8E4M3FN";
  default:
    return getScaleTypeName(type);
  }
}

//===----------------------------------------------------------------------===//
// QuantFormat
//===----------------------------------------------------------------------===//

QuantFormat QuantFormat::uniform(unsigned bits, int64_t groupSize,
                                 ScaleType scaleType, bool asymmetric,
                                 bool isSigned) {
  QuantFormat f;
  f.kind = GridKind::Uniform;
  f.bits = bits;
  f.groupSize = groupSize;
  f.scaleType = scaleType;
  f.asymmetric = asymmetric;
  f.isSigned = isSigned;
  return f;
}

QuantFormat QuantFormat::minifloat(MinifloatKind element, int64_t groupSize,
                                   ScaleType scaleType, bool tensorScale) {
  QuantFormat f;
  f.kind = GridKind::Minifloat;
  f.element = element;
  f.bits = getMinifloatSpec(element).bits;
  f.hasScale = groupSize >= 0;
  f.groupSize = std::max<int64_t>(groupSize, 0);
  f.scaleType = scaleType;
  f.tensorScale = tensorScale;
  return f;
}

QuantFormat QuantFormat::mxfp4() {
  return minifloat(MinifloatKind::E2M1FN, 32, ScaleType::E8M0);
}

QuantFormat QuantFormat::mxfp8() {
  return minifloat(MinifloatKind::E4M3FN, 32, ScaleType::E8M0);
}

QuantFormat QuantFormat::nvfp4() {
  return minifloat(MinifloatKind::E2M1FN, 16, ScaleType::E4M3,
                   /*tensorScale=*/true);
}

QuantFormat QuantFormat::nf4(int64_t groupSize, ScaleType scaleType) {
  QuantFormat f;
  f.kind = GridKind::Lut;
  f.bits = 4;
  f.groupSize = groupSize;
  f.scaleType = scaleType;
  f.table.assign(kNF4Values, kNF4Values + 16);
  return f;
}

QuantFormat QuantFormat::plain(ScaleType type) {
  QuantFormat f;
  f.kind = GridKind::Plain;
  f.bits = getScaleTypeBits(type);
  f.groupSize = 0;
  f.hasScale = false;
  f.scaleType = type;
  return f;
}

bool QuantFormat::operator==(const QuantFormat &o) const {
  if (kind != o.kind || bits != o.bits || groupSize != o.groupSize ||
      hasScale != o.hasScale ||
      ((hasGroupParams() || kind == GridKind::Plain) &&
       scaleType != o.scaleType))
    return false;
  switch (kind) {
  case GridKind::Uniform:
    return isSigned == o.isSigned && asymmetric == o.asymmetric;
  case GridKind::Minifloat:
    return element == o.element && tensorScale == o.tensorScale;
  case GridKind::Lut:
    return table == o.table;
  case GridKind::Plain:
    return true;
  }
  return false;
}

llvm::Error QuantFormat::verify() const {
  auto fail = [&](const llvm::Twine &msg) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "format '" + getName() + "': " + msg);
  };
  if (groupSize < 0)
    return fail("group size must be >= 0 (0 = per channel)");
  switch (kind) {
  case GridKind::Uniform:
    if (bits < 1 || bits > 8)
      return fail("integer codes need 1 to 8 bits, got " + llvm::Twine(bits));
    if (!asymmetric && bits < 2)
      return fail("symmetric integer codes need at least 2 bits");
    if (scaleType == ScaleType::E8M0 || scaleType == ScaleType::E4M3)
      return fail("integer scales must be f32, f16 or bf16");
    return llvm::Error::success();
  case GridKind::Minifloat:
    if (element == MinifloatKind::E8M0FNU)
      return fail("e8m0 is a scale type, not an element format");
    if (bits != getMinifloatSpec(element).bits)
      return fail("code bits do not match the element format");
    // As the dialect: a tensor scale only extends block scales.
    if (tensorScale && !hasScale)
      return fail("a tensor scale needs block scales");
    return llvm::Error::success();
  case GridKind::Lut:
    if (bits < 1 || bits > 8)
      return fail("table codes need 1 to 8 bits, got " + llvm::Twine(bits));
    if (table.size() != (size_t(1) << bits))
      return fail("table needs 2^bits = " + llvm::Twine(1 << bits) +
                  " entries, got " + llvm::Twine(table.size()));
    if (scaleType == ScaleType::E8M0 || scaleType == ScaleType::E4M3)
      return fail("table scales must be f32, f16 or bf16");
    return llvm::Error::success();
  case GridKind::Plain:
    if (scaleType == ScaleType::E8M0 || scaleType == ScaleType::E4M3 ||
        bits != getScaleTypeBits(scaleType))
      return fail("plain values must be f32, f16 or bf16");
    return llvm::Error::success();
  }
  return llvm::Error::success();
}

int32_t QuantFormat::getQMin() const {
  if (kind != GridKind::Uniform)
    return 0;
  return isSigned ? -(int32_t(1) << (bits - 1)) : 0;
}

int32_t QuantFormat::getQMax() const {
  if (kind != GridKind::Uniform)
    return (int32_t(1) << bits) - 1;
  return isSigned ? (int32_t(1) << (bits - 1)) - 1 : (int32_t(1) << bits) - 1;
}

int32_t QuantFormat::getImplicitZeroPoint() const {
  return isSigned ? 0 : int32_t(1) << (bits - 1);
}

float QuantFormat::getGridMax() const {
  switch (kind) {
  case GridKind::Uniform:
    return float((int32_t(1) << (bits - 1)) - 1);
  case GridKind::Minifloat:
    return getMinifloatSpec(element).maxFinite;
  case GridKind::Lut: {
    float m = 0.0f;
    for (float v : table)
      m = std::max(m, std::fabs(v));
    return m;
  }
  case GridKind::Plain:
    return decodeScale(scaleType, scaleType == ScaleType::F32   ? 0x7F7FFFFFu
                                  : scaleType == ScaleType::F16 ? 0x7BFFu
                                                                : 0x7F7Fu);
  }
  return 1.0f;
}

int64_t QuantFormat::getNumGroups(int64_t cols) const {
  int64_t g = getGroupSize(cols);
  return g == 0 ? 0 : (cols + g - 1) / g;
}

uint64_t QuantFormat::getStorageBits(int64_t rows, int64_t cols) const {
  uint64_t numParams = uint64_t(rows) * uint64_t(getNumGroups(cols));
  uint64_t total = uint64_t(rows) * uint64_t(cols) * bits;
  if (hasGroupParams())
    total += numParams * getScaleTypeBits(scaleType);
  if (kind == GridKind::Uniform && asymmetric)
    total += numParams * bits;
  if (kind == GridKind::Minifloat && tensorScale)
    total += 32;
  return total;
}

double QuantFormat::getBitsPerWeight(int64_t rows, int64_t cols) const {
  int64_t n = rows * cols;
  return n == 0 ? 0.0 : double(getStorageBits(rows, cols)) / double(n);
}

uint64_t QuantFormat::getStorageBytes(int64_t rows, int64_t cols) const {
  uint64_t groups = uint64_t(getNumGroups(cols));
  if (kind == GridKind::Plain)
    return uint64_t(rows) * uint64_t(cols) * (bits / 8);
  uint64_t total = uint64_t(rows) * uint64_t(packedRowBytes(cols, bits));
  if (hasGroupParams())
    total += uint64_t(rows) * groups * (getScaleTypeBits(scaleType) / 8);
  if (kind == GridKind::Uniform && asymmetric)
    total += uint64_t(rows) * uint64_t(packedRowBytes(int64_t(groups), bits));
  if (kind == GridKind::Minifloat && tensorScale)
    total += 4;
  return total;
}

namespace {
struct ElementName {
  MinifloatKind kind;
  const char *shortName;
};
const ElementName kElementNames[] = {
    {MinifloatKind::E4M3FN, "fp8e4m3"}, {MinifloatKind::E5M2, "fp8e5m2"},
    {MinifloatKind::E2M3FN, "fp6e2m3"}, {MinifloatKind::E3M2FN, "fp6e3m2"},
    {MinifloatKind::E2M1FN, "fp4e2m1"},
};
} // namespace

static const char *getElementShortName(MinifloatKind kind) {
  for (const ElementName &e : kElementNames)
    if (e.kind == kind)
      return e.shortName;
  return "fp?";
}

std::string QuantFormat::getName() const {
  if (*this == mxfp4())
    return "mxfp4";
  if (*this == mxfp8())
    return "mxfp8";
  if (*this == nvfp4())
    return "nvfp4";
  std::string name;
  int64_t defaultGroup = 128;
  switch (kind) {
  case GridKind::Plain:
    return getScaleTypeName(scaleType).str();
  case GridKind::Uniform:
    name = (isSigned ? "int" : "uint") + std::to_string(bits);
    break;
  case GridKind::Lut:
    name =
        table.size() == 16 && std::equal(table.begin(), table.end(), kNF4Values)
            ? "nf4"
            : "lut" + std::to_string(bits);
    defaultGroup = 64;
    break;
  case GridKind::Minifloat:
    name = getElementShortName(element);
    if (!hasScale)
      return name;
    break;
  }
  if (groupSize == 0)
    name += "-pc";
  else if (groupSize != defaultGroup || kind == GridKind::Minifloat)
    name += "-g" + std::to_string(groupSize);
  if (kind == GridKind::Uniform && asymmetric)
    name += "-asym";
  if (scaleType != ScaleType::F16 || kind == GridKind::Minifloat)
    name += "-" + getScaleTypeName(scaleType).str();
  if (kind == GridKind::Minifloat && tensorScale)
    name += "-ts";
  return name;
}

llvm::Expected<QuantFormat> QuantFormat::parse(StringRef text) {
  auto fail = [&](const llvm::Twine &msg) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "bad format '" + text + "': " + msg);
  };
  llvm::SmallVector<StringRef> pieces;
  text.trim().split(pieces, '-');
  if (pieces.empty() || pieces[0].empty())
    return fail("empty name");
  StringRef head = pieces[0].lower() == pieces[0] ? pieces[0] : StringRef();
  if (head.empty())
    return fail("names are lower case");

  QuantFormat f;
  bool groupGiven = false;
  if (head == "mxfp4" || head == "mxfp8" || head == "nvfp4") {
    if (pieces.size() > 1)
      return fail("presets take no options");
    return head == "mxfp4" ? mxfp4() : head == "mxfp8" ? mxfp8() : nvfp4();
  }
  if (head == "mxfp6") {
    if (pieces.size() > 1)
      return fail("presets take no options");
    return minifloat(MinifloatKind::E2M3FN, 32, ScaleType::E8M0);
  }
  if (head == "f32" || head == "f16" || head == "bf16") {
    if (pieces.size() > 1)
      return fail("plain types take no options");
    return plain(head == "f32"   ? ScaleType::F32
                 : head == "f16" ? ScaleType::F16
                                 : ScaleType::BF16);
  }
  unsigned bits = 0;
  if (head == "nf4") {
    f = nf4();
  } else if (head.consume_front("uint") || head.consume_front("int")) {
    bool isSigned = !pieces[0].starts_with("uint");
    if (head.getAsInteger(10, bits))
      return fail("expected a bit width after int/uint");
    f = uniform(bits, 128, ScaleType::F16, false, isSigned);
  } else {
    bool found = false;
    for (const ElementName &e : kElementNames)
      if (head == e.shortName) {
        // Bare fp8e4m3: unscaled codes.
        f = minifloat(e.kind, -1, ScaleType::F16);
        found = true;
      }
    if (!found)
      return fail(
          "unknown format '" + head +
          "' (expected intN, uintN, nf4, mxfp4, mxfp6, mxfp8, "
          "nvfp4, fp8e4m3, fp8e5m2, fp6e2m3, fp6e3m2, fp4e2m1, f32, f16 or "
          "bf16)");
  }
  bool isMinifloat = f.kind == GridKind::Minifloat;
  bool explicitTensorScale = false;
  for (StringRef piece : llvm::drop_begin(pieces)) {
    int64_t g;
    if (piece == "pc") {
      f.groupSize = 0;
      groupGiven = true;
    } else if (piece.starts_with("g") &&
               !piece.drop_front().getAsInteger(10, g)) {
      if (g <= 0)
        return fail("group size must be positive");
      f.groupSize = g;
      groupGiven = true;
    } else if (piece == "asym" && f.kind == GridKind::Uniform) {
      f.asymmetric = true;
    } else if (piece == "f32") {
      f.scaleType = ScaleType::F32;
    } else if (piece == "f16") {
      f.scaleType = ScaleType::F16;
    } else if (piece == "bf16") {
      f.scaleType = ScaleType::BF16;
    } else if (piece == "e8m0" && isMinifloat) {
      f.scaleType = ScaleType::E8M0;
    } else if (piece == "e4m3" && isMinifloat) {
      f.scaleType = ScaleType::E4M3;
    } else if (piece == "ts" && isMinifloat) {
      explicitTensorScale = true;
    } else {
      return fail("unknown option '" + piece + "'");
    }
  }
  if (isMinifloat && groupGiven)
    f.hasScale = true;
  if (isMinifloat)
    f.tensorScale = explicitTensorScale;
  if (llvm::Error err = f.verify())
    return std::move(err);
  return f;
}

std::string QuantFormat::getEncodingAttr() const {
  std::string gran = groupSize == 0
                         ? "per_channel(0)"
                         : llvm::formatv("per_group(1, {0})", groupSize).str();
  switch (kind) {
  case GridKind::Plain:
    return "#qnt.plain<" + getScaleTypeName(scaleType).str() + ">";
  case GridKind::Uniform:
    return llvm::formatv("#qnt.uniform<{0}i{1}, {2}, scale = {3}{4}>",
                         isSigned ? "" : "u", bits, gran,
                         getScaleTypeMlirName(scaleType),
                         asymmetric ? ", asymmetric" : "")
        .str();
  case GridKind::Minifloat: {
    if (*this == mxfp4())
      return "#qnt.float<mxfp4>";
    if (*this == mxfp8())
      return "#qnt.float<mxfp8>";
    if (*this == nvfp4())
      return "#qnt.float<nvfp4>";
    std::string text =
        std::string("#qnt.float<") + getMinifloatSpec(element).name;
    if (hasScale)
      text +=
          ", " + gran + ", scale = " + getScaleTypeMlirName(scaleType).str();
    if (tensorScale)
      text += ", tensor_scale";
    return text + ">";
  }
  case GridKind::Lut: {
    bool isNF4 = table.size() == 16 &&
                 std::equal(table.begin(), table.end(), kNF4Values);
    std::string text = "#qnt.lut<";
    if (isNF4) {
      text += "nf4";
    } else {
      text += std::to_string(bits);
    }
    text += ", " + gran;
    if (!isNF4) {
      text += ", values = [";
      for (size_t i = 0; i < table.size(); ++i)
        text += (i ? ", " : "") + llvm::formatv("{0:e}", table[i]).str();
      text += "]";
    }
    return text + ", scale = " + getScaleTypeMlirName(scaleType).str() + ">";
  }
  }
  return "";
}

//===----------------------------------------------------------------------===//
// Group arithmetic
//===----------------------------------------------------------------------===//

/// rne(t) clamped to [lo, hi]; NaN counts as 0 (as the reference does).
static int32_t clampRne(float t, int32_t lo, int32_t hi) {
  if (std::isnan(t))
    t = 0.0f;
  float r = roundHalfToEven(t);
  if (r <= float(lo))
    return lo;
  if (r >= float(hi))
    return hi;
  return int32_t(r);
}

float quantize::computeTensorScale(const QuantFormat &format,
                                   llvm::ArrayRef<float> w) {
  if (format.kind != GridKind::Minifloat || !format.tensorScale)
    return 1.0f;
  float absMax = 0.0f;
  for (float x : w)
    if (!std::isnan(x))
      absMax = std::max(absMax, std::fabs(x));
  float formatMax = getMinifloatSpec(format.element).maxFinite;
  float ts = 1.0f;
  // Only e4m3 block scales (NVFP4) need the extra range; wide scale types
  // keep a tensor scale of 1, as the reference encode does.
  if (format.hasScale && format.scaleType == ScaleType::E4M3)
    ts = absMax / (448.0f * formatMax);
  if (ts == 0.0f || !std::isfinite(ts))
    ts = 1.0f;
  return ts;
}

GroupParams quantize::chooseGroupParams(const QuantFormat &format,
                                        const float *x, int64_t n,
                                        float tensorScale, float clip) {
  GroupParams p;
  if (!format.hasGroupParams())
    return p;
  float absMax = 0.0f, lo = 0.0f, hi = 0.0f;
  for (int64_t i = 0; i < n; ++i) {
    if (std::isnan(x[i]))
      continue;
    absMax = std::max(absMax, std::fabs(x[i]));
    lo = std::min(lo, x[i]);
    hi = std::max(hi, x[i]);
  }
  if (clip != 1.0f) {
    absMax = absMax * clip;
    lo = lo * clip;
    hi = hi * clip;
  }
  switch (format.kind) {
  case GridKind::Uniform: {
    int32_t qmin = format.getQMin(), qmax = format.getQMax();
    if (!format.asymmetric) {
      float raw = absMax == 0.0f ? 1.0f : absMax / format.getGridMax();
      p.scale = roundScale(format.scaleType, raw, &p.scaleCode);
      p.zeroPoint = format.getImplicitZeroPoint();
      return p;
    }
    float raw = hi == lo ? 1.0f : (hi - lo) / float(qmax - qmin);
    p.scale = roundScale(format.scaleType, raw, &p.scaleCode);
    p.zeroPoint = clampRne(float(qmin) - lo / p.scale, qmin, qmax);
    return p;
  }
  case GridKind::Minifloat: {
    float formatMax = getMinifloatSpec(format.element).maxFinite;
    if (format.scaleType == ScaleType::E8M0) {
      p.scaleCode = e8m0FromExponent(mxScaleExponent(absMax, format.element));
      p.scale = decodeScale(ScaleType::E8M0, p.scaleCode);
    } else if (format.scaleType == ScaleType::E4M3) {
      float target = absMax / formatMax;
      if (format.tensorScale)
        target = target / tensorScale;
      p.scale = roundScale(ScaleType::E4M3, target, &p.scaleCode);
    } else {
      p.scale =
          roundScale(format.scaleType,
                     absMax == 0.0f ? 1.0f : absMax / formatMax, &p.scaleCode);
    }
    return p;
  }
  case GridKind::Lut:
    p.scale = roundScale(format.scaleType, absMax == 0.0f ? 1.0f : absMax,
                         &p.scaleCode);
    return p;
  case GridKind::Plain:
    return p;
  }
  return p;
}

float quantize::dequantizeCode(const QuantFormat &format,
                               const GroupParams &params, float tensorScale,
                               int32_t code) {
  switch (format.kind) {
  case GridKind::Uniform:
    return float(code - params.zeroPoint) * params.scale;
  case GridKind::Minifloat: {
    float v = decodeMinifloat(format.element, uint32_t(code));
    if (format.hasScale)
      v = v * params.scale;
    if (format.tensorScale)
      v = v * tensorScale;
    return v;
  }
  case GridKind::Lut:
    return format.table[code] * params.scale;
  case GridKind::Plain:
    return decodeScale(format.scaleType, uint32_t(code));
  }
  return 0.0f;
}

float quantize::quantizeValue(const QuantFormat &format,
                              const GroupParams &params, float tensorScale,
                              float x, int32_t *codeOut) {
  int32_t code = 0;
  switch (format.kind) {
  case GridKind::Uniform:
    code = quantizeToInt(x, params.scale, params.zeroPoint, format.getQMin(),
                         format.getQMax());
    break;
  case GridKind::Minifloat: {
    if (format.hasScale || format.tensorScale) {
      float denominator = 1.0f;
      if (format.hasScale)
        denominator = params.scale;
      if (format.hasScale && format.tensorScale)
        denominator = denominator * tensorScale;
      else if (format.tensorScale)
        denominator = tensorScale;
      x = denominator == 0.0f ? 0.0f : x / denominator;
    }
    code = int32_t(encodeMinifloat(format.element, x));
    break;
  }
  case GridKind::Lut:
    code = nearestIndex(format.table.data(), int64_t(format.table.size()),
                        x / params.scale);
    break;
  case GridKind::Plain: {
    uint32_t bits;
    roundScale(format.scaleType, x, &bits);
    code = int32_t(bits);
    break;
  }
  }
  if (codeOut)
    *codeOut = code;
  return dequantizeCode(format, params, tensorScale, code);
}

void quantize::quantizeGroup(const QuantFormat &format,
                             const GroupParams &params, float tensorScale,
                             const float *x, int64_t n, int32_t *codes,
                             float *dequantized) {
  for (int64_t i = 0; i < n; ++i) {
    int32_t code;
    float v = quantizeValue(format, params, tensorScale, x[i], &code);
    if (codes)
      codes[i] = code;
    if (dequantized)
      dequantized[i] = v;
  }
}

//===----------------------------------------------------------------------===//
// QuantizedWeights
//===----------------------------------------------------------------------===//

static const GroupParams kNoParams;

const GroupParams &QuantizedWeights::getParams(int64_t row, int64_t col) const {
  if (params.empty())
    return kNoParams;
  int64_t groups = format.getNumGroups(cols);
  return params[row * groups + col / format.getGroupSize(cols)];
}

std::vector<float> QuantizedWeights::decode() const {
  std::vector<float> out(static_cast<size_t>(rows * cols));
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c)
      out[r * cols + c] = dequantizeCode(format, getParams(r, c), tensorScale,
                                         codes[r * cols + c]);
  return out;
}

std::vector<std::vector<uint8_t>> QuantizedWeights::packParts() const {
  std::vector<std::vector<uint8_t>> parts;
  if (format.kind == GridKind::Plain) {
    // One `values` part of little-endian f32 / f16 / bf16.
    unsigned bytes = format.bits / 8;
    std::vector<uint8_t> values(codes.size() * bytes);
    for (size_t i = 0; i < codes.size(); ++i)
      for (unsigned b = 0; b < bytes; ++b)
        values[i * bytes + b] = uint8_t(uint32_t(codes[i]) >> (8 * b));
    parts.push_back(std::move(values));
    return parts;
  }
  int64_t rowBytes = packedRowBytes(cols, format.bits);
  parts.emplace_back(size_t(rows * rowBytes), 0);
  packCodes(codes.data(), rows, cols, format.bits, parts.back().data());
  int64_t groups = format.getNumGroups(cols);
  if (format.hasGroupParams()) {
    unsigned scaleBytes = getScaleTypeBits(format.scaleType) / 8;
    std::vector<uint8_t> scales(size_t(rows * groups) * scaleBytes);
    for (size_t i = 0; i < params.size(); ++i)
      for (unsigned b = 0; b < scaleBytes; ++b)
        scales[i * scaleBytes + b] = uint8_t(params[i].scaleCode >> (8 * b));
    parts.push_back(std::move(scales));
  }
  if (format.kind == GridKind::Uniform && format.asymmetric) {
    std::vector<int32_t> zeros(params.size());
    for (size_t i = 0; i < params.size(); ++i)
      zeros[i] = params[i].zeroPoint;
    std::vector<uint8_t> packed(
        size_t(rows * packedRowBytes(groups, format.bits)), 0);
    packCodes(zeros.data(), rows, groups, format.bits, packed.data());
    parts.push_back(std::move(packed));
  }
  if (format.kind == GridKind::Minifloat && format.tensorScale) {
    std::vector<uint8_t> ts(4);
    std::memcpy(ts.data(), &tensorScale, 4);
    parts.push_back(std::move(ts));
  }
  return parts;
}

QuantizedWeights QuantizedWeights::sliceRows(int64_t begin,
                                             int64_t count) const {
  assert(begin >= 0 && count >= 0 && begin + count <= rows);
  QuantizedWeights out;
  out.format = format;
  out.rows = count;
  out.cols = cols;
  out.tensorScale = tensorScale;
  auto slice = [&](const auto &v, int64_t perRow, auto &dst) {
    dst.assign(v.begin() + begin * perRow,
               v.begin() + (begin + count) * perRow);
  };
  slice(codes, cols, out.codes);
  slice(dequantized, cols, out.dequantized);
  if (!params.empty())
    slice(params, format.getNumGroups(cols), out.params);
  return out;
}

llvm::Error QuantizedWeights::appendRows(const QuantizedWeights &other) {
  if (other.format != format || other.cols != cols ||
      std::memcmp(&other.tensorScale, &tensorScale, sizeof(float)) != 0)
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        llvm::formatv("cannot append {0} rows of {1} (K = {2}) to {3} "
                      "(K = {4}): formats, columns or tensor scales differ",
                      other.rows, other.format.getName(), other.cols,
                      format.getName(), cols)
            .str());
  codes.insert(codes.end(), other.codes.begin(), other.codes.end());
  params.insert(params.end(), other.params.begin(), other.params.end());
  dequantized.insert(dequantized.end(), other.dequantized.begin(),
                     other.dequantized.end());
  rows += other.rows;
  return llvm::Error::success();
}

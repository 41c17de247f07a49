//===- NonUniformWeights.cpp - minifloat, lut, binary, ternary on CPU -----===//
//
// Compile-time repacking and in-register decode of the weights described in
// NonUniformWeights.h. Scales are folded at compile time into one f32 per
// (channel, K group): decode(scale) * tensor_scale; the kernel multiplies
// each group's sum of x * decode(code) by it.
//
//===----------------------------------------------------------------------===//

#include "quant/Conversion/QntToCPU/NonUniformWeights.h"

#include "quant/Support/BitPacking.h"
#include "quant/Support/Minifloat.h"
#include "quant/Support/Rounding.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/MathExtras.h"

#include <cstring>
#include <limits>
#include <optional>

using namespace mlir;
using namespace mlir::qnt;

//===----------------------------------------------------------------------===//
// What an encoding stores
//===----------------------------------------------------------------------===//

namespace {
/// The facts about a supported encoding that repacking needs.
struct NonUniformInfo {
  Granularity granularity;
  unsigned bits = 0;
  /// Null when the encoding stores no scales.
  Type scaleType;
  bool tensorScale = false;
  CodeDecode decode;
};
} // namespace

static std::optional<MinifloatKind> getKind(Type type) {
  if (isa<Float8E4M3FNType>(type))
    return MinifloatKind::E4M3FN;
  if (isa<Float8E5M2Type>(type))
    return MinifloatKind::E5M2;
  if (isa<Float4E2M1FNType>(type))
    return MinifloatKind::E2M1FN;
  if (isa<Float8E8M0FNUType>(type))
    return MinifloatKind::E8M0FNU;
  return std::nullopt;
}

static bool isPlainScaleType(Type type) {
  return type.isF32() || type.isF16() || type.isBF16();
}

/// Fills a 16-entry table from `values` (2^bits entries), repeated.
static void setTable(CodeDecode &decode, unsigned bits,
                     ArrayRef<float> values) {
  decode.kind = CodeDecode::Kind::Table;
  decode.tableBits = bits;
  for (unsigned i = 0; i < 16; ++i)
    decode.table[i] = values[i % values.size()];
}

static FailureOr<NonUniformInfo> getInfo(Attribute encoding,
                                         std::string &reason) {
  NonUniformInfo info;
  if (auto minifloat = dyn_cast<MinifloatAttr>(encoding)) {
    info.granularity = minifloat.getGranularity();
    info.scaleType = minifloat.getScaleType();
    info.tensorScale = minifloat.getTensorScale();
    std::optional<MinifloatKind> kind = getKind(minifloat.getFormat());
    if (kind == MinifloatKind::E2M1FN) {
      info.bits = 4;
      SmallVector<float> values;
      for (uint32_t code = 0; code < 16; ++code)
        values.push_back(decodeMinifloat(*kind, code));
      setTable(info.decode, 4, values);
    } else if (kind == MinifloatKind::E4M3FN || kind == MinifloatKind::E5M2) {
      info.bits = 8;
      info.decode.kind = kind == MinifloatKind::E4M3FN
                             ? CodeDecode::Kind::E4M3FN
                             : CodeDecode::Kind::E5M2;
    } else {
      reason = "minifloat format must be fp8 or fp4";
      return failure();
    }
    if (info.scaleType && !isPlainScaleType(info.scaleType) &&
        !isa<Float8E8M0FNUType, Float8E4M3FNType>(info.scaleType)) {
      reason = "unsupported minifloat scale type";
      return failure();
    }
    return info;
  }
  if (auto lut = dyn_cast<LutAttr>(encoding)) {
    if (!lut.hasFixedTable()) {
      reason = "lut tables are stored per block";
      return failure();
    }
    if (lut.getBits() > 4) {
      reason = "lut codes wider than 4 bits";
      return failure();
    }
    info.granularity = lut.getGranularity();
    info.bits = lut.getBits();
    info.scaleType = lut.getScaleType();
    setTable(info.decode, info.bits, lut.getValues().asArrayRef());
    return info;
  }
  if (auto binary = dyn_cast<BinaryAttr>(encoding)) {
    info.granularity = binary.getGranularity();
    info.bits = 1;
    info.scaleType = binary.getScaleType();
    setTable(info.decode, 1, {-1.0f, 1.0f});
    return info;
  }
  if (auto ternary = dyn_cast<TernaryAttr>(encoding)) {
    info.granularity = ternary.getGranularity();
    info.bits = 2;
    info.scaleType = ternary.getScaleType();
    // Two's complement; the invalid code 2 decodes as -2 like the reference.
    setTable(info.decode, 2, {0.0f, 1.0f, -2.0f, -1.0f});
    return info;
  }
  reason = "weight encoding has no cpu kernel";
  return failure();
}

//===----------------------------------------------------------------------===//
// Repacking
//===----------------------------------------------------------------------===//

bool mlir::qnt::canRepackNonUniformForCpu(Attribute encoding,
                                          ArrayRef<int64_t> shape,
                                          std::string &reason) {
  if (shape.size() != 2) {
    reason = "weight is not 2-D";
    return false;
  }
  FailureOr<NonUniformInfo> info = getInfo(encoding, reason);
  if (failed(info))
    return false;
  SmallVector<int64_t> block = info->granularity.getBlockShape(shape);
  int64_t groupSize = std::min(block[1], shape[1]);
  // A group shorter than a word would waste most of every word.
  if (groupSize < shape[1] && groupSize < int64_t(32 / info->bits)) {
    reason = "groups along K are shorter than one 32-bit word of codes";
    return false;
  }
  return true;
}

/// Decoded f32 values of `count` stored scales of `type`.
static std::vector<float> readScales(Type type, ArrayRef<uint8_t> bytes,
                                     int64_t count) {
  std::vector<float> scales(count);
  std::optional<MinifloatKind> kind = getKind(type);
  for (int64_t i = 0; i < count; ++i) {
    if (kind) {
      scales[i] = decodeMinifloat(*kind, bytes[i]);
    } else if (type.isF32()) {
      std::memcpy(&scales[i], bytes.data() + 4 * i, 4);
    } else {
      uint16_t raw = uint16_t(bytes[2 * i]) | uint16_t(bytes[2 * i + 1]) << 8;
      scales[i] =
          type.isF16() ? halfBitsToFloat(raw) : bfloat16BitsToFloat(raw);
    }
  }
  return scales;
}

FailureOr<RepackedWeight> mlir::qnt::repackNonUniformForCpu(
    Attribute encoding, ArrayRef<int64_t> shape, int64_t tileN,
    ArrayRef<ArrayRef<uint8_t>> parts, CodeDecode &decode) {
  std::string reason;
  FailureOr<NonUniformInfo> info = getInfo(encoding, reason);
  if (failed(info))
    return failure();
  SmallVector<PartInfo> infos =
      cast<EncodingAttrInterface>(encoding).getParts(shape);
  if (infos.size() != parts.size())
    return failure();
  for (auto [partInfo, bytes] : llvm::zip_equal(infos, parts))
    if (int64_t(bytes.size()) != partInfo.getNumBytes())
      return failure();
  decode = info->decode;

  RepackedWeight result;
  RepackedLayout &layout = result.layout;
  layout.n = shape[0];
  layout.k = shape[1];
  layout.tileN = tileN;
  layout.numTiles = llvm::divideCeil(layout.n, tileN);
  layout.bits = info->bits;
  layout.signedCodes = false;
  layout.hasZeroPoints = false;
  layout.codesPerWord = 32 / layout.bits;
  SmallVector<int64_t> block = info->granularity.getBlockShape(shape);
  SmallVector<int64_t> paramShape = info->granularity.getParamShape(shape);
  layout.groupSize = std::min(block[1], layout.k);
  layout.numGroups = llvm::divideCeil(layout.k, layout.groupSize);
  layout.wordsPerGroup =
      llvm::divideCeil(layout.groupSize, layout.codesPerWord);

  // One f32 factor per parameter: decode(scale) * tensor_scale.
  int64_t numParams = paramShape[0] * paramShape[1];
  std::vector<float> scales(numParams, 1.0f);
  unsigned next = 1;
  if (info->scaleType)
    scales = readScales(info->scaleType, parts[next++], numParams);
  if (info->tensorScale) {
    float tensorScale;
    std::memcpy(&tensorScale, parts[next].data(), 4);
    for (float &scale : scales)
      scale *= tensorScale;
  }

  int64_t n = layout.n, k = layout.k, bits = layout.bits;
  std::vector<int32_t> rowCodes(k);
  int64_t rowBytes = packedRowBytes(k, bits);
  int64_t wordsPerGroup = layout.wordsPerGroup;
  result.codes.assign(
      layout.numTiles * layout.numGroups * wordsPerGroup * tileN, 0);
  result.scales.assign(layout.numTiles * layout.numGroups * tileN, 0.0f);
  for (int64_t row = 0; row < n; ++row) {
    unpackCodes(parts[0].data() + row * rowBytes, 1, k, bits,
                /*isSigned=*/false, rowCodes.data());
    int64_t tile = row / tileN, lane = row % tileN;
    for (int64_t group = 0; group < layout.numGroups; ++group) {
      int64_t paramIndex = (row / block[0]) * paramShape[1] +
                           (group * layout.groupSize) / block[1];
      result.scales[(tile * layout.numGroups + group) * tileN + lane] =
          scales[paramIndex];
      int64_t kBegin = group * layout.groupSize;
      int64_t kEnd = std::min(k, kBegin + layout.groupSize);
      for (int64_t col = kBegin; col < kEnd; ++col) {
        uint32_t code = uint32_t(rowCodes[col]);
        if ((decode.kind == CodeDecode::Kind::E4M3FN &&
             (code & 0x7F) == 0x7F) ||
            (decode.kind == CodeDecode::Kind::E5M2 && (code & 0x7C) == 0x7C))
          decode.hasSpecialCodes = true;
        int64_t word = (col - kBegin) / layout.codesPerWord;
        int64_t slot = (col - kBegin) % layout.codesPerWord;
        int64_t offset =
            ((tile * layout.numGroups + group) * wordsPerGroup + word) * tileN +
            lane;
        result.codes[offset] =
            int32_t(uint32_t(result.codes[offset]) | (code << (slot * bits)));
      }
    }
  }
  return result;
}

//===----------------------------------------------------------------------===//
// Decode
//===----------------------------------------------------------------------===//

namespace {
struct Emitter {
  OpBuilder &b;
  Location loc;
  const CodeDecode &decode;
  VectorType floatType, intType;

  Value intSplat(uint32_t v) {
    return arith::ConstantOp::create(
        b, loc,
        DenseElementsAttr::get(intType, b.getI32IntegerAttr(int32_t(v))));
  }
  Value floatSplat(float v) {
    return arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(floatType, b.getF32FloatAttr(v)));
  }
  Value floatConstant(ArrayRef<float> values) {
    auto type = VectorType::get({int64_t(values.size())}, b.getF32Type());
    return arith::ConstantOp::create(b, loc,
                                     DenseElementsAttr::get(type, values));
  }
  Value bitTest(Value x, uint32_t mask) {
    Value bits = arith::AndIOp::create(b, loc, x, intSplat(mask));
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, bits,
                                 intSplat(0));
  }
  /// Calls intrinsic `name` (float table, i32 indices) -> float through an
  /// always-inline llvm.func: buffer deallocation rejects a bare
  /// llvm.call_intrinsic (no memory effects interface) but accepts calls.
  Value intrinsic(StringRef name, Value table, Value index) {
    auto module = cast<ModuleOp>(decode.module);
    std::string symbol = "__qnt_cpu_" + name.drop_front(5).str();
    llvm::replace(symbol, '.', '_');
    auto func = module.lookupSymbol<LLVM::LLVMFuncOp>(symbol);
    if (!func) {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(module.getBody());
      auto type = LLVM::LLVMFunctionType::get(
          table.getType(), {table.getType(), index.getType()});
      func = LLVM::LLVMFuncOp::create(b, loc, symbol, type,
                                      LLVM::Linkage::Internal);
      func.setAlwaysInline(true);
      Block *body = func.addEntryBlock(b);
      b.setInsertionPointToStart(body);
      Value result = LLVM::CallIntrinsicOp::create(b, loc, table.getType(),
                                                   b.getStringAttr(name),
                                                   body->getArguments())
                         .getResult(0);
      LLVM::ReturnOp::create(b, loc, result);
    }
    return LLVM::CallOp::create(b, loc, func, ValueRange{table, index})
        .getResult();
  }

  /// table[index & 15] per lane: one register permute on AVX-512 (vpermps
  /// reads the low 4 index bits), two on AVX2 (low 3 bits, bit 3 selects),
  /// a select tree on the low `tableBits` bits for other widths.
  Value lookup(Value index) {
    ArrayRef<float> table(decode.table);
    int64_t lanes = floatType.getNumElements();
    if (lanes == 16)
      return intrinsic("llvm.x86.avx512.permvar.sf.512", floatConstant(table),
                       index);
    if (lanes == 8) {
      Value low = intrinsic("llvm.x86.avx2.permps",
                            floatConstant(table.take_front(8)), index);
      if (decode.tableBits <= 3)
        return low;
      Value high = intrinsic("llvm.x86.avx2.permps",
                             floatConstant(table.drop_front(8)), index);
      return arith::SelectOp::create(b, loc, bitTest(index, 8), high, low);
    }
    SmallVector<Value> level;
    for (unsigned i = 0; i < (1u << decode.tableBits); ++i)
      level.push_back(floatSplat(table[i]));
    for (unsigned bit = 0; bit < decode.tableBits; ++bit) {
      Value set = bitTest(index, 1u << bit);
      SmallVector<Value> next;
      for (size_t i = 0; i < level.size(); i += 2)
        next.push_back(
            arith::SelectOp::create(b, loc, set, level[i + 1], level[i]));
      level = std::move(next);
    }
    return level.front();
  }

  /// An fp8 code with `exponentBits` exponent bits (e4m3fn: 4, e5m2: 5) in
  /// bits [8 * slot, 8 * slot + 8): its sign goes to bit 31 and its exponent
  /// and mantissa to the low exponent / high mantissa bits of an f32, which
  /// times 2^(127 - bias) is its value (subnormal codes become f32
  /// subnormals, scaled exactly).
  Value fp8(Value word, int64_t slot) {
    bool e4m3 = decode.kind == CodeDecode::Kind::E4M3FN;
    Value v = word;
    if (slot < 3)
      v = arith::ShLIOp::create(b, loc, v, intSplat(24 - 8 * slot));
    v = arith::ShRSIOp::create(b, loc, v, intSplat(e4m3 ? 4 : 3));
    v = arith::AndIOp::create(b, loc, v,
                              intSplat(e4m3 ? 0x87F00000u : 0x8FE00000u));
    Value f = arith::BitcastOp::create(b, loc, floatType, v);
    f = arith::MulFOp::create(b, loc, f,
                              floatSplat(e4m3 ? 0x1p120f : 0x1p112f));
    if (!decode.hasSpecialCodes)
      return f;
    // e4m3fn: exponent and mantissa all ones is NaN. e5m2: exponent all ones
    // is Inf / NaN; setting every f32 exponent bit keeps the mantissa.
    uint32_t special = e4m3 ? 0x07F00000u : 0x0F800000u;
    Value isSpecial = arith::CmpIOp::create(
        b, loc, arith::CmpIPredicate::eq,
        arith::AndIOp::create(b, loc, v, intSplat(special)), intSplat(special));
    Value value =
        e4m3 ? floatSplat(std::numeric_limits<float>::quiet_NaN())
             : arith::BitcastOp::create(
                   b, loc, floatType,
                   arith::OrIOp::create(b, loc, v, intSplat(0x7F800000u)));
    return arith::SelectOp::create(b, loc, isSpecial, value, f);
  }
};
} // namespace

Value mlir::qnt::emitCodeDecode(OpBuilder &b, Location loc,
                                const CodeDecode &decode,
                                const RepackedLayout &layout, Value word,
                                int64_t slot, VectorType floatType) {
  Emitter e{b, loc, decode, floatType,
            VectorType::get(floatType.getShape(), b.getI32Type())};
  if (decode.kind != CodeDecode::Kind::Table)
    return e.fp8(word, slot);
  Value index = word;
  if (slot > 0)
    index = arith::ShRUIOp::create(b, loc, word,
                                   e.intSplat(uint32_t(layout.bits * slot)));
  return e.lookup(index);
}

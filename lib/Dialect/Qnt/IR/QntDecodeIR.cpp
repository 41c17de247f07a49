//===- QntDecodeIR.cpp - reference decode and encode as IR ----------------===//
//
// buildDecodeElement and buildEncode of every encoding: the reference
// semantics of docs/Encodings.md emitted as scalar arith / tensor / scf IR
// (decode) and linalg.generic ops (encode). The f32 operations follow the
// order of the reference exactly and carry no fastmath flags, so lowered code
// is bit-identical to referenceDecode / referenceEncode.
//
//===----------------------------------------------------------------------===//

#include "EncodingUtils.h"
#include "quant/Dialect/Qnt/IR/QntOps.h"
#include "quant/Support/Lookup.h"
#include "quant/Support/Minifloat.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"

using namespace mlir;
using namespace mlir::qnt;

namespace {

/// Small emission helpers around one builder and location.
struct Emitter {
  OpBuilder &b;
  Location loc;

  Type f32() { return b.getF32Type(); }
  Type i32() { return b.getI32Type(); }

  Value cIndex(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value cI32(int64_t v) {
    return arith::ConstantIntOp::create(b, loc, b.getI32Type(), v);
  }
  Value cF32(float v) {
    return arith::ConstantFloatOp::create(b, loc, b.getF32Type(), APFloat(v));
  }
  Value extract(Value tensor, ValueRange indices) {
    return tensor::ExtractOp::create(b, loc, tensor, indices);
  }
  /// Widens f16/bf16 to f32; f32 stays.
  Value toF32(Value v) {
    if (v.getType().isF32())
      return v;
    return arith::ExtFOp::create(b, loc, f32(), v);
  }
  Value indexToI32(Value v) {
    return arith::IndexCastOp::create(b, loc, i32(), v);
  }
  Value i32ToIndex(Value v) {
    return arith::IndexCastOp::create(b, loc, b.getIndexType(), v);
  }
  Value addi(Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
  Value subi(Value x, Value y) { return arith::SubIOp::create(b, loc, x, y); }
  Value muli(Value x, Value y) { return arith::MulIOp::create(b, loc, x, y); }
  Value divui(Value x, Value y) { return arith::DivUIOp::create(b, loc, x, y); }
  Value remui(Value x, Value y) { return arith::RemUIOp::create(b, loc, x, y); }
  Value andi(Value x, Value y) { return arith::AndIOp::create(b, loc, x, y); }
  Value ori(Value x, Value y) { return arith::OrIOp::create(b, loc, x, y); }
  Value shli(Value x, Value y) { return arith::ShLIOp::create(b, loc, x, y); }
  Value shrui(Value x, Value y) { return arith::ShRUIOp::create(b, loc, x, y); }
  Value shrsi(Value x, Value y) { return arith::ShRSIOp::create(b, loc, x, y); }
  Value minui(Value x, Value y) { return arith::MinUIOp::create(b, loc, x, y); }
  Value cmpi(arith::CmpIPredicate p, Value x, Value y) {
    return arith::CmpIOp::create(b, loc, p, x, y);
  }
  Value cmpf(arith::CmpFPredicate p, Value x, Value y) {
    return arith::CmpFOp::create(b, loc, p, x, y);
  }
  Value select(Value c, Value x, Value y) {
    return arith::SelectOp::create(b, loc, c, x, y);
  }
  Value addf(Value x, Value y) { return arith::AddFOp::create(b, loc, x, y); }
  Value subf(Value x, Value y) { return arith::SubFOp::create(b, loc, x, y); }
  Value mulf(Value x, Value y) { return arith::MulFOp::create(b, loc, x, y); }
  Value divf(Value x, Value y) { return arith::DivFOp::create(b, loc, x, y); }
  Value sitofp(Value v) { return arith::SIToFPOp::create(b, loc, f32(), v); }
  Value uitofp(Value v) { return arith::UIToFPOp::create(b, loc, f32(), v); }
  Value byteToI32(Value v) { return arith::ExtUIOp::create(b, loc, i32(), v); }

  /// Reads code `k` (an index) of `bits` bits from the packed row of `part`
  /// selected by `outer`, as i32 (sign-extended when `isSigned`).
  Value readCode(Value part, ValueRange outer, Value k, unsigned bits,
                 bool isSigned) {
    int64_t rowBytes = cast<RankedTensorType>(part.getType()).getShape().back();
    Value bitPos = muli(k, cIndex(bits));
    Value byteIndex = divui(bitPos, cIndex(8));
    Value shift = indexToI32(remui(bitPos, cIndex(8)));
    // Aligned widths never straddle; others may touch one more byte. Extra
    // bytes past the row end are clamped: their bits are masked off below.
    unsigned numBytes = (bits % 8 == 0)   ? bits / 8
                        : (8 % bits == 0) ? 1
                                          : bits / 8 + 2;
    Value word;
    SmallVector<Value> indices(outer.begin(), outer.end());
    indices.push_back(byteIndex);
    for (unsigned i = 0; i < numBytes; ++i) {
      Value index = byteIndex;
      if (i > 0)
        index = minui(addi(byteIndex, cIndex(i)), cIndex(rowBytes - 1));
      indices.back() = index;
      Value byte = byteToI32(extract(part, indices));
      if (i > 0)
        byte = shli(byte, cI32(8 * i));
      word = word ? ori(word, byte) : byte;
    }
    Value code = andi(shrui(word, shift), cI32((int64_t(1) << bits) - 1));
    if (isSigned && bits < 32) {
      Value amount = cI32(32 - bits);
      code = shrsi(shli(code, amount), amount);
    }
    return code;
  }

  /// Population count of an i32 with arith only (SWAR), so that no
  /// math.ctpop reaches pipelines that do not lower it.
  Value popcount(Value v) {
    v = subi(v, andi(shrui(v, cI32(1)), cI32(0x55555555)));
    v = addi(andi(v, cI32(0x33333333)),
             andi(shrui(v, cI32(2)), cI32(0x33333333)));
    v = andi(addi(v, shrui(v, cI32(4))), cI32(0x0F0F0F0F));
    return shrui(muli(v, cI32(0x01010101)), cI32(24));
  }

  /// A constant f32 table indexed by an i32 code.
  Value lookup(ArrayRef<float> table, Value code) {
    auto type = RankedTensorType::get({int64_t(table.size())}, f32());
    Value constant =
        arith::ConstantOp::create(b, loc, DenseElementsAttr::get(type, table));
    return extract(constant, i32ToIndex(code));
  }

  /// Exact value of a minifloat code (i32) through a 2^bits-entry table.
  Value decodeMinifloatCode(MinifloatKind kind, Value code) {
    unsigned bits = getMinifloatSpec(kind).bits;
    SmallVector<float> table;
    for (uint32_t c = 0; c < (1u << bits); ++c)
      table.push_back(decodeMinifloat(kind, c));
    return lookup(table, code);
  }

  /// Decodes one stored scale element (already extracted) of `scaleType`.
  Value decodeScale(Type scaleType, Value stored) {
    if (std::optional<MinifloatKind> kind = getMinifloatKind(scaleType))
      return decodeMinifloatCode(*kind, byteToI32(stored));
    return toF32(stored);
  }

  /// Row-major linear index of `indices` in `shape`.
  Value linearize(ValueRange indices, ArrayRef<int64_t> shape) {
    Value linear = cIndex(0);
    for (auto [index, extent] : llvm::zip_equal(indices, shape))
      linear = addi(muli(linear, cIndex(extent)), index);
    return linear;
  }

  /// Parameter coordinates of the element at `indices`.
  SmallVector<Value> paramIndices(const Granularity &granularity,
                                  ArrayRef<int64_t> shape, ValueRange indices) {
    SmallVector<int64_t> block = granularity.getBlockShape(shape);
    SmallVector<Value> result;
    for (auto [i, index] : llvm::enumerate(indices)) {
      if (block[i] == 1)
        result.push_back(index);
      else if (block[i] >= shape[i])
        result.push_back(cIndex(0));
      else
        result.push_back(divui(index, cIndex(block[i])));
    }
    return result;
  }

  /// Index of the CSR entry of row `row` whose column is `col` (an index),
  /// or -1 (i32). The first match wins.
  Value findCsr(Value rowOffsets, Value cols, Value row, Value col) {
    Value begin = i32ToIndex(extract(rowOffsets, row));
    Value end = i32ToIndex(extract(rowOffsets, addi(row, cIndex(1))));
    Value colI32 = indexToI32(col);
    auto loop = scf::ForOp::create(
        b, loc, begin, end, cIndex(1), ValueRange{cI32(-1)},
        [&](OpBuilder &nb, Location nl, Value i, ValueRange iterArgs) {
          Emitter e{nb, nl};
          Value found = iterArgs[0];
          Value match =
              e.cmpi(arith::CmpIPredicate::eq, e.extract(cols, i), colI32);
          Value first = e.cmpi(arith::CmpIPredicate::slt, found, e.cI32(0));
          Value take = arith::AndIOp::create(nb, nl, match, first);
          Value next = e.select(take, e.indexToI32(i), found);
          scf::YieldOp::create(nb, nl, next);
        });
    return loop.getResult(0);
  }

  /// scf.if on `cond` yielding f32: `thenFn` builds the value, else 0.
  Value ifElseZero(Value cond, function_ref<Value(Emitter &)> thenFn) {
    auto ifOp = scf::IfOp::create(b, loc, TypeRange{f32()}, cond,
                                  /*withElseRegion=*/true);
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(ifOp.thenBlock());
      Value v = thenFn(*this);
      scf::YieldOp::create(b, loc, v);
      b.setInsertionPointToStart(ifOp.elseBlock());
      scf::YieldOp::create(b, loc, cF32(0.0f));
    }
    return ifOp.getResult(0);
  }
};

int64_t normalizeAxis(int64_t axis, int64_t rank) {
  return axis < 0 ? axis + rank : axis;
}

std::pair<int64_t, int64_t> getIntRange(unsigned bits, bool isSigned) {
  if (isSigned)
    return {-(int64_t(1) << (bits - 1)), (int64_t(1) << (bits - 1)) - 1};
  return {0, (int64_t(1) << bits) - 1};
}

/// The parts of a nested encoding: `parts` from `offset`, as many as it has.
ValueRange sliceParts(ValueRange parts, unsigned offset, unsigned count) {
  return parts.slice(offset, count);
}

} // namespace

//===----------------------------------------------------------------------===//
// Decode
//===----------------------------------------------------------------------===//

Value UniformAttr::buildDecodeElement(OpBuilder &builder, Location loc,
                                      ArrayRef<int64_t> shape, ValueRange parts,
                                      ValueRange indices) const {
  Emitter e{builder, loc};
  unsigned bits = getBits();
  bool isSigned = this->isSigned();
  Value q =
      e.readCode(parts[0], indices.drop_back(), indices.back(), bits, isSigned);
  SmallVector<int64_t> paramShape = getGranularity().getParamShape(shape);
  SmallVector<Value> p = e.paramIndices(getGranularity(), shape, indices);
  unsigned next = 1;
  Value scale;
  if (isDoubleQuantized()) {
    Value linear = e.linearize(p, paramShape);
    Value code = e.readCode(parts[1], ValueRange(p).drop_back(), p.back(),
                            getScaleBits(), /*isSigned=*/false);
    Value superScale =
        e.extract(parts[2], e.divui(linear, e.cIndex(getScaleGroupSize())));
    scale = e.mulf(e.uitofp(code), superScale);
    next = 3;
  } else {
    scale = e.toF32(e.extract(parts[1], p));
    next = 2;
  }
  Value zero;
  if (!getSymmetric())
    zero = e.readCode(parts[next], ValueRange(p).drop_back(), p.back(), bits,
                      isSigned);
  else
    zero = e.cI32(isSigned ? 0 : (int64_t(1) << (bits - 1)));
  return e.mulf(e.sitofp(e.subi(q, zero)), scale);
}

Value MinifloatAttr::buildDecodeElement(OpBuilder &builder, Location loc,
                                        ArrayRef<int64_t> shape,
                                        ValueRange parts,
                                        ValueRange indices) const {
  Emitter e{builder, loc};
  MinifloatKind kind = *getMinifloatKind(getFormat());
  Value code = e.readCode(parts[0], indices.drop_back(), indices.back(),
                          getFormat().getWidth(), /*isSigned=*/false);
  Value x = e.decodeMinifloatCode(kind, code);
  unsigned next = 1;
  if (isScaled()) {
    SmallVector<Value> p = e.paramIndices(getGranularity(), shape, indices);
    x = e.mulf(x, e.decodeScale(getScaleType(), e.extract(parts[1], p)));
    next = 2;
  }
  if (getTensorScale())
    x = e.mulf(x, e.extract(parts[next], e.cIndex(0)));
  return x;
}

/// The fixed table of a lut encoding (the NF4 values when named).
static SmallVector<float> getFixedTable(LutAttr attr) {
  if (attr.hasFixedTable())
    return SmallVector<float>(attr.getValues().asArrayRef());
  return SmallVector<float>(std::begin(kNF4Values), std::end(kNF4Values));
}

Value LutAttr::buildDecodeElement(OpBuilder &builder, Location loc,
                                  ArrayRef<int64_t> shape, ValueRange parts,
                                  ValueRange indices) const {
  Emitter e{builder, loc};
  Value code = e.readCode(parts[0], indices.drop_back(), indices.back(),
                          getBits(), /*isSigned=*/false);
  SmallVector<Value> p = e.paramIndices(getGranularity(), shape, indices);
  if (hasFixedTable() || isNF4()) {
    Value x = e.lookup(getFixedTable(*this), code);
    if (getScaleType())
      x = e.mulf(x, e.toF32(e.extract(parts[1], p)));
    return x;
  }
  p.push_back(e.i32ToIndex(code));
  return e.toF32(e.extract(parts[1], p));
}

Value CodebookAttr::buildDecodeElement(OpBuilder &builder, Location loc,
                                       ArrayRef<int64_t> shape,
                                       ValueRange parts,
                                       ValueRange indices) const {
  Emitter e{builder, loc};
  Value j = indices.back();
  Value vector = e.divui(j, e.cIndex(getDim()));
  Value lane = e.remui(j, e.cIndex(getDim()));
  Value acc = e.cF32(0.0f);
  for (unsigned s = 0; s < getStages(); ++s) {
    SmallVector<Value> outer = {e.cIndex(s)};
    llvm::append_range(outer, indices.drop_back());
    Value index = e.readCode(parts[0], outer, vector, getIndexBits(),
                             /*isSigned=*/false);
    Value entry =
        e.extract(parts[1], ValueRange{e.cIndex(s), e.i32ToIndex(index), lane});
    acc = e.addf(acc, e.toF32(entry));
  }
  if (getScaleType())
    acc = e.mulf(acc, e.toF32(e.extract(parts[2], indices.front())));
  return acc;
}

Value BinaryAttr::buildDecodeElement(OpBuilder &builder, Location loc,
                                     ArrayRef<int64_t> shape, ValueRange parts,
                                     ValueRange indices) const {
  Emitter e{builder, loc};
  Value code = e.readCode(parts[0], indices.drop_back(), indices.back(), 1,
                          /*isSigned=*/false);
  Value isOne = e.cmpi(arith::CmpIPredicate::ne, code, e.cI32(0));
  Value sign = e.select(isOne, e.cF32(1.0f), e.cF32(-1.0f));
  SmallVector<Value> p = e.paramIndices(getGranularity(), shape, indices);
  return e.mulf(sign, e.toF32(e.extract(parts[1], p)));
}

Value TernaryAttr::buildDecodeElement(OpBuilder &builder, Location loc,
                                      ArrayRef<int64_t> shape, ValueRange parts,
                                      ValueRange indices) const {
  Emitter e{builder, loc};
  Value code = e.readCode(parts[0], indices.drop_back(), indices.back(), 2,
                          /*isSigned=*/true);
  SmallVector<Value> p = e.paramIndices(getGranularity(), shape, indices);
  return e.mulf(e.sitofp(code), e.toF32(e.extract(parts[1], p)));
}

Value PlainAttr::buildDecodeElement(OpBuilder &builder, Location loc,
                                    ArrayRef<int64_t>, ValueRange parts,
                                    ValueRange indices) const {
  Emitter e{builder, loc};
  return e.toF32(e.extract(parts[0], indices));
}

/// Decodes kept value `indices` of a sparse encoding (plain or encoded).
static Value decodeSparseValue(SparseAttr attr, Emitter &e,
                               ArrayRef<int64_t> valueShape, ValueRange parts,
                               ValueRange indices) {
  if (EncodingAttrInterface valueEncoding = getSparseValueEncoding(attr)) {
    unsigned count = valueEncoding.getParts(valueShape).size();
    return valueEncoding.buildDecodeElement(
        e.b, e.loc, valueShape, sliceParts(parts, 0, count), indices);
  }
  return e.toF32(e.extract(parts[0], indices));
}

static unsigned getNumValueParts(SparseAttr attr,
                                 ArrayRef<int64_t> valueShape) {
  if (EncodingAttrInterface valueEncoding = getSparseValueEncoding(attr))
    return valueEncoding.getParts(valueShape).size();
  return 1;
}

Value SparseAttr::buildDecodeElement(OpBuilder &builder, Location loc,
                                     ArrayRef<int64_t> shape, ValueRange parts,
                                     ValueRange indices) const {
  Emitter e{builder, loc};
  SmallVector<int64_t> valueShape = getSparseValueShape(*this, shape);
  unsigned numValueParts = getNumValueParts(*this, valueShape);
  ValueRange meta = parts.drop_front(numValueParts);
  int64_t rank = shape.size();

  if (getKind() == SparsityKind::NM) {
    int64_t axis = getSparseAxis(*this, rank);
    Value c = indices[axis];
    Value group = e.divui(c, e.cIndex(getM()));
    Value offset = e.indexToI32(e.remui(c, e.cIndex(getM())));
    Value acc = e.cF32(0.0f);
    for (unsigned j = 0; j < getN(); ++j) {
      SmallVector<Value> valueIndices(indices.begin(), indices.end());
      valueIndices[axis] = e.addi(e.muli(group, e.cIndex(getN())), e.cIndex(j));
      Value position =
          e.readCode(meta[0], ValueRange(valueIndices).drop_back(),
                     valueIndices.back(), getSparsePositionBits(*this),
                     /*isSigned=*/false);
      Value value =
          decodeSparseValue(*this, e, valueShape, parts, valueIndices);
      Value match = e.cmpi(arith::CmpIPredicate::eq, position, offset);
      acc = e.addf(acc, e.select(match, value, e.cF32(0.0f)));
    }
    return acc;
  }

  Value row = e.linearize(indices.drop_back(), shape.drop_back());
  Value col = indices.back();
  if (getKind() == SparsityKind::Bitmap) {
    Value bitmap = meta[0], rowOffsets = meta[1];
    Value bit = e.readCode(bitmap, indices.drop_back(), col, 1,
                           /*isSigned=*/false);
    Value isSet = e.cmpi(arith::CmpIPredicate::ne, bit, e.cI32(0));
    return e.ifElseZero(isSet, [&](Emitter &t) -> Value {
      // Popcount of the row's bits before `col`: whole bytes, then a part.
      Value fullBytes = t.divui(col, t.cIndex(8));
      SmallVector<Value> byteIndices(indices.drop_back());
      byteIndices.push_back(Value());
      auto loop = scf::ForOp::create(
          t.b, t.loc, t.cIndex(0), fullBytes, t.cIndex(1),
          ValueRange{t.cI32(0)},
          [&](OpBuilder &nb, Location nl, Value i, ValueRange iterArgs) {
            Emitter l{nb, nl};
            SmallVector<Value> at(byteIndices);
            at.back() = i;
            Value byte = l.byteToI32(l.extract(bitmap, at));
            Value count = l.popcount(byte);
            scf::YieldOp::create(nb, nl, l.addi(iterArgs[0], count));
          });
      byteIndices.back() = fullBytes;
      Value partial = t.byteToI32(t.extract(bitmap, byteIndices));
      Value below =
          t.subi(t.shli(t.cI32(1), t.indexToI32(t.remui(col, t.cIndex(8)))),
                 t.cI32(1));
      Value partialCount = t.popcount(t.andi(partial, below));
      Value valueIndex = t.addi(t.extract(rowOffsets, row),
                                t.addi(loop.getResult(0), partialCount));
      return decodeSparseValue(*this, t, valueShape, parts,
                               t.i32ToIndex(valueIndex));
    });
  }

  Value found = e.findCsr(meta[0], meta[1], row, col);
  Value isFound = e.cmpi(arith::CmpIPredicate::sge, found, e.cI32(0));
  return e.ifElseZero(isFound, [&](Emitter &t) -> Value {
    return decodeSparseValue(*this, t, valueShape, parts, t.i32ToIndex(found));
  });
}

Value OutliersAttr::buildDecodeElement(OpBuilder &builder, Location loc,
                                       ArrayRef<int64_t> shape,
                                       ValueRange parts,
                                       ValueRange indices) const {
  Emitter e{builder, loc};
  auto base = cast<EncodingAttrInterface>(getBase());
  unsigned numBase = base.getParts(shape).size();
  Value x = base.buildDecodeElement(builder, loc, shape,
                                    sliceParts(parts, 0, numBase), indices);
  Value rowOffsets = parts[numBase], cols = parts[numBase + 1],
        values = parts[numBase + 2];
  Value row = e.linearize(indices.drop_back(), shape.drop_back());
  Value found = e.findCsr(rowOffsets, cols, row, indices.back());
  Value isFound = e.cmpi(arith::CmpIPredicate::sge, found, e.cI32(0));
  Value outlier = e.ifElseZero(isFound, [&](Emitter &t) -> Value {
    return t.toF32(t.extract(values, t.i32ToIndex(found)));
  });
  return e.addf(x, outlier);
}

Value LowRankAttr::buildDecodeElement(OpBuilder &builder, Location loc,
                                      ArrayRef<int64_t> shape, ValueRange parts,
                                      ValueRange indices) const {
  Emitter e{builder, loc};
  auto base = cast<EncodingAttrInterface>(getBase());
  unsigned numBase = base.getParts(shape).size();
  Value x = base.buildDecodeElement(builder, loc, shape,
                                    sliceParts(parts, 0, numBase), indices);
  Value u = parts[numBase], v = parts[numBase + 1];
  Value row = e.linearize(indices.drop_back(), shape.drop_back());
  Value col = indices.back();
  auto loop = scf::ForOp::create(
      builder, loc, e.cIndex(0), e.cIndex(getRank()), e.cIndex(1),
      ValueRange{e.cF32(0.0f)},
      [&](OpBuilder &nb, Location nl, Value j, ValueRange iterArgs) {
        Emitter l{nb, nl};
        Value product = l.mulf(l.toF32(l.extract(u, ValueRange{row, j})),
                               l.toF32(l.extract(v, ValueRange{j, col})));
        scf::YieldOp::create(nb, nl, l.addf(iterArgs[0], product));
      });
  return e.addf(x, loop.getResult(0));
}

Value PermutedAttr::buildDecodeElement(OpBuilder &builder, Location loc,
                                       ArrayRef<int64_t> shape,
                                       ValueRange parts,
                                       ValueRange indices) const {
  Emitter e{builder, loc};
  auto base = cast<EncodingAttrInterface>(getBase());
  unsigned numBase = base.getParts(shape).size();
  int64_t axis = normalizeAxis(getAxis(), shape.size());
  SmallVector<Value> baseIndices(indices.begin(), indices.end());
  baseIndices[axis] = e.i32ToIndex(e.extract(parts[numBase], indices[axis]));
  return base.buildDecodeElement(builder, loc, shape,
                                 sliceParts(parts, 0, numBase), baseIndices);
}

//===----------------------------------------------------------------------===//
// Encode
//===----------------------------------------------------------------------===//

namespace {

enum class Reduction { AbsMax, AbsSum, Min, Max };

/// linalg.generic builders over tensors of a given logical shape.
struct EncodeEmitter : Emitter {
  ArrayRef<int64_t> shape;

  int64_t rank() const { return shape.size(); }

  Value empty(ArrayRef<int64_t> s, Type type) {
    return tensor::EmptyOp::create(b, loc, s, type);
  }

  /// Map from the element loops to the parameter (block) coordinates.
  AffineMap paramMap(const Granularity &granularity) {
    SmallVector<int64_t> block = granularity.getBlockShape(shape);
    SmallVector<AffineExpr> exprs;
    for (int64_t i = 0; i < rank(); ++i) {
      AffineExpr d = b.getAffineDimExpr(i);
      if (block[i] == 1)
        exprs.push_back(d);
      else if (block[i] >= shape[i])
        exprs.push_back(b.getAffineConstantExpr(0));
      else
        exprs.push_back(d.floorDiv(block[i]));
    }
    return AffineMap::get(rank(), 0, exprs, b.getContext());
  }

  /// Per-block reduction of the f32 tensor `input` into a tensor of the
  /// parameter shape, in row-major element order within each block.
  Value reduce(Value input, const Granularity &granularity, Reduction kind) {
    SmallVector<int64_t> paramShape = granularity.getParamShape(shape);
    SmallVector<int64_t> block = granularity.getBlockShape(shape);
    float init = kind == Reduction::Min   ? INFINITY
                 : kind == Reduction::Max ? -INFINITY
                                          : 0.0f;
    Value filled =
        linalg::FillOp::create(b, loc, cF32(init), empty(paramShape, f32()))
            .getResult(0);
    SmallVector<utils::IteratorType> iterators;
    for (int64_t i = 0; i < rank(); ++i)
      iterators.push_back(block[i] == 1 ? utils::IteratorType::parallel
                                        : utils::IteratorType::reduction);
    SmallVector<AffineMap> maps = {b.getMultiDimIdentityMap(rank()),
                                   paramMap(granularity)};
    auto op = linalg::GenericOp::create(
        b, loc, TypeRange{filled.getType()}, ValueRange{input},
        ValueRange{filled}, maps, iterators,
        [&](OpBuilder &nb, Location nl, ValueRange args) {
          Value x = args[0], acc = args[1], r;
          switch (kind) {
          case Reduction::AbsMax:
            r = arith::MaximumFOp::create(nb, nl, acc,
                                          math::AbsFOp::create(nb, nl, x));
            break;
          case Reduction::AbsSum:
            r = arith::AddFOp::create(nb, nl, acc,
                                      math::AbsFOp::create(nb, nl, x));
            break;
          case Reduction::Min:
            r = arith::MinimumFOp::create(nb, nl, acc, x);
            break;
          case Reduction::Max:
            r = arith::MaximumFOp::create(nb, nl, acc, x);
            break;
          }
          linalg::YieldOp::create(nb, nl, r);
        });
    return op.getResult(0);
  }

  /// Elementwise map over tensors of one shape `s`: `fn` gets the scalar
  /// operands and the loop indices and returns one scalar per result type.
  SmallVector<Value> mapElements(
      ArrayRef<int64_t> s, ValueRange inputs, ArrayRef<AffineMap> inputMaps,
      TypeRange resultTypes,
      function_ref<SmallVector<Value>(Emitter &, ValueRange, ValueRange)> fn) {
    int64_t r = s.size();
    SmallVector<Value> outputs;
    SmallVector<Type> tensorTypes;
    for (Type type : resultTypes) {
      outputs.push_back(empty(s, type));
      tensorTypes.push_back(RankedTensorType::get(s, type));
    }
    SmallVector<AffineMap> maps(inputMaps);
    maps.append(resultTypes.size(), b.getMultiDimIdentityMap(r));
    SmallVector<utils::IteratorType> iterators(r,
                                               utils::IteratorType::parallel);
    auto op = linalg::GenericOp::create(
        b, loc, tensorTypes, inputs, outputs, maps, iterators,
        [&](OpBuilder &nb, Location nl, ValueRange args) {
          Emitter inner{nb, nl};
          SmallVector<Value> ivs;
          for (int64_t i = 0; i < r; ++i)
            ivs.push_back(linalg::IndexOp::create(nb, nl, i));
          SmallVector<Value> results =
              fn(inner, args.take_front(inputs.size()), ivs);
          linalg::YieldOp::create(nb, nl, results);
        });
    return SmallVector<Value>(op.getResults());
  }

  /// Number of elements of each block, as f32, over the parameter shape.
  Value blockCounts(const Granularity &granularity) {
    SmallVector<int64_t> paramShape = granularity.getParamShape(shape);
    SmallVector<int64_t> block = granularity.getBlockShape(shape);
    return mapElements(
        paramShape, {}, {}, {f32()},
        [&](Emitter &e, ValueRange, ValueRange ivs) -> SmallVector<Value> {
          Value count = e.cIndex(1);
          for (int64_t i = 0; i < rank(); ++i) {
            int64_t extent = std::min(block[i], shape[i]);
            Value remaining =
                e.subi(e.cIndex(shape[i]), e.muli(ivs[i], e.cIndex(extent)));
            count = e.muli(count, e.minui(remaining, e.cIndex(extent)));
          }
          return {e.uitofp(e.indexToI32(count))};
        })[0];
  }

  /// Rounds an f32 scale to `type` and returns {stored, widened}.
  std::pair<Value, Value> roundScale(Emitter &e, Value s, Type type) {
    if (type.isF32())
      return {s, s};
    Value stored = arith::TruncFOp::create(e.b, e.loc, type, s);
    return {stored, e.toF32(stored)};
  }

  /// Packs the i32 codes tensor `codes` (shape `s`) into bytes, `bits` per
  /// code, LSB-first along the innermost dimension.
  Value pack(Value codes, ArrayRef<int64_t> s, unsigned bits) {
    SmallVector<int64_t> packedShape = getPackedShape(s, bits);
    int64_t rowLength = s.back();
    int64_t maxCodes = (8 + bits - 1) / bits + 1;
    Type i8 = b.getI8Type();
    return mapElements(
        packedShape, {}, {}, {i8},
        [&](Emitter &e, ValueRange, ValueRange ivs) -> SmallVector<Value> {
          Value bitStart = e.muli(ivs.back(), e.cIndex(8));
          Value first = e.divui(bitStart, e.cIndex(bits));
          Value bitStartI32 = e.indexToI32(bitStart);
          Value acc = e.cI32(0);
          SmallVector<Value> at(ivs.drop_back());
          at.push_back(Value());
          for (int64_t t = 0; t < maxCodes; ++t) {
            Value k = e.addi(first, e.cIndex(t));
            Value inRow =
                e.cmpi(arith::CmpIPredicate::ult, k, e.cIndex(rowLength));
            Value kBit = e.indexToI32(e.muli(k, e.cIndex(bits)));
            Value inByte = e.cmpi(arith::CmpIPredicate::slt, kBit,
                                  e.addi(bitStartI32, e.cI32(8)));
            Value valid = arith::AndIOp::create(e.b, e.loc, inRow, inByte);
            at.back() = e.minui(k, e.cIndex(rowLength - 1));
            Value code =
                e.andi(e.extract(codes, at), e.cI32((int64_t(1) << bits) - 1));
            // The code starts `offset` bits into this byte (negative when it
            // began in the previous byte).
            Value offset = e.subi(kBit, bitStartI32);
            Value isAfter =
                e.cmpi(arith::CmpIPredicate::sge, offset, e.cI32(0));
            Value left = arith::MinSIOp::create(
                e.b, e.loc,
                arith::MaxSIOp::create(e.b, e.loc, offset, e.cI32(0)),
                e.cI32(31));
            Value right = arith::MinSIOp::create(
                e.b, e.loc,
                arith::MaxSIOp::create(e.b, e.loc, e.subi(e.cI32(0), offset),
                                       e.cI32(0)),
                e.cI32(31));
            Value shifted =
                e.select(isAfter, e.shli(code, left), e.shrui(code, right));
            acc = e.ori(acc, e.select(valid, shifted, e.cI32(0)));
          }
          return {arith::TruncIOp::create(e.b, e.loc, e.b.getI8Type(), acc)};
        })[0];
  }
};

/// ONNX QuantizeLinear of one element: clamp(rne(x / s) + z, qmin, qmax),
/// a zero scale or NaN quotient counting as 0. Returns i32.
Value quantizeElement(Emitter &e, Value x, Value s, Value z, int64_t qmin,
                      int64_t qmax) {
  Value isZeroScale = e.cmpf(arith::CmpFPredicate::OEQ, s, e.cF32(0.0f));
  Value quotient = e.select(isZeroScale, e.cF32(0.0f), e.divf(x, s));
  Value isNaN = e.cmpf(arith::CmpFPredicate::UNO, quotient, quotient);
  quotient = e.select(isNaN, e.cF32(0.0f), quotient);
  Value rounded = math::RoundEvenOp::create(e.b, e.loc, quotient);
  // Sum in f64 as the reference does: exact for every rounded float.
  Type f64 = e.b.getF64Type();
  Value value = arith::ExtFOp::create(e.b, e.loc, f64, rounded);
  value = arith::AddFOp::create(e.b, e.loc, value,
                                arith::SIToFPOp::create(e.b, e.loc, f64, z));
  auto cF64 = [&](int64_t v) {
    return arith::ConstantFloatOp::create(e.b, e.loc, cast<FloatType>(f64),
                                          APFloat(double(v)));
  };
  Value low = e.cmpf(arith::CmpFPredicate::OLE, value, cF64(qmin));
  Value high = e.cmpf(arith::CmpFPredicate::OGE, value, cF64(qmax));
  Value q = arith::FPToSIOp::create(
      e.b, e.loc, e.i32(),
      e.select(low, cF64(qmin), e.select(high, cF64(qmax), value)));
  return q;
}

/// encodeMinifloat (RNE, saturating) of an f32 as IR; returns the i32 code.
Value encodeMinifloatElement(Emitter &e, MinifloatKind kind, Value x) {
  const MinifloatSpec &spec = getMinifloatSpec(kind);
  uint32_t signBit = 1u << (spec.bits - 1);
  // Positive finite magnitudes, ascending by code.
  SmallVector<float> magnitudes;
  for (uint32_t c = 0; c < signBit; ++c) {
    float v = decodeMinifloat(kind, c);
    if (!std::isfinite(v))
      break;
    magnitudes.push_back(v);
  }
  int64_t maxCode = magnitudes.size() - 1;
  auto tableType = RankedTensorType::get({int64_t(magnitudes.size())}, e.f32());
  Value table = arith::ConstantOp::create(
      e.b, e.loc, DenseElementsAttr::get(tableType, ArrayRef(magnitudes)));

  Value bitsValue = arith::BitcastOp::create(e.b, e.loc, e.i32(), x);
  Value sign = e.shli(e.shrui(bitsValue, e.cI32(31)), e.cI32(spec.bits - 1));
  Value a = math::AbsFOp::create(e.b, e.loc, x);

  // Count of magnitudes <= a beyond the zero entry: the code below a.
  auto loop = scf::ForOp::create(
      e.b, e.loc, e.cIndex(1), e.cIndex(maxCode + 1), e.cIndex(1),
      ValueRange{e.cI32(0)},
      [&](OpBuilder &nb, Location nl, Value i, ValueRange iterArgs) {
        Emitter l{nb, nl};
        Value le = l.cmpf(arith::CmpFPredicate::OLE, l.extract(table, i), a);
        Value inc = arith::ExtUIOp::create(nb, nl, l.i32(), le);
        scf::YieldOp::create(nb, nl, l.addi(iterArgs[0], inc));
      });
  Value below = loop.getResult(0);
  Value above = arith::MinSIOp::create(e.b, e.loc, e.addi(below, e.cI32(1)),
                                       e.cI32(maxCode));
  Value lo = e.extract(table, e.i32ToIndex(below));
  Value hi = e.extract(table, e.i32ToIndex(above));
  // The midpoint of two neighbours is exact in f32.
  Value mid = e.mulf(e.addf(lo, hi), e.cF32(0.5f));
  Value isEven =
      e.cmpi(arith::CmpIPredicate::eq, e.andi(below, e.cI32(1)), e.cI32(0));
  Value roundUp = e.select(
      e.cmpf(arith::CmpFPredicate::OEQ, a, mid),
      arith::XOrIOp::create(e.b, e.loc, isEven,
                            arith::ConstantIntOp::create(e.b, e.loc, 1, 1)),
      e.cmpf(arith::CmpFPredicate::OGT, a, mid));
  Value magnitude = e.select(roundUp, above, below);
  Value saturated =
      e.cmpf(arith::CmpFPredicate::OGE, a, e.cF32(spec.maxFinite));
  magnitude = e.select(saturated, e.cI32(maxCode), magnitude);
  Value code = e.ori(sign, magnitude);
  if (spec.hasInf) {
    Value isInf = e.cmpf(arith::CmpFPredicate::OEQ, a, e.cF32(INFINITY));
    uint32_t infCode = ((1u << spec.exponentBits) - 1) << spec.mantissaBits;
    code = e.select(isInf, e.ori(sign, e.cI32(infCode)), code);
  }
  Value isNaN = e.cmpf(arith::CmpFPredicate::UNO, x, x);
  return e.select(isNaN, e.cI32(spec.hasNaN ? signBit - 1 : 0), code);
}

/// Exact |a - b| as a (head, tail) pair of f64 (TwoSum), compared
/// lexicographically, as nearestIndex does.
std::pair<Value, Value> exactDistance(Emitter &e, Value a, Value b) {
  Type f64 = e.b.getF64Type();
  Value lhs = arith::ExtFOp::create(e.b, e.loc, f64, a);
  Value rhs = arith::NegFOp::create(e.b, e.loc,
                                    arith::ExtFOp::create(e.b, e.loc, f64, b));
  Value sum = e.addf(lhs, rhs);
  Value rhsPart = e.subf(sum, lhs);
  Value lhsPart = e.subf(sum, rhsPart);
  Value error = e.addf(e.subf(lhs, lhsPart), e.subf(rhs, rhsPart));
  Value zero = arith::ConstantFloatOp::create(e.b, e.loc, cast<FloatType>(f64),
                                              APFloat(0.0));
  Value negate = arith::OrIOp::create(
      e.b, e.loc, e.cmpf(arith::CmpFPredicate::OLT, sum, zero),
      arith::AndIOp::create(e.b, e.loc,
                            e.cmpf(arith::CmpFPredicate::OEQ, sum, zero),
                            e.cmpf(arith::CmpFPredicate::OLT, error, zero)));
  return {e.select(negate, arith::NegFOp::create(e.b, e.loc, sum), sum),
          e.select(negate, arith::NegFOp::create(e.b, e.loc, error), error)};
}

/// nearestIndex(table, x) for a finite table without NaNs; returns i32.
Value nearestIndexElement(Emitter &e, ArrayRef<float> table, Value x) {
  int64_t size = table.size();
  Value best = e.cI32(0);
  Value bestHead, bestTail, head, tail;
  std::tie(bestHead, bestTail) = exactDistance(e, e.cF32(table[0]), x);
  for (int64_t i = 1; i < size; ++i) {
    std::tie(head, tail) = exactDistance(e, e.cF32(table[i]), x);
    Value less = arith::OrIOp::create(
        e.b, e.loc, e.cmpf(arith::CmpFPredicate::OLT, head, bestHead),
        arith::AndIOp::create(
            e.b, e.loc, e.cmpf(arith::CmpFPredicate::OEQ, head, bestHead),
            e.cmpf(arith::CmpFPredicate::OLT, tail, bestTail)));
    best = e.select(less, e.cI32(i), best);
    bestHead = e.select(less, head, bestHead);
    bestTail = e.select(less, tail, bestTail);
  }
  Value isNaN = e.cmpf(arith::CmpFPredicate::UNO, x, x);
  return e.select(isNaN, e.cI32(0), best);
}

/// Checks that `params` has the types of the parameter parts.
LogicalResult checkParams(Location loc, ArrayRef<PartInfo> parts,
                          unsigned numCodeParts, ValueRange params) {
  if (params.empty())
    return success();
  if (params.size() != parts.size() - numCodeParts)
    return emitError(loc) << "expected " << parts.size() - numCodeParts
                          << " parameter parts, got " << params.size();
  for (auto [param, part] :
       llvm::zip_equal(params, ArrayRef(parts).drop_front(numCodeParts)))
    if (param.getType() != part.getTensorType())
      return emitError(loc)
             << "parameter part '" << part.name << "' must be "
             << part.getTensorType() << ", got " << param.getType();
  return success();
}

/// Scale per block: `reduced` (absmax or mean |x|) divided by `divisor`,
/// zero blocks replaced by 1 when `zeroToOne`, rounded to `type`. Returns
/// {stored scales, f32 scales that quantize}.
std::pair<Value, Value> deriveScales(EncodeEmitter &ee, Value reduced,
                                     ArrayRef<int64_t> paramShape,
                                     float divisor, bool zeroToOne, Type type) {
  auto identity = ee.b.getMultiDimIdentityMap(paramShape.size());
  SmallVector<Value> r = ee.mapElements(
      paramShape, {reduced}, {identity}, {type, ee.f32()},
      [&](Emitter &e, ValueRange args, ValueRange) -> SmallVector<Value> {
        Value s = args[0];
        if (divisor != 1.0f)
          s = e.divf(s, e.cF32(divisor));
        if (zeroToOne)
          s = e.select(e.cmpf(arith::CmpFPredicate::OEQ, s, e.cF32(0.0f)),
                       e.cF32(1.0f), s);
        auto [stored, widened] = ee.roundScale(e, s, type);
        return {stored, widened};
      });
  return {r[0], r[1]};
}

/// Mean |x| per block.
Value meanAbs(EncodeEmitter &ee, Value input, const Granularity &granularity) {
  SmallVector<int64_t> paramShape = granularity.getParamShape(ee.shape);
  Value sums = ee.reduce(input, granularity, Reduction::AbsSum);
  Value counts = ee.blockCounts(granularity);
  auto identity = ee.b.getMultiDimIdentityMap(paramShape.size());
  return ee.mapElements(
      paramShape, {sums, counts}, {identity, identity}, {ee.f32()},
      [&](Emitter &e, ValueRange args, ValueRange) -> SmallVector<Value> {
        return {e.divf(args[0], args[1])};
      })[0];
}

/// Widens stored scale parameters (f16/bf16/f32) to f32.
Value widenParams(EncodeEmitter &ee, Value stored,
                  ArrayRef<int64_t> paramShape) {
  auto identity = ee.b.getMultiDimIdentityMap(paramShape.size());
  return ee.mapElements(
      paramShape, {stored}, {identity}, {ee.f32()},
      [&](Emitter &e, ValueRange args, ValueRange) -> SmallVector<Value> {
        return {e.toF32(args[0])};
      })[0];
}

/// Unpacks stored packed codes (`bits` wide) of logical shape `s` to i32.
Value unpack(EncodeEmitter &ee, Value packed, ArrayRef<int64_t> s,
             unsigned bits, bool isSigned) {
  return ee.mapElements(
      s, {}, {}, {ee.i32()},
      [&](Emitter &e, ValueRange, ValueRange ivs) -> SmallVector<Value> {
        return {
            e.readCode(packed, ivs.drop_back(), ivs.back(), bits, isSigned)};
      })[0];
}

LogicalResult emitNoIRForm(Location loc, StringRef mnemonic) {
  return emitError(loc) << "encode of #qnt." << mnemonic
                        << " has no IR form; encode constants with "
                           "qnt-fold-constant-quantize";
}

} // namespace

FailureOr<SmallVector<Value>>
UniformAttr::buildEncode(OpBuilder &builder, Location loc,
                         ArrayRef<int64_t> shape, Value input,
                         ValueRange params) const {
  EncodeEmitter ee{{builder, loc}, shape};
  SmallVector<PartInfo> parts = getParts(shape);
  if (failed(checkParams(loc, parts, 1, params)))
    return failure();
  const Granularity &granularity = getGranularity();
  SmallVector<int64_t> paramShape = granularity.getParamShape(shape);
  unsigned bits = getBits();
  bool isSigned = this->isSigned();
  int64_t qmin, qmax;
  std::tie(qmin, qmax) = getIntRange(bits, isSigned);
  AffineMap identity = builder.getMultiDimIdentityMap(shape.size());
  AffineMap pIdentity = builder.getMultiDimIdentityMap(paramShape.size());
  AffineMap pMap = ee.paramMap(granularity);

  SmallVector<Value> paramParts;
  Value scales;     // f32 scales that quantize, shape P
  Value zeroPoints; // i32 zero points, shape P (asymmetric)
  if (!params.empty()) {
    if (isDoubleQuantized()) {
      Value codes = unpack(ee, params[0], paramShape, getScaleBits(), false);
      int64_t groupSize = getScaleGroupSize();
      scales =
          ee.mapElements(paramShape, {codes}, {pIdentity}, {ee.f32()},
                         [&](Emitter &e, ValueRange args,
                             ValueRange ivs) -> SmallVector<Value> {
                           Value linear = e.linearize(ivs, paramShape);
                           Value ss = e.extract(
                               params[1], e.divui(linear, e.cIndex(groupSize)));
                           return {e.mulf(e.uitofp(args[0]), ss)};
                         })[0];
    } else {
      scales = widenParams(ee, params[0], paramShape);
    }
    if (!getSymmetric())
      zeroPoints = unpack(ee, params.back(), paramShape, bits, isSigned);
    paramParts.append(params.begin(), params.end());
  } else {
    Value f32Scales;
    if (getSymmetric()) {
      if (bits < 2)
        return emitError(loc)
               << "symmetric encode needs at least 2 bits, got " << bits;
      Value absMax = ee.reduce(input, granularity, Reduction::AbsMax);
      float qmaxPos = float((int64_t(1) << (bits - 1)) - 1);
      Type type = isDoubleQuantized() ? ee.f32() : getScaleType();
      auto [stored, widened] =
          deriveScales(ee, absMax, paramShape, qmaxPos, true, type);
      f32Scales = stored;
      scales = widened;
    } else {
      Value mins = ee.reduce(input, granularity, Reduction::Min);
      Value maxs = ee.reduce(input, granularity, Reduction::Max);
      Type type = isDoubleQuantized() ? ee.f32() : getScaleType();
      float range = float(qmax - qmin);
      SmallVector<Value> r = ee.mapElements(
          paramShape, {mins, maxs}, {pIdentity, pIdentity},
          {type, ee.f32(), ee.f32()},
          [&](Emitter &e, ValueRange args, ValueRange) -> SmallVector<Value> {
            Value lo =
                arith::MinimumFOp::create(e.b, e.loc, args[0], e.cF32(0.0f));
            Value hi =
                arith::MaximumFOp::create(e.b, e.loc, args[1], e.cF32(0.0f));
            Value s = e.divf(e.subf(hi, lo), e.cF32(range));
            s = e.select(e.cmpf(arith::CmpFPredicate::OEQ, s, e.cF32(0.0f)),
                         e.cF32(1.0f), s);
            auto [stored, widened] = ee.roundScale(e, s, type);
            return {stored, widened, lo};
          });
      f32Scales = r[0];
      scales = r[1];
      Value los = r[2];
      // The zero point uses the rounded scale, as the codes do.
      zeroPoints = ee.mapElements(
          paramShape, {scales, los}, {pIdentity, pIdentity}, {ee.i32()},
          [&](Emitter &e, ValueRange args, ValueRange) -> SmallVector<Value> {
            Value t = e.subf(e.cF32(float(qmin)), e.divf(args[1], args[0]));
            return {quantizeElement(e, t, e.cF32(1.0f), e.cI32(0), qmin, qmax)};
          })[0];
    }
    if (isDoubleQuantized()) {
      // Super-groups of G consecutive scales (row-major over P).
      int64_t groupSize = getScaleGroupSize();
      int64_t numScales = getNumElements(paramShape);
      int64_t superGroups = llvm::divideCeil(numScales, groupSize);
      AffineExpr linear = builder.getAffineConstantExpr(0);
      for (auto [i, extent] : llvm::enumerate(paramShape))
        linear = linear * extent + builder.getAffineDimExpr(i);
      AffineMap superMap =
          AffineMap::get(paramShape.size(), 0, linear.floorDiv(groupSize),
                         builder.getContext());
      Value filled = linalg::FillOp::create(builder, loc, ee.cF32(-INFINITY),
                                            ee.empty({superGroups}, ee.f32()))
                         .getResult(0);
      SmallVector<utils::IteratorType> iterators(
          paramShape.size(), utils::IteratorType::reduction);
      Value maxs =
          linalg::GenericOp::create(
              builder, loc, TypeRange{filled.getType()}, ValueRange{f32Scales},
              ValueRange{filled}, ArrayRef<AffineMap>{pIdentity, superMap},
              iterators,
              [&](OpBuilder &nb, Location nl, ValueRange args) {
                linalg::YieldOp::create(
                    nb, nl,
                    Value(arith::MaximumFOp::create(nb, nl, args[1], args[0])));
              })
              .getResult(0);
      float codeMax = float((int64_t(1) << getScaleBits()) - 1);
      Value superScales = ee.mapElements(
          {superGroups}, {maxs}, {builder.getMultiDimIdentityMap(1)},
          {ee.f32()},
          [&](Emitter &e, ValueRange args, ValueRange) -> SmallVector<Value> {
            return {e.divf(args[0], e.cF32(codeMax))};
          })[0];
      int64_t scaleMax = (int64_t(1) << getScaleBits()) - 1;
      SmallVector<Value> r = ee.mapElements(
          paramShape, {f32Scales, superScales}, {pIdentity, superMap},
          {ee.i32(), ee.f32()},
          [&](Emitter &e, ValueRange args, ValueRange) -> SmallVector<Value> {
            Value code =
                quantizeElement(e, args[0], args[1], e.cI32(0), 0, scaleMax);
            return {code, e.mulf(e.uitofp(code), args[1])};
          });
      scales = r[1];
      paramParts.push_back(ee.pack(r[0], paramShape, getScaleBits()));
      paramParts.push_back(superScales);
    } else {
      paramParts.push_back(f32Scales);
    }
    if (!getSymmetric())
      paramParts.push_back(ee.pack(zeroPoints, paramShape, bits));
  }

  int64_t implicitZero = isSigned ? 0 : (int64_t(1) << (bits - 1));
  SmallVector<Value> inputs = {input, scales};
  SmallVector<AffineMap> maps = {identity, pMap};
  if (!getSymmetric()) {
    inputs.push_back(zeroPoints);
    maps.push_back(pMap);
  }
  bool symmetric = getSymmetric();
  Value codes = ee.mapElements(
      shape, inputs, maps, {ee.i32()},
      [&](Emitter &e, ValueRange args, ValueRange) -> SmallVector<Value> {
        Value z = symmetric ? e.cI32(implicitZero) : args[2];
        return {quantizeElement(e, args[0], args[1], z, qmin, qmax)};
      })[0];
  SmallVector<Value> result = {ee.pack(codes, shape, bits)};
  llvm::append_range(result, paramParts);
  return result;
}

FailureOr<SmallVector<Value>>
MinifloatAttr::buildEncode(OpBuilder &builder, Location loc,
                           ArrayRef<int64_t> shape, Value input,
                           ValueRange params) const {
  EncodeEmitter ee{{builder, loc}, shape};
  SmallVector<PartInfo> parts = getParts(shape);
  if (failed(checkParams(loc, parts, 1, params)))
    return failure();
  MinifloatKind kind = *getMinifloatKind(getFormat());
  const MinifloatSpec &spec = getMinifloatSpec(kind);
  unsigned bits = getFormat().getWidth();
  AffineMap identity = builder.getMultiDimIdentityMap(shape.size());

  if (!isScaled() && !getTensorScale()) {
    Value codes = ee.mapElements(
        shape, {input}, {identity}, {ee.i32()},
        [&](Emitter &e, ValueRange args, ValueRange) -> SmallVector<Value> {
          return {encodeMinifloatElement(e, kind, args[0])};
        })[0];
    return SmallVector<Value>{ee.pack(codes, shape, bits)};
  }

  const Granularity &granularity = getGranularity();
  SmallVector<int64_t> paramShape = granularity.getParamShape(shape);
  AffineMap pIdentity = builder.getMultiDimIdentityMap(paramShape.size());
  Type scaleType = getScaleType();
  std::optional<MinifloatKind> scaleKind =
      scaleType ? getMinifloatKind(scaleType) : std::nullopt;

  // f32 tensor scale as a 1-element tensor and as a scalar.
  Value tensorScale, tensorScaleScalar;
  Value storedScales, scales;
  if (!params.empty()) {
    storedScales = isScaled() ? params[0] : Value();
    if (getTensorScale())
      tensorScale = params.back();
  } else if (getTensorScale()) {
    Value absMax =
        ee.reduce(input, Granularity::perTensor(), Reduction::AbsMax);
    SmallVector<int64_t> ones(shape.size(), 1);
    tensorScale = ee.mapElements(
        ones, {absMax}, {builder.getMultiDimIdentityMap(shape.size())},
        {ee.f32()},
        [&](Emitter &e, ValueRange args, ValueRange) -> SmallVector<Value> {
          Value s = e.divf(args[0], e.cF32(448.0f * 6.0f));
          return {e.select(e.cmpf(arith::CmpFPredicate::OEQ, s, e.cF32(0.0f)),
                           e.cF32(1.0f), s)};
        })[0];
    if (shape.size() > 1) {
      SmallVector<ReassociationIndices> reassociation(1);
      for (int64_t i = 0; i < int64_t(shape.size()); ++i)
        reassociation[0].push_back(i);
      tensorScale = tensor::CollapseShapeOp::create(
          builder, loc, RankedTensorType::get({1}, ee.f32()), tensorScale,
          reassociation);
    }
  }
  if (tensorScale)
    tensorScaleScalar = ee.extract(tensorScale, ee.cIndex(0));

  if (isScaled() && !storedScales) {
    Value absMax = ee.reduce(input, granularity, Reduction::AbsMax);
    Type storedType = getStoredPartType(scaleType);
    float maxFinite = spec.maxFinite;
    storedScales = ee.mapElements(
        paramShape, {absMax}, {pIdentity}, {storedType},
        [&](Emitter &e, ValueRange args, ValueRange) -> SmallVector<Value> {
          Value amax = args[0];
          if (scaleKind == MinifloatKind::E8M0FNU) {
            // OCP MX shared exponent from the f32 exponent field.
            Value field = e.shrui(
                e.andi(arith::BitcastOp::create(e.b, e.loc, e.i32(), amax),
                       e.cI32(0x7FFFFFFF)),
                e.cI32(23));
            Value exponent = e.subi(field, e.cI32(127 + spec.maxExponent));
            exponent =
                arith::MaxSIOp::create(e.b, e.loc, exponent, e.cI32(-127));
            exponent =
                arith::MinSIOp::create(e.b, e.loc, exponent, e.cI32(127));
            Value special = arith::OrIOp::create(
                e.b, e.loc, e.cmpi(arith::CmpIPredicate::eq, field, e.cI32(0)),
                e.cmpi(arith::CmpIPredicate::eq, field, e.cI32(255)));
            exponent = e.select(special, e.cI32(-127), exponent);
            Value code = e.addi(exponent, e.cI32(127));
            return {arith::TruncIOp::create(e.b, e.loc, e.b.getI8Type(), code)};
          }
          if (scaleKind == MinifloatKind::E4M3FN) {
            // NVFP4: absmax / 6 / tensor_scale, encoded as e4m3.
            Value s =
                e.divf(e.divf(amax, e.cF32(maxFinite)),
                       tensorScaleScalar ? tensorScaleScalar : e.cF32(1.0f));
            Value code = encodeMinifloatElement(e, MinifloatKind::E4M3FN, s);
            return {arith::TruncIOp::create(e.b, e.loc, e.b.getI8Type(), code)};
          }
          Value s = e.divf(amax, e.cF32(maxFinite));
          s = e.select(e.cmpf(arith::CmpFPredicate::OEQ, s, e.cF32(0.0f)),
                       e.cF32(1.0f), s);
          if (scaleType.isF32())
            return {s};
          return {arith::TruncFOp::create(e.b, e.loc, scaleType, s)};
        })[0];
  }
  if (isScaled()) {
    scales = ee.mapElements(
        paramShape, {storedScales}, {pIdentity}, {ee.f32()},
        [&](Emitter &e, ValueRange args, ValueRange) -> SmallVector<Value> {
          return {e.decodeScale(scaleType, args[0])};
        })[0];
  }

  SmallVector<Value> inputs = {input};
  SmallVector<AffineMap> maps = {identity};
  if (scales) {
    inputs.push_back(scales);
    maps.push_back(ee.paramMap(granularity));
  }
  bool hasScales = static_cast<bool>(scales);
  Value codes = ee.mapElements(
      shape, inputs, maps, {ee.i32()},
      [&](Emitter &e, ValueRange args, ValueRange) -> SmallVector<Value> {
        Value divisor = hasScales ? args[1] : Value();
        if (tensorScaleScalar)
          divisor =
              divisor ? e.mulf(divisor, tensorScaleScalar) : tensorScaleScalar;
        Value x = e.divf(args[0], divisor);
        if (tensorScaleScalar)
          x = e.select(e.cmpf(arith::CmpFPredicate::OEQ, divisor, e.cF32(0.0f)),
                       e.cF32(0.0f), x);
        return {encodeMinifloatElement(e, kind, x)};
      })[0];
  SmallVector<Value> result = {ee.pack(codes, shape, bits)};
  if (isScaled())
    result.push_back(storedScales);
  if (getTensorScale())
    result.push_back(tensorScale);
  return result;
}

FailureOr<SmallVector<Value>>
LutAttr::buildEncode(OpBuilder &builder, Location loc, ArrayRef<int64_t> shape,
                     Value input, ValueRange params) const {
  if (!hasFixedTable() && !isNF4())
    return emitNoIRForm(loc, getMnemonic());
  EncodeEmitter ee{{builder, loc}, shape};
  SmallVector<PartInfo> parts = getParts(shape);
  if (failed(checkParams(loc, parts, 1, params)))
    return failure();
  SmallVector<float> table = getFixedTable(*this);
  AffineMap identity = builder.getMultiDimIdentityMap(shape.size());
  SmallVector<Value> inputs = {input};
  SmallVector<AffineMap> maps = {identity};
  Value storedScales;
  if (Type scaleType = getScaleType()) {
    const Granularity &granularity = getGranularity();
    SmallVector<int64_t> paramShape = granularity.getParamShape(shape);
    Value scales;
    if (!params.empty()) {
      storedScales = params[0];
      scales = widenParams(ee, storedScales, paramShape);
    } else {
      Value absMax = ee.reduce(input, granularity, Reduction::AbsMax);
      std::tie(storedScales, scales) =
          deriveScales(ee, absMax, paramShape, 1.0f, true, scaleType);
    }
    inputs.push_back(scales);
    maps.push_back(ee.paramMap(granularity));
  }
  bool hasScales = static_cast<bool>(storedScales);
  Value codes = ee.mapElements(
      shape, inputs, maps, {ee.i32()},
      [&](Emitter &e, ValueRange args, ValueRange) -> SmallVector<Value> {
        Value x = hasScales ? e.divf(args[0], args[1]) : args[0];
        return {nearestIndexElement(e, table, x)};
      })[0];
  SmallVector<Value> result = {ee.pack(codes, shape, getBits())};
  if (storedScales)
    result.push_back(storedScales);
  return result;
}

/// Binary and ternary: mean |x| scales, then codes from `codeFn`.
static FailureOr<SmallVector<Value>>
encodeSigned(Attribute attr, OpBuilder &builder, Location loc,
             ArrayRef<int64_t> shape, Value input, ValueRange params,
             const Granularity &granularity, Type scaleType, unsigned bits,
             bool zeroToOne,
             function_ref<Value(Emitter &, Value, Value)> codeFn) {
  EncodeEmitter ee{{builder, loc}, shape};
  SmallVector<PartInfo> parts =
      cast<EncodingAttrInterface>(attr).getParts(shape);
  if (failed(checkParams(loc, parts, 1, params)))
    return failure();
  SmallVector<int64_t> paramShape = granularity.getParamShape(shape);
  Value storedScales, scales;
  if (!params.empty()) {
    storedScales = params[0];
    scales = widenParams(ee, storedScales, paramShape);
  } else {
    Value mean = meanAbs(ee, input, granularity);
    std::tie(storedScales, scales) =
        deriveScales(ee, mean, paramShape, 1.0f, zeroToOne, scaleType);
  }
  AffineMap identity = builder.getMultiDimIdentityMap(shape.size());
  Value codes = ee.mapElements(
      shape, {input, scales}, {identity, ee.paramMap(granularity)}, {ee.i32()},
      [&](Emitter &e, ValueRange args, ValueRange) -> SmallVector<Value> {
        return {codeFn(e, args[0], args[1])};
      })[0];
  return SmallVector<Value>{ee.pack(codes, shape, bits), storedScales};
}

FailureOr<SmallVector<Value>> BinaryAttr::buildEncode(OpBuilder &builder,
                                                      Location loc,
                                                      ArrayRef<int64_t> shape,
                                                      Value input,
                                                      ValueRange params) const {
  return encodeSigned(
      *this, builder, loc, shape, input, params, getGranularity(),
      getScaleType(), 1, /*zeroToOne=*/false,
      [](Emitter &e, Value x, Value) -> Value {
        Value nonNegative = e.cmpf(arith::CmpFPredicate::OGE, x, e.cF32(0.0f));
        return arith::ExtUIOp::create(e.b, e.loc, e.i32(), nonNegative);
      });
}

FailureOr<SmallVector<Value>>
TernaryAttr::buildEncode(OpBuilder &builder, Location loc,
                         ArrayRef<int64_t> shape, Value input,
                         ValueRange params) const {
  return encodeSigned(*this, builder, loc, shape, input, params,
                      getGranularity(), getScaleType(), 2, /*zeroToOne=*/true,
                      [](Emitter &e, Value x, Value s) -> Value {
                        return quantizeElement(e, x, s, e.cI32(0), -1, 1);
                      });
}

FailureOr<SmallVector<Value>> PlainAttr::buildEncode(OpBuilder &builder,
                                                     Location loc,
                                                     ArrayRef<int64_t> shape,
                                                     Value input,
                                                     ValueRange params) const {
  if (!params.empty())
    return emitError(loc) << "#qnt.plain takes no parameter parts, got "
                          << params.size();
  EncodeEmitter ee{{builder, loc}, shape};
  Type storageType = getStorageType();
  AffineMap identity = builder.getMultiDimIdentityMap(shape.size());
  // arith.truncf rounds to nearest even, as the reference does.
  return SmallVector<Value>{ee.mapElements(
      shape, {input}, {identity}, {storageType},
      [&](Emitter &e, ValueRange args, ValueRange) -> SmallVector<Value> {
        if (storageType.isF32())
          return {args[0]};
        return {arith::TruncFOp::create(e.b, e.loc, storageType, args[0])};
      })[0]};
}

FailureOr<SmallVector<Value>>
CodebookAttr::buildEncode(OpBuilder &, Location loc, ArrayRef<int64_t>, Value,
                          ValueRange) const {
  return emitNoIRForm(loc, getMnemonic());
}

FailureOr<SmallVector<Value>> SparseAttr::buildEncode(OpBuilder &, Location loc,
                                                      ArrayRef<int64_t>, Value,
                                                      ValueRange) const {
  return emitNoIRForm(loc, getMnemonic());
}

FailureOr<SmallVector<Value>>
OutliersAttr::buildEncode(OpBuilder &, Location loc, ArrayRef<int64_t>, Value,
                          ValueRange) const {
  return emitNoIRForm(loc, getMnemonic());
}

FailureOr<SmallVector<Value>> LowRankAttr::buildEncode(OpBuilder &,
                                                       Location loc,
                                                       ArrayRef<int64_t>, Value,
                                                       ValueRange) const {
  return emitNoIRForm(loc, getMnemonic());
}

FailureOr<SmallVector<Value>>
PermutedAttr::buildEncode(OpBuilder &, Location loc, ArrayRef<int64_t>, Value,
                          ValueRange) const {
  return emitNoIRForm(loc, getMnemonic());
}

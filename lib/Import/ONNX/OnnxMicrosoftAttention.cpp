//===- OnnxMicrosoftAttention.cpp - com.microsoft attention ops -----------===//
//
// Attention (BERT's packed QKV projection), MultiHeadAttention (separate
// Q / K / V) and RotaryEmbedding, as ONNX Runtime's transformer optimizer
// writes them: heads split, Q K^T scaled, additive key-padding / causal
// masks, softmax, times V. Past / present KV state is not supported (it is
// the dynamic-shapes issue's).
//
//===----------------------------------------------------------------------===//

#include "OnnxImporterImpl.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"

#include <cmath>

using namespace mlir;
using namespace mlir::qnt;
using namespace mlir::qnt::onnx_import;

//===----------------------------------------------------------------------===//
// Attention
//===----------------------------------------------------------------------===//

/// [B, S, N * H] -> [B, N, S, H].
static Value splitHeads(OpBuilder &b, Location loc, Value x, int64_t heads) {
  ArrayRef<int64_t> s = shapeOf(x);
  Value r = reshapeTo(b, loc, x, {s[0], s[1], heads, s[2] / heads});
  return transposeBy(b, loc, r, {0, 2, 1, 3});
}

/// softmax(Q K^T * scale + bias) V per head, Q / K / V as [B, S|L, N * H];
/// `bias` is null or broadcasts to [B, N, S, L]. Returns [B, S, N * Hv].
static FailureOr<Value> attentionCore(Importer &imp, Value q, Value k, Value v,
                                      int64_t heads, double scale, Value bias,
                                      bool causal, double maskValue) {
  OpBuilder &b = imp.b;
  Location loc = imp.loc;
  int64_t batch = shapeOf(q)[0], s = shapeOf(q)[1], l = shapeOf(k)[1];
  if (shapeOf(q)[2] % heads || shapeOf(v)[2] % heads ||
      shapeOf(k)[2] != shapeOf(q)[2])
    return imp.nodeError() << "hidden sizes do not split into " << heads
                           << " heads";
  int64_t hv = shapeOf(v)[2] / heads;
  Value qh = splitHeads(b, loc, q, heads), kh = splitHeads(b, loc, k, heads),
        vh = splitHeads(b, loc, v, heads);
  Value kt = transposeBy(b, loc, kh, {0, 1, 3, 2});
  FailureOr<Value> scores = batchedMatmul(imp, qh, kt);
  if (failed(scores))
    return failure();
  Type type = elementTypeOf(q);
  auto scoreType = tensorType({batch, heads, s, l}, type);
  Value sc =
      mulOp(b, loc, scoreType, *scores, scalarLike(b, loc, *scores, scale));
  if (bias)
    sc = tosa::AddOp::create(b, loc, scoreType, sc, toRank(b, loc, bias, 4));
  if (causal) {
    // Query i (aligned to the end of the keys) sees keys j <= i + l - s.
    sc = buildGeneric(
        b, loc, {sc}, scoreType, [&](OpBuilder &nb, Location ll, ValueRange a) {
          Value i = linalg::IndexOp::create(nb, ll, 2);
          Value j = linalg::IndexOp::create(nb, ll, 3);
          Value limit = arith::AddIOp::create(
              nb, ll, i, arith::ConstantIndexOp::create(nb, ll, l - s));
          Value future = arith::CmpIOp::create(
              nb, ll, arith::CmpIPredicate::sgt, j, limit);
          return arith::SelectOp::create(
                     nb, ll, future,
                     arith::AddFOp::create(nb, ll, a[0],
                                           floatConst(nb, ll, type, maskValue)),
                     a[0])
              .getResult();
        });
  }
  Value max = reduceKeep(b, loc, sc, {3}, ReduceKind::Max);
  Value e = tosa::ExpOp::create(
      b, loc, scoreType, tosa::SubOp::create(b, loc, scoreType, sc, max));
  Value probs = divide(b, loc, e, reduceKeep(b, loc, e, {3}, ReduceKind::Sum));
  FailureOr<Value> ctxv = batchedMatmul(imp, probs, vh);
  if (failed(ctxv))
    return failure();
  Value merged = transposeBy(b, loc, *ctxv, {0, 2, 1, 3});
  return reshapeTo(b, loc, merged, {batch, s, heads * hv});
}

/// A key padding mask as an additive [B, 1, 1, L] bias: raw 0/1 masks
/// ([B, L]) and right-padding lengths ([B]).
static FailureOr<Value> maskBias(Importer &imp, Value mask, int64_t batch,
                                 int64_t keys, Type type, double maskValue) {
  ArrayRef<int64_t> ms = shapeOf(mask);
  auto biasType = tensorType({batch, 1, 1, keys}, type);
  if (ms.size() == 2 && ms[0] == batch && ms[1] == keys) {
    Value m = reshapeTo(imp.b, imp.loc, mask, {batch, 1, 1, keys});
    return buildGeneric(
        imp.b, imp.loc, {m}, biasType,
        [&](OpBuilder &b, Location l, ValueRange a) {
          Value zero = arith::ConstantOp::create(
              b, l, a[0].getType(), b.getIntegerAttr(a[0].getType(), 0));
          Value off =
              arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, a[0], zero);
          return arith::SelectOp::create(b, l, off,
                                         floatConst(b, l, type, maskValue),
                                         floatConst(b, l, type, 0.0))
              .getResult();
        });
  }
  if (ms.size() == 1 && ms[0] == batch) {
    Value m = reshapeTo(imp.b, imp.loc, mask, {batch, 1, 1, 1});
    return buildGeneric(
        imp.b, imp.loc, {m}, biasType,
        [&](OpBuilder &b, Location l, ValueRange a) {
          Value j = arith::IndexCastOp::create(
              b, l, a[0].getType(), linalg::IndexOp::create(b, l, 3));
          Value off =
              arith::CmpIOp::create(b, l, arith::CmpIPredicate::sge, j, a[0]);
          return arith::SelectOp::create(b, l, off,
                                         floatConst(b, l, type, maskValue),
                                         floatConst(b, l, type, 0.0))
              .getResult();
        });
  }
  return imp.nodeError() << "unsupported mask shape: only [batch] lengths and "
                            "[batch, keys] 0/1 masks";
}

/// Attention (BERT style): one packed QKV projection of the input.
static LogicalResult attentionOp(Importer &imp) {
  if (failed(imp.checkAttrs({"num_heads", "unidirectional", "qkv_hidden_sizes",
                             "mask_filter_value", "scale", "do_rotary",
                             "past_present_share_buffer"})))
    return failure();
  if (imp.hasInput(4) || imp.hasInput(5) || imp.hasOutput(1))
    return imp.nodeError() << "past / present state is not supported";
  if (imp.attrInt("do_rotary", 0))
    return imp.nodeError() << "do_rotary = 1 is not supported";
  int64_t heads = imp.attrInt("num_heads", 0);
  if (heads <= 0)
    return imp.nodeError() << "num_heads must be positive";
  FailureOr<Value> x = imp.input(0), w = imp.input(1);
  if (failed(x) || failed(w))
    return failure();
  OpBuilder &b = imp.b;
  Location loc = imp.loc;
  ArrayRef<int64_t> xs = shapeOf(*x), ws = shapeOf(*w);
  if (xs.size() != 3 || ws.size() != 2 || ws[0] != xs[2])
    return imp.nodeError() << "input must be [B, S, in] and weights [in, "
                              "q + k + v]";
  int64_t total = ws[1];
  std::vector<int64_t> sizes =
      imp.attrInts("qkv_hidden_sizes")
          .value_or(std::vector<int64_t>{total / 3, total / 3, total / 3});
  if (sizes.size() != 3 || sizes[0] + sizes[1] + sizes[2] != total)
    return imp.nodeError() << "qkv_hidden_sizes do not add up to the weights";
  FailureOr<Value> proj = batchedMatmul(imp, *x, *w);
  if (failed(proj))
    return failure();
  Type type = elementTypeOf(*x);
  Value p = *proj;
  if (imp.hasInput(2)) {
    FailureOr<Value> bias = imp.input(2);
    if (failed(bias))
      return failure();
    p = tosa::AddOp::create(b, loc, cast<RankedTensorType>(p.getType()), p,
                            toRank(b, loc, *bias, 3));
  }
  int64_t batch = xs[0], s = xs[1];
  auto part = [&](int64_t offset, int64_t size) {
    return tensor::ExtractSliceOp::create(
               b, loc, tensorType({batch, s, size}, type), p, ValueRange{},
               ValueRange{}, ValueRange{}, ArrayRef<int64_t>{0, 0, offset},
               ArrayRef<int64_t>{batch, s, size}, ArrayRef<int64_t>{1, 1, 1})
        .getResult();
  };
  Value q = part(0, sizes[0]), k = part(sizes[0], sizes[1]),
        v = part(sizes[0] + sizes[1], sizes[2]);
  double maskValue = imp.attrFloat("mask_filter_value", -10000.0f);
  Value bias;
  if (imp.hasInput(3)) {
    FailureOr<Value> mask = imp.input(3);
    if (failed(mask))
      return failure();
    FailureOr<Value> mb = maskBias(imp, *mask, batch, s, type, maskValue);
    if (failed(mb))
      return failure();
    bias = *mb;
  }
  if (imp.hasInput(6)) {
    FailureOr<Value> ab = imp.input(6);
    if (failed(ab))
      return failure();
    bias = bias ? tosa::AddOp::create(
                      b, loc, tensorType({batch, heads, s, s}, type),
                      toRank(b, loc, bias, 4), toRank(b, loc, *ab, 4))
                      .getResult()
                : *ab;
  }
  double scale = imp.attrFloat("scale", 0.0f);
  if (scale == 0.0)
    scale = 1.0 / std::sqrt(double(sizes[0] / heads));
  FailureOr<Value> out =
      attentionCore(imp, q, k, v, heads, scale, bias,
                    imp.attrInt("unidirectional", 0), maskValue);
  if (failed(out))
    return failure();
  return imp.setOutput(0, *out);
}

/// MultiHeadAttention with separate query, key and value ([B, S, D]).
static LogicalResult multiHeadAttentionOp(Importer &imp) {
  if (failed(imp.checkAttrs(
          {"num_heads", "unidirectional", "scale", "mask_filter_value"})))
    return failure();
  if (imp.hasInput(6) || imp.hasInput(7) || imp.hasOutput(1) ||
      imp.hasOutput(2))
    return imp.nodeError() << "past / present state is not supported";
  int64_t heads = imp.attrInt("num_heads", 0);
  if (heads <= 0)
    return imp.nodeError() << "num_heads must be positive";
  FailureOr<Value> q = imp.input(0), k = imp.input(1), v = imp.input(2);
  if (failed(q) || failed(k) || failed(v))
    return failure();
  if (shapeOf(*q).size() != 3 || shapeOf(*k).size() != 3 ||
      shapeOf(*v).size() != 3)
    return imp.nodeError() << "query, key and value must be [B, S, D] (packed "
                              "forms are not supported)";
  OpBuilder &b = imp.b;
  Location loc = imp.loc;
  Type type = elementTypeOf(*q);
  int64_t batch = shapeOf(*q)[0], s = shapeOf(*q)[1], l = shapeOf(*k)[1];
  Value qv = *q, kv = *k, vv = *v;
  if (imp.hasInput(3)) {
    // bias: [Dq + Dk + Dv], added to the projections.
    FailureOr<Value> bias = imp.input(3);
    if (failed(bias))
      return failure();
    int64_t dq = shapeOf(qv)[2], dk = shapeOf(kv)[2], dv = shapeOf(vv)[2];
    auto slice = [&](int64_t off, int64_t n) {
      return tensor::ExtractSliceOp::create(
                 b, loc, tensorType({n}, type), *bias, ValueRange{},
                 ValueRange{}, ValueRange{}, ArrayRef<int64_t>{off},
                 ArrayRef<int64_t>{n}, ArrayRef<int64_t>{1})
          .getResult();
    };
    auto add = [&](Value x, Value bb) {
      return tosa::AddOp::create(b, loc, cast<RankedTensorType>(x.getType()), x,
                                 toRank(b, loc, bb, 3))
          .getResult();
    };
    qv = add(qv, slice(0, dq));
    kv = add(kv, slice(dq, dk));
    vv = add(vv, slice(dq + dk, dv));
  }
  double maskValue = imp.attrFloat("mask_filter_value", -10000.0f);
  Value bias;
  if (imp.hasInput(4)) {
    FailureOr<Value> mask = imp.input(4);
    if (failed(mask))
      return failure();
    FailureOr<Value> mb = maskBias(imp, *mask, batch, l, type, maskValue);
    if (failed(mb))
      return failure();
    bias = *mb;
  }
  if (imp.hasInput(5)) {
    FailureOr<Value> ab = imp.input(5);
    if (failed(ab))
      return failure();
    bias = bias ? tosa::AddOp::create(
                      b, loc, tensorType({batch, heads, s, l}, type),
                      toRank(b, loc, bias, 4), toRank(b, loc, *ab, 4))
                      .getResult()
                : *ab;
  }
  double scale = imp.attrFloat("scale", 0.0f);
  if (scale == 0.0)
    scale = 1.0 / std::sqrt(double(shapeOf(qv)[2] / heads));
  FailureOr<Value> out =
      attentionCore(imp, qv, kv, vv, heads, scale, bias,
                    imp.attrInt("unidirectional", 0), maskValue);
  if (failed(out))
    return failure();
  return imp.setOutput(0, *out);
}

//===----------------------------------------------------------------------===//
// RotaryEmbedding
//===----------------------------------------------------------------------===//

/// RotaryEmbedding on [B, S, N * H] or [B, N, S, H] input: the first
/// rotary_embedding_dim (default H) dims of each head rotate by the cached
/// cos / sin of the token's position, in halves or interleaved pairs.
static LogicalResult rotaryEmbeddingOp(Importer &imp) {
  if (failed(imp.checkAttrs({"interleaved", "num_heads", "rotary_embedding_dim",
                             "scale", "is_packed_batching"})))
    return failure();
  FailureOr<Value> x = imp.input(0), pos = imp.input(1), cosC = imp.input(2),
                   sinC = imp.input(3);
  if (failed(x) || failed(pos) || failed(cosC) || failed(sinC))
    return failure();
  ArrayRef<int64_t> xs = shapeOf(*x);
  int64_t half = shapeOf(*cosC).back();
  int64_t maxPos = shapeOf(*cosC)[0];
  bool interleaved = imp.attrInt("interleaved", 0);
  int64_t heads = imp.attrInt("num_heads", 0);
  int64_t batch, seq, headDim;
  bool bsnh = xs.size() == 3;
  if (bsnh) {
    if (heads <= 0) {
      // Without num_heads the rotary dim is the head size.
      heads = xs[2] / (2 * half);
    }
    batch = xs[0];
    seq = xs[1];
    headDim = xs[2] / std::max<int64_t>(heads, 1);
  } else if (xs.size() == 4) {
    batch = xs[0];
    heads = xs[1];
    seq = xs[2];
    headDim = xs[3];
  } else {
    return imp.nodeError() << "input must be [B, S, hidden] or [B, N, S, H]";
  }
  int64_t rotary = imp.attrInt("rotary_embedding_dim", 2 * half);
  if (heads <= 0 || rotary != 2 * half || rotary > headDim)
    return imp.nodeError() << "rotary dims do not match the caches";
  ArrayRef<int64_t> ps = shapeOf(*pos);
  bool scalarPos = product(ps) == 1;
  if (!scalarPos && !(ps.size() == 2 && ps[0] == batch && ps[1] == seq))
    return imp.nodeError() << "position_ids must be [B, S] or one offset";
  OpBuilder &b = imp.b;
  Location loc = imp.loc;
  Value xv = *x, pv = scalarPos ? reshapeTo(b, loc, *pos, {1}) : *pos,
        cv = *cosC, sv = *sinC;
  Value result = buildGeneric(
      b, loc, {xv}, cast<RankedTensorType>(xv.getType()),
      [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
        // Coordinates: batch, seq, head, dim within the head.
        Value bi = linalg::IndexOp::create(nb, l, 0);
        Value si = linalg::IndexOp::create(nb, l, bsnh ? 1 : 2);
        Value inner = linalg::IndexOp::create(nb, l, bsnh ? 2 : 3);
        Value dh = arith::ConstantIndexOp::create(nb, l, headDim);
        Value d =
            bsnh ? arith::RemUIOp::create(nb, l, inner, dh).getResult() : inner;
        Value rotaryC = arith::ConstantIndexOp::create(nb, l, rotary);
        Value inRotary =
            arith::CmpIOp::create(nb, l, arith::CmpIPredicate::ult, d, rotaryC);
        Value position;
        if (scalarPos) {
          Value off = tensor::ExtractOp::create(
              nb, l, pv, ValueRange{arith::ConstantIndexOp::create(nb, l, 0)});
          position = arith::AddIOp::create(
              nb, l, off, arith::IndexCastOp::create(nb, l, off.getType(), si));
        } else {
          position = tensor::ExtractOp::create(nb, l, pv, ValueRange{bi, si});
        }
        Value p = boundedIndex(nb, l, position, maxPos);
        // Pair partner and cache column of dim d.
        Value one = arith::ConstantIndexOp::create(nb, l, 1);
        Value halfC = arith::ConstantIndexOp::create(nb, l, half);
        Value dr = arith::MinUIOp::create(
            nb, l, d, arith::SubIOp::create(nb, l, rotaryC, one));
        Value col, partner, isFirst;
        if (interleaved) {
          col = arith::DivUIOp::create(
              nb, l, dr, arith::ConstantIndexOp::create(nb, l, 2));
          Value odd = arith::RemUIOp::create(
              nb, l, dr, arith::ConstantIndexOp::create(nb, l, 2));
          isFirst =
              arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq, odd,
                                    arith::ConstantIndexOp::create(nb, l, 0));
          partner = arith::SelectOp::create(
              nb, l, isFirst, arith::AddIOp::create(nb, l, dr, one),
              arith::SubIOp::create(nb, l, dr, one));
        } else {
          isFirst = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::ult, dr,
                                          halfC);
          col = arith::SelectOp::create(
              nb, l, isFirst, dr, arith::SubIOp::create(nb, l, dr, halfC));
          partner = arith::SelectOp::create(
              nb, l, isFirst, arith::AddIOp::create(nb, l, dr, halfC),
              arith::SubIOp::create(nb, l, dr, halfC));
        }
        Value c = tensor::ExtractOp::create(nb, l, cv, ValueRange{p, col});
        Value s = tensor::ExtractOp::create(nb, l, sv, ValueRange{p, col});
        SmallVector<Value> coords;
        for (int64_t i = 0; i < int64_t(xs.size()); ++i)
          coords.push_back(linalg::IndexOp::create(nb, l, i));
        coords.back() =
            bsnh ? arith::AddIOp::create(
                       nb, l, arith::SubIOp::create(nb, l, inner, d), partner)
                       .getResult()
                 : partner;
        Value other = tensor::ExtractOp::create(nb, l, xv, coords);
        // first: x c - partner s; second: x c + partner s.
        Value xc = arith::MulFOp::create(nb, l, a[0], c);
        Value ps = arith::MulFOp::create(nb, l, other, s);
        Value rotated = arith::SelectOp::create(
            nb, l, isFirst, arith::SubFOp::create(nb, l, xc, ps),
            arith::AddFOp::create(nb, l, xc, ps));
        return arith::SelectOp::create(nb, l, inRotary, rotated, a[0]);
      });
  return imp.setOutput(0, result);
}

//===----------------------------------------------------------------------===//
// Registration
//===----------------------------------------------------------------------===//

void onnx_import::registerMicrosoftAttentionOps(OpTable &table) {
  table.on("Attention", 1, attentionOp);
  table.on("MultiHeadAttention", 1, multiHeadAttentionOp);
  table.on("RotaryEmbedding", 1, rotaryEmbeddingOp);
}

//===- OnnxMatmul.cpp - MatMul and Gemm
//-------------------------------------===//
//
// Float MatMul / Gemm as tosa.matmul; a DequantizeLinear'd weight becomes a
// qnt.matmul instead (buildQuantizedMatmul).
//
//===----------------------------------------------------------------------===//

#include "OnnxImporterImpl.h"

#include "quant/Dialect/Qnt/IR/QntAttrs.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/AffineMap.h"
#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/InterleavedRange.h"

#include <cmath>
#include <numeric>

using namespace mlir;
using namespace mlir::qnt;
using namespace mlir::qnt::onnx_import;

//===----------------------------------------------------------------------===//
// MatMul / Gemm
//===----------------------------------------------------------------------===//

/// Float matmul of [..., M, K] by [..., K, N] with ONNX broadcasting.
FailureOr<Value> onnx_import::batchedMatmul(Importer &imp, Value a, Value c) {
  OpBuilder &b = imp.b;
  Location loc = imp.loc;
  SmallVector<int64_t> as(shapeOf(a)), cs(shapeOf(c));
  bool aVector = as.size() == 1, cVector = cs.size() == 1;
  if (aVector)
    as.insert(as.begin(), 1);
  if (cVector)
    cs.push_back(1);
  int64_t m = as[as.size() - 2], k = as.back(), n = cs.back();
  if (cs[cs.size() - 2] != k)
    return imp.nodeError() << "reduction sizes " << k << " and "
                           << cs[cs.size() - 2] << " differ";
  ArrayRef<int64_t> aBatch = ArrayRef<int64_t>(as).drop_back(2);
  ArrayRef<int64_t> cBatch = ArrayRef<int64_t>(cs).drop_back(2);
  SmallVector<int64_t> batch;
  Value a3, c3;
  Type elementType = elementTypeOf(a);
  if (cBatch.empty() || product(cBatch) == 1) {
    // Fold the lhs batch into M.
    batch.assign(aBatch.begin(), aBatch.end());
    if (batch.empty() && !cBatch.empty())
      batch.assign(cBatch.begin(), cBatch.end());
    a3 = reshapeTo(b, loc, a, {1, product(aBatch) * m, k});
    c3 = reshapeTo(b, loc, c, {1, k, n});
    Value out = tosa::MatMulOp::create(
        b, loc, tensorType({1, product(aBatch) * m, n}, elementType), a3, c3,
        zeroPoint(b, loc, elementType), zeroPoint(b, loc, elementType));
    SmallVector<int64_t> outShape(batch);
    if (!aVector)
      outShape.push_back(m);
    if (!cVector)
      outShape.push_back(n);
    return reshapeTo(b, loc, out, outShape);
  }
  FailureOr<SmallVector<int64_t>> bshape = broadcastShapes(imp, aBatch, cBatch);
  if (failed(bshape))
    return failure();
  int64_t batchSize = product(*bshape);
  if (product(aBatch) != batchSize || product(cBatch) != batchSize ||
      aBatch.size() != cBatch.size())
    return imp.nodeError() << "broadcasting matmul batch dimensions is not "
                              "supported";
  a3 = reshapeTo(b, loc, a, {batchSize, m, k});
  c3 = reshapeTo(b, loc, c, {batchSize, k, n});
  Value out = tosa::MatMulOp::create(
      b, loc, tensorType({batchSize, m, n}, elementType), a3, c3,
      zeroPoint(b, loc, elementType), zeroPoint(b, loc, elementType));
  SmallVector<int64_t> outShape(*bshape);
  if (!aVector)
    outShape.push_back(m);
  if (!cVector)
    outShape.push_back(n);
  return reshapeTo(b, loc, out, outShape);
}

static LogicalResult matmulOp(Importer &imp) {
  if (failed(imp.checkAttrs({})))
    return failure();
  FailureOr<Value> a = imp.input(0);
  if (failed(a))
    return failure();
  ValueInfo *rhs = imp.inputInfo(1);
  if (!rhs)
    return imp.nodeError() << "missing input 1";
  if (!isa<FloatType>(elementTypeOf(*a)))
    return imp.nodeError() << "integer MatMul is not supported";
  if (rhs->qweight && !rhs->value) {
    FailureOr<Value> q = buildQuantizedMatmul(imp, *a, *rhs, false, Value());
    if (failed(q))
      return failure();
    if (*q)
      return imp.setOutput(0, *q);
  }
  FailureOr<Value> c = imp.input(1);
  if (failed(c))
    return failure();
  FailureOr<Value> result = batchedMatmul(imp, *a, *c);
  if (failed(result))
    return failure();
  return imp.setOutput(0, *result);
}

static LogicalResult gemmOp(Importer &imp) {
  if (failed(imp.checkAttrs({"alpha", "beta", "transA", "transB"})))
    return failure();
  OpBuilder &b = imp.b;
  Location loc = imp.loc;
  double alpha = imp.attrFloat("alpha", 1.0f),
         beta = imp.attrFloat("beta", 1.0f);
  bool transA = imp.attrInt("transA", 0), transB = imp.attrInt("transB", 0);
  FailureOr<Value> a = imp.input(0);
  if (failed(a))
    return failure();
  Value av = *a;
  if (shapeOf(av).size() != 2)
    return imp.nodeError() << "A must be 2-D";
  if (transA)
    av = transposeBy(b, loc, av, {1, 0});
  Value bias;
  if (imp.hasInput(2)) {
    FailureOr<Value> cv = imp.input(2);
    if (failed(cv))
      return failure();
    bias = *cv;
  }
  ValueInfo *rhs = imp.inputInfo(1);
  if (!rhs)
    return imp.nodeError() << "missing input 1";
  // Quantized weight: qnt.matmul with the bias fused when it is [N].
  if (rhs->qweight && !rhs->value && alpha == 1.0 && (!bias || beta == 1.0)) {
    int64_t n = rhs->qweight->shape[transB ? 0 : 1];
    bool fuseBias =
        !bias || (shapeOf(bias).size() == 1 && shapeOf(bias)[0] == n);
    FailureOr<Value> q =
        buildQuantizedMatmul(imp, av, *rhs, transB, fuseBias ? bias : Value());
    if (failed(q))
      return failure();
    if (*q) {
      Value result = *q;
      if (bias && !fuseBias) {
        FailureOr<SmallVector<int64_t>> shape =
            broadcastShapes(imp, shapeOf(result), shapeOf(bias));
        if (failed(shape))
          return failure();
        result = tosa::AddOp::create(b, loc,
                                     tensorType(*shape, elementTypeOf(result)),
                                     result, toRank(b, loc, bias, 2));
      }
      return imp.setOutput(0, result);
    }
  }
  FailureOr<Value> bv = imp.input(1);
  if (failed(bv))
    return failure();
  Value w = *bv;
  if (shapeOf(w).size() != 2)
    return imp.nodeError() << "B must be 2-D";
  if (transB)
    w = transposeBy(b, loc, w, {1, 0});
  FailureOr<Value> result = batchedMatmul(imp, av, w);
  if (failed(result))
    return failure();
  Value r = *result;
  auto type = cast<RankedTensorType>(r.getType());
  if (alpha != 1.0)
    r = mulOp(b, loc, type, r, scalarLike(b, loc, r, alpha));
  if (bias && beta != 0.0) {
    Value c = toRank(b, loc, bias, 2);
    if (beta != 1.0)
      c = mulOp(b, loc, cast<RankedTensorType>(c.getType()), c,
                scalarLike(b, loc, c, beta));
    r = tosa::AddOp::create(b, loc, type, r, c);
  }
  return imp.setOutput(0, r);
}

//===----------------------------------------------------------------------===//
// Einsum
//===----------------------------------------------------------------------===//

/// One Einsum operand's subscripts: a letter per dim, '.' standing for
/// each dim covered by the ellipsis.
static FailureOr<std::string> expandEllipsis(Importer &imp, StringRef term,
                                             int64_t rank,
                                             int64_t &ellipsisRank) {
  std::string out;
  size_t dots = term.find("...");
  int64_t letters = term.size() - (dots == StringRef::npos ? 0 : 3);
  for (char ch : term)
    if (ch != '.' && !llvm::isAlpha(ch))
      return imp.nodeError() << "bad subscript '" << ch << "' in equation";
  if (dots == StringRef::npos) {
    if (letters != rank)
      return imp.nodeError()
             << "subscripts '" << term << "' do not match rank " << rank;
    return term.str();
  }
  int64_t covered = rank - letters;
  if (covered < 0)
    return imp.nodeError() << "subscripts '" << term << "' exceed rank "
                           << rank;
  ellipsisRank = std::max(ellipsisRank, covered);
  out = term.substr(0, dots).str();
  out.append(covered, '.');
  out += term.substr(dots + 3).str();
  return out;
}

/// Einsum as one linalg.generic: a loop per distinct subscript (ellipsis
/// dims included), output subscripts parallel, the rest reduced.
static LogicalResult einsumOp(Importer &imp) {
  if (failed(imp.checkAttrs({"equation"})))
    return failure();
  std::string equation;
  for (char ch : imp.attrString("equation", ""))
    if (ch != ' ')
      equation.push_back(ch);
  FailureOr<SmallVector<Value>> in = allInputs(imp);
  if (failed(in))
    return failure();
  StringRef eq(equation);
  auto [lhs, rhs] = eq.split("->");
  bool explicitOutput = eq.contains("->");
  SmallVector<StringRef> terms;
  lhs.split(terms, ',');
  if (terms.size() != in->size())
    return imp.nodeError() << "equation has " << terms.size()
                           << " operands for " << in->size() << " inputs";
  Type elementType = elementTypeOf(in->front());
  for (Value v : *in)
    if (elementTypeOf(v) != elementType)
      return imp.nodeError() << "operand element types differ";
  // Subscripts per operand with the ellipsis expanded; ellipsis dims are
  // right-aligned across operands (numpy broadcasting).
  int64_t ellipsisRank = 0;
  SmallVector<std::string> subs;
  for (auto [term, v] : llvm::zip(terms, *in)) {
    FailureOr<std::string> s =
        expandEllipsis(imp, term, shapeOf(v).size(), ellipsisRank);
    if (failed(s))
      return failure();
    subs.push_back(*s);
  }
  // Loop ids: ellipsis dims first ('0' + k), then letters in order of
  // first appearance.
  SmallVector<char> loops;
  for (int64_t k = 0; k < ellipsisRank; ++k)
    loops.push_back(char('0' + k));
  for (const std::string &s : subs)
    for (char ch : s)
      if (ch != '.' && !llvm::is_contained(loops, ch))
        loops.push_back(ch);
  auto loopOf = [&](const std::string &s, size_t pos) -> int64_t {
    char ch = s[pos];
    if (ch == '.') {
      // The k-th ellipsis dim of this operand, right-aligned.
      size_t first = s.find('.');
      int64_t count = std::count(s.begin(), s.end(), '.');
      return ellipsisRank - count + int64_t(pos - first);
    }
    return llvm::find(loops, ch) - loops.begin();
  };
  // Loop sizes (size-1 ellipsis dims broadcast).
  SmallVector<int64_t> sizes(loops.size(), 1);
  for (auto [s, v] : llvm::zip(subs, *in)) {
    ArrayRef<int64_t> shape = shapeOf(v);
    for (size_t p = 0; p < s.size(); ++p) {
      int64_t l = loopOf(s, p);
      if (shape[p] != 1 && sizes[l] != 1 && sizes[l] != shape[p])
        return imp.nodeError() << "subscript '" << s[p] << "' has sizes "
                               << sizes[l] << " and " << shape[p];
      if (shape[p] != 1)
        sizes[l] = shape[p];
    }
  }
  // Output subscripts.
  std::string outSubs;
  if (explicitOutput) {
    int64_t dummy = 0;
    int64_t outRank = 0;
    for (char ch : rhs)
      outRank += ch != '.';
    FailureOr<std::string> o = expandEllipsis(
        imp, rhs, outRank + (rhs.contains("...") ? ellipsisRank : 0), dummy);
    if (failed(o))
      return failure();
    outSubs = *o;
  } else {
    outSubs.append(ellipsisRank, '.');
    std::string letters;
    for (const std::string &s : subs)
      for (char ch : s)
        if (ch != '.' && std::count(lhs.begin(), lhs.end(), ch) == 1)
          letters.push_back(ch);
    llvm::sort(letters);
    outSubs += letters;
  }
  MLIRContext *ctx = imp.b.getContext();
  int64_t numLoops = loops.size();
  SmallVector<AffineMap> maps;
  for (auto [s, v] : llvm::zip(subs, *in)) {
    ArrayRef<int64_t> shape = shapeOf(v);
    SmallVector<AffineExpr> exprs;
    for (size_t p = 0; p < s.size(); ++p) {
      int64_t l = loopOf(s, p);
      exprs.push_back(shape[p] == 1 && sizes[l] != 1
                          ? getAffineConstantExpr(0, ctx)
                          : getAffineDimExpr(l, ctx));
    }
    maps.push_back(AffineMap::get(numLoops, 0, exprs, ctx));
  }
  SmallVector<AffineExpr> outExprs;
  SmallVector<int64_t> outShape;
  SmallVector<bool> isOutput(numLoops, false);
  for (size_t p = 0; p < outSubs.size(); ++p) {
    if (outSubs[p] != '.' && !llvm::is_contained(loops, outSubs[p]))
      return imp.nodeError() << "output subscript '" << outSubs[p]
                             << "' is not an input subscript";
    int64_t l = loopOf(outSubs, p);
    if (isOutput[l])
      return imp.nodeError()
             << "output subscript '" << outSubs[p] << "' repeats";
    isOutput[l] = true;
    outExprs.push_back(getAffineDimExpr(l, ctx));
    outShape.push_back(sizes[l]);
  }
  maps.push_back(AffineMap::get(numLoops, 0, outExprs, ctx));
  SmallVector<utils::IteratorType> iterators;
  for (int64_t l = 0; l < numLoops; ++l)
    iterators.push_back(isOutput[l] ? utils::IteratorType::parallel
                                    : utils::IteratorType::reduction);
  OpBuilder &b = imp.b;
  Location loc = imp.loc;
  bool isFloat = isa<FloatType>(elementType);
  Value init = filledTensor(b, loc, outShape, elementType, 0.0);
  auto generic = linalg::GenericOp::create(
      b, loc, init.getType(), *in, ValueRange{init}, maps, iterators,
      [&](OpBuilder &nb, Location l, ValueRange args) {
        Value p = args[0];
        for (Value v : args.drop_front().drop_back())
          p = isFloat ? arith::MulFOp::create(nb, l, p, v).getResult()
                      : arith::MulIOp::create(nb, l, p, v).getResult();
        Value acc = args.back();
        Value sum = isFloat ? arith::AddFOp::create(nb, l, acc, p).getResult()
                            : arith::AddIOp::create(nb, l, acc, p).getResult();
        linalg::YieldOp::create(nb, l, sum);
      });
  return imp.setOutput(0, generic.getResult(0), imp.inputInfo(0)->onnxType);
}

//===----------------------------------------------------------------------===//
// Det
//===----------------------------------------------------------------------===//

/// for i in [lo, hi): state = step(i, state).
static SmallVector<Value> forRange(
    OpBuilder &b, Location loc, Value lo, Value hi, ValueRange init,
    function_ref<SmallVector<Value>(OpBuilder &, Location, Value, ValueRange)>
        step) {
  auto loop = scf::ForOp::create(
      b, loc, lo, hi, indexConst(b, loc, 1), init,
      [&](OpBuilder &nb, Location l, Value iv, ValueRange iter) {
        scf::YieldOp::create(nb, l, step(nb, l, iv, iter));
      });
  return SmallVector<Value>(loop.getResults());
}

/// Det of [..., M, M] by LU decomposition with partial pivoting (as LAPACK
/// does for numpy.linalg.det), per matrix in scf loops on a working copy.
static LogicalResult detOp(Importer &imp) {
  if (failed(imp.checkAttrs({})))
    return failure();
  FailureOr<Value> x = imp.input(0);
  if (failed(x))
    return failure();
  ArrayRef<int64_t> shape = shapeOf(*x);
  int64_t rank = shape.size();
  if (rank < 2 || shape[rank - 1] != shape[rank - 2])
    return imp.nodeError() << "input must be [..., M, M]";
  Type type = elementTypeOf(*x);
  if (!isa<FloatType>(type))
    return imp.nodeError() << "input must be a float tensor";
  int64_t m = shape.back();
  int64_t batch = product(shape.drop_back(2));
  OpBuilder &b = imp.b;
  Location loc = imp.loc;
  Value mats = reshapeTo(b, loc, *x, {batch, m, m});
  Value dets = tensor::EmptyOp::create(b, loc, {batch}, type);
  auto matType = tensorType({m, m}, type);
  Value c0 = indexConst(b, loc, 0), cm = indexConst(b, loc, m);
  SmallVector<Value> out = forRange(
      b, loc, c0, indexConst(b, loc, batch), {dets},
      [&](OpBuilder &nb, Location l, Value bi, ValueRange iter) {
        auto fc = [&](double v) {
          return arith::ConstantOp::create(nb, l, type,
                                           nb.getFloatAttr(type, v))
              .getResult();
        };
        Value slice = tensor::ExtractSliceOp::create(
            nb, l, matType, mats,
            SmallVector<OpFoldResult>{bi, nb.getIndexAttr(0),
                                      nb.getIndexAttr(0)},
            SmallVector<OpFoldResult>{nb.getIndexAttr(1), nb.getIndexAttr(m),
                                      nb.getIndexAttr(m)},
            SmallVector<OpFoldResult>{nb.getIndexAttr(1), nb.getIndexAttr(1),
                                      nb.getIndexAttr(1)});
        // A private working copy (the LU is computed in place).
        Value empty = tensor::EmptyOp::create(nb, l, {m, m}, type);
        Value work = linalg::CopyOp::create(nb, l, slice, empty).getResult(0);
        SmallVector<Value> lu = forRange(
            nb, l, indexConst(nb, l, 0), cm, {work, fc(1)},
            [&](OpBuilder &kb, Location kl, Value k, ValueRange st) {
              Value a = st[0], det = st[1];
              // Pivot: the largest |a[i, k]|, i >= k.
              SmallVector<Value> piv = forRange(
                  kb, kl, k, cm, {k, fc(-1)},
                  [&](OpBuilder &pb, Location pl, Value i, ValueRange best) {
                    Value v = math::AbsFOp::create(
                        pb, pl,
                        tensor::ExtractOp::create(pb, pl, a, ValueRange{i, k}));
                    Value better = arith::CmpFOp::create(
                        pb, pl, arith::CmpFPredicate::OGT, v, best[1]);
                    return SmallVector<Value>{
                        arith::SelectOp::create(pb, pl, better, i, best[0]),
                        arith::SelectOp::create(pb, pl, better, v, best[1])};
                  });
              Value p = piv[0];
              // Swap rows k and p (a no-op when p == k).
              SmallVector<Value> swapped = forRange(
                  kb, kl, indexConst(kb, kl, 0), cm, {a},
                  [&](OpBuilder &sb, Location sl, Value j, ValueRange s) {
                    Value rk = tensor::ExtractOp::create(sb, sl, s[0],
                                                         ValueRange{k, j});
                    Value rp = tensor::ExtractOp::create(sb, sl, s[0],
                                                         ValueRange{p, j});
                    Value t = tensor::InsertOp::create(sb, sl, rp, s[0],
                                                       ValueRange{k, j});
                    return SmallVector<Value>{
                        tensor::InsertOp::create(sb, sl, rk, t,
                                                 ValueRange{p, j})
                            .getResult()};
                  });
              a = swapped[0];
              Value moved =
                  arith::CmpIOp::create(kb, kl, arith::CmpIPredicate::ne, p, k);
              det = arith::SelectOp::create(
                  kb, kl, moved, arith::NegFOp::create(kb, kl, det), det);
              Value pivot =
                  tensor::ExtractOp::create(kb, kl, a, ValueRange{k, k});
              det = arith::MulFOp::create(kb, kl, det, pivot);
              // A zero pivot: the determinant is 0; divide by 1 instead.
              Value zero = arith::CmpFOp::create(
                  kb, kl, arith::CmpFPredicate::OEQ, pivot,
                  arith::ConstantOp::create(kb, kl, type,
                                            kb.getFloatAttr(type, 0.0)));
              Value safe = arith::SelectOp::create(
                  kb, kl, zero,
                  arith::ConstantOp::create(kb, kl, type,
                                            kb.getFloatAttr(type, 1.0)),
                  pivot);
              Value k1 =
                  arith::AddIOp::create(kb, kl, k, indexConst(kb, kl, 1));
              SmallVector<Value> elim = forRange(
                  kb, kl, k1, cm, {a},
                  [&](OpBuilder &eb, Location el, Value i, ValueRange e) {
                    Value f = arith::DivFOp::create(
                        eb, el,
                        tensor::ExtractOp::create(eb, el, e[0],
                                                  ValueRange{i, k}),
                        safe);
                    return forRange(
                        eb, el, k1, cm, {e[0]},
                        [&](OpBuilder &jb, Location jl, Value j, ValueRange r) {
                          Value aij = tensor::ExtractOp::create(
                              jb, jl, r[0], ValueRange{i, j});
                          Value akj = tensor::ExtractOp::create(
                              jb, jl, r[0], ValueRange{k, j});
                          Value v = arith::SubFOp::create(
                              jb, jl, aij,
                              arith::MulFOp::create(jb, jl, f, akj));
                          return SmallVector<Value>{
                              tensor::InsertOp::create(jb, jl, v, r[0],
                                                       ValueRange{i, j})
                                  .getResult()};
                        });
                  });
              return SmallVector<Value>{elim[0], det};
            });
        return SmallVector<Value>{
            tensor::InsertOp::create(nb, l, lu[1], iter[0], ValueRange{bi})
                .getResult()};
      });
  return imp.setOutput(0, reshapeTo(b, loc, out[0], shape.drop_back(2)));
}

//===----------------------------------------------------------------------===//
// Registration
//===----------------------------------------------------------------------===//

void onnx_import::registerMatmulOps(OpTable &table) {
  table.on("MatMul", 1, matmulOp);
  table.on("Gemm", 7, gemmOp);
  table.on("Einsum", 12, einsumOp);
  table.on("Det", 11, detOp);
}

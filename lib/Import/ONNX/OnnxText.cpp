//===- OnnxText.cpp - TfIdfVectorizer -------------------------------------===//
//
// TfIdfVectorizer on integer token sequences (string pools are not
// supported: quant tensors hold no strings). The n-gram pool is constant,
// so its tokens become small tables and the counting is one
// linalg.generic over (row, n-gram) reducing over start positions and skip
// distances; a second map places each count at its output index and
// applies the TF / IDF / TFIDF weighting.
//
//===----------------------------------------------------------------------===//

#include "OnnxImporterImpl.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::qnt;
using namespace mlir::qnt::onnx_import;

namespace {
/// One pool entry: its tokens and output slot.
struct NGram {
  SmallVector<int64_t, 4> tokens;
  int64_t slot;
};
} // namespace

static LogicalResult tfIdfVectorizerOp(Importer &imp) {
  if (failed(imp.checkAttrs({"max_gram_length", "min_gram_length",
                             "max_skip_count", "mode", "ngram_counts",
                             "ngram_indexes", "pool_int64s", "pool_strings",
                             "weights"})))
    return failure();
  if (imp.attr("pool_strings"))
    return imp.nodeError() << "string pools are not supported";
  int64_t maxN = imp.attrInt("max_gram_length", 0),
          minN = imp.attrInt("min_gram_length", 0),
          maxSkip = imp.attrInt("max_skip_count", 0);
  std::string mode = imp.attrString("mode", "");
  if (mode != "TF" && mode != "IDF" && mode != "TFIDF")
    return imp.nodeError() << "mode must be TF, IDF or TFIDF, got '" << mode
                           << "'";
  std::vector<int64_t> counts =
      imp.attrInts("ngram_counts").value_or(std::vector<int64_t>());
  std::vector<int64_t> indexes =
      imp.attrInts("ngram_indexes").value_or(std::vector<int64_t>());
  std::vector<int64_t> pool =
      imp.attrInts("pool_int64s").value_or(std::vector<int64_t>());
  if (minN < 1 || maxN < minN || maxSkip < 0)
    return imp.nodeError() << "need 1 <= min_gram_length <= max_gram_length "
                              "and max_skip_count >= 0";
  // Split the pool: counts[n - 1] is where the n-grams start.
  SmallVector<NGram> grams;
  for (size_t n = 1; n <= counts.size(); ++n) {
    int64_t begin = counts[n - 1];
    int64_t end = n < counts.size() ? counts[n] : int64_t(pool.size());
    if (begin < 0 || end < begin || end > int64_t(pool.size()) ||
        (end - begin) % int64_t(n))
      return imp.nodeError() << "ngram_counts does not split the pool";
    for (int64_t i = begin; i < end; i += n) {
      NGram g;
      g.tokens.assign(pool.begin() + i, pool.begin() + i + n);
      grams.push_back(g);
    }
  }
  if (grams.size() != indexes.size())
    return imp.nodeError() << "ngram_indexes has " << indexes.size()
                           << " entries for " << grams.size() << " n-grams";
  int64_t slots = 0;
  for (auto [g, index] : llvm::zip(grams, indexes)) {
    if (index < 0)
      return imp.nodeError() << "ngram_indexes must be >= 0";
    g.slot = index;
    slots = std::max(slots, index + 1);
  }
  std::vector<float> weights;
  if (const onnx::AttributeProto *w = imp.attr("weights"))
    weights.assign(w->floats().begin(), w->floats().end());
  if (!weights.empty() && weights.size() != grams.size())
    return imp.nodeError() << "weights needs one entry per n-gram";
  FailureOr<Value> x = imp.input(0);
  if (failed(x))
    return failure();
  ArrayRef<int64_t> xs = shapeOf(*x);
  if ((xs.size() != 1 && xs.size() != 2) ||
      !isa<IntegerType>(elementTypeOf(*x)))
    return imp.nodeError() << "input must be a [C] or [N, C] integer tensor";
  OpBuilder &b = imp.b;
  Location loc = imp.loc;
  Value rows = xs.size() == 1 ? reshapeTo(b, loc, *x, {1, xs[0]}) : *x;
  int64_t n = shapeOf(rows)[0], c = shapeOf(rows)[1];
  int64_t g = grams.size(), width = 1;
  for (const NGram &gram : grams)
    width = std::max<int64_t>(width, gram.tokens.size());
  // Token and length tables; n-grams outside [min, max] count nothing.
  std::vector<int64_t> tokenTable(g * width, 0), lengths;
  for (auto [i, gram] : llvm::enumerate(grams)) {
    int64_t len = gram.tokens.size();
    lengths.push_back(len >= minN && len <= maxN ? len : 0);
    for (int64_t j = 0; j < len; ++j)
      tokenTable[i * width + j] = gram.tokens[j];
  }
  Value tokens = arith::ConstantOp::create(
      b, loc,
      DenseElementsAttr::get(RankedTensorType::get({g, width}, b.getI64Type()),
                             ArrayRef(tokenTable)));
  Value lens = arith::ConstantOp::create(
      b, loc,
      DenseElementsAttr::get(RankedTensorType::get({g}, b.getI64Type()),
                             ArrayRef(lengths)));
  Type f32 = b.getF32Type();
  int64_t skips = maxSkip + 1;
  // counts[r, gram] over start positions and skips.
  Value init = filledTensor(b, loc, {n, g}, f32, 0.0);
  MLIRContext *ctx = b.getContext();
  auto d = [&](int64_t i) { return getAffineDimExpr(i, ctx); };
  // Dummy operands bound the reduction loops (positions, skips).
  Value positions = tensor::EmptyOp::create(b, loc, {c}, f32);
  Value skipDim = tensor::EmptyOp::create(b, loc, {skips}, f32);
  SmallVector<AffineMap> maps = {AffineMap::get(4, 0, {d(2)}, ctx),
                                 AffineMap::get(4, 0, {d(3)}, ctx),
                                 AffineMap::get(4, 0, {d(0), d(1)}, ctx)};
  Value rowsValue = rows;
  Value gramCounts =
      linalg::GenericOp::create(
          b, loc, init.getType(), ValueRange{positions, skipDim},
          ValueRange{init}, maps,
          ArrayRef<utils::IteratorType>{
              utils::IteratorType::parallel, utils::IteratorType::parallel,
              utils::IteratorType::reduction, utils::IteratorType::reduction},
          [&](OpBuilder &nb, Location l, ValueRange a) {
            Type i64 = nb.getI64Type();
            auto ci = [&](int64_t v) {
              return arith::ConstantOp::create(nb, l, nb.getI64IntegerAttr(v))
                  .getResult();
            };
            Value r = linalg::IndexOp::create(nb, l, 0);
            Value gi = linalg::IndexOp::create(nb, l, 1);
            Value start = arith::IndexCastOp::create(
                nb, l, i64, linalg::IndexOp::create(nb, l, 2));
            Value skip = arith::IndexCastOp::create(
                nb, l, i64, linalg::IndexOp::create(nb, l, 3));
            Value len = tensor::ExtractOp::create(nb, l, lens, ValueRange{gi});
            // Unigrams count once per position (skip 0 only).
            Value ok = arith::OrIOp::create(
                nb, l,
                arith::CmpIOp::create(nb, l, arith::CmpIPredicate::sgt, len,
                                      ci(1)),
                arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq, skip,
                                      ci(0)));
            ok = arith::AndIOp::create(
                nb, l, ok,
                arith::CmpIOp::create(nb, l, arith::CmpIPredicate::sgt, len,
                                      ci(0)));
            Value stride = arith::AddIOp::create(nb, l, skip, ci(1));
            for (int64_t j = 0; j < width; ++j) {
              Value pos = arith::AddIOp::create(
                  nb, l, start, arith::MulIOp::create(nb, l, stride, ci(j)));
              Value used = arith::CmpIOp::create(
                  nb, l, arith::CmpIPredicate::slt, ci(j), len);
              Value inside = arith::CmpIOp::create(
                  nb, l, arith::CmpIPredicate::slt, pos, ci(c));
              Value tok = tensor::ExtractOp::create(
                  nb, l, rowsValue, ValueRange{r, boundedIndex(nb, l, pos, c)});
              if (tok.getType() != i64)
                tok = arith::ExtSIOp::create(nb, l, i64, tok);
              Value want = tensor::ExtractOp::create(
                  nb, l, tokens, ValueRange{gi, indexConst(nb, l, j)});
              Value match = arith::AndIOp::create(
                  nb, l, inside,
                  arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq, tok,
                                        want));
              // Positions past the n-gram's length need not match.
              Value fine = arith::OrIOp::create(
                  nb, l,
                  arith::XOrIOp::create(
                      nb, l, used,
                      arith::ConstantOp::create(nb, l, nb.getBoolAttr(true))),
                  match);
              ok = arith::AndIOp::create(nb, l, ok, fine);
            }
            Value one = arith::ConstantOp::create(nb, l, nb.getF32Type(),
                                                  nb.getF32FloatAttr(1.0));
            Value zeroF = arith::ConstantOp::create(nb, l, nb.getF32Type(),
                                                    nb.getF32FloatAttr(0.0));
            Value add = arith::SelectOp::create(nb, l, ok, one, zeroF);
            linalg::YieldOp::create(
                nb, l, ValueRange{arith::AddFOp::create(nb, l, a[2], add)});
          })
          .getResult(0);
  // Output slots: each takes its n-gram's count (slots no n-gram maps to
  // stay 0), weighted by the mode.
  std::vector<int64_t> source(slots, -1);
  for (auto [i, gram] : llvm::enumerate(grams))
    source[gram.slot] = i;
  std::vector<float> slotWeight(slots, 1.0f);
  if (!weights.empty())
    for (auto [i, gram] : llvm::enumerate(grams))
      slotWeight[gram.slot] = weights[i];
  Value sourceTable = arith::ConstantOp::create(
      b, loc,
      DenseElementsAttr::get(RankedTensorType::get({slots}, b.getI64Type()),
                             ArrayRef(source)));
  Value weightTable = arith::ConstantOp::create(
      b, loc,
      DenseElementsAttr::get(RankedTensorType::get({slots}, f32),
                             ArrayRef(slotWeight)));
  Value y = generateTensor(
      b, loc, tensorType({n, slots}, f32),
      [&](OpBuilder &nb, Location l, ArrayRef<Value> co) -> Value {
        Value src =
            tensor::ExtractOp::create(nb, l, sourceTable, ValueRange{co[1]});
        Value has = arith::CmpIOp::create(
            nb, l, arith::CmpIPredicate::sge, src,
            arith::ConstantOp::create(nb, l, nb.getI64IntegerAttr(0)));
        Value count = tensor::ExtractOp::create(
            nb, l, gramCounts, ValueRange{co[0], boundedIndex(nb, l, src, g)});
        Value zeroF =
            arith::ConstantOp::create(nb, l, f32, nb.getF32FloatAttr(0.0));
        count = arith::SelectOp::create(nb, l, has, count, zeroF);
        Value w =
            tensor::ExtractOp::create(nb, l, weightTable, ValueRange{co[1]});
        if (mode == "TF")
          return count;
        if (mode == "TFIDF")
          return arith::MulFOp::create(nb, l, count, w);
        Value seen = arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OGT,
                                           count, zeroF);
        return arith::SelectOp::create(nb, l, seen, w, zeroF);
      });
  if (xs.size() == 1)
    y = reshapeTo(b, loc, y, {slots});
  return imp.setOutput(0, y, kFloat);
}

void onnx_import::registerTextOps(OpTable &table) {
  table.on("TfIdfVectorizer", 9, tfIdfVectorizerOp);
}

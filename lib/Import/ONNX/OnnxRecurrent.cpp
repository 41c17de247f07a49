//===- OnnxRecurrent.cpp - RNN, GRU and LSTM ------------------------------===//
//
// The recurrent layers of ONNX (forward, reverse and bidirectional, both
// layouts, sequence_lens, initial states, peepholes, clip, input_forget,
// linear_before_reset, every activation ONNX lists). Per direction, the
// input projection of all time steps is one matmul up front; the recurrence
// is an scf.for over the (static) sequence length carrying the hidden (and
// cell) state and the output sequence as tensors. Steps past a batch
// entry's sequence_lens keep its state and write zeros, as ONNX says.
//
//===----------------------------------------------------------------------===//

#include "OnnxImporterImpl.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"

using namespace mlir;
using namespace mlir::qnt;
using namespace mlir::qnt::onnx_import;

namespace {

enum class CellKind { Rnn, Gru, Lstm };

struct Activation {
  std::string name;
  double alpha = 0, beta = 0;
};

struct CellOptions {
  CellKind kind;
  int64_t hidden = 0;
  int64_t gates = 1;
  std::optional<double> clip;
  bool linearBeforeReset = false;
  bool inputForget = false;
  /// Per direction: f (gates), g (candidate), h (LSTM output).
  SmallVector<SmallVector<Activation, 3>, 2> activations;
};

} // namespace

/// One ONNX RNN activation on a scalar.
static Value activate(OpBuilder &b, Location l, const Activation &a, Value x) {
  Type t = x.getType();
  auto sigmoid = [&](Value v) {
    Value one = floatConst(b, l, t, 1.0);
    return arith::DivFOp::create(
               b, l, one,
               arith::AddFOp::create(
                   b, l, one,
                   math::ExpOp::create(b, l, arith::NegFOp::create(b, l, v))))
        .getResult();
  };
  const std::string &n = a.name;
  if (n == "Sigmoid")
    return sigmoid(x);
  if (n == "Tanh")
    return math::TanhOp::create(b, l, x);
  if (n == "Relu")
    return arith::MaximumFOp::create(b, l, x, floatConst(b, l, t, 0.0));
  if (n == "LeakyRelu")
    return arith::SelectOp::create(
        b, l,
        arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLT, x,
                              floatConst(b, l, t, 0.0)),
        arith::MulFOp::create(b, l, x, floatConst(b, l, t, a.alpha)), x);
  if (n == "ThresholdedRelu")
    return arith::SelectOp::create(
        b, l,
        arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT, x,
                              floatConst(b, l, t, a.alpha)),
        x, floatConst(b, l, t, 0.0));
  if (n == "ScaledTanh")
    return arith::MulFOp::create(
        b, l, floatConst(b, l, t, a.alpha),
        math::TanhOp::create(
            b, l, arith::MulFOp::create(b, l, x, floatConst(b, l, t, a.beta))));
  if (n == "HardSigmoid") {
    Value y = arith::AddFOp::create(
        b, l, arith::MulFOp::create(b, l, x, floatConst(b, l, t, a.alpha)),
        floatConst(b, l, t, a.beta));
    y = arith::MinimumFOp::create(b, l, y, floatConst(b, l, t, 1.0));
    return arith::MaximumFOp::create(b, l, y, floatConst(b, l, t, 0.0));
  }
  if (n == "Elu")
    return arith::SelectOp::create(
        b, l,
        arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLT, x,
                              floatConst(b, l, t, 0.0)),
        arith::MulFOp::create(b, l, floatConst(b, l, t, a.alpha),
                              math::ExpM1Op::create(b, l, x)),
        x);
  if (n == "Softsign")
    return arith::DivFOp::create(
        b, l, x,
        arith::AddFOp::create(b, l, floatConst(b, l, t, 1.0),
                              math::AbsFOp::create(b, l, x)));
  if (n == "Softplus")
    return math::Log1pOp::create(b, l, math::ExpOp::create(b, l, x));
  assert(n == "Affine" && "unchecked activation");
  return arith::AddFOp::create(
      b, l, arith::MulFOp::create(b, l, x, floatConst(b, l, t, a.alpha)),
      floatConst(b, l, t, a.beta));
}

/// Reads `activations` / activation_alpha / activation_beta, with the
/// defaults of each layer kind; checks the names.
static LogicalResult readActivations(Importer &imp, CellOptions &o,
                                     int64_t directions) {
  SmallVector<StringRef, 3> defaults;
  if (o.kind == CellKind::Rnn)
    defaults = {"Tanh"};
  else if (o.kind == CellKind::Gru)
    defaults = {"Sigmoid", "Tanh"};
  else
    defaults = {"Sigmoid", "Tanh", "Tanh"};
  std::vector<std::string> names;
  if (const onnx::AttributeProto *a = imp.attr("activations"))
    names.assign(a->strings().begin(), a->strings().end());
  else
    for (int64_t d = 0; d < directions; ++d)
      names.insert(names.end(), defaults.begin(), defaults.end());
  if (int64_t(names.size()) != directions * int64_t(defaults.size()))
    return imp.nodeError() << "expected " << directions * defaults.size()
                           << " activations, got " << names.size();
  std::vector<float> alphas, betas;
  if (const onnx::AttributeProto *a = imp.attr("activation_alpha"))
    alphas.assign(a->floats().begin(), a->floats().end());
  if (const onnx::AttributeProto *a = imp.attr("activation_beta"))
    betas.assign(a->floats().begin(), a->floats().end());
  size_t nextAlpha = 0, nextBeta = 0;
  static const std::pair<StringRef, std::pair<double, double>> kKnown[] = {
      {"Sigmoid", {0, 0}},
      {"Tanh", {0, 0}},
      {"Relu", {0, 0}},
      {"Softsign", {0, 0}},
      {"Softplus", {0, 0}},
      {"LeakyRelu", {0.01, 0}},
      {"ThresholdedRelu", {1.0, 0}},
      {"ScaledTanh", {1.0, 1.0}},
      {"HardSigmoid", {0.2, 0.5}},
      {"Elu", {1.0, 0}},
      {"Affine", {1.0, 0.0}}};
  o.activations.assign(directions, {});
  for (auto [i, name] : llvm::enumerate(names)) {
    auto it = llvm::find_if(kKnown, [&, n = StringRef(name)](const auto &k) {
      return n.equals_insensitive(k.first);
    });
    if (it == std::end(kKnown))
      return imp.nodeError() << "unsupported activation '" << name << "'";
    Activation a{it->first.str(), it->second.first, it->second.second};
    bool takesAlpha = it->second.first != 0 || a.name == "Affine";
    bool takesBeta =
        a.name == "ScaledTanh" || a.name == "HardSigmoid" || a.name == "Affine";
    if (takesAlpha && nextAlpha < alphas.size())
      a.alpha = alphas[nextAlpha++];
    if (takesBeta && nextBeta < betas.size())
      a.beta = betas[nextBeta++];
    o.activations[i / defaults.size()].push_back(a);
  }
  return success();
}

/// Rows [offset, offset + size) of a 2-D tensor's dim 1 (a gate's columns).
static Value columns(OpBuilder &b, Location loc, Value x, int64_t offset,
                     int64_t size) {
  ArrayRef<int64_t> s = shapeOf(x);
  return tensor::ExtractSliceOp::create(
      b, loc, tensorType({s[0], size}, elementTypeOf(x)), x, ValueRange{},
      ValueRange{}, ValueRange{}, ArrayRef<int64_t>{0, offset},
      ArrayRef<int64_t>{s[0], size}, ArrayRef<int64_t>{1, 1});
}

/// Slice `index` of dim 0, without that dim.
static Value sliceDim0(OpBuilder &b, Location loc, Value x, int64_t index) {
  SmallVector<int64_t> shape(shapeOf(x));
  SmallVector<int64_t> offsets(shape.size(), 0), sizes(shape),
      strides(shape.size(), 1);
  offsets[0] = index;
  sizes[0] = 1;
  Value s = tensor::ExtractSliceOp::create(
      b, loc, tensorType(sizes, elementTypeOf(x)), x, ValueRange{},
      ValueRange{}, ValueRange{}, offsets, sizes, strides);
  return reshapeTo(b, loc, s, ArrayRef<int64_t>(shape).drop_front());
}

/// Clip of a gate pre-activation, when the layer asks for it.
static Value clipped(OpBuilder &b, Location l, const CellOptions &o, Value v) {
  if (!o.clip)
    return v;
  Type t = v.getType();
  v = arith::MinimumFOp::create(b, l, v, floatConst(b, l, t, *o.clip));
  return arith::MaximumFOp::create(b, l, v, floatConst(b, l, t, -*o.clip));
}

/// One direction of the layer over X [S, B, I]. Returns Y [S, B, H], the
/// last hidden state [B, H] and (LSTM) the last cell state.
static std::tuple<Value, Value, Value>
runDirection(Importer &imp, const CellOptions &o, int64_t dir, bool reverse,
             Value x, Value w, Value r, Value bias, Value lens, Value h0,
             Value c0, Value peep) {
  OpBuilder &b = imp.b;
  Location loc = imp.loc;
  ArrayRef<int64_t> xs = shapeOf(x);
  int64_t steps = xs[0], batch = xs[1], in = xs[2], hsz = o.hidden, g = o.gates;
  Type type = elementTypeOf(x);
  const auto &acts = o.activations[dir];
  // Projections: XW for every step at once, W^T / R^T for the loop.
  Value wt = transposeBy(b, loc, sliceDim0(b, loc, w, dir), {1, 0});
  Value rt = transposeBy(b, loc, sliceDim0(b, loc, r, dir), {1, 0});
  Value xw = reshapeTo(
      b, loc,
      *batchedMatmul(imp, reshapeTo(b, loc, x, {steps * batch, in}), wt),
      {steps, batch, g * hsz});
  // Bias: Wb + Rb, except the GRU candidate's Rb with linear_before_reset,
  // which goes inside the reset product.
  Value rbHidden;
  if (bias) {
    Value bd = sliceDim0(b, loc, bias, dir); // [2 G H]
    auto half = [&](int64_t i) {
      return tensor::ExtractSliceOp::create(
                 b, loc, tensorType({g * hsz}, type), bd, ValueRange{},
                 ValueRange{}, ValueRange{}, ArrayRef<int64_t>{i * g * hsz},
                 ArrayRef<int64_t>{g * hsz}, ArrayRef<int64_t>{1})
          .getResult();
    };
    Value wb = half(0), rb = half(1);
    if (o.kind == CellKind::Gru) {
      // Keep Rb of the candidate gate apart.
      rbHidden = tensor::ExtractSliceOp::create(
          b, loc, tensorType({hsz}, type), rb, ValueRange{}, ValueRange{},
          ValueRange{}, ArrayRef<int64_t>{2 * hsz}, ArrayRef<int64_t>{hsz},
          ArrayRef<int64_t>{1});
      Value zeros = splatConst(b, loc, {hsz}, type, 0.0);
      rb = tensor::InsertSliceOp::create(
          b, loc, zeros, rb, ValueRange{}, ValueRange{}, ValueRange{},
          ArrayRef<int64_t>{2 * hsz}, ArrayRef<int64_t>{hsz},
          ArrayRef<int64_t>{1});
    }
    Value sum =
        tosa::AddOp::create(b, loc, tensorType({g * hsz}, type), wb, rb);
    xw = tosa::AddOp::create(b, loc, cast<RankedTensorType>(xw.getType()), xw,
                             reshapeTo(b, loc, sum, {1, 1, g * hsz}));
  }
  if (!rbHidden)
    rbHidden = splatConst(b, loc, {hsz}, type, 0.0);
  Value rbRow = reshapeTo(b, loc, rbHidden, {1, hsz});
  Value pI, pO, pF;
  if (peep) {
    Value pd = reshapeTo(b, loc, sliceDim0(b, loc, peep, dir), {1, 3 * hsz});
    pI = columns(b, loc, pd, 0, hsz);
    pO = columns(b, loc, pd, hsz, hsz);
    pF = columns(b, loc, pd, 2 * hsz, hsz);
  } else {
    pI = pO = pF = splatConst(b, loc, {1, hsz}, type, 0.0);
  }
  Value lensCol =
      lens ? reshapeTo(b, loc, lens, {batch, 1})
           : splatConst(b, loc, {batch, 1}, b.getI32Type(), double(steps));
  Value y = splatConst(b, loc, {steps, batch, hsz}, type, 0.0);
  auto stateType = tensorType({batch, hsz}, type);
  auto loop = scf::ForOp::create(
      b, loc, arith::ConstantIndexOp::create(b, loc, 0),
      arith::ConstantIndexOp::create(b, loc, steps),
      arith::ConstantIndexOp::create(b, loc, 1), ValueRange{h0, c0, y},
      [&](OpBuilder &nb, Location l, Value iv, ValueRange iter) {
        // Helpers that build with imp.b (batchedMatmul) build in the body.
        OpBuilder::InsertionGuard guard(imp.b);
        imp.b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
        Value h = iter[0], c = iter[1], ys = iter[2];
        Value t =
            reverse ? arith::SubIOp::create(
                          nb, l,
                          arith::ConstantIndexOp::create(nb, l, steps - 1), iv)
                          .getResult()
                    : iv;
        SmallVector<OpFoldResult> off = {t, nb.getIndexAttr(0),
                                         nb.getIndexAttr(0)};
        SmallVector<OpFoldResult> one = {nb.getIndexAttr(1), nb.getIndexAttr(1),
                                         nb.getIndexAttr(1)};
        Value xt = tensor::ExtractSliceOp::create(
            nb, l, tensorType({1, batch, g * hsz}, type), xw, off,
            SmallVector<OpFoldResult>{nb.getIndexAttr(1),
                                      nb.getIndexAttr(batch),
                                      nb.getIndexAttr(g * hsz)},
            one);
        xt = reshapeTo(nb, l, xt, {batch, g * hsz});
        Value hr = *batchedMatmul(imp, h, rt); // [B, G H]
        Value tIdx = arith::IndexCastOp::create(nb, l, nb.getI32Type(), t);
        auto gate = [&](Value m, int64_t k) {
          return columns(nb, l, m, k * hsz, hsz);
        };
        // active[b] = t < lens[b]: the step updates the state.
        auto stepMap =
            [&](ArrayRef<Value> ins,
                function_ref<Value(OpBuilder &, Location, ValueRange)> fn) {
              return buildGeneric(nb, l, ins, stateType, fn);
            };
        auto isActive = [&](OpBuilder &bb, Location ll, Value len) {
          Value len32 =
              len.getType() == bb.getI32Type()
                  ? len
                  : arith::TruncIOp::create(bb, ll, bb.getI32Type(), len)
                        .getResult();
          return arith::CmpIOp::create(bb, ll, arith::CmpIPredicate::slt, tIdx,
                                       len32)
              .getResult();
        };
        Value newH, newC = c;
        if (o.kind == CellKind::Rnn) {
          newH = buildGenericInto(
              nb, l, {gate(xt, 0), gate(hr, 0), lensCol}, h,
              [&](OpBuilder &bb, Location ll, ValueRange a) {
                Value pre = clipped(bb, ll, o,
                                    arith::AddFOp::create(bb, ll, a[0], a[1]));
                Value v = activate(bb, ll, acts[0], pre);
                return arith::SelectOp::create(bb, ll, isActive(bb, ll, a[2]),
                                               v, a[3])
                    .getResult();
              });
        } else if (o.kind == CellKind::Gru) {
          // Gates z, r, h. z and r first; the candidate needs r.
          Value zGate = stepMap({gate(xt, 0), gate(hr, 0)}, [&](OpBuilder &bb,
                                                                Location ll,
                                                                ValueRange a) {
            return activate(
                bb, ll, acts[0],
                clipped(bb, ll, o, arith::AddFOp::create(bb, ll, a[0], a[1])));
          });
          Value rGate = stepMap({gate(xt, 1), gate(hr, 1)}, [&](OpBuilder &bb,
                                                                Location ll,
                                                                ValueRange a) {
            return activate(
                bb, ll, acts[0],
                clipped(bb, ll, o, arith::AddFOp::create(bb, ll, a[0], a[1])));
          });
          Value recurrent;
          if (o.linearBeforeReset) {
            // r * (H R_h^T + Rb_h)
            recurrent =
                stepMap({rGate, gate(hr, 2), rbRow},
                        [&](OpBuilder &bb, Location ll, ValueRange a) {
                          return arith::MulFOp::create(
                                     bb, ll, a[0],
                                     arith::AddFOp::create(bb, ll, a[1], a[2]))
                              .getResult();
                        });
          } else {
            // (r * H) R_h^T + Rb_h
            Value rh = stepMap(
                {rGate, h}, [](OpBuilder &bb, Location ll, ValueRange a) {
                  return arith::MulFOp::create(bb, ll, a[0], a[1]).getResult();
                });
            Value rhr =
                *batchedMatmul(imp, rh, columns(nb, l, rt, 2 * hsz, hsz));
            recurrent = stepMap(
                {rhr, rbRow}, [](OpBuilder &bb, Location ll, ValueRange a) {
                  return arith::AddFOp::create(bb, ll, a[0], a[1]).getResult();
                });
          }
          newH = buildGenericInto(
              nb, l, {gate(xt, 2), recurrent, zGate, lensCol}, h,
              [&](OpBuilder &bb, Location ll, ValueRange a) {
                // a: candidate x, candidate recurrent, z, length, old h.
                Value cand = activate(
                    bb, ll, acts[1],
                    clipped(bb, ll, o,
                            arith::AddFOp::create(bb, ll, a[0], a[1])));
                Value oneMinusZ = arith::SubFOp::create(
                    bb, ll, floatConst(bb, ll, type, 1.0), a[2]);
                Value v = arith::AddFOp::create(
                    bb, ll, arith::MulFOp::create(bb, ll, oneMinusZ, cand),
                    arith::MulFOp::create(bb, ll, a[2], a[4]));
                return arith::SelectOp::create(bb, ll, isActive(bb, ll, a[3]),
                                               v, a[4])
                    .getResult();
              });
        } else {
          // LSTM gates i, o, f, c.
          auto pre = [&](OpBuilder &bb, Location ll, Value x0, Value x1) {
            return arith::AddFOp::create(bb, ll, x0, x1).getResult();
          };
          Value iGate =
              stepMap({gate(xt, 0), gate(hr, 0), pI, c},
                      [&](OpBuilder &bb, Location ll, ValueRange a) {
                        Value v = arith::AddFOp::create(
                            bb, ll, pre(bb, ll, a[0], a[1]),
                            arith::MulFOp::create(bb, ll, a[2], a[3]));
                        return activate(bb, ll, acts[0], clipped(bb, ll, o, v));
                      });
          Value fGate;
          if (o.inputForget) {
            fGate =
                stepMap({iGate}, [&](OpBuilder &bb, Location ll, ValueRange a) {
                  return arith::SubFOp::create(
                             bb, ll, floatConst(bb, ll, type, 1.0), a[0])
                      .getResult();
                });
          } else {
            fGate = stepMap({gate(xt, 2), gate(hr, 2), pF, c},
                            [&](OpBuilder &bb, Location ll, ValueRange a) {
                              Value v = arith::AddFOp::create(
                                  bb, ll, pre(bb, ll, a[0], a[1]),
                                  arith::MulFOp::create(bb, ll, a[2], a[3]));
                              return activate(bb, ll, acts[0],
                                              clipped(bb, ll, o, v));
                            });
          }
          Value cell = stepMap(
              {gate(xt, 3), gate(hr, 3), iGate, fGate, c},
              [&](OpBuilder &bb, Location ll, ValueRange a) {
                Value cand =
                    activate(bb, ll, acts[1],
                             clipped(bb, ll, o, pre(bb, ll, a[0], a[1])));
                return arith::AddFOp::create(
                           bb, ll, arith::MulFOp::create(bb, ll, a[3], a[4]),
                           arith::MulFOp::create(bb, ll, a[2], cand))
                    .getResult();
              });
          newH = buildGenericInto(
              nb, l, {gate(xt, 1), gate(hr, 1), pO, cell, lensCol}, h,
              [&](OpBuilder &bb, Location ll, ValueRange a) {
                // a: gate x, gate recurrent, peephole, cell, length, old h.
                Value v = arith::AddFOp::create(
                    bb, ll, pre(bb, ll, a[0], a[1]),
                    arith::MulFOp::create(bb, ll, a[2], a[3]));
                Value og = activate(bb, ll, acts[0], clipped(bb, ll, o, v));
                Value hv = arith::MulFOp::create(
                    bb, ll, og, activate(bb, ll, acts[2], a[3]));
                return arith::SelectOp::create(bb, ll, isActive(bb, ll, a[4]),
                                               hv, a[5])
                    .getResult();
              });
          newC = buildGenericInto(
              nb, l, {cell, lensCol}, c,
              [&](OpBuilder &bb, Location ll, ValueRange a) {
                return arith::SelectOp::create(bb, ll, isActive(bb, ll, a[1]),
                                               a[0], a[2])
                    .getResult();
              });
        }
        // Y[t] = H, zeros past the sequence end.
        Value yt = stepMap({newH, lensCol}, [&](OpBuilder &bb, Location ll,
                                                ValueRange a) {
          return arith::SelectOp::create(bb, ll, isActive(bb, ll, a[1]), a[0],
                                         floatConst(bb, ll, type, 0.0))
              .getResult();
        });
        Value newY = tensor::InsertSliceOp::create(
            nb, l, reshapeTo(nb, l, yt, {1, batch, hsz}), ys, off,
            SmallVector<OpFoldResult>{nb.getIndexAttr(1),
                                      nb.getIndexAttr(batch),
                                      nb.getIndexAttr(hsz)},
            one);
        scf::YieldOp::create(nb, l, ValueRange{newH, newC, newY});
      });
  return {loop.getResult(2), loop.getResult(0), loop.getResult(1)};
}

static LogicalResult recurrentOp(Importer &imp, CellKind kind) {
  if (failed(imp.checkAttrs({"activation_alpha", "activation_beta",
                             "activations", "clip", "direction", "hidden_size",
                             "layout", "linear_before_reset", "input_forget"})))
    return failure();
  CellOptions o;
  o.kind = kind;
  o.gates = kind == CellKind::Rnn ? 1 : kind == CellKind::Gru ? 3 : 4;
  o.hidden = imp.attrInt("hidden_size", 0);
  if (imp.attr("clip"))
    o.clip = imp.attrFloat("clip", 0.0f);
  o.linearBeforeReset = imp.attrInt("linear_before_reset", 0);
  o.inputForget = imp.attrInt("input_forget", 0);
  std::string direction = imp.attrString("direction", "forward");
  if (direction != "forward" && direction != "reverse" &&
      direction != "bidirectional")
    return imp.nodeError() << "unsupported direction '" << direction << "'";
  int64_t dirs = direction == "bidirectional" ? 2 : 1;
  bool layout = imp.attrInt("layout", 0);
  if (failed(readActivations(imp, o, dirs)))
    return failure();
  FailureOr<Value> x = imp.input(0), w = imp.input(1), r = imp.input(2);
  if (failed(x) || failed(w) || failed(r))
    return failure();
  OpBuilder &b = imp.b;
  Location loc = imp.loc;
  Type type = elementTypeOf(*x);
  if (!isa<FloatType>(type) || shapeOf(*x).size() != 3)
    return imp.nodeError() << "X must be a 3-D float tensor";
  Value xv = layout ? transposeBy(b, loc, *x, {1, 0, 2}) : *x;
  int64_t batch = shapeOf(xv)[1], in = shapeOf(xv)[2], g = o.gates;
  if (o.hidden <= 0)
    o.hidden = shapeOf(*r).back();
  int64_t hsz = o.hidden;
  if (shapeOf(*w) != ArrayRef<int64_t>{dirs, g * hsz, in} ||
      shapeOf(*r) != ArrayRef<int64_t>{dirs, g * hsz, hsz})
    return imp.nodeError() << "W / R do not match [" << dirs << ", " << g * hsz
                           << ", input / hidden size]";
  auto optional = [&](unsigned i, ArrayRef<int64_t> shape,
                      StringRef what) -> FailureOr<Value> {
    if (!imp.hasInput(i))
      return Value();
    FailureOr<Value> v = imp.input(i);
    if (failed(v))
      return failure();
    if (shapeOf(*v) != shape)
      return imp.nodeError() << what << " has the wrong shape";
    return *v;
  };
  FailureOr<Value> bias = optional(3, {dirs, 2 * g * hsz}, "B");
  FailureOr<Value> lens = optional(4, {batch}, "sequence_lens");
  SmallVector<int64_t> stateShape =
      layout ? SmallVector<int64_t>{batch, dirs, hsz}
             : SmallVector<int64_t>{dirs, batch, hsz};
  FailureOr<Value> h0 = optional(5, stateShape, "initial_h");
  FailureOr<Value> c0 = kind == CellKind::Lstm
                            ? optional(6, stateShape, "initial_c")
                            : FailureOr<Value>(Value());
  FailureOr<Value> peep = kind == CellKind::Lstm
                              ? optional(7, {dirs, 3 * hsz}, "P")
                              : FailureOr<Value>(Value());
  if (failed(bias) || failed(lens) || failed(h0) || failed(c0) || failed(peep))
    return failure();
  auto initialState = [&](Value v, int64_t d) {
    if (!v)
      return splatConst(b, loc, {batch, hsz}, type, 0.0);
    Value s = layout ? transposeBy(b, loc, v, {1, 0, 2}) : v;
    return sliceDim0(b, loc, s, d);
  };
  SmallVector<Value> ys, hs, cs;
  for (int64_t d = 0; d < dirs; ++d) {
    bool reverse = direction == "reverse" || d == 1;
    auto [y, h, c] =
        runDirection(imp, o, d, reverse, xv, *w, *r, *bias, *lens,
                     initialState(*h0, d), initialState(*c0, d), *peep);
    int64_t steps = shapeOf(y)[0];
    ys.push_back(reshapeTo(b, loc, y, {steps, 1, batch, hsz}));
    hs.push_back(reshapeTo(b, loc, h, {1, batch, hsz}));
    cs.push_back(reshapeTo(b, loc, c, {1, batch, hsz}));
  }
  auto concat = [&](ArrayRef<Value> parts, int64_t axis) -> Value {
    if (parts.size() == 1)
      return parts[0];
    SmallVector<int64_t> shape(shapeOf(parts[0]));
    shape[axis] *= parts.size();
    return tosa::ConcatOp::create(b, loc, tensorType(shape, type), parts,
                                  uint32_t(axis))
        .getResult();
  };
  Value y = concat(ys, 1), yh = concat(hs, 0), yc = concat(cs, 0);
  if (layout) {
    y = transposeBy(b, loc, y, {2, 0, 1, 3});
    yh = transposeBy(b, loc, yh, {1, 0, 2});
    yc = transposeBy(b, loc, yc, {1, 0, 2});
  }
  if (failed(imp.setOutput(0, y)) || failed(imp.setOutput(1, yh)))
    return failure();
  if (kind == CellKind::Lstm)
    return imp.setOutput(2, yc);
  return success();
}

//===----------------------------------------------------------------------===//
// Registration
//===----------------------------------------------------------------------===//

void onnx_import::registerRecurrentOps(OpTable &table) {
  table.on("RNN", 7,
           [](Importer &imp) { return recurrentOp(imp, CellKind::Rnn); });
  table.on("GRU", 7,
           [](Importer &imp) { return recurrentOp(imp, CellKind::Gru); });
  table.on("LSTM", 7,
           [](Importer &imp) { return recurrentOp(imp, CellKind::Lstm); });
}

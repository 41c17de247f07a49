//===- ReorderChannels.cpp - group outlier input channels -----------------===//
//
// Permutes the input channels (K) of the qnt.matmul ops that read one value
// so that the outlier channels sit next to each other and share
// quantization groups. The permutation is absorbed where the model stays
// equivalent without a runtime permutation: the producer of the value emits
// its channels in the new order (rows and bias of a producing qnt.matmul,
// through channel-wise elementwise ops such as SwiGLU's silu(gate) * up, and
// channel vectors such as a norm's gamma). Where it cannot be (the value is a
// function argument, or comes from the residual stream), each consumer keeps
// the permutation in its weight's encoding (#qnt.permuted around the plain
// weight), or is skipped; a remark says which and why.
//
// Scores come from the per-channel activation max |x| that calibration
// attaches as `qnt.input_absmax`, times the column norms of the weights
// (quantize::channelOutlierScores); without statistics the weight norms
// alone.
//
//===----------------------------------------------------------------------===//

#include "ChannelUtils.h"

#include "quant/Dialect/Qnt/Transforms/Passes.h"
#include "quant/Quantize/Outliers.h"

#include "mlir/AsmParser/AsmParser.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "llvm/ADT/SetVector.h"

#include <cstring>

namespace mlir::qnt {
#define GEN_PASS_DEF_QNTREORDERCHANNELSPASS
#include "quant/Dialect/Qnt/Transforms/Passes.h.inc"
} // namespace mlir::qnt

using namespace mlir;
using namespace mlir::qnt;
using namespace mlir::qnt::channel;
namespace qz = mlir::qnt::quantize;

namespace {

/// What must change for a value's channels to come out permuted.
struct PermutePlan {
  int64_t channels = 0;
  /// qnt.matmul ops whose rows (and bias) are permuted.
  SmallVector<MatmulOp> producers;
  /// Operands that are constant channel vectors (norm gamma, ...).
  SmallVector<OpOperand *> vectors;
  /// Every op on the path, for the check that nothing else reads it.
  llvm::SetVector<Operation *> ops;
  std::string reason;
};

static bool isChannelWiseUnary(Operation *op) {
  return isa<tosa::SigmoidOp, tosa::TanhOp, tosa::ExpOp, tosa::AbsOp,
             tosa::NegateOp, tosa::ClampOp, tosa::ErfOp, tosa::ReciprocalOp,
             tosa::LogOp, tosa::CastOp>(op);
}

static bool isChannelWiseBinary(Operation *op) {
  return isa<tosa::MulOp, tosa::AddOp, tosa::SubOp, tosa::MaximumOp,
             tosa::MinimumOp>(op);
}

/// Collects in `plan` what makes `value` (whose last dimension is the
/// channels) come out permuted; false with plan.reason when it cannot.
static bool tracePermutable(Value value, PermutePlan &plan) {
  Operation *def = value.getDefiningOp();
  if (!def) {
    plan.reason = "the channels come from a function argument";
    return false;
  }
  if (plan.ops.contains(def))
    return true;
  if (isChannelPreservingReshape(def)) {
    plan.ops.insert(def);
    return tracePermutable(def->getOperand(0), plan);
  }
  if (auto matmul = dyn_cast<MatmulOp>(def)) {
    auto weight = matmul.getWeight().getDefiningOp<ConstantOp>();
    if (!weight || !isa<PlainAttr>(weight.getType().getEncoding()) ||
        weight.getType().getRank() != 2) {
      plan.reason = "the producing qnt.matmul has no 2-D plain weight";
      return false;
    }
    if (matmul.getResidual()) {
      plan.reason = "the producing qnt.matmul adds a residual (the residual "
                    "stream would have to be permuted)";
      return false;
    }
    if (matmul.getBias() && !getFloatConstant(matmul.getBias())) {
      plan.reason = "the producing qnt.matmul has a non-constant bias";
      return false;
    }
    plan.ops.insert(def);
    plan.producers.push_back(matmul);
    return true;
  }
  Type resultType = value.getType();
  if (isChannelWiseUnary(def) && def->getOperand(0).getType() == resultType) {
    plan.ops.insert(def);
    return tracePermutable(def->getOperand(0), plan);
  }
  if (isChannelWiseBinary(def)) {
    plan.ops.insert(def);
    for (OpOperand &operand : def->getOpOperands()) {
      if (isa<tosa::MulOp>(def) && operand.getOperandNumber() == 2)
        continue; // The shift.
      Value input = operand.get();
      if (input.getType() == resultType) {
        if (!tracePermutable(input, plan))
          return false;
        continue;
      }
      int64_t last = getLastDim(input);
      if (last == 1)
        continue; // Broadcast along the channels: the same for each.
      if (last == plan.channels &&
          isChannelVectorType(input.getType(), plan.channels)) {
        if (!getFloatConstant(input)) {
          plan.reason = "'" + def->getName().getStringRef().str() +
                        "' takes a non-constant channel vector";
          return false;
        }
        plan.vectors.push_back(&operand);
        continue;
      }
      plan.reason = "'" + def->getName().getStringRef().str() +
                    "' broadcasts an operand in a way that mixes channels";
      return false;
    }
    return true;
  }
  plan.reason = "the channels are produced by '" +
                def->getName().getStringRef().str() +
                "', which is not channel-wise";
  return false;
}

/// Nothing but the plan, the reshape views of `root` and `consumers` (as
/// their lhs) may read the values of the plan.
static bool checkClosed(Value root, ArrayRef<MatmulOp> consumers,
                        PermutePlan &plan) {
  SmallVector<Operation *> views;
  SmallVector<OpOperand *> uses;
  collectChannelUses(root, views, uses);
  for (OpOperand *use : uses) {
    Operation *user = use->getOwner();
    if (!llvm::is_contained(consumers, user) || use->getOperandNumber() != 0) {
      plan.reason = "the value is also read by '" +
                    user->getName().getStringRef().str() +
                    "' (not as a qnt.matmul lhs)";
      return false;
    }
  }
  llvm::SmallPtrSet<Operation *, 8> allowed(plan.ops.begin(), plan.ops.end());
  allowed.insert(views.begin(), views.end());
  for (MatmulOp consumer : consumers)
    allowed.insert(consumer);
  for (Operation *op : plan.ops)
    for (Operation *user : op->getUsers())
      if (!allowed.contains(user)) {
        plan.reason = "'" + op->getName().getStringRef().str() +
                      "' on the path is also read by '" +
                      user->getName().getStringRef().str() + "'";
        return false;
      }
  return true;
}

struct QntReorderChannelsPass
    : qnt::impl::QntReorderChannelsPassBase<QntReorderChannelsPass> {
  using Base::Base;
  void runOnOperation() override;

private:
  LogicalResult reorderGroup(Value input, SmallVectorImpl<MatmulOp> &users);
  LogicalResult absorb(PermutePlan &plan, ArrayRef<PlainLinear *> consumers,
                       const qz::ChannelOrder &order);
  LogicalResult encodePermuted(PlainLinear &linear,
                               const qz::ChannelOrder &order);
};

} // namespace

LogicalResult QntReorderChannelsPass::absorb(PermutePlan &plan,
                                             ArrayRef<PlainLinear *> consumers,
                                             const qz::ChannelOrder &order) {
  for (PlainLinear *linear : consumers) {
    if (failed(setPlainWeight(*linear,
                              qz::permuteColumns(linear->values, linear->rows,
                                                 linear->cols, order))))
      return failure();
    // The statistics describe the input, which is now permuted too.
    for (StringRef name : {kInputAbsMaxAttr, kInputMeanAbsAttr})
      if (auto stat = getChannelStat(linear->op, name, linear->cols)) {
        std::vector<float> permuted = qz::permuteVector(*stat, order);
        linear->op->setAttr(
            name, DenseElementsAttr::get(
                      RankedTensorType::get({linear->cols},
                                            Float32Type::get(&getContext())),
                      ArrayRef<float>(permuted)));
      }
  }
  for (MatmulOp producer : plan.producers) {
    std::optional<PlainLinear> linear = getPlainLinear(producer);
    if (!linear)
      return producer.emitOpError("cannot read the plain weight");
    if (failed(setPlainWeight(*linear,
                              qz::permuteRows(linear->values, linear->rows,
                                              linear->cols, order))))
      return failure();
    if (Value bias = producer.getBias()) {
      std::vector<float> values = *getFloatConstant(bias);
      OpBuilder b(producer);
      producer.getBiasMutable().assign(makeFloatConstant(
          b, bias.getLoc(), cast<RankedTensorType>(bias.getType()),
          qz::permuteVector(values, order)));
    }
  }
  for (OpOperand *operand : plan.vectors) {
    std::vector<float> values = *getFloatConstant(operand->get());
    OpBuilder b(operand->getOwner());
    operand->set(
        makeFloatConstant(b, operand->get().getLoc(),
                          cast<RankedTensorType>(operand->get().getType()),
                          qz::permuteVector(values, order)));
  }
  return success();
}

LogicalResult
QntReorderChannelsPass::encodePermuted(PlainLinear &linear,
                                       const qz::ChannelOrder &order) {
  RankedTensorType type = linear.weight.getType();
  Attribute plain = type.getEncoding();
  auto permuted = PermutedAttr::get(&getContext(), plain, 1);
  PartsData parts;
  std::vector<float> base =
      qz::permuteColumns(linear.values, linear.rows, linear.cols, order);
  if (failed(cast<EncodingAttrInterface>(plain).referenceEncode(
          type.getShape(), base, {}, parts,
          [&] { return linear.op.emitOpError(); })))
    return failure();
  std::vector<int32_t> perm = qz::toEncodingPermutation(order);
  std::vector<uint8_t> bytes(perm.size() * 4);
  std::memcpy(bytes.data(), perm.data(), bytes.size());
  parts.push_back(std::move(bytes));
  return setEncodedWeight(linear, permuted, parts);
}

LogicalResult
QntReorderChannelsPass::reorderGroup(Value input,
                                     SmallVectorImpl<MatmulOp> &users) {
  SmallVector<PlainLinear> linears;
  for (MatmulOp op : users)
    if (std::optional<PlainLinear> linear = getPlainLinear(op))
      linears.push_back(std::move(*linear));
  if (linears.empty())
    return success();
  int64_t k = linears.front().cols;
  MatmulOp first = linears.front().op;
  std::string names;
  for (PlainLinear &linear : linears)
    names += (names.empty() ? "" : ", ") + describe(linear.op);

  // Score: activation max |x| (if calibrated) times the column norms,
  // summed over the consumers that share the input.
  std::optional<std::vector<float>> act;
  for (PlainLinear &linear : linears) {
    if (failed(verifyChannelStat(linear.op, kInputAbsMaxAttr, k)))
      return failure();
    if (!act)
      act = getChannelStat(linear.op, kInputAbsMaxAttr, k);
  }
  std::vector<float> actScale = act ? *act : std::vector<float>(k, 1.0f);
  std::vector<double> scores(k, 0.0);
  for (PlainLinear &linear : linears) {
    std::vector<double> s =
        qz::channelOutlierScores(actScale, linear.values, linear.rows, k);
    for (int64_t i = 0; i < k; ++i)
      scores[i] += s[i];
  }
  qz::ChannelOrder order = qz::outlierGroupingOrder(scores, numOutliers);
  int64_t moved = 0;
  for (int64_t j = 0; j < k; ++j)
    moved += order[j] != j;
  auto remark = [&]() {
    return first.emitRemark()
           << "qnt-reorder-channels: [" << names << "] " << k
           << " input channels, scores from "
           << (act ? "activation max |x| and weights" : "weights only") << ": ";
  };
  if (moved == 0) {
    remark() << "already in order";
    return success();
  }

  PermutePlan plan;
  plan.channels = k;
  bool allPlain = linears.size() == users.size();
  if (!allPlain)
    plan.reason = "a reader of the value has no 2-D plain weight";
  SmallVector<MatmulOp> consumers;
  for (PlainLinear &linear : linears)
    consumers.push_back(linear.op);
  if (allPlain && tracePermutable(input, plan) &&
      checkClosed(input, consumers, plan)) {
    SmallVector<PlainLinear *> ptrs;
    for (PlainLinear &linear : linears)
      ptrs.push_back(&linear);
    if (failed(absorb(plan, ptrs, order)))
      return failure();
    SmallVector<std::string> what;
    for (MatmulOp producer : plan.producers)
      what.push_back("rows of " + describe(producer));
    if (!plan.vectors.empty())
      what.push_back(std::to_string(plan.vectors.size()) +
                     " channel vector(s)");
    remark() << moved << " moved, absorbed into the " << llvm::join(what, ", ");
    return success();
  }
  if (unabsorbed == "skip") {
    remark() << "skipped, not absorbable: " << plan.reason;
    return success();
  }
  for (PlainLinear &linear : linears)
    if (failed(encodePermuted(linear, order)))
      return failure();
  remark() << moved
           << " moved, kept in the encoding (#qnt.permuted), not absorbable: "
           << plan.reason;
  return success();
}

void QntReorderChannelsPass::runOnOperation() {
  FunctionOpInterface func = getOperation();
  if (unabsorbed != "encode" && unabsorbed != "skip") {
    func.emitError() << "qnt-reorder-channels: unknown unabsorbed='"
                     << unabsorbed << "' (expected encode or skip)";
    return signalPassFailure();
  }
  if (numOutliers < -1) {
    func.emitError() << "qnt-reorder-channels: num-outliers must be >= 0, "
                        "or -1 to sort all channels; got "
                     << int64_t(numOutliers);
    return signalPassFailure();
  }
  // Groups of qnt.matmul ops reading one value (through reshapes that keep
  // the channels innermost), in program order; handled latest first, so
  // that a producer's rows are permuted while its weight is still plain.
  llvm::MapVector<Value, SmallVector<MatmulOp>> groups;
  func.walk([&](MatmulOp op) {
    SmallVector<MatmulOp> &users = groups[getChannelRoot(op.getLhs())];
    if (!llvm::is_contained(users, op))
      users.push_back(op);
  });
  SmallVector<Value> inputs;
  for (auto &entry : groups)
    inputs.push_back(entry.first);
  for (Value input : llvm::reverse(inputs)) {
    SmallVector<MatmulOp> &users = groups[input];
    if (failed(reorderGroup(input, users)))
      return signalPassFailure();
  }
}

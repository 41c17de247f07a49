//===- RotateWeights.cpp - fold Hadamard rotations into linear pairs ------===//
//
// y = C (P x) = (C Q^T) (Q P x) for an orthogonal Q: rotating the output
// channels of a producer P and the input columns of its consumers C leaves
// the model unchanged, while the rotated weights spread outlier columns
// over whole blocks, which quantizes better. Between P and C there may be
// ops that move whole blocks of channels around without mixing inside one
// (reshape / transpose keeping the channels innermost, the right-hand side
// of a batched matmul): then Q is block-diagonal with one random Hadamard
// block per head, which those ops commute with. This is the V -> O path of
// attention; paths through nonlinear ops (softmax, silu) are left alone.
//
//===----------------------------------------------------------------------===//

#include "ChannelUtils.h"

#include "quant/Dialect/Qnt/Transforms/Passes.h"
#include "quant/Quantize/Outliers.h"

#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/StringSet.h"

#include <numeric>

namespace mlir::qnt {
#define GEN_PASS_DEF_QNTROTATEWEIGHTSPASS
#include "quant/Dialect/Qnt/Transforms/Passes.h.inc"
} // namespace mlir::qnt

using namespace mlir;
using namespace mlir::qnt;
using namespace mlir::qnt::channel;
namespace qz = mlir::qnt::quantize;

namespace {

struct RotatePlan {
  SmallVector<MatmulOp> consumers;
  llvm::SetVector<Operation *> ops;
  /// gcd of the channel extents along the path.
  int64_t block = 0;
  std::string reason;
};

/// Follows the users of `value` (channels innermost) to the consumers.
static bool traceForward(Value value, RotatePlan &plan) {
  int64_t last = getLastDim(value);
  if (last <= 0) {
    plan.reason = "a value on the path has no static channel dimension";
    return false;
  }
  plan.block = std::gcd(plan.block, last);
  for (OpOperand &use : value.getUses()) {
    Operation *user = use.getOwner();
    if (auto matmul = dyn_cast<MatmulOp>(user)) {
      auto weight = matmul.getWeight().getDefiningOp<ConstantOp>();
      if (use.getOperandNumber() != 0 || !weight ||
          !isa<PlainAttr>(weight.getType().getEncoding()) ||
          weight.getType().getRank() != 2) {
        plan.reason = "a qnt.matmul reads the channels other than as the lhs "
                      "of a 2-D plain weight";
        return false;
      }
      if (!llvm::is_contained(plan.consumers, matmul))
        plan.consumers.push_back(matmul);
      continue;
    }
    bool blockWise = false;
    if (isa<tosa::ReshapeOp>(user) && use.getOperandNumber() == 0)
      blockWise = true;
    if (auto transpose = dyn_cast<tosa::TransposeOp>(user)) {
      ArrayRef<int32_t> perms = transpose.getPerms();
      blockWise = !perms.empty() && perms.back() == int32_t(perms.size()) - 1;
    }
    // out = A @ V mixes rows of V, not the channels inside a row.
    if (isa<tosa::MatMulOp>(user) && use.getOperandNumber() == 1)
      blockWise = true;
    if (!blockWise) {
      plan.reason = user->hasTrait<OpTrait::IsTerminator>()
                        ? "the channels are returned"
                        : "'" + user->getName().getStringRef().str() +
                              "' does not commute with a rotation of the "
                              "channels";
      return false;
    }
    if (plan.ops.insert(user) && !traceForward(user->getResult(0), plan))
      return false;
  }
  return true;
}

struct QntRotateWeightsPass
    : qnt::impl::QntRotateWeightsPassBase<QntRotateWeightsPass> {
  using Base::Base;
  void runOnOperation() override;

private:
  LogicalResult rotate(MatmulOp producer, RotatePlan &plan);
};

} // namespace

LogicalResult QntRotateWeightsPass::rotate(MatmulOp producer,
                                           RotatePlan &plan) {
  int64_t b = plan.block;
  llvm::Expected<qz::HadamardRotation> rotation =
      qz::HadamardRotation::create(b, seed, maxBlock);
  if (!rotation)
    return producer.emitError()
           << "qnt-rotate-weights: " << llvm::toString(rotation.takeError());
  std::optional<PlainLinear> p = getPlainLinear(producer);
  if (!p)
    return producer.emitOpError("cannot read the plain weight");
  // Q on every block of b rows of P (and of its bias).
  std::vector<float> rows = p->values;
  for (int64_t r = 0; r < p->rows; r += b) {
    ArrayRef<float> chunk(rows.data() + r * p->cols, b * p->cols);
    std::vector<float> rotated = rotation->rotateProducer(chunk, p->cols);
    std::copy(rotated.begin(), rotated.end(), rows.begin() + r * p->cols);
  }
  if (failed(setPlainWeight(*p, rows)))
    return failure();
  if (Value bias = producer.getBias()) {
    std::vector<float> values = *getFloatConstant(bias);
    for (int64_t r = 0; r < p->rows; r += b)
      rotation->apply(values.data() + r);
    OpBuilder builder(producer);
    producer.getBiasMutable().assign(
        makeFloatConstant(builder, bias.getLoc(),
                          cast<RankedTensorType>(bias.getType()), values));
  }
  // Q on every block of b columns of each consumer row: W Q^T.
  std::string names;
  for (MatmulOp consumer : plan.consumers) {
    std::optional<PlainLinear> c = getPlainLinear(consumer);
    if (!c)
      return consumer.emitOpError("cannot read the plain weight");
    std::vector<float> values = c->values;
    for (int64_t r = 0; r < c->rows; ++r)
      for (int64_t k = 0; k < c->cols; k += b)
        rotation->apply(values.data() + r * c->cols + k);
    if (failed(setPlainWeight(*c, values)))
      return failure();
    // The statistics of the unrotated input no longer apply.
    consumer->removeAttr(kInputAbsMaxAttr);
    consumer->removeAttr(kInputMeanAbsAttr);
    names += (names.empty() ? "" : ", ") + describe(consumer);
  }
  std::string blocks;
  for (int64_t size : rotation->getBlocks())
    blocks += (blocks.empty() ? "" : "+") + std::to_string(size);
  producer.emitRemark() << "qnt-rotate-weights: " << describe(producer)
                        << " -> [" << names << "]: " << p->rows / b
                        << " block(s) of " << b << " channels (Hadamard "
                        << blocks << ") folded into its rows and their "
                        << "columns";
  return success();
}

void QntRotateWeightsPass::runOnOperation() {
  FunctionOpInterface func = getOperation();
  if (maxBlock < 0 ||
      (maxBlock > 0 && !llvm::isPowerOf2_64(uint64_t(int64_t(maxBlock))))) {
    func.emitError() << "qnt-rotate-weights: max-block must be a power of "
                        "two or 0, got "
                     << int64_t(maxBlock);
    return signalPassFailure();
  }
  llvm::StringSet<> wanted;
  for (const std::string &name : layers)
    wanted.insert(name);
  SmallVector<MatmulOp> candidates;
  func.walk([&](MatmulOp op) {
    auto name = op->getAttrOfType<StringAttr>("qnt.layer");
    if (!wanted.empty() && (!name || !wanted.contains(name.getValue())))
      return;
    candidates.push_back(op);
  });
  for (MatmulOp op : candidates) {
    auto remarkSkip = [&]() {
      return op.emitRemark()
             << "qnt-rotate-weights: " << describe(op) << " not rotated: ";
    };
    auto weight = op.getWeight().getDefiningOp<ConstantOp>();
    if (!weight || !isa<PlainAttr>(weight.getType().getEncoding()) ||
        weight.getType().getRank() != 2) {
      if (!wanted.empty())
        remarkSkip() << "no 2-D plain weight";
      continue;
    }
    if (op.getActivation() != Activation::None || op.getResidual()) {
      remarkSkip() << "it has an activation or a residual";
      continue;
    }
    if (op.getBias() && !getFloatConstant(op.getBias())) {
      remarkSkip() << "its bias is not constant";
      continue;
    }
    RotatePlan plan;
    if (!traceForward(op.getResult(), plan)) {
      remarkSkip() << plan.reason;
      continue;
    }
    if (plan.consumers.empty()) {
      remarkSkip() << "no qnt.matmul reads its output";
      continue;
    }
    if (failed(rotate(op, plan)))
      return signalPassFailure();
  }
}

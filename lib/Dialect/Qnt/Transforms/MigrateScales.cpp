//===- MigrateScales.cpp - AWQ / SmoothQuant scale migration --------------===//
//
// y = W x = (W diag(s)) (x / s): per-input-channel scales move the range of
// the activation outliers into the weights (SmoothQuant) or protect the
// weights of the salient channels from rounding (AWQ). The model stays
// equivalent only when the producer of x can emit x / s, so the scales are
// folded into
//  - a constant channel vector it multiplies by (a norm's gamma),
//  - the rows and bias of a producing qnt.matmul without activation and
//    residual,
//  - one factor of an elementwise product (SwiGLU: up in silu(gate) * up),
// and the consumers' columns. Statistics come from the `qnt.input_absmax` /
// `qnt.input_meanabs` attributes calibration attaches to each qnt.matmul;
// they are rescaled with the input.
//
//===----------------------------------------------------------------------===//

#include "ChannelUtils.h"

#include "quant/Dialect/Qnt/Transforms/Passes.h"
#include "quant/Quantize/Outliers.h"
#include "quant/Quantize/QuantFormat.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "llvm/Support/FormatVariadic.h"

#include <algorithm>

#include <cmath>

namespace mlir::qnt {
#define GEN_PASS_DEF_QNTMIGRATESCALESPASS
#include "quant/Dialect/Qnt/Transforms/Passes.h.inc"
} // namespace mlir::qnt

using namespace mlir;
using namespace mlir::qnt;
using namespace mlir::qnt::channel;
namespace qz = mlir::qnt::quantize;

namespace {

/// Where the producer of a value takes the 1 / s.
struct FoldTarget {
  /// A qnt.matmul whose rows and bias are divided by s...
  MatmulOp producer;
  /// ...or a constant channel-vector operand divided by s.
  OpOperand *vector = nullptr;
  std::string reason;
};

/// Finds how `value` (channels last) can come out divided by s.
static bool findFoldTarget(Value value, int64_t channels, FoldTarget &target) {
  Operation *def = value.getDefiningOp();
  if (!def) {
    target.reason = "the input is a function argument";
    return false;
  }
  if (auto matmul = dyn_cast<MatmulOp>(def)) {
    auto weight = matmul.getWeight().getDefiningOp<ConstantOp>();
    if (!weight || !isa<PlainAttr>(weight.getType().getEncoding()) ||
        weight.getType().getRank() != 2) {
      target.reason = "the producing qnt.matmul has no 2-D plain weight";
      return false;
    }
    if (matmul.getActivation() != Activation::None || matmul.getResidual()) {
      target.reason = "the producing qnt.matmul has an activation or a "
                      "residual";
      return false;
    }
    if (matmul.getBias() && !getFloatConstant(matmul.getBias())) {
      target.reason = "the producing qnt.matmul has a non-constant bias";
      return false;
    }
    target.producer = matmul;
    return true;
  }
  if (isChannelPreservingReshape(def)) {
    if (!def->getOperand(0).hasOneUse()) {
      target.reason = "the input of a reshape is also read elsewhere";
      return false;
    }
    return findFoldTarget(def->getOperand(0), channels, target);
  }
  auto mul = dyn_cast<tosa::MulOp>(def);
  if (!mul) {
    target.reason = "the input is produced by '" +
                    def->getName().getStringRef().str() +
                    "', which cannot fold a per-channel scale";
    return false;
  }
  // x = a * gamma: gamma / s.
  for (unsigned i = 0; i < 2; ++i) {
    OpOperand &operand = mul->getOpOperand(i);
    if (isChannelVectorType(operand.get().getType(), channels) &&
        getFloatConstant(operand.get()) &&
        mul->getOperand(1 - i).getType() == value.getType()) {
      target.vector = &operand;
      return true;
    }
  }
  // x = a * b elementwise: one factor takes the 1 / s (the later one
  // first: SwiGLU's up projection).
  if (mul.getInput1().getType() == value.getType() &&
      mul.getInput2().getType() == value.getType()) {
    for (Value factor : {mul.getInput2(), mul.getInput1()}) {
      if (!factor.hasOneUse())
        continue;
      FoldTarget inner;
      if (findFoldTarget(factor, channels, inner)) {
        target = inner;
        return true;
      }
      // Report why the preferred factor could not take the scales.
      if (target.reason.empty())
        target.reason = inner.reason;
    }
    if (target.reason.empty())
      target.reason = "the factors of the product are read elsewhere";
    return false;
  }
  target.reason = "'tosa.mul' broadcasts in a way that mixes channels";
  return false;
}

struct QntMigrateScalesPass
    : qnt::impl::QntMigrateScalesPassBase<QntMigrateScalesPass> {
  using Base::Base;
  void runOnOperation() override;

private:
  LogicalResult migrateGroup(Value input, ArrayRef<MatmulOp> users,
                             const qz::QuantFormat *awqFormat);
};

} // namespace

static DenseElementsAttr makeVectorAttr(MLIRContext *ctx,
                                        ArrayRef<float> values) {
  return DenseElementsAttr::get(
      RankedTensorType::get({int64_t(values.size())}, Float32Type::get(ctx)),
      values);
}

LogicalResult
QntMigrateScalesPass::migrateGroup(Value input, ArrayRef<MatmulOp> users,
                                   const qz::QuantFormat *awqFormat) {
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
  auto remark = [&]() {
    return first.emitRemark()
           << "qnt-migrate-scales: [" << names << "] " << method << ": ";
  };

  std::optional<std::vector<float>> absMax, meanAbs;
  for (PlainLinear &linear : linears) {
    if (failed(verifyChannelStat(linear.op, kInputAbsMaxAttr, k)) ||
        failed(verifyChannelStat(linear.op, kInputMeanAbsAttr, k)))
      return failure();
    if (!absMax)
      absMax = getChannelStat(linear.op, kInputAbsMaxAttr, k);
    if (!meanAbs)
      meanAbs = getChannelStat(linear.op, kInputMeanAbsAttr, k);
  }
  bool smooth = method == "smoothquant";
  if (smooth ? !absMax : !(meanAbs || absMax)) {
    remark() << "skipped, no activation statistics ("
             << (smooth ? "qnt.input_absmax" : "qnt.input_meanabs") << ")";
    return success();
  }
  if (linears.size() != users.size()) {
    remark() << "skipped, a reader of the input has no 2-D plain weight";
    return success();
  }
  SmallVector<Operation *> views;
  SmallVector<OpOperand *> uses;
  collectChannelUses(input, views, uses);
  for (OpOperand *use : uses)
    if (!isa<MatmulOp>(use->getOwner()) || use->getOperandNumber() != 0) {
      remark() << "skipped, the input is also read by '"
               << use->getOwner()->getName() << "'";
      return success();
    }
  FoldTarget target;
  if (!findFoldTarget(input, k, target)) {
    remark() << "skipped, not foldable: " << target.reason;
    return success();
  }

  // The consumers side by side: one [sum N, K] matrix.
  std::vector<float> stacked;
  int64_t rows = 0;
  for (PlainLinear &linear : linears) {
    stacked.insert(stacked.end(), linear.values.begin(), linear.values.end());
    rows += linear.rows;
  }
  std::vector<float> scales;
  std::string detail;
  if (smooth) {
    scales = qz::smoothQuantScales(*absMax, stacked, rows, k, alpha);
  } else {
    std::vector<double> act(k), diag(k);
    const std::vector<float> &stat = meanAbs ? *meanAbs : *absMax;
    for (int64_t i = 0; i < k; ++i) {
      act[i] = stat[i];
      // E[x^2] per channel is not recorded: (mean |x|)^2 stands in for the
      // diagonal of X^T X when weighting the output error.
      diag[i] = double(stat[i]) * stat[i];
    }
    qz::AWQOptions options;
    options.gridPoints = gridPoints;
    llvm::Expected<qz::AWQResult> result =
        qz::searchAWQScales(*awqFormat, stacked, rows, k, act, diag, options);
    if (!result)
      return first.emitError() << "qnt-migrate-scales: AWQ search failed: "
                               << llvm::toString(result.takeError());
    if (result->alpha < 0) {
      remark() << "no scaling beats s = 1 for " << awqFormat->getName();
      return success();
    }
    scales = std::move(result->scales);
    detail = "alpha " + llvm::formatv("{0:F2}", result->alpha).str() +
             ", error " + llvm::formatv("{0:E2}", result->baselineError).str() +
             " -> " + llvm::formatv("{0:E2}", result->error).str();
  }
  for (float s : scales)
    if (!(s > 0.0f) || !std::isfinite(s))
      return first.emitError()
             << "qnt-migrate-scales: a scale is not positive and finite";
  std::vector<float> inverse = qz::reciprocal(scales);

  // Consumers: W diag(s); their input statistics become those of x / s.
  for (PlainLinear &linear : linears) {
    if (failed(setPlainWeight(
            linear, qz::scaleColumns(linear.values, linear.rows, k, scales))))
      return failure();
    for (StringRef name : {kInputAbsMaxAttr, kInputMeanAbsAttr})
      if (auto stat = getChannelStat(linear.op, name, k)) {
        for (int64_t i = 0; i < k; ++i)
          (*stat)[i] *= inverse[i];
        linear.op->setAttr(name, makeVectorAttr(&getContext(), *stat));
      }
  }
  std::string where;
  if (target.producer) {
    std::optional<PlainLinear> producer = getPlainLinear(target.producer);
    if (!producer)
      return target.producer.emitOpError("cannot read the plain weight");
    if (failed(setPlainWeight(*producer,
                              qz::scaleRows(producer->values, producer->rows,
                                            producer->cols, inverse))))
      return failure();
    if (Value bias = target.producer.getBias()) {
      std::vector<float> values = *getFloatConstant(bias);
      for (int64_t i = 0; i < k; ++i)
        values[i] *= inverse[i];
      OpBuilder b(target.producer);
      target.producer.getBiasMutable().assign(makeFloatConstant(
          b, bias.getLoc(), cast<RankedTensorType>(bias.getType()), values));
    }
    where = "rows of " + describe(target.producer);
  } else {
    std::vector<float> values = *getFloatConstant(target.vector->get());
    for (int64_t i = 0; i < k; ++i)
      values[i] *= inverse[i];
    OpBuilder b(target.vector->getOwner());
    target.vector->set(makeFloatConstant(
        b, target.vector->get().getLoc(),
        cast<RankedTensorType>(target.vector->get().getType()), values));
    where = "a channel vector of '" +
            target.vector->getOwner()->getName().getStringRef().str() + "'";
  }
  auto [lo, hi] = std::minmax_element(scales.begin(), scales.end());
  remark() << "scales in [" << llvm::formatv("{0:F2}", *lo).str() << ", "
           << llvm::formatv("{0:F2}", *hi).str() << "] folded into " << where
           << (detail.empty() ? "" : "; " + detail);
  return success();
}

void QntMigrateScalesPass::runOnOperation() {
  FunctionOpInterface func = getOperation();
  if (method != "awq" && method != "smoothquant") {
    func.emitError() << "qnt-migrate-scales: unknown method '" << method
                     << "' (expected awq or smoothquant)";
    return signalPassFailure();
  }
  if (!(alpha >= 0.0 && alpha <= 1.0)) {
    func.emitError() << "qnt-migrate-scales: alpha must be in [0, 1], got "
                     << alpha;
    return signalPassFailure();
  }
  if (gridPoints < 2) {
    func.emitError() << "qnt-migrate-scales: grid-points must be >= 2, got "
                     << int64_t(gridPoints);
    return signalPassFailure();
  }
  std::optional<qz::QuantFormat> awqFormat;
  if (method == "awq") {
    llvm::Expected<qz::QuantFormat> parsed = qz::QuantFormat::parse(format);
    if (!parsed) {
      func.emitError() << "qnt-migrate-scales: bad format '" << format
                       << "': " << llvm::toString(parsed.takeError());
      return signalPassFailure();
    }
    awqFormat = *parsed;
  }
  llvm::MapVector<Value, SmallVector<MatmulOp>> groups;
  func.walk([&](MatmulOp op) {
    SmallVector<MatmulOp> &users = groups[getChannelRoot(op.getLhs())];
    if (!llvm::is_contained(users, op))
      users.push_back(op);
  });
  // Latest first, so a producer's rows are rescaled while they are plain.
  SmallVector<Value> inputs;
  for (auto &entry : groups)
    inputs.push_back(entry.first);
  for (Value input : llvm::reverse(inputs))
    if (failed(migrateGroup(input, groups[input],
                            awqFormat ? &*awqFormat : nullptr)))
      return signalPassFailure();
}

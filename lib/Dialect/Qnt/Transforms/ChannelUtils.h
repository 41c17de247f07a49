//===- ChannelUtils.h - shared helpers of the outlier passes ----*- C++ -*-===//
//
// Reading and rewriting the float constants that the channel transforms
// (qnt-reorder-channels, qnt-migrate-scales, qnt-rotate-weights,
// qnt-outliers) change: #qnt.plain weights of qnt.matmul, bias and norm
// gamma vectors, and the per-input-channel activation statistics that
// calibration attaches to a qnt.matmul.
//
//===----------------------------------------------------------------------===//

#ifndef QUANT_LIB_DIALECT_QNT_TRANSFORMS_CHANNELUTILS_H
#define QUANT_LIB_DIALECT_QNT_TRANSFORMS_CHANNELUTILS_H

#include "quant/Dialect/Qnt/IR/QntAttrs.h"
#include "quant/Dialect/Qnt/IR/QntOps.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/SetVector.h"

#include <optional>
#include <vector>

namespace mlir::qnt::channel {

/// Per-input-channel max |x| of a qnt.matmul's lhs (dense [K] f32).
inline constexpr llvm::StringLiteral kInputAbsMaxAttr = "qnt.input_absmax";
/// Per-input-channel mean |x| of a qnt.matmul's lhs (dense [K] f32).
inline constexpr llvm::StringLiteral kInputMeanAbsAttr = "qnt.input_meanabs";

/// A qnt.matmul whose weight is a 2-D #qnt.plain constant.
struct PlainLinear {
  MatmulOp op;
  ConstantOp weight;
  int64_t rows = 0, cols = 0; // N, K
  std::vector<float> values;  // row-major [N, K]
};

/// `op` as a PlainLinear (values read), or nullopt when its weight is not a
/// 2-D #qnt.plain constant.
std::optional<PlainLinear> getPlainLinear(MatmulOp op);

/// Replaces the weight of `linear.op` with a #qnt.plain constant (of the
/// original storage type) holding `values`; the old constant is erased when
/// unused.
LogicalResult setPlainWeight(PlainLinear &linear, ArrayRef<float> values);

/// Replaces the weight of `linear.op` with a constant of `encoding` whose
/// parts are `parts` (bytes in getParts order).
LogicalResult setEncodedWeight(PlainLinear &linear, Attribute encoding,
                               const PartsData &parts);

/// The f32 values of a constant float tensor (arith.constant, tosa.const,
/// qnt-free), seen through tosa.reshape; nullopt otherwise.
std::optional<std::vector<float>> getFloatConstant(Value value);

/// A new arith.constant of `type` (f32 elements) with `values`, created
/// before `user`.
Value makeFloatConstant(OpBuilder &b, Location loc, RankedTensorType type,
                        ArrayRef<float> values);

/// A per-channel statistic attribute of `op` with `k` values, if present.
std::optional<std::vector<float>> getChannelStat(Operation *op, StringRef name,
                                                 int64_t k);

/// Fails (with an error at `op`) when the attribute is present but not a
/// dense f32 vector of `k` values.
LogicalResult verifyChannelStat(Operation *op, StringRef name, int64_t k);

/// A short name for remarks: the `qnt.layer` attribute, else the location.
std::string describe(MatmulOp op);

/// The last dimension of a ranked tensor value (-1 otherwise).
int64_t getLastDim(Value value);

/// Whether `type` is a ranked tensor [1, ..., 1, channels] (a channel vector
/// such as a norm's gamma).
bool isChannelVectorType(Type type, int64_t channels);

/// Whether `op` is a tosa.reshape that keeps the innermost (channel)
/// dimension: it only regroups rows, so channel k stays channel k.
bool isChannelPreservingReshape(Operation *op);

/// `value` seen through channel-preserving reshapes towards its producer.
Value getChannelRoot(Value value);

/// The uses of `root` and of its channel-preserving reshape views: the views
/// go to `views`, every other use to `uses`.
void collectChannelUses(Value root, SmallVectorImpl<Operation *> &views,
                        SmallVectorImpl<OpOperand *> &uses);

} // namespace mlir::qnt::channel

#endif // QUANT_LIB_DIALECT_QNT_TRANSFORMS_CHANNELUTILS_H

#include "EncodingUtils.h"
#include "quant/Dialect/Qnt/IR/QntOps.h"
#include "mlir/IR/Builders.h"
using namespace mlir;
using namespace mlir::qnt;

Value UniformAttr::buildDecodeElement(OpBuilder &, Location, ArrayRef<int64_t>, ValueRange, ValueRange) const { return {}; }
FailureOr<SmallVector<Value>> UniformAttr::buildEncode(OpBuilder &, Location, ArrayRef<int64_t>, Value, ValueRange) const { return failure(); }

Value MinifloatAttr::buildDecodeElement(OpBuilder &, Location, ArrayRef<int64_t>, ValueRange, ValueRange) const { return {}; }
FailureOr<SmallVector<Value>> MinifloatAttr::buildEncode(OpBuilder &, Location, ArrayRef<int64_t>, Value, ValueRange) const { return failure(); }

Value LutAttr::buildDecodeElement(OpBuilder &, Location, ArrayRef<int64_t>, ValueRange, ValueRange) const { return {}; }
FailureOr<SmallVector<Value>> LutAttr::buildEncode(OpBuilder &, Location, ArrayRef<int64_t>, Value, ValueRange) const { return failure(); }

Value CodebookAttr::buildDecodeElement(OpBuilder &, Location, ArrayRef<int64_t>, ValueRange, ValueRange) const { return {}; }
FailureOr<SmallVector<Value>> CodebookAttr::buildEncode(OpBuilder &, Location, ArrayRef<int64_t>, Value, ValueRange) const { return failure(); }

Value BinaryAttr::buildDecodeElement(OpBuilder &, Location, ArrayRef<int64_t>, ValueRange, ValueRange) const { return {}; }
FailureOr<SmallVector<Value>> BinaryAttr::buildEncode(OpBuilder &, Location, ArrayRef<int64_t>, Value, ValueRange) const { return failure(); }

Value TernaryAttr::buildDecodeElement(OpBuilder &, Location, ArrayRef<int64_t>, ValueRange, ValueRange) const { return {}; }
FailureOr<SmallVector<Value>> TernaryAttr::buildEncode(OpBuilder &, Location, ArrayRef<int64_t>, Value, ValueRange) const { return failure(); }

Value SparseAttr::buildDecodeElement(OpBuilder &, Location, ArrayRef<int64_t>, ValueRange, ValueRange) const { return {}; }
FailureOr<SmallVector<Value>> SparseAttr::buildEncode(OpBuilder &, Location, ArrayRef<int64_t>, Value, ValueRange) const { return failure(); }

Value OutliersAttr::buildDecodeElement(OpBuilder &, Location, ArrayRef<int64_t>, ValueRange, ValueRange) const { return {}; }
FailureOr<SmallVector<Value>> OutliersAttr::buildEncode(OpBuilder &, Location, ArrayRef<int64_t>, Value, ValueRange) const { return failure(); }

Value LowRankAttr::buildDecodeElement(OpBuilder &, Location, ArrayRef<int64_t>, ValueRange, ValueRange) const { return {}; }
FailureOr<SmallVector<Value>> LowRankAttr::buildEncode(OpBuilder &, Location, ArrayRef<int64_t>, Value, ValueRange) const { return failure(); }

Value PermutedAttr::buildDecodeElement(OpBuilder &, Location, ArrayRef<int64_t>, ValueRange, ValueRange) const { return {}; }
FailureOr<SmallVector<Value>> PermutedAttr::buildEncode(OpBuilder &, Location, ArrayRef<int64_t>, Value, ValueRange) const { return failure(); }

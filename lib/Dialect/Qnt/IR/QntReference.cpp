#include "EncodingUtils.h"
#include "quant/Dialect/Qnt/IR/QntOps.h"
#include "mlir/IR/Builders.h"
using namespace mlir;
using namespace mlir::qnt;

LogicalResult UniformAttr::referenceEncode(ArrayRef<int64_t>, ArrayRef<float>, ArrayRef<ArrayRef<uint8_t>>, PartsData &, function_ref<InFlightDiagnostic()> emitError) const { return emitError() << "PENDING"; }
LogicalResult UniformAttr::referenceDecode(ArrayRef<int64_t>, ArrayRef<ArrayRef<uint8_t>>, MutableArrayRef<float>, function_ref<InFlightDiagnostic()> emitError) const { return emitError() << "PENDING"; }

LogicalResult MinifloatAttr::referenceEncode(ArrayRef<int64_t>, ArrayRef<float>, ArrayRef<ArrayRef<uint8_t>>, PartsData &, function_ref<InFlightDiagnostic()> emitError) const { return emitError() << "PENDING"; }
LogicalResult MinifloatAttr::referenceDecode(ArrayRef<int64_t>, ArrayRef<ArrayRef<uint8_t>>, MutableArrayRef<float>, function_ref<InFlightDiagnostic()> emitError) const { return emitError() << "PENDING"; }

LogicalResult LutAttr::referenceEncode(ArrayRef<int64_t>, ArrayRef<float>, ArrayRef<ArrayRef<uint8_t>>, PartsData &, function_ref<InFlightDiagnostic()> emitError) const { return emitError() << "PENDING"; }
LogicalResult LutAttr::referenceDecode(ArrayRef<int64_t>, ArrayRef<ArrayRef<uint8_t>>, MutableArrayRef<float>, function_ref<InFlightDiagnostic()> emitError) const { return emitError() << "PENDING"; }

LogicalResult CodebookAttr::referenceEncode(ArrayRef<int64_t>, ArrayRef<float>, ArrayRef<ArrayRef<uint8_t>>, PartsData &, function_ref<InFlightDiagnostic()> emitError) const { return emitError() << "PENDING"; }
LogicalResult CodebookAttr::referenceDecode(ArrayRef<int64_t>, ArrayRef<ArrayRef<uint8_t>>, MutableArrayRef<float>, function_ref<InFlightDiagnostic()> emitError) const { return emitError() << "PENDING"; }

LogicalResult BinaryAttr::referenceEncode(ArrayRef<int64_t>, ArrayRef<float>, ArrayRef<ArrayRef<uint8_t>>, PartsData &, function_ref<InFlightDiagnostic()> emitError) const { return emitError() << "PENDING"; }
LogicalResult BinaryAttr::referenceDecode(ArrayRef<int64_t>, ArrayRef<ArrayRef<uint8_t>>, MutableArrayRef<float>, function_ref<InFlightDiagnostic()> emitError) const { return emitError() << "PENDING"; }

LogicalResult TernaryAttr::referenceEncode(ArrayRef<int64_t>, ArrayRef<float>, ArrayRef<ArrayRef<uint8_t>>, PartsData &, function_ref<InFlightDiagnostic()> emitError) const { return emitError() << "PENDING"; }
LogicalResult TernaryAttr::referenceDecode(ArrayRef<int64_t>, ArrayRef<ArrayRef<uint8_t>>, MutableArrayRef<float>, function_ref<InFlightDiagnostic()> emitError) const { return emitError() << "PENDING"; }

LogicalResult SparseAttr::referenceEncode(ArrayRef<int64_t>, ArrayRef<float>, ArrayRef<ArrayRef<uint8_t>>, PartsData &, function_ref<InFlightDiagnostic()> emitError) const { return emitError() << "PENDING"; }
LogicalResult SparseAttr::referenceDecode(ArrayRef<int64_t>, ArrayRef<ArrayRef<uint8_t>>, MutableArrayRef<float>, function_ref<InFlightDiagnostic()> emitError) const { return emitError() << "PENDING"; }

LogicalResult OutliersAttr::referenceEncode(ArrayRef<int64_t>, ArrayRef<float>, ArrayRef<ArrayRef<uint8_t>>, PartsData &, function_ref<InFlightDiagnostic()> emitError) const { return emitError() << "PENDING"; }
LogicalResult OutliersAttr::referenceDecode(ArrayRef<int64_t>, ArrayRef<ArrayRef<uint8_t>>, MutableArrayRef<float>, function_ref<InFlightDiagnostic()> emitError) const { return emitError() << "PENDING"; }

LogicalResult LowRankAttr::referenceEncode(ArrayRef<int64_t>, ArrayRef<float>, ArrayRef<ArrayRef<uint8_t>>, PartsData &, function_ref<InFlightDiagnostic()> emitError) const { return emitError() << "PENDING"; }
LogicalResult LowRankAttr::referenceDecode(ArrayRef<int64_t>, ArrayRef<ArrayRef<uint8_t>>, MutableArrayRef<float>, function_ref<InFlightDiagnostic()> emitError) const { return emitError() << "PENDING"; }

LogicalResult PermutedAttr::referenceEncode(ArrayRef<int64_t>, ArrayRef<float>, ArrayRef<ArrayRef<uint8_t>>, PartsData &, function_ref<InFlightDiagnostic()> emitError) const { return emitError() << "PENDING"; }
LogicalResult PermutedAttr::referenceDecode(ArrayRef<int64_t>, ArrayRef<ArrayRef<uint8_t>>, MutableArrayRef<float>, function_ref<InFlightDiagnostic()> emitError) const { return emitError() << "PENDING"; }

#include "EncodingUtils.h"
#include "quant/Dialect/Qnt/IR/QntOps.h"
#include "mlir/IR/Builders.h"
using namespace mlir;
using namespace mlir::qnt;

Attribute UniformAttr::parse(AsmParser &parser, Type) { parser.emitError(parser.getCurrentLocation(), "PENDING"); return {}; }
void UniformAttr::print(AsmPrinter &) const {}
LogicalResult UniformAttr::verifyEncoding(ArrayRef<int64_t>, Type, function_ref<InFlightDiagnostic()>) const { return success(); }

Attribute MinifloatAttr::parse(AsmParser &parser, Type) { parser.emitError(parser.getCurrentLocation(), "PENDING"); return {}; }
void MinifloatAttr::print(AsmPrinter &) const {}
LogicalResult MinifloatAttr::verifyEncoding(ArrayRef<int64_t>, Type, function_ref<InFlightDiagnostic()>) const { return success(); }

Attribute LutAttr::parse(AsmParser &parser, Type) { parser.emitError(parser.getCurrentLocation(), "PENDING"); return {}; }
void LutAttr::print(AsmPrinter &) const {}
LogicalResult LutAttr::verifyEncoding(ArrayRef<int64_t>, Type, function_ref<InFlightDiagnostic()>) const { return success(); }

Attribute CodebookAttr::parse(AsmParser &parser, Type) { parser.emitError(parser.getCurrentLocation(), "PENDING"); return {}; }
void CodebookAttr::print(AsmPrinter &) const {}
LogicalResult CodebookAttr::verifyEncoding(ArrayRef<int64_t>, Type, function_ref<InFlightDiagnostic()>) const { return success(); }

Attribute BinaryAttr::parse(AsmParser &parser, Type) { parser.emitError(parser.getCurrentLocation(), "PENDING"); return {}; }
void BinaryAttr::print(AsmPrinter &) const {}
LogicalResult BinaryAttr::verifyEncoding(ArrayRef<int64_t>, Type, function_ref<InFlightDiagnostic()>) const { return success(); }

Attribute TernaryAttr::parse(AsmParser &parser, Type) { parser.emitError(parser.getCurrentLocation(), "PENDING"); return {}; }
void TernaryAttr::print(AsmPrinter &) const {}
LogicalResult TernaryAttr::verifyEncoding(ArrayRef<int64_t>, Type, function_ref<InFlightDiagnostic()>) const { return success(); }

Attribute SparseAttr::parse(AsmParser &parser, Type) { parser.emitError(parser.getCurrentLocation(), "PENDING"); return {}; }
void SparseAttr::print(AsmPrinter &) const {}
LogicalResult SparseAttr::verifyEncoding(ArrayRef<int64_t>, Type, function_ref<InFlightDiagnostic()>) const { return success(); }

Attribute OutliersAttr::parse(AsmParser &parser, Type) { parser.emitError(parser.getCurrentLocation(), "PENDING"); return {}; }
void OutliersAttr::print(AsmPrinter &) const {}
LogicalResult OutliersAttr::verifyEncoding(ArrayRef<int64_t>, Type, function_ref<InFlightDiagnostic()>) const { return success(); }

Attribute LowRankAttr::parse(AsmParser &parser, Type) { parser.emitError(parser.getCurrentLocation(), "PENDING"); return {}; }
void LowRankAttr::print(AsmPrinter &) const {}
LogicalResult LowRankAttr::verifyEncoding(ArrayRef<int64_t>, Type, function_ref<InFlightDiagnostic()>) const { return success(); }

Attribute PermutedAttr::parse(AsmParser &parser, Type) { parser.emitError(parser.getCurrentLocation(), "PENDING"); return {}; }
void PermutedAttr::print(AsmPrinter &) const {}
LogicalResult PermutedAttr::verifyEncoding(ArrayRef<int64_t>, Type, function_ref<InFlightDiagnostic()>) const { return success(); }

int64_t UniformAttr::getQMin() const { return 0; }
int64_t UniformAttr::getQMax() const { return 0; }
StringRef MinifloatAttr::getPresetName() const { return ""; }
bool LutAttr::isNF4() const { return false; }
LogicalResult UniformAttr::verify(function_ref<InFlightDiagnostic()>, IntegerType, Granularity, Type, bool, unsigned, int64_t) { return success(); }
LogicalResult MinifloatAttr::verify(function_ref<InFlightDiagnostic()>, FloatType, Granularity, Type, bool) { return success(); }
LogicalResult LutAttr::verify(function_ref<InFlightDiagnostic()>, unsigned, Granularity, DenseF32ArrayAttr, Type, Type) { return success(); }
LogicalResult CodebookAttr::verify(function_ref<InFlightDiagnostic()>, unsigned, unsigned, unsigned, Type, Type) { return success(); }
LogicalResult BinaryAttr::verify(function_ref<InFlightDiagnostic()>, Granularity, Type) { return success(); }
LogicalResult TernaryAttr::verify(function_ref<InFlightDiagnostic()>, Granularity, Type) { return success(); }
LogicalResult SparseAttr::verify(function_ref<InFlightDiagnostic()>, SparsityKind, unsigned, unsigned, int64_t, int64_t, Attribute) { return success(); }
LogicalResult OutliersAttr::verify(function_ref<InFlightDiagnostic()>, Attribute, int64_t, Type) { return success(); }
LogicalResult LowRankAttr::verify(function_ref<InFlightDiagnostic()>, Attribute, int64_t, Type) { return success(); }
LogicalResult PermutedAttr::verify(function_ref<InFlightDiagnostic()>, Attribute, int64_t) { return success(); }

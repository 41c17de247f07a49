//===- QntDialect.cpp - qnt dialect registration --------------------------===//

#include "quant/Dialect/Qnt/IR/QntDialect.h"
#include "quant/Dialect/Qnt/IR/QntAttrs.h"
#include "quant/Dialect/Qnt/IR/QntOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::qnt;

#include "quant/Dialect/Qnt/IR/QntDialect.cpp.inc"
#include "quant/Dialect/Qnt/IR/QntEnums.cpp.inc"
#include "quant/Dialect/Qnt/IR/QntInterfaces.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "quant/Dialect/Qnt/IR/QntAttrs.cpp.inc"

void QntDialect::initialize() {
  registerAttributes();
  addOperations<
#define GET_OP_LIST
#include "quant/Dialect/Qnt/IR/QntOps.cpp.inc"
      >();
}

void QntDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "quant/Dialect/Qnt/IR/QntAttrs.cpp.inc"
      >();
}

// The folder of qnt.constant yields its parts array; rebuilding the op from
// it lets canonicalization deduplicate and hoist encoded constants.
Operation *QntDialect::materializeConstant(OpBuilder &builder, Attribute value,
                                           Type type, Location loc) {
  auto parts = dyn_cast<ArrayAttr>(value);
  if (!parts || !getEncoding(type) ||
      !llvm::all_of(parts, llvm::IsaPred<ElementsAttr>))
    return nullptr;
  return ConstantOp::create(builder, loc, type, parts);
}

EncodingAttrInterface mlir::qnt::getEncoding(Type type) {
  auto tensorType = dyn_cast_or_null<RankedTensorType>(type);
  if (!tensorType)
    return {};
  return dyn_cast_or_null<EncodingAttrInterface>(tensorType.getEncoding());
}

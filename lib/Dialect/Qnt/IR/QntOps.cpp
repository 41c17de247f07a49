#include "EncodingUtils.h"
#include "quant/Dialect/Qnt/IR/QntOps.h"
#include "mlir/IR/Builders.h"
using namespace mlir;
using namespace mlir::qnt;

#define GET_OP_CLASSES
#include "quant/Dialect/Qnt/IR/QntOps.cpp.inc"
LogicalResult ConstantOp::verify() { return success(); }
LogicalResult QuantizeOp::verify() { return success(); }
LogicalResult DequantizeOp::verify() { return success(); }
LogicalResult AssembleOp::verify() { return success(); }
LogicalResult DisassembleOp::verify() { return success(); }
LogicalResult MatmulOp::verify() { return success(); }

//===- QntOps.h - qnt dialect operations ------------------------*- C++ -*-===//

#ifndef QUANT_DIALECT_QNT_IR_QNTOPS_H
#define QUANT_DIALECT_QNT_IR_QNTOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "quant/Dialect/Qnt/IR/QntAttrs.h"
#include "quant/Dialect/Qnt/IR/QntDialect.h"

#define GET_OP_CLASSES
#include "quant/Dialect/Qnt/IR/QntOps.h.inc"

#endif // QUANT_DIALECT_QNT_IR_QNTOPS_H

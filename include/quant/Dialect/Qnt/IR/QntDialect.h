//===- QntDialect.h - qnt dialect -------------------------------*- C++ -*-===//

#ifndef QUANT_DIALECT_QNT_IR_QNTDIALECT_H
#define QUANT_DIALECT_QNT_IR_QNTDIALECT_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Dialect.h"

#include "quant/Dialect/Qnt/IR/QntDialect.h.inc"

#endif // QUANT_DIALECT_QNT_IR_QNTDIALECT_H

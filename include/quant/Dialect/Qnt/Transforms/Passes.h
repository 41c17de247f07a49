//===- Passes.h - qnt transformation passes ---------------------*- C++ -*-===//

#ifndef QUANT_DIALECT_QNT_TRANSFORMS_PASSES_H
#define QUANT_DIALECT_QNT_TRANSFORMS_PASSES_H

#include "mlir/Interfaces/FunctionInterfaces.h"
#include "mlir/Pass/Pass.h"

namespace mlir {
namespace qnt {

#define GEN_PASS_DECL
#include "quant/Dialect/Qnt/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "quant/Dialect/Qnt/Transforms/Passes.h.inc"

} // namespace qnt
} // namespace mlir

#endif // QUANT_DIALECT_QNT_TRANSFORMS_PASSES_H

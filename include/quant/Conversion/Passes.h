//===- Passes.h - quant conversion passes -----------------------*- C++ -*-===//

#ifndef QUANT_CONVERSION_PASSES_H
#define QUANT_CONVERSION_PASSES_H

#include "mlir/Pass/Pass.h"

namespace mlir {
class RewritePatternSet;
class TypeConverter;

#define GEN_PASS_DECL
#include "quant/Conversion/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "quant/Conversion/Passes.h.inc"

} // namespace mlir

#endif // QUANT_CONVERSION_PASSES_H

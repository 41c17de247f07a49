//===- ExamplePasses.h - passes of the example plugin -----------*- C++ -*-===//

#ifndef QUANT_EXAMPLES_PLUGIN_EXAMPLEPASSES_H
#define QUANT_EXAMPLES_PLUGIN_EXAMPLEPASSES_H

#include "mlir/Pass/Pass.h"

namespace mlir::qnt::example {

#define GEN_PASS_DECL
#include "ExamplePasses.h.inc"

#define GEN_PASS_REGISTRATION
#include "ExamplePasses.h.inc"

} // namespace mlir::qnt::example

#endif // QUANT_EXAMPLES_PLUGIN_EXAMPLEPASSES_H

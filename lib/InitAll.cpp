//===- InitAll.cpp - register everything quant provides -------------------===//

#include "quant/InitAll.h"

#include "quant/Conversion/Passes.h"
#include "quant/Dialect/Qnt/IR/QntDialect.h"
#include "quant/Dialect/Qnt/Transforms/Passes.h"
#include "quant/Pipelines/Pipelines.h"

#include "mlir/IR/DialectRegistry.h"

void mlir::qnt::registerAllDialects(DialectRegistry &registry) {
  registry.insert<QntDialect>();
}

void mlir::qnt::registerAllPasses() {
  registerQntPasses();
  registerQuantConversionPasses();
  registerPipelines();
}

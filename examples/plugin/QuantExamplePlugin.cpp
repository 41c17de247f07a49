//===- QuantExamplePlugin.cpp - plugin entry points -----------------------===//
//
// Loaded with `--load-pass-plugin` (quant-opt or mlir-opt) and
// `--load-dialect-plugin` (mlir-opt, which does not know the qnt dialect).
//
//===----------------------------------------------------------------------===//

#include "ExamplePasses.h"

#include "quant/Dialect/Qnt/IR/QntDialect.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/Plugins/DialectPlugin.h"
#include "mlir/Tools/Plugins/PassPlugin.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/Support/Compiler.h"

using namespace mlir;

extern "C" LLVM_ATTRIBUTE_WEAK PassPluginLibraryInfo mlirGetPassPluginInfo() {
  return {MLIR_PLUGIN_API_VERSION, "QuantExamplePasses", LLVM_VERSION_STRING,
          []() { qnt::example::registerQntExamplePasses(); }};
}

extern "C" LLVM_ATTRIBUTE_WEAK DialectPluginLibraryInfo
mlirGetDialectPluginInfo() {
  return {
      MLIR_PLUGIN_API_VERSION, "QuantExampleDialects", LLVM_VERSION_STRING,
      [](DialectRegistry *registry) { registry->insert<qnt::QntDialect>(); }};
}

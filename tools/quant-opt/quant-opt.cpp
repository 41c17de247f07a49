//===- quant-opt.cpp - the quant pass driver ------------------------------===//
//
// mlir-opt with every upstream dialect, extension and pass, plus quant's
// dialect, passes and pipelines.
//
//===----------------------------------------------------------------------===//

#include "quant/InitAll.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::registerAllPasses();
  mlir::qnt::registerAllPasses();

  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  mlir::qnt::registerAllDialects(registry);

  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "quant optimizer driver: MLIR passes plus qnt\n", registry));
}

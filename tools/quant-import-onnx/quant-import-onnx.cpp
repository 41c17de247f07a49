//===- quant-import-onnx.cpp - ONNX model to MLIR -------------------------===//
//
// quant-import-onnx model.onnx [-o out.mlir] [--input-shape NAME=1x16]...
// Prints the imported module. The output file is written only when the
// import succeeds.
//
//===----------------------------------------------------------------------===//

#include "quant/Import/ONNX/OnnxImporter.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OperationSupport.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

static llvm::cl::opt<std::string> inputFilename(llvm::cl::Positional,
                                                llvm::cl::desc("<model.onnx>"),
                                                llvm::cl::Required);
static llvm::cl::opt<std::string>
    outputFilename("o", llvm::cl::desc("Output file (default: stdout)"),
                   llvm::cl::value_desc("file"), llvm::cl::init("-"));
static llvm::cl::list<std::string>
    inputShapes("input-shape",
                llvm::cl::desc("Static shape of a graph input: NAME=1x16x256 "
                               "(repeatable)"),
                llvm::cl::value_desc("NAME=DxD..."));
static llvm::cl::opt<std::string>
    entryName("entry",
              llvm::cl::desc("Name of the generated function "
                             "(default: the graph name)"),
              llvm::cl::init(""));
static llvm::cl::opt<bool>
    elideResources("elide-resources",
                   llvm::cl::desc("Elide the dense_resource blobs"),
                   llvm::cl::init(false));
static llvm::cl::opt<bool>
    genericForm("mlir-print-op-generic",
                llvm::cl::desc("Print in the generic op form"),
                llvm::cl::init(false));

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  llvm::cl::ParseCommandLineOptions(
      argc, argv, "quant ONNX importer: model.onnx to MLIR\n");

  qnt::OnnxImportOptions options;
  options.entryName = entryName;
  for (const std::string &text : inputShapes) {
    std::pair<std::string, SmallVector<int64_t>> shape;
    std::string error = qnt::parseOnnxInputShape(text, shape);
    if (!error.empty()) {
      llvm::errs() << "error: --input-shape: " << error << "\n";
      return 1;
    }
    options.inputShapes.push_back(std::move(shape));
  }

  MLIRContext context;
  OwningOpRef<ModuleOp> module =
      qnt::importOnnxModel(inputFilename, context, options);
  if (!module)
    return 1;

  std::string errorMessage;
  auto output = openOutputFile(outputFilename, &errorMessage);
  if (!output) {
    llvm::errs() << "error: " << errorMessage << "\n";
    return 1;
  }
  OpPrintingFlags flags;
  if (elideResources)
    flags.elideLargeResourceString(0);
  if (genericForm)
    flags.printGenericOpForm();
  module->print(output->os(), flags);
  output->os() << "\n";
  output->keep();
  return 0;
}

//===- OnnxImporter.h - ONNX model to MLIR ----------------------*- C++ -*-===//
//
// Imports an ONNX model (.onnx, protobuf) into a module holding one
// func.func on statically shaped tensors: float compute in tosa / linalg /
// tensor / arith / math, quantized parts (QuantizeLinear / DequantizeLinear,
// com.microsoft MatMulNBits) as qnt ops on #qnt encodings, initializers as
// dense_resource blobs. This header is free of protobuf: the importer is its
// own library compiled with exceptions.
//
//===----------------------------------------------------------------------===//

#ifndef QUANT_IMPORT_ONNX_ONNXIMPORTER_H
#define QUANT_IMPORT_ONNX_ONNXIMPORTER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"

#include <string>
#include <utility>

namespace mlir {
class DialectRegistry;
class MLIRContext;

namespace qnt {

struct OnnxImportOptions {
  /// Static shapes for graph inputs, by input name. They replace the
  /// declared shape (and are required for inputs with dynamic dimensions).
  SmallVector<std::pair<std::string, SmallVector<int64_t>>> inputShapes;
  /// Name of the generated function; empty means the graph name, or
  /// "main_graph" when the graph has none.
  std::string entryName;
};

/// Parses "NAME=1x16x256" (the --input-shape syntax) into `result`. Returns
/// an error message, or an empty string on success.
std::string
parseOnnxInputShape(StringRef text,
                    std::pair<std::string, SmallVector<int64_t>> &result);

/// Registers the dialects the importer produces.
void registerOnnxImportDialects(DialectRegistry &registry);

/// Reads the ONNX model at `path` (external data is read relative to the
/// model's directory) and returns the module, or null after emitting a
/// diagnostic through `context`.
OwningOpRef<ModuleOp> importOnnxModel(StringRef path, MLIRContext &context,
                                      const OnnxImportOptions &options = {});

} // namespace qnt
} // namespace mlir

#endif // QUANT_IMPORT_ONNX_ONNXIMPORTER_H

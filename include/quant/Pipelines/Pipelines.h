//===- Pipelines.h - registered quant pipelines -----------------*- C++ -*-===//

#ifndef QUANT_PIPELINES_PIPELINES_H
#define QUANT_PIPELINES_PIPELINES_H

#include "mlir/Pass/PassOptions.h"

namespace mlir {
class OpPassManager;
namespace qnt {

/// Options of the reference pipeline (qnt -> linalg -> loops -> LLVM).
struct ReferencePipelineOptions
    : public PassPipelineOptions<ReferencePipelineOptions> {
  PassOptions::Option<bool> emitCInterface{
      *this, "emit-c-interface",
      llvm::cl::desc("Emit C-compatible wrappers for public functions"),
      llvm::cl::init(true)};
};

/// Lowers a module with qnt ops through the reference lowering to the LLVM
/// dialect: the oracle every backend is checked against.
void buildReferencePipeline(OpPassManager &pm,
                            const ReferencePipelineOptions &options);

/// Registers every quant pipeline with the global pass registry.
void registerPipelines();

} // namespace qnt
} // namespace mlir

#endif // QUANT_PIPELINES_PIPELINES_H

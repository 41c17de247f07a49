//===- Pipelines.h - registered quant pipelines -----------------*- C++ -*-===//

#ifndef QUANT_PIPELINES_PIPELINES_H
#define QUANT_PIPELINES_PIPELINES_H

#include "mlir/Pass/PassOptions.h"

#include <string>

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

/// Options of the CPU pipeline (qnt -> generated SIMD kernels -> LLVM).
struct CpuPipelineOptions : public PassPipelineOptions<CpuPipelineOptions> {
  PassOptions::Option<std::string> cpu{
      *this, "cpu",
      llvm::cl::desc("Target CPU: 'host' or an LLVM CPU name (x86-64-v3, "
                     "sapphirerapids...)"),
      llvm::cl::init("host")};
  PassOptions::Option<std::string> features{
      *this, "features",
      llvm::cl::desc("Target features, e.g. '+avx2,+fma' or '+avx512f'; "
                     "empty: the host's when cpu=host"),
      llvm::cl::init("")};
  PassOptions::Option<int64_t> threads{
      *this, "threads",
      llvm::cl::desc("Threads that split output channels through "
                     "libquant_runtime (1: no threading; 0: one work item "
                     "per tile, the runtime's thread count; > 1: that many "
                     "work items). The thread count itself is the host's "
                     "(quant_rt_set_num_threads)"),
      llvm::cl::init(1)};
  PassOptions::Option<std::string> compute{
      *this, "compute",
      llvm::cl::desc("Kernel arithmetic: f32, or int8 (activations quantized "
                     "per K block, VNNI or AVX2 integer dot products)"),
      llvm::cl::init("f32")};
  PassOptions::Option<int64_t> vectorWidth{
      *this, "vector-width",
      llvm::cl::desc("f32 lanes per vector (0: 16 with AVX-512, else 8)"),
      llvm::cl::init(0)};
  PassOptions::Option<int64_t> tileN{
      *this, "tile-n",
      llvm::cl::desc("Output channels per kernel tile (0: two vectors)"),
      llvm::cl::init(0)};
  PassOptions::Option<int64_t> prefetchDistance{
      *this, "prefetch-distance",
      llvm::cl::desc("Software prefetch distance along the weight stream in "
                     "bytes (0: none, -1: each compute path's default)"),
      llvm::cl::init(-1)};
  PassOptions::Option<bool> vectorizeLinalg{
      *this, "vectorize-linalg",
      llvm::cl::desc("Tile and vectorize the float linalg ops outside the "
                     "kernels (false: scalar loops)"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> emitCInterface{
      *this, "emit-c-interface",
      llvm::cl::desc("Emit C-compatible wrappers for public functions"),
      llvm::cl::init(true)};
};

/// Whether the target the options name has AVX-512F.
bool hasAvx512(const CpuPipelineOptions &options);

/// Whether the target the options name has AVX-512 VNNI.
bool hasAvx512Vnni(const CpuPipelineOptions &options);

/// Lowers a module with qnt ops to the LLVM dialect with generated SIMD
/// kernels for qnt.matmul (convert-qnt-to-cpu); what those do not cover goes
/// through the reference lowering.
void buildCpuPipeline(OpPassManager &pm, const CpuPipelineOptions &options);

/// Registers every quant pipeline with the global pass registry.
void registerPipelines();

} // namespace qnt
} // namespace mlir

#endif // QUANT_PIPELINES_PIPELINES_H

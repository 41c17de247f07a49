//===- Pipelines.cpp - registered quant pipelines -------------------------===//

#include "quant/Pipelines/Pipelines.h"

#include "quant/Conversion/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Conversion/TosaToLinalg/TosaToLinalg.h"
#include "mlir/Conversion/VectorToSCF/VectorToSCF.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/Transforms/RequestCWrappers.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/X86TargetParser.h"

using namespace mlir;

/// Imported models (ONNX) carry their float compute as TOSA; lower it to
/// linalg / arith / tensor first. A no-op on modules without TOSA.
static void addTosaLowering(OpPassManager &pm) {
  OpPassManager &funcPm = pm.nest<func::FuncOp>();
  funcPm.addPass(tosa::createTosaToLinalgNamed());
  funcPm.addPass(tosa::createTosaToLinalg());
  funcPm.addPass(createTosaToArithPass());
  funcPm.addPass(createTosaToTensorPass());
}

void mlir::qnt::buildReferencePipeline(
    OpPassManager &pm, const ReferencePipelineOptions &options) {
  addTosaLowering(pm);
  pm.addPass(createConvertQntToLinalgPass());
  pm.addPass(createCanonicalizerPass());

  bufferization::OneShotBufferizePassOptions bufferizeOptions;
  bufferizeOptions.bufferizeFunctionBoundaries = true;
  bufferizeOptions.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferizeOptions));
  bufferization::BufferDeallocationPipelineOptions deallocOptions;
  bufferization::buildBufferDeallocationPipeline(pm, deallocOptions);
  // Results that alias an argument or a constant come out of deallocation
  // as bufferization.clone, which has no LLVM lowering of its own.
  pm.addPass(createConvertBufferizationToMemRefPass());

  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  // Subviews at loop-carried offsets leave affine.apply behind.
  pm.addPass(createLowerAffinePass());
  // Request C wrappers before math-to-libm declares libm functions, which
  // must keep their plain C names.
  if (options.emitCInterface)
    pm.addNestedPass<func::FuncOp>(LLVM::createLLVMRequestCWrappersPass());
  // libm has no rsqrtf: expand math.rsqrt (from imported normalizations)
  // to 1 / sqrt before the remaining math ops become libm calls.
  math::MathExpandOpsPassOptions expandOptions;
  expandOptions.opMnemonics = {"rsqrt"};
  pm.addPass(math::createMathExpandOpsPass(expandOptions));
  pm.addPass(createConvertMathToLibmPass());
  pm.addPass(createConvertToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createCanonicalizerPass());
}

bool mlir::qnt::hasAvx512(const CpuPipelineOptions &options) {
  StringRef features = options.features;
  if (!features.empty())
    return features.contains("+avx512f");
  StringRef cpu = options.cpu;
  if (cpu == "host") {
    llvm::StringMap<bool> hostFeatures = llvm::sys::getHostCPUFeatures();
    return hostFeatures.lookup("avx512f");
  }
  SmallVector<StringRef> cpuFeatures;
  llvm::X86::getFeaturesForCPU(cpu, cpuFeatures);
  return llvm::is_contained(cpuFeatures, "avx512f");
}

bool mlir::qnt::hasAvx512Vnni(const CpuPipelineOptions &options) {
  StringRef features = options.features;
  if (!features.empty())
    return features.contains("+avx512vnni");
  StringRef cpu = options.cpu;
  if (cpu == "host")
    return llvm::sys::getHostCPUFeatures().lookup("avx512vnni");
  SmallVector<StringRef> cpuFeatures;
  llvm::X86::getFeaturesForCPU(cpu, cpuFeatures);
  return llvm::is_contained(cpuFeatures, "avx512vnni");
}

void mlir::qnt::buildCpuPipeline(OpPassManager &pm,
                                 const CpuPipelineOptions &options) {
  bool avx512 = hasAvx512(options);
  ConvertQntToCPUPassOptions cpuOptions;
  bool int8 = options.compute == "int8";
  bool vnni = int8 && hasAvx512Vnni(options);
  cpuOptions.vectorWidth = options.vectorWidth > 0
                               ? int64_t(options.vectorWidth)
                               : ((avx512 && (!int8 || vnni)) ? 16 : 8);
  cpuOptions.tileN = options.tileN;
  cpuOptions.prefetchDistance = options.prefetchDistance;
  cpuOptions.compute = options.compute;
  cpuOptions.vnni = vnni;
  addTosaLowering(pm);
  pm.addPass(createConvertQntToCPUPass(cpuOptions));
  // Whatever the kernels do not cover takes the reference lowering.
  pm.addPass(createConvertQntToLinalgPass());
  pm.addPass(createCanonicalizerPass());
  if (options.vectorizeLinalg) {
    // The float compute around the kernels: fuse elementwise chains, then
    // tile and vectorize every remaining linalg op.
    pm.addNestedPass<func::FuncOp>(createLinalgElementwiseOpFusionPass());
    VectorizeLinalgPassOptions vectorizeOptions;
    vectorizeOptions.lanes = cpuOptions.vectorWidth;
    pm.addNestedPass<func::FuncOp>(createVectorizeLinalgPass(vectorizeOptions));
    pm.addPass(createCanonicalizerPass());
    pm.addPass(createCSEPass());
  }

  bufferization::OneShotBufferizePassOptions bufferizeOptions;
  bufferizeOptions.bufferizeFunctionBoundaries = true;
  bufferizeOptions.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferizeOptions));
  bufferization::BufferDeallocationPipelineOptions deallocOptions;
  bufferization::buildBufferDeallocationPipeline(pm, deallocOptions);
  // Results that alias an argument or a constant come out of deallocation
  // as bufferization.clone, which has no LLVM lowering of its own.
  pm.addPass(createConvertBufferizationToMemRefPass());
  // The intermediate buffers as views of one workspace: one malloc per call
  // that glibc reuses rather than a heap that is trimmed and faulted back in
  // on every call.
  pm.addNestedPass<func::FuncOp>(createMergeAllocationsPass());
  // Copies into strided views (padded convolution inputs) as loops rather
  // than calls to MLIR's runner utilities.
  pm.addNestedPass<func::FuncOp>(createLowerStridedCopiesPass());

  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  // Threads through libquant_runtime (no libomp): the tile loops become
  // quant_rt_parallel_for calls; whatever stays takes a serial loop.
  ConvertForallToQuantRuntimePassOptions runtimeOptions;
  runtimeOptions.chunks = std::max<int64_t>(0, options.threads);
  runtimeOptions.parallel = options.threads != 1;
  pm.addPass(createConvertForallToQuantRuntimePass(runtimeOptions));
  pm.addNestedPass<func::FuncOp>(createForallToForLoopPass());
  // n-D transfers (vectorized linalg tiles) unroll into 1-D ones rather
  // than going through a stack buffer; before lower-affine, which must see
  // the affine.apply this creates.
  pm.addPass(createConvertVectorToSCFPass(
      VectorTransferToSCFOptions().enableFullUnroll()));
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  // Subviews at loop-carried offsets (recurrent layers' time steps) leave
  // affine.apply behind.
  pm.addPass(createLowerAffinePass());
  if (options.emitCInterface)
    pm.addNestedPass<func::FuncOp>(LLVM::createLLVMRequestCWrappersPass());
  // libm has no rsqrtf: expand math.rsqrt (from imported normalizations)
  // to 1 / sqrt before the remaining math ops become libm calls.
  math::MathExpandOpsPassOptions expandOptions;
  expandOptions.opMnemonics = {"rsqrt"};
  pm.addPass(math::createMathExpandOpsPass(expandOptions));
  // Math with an LLVM intrinsic (floor, fma, sqrt: the vectorized exp and
  // sigmoid polynomials use them) stays vector; the rest becomes libm calls.
  ConvertMathToLLVMPassOptions mathOptions;
  mathOptions.approximateLog1p = false;
  pm.addPass(createConvertMathToLLVMPass(mathOptions));
  pm.addPass(createConvertMathToLibmPass());
  ConvertVectorToLLVMPassOptions vectorOptions;
  vectorOptions.x86Vector = avx512;
  // Vectorized reductions (softmax, norms) as trees, and contraction tiles
  // (attention) as broadcast-and-FMA outer products.
  vectorOptions.reassociateFPReductions = true;
  vectorOptions.vectorContractLowering =
      vector::VectorContractLowering::OuterProduct;
  pm.addPass(createConvertVectorToLLVMPass(vectorOptions));
  pm.addPass(createConvertToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createCanonicalizerPass());
}

void mlir::qnt::registerPipelines() {
  PassPipelineRegistration<ReferencePipelineOptions>(
      "qnt-reference-pipeline",
      "Lower qnt through the reference lowering (linalg, loops) to the LLVM "
      "dialect",
      buildReferencePipeline);
  PassPipelineRegistration<CpuPipelineOptions>(
      "qnt-cpu-pipeline",
      "Lower qnt to the LLVM dialect with generated SIMD kernels for "
      "qnt.matmul (decode in registers, fused epilogue)",
      buildCpuPipeline);
}

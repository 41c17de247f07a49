//===- Compiler.h - the whole compile flow behind quant-compile -*- C++ -*-===//
//
// compileModule takes a module on tensors (qnt ops and encodings allowed),
// generates the model ABI around one public entry function (docs/ABI.md),
// lowers it with the CPU or the reference pipeline and writes MLIR, LLVM IR,
// an object file, a shared library or an executable. quant-compile and the C
// API call it; it reports every problem through the module's MLIRContext.
//
//===----------------------------------------------------------------------===//

#ifndef QUANT_COMPILER_COMPILER_H
#define QUANT_COMPILER_COMPILER_H

#include "quant/Compiler/AutoQuantize.h"
#include "quant/Compiler/Calibration.h"
#include "quant/Target/ObjectEmitter.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace llvm {
class raw_ostream;
} // namespace llvm

namespace mlir {
namespace qnt {

/// What compileModule writes to CompileOptions::outputPath.
enum class EmitKind {
  /// The module after ABI generation, before the lowering pipeline (tensors,
  /// qnt ops, the destination-passing wrapper).
  AbiMLIR,
  /// The lowered module in the LLVM dialect, ABI functions included.
  MLIR,
  /// Optimised LLVM IR (text).
  LLVMIR,
  /// A relocatable object file, plus the C header.
  Object,
  /// A shared library, plus the C header.
  SharedLibrary,
  /// An executable with a main that reads .npy inputs and writes .npy outputs.
  Executable,
};

/// Parses "mlir-abi", "mlir", "llvm", "obj", "so" or "exe".
std::optional<EmitKind> parseEmitKind(StringRef name);

/// Which lowering pipeline compileModule uses.
enum class PipelineKind { Cpu, Reference };

/// The kernel arithmetic of the CPU pipeline (its `compute` option).
enum class ComputeKind {
  /// f32 FMA on the decoded weights: the reference's values up to the
  /// summation order.
  F32,
  /// Activations quantized to int8 per K block at run time, integer dot
  /// products (AVX-512 VNNI, else AVX2) for 2-, 4- and 8-bit integer
  /// weights; other weights keep the f32 kernels.
  Int8,
};

/// Parses "f32" or "int8".
std::optional<ComputeKind> parseComputeKind(StringRef name);

/// One tensor argument or result of the model ABI.
struct AbiTensor {
  std::string name;
  /// numpy descriptor of the element type ("<f4", "|i1", ...).
  std::string dtype;
  Type elementType;
  SmallVector<int64_t> shape;

  int64_t getNumElements() const;
  int64_t getSizeInBytes() const;
};

/// The C ABI compileModule generates for the entry function.
struct ModelAbi {
  /// C identifier that starts every exported symbol (`<prefix>_run`).
  std::string prefix;
  /// The entry function the ABI wraps.
  std::string entry;
  SmallVector<AbiTensor> inputs;
  SmallVector<AbiTensor> outputs;
};

/// Version of the ABI, returned by `<prefix>_abi_version()`.
inline constexpr int kModelAbiVersion = 1;
/// The prefix of the fixed aliases every compiled model also exports.
inline constexpr const char *kModelAliasPrefix = "quant_model";

/// What the compiled model holds, printed by quant-compile.
struct CompileSummary {
  /// Operations per dialect namespace in the module that gets lowered.
  std::map<std::string, int64_t> opsByDialect;
  /// Operations per qnt op name ("qnt.matmul", ...).
  std::map<std::string, int64_t> qntOps;
  /// Constant weight tensors: encoded ones (qnt.constant) and plain ones.
  int64_t numEncodedWeights = 0;
  int64_t numPlainWeights = 0;
  /// Bytes of every weight as a plain float tensor of its logical type.
  uint64_t weightBytesFloat = 0;
  /// Bytes actually stored: the physical parts of every qnt.constant plus
  /// the plain constants.
  uint64_t weightBytesEncoded = 0;
  /// Fused kernels the backend generates (qnt.matmul ops).
  int64_t kernels = 0;

  void print(llvm::raw_ostream &os) const;
};

/// Computes the summary of `module` as it is now.
CompileSummary summarizeModule(ModuleOp module);

/// qnt-quantize-weights' options (--quantize, --group-size, --asymmetric).
struct WeightQuantizationOptions {
  /// int8, int4, int3, int2, nf4, mxfp4, nvfp4 or fp8.
  std::string encoding;
  /// Elements per scale along K; 0: one scale per output channel.
  int64_t groupSize = 32;
  bool asymmetric = false;
  /// f16 or f32.
  std::string scaleType = "f16";
  /// Weights with fewer elements stay plain.
  int64_t minElements = 0;
};

struct CompileOptions {
  EmitKind emit = EmitKind::SharedLibrary;
  /// Where the result goes; "-" writes text outputs to stdout.
  std::string outputPath;
  /// Where the C header goes for Object and SharedLibrary; empty: none.
  std::string headerPath;
  /// The public func.func to wrap; empty: the only public one.
  std::string entry;
  /// Symbol prefix; empty: sanitizeSymbolPrefix(modelName).
  std::string prefix;
  /// Name of the model, used for the default prefix and in the header.
  std::string modelName = "model";
  PipelineKind pipeline = PipelineKind::Cpu;
  TargetSpec target;
  /// Threads that split output channels (CPU pipeline only).
  int64_t threads = 1;
  /// Kernel arithmetic (CPU pipeline only; int8 needs it).
  ComputeKind compute = ComputeKind::F32;
  /// More qnt-cpu-pipeline options in its own syntax ("tile-n=64
  /// prefetch-distance=8192"; CPU pipeline only). The options the fields
  /// above set (cpu, features, threads, compute, emit-c-interface) are
  /// rejected here.
  std::string cpuPipelineOptions;
  /// Appended to the link of an Executable: the main and its libraries.
  SmallVector<std::string> executableLinkArgs;
  /// Appended to a link when the lowered model uses OpenMP.
  SmallVector<std::string> openmpLinkArgs;
  /// Appended to a shared-library link when the lowered model calls
  /// libquant_runtime (quant_rt_*): the shared runtime and its rpath.
  /// Executables get the static runtime through executableLinkArgs.
  SmallVector<std::string> runtimeLinkArgs;
  /// When set, the prepared module (fused, float weights) is calibrated
  /// before it is lowered (Calibration.h); the entry defaults to the ABI's.
  std::optional<CalibrationOptions> calibration;
  /// Where the calibration statistics are written (writeCalibration); empty:
  /// nowhere.
  std::string calibrationDumpDir;
  /// When set (needs calibration), the plain weights are quantized to one
  /// candidate format per layer under a bits-per-weight budget, with GPTQ
  /// (AutoQuantize.h), right after calibration.
  std::optional<AutoQuantizeOptions> autoQuantize;
  /// Float linear layers (matmuls with constant weights) become qnt.matmul
  /// with #qnt.plain weights (qnt-raise-linear), so they use the fused
  /// kernels; the values do not change.
  bool raiseLinear = true;
  /// When set, those plain weights are then quantized round-to-nearest
  /// (qnt-quantize-weights), after calibration.
  std::optional<WeightQuantizationOptions> quantize;
};

struct CompileResult {
  ModelAbi abi;
  CompileSummary summary;
  /// The statistics, when CompileOptions::calibration was set.
  std::optional<CalibrationResult> calibration;
  /// The per-layer choices, when CompileOptions::autoQuantize was set.
  std::optional<AutoQuantizeResult> autoQuantize;
};

/// Turns `name` into a C identifier: characters other than [A-Za-z0-9_]
/// become '_', and a leading digit (or an empty name) gets a "m_" prefix.
std::string sanitizeSymbolPrefix(StringRef name);

/// Finds the entry function and computes the ABI it gets, without changing
/// the module. Errors (no or several public functions, unknown entry,
/// unsupported argument or result types) are reported at their location.
FailureOr<ModelAbi> computeModelAbi(ModuleOp module, StringRef entry,
                                    StringRef prefix);

/// Adds `<prefix>_run_memref`, the destination-passing wrapper on memrefs,
/// makes every other function private and drops what the wrapper does not
/// use. Runs before bufferization.
LogicalResult buildAbiWrapper(ModuleOp module, const ModelAbi &abi);

/// Adds the raw-pointer entry point, the metadata functions and the
/// quant_model_* aliases to a module already lowered to the LLVM dialect,
/// and gives every other function definition internal linkage.
LogicalResult buildAbiExports(ModuleOp module, const ModelAbi &abi,
                              StringRef modelName);

/// The C header declaring the ABI of `abi`, with shapes and dtypes.
std::string generateHeader(const ModelAbi &abi, StringRef modelName);

/// Runs the whole flow on `module` (which it lowers in place) and writes
/// the outputs atomically: on failure no output file exists.
FailureOr<CompileResult> compileModule(ModuleOp module,
                                       const CompileOptions &options);

/// The middle of compileModule without preparation or output: builds the ABI
/// wrapper, lowers with options.pipeline and adds the ABI exports, leaving
/// `module` in the LLVM dialect with `<abi.prefix>_run` ready to translate
/// or JIT (calibration runs models in process this way).
LogicalResult lowerModelWithAbi(ModuleOp module, const ModelAbi &abi,
                                const CompileOptions &options);

} // namespace qnt
} // namespace mlir

#endif // QUANT_COMPILER_COMPILER_H

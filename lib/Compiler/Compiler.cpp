//===- Compiler.cpp - the whole compile flow behind quant-compile ---------===//

#include "quant/Compiler/Compiler.h"

#include "quant/Dialect/Qnt/Transforms/Passes.h"
#include "quant/Pipelines/Pipelines.h"
#include "quant/Target/ObjectEmitter.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace mlir::qnt;

std::optional<EmitKind> mlir::qnt::parseEmitKind(StringRef name) {
  return llvm::StringSwitch<std::optional<EmitKind>>(name)
      .Case("mlir-abi", EmitKind::AbiMLIR)
      .Case("mlir", EmitKind::MLIR)
      .Case("llvm", EmitKind::LLVMIR)
      .Case("obj", EmitKind::Object)
      .Case("so", EmitKind::SharedLibrary)
      .Case("exe", EmitKind::Executable)
      .Default(std::nullopt);
}

std::optional<ComputeKind> mlir::qnt::parseComputeKind(StringRef name) {
  return llvm::StringSwitch<std::optional<ComputeKind>>(name)
      .Case("f32", ComputeKind::F32)
      .Case("int8", ComputeKind::Int8)
      .Default(std::nullopt);
}

namespace {

/// The qnt-cpu-pipeline options CompileOptions sets from its own fields,
/// with what to do instead; they may not come through
/// CompileOptions::cpuPipelineOptions, which would silently override them.
std::optional<StringRef> getReservedOptionHint(StringRef key) {
  return llvm::StringSwitch<std::optional<StringRef>>(key)
      .Case("cpu", StringRef("use --mcpu"))
      .Case("features", StringRef("use --mattr"))
      .Case("threads", StringRef("use --threads"))
      .Case("compute", StringRef("use --compute"))
      .Case("emit-c-interface",
            StringRef("the model ABI always needs the C interface"))
      .Default(std::nullopt);
}

/// The CPU pipeline's options for `options`: the target, threads and
/// compute, then options.cpuPipelineOptions on top, each entry parsed by the
/// pipeline's own option parser (PassOptions::parseFromString).
LogicalResult getCpuPipelineOptions(const CompileOptions &options,
                                    CpuPipelineOptions &pipelineOptions,
                                    Location loc) {
  pipelineOptions.cpu =
      options.target.cpu.empty() ? std::string("host") : options.target.cpu;
  pipelineOptions.features =
      options.target.features == "host" ? "" : options.target.features;
  pipelineOptions.threads = options.threads;
  pipelineOptions.compute =
      options.compute == ComputeKind::Int8 ? "int8" : "f32";
  pipelineOptions.emitCInterface = true;

  // One `key=value` per entry: the tuning options take numbers and booleans,
  // so no entry needs the quoting or braces of the full pipeline syntax.
  SmallVector<StringRef> entries;
  llvm::SplitString(options.cpuPipelineOptions, entries);
  llvm::StringSet<> seen;
  for (StringRef entry : entries) {
    auto [key, value] = entry.split('=');
    if (std::optional<StringRef> hint = getReservedOptionHint(key))
      return emitError(loc) << "--cpu-pipeline-options: '" << key
                            << "' is set by quant-compile itself; " << *hint;
    if (!seen.insert(key).second)
      return emitError(loc) << "--cpu-pipeline-options: '" << key
                            << "' is given more than once";
    // Unknown names are reported to this stream; bad values by the value's
    // command-line parser, to stderr, before the error below.
    std::string unknown;
    llvm::raw_string_ostream unknownStream(unknown);
    if (succeeded(pipelineOptions.parseFromString(entry, unknownStream)))
      continue;
    if (!unknown.empty())
      return emitError(loc)
             << "--cpu-pipeline-options: unknown qnt-cpu-pipeline option '"
             << key
             << "'; the tuning options are tile-n, vector-width, "
                "prefetch-distance and vectorize-linalg";
    return emitError(loc) << "--cpu-pipeline-options: invalid value '" << value
                          << "' for option '" << key << "'";
  }
  // Negative values the pipeline would otherwise take silently.
  if (pipelineOptions.tileN < 0)
    return emitError(loc) << "--cpu-pipeline-options: tile-n must be >= 0 "
                             "(0: two vectors), got "
                          << int64_t(pipelineOptions.tileN);
  if (pipelineOptions.vectorWidth < 0 ||
      (pipelineOptions.vectorWidth > 0 &&
       !llvm::isPowerOf2_64(pipelineOptions.vectorWidth)))
    return emitError(loc) << "--cpu-pipeline-options: vector-width must be 0 "
                             "(the target's) or a power of two, got "
                          << int64_t(pipelineOptions.vectorWidth);
  if (pipelineOptions.prefetchDistance < -1)
    return emitError(loc) << "--cpu-pipeline-options: prefetch-distance must "
                             "be >= -1 (-1: the default, 0: none), got "
                          << int64_t(pipelineOptions.prefetchDistance);
  return success();
}

/// A file written under a temporary name next to its destination and moved
/// there by commit(); destroyed uncommitted, it removes the temporary.
class PendingFile {
public:
  static FailureOr<PendingFile> create(StringRef path, Location loc) {
    llvm::Expected<llvm::sys::fs::TempFile> temp =
        llvm::sys::fs::TempFile::create(path + "-%%%%%%.tmp");
    if (!temp)
      return emitError(loc)
             << "cannot create a temporary file next to '" << path
             << "': " << llvm::toString(temp.takeError());
    return PendingFile(path, std::move(*temp));
  }
  PendingFile(PendingFile &&other) = default;
  ~PendingFile() {
    if (temp)
      llvm::consumeError(temp->discard());
  }

  LogicalResult write(StringRef data, Location loc) {
    llvm::raw_fd_ostream os(temp->FD, /*shouldClose=*/false);
    os << data;
    os.flush();
    if (os.has_error()) {
      std::string message = os.error().message();
      os.clear_error();
      return emitError(loc) << "cannot write '" << path << "': " << message;
    }
    return success();
  }

  LogicalResult commit(Location loc) {
    llvm::Error error = temp->keep(path);
    if (error) {
      std::string message = llvm::toString(std::move(error));
      return emitError(loc) << "cannot write '" << path << "': " << message;
    }
    temp.reset();
    return success();
  }

private:
  PendingFile(StringRef path, llvm::sys::fs::TempFile temp)
      : path(path.str()), temp(std::move(temp)) {}
  std::string path;
  std::optional<llvm::sys::fs::TempFile> temp;
};

/// Writes `text` to `path` atomically, or to stdout for "-".
LogicalResult writeTextFile(StringRef path, StringRef text, Location loc) {
  if (path == "-") {
    llvm::outs() << text;
    llvm::outs().flush();
    return success();
  }
  FailureOr<PendingFile> file = PendingFile::create(path, loc);
  if (failed(file) || failed(file->write(text, loc)))
    return failure();
  return file->commit(loc);
}

/// A temporary object file in the system temporary directory, removed when
/// the guard goes out of scope.
struct TempObject {
  SmallString<128> path;
  ~TempObject() {
    if (!path.empty())
      llvm::sys::fs::remove(path);
  }
};

LogicalResult prepareModule(ModuleOp module, const CompileOptions &options) {
  PassManager pm(module.getContext());
  pm.addPass(createQntFoldConstantQuantizePass());
  if (options.raiseLinear)
    pm.addNestedPass<func::FuncOp>(createQntRaiseLinearPass());
  pm.addNestedPass<func::FuncOp>(createQntFuseMatmulPass());
  pm.addPass(createCanonicalizerPass());
  return pm.run(module);
}

/// Quantizes the plain qnt.matmul weights (after calibration, which wants
/// the float model).
LogicalResult quantizeWeights(ModuleOp module,
                              const WeightQuantizationOptions &options) {
  PassManager pm(module.getContext());
  QntQuantizeWeightsPassOptions passOptions;
  passOptions.encoding = options.encoding;
  passOptions.groupSize = options.groupSize;
  passOptions.asymmetric = options.asymmetric;
  passOptions.scaleType = options.scaleType;
  passOptions.minElements = options.minElements;
  pm.addPass(createQntQuantizeWeightsPass(passOptions));
  pm.addPass(createCanonicalizerPass());
  return pm.run(module);
}

LogicalResult cleanUpWrapped(ModuleOp module) {
  PassManager pm(module.getContext());
  pm.addPass(createSymbolDCEPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  return pm.run(module);
}

LogicalResult lowerModule(ModuleOp module, const CompileOptions &options) {
  PassManager pm(module.getContext());
  if (options.pipeline == PipelineKind::Reference) {
    ReferencePipelineOptions pipelineOptions;
    pipelineOptions.emitCInterface = true;
    buildReferencePipeline(pm, pipelineOptions);
  } else {
    CpuPipelineOptions pipelineOptions;
    if (failed(
            getCpuPipelineOptions(options, pipelineOptions, module.getLoc())))
      return failure();
    buildCpuPipeline(pm, pipelineOptions);
  }
  if (failed(pm.run(module)))
    return emitError(module.getLoc())
           << "the "
           << (options.pipeline == PipelineKind::Cpu ? "qnt-cpu-pipeline"
                                                     : "qnt-reference-pipeline")
           << " failed on this module";
  return success();
}

bool needsHeader(EmitKind kind) {
  return kind == EmitKind::Object || kind == EmitKind::SharedLibrary;
}

bool isBinary(EmitKind kind) {
  return kind == EmitKind::Object || kind == EmitKind::SharedLibrary ||
         kind == EmitKind::Executable;
}

/// Emits an object to a fresh temporary path.
LogicalResult emitTempObject(ModuleOp module, const TargetSpec &spec,
                             TempObject &object) {
  int fd;
  if (std::error_code ec = llvm::sys::fs::createTemporaryFile(
          "quant-compile", "o", fd, object.path))
    return emitError(module.getLoc())
           << "cannot create a temporary object file: " << ec.message();
  llvm::sys::Process::SafelyCloseFileDescriptor(fd);
  return emitObjectFile(module, spec, object.path);
}

/// What the lowered model needs at link time beyond libc and libm.
struct LinkNeeds {
  bool runtime = false;
  bool openmp = false;
};

LinkNeeds getLinkNeeds(ModuleOp module) {
  LinkNeeds needs;
  for (auto func : module.getOps<LLVM::LLVMFuncOp>())
    if (func.isExternal() && func.getSymName().starts_with("quant_rt_"))
      needs.runtime = true;
  module.walk([&](Operation *op) {
    if (op->getName().getDialectNamespace() == "omp") {
      needs.openmp = true;
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return needs;
}

LogicalResult writeBinary(ModuleOp module, const CompileOptions &options) {
  Location loc = module.getLoc();
  if (options.emit == EmitKind::Object)
    return emitObjectFile(module, options.target, options.outputPath);

  TempObject object;
  if (failed(emitTempObject(module, options.target, object)))
    return failure();
  SmallVector<std::string> objects = {std::string(object.path)};
  SmallVector<std::string> args;
  std::string error;
  LinkNeeds needs = getLinkNeeds(module);
  if (needs.openmp && options.openmpLinkArgs.empty())
    return emitError(loc) << "the model uses OpenMP but no OpenMP runtime "
                             "(libomp) was found to link";
  LogicalResult linked = failure();
  if (options.emit == EmitKind::SharedLibrary) {
    // Undefined symbols fail the link rather than a later dlopen.
    args = {"-Wl,-z,defs", "-lm"};
    if (needs.runtime)
      args.append(options.runtimeLinkArgs.begin(),
                  options.runtimeLinkArgs.end());
    if (needs.openmp)
      args.append(options.openmpLinkArgs.begin(), options.openmpLinkArgs.end());
    linked = linkSharedLibrary(objects, options.outputPath, args, &error);
  } else {
    args.append(options.executableLinkArgs.begin(),
                options.executableLinkArgs.end());
    if (needs.openmp)
      args.append(options.openmpLinkArgs.begin(), options.openmpLinkArgs.end());
    args.push_back("-lm");
    linked = linkExecutable(objects, options.outputPath, args, &error);
  }
  if (failed(linked))
    return emitError(loc) << error;
  return success();
}

} // namespace

FailureOr<CompileResult>
mlir::qnt::compileModule(ModuleOp module, const CompileOptions &options) {
  Location loc = module.getLoc();
  if (options.outputPath.empty())
    return emitError(loc) << "no output path given";
  if (options.outputPath == "-" && isBinary(options.emit))
    return emitError(loc) << "cannot write an object, library or executable "
                             "to stdout; give an output path";
  if (options.threads < 1)
    return emitError(loc) << "thread count must be at least 1, got "
                          << options.threads;
  if (options.threads > 1 && options.pipeline != PipelineKind::Cpu)
    return emitError(loc) << "threads > 1 needs the cpu pipeline";
  if (options.pipeline != PipelineKind::Cpu) {
    if (options.compute != ComputeKind::F32)
      return emitError(loc) << "int8 compute needs the cpu pipeline";
    if (!StringRef(options.cpuPipelineOptions).trim().empty())
      return emitError(loc) << "--cpu-pipeline-options need the cpu pipeline";
  } else {
    // Bad pipeline options fail here, before calibration and lowering.
    CpuPipelineOptions pipelineOptions;
    if (failed(getCpuPipelineOptions(options, pipelineOptions, loc)))
      return failure();
  }
  if (options.emit == EmitKind::Executable &&
      options.executableLinkArgs.empty())
    return emitError(loc) << "no main to link an executable with";

  std::string prefix = options.prefix.empty()
                           ? sanitizeSymbolPrefix(options.modelName)
                           : options.prefix;
  FailureOr<ModelAbi> abi = computeModelAbi(module, options.entry, prefix);
  if (failed(abi))
    return failure();

  if (options.quantize && !options.raiseLinear)
    return emitError(loc) << "weight quantization needs raise-linear";
  if (failed(prepareModule(module, options)))
    return failure();
  CompileResult result;
  if (options.calibration) {
    CalibrationOptions calibrationOptions = *options.calibration;
    if (calibrationOptions.entry.empty())
      calibrationOptions.entry = abi->entry;
    FailureOr<CalibrationResult> stats =
        calibrateModel(module, calibrationOptions);
    if (failed(stats))
      return failure();
    // Outlier handling rewrites the float model from the statistics; the
    // layer inputs change, so the model is calibrated again for the
    // quantizers.
    if (options.autoQuantize && options.autoQuantize->rewritesChannels()) {
      if (failed(rewriteOutlierChannels(module, *stats, *options.autoQuantize)))
        return failure();
      stats = calibrateModel(module, calibrationOptions);
      if (failed(stats))
        return failure();
    }
    if (!options.calibrationDumpDir.empty() &&
        failed(writeCalibration(*stats, options.calibrationDumpDir, loc)))
      return failure();
    result.calibration = std::move(*stats);
  }
  if (options.autoQuantize) {
    if (!result.calibration)
      return emitError(loc) << "automatic quantization needs calibration";
    FailureOr<AutoQuantizeResult> chosen =
        autoQuantizeWeights(module, *result.calibration, *options.autoQuantize);
    if (failed(chosen))
      return failure();
    result.autoQuantize = std::move(*chosen);
  }
  if (options.quantize && failed(quantizeWeights(module, *options.quantize)))
    return failure();
  if (failed(buildAbiWrapper(module, *abi)) || failed(cleanUpWrapped(module)))
    return failure();
  result.abi = *abi;
  result.summary = summarizeModule(module);
  if (options.emit == EmitKind::AbiMLIR) {
    std::string text;
    llvm::raw_string_ostream os(text);
    module.print(os);
    if (failed(writeTextFile(options.outputPath, text, loc)))
      return failure();
    return result;
  }

  if (failed(lowerModule(module, options)) ||
      failed(buildAbiExports(module, *abi, options.modelName)))
    return failure();
  if (failed(verify(module)))
    return emitError(loc) << "the generated model ABI does not verify";

  switch (options.emit) {
  case EmitKind::MLIR: {
    std::string text;
    llvm::raw_string_ostream os(text);
    module.print(os);
    if (failed(writeTextFile(options.outputPath, text, loc)))
      return failure();
    return result;
  }
  case EmitKind::LLVMIR: {
    std::string text;
    llvm::raw_string_ostream os(text);
    if (failed(emitLLVMIR(module, options.target, os)) ||
        failed(writeTextFile(options.outputPath, text, loc)))
      return failure();
    return result;
  }
  default:
    break;
  }

  // The header is staged first and committed after the binary, so a failure
  // anywhere leaves neither.
  std::optional<PendingFile> header;
  if (needsHeader(options.emit) && !options.headerPath.empty()) {
    FailureOr<PendingFile> file = PendingFile::create(options.headerPath, loc);
    if (failed(file) ||
        failed(file->write(generateHeader(*abi, options.modelName), loc)))
      return failure();
    header.emplace(std::move(*file));
  }
  if (failed(writeBinary(module, options)))
    return failure();
  if (header && failed(header->commit(loc))) {
    llvm::sys::fs::remove(options.outputPath);
    return failure();
  }
  return result;
}

LogicalResult mlir::qnt::lowerModelWithAbi(ModuleOp module, const ModelAbi &abi,
                                           const CompileOptions &options) {
  if (failed(buildAbiWrapper(module, abi)) || failed(cleanUpWrapped(module)) ||
      failed(lowerModule(module, options)) ||
      failed(buildAbiExports(module, abi, options.modelName)))
    return failure();
  if (failed(verify(module)))
    return emitError(module.getLoc())
           << "the generated model ABI does not verify";
  return success();
}

//===- ObjectEmitter.cpp - LLVM dialect to native code --------------------===//

#include "quant/Target/ObjectEmitter.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/OptimizationLevel.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"

#include <mutex>

using namespace mlir;
using namespace mlir::qnt;

namespace {

void initializeLLVMTargets() {
  // All targets, not just the native one: the GPU flow needs NVPTX, and a
  // named cross triple should work as well as the host.
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeAllTargetInfos();
    llvm::InitializeAllTargets();
    llvm::InitializeAllTargetMCs();
    llvm::InitializeAllAsmPrinters();
    llvm::InitializeAllAsmParsers();
  });
}

/// Expands "host" items and checks every item names a feature of the target,
/// since LLVM only warns on stderr about unknown features and carries on.
FailureOr<std::string> resolveFeatures(const TargetSpec &spec, bool isHost,
                                       const llvm::MCSubtargetInfo &sti,
                                       Location loc) {
  SmallVector<StringRef> items;
  StringRef(spec.features)
      .split(items, ',', /*MaxSplit=*/-1,
             /*KeepEmpty=*/false);
  SmallVector<std::string> resolved;
  for (StringRef item : items) {
    item = item.trim();
    if (item.empty())
      continue;
    if (item == "host") {
      if (!isHost)
        return emitError(loc) << "bad feature string '" << spec.features
                              << "': 'host' needs a triple with the host "
                                 "architecture";
      // Sorted so the string (and the output) is deterministic.
      llvm::StringMap<bool> hostFeatures = llvm::sys::getHostCPUFeatures();
      SmallVector<std::string> names;
      for (const auto &entry : hostFeatures)
        names.push_back((entry.getValue() ? "+" : "-") + entry.getKey().str());
      llvm::sort(names);
      resolved.append(names.begin(), names.end());
      continue;
    }
    if (item[0] != '+' && item[0] != '-')
      return emitError(loc) << "bad feature string '" << spec.features << "': '"
                            << item << "' must start with '+' or '-'";
    StringRef name = item.drop_front();
    bool known = llvm::any_of(
        sti.getAllProcessorFeatures(),
        [&](const llvm::SubtargetFeatureKV &kv) { return name == kv.Key; });
    if (!known)
      return emitError(loc)
             << "bad feature string '" << spec.features
             << "': unknown feature '" << name << "' for target '"
             << sti.getTargetTriple().str() << "'";
    resolved.push_back(item.str());
  }
  return llvm::join(resolved, ",");
}

/// Runs LLVM's default module pipeline, built with the target machine so cost
/// models and vector widths are the target's.
void optimizeModule(llvm::Module &module, llvm::TargetMachine &tm,
                    unsigned optLevel) {
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;

  llvm::PipelineTuningOptions tuning;
  tuning.LoopVectorization = optLevel >= 2;
  tuning.SLPVectorization = optLevel >= 2;
  tuning.LoopUnrolling = optLevel >= 1;
  llvm::PassBuilder pb(&tm, tuning);
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);

  llvm::OptimizationLevel level = llvm::OptimizationLevel::O0;
  switch (optLevel) {
  case 1:
    level = llvm::OptimizationLevel::O1;
    break;
  case 2:
    level = llvm::OptimizationLevel::O2;
    break;
  case 3:
    level = llvm::OptimizationLevel::O3;
    break;
  default:
    break;
  }
  llvm::ModulePassManager mpm = optLevel == 0
                                    ? pb.buildO0DefaultPipeline(level)
                                    : pb.buildPerModuleDefaultPipeline(level);
  mpm.run(module, mam);
}

/// Translates and optimises `module` for `tm`.
FailureOr<std::unique_ptr<llvm::Module>>
translateForTarget(ModuleOp module, llvm::LLVMContext &llvmContext,
                   llvm::TargetMachine &tm, unsigned optLevel) {
  // Attaching the translation interfaces is idempotent, and doing it here
  // spares every caller from having to know which dialects need it.
  DialectRegistry registry;
  registerAllToLLVMIRTranslations(registry);
  module->getContext()->appendDialectRegistry(registry);

  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(module, llvmContext);
  if (!llvmModule)
    return emitError(module.getLoc()) << "failed to translate the module to "
                                         "LLVM IR";
  llvmModule->setTargetTriple(tm.getTargetTriple());
  llvmModule->setDataLayout(tm.createDataLayout());
  // Record the CPU and features on each definition, as clang does, so the IR
  // stands alone (llc, a JIT) and inlining sees compatible attributes.
  for (llvm::Function &func : *llvmModule) {
    if (func.isDeclaration())
      continue;
    if (!func.hasFnAttribute("target-cpu") && !tm.getTargetCPU().empty())
      func.addFnAttr("target-cpu", tm.getTargetCPU());
    if (!func.hasFnAttribute("target-features") &&
        !tm.getTargetFeatureString().empty())
      func.addFnAttr("target-features", tm.getTargetFeatureString());
  }
  optimizeModule(*llvmModule, tm, optLevel);
  return llvmModule;
}

LogicalResult emitFile(ModuleOp module, const TargetSpec &spec,
                       llvm::raw_pwrite_stream &os,
                       llvm::CodeGenFileType fileType) {
  FailureOr<std::unique_ptr<llvm::TargetMachine>> tm =
      createTargetMachine(spec, module.getLoc());
  if (failed(tm))
    return failure();
  llvm::LLVMContext llvmContext;
  FailureOr<std::unique_ptr<llvm::Module>> llvmModule =
      translateForTarget(module, llvmContext, **tm, spec.optLevel);
  if (failed(llvmModule))
    return failure();
  llvm::legacy::PassManager codegen;
  if ((*tm)->addPassesToEmitFile(codegen, os, nullptr, fileType))
    return emitError(module.getLoc())
           << "target '" << (*tm)->getTargetTriple().str() << "' cannot emit "
           << (fileType == llvm::CodeGenFileType::ObjectFile ? "object files"
                                                             : "assembly");
  codegen.run(**llvmModule);
  return success();
}

} // namespace

FailureOr<std::unique_ptr<llvm::TargetMachine>>
mlir::qnt::createTargetMachine(const TargetSpec &spec, Location loc) {
  initializeLLVMTargets();

  llvm::Triple hostTriple(llvm::sys::getProcessTriple());
  llvm::Triple triple = hostTriple;
  if (!spec.triple.empty() && spec.triple != "host")
    triple = llvm::Triple(llvm::Triple::normalize(spec.triple));
  std::string error;
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return emitError(loc) << "unknown target triple '" << spec.triple
                          << "': " << error;
  bool isHost = triple.getArch() == hostTriple.getArch();

  if (spec.optLevel > 3)
    return emitError(loc) << "optimization level " << spec.optLevel
                          << " is out of range (0 to 3)";

  std::string cpu = spec.cpu;
  if (cpu == "host") {
    if (!isHost)
      return emitError(loc) << "cpu 'host' needs a triple with the host "
                               "architecture, got '"
                            << triple.str() << "'";
    cpu = llvm::sys::getHostCPUName().str();
  }

  // A subtarget with no CPU or features gives the tables to validate both;
  // LLVM would otherwise only print a warning and fall back to generic.
  std::unique_ptr<llvm::MCSubtargetInfo> sti(
      target->createMCSubtargetInfo(triple, "", ""));
  if (!sti)
    return emitError(loc) << "target '" << triple.str()
                          << "' provides no subtarget information";
  if (!cpu.empty() && !sti->isCPUStringValid(cpu))
    return emitError(loc) << "unknown CPU '" << cpu << "' for target '"
                          << triple.str() << "'";
  FailureOr<std::string> features = resolveFeatures(spec, isHost, *sti, loc);
  if (failed(features))
    return failure();

  llvm::CodeGenOptLevel codegenLevel = llvm::CodeGenOptLevel::Default;
  switch (spec.optLevel) {
  case 0:
    codegenLevel = llvm::CodeGenOptLevel::None;
    break;
  case 1:
    codegenLevel = llvm::CodeGenOptLevel::Less;
    break;
  case 2:
    codegenLevel = llvm::CodeGenOptLevel::Default;
    break;
  default:
    codegenLevel = llvm::CodeGenOptLevel::Aggressive;
    break;
  }
  llvm::TargetOptions options;
  std::unique_ptr<llvm::TargetMachine> tm(target->createTargetMachine(
      triple, cpu, *features, options, llvm::Reloc::PIC_, std::nullopt,
      codegenLevel));
  if (!tm)
    return emitError(loc) << "cannot create a target machine for '"
                          << triple.str() << "'";
  return tm;
}

FailureOr<std::unique_ptr<llvm::Module>>
mlir::qnt::translateToLLVMIR(ModuleOp module, llvm::LLVMContext &llvmContext,
                             const TargetSpec &spec) {
  FailureOr<std::unique_ptr<llvm::TargetMachine>> tm =
      createTargetMachine(spec, module.getLoc());
  if (failed(tm))
    return failure();
  return translateForTarget(module, llvmContext, **tm, spec.optLevel);
}

LogicalResult mlir::qnt::emitLLVMIR(ModuleOp module, const TargetSpec &spec,
                                    llvm::raw_ostream &os) {
  llvm::LLVMContext llvmContext;
  FailureOr<std::unique_ptr<llvm::Module>> llvmModule =
      translateToLLVMIR(module, llvmContext, spec);
  if (failed(llvmModule))
    return failure();
  (*llvmModule)->print(os, nullptr);
  return success();
}

LogicalResult mlir::qnt::emitAssembly(ModuleOp module, const TargetSpec &spec,
                                      llvm::raw_ostream &os) {
  // Codegen needs a seekable stream; buffer arbitrary ones.
  llvm::buffer_ostream buffered(os);
  return emitFile(module, spec, buffered, llvm::CodeGenFileType::AssemblyFile);
}

LogicalResult mlir::qnt::emitObject(ModuleOp module, const TargetSpec &spec,
                                    llvm::raw_pwrite_stream &os) {
  return emitFile(module, spec, os, llvm::CodeGenFileType::ObjectFile);
}

LogicalResult mlir::qnt::emitObjectFile(ModuleOp module, const TargetSpec &spec,
                                        StringRef path) {
  llvm::Expected<llvm::sys::fs::TempFile> temp =
      llvm::sys::fs::TempFile::create(path + "-%%%%%%.tmp");
  if (!temp)
    return emitError(module.getLoc())
           << "cannot create a temporary file next to '" << path
           << "': " << llvm::toString(temp.takeError());
  LogicalResult result = success();
  {
    llvm::raw_fd_ostream os(temp->FD, /*shouldClose=*/false);
    result = emitObject(module, spec, os);
    os.flush();
    if (succeeded(result) && os.has_error()) {
      result = emitError(module.getLoc())
               << "cannot write '" << path << "': " << os.error().message();
      os.clear_error();
    }
  }
  if (failed(result)) {
    llvm::consumeError(temp->discard());
    return failure();
  }
  if (llvm::Error error = temp->keep(path)) {
    std::string message = llvm::toString(std::move(error));
    llvm::consumeError(temp->discard());
    return emitError(module.getLoc())
           << "cannot write '" << path << "': " << message;
  }
  return success();
}

std::optional<std::string> mlir::qnt::findLinkerDriver() {
  const char *preferred = "/usr/lib/llvm-22/bin/clang";
  if (llvm::sys::fs::can_execute(preferred))
    return std::string(preferred);
  for (StringRef name : {"clang-22", "clang", "cc"})
    if (llvm::ErrorOr<std::string> path = llvm::sys::findProgramByName(name))
      return *path;
  return std::nullopt;
}

namespace {

LogicalResult fail(std::string *errorMessage, const llvm::Twine &message) {
  if (errorMessage)
    *errorMessage = message.str();
  return failure();
}

/// lld next to a clang driver, or on PATH for any driver.
bool hasLLD(StringRef driver) {
  SmallString<128> sibling(llvm::sys::path::parent_path(driver));
  llvm::sys::path::append(sibling, "ld.lld");
  if (llvm::sys::fs::can_execute(sibling))
    return true;
  return static_cast<bool>(llvm::sys::findProgramByName("ld.lld"));
}

LogicalResult link(ArrayRef<std::string> objects, StringRef output,
                   ArrayRef<std::string> extraArgs, bool shared,
                   std::string *errorMessage) {
  StringRef what = shared ? "shared library" : "executable";
  if (objects.empty())
    return fail(errorMessage,
                "cannot link " + what + " '" + output + "': no input objects");
  for (const std::string &object : objects)
    if (!llvm::sys::fs::exists(object))
      return fail(errorMessage, "cannot link " + what + " '" + output +
                                    "': input '" + object + "' does not exist");
  std::optional<std::string> driver = findLinkerDriver();
  if (!driver)
    return fail(errorMessage,
                "linker not found: need /usr/lib/llvm-22/bin/clang, or clang "
                "or cc on PATH");

  // The driver writes a temporary next to the output, renamed on success,
  // so a failed link never leaves a partial file under the real name.
  llvm::Expected<llvm::sys::fs::TempFile> temp =
      llvm::sys::fs::TempFile::create(output + "-%%%%%%.tmp");
  if (!temp)
    return fail(errorMessage, "cannot link " + what + " '" + output +
                                  "': cannot create a temporary file in its "
                                  "directory: " +
                                  llvm::toString(temp.takeError()));
  SmallString<128> logPath;
  if (std::error_code ec =
          llvm::sys::fs::createTemporaryFile("quant-link", "log", logPath)) {
    llvm::consumeError(temp->discard());
    return fail(errorMessage,
                "cannot create a temporary log file: " + ec.message());
  }

  SmallVector<std::string> args = {*driver};
  if (shared)
    args.push_back("-shared");
  if (hasLLD(*driver))
    args.push_back("-fuse-ld=lld");
  args.append(objects.begin(), objects.end());
  args.push_back("-o");
  args.push_back(temp->TmpName);
  args.append(extraArgs.begin(), extraArgs.end());
  SmallVector<StringRef> argRefs(args.begin(), args.end());

  std::optional<StringRef> redirects[] = {StringRef(""), StringRef(logPath),
                                          StringRef(logPath)};
  std::string execError;
  bool execFailed = false;
  int rc = llvm::sys::ExecuteAndWait(
      *driver, argRefs, std::nullopt, redirects, /*SecondsToWait=*/0,
      /*MemoryLimit=*/0, &execError, &execFailed);

  std::string log;
  if (llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
          llvm::MemoryBuffer::getFile(logPath))
    log = (*buffer)->getBuffer().rtrim().str();
  llvm::sys::fs::remove(logPath);

  if (execFailed || rc != 0) {
    llvm::consumeError(temp->discard());
    std::string commandLine;
    llvm::raw_string_ostream cmd(commandLine);
    for (auto [i, arg] : llvm::enumerate(argRefs)) {
      if (i)
        cmd << ' ';
      llvm::sys::printArg(cmd, arg, /*Quote=*/true);
    }
    std::string status = execFailed ? "could not be run (" + execError + ")"
                         : rc < 0
                             ? "crashed (" + execError + ")"
                             : "failed with exit code " + std::to_string(rc);
    return fail(errorMessage, "linking " + what + " '" + output +
                                  "': " + llvm::sys::path::filename(*driver) +
                                  " " + status + "\ncommand: " + commandLine +
                                  (log.empty() ? "" : "\n" + log));
  }
  if (llvm::Error error = temp->keep(output)) {
    std::string message = llvm::toString(std::move(error));
    llvm::consumeError(temp->discard());
    return fail(errorMessage, "cannot move the linked " + what + " to '" +
                                  output + "': " + message);
  }
  return success();
}

} // namespace

LogicalResult mlir::qnt::linkSharedLibrary(ArrayRef<std::string> objects,
                                           StringRef output,
                                           ArrayRef<std::string> extraArgs,
                                           std::string *errorMessage) {
  return link(objects, output, extraArgs, /*shared=*/true, errorMessage);
}

LogicalResult mlir::qnt::linkExecutable(ArrayRef<std::string> objects,
                                        StringRef output,
                                        ArrayRef<std::string> extraArgs,
                                        std::string *errorMessage) {
  return link(objects, output, extraArgs, /*shared=*/false, errorMessage);
}

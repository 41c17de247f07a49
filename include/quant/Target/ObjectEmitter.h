//===- ObjectEmitter.h - LLVM dialect to native code ------------*- C++ -*-===//
//
// The last step of the CPU (and host side of the GPU) flow: an MLIR module in
// the LLVM dialect becomes optimised LLVM IR, assembly or an object file for a
// named or the host target, and objects are linked into shared libraries or
// executables with the system compiler driver.
//
// Diagnostics for module-level steps go through the module's MLIRContext, at
// the module's location; the linking helpers have no context and report
// through an optional error string instead.
//
//===----------------------------------------------------------------------===//

#ifndef QUANT_TARGET_OBJECTEMITTER_H
#define QUANT_TARGET_OBJECTEMITTER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <memory>
#include <optional>
#include <string>

namespace llvm {
class LLVMContext;
class Module;
class TargetMachine;
class raw_ostream;
class raw_pwrite_stream;
} // namespace llvm

namespace mlir {
namespace qnt {

/// What to generate code for.
struct TargetSpec {
  /// Target triple; empty or "host" means the triple of this process.
  std::string triple;
  /// CPU name; "host" means sys::getHostCPUName() and needs a triple with the
  /// host's architecture; empty means the target's generic default.
  std::string cpu = "host";
  /// Comma-separated "+feature" / "-feature" list; the item "host" expands to
  /// every feature of the host CPU (again only for the host architecture).
  /// Empty means none beyond what the CPU implies.
  std::string features = "host";
  /// LLVM optimisation level, 0 to 3, for both the IR pipeline and codegen.
  unsigned optLevel = 3;
};

/// Creates the target machine `spec` describes, with PIC relocations so the
/// code can go into shared libraries. Unknown triples, unknown CPUs, feature
/// strings naming unknown features and bad optimisation levels are reported at
/// `loc`.
FailureOr<std::unique_ptr<llvm::TargetMachine>>
createTargetMachine(const TargetSpec &spec, Location loc);

/// Translates `module` (LLVM dialect, plus any dialect with a registered LLVM
/// IR translation) into `llvmContext`, sets the target triple and data layout
/// of the target machine, marks function definitions with its CPU and
/// features, and runs LLVM's default per-module pipeline at spec.optLevel with
/// the target machine, so vectorisation uses the target's vector width.
/// Registers the LLVM IR translations on the module's context if needed.
FailureOr<std::unique_ptr<llvm::Module>>
translateToLLVMIR(ModuleOp module, llvm::LLVMContext &llvmContext,
                  const TargetSpec &spec);

/// Writes the optimised LLVM IR of `module` as text.
LogicalResult emitLLVMIR(ModuleOp module, const TargetSpec &spec,
                         llvm::raw_ostream &os);

/// Writes the target assembly of `module`.
LogicalResult emitAssembly(ModuleOp module, const TargetSpec &spec,
                           llvm::raw_ostream &os);

/// Writes a relocatable object file for `module`.
LogicalResult emitObject(ModuleOp module, const TargetSpec &spec,
                         llvm::raw_pwrite_stream &os);

/// Writes a relocatable object file to `path`. The object is written to a
/// temporary file next to `path` and renamed on success, so a failure leaves
/// any existing file untouched.
LogicalResult emitObjectFile(ModuleOp module, const TargetSpec &spec,
                             StringRef path);

/// The compiler driver used for linking: /usr/lib/llvm-22/bin/clang if it
/// exists, else clang or cc from PATH; nullopt if there is none.
std::optional<std::string> findLinkerDriver();

/// Links `objects` into the shared library `output`, passing `extraArgs`
/// (e.g. "-L<dir>", "-lquant_runtime") after the objects. Uses lld when it is
/// available. The driver writes to a temporary file that is renamed to
/// `output` only on success. On failure returns failure() and, if
/// `errorMessage` is given, stores a message with the driver's exit code,
/// its command line and its output.
LogicalResult linkSharedLibrary(ArrayRef<std::string> objects, StringRef output,
                                ArrayRef<std::string> extraArgs = {},
                                std::string *errorMessage = nullptr);

/// As linkSharedLibrary, but links a (position-independent) executable.
LogicalResult linkExecutable(ArrayRef<std::string> objects, StringRef output,
                             ArrayRef<std::string> extraArgs = {},
                             std::string *errorMessage = nullptr);

} // namespace qnt
} // namespace mlir

#endif // QUANT_TARGET_OBJECTEMITTER_H

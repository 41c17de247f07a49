//===- ModelRunner.h - drive a compiled model on .npy files -----*- C++ -*-===//
//
// The command line shared by quant-run (which finds the model's functions in
// a shared library with dlsym) and the executables quant-compile --emit=exe
// links (which call them directly): read every input from a .npy file, check
// it against the model's metadata, run, write every output as .npy, and
// optionally time the run.
//
// Plain C++17 over libquant_runtime; no MLIR or LLVM dependency.
//
//===----------------------------------------------------------------------===//

#ifndef QUANT_TOOLS_QUANT_RUN_MODELRUNNER_H
#define QUANT_TOOLS_QUANT_RUN_MODELRUNNER_H

#include <cstdint>
#include <string>
#include <vector>

namespace mlir {
namespace qnt {
namespace rt {

/// The functions of the model ABI (docs/ABI.md), by role.
struct ModelFunctions {
  int (*run)(const void *const *inputs, void *const *outputs) = nullptr;
  int (*abiVersion)() = nullptr;
  int (*numInputs)() = nullptr;
  int (*numOutputs)() = nullptr;
  const char *(*inputName)(int) = nullptr;
  const char *(*outputName)(int) = nullptr;
  const char *(*inputDtype)(int) = nullptr;
  const char *(*outputDtype)(int) = nullptr;
  const int64_t *(*inputShape)(int, int *) = nullptr;
  const int64_t *(*outputShape)(int, int *) = nullptr;
  /// Thread-count setters the model's code observes (quant_rt_*, OpenMP);
  /// --threads calls each, and warns when there is none.
  std::vector<void (*)(int)> threadSetters;
  /// The dlopen handle of the object holding the model's code and weight
  /// constants (dlopen(nullptr) for an executable): --bandwidth-bytes weights
  /// reads its read-only data segments.
  void *objectHandle = nullptr;
};

/// The ABI version this runner understands.
inline constexpr int kRunnerAbiVersion = 1;

/// Usage text of the shared options.
std::string getRunnerUsage(const std::string &tool,
                           const std::string &positional);

/// Runs the model on the command line `args` (without the program name and
/// anything the caller consumed). `what` names the model in messages (the
/// library path, or the executable). Prints errors as "<tool>: error: ..."
/// and returns the process exit code.
int runModel(const std::string &tool, const std::string &what,
             const ModelFunctions &functions,
             const std::vector<std::string> &args);

} // namespace rt
} // namespace qnt
} // namespace mlir

#endif // QUANT_TOOLS_QUANT_RUN_MODELRUNNER_H

//===- quant-run.cpp - run a compiled model on .npy files -----------------===//
//
// quant-run LIB.so --input NAME=FILE.npy ... --output-dir DIR [--bench N]
//                  [--flush-mb MB] [--bandwidth-bytes B|weights] [--threads T]
//
// Loads a library quant-compile built, finds the model ABI through its fixed
// quant_model_* aliases (docs/ABI.md), checks every input against the
// model's metadata, runs it and writes every output as DIR/<name>.npy.
//
//===----------------------------------------------------------------------===//

#include "ModelRunner.h"

#include <cstdio>
#include <dlfcn.h>
#include <string>
#include <vector>

using namespace mlir::qnt::rt;

namespace {

constexpr const char *kTool = "quant-run";

int fail(const std::string &message) {
  std::fprintf(stderr, "%s: error: %s\n", kTool, message.c_str());
  return 1;
}

/// Looks up quant_model_<suffix> in `handle` as a function of type T.
template <typename T>
bool lookup(void *handle, const char *suffix, T &result, std::string &missing) {
  std::string name = std::string("quant_model_") + suffix;
  void *symbol = ::dlsym(handle, name.c_str());
  if (!symbol) {
    missing += (missing.empty() ? "" : ", ") + name;
    return false;
  }
  result = reinterpret_cast<T>(symbol);
  return true;
}

} // namespace

int main(int argc, char **argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  for (const std::string &arg : args)
    if (arg == "--help" || arg == "-h") {
      std::fputs(getRunnerUsage(kTool, "LIB.so").c_str(), stdout);
      return 0;
    }
  if (args.empty() || args.front().rfind("--", 0) == 0) {
    std::fputs(getRunnerUsage(kTool, "LIB.so").c_str(), stderr);
    return fail("no model library given");
  }
  std::string library = args.front();
  args.erase(args.begin());

  // dlopen searches the library path for names without a slash.
  std::string path =
      library.find('/') == std::string::npos ? "./" + library : library;
  void *handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char *error = ::dlerror();
    return fail("cannot load '" + library +
                "': " + (error ? error : "unknown error"));
  }

  ModelFunctions fns;
  std::string missing;
  lookup(handle, "run", fns.run, missing);
  lookup(handle, "abi_version", fns.abiVersion, missing);
  lookup(handle, "num_inputs", fns.numInputs, missing);
  lookup(handle, "num_outputs", fns.numOutputs, missing);
  lookup(handle, "input_name", fns.inputName, missing);
  lookup(handle, "output_name", fns.outputName, missing);
  lookup(handle, "input_dtype", fns.inputDtype, missing);
  lookup(handle, "output_dtype", fns.outputDtype, missing);
  lookup(handle, "input_shape", fns.inputShape, missing);
  lookup(handle, "output_shape", fns.outputShape, missing);
  if (!missing.empty())
    return fail("'" + library +
                "' is not a model built by quant-compile: missing " + missing);
  for (const char *setter : {"quant_rt_set_num_threads", "omp_set_num_threads"})
    if (void *symbol = ::dlsym(handle, setter))
      fns.threadSetters.push_back(reinterpret_cast<void (*)(int)>(symbol));
  fns.objectHandle = handle;

  int rc = runModel(kTool, "'" + library + "'", fns, args);
  // The library stays loaded until exit: OpenMP runtimes do not like being
  // unloaded while their workers exist.
  return rc;
}

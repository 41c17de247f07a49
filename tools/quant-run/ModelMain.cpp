//===- ModelMain.cpp - main of executables from quant-compile -------------===//
//
// quant-compile --emit=exe links this main with the model's object: the same
// command line as quant-run, without the library argument, calling the
// model's quant_model_* functions directly.
//
//===----------------------------------------------------------------------===//

#include "ModelRunner.h"

#include "quant/Runtime/Runtime.h"

#include <cstdio>
#include <dlfcn.h>
#include <string>
#include <vector>

extern "C" {
int quant_model_run(const void *const *inputs, void *const *outputs);
int quant_model_abi_version(void);
int quant_model_num_inputs(void);
int quant_model_num_outputs(void);
const char *quant_model_input_name(int index);
const char *quant_model_output_name(int index);
const char *quant_model_input_dtype(int index);
const char *quant_model_output_dtype(int index);
const int64_t *quant_model_input_shape(int index, int *rank);
const int64_t *quant_model_output_shape(int index, int *rank);
}

using namespace mlir::qnt::rt;

int main(int argc, char **argv) {
  std::string tool = argc > 0 ? argv[0] : "model";
  std::vector<std::string> args(argv + 1, argv + argc);
  for (const std::string &arg : args)
    if (arg == "--help" || arg == "-h") {
      std::fputs(getRunnerUsage(tool, "").c_str(), stdout);
      return 0;
    }

  ModelFunctions fns;
  fns.run = quant_model_run;
  fns.abiVersion = quant_model_abi_version;
  fns.numInputs = quant_model_num_inputs;
  fns.numOutputs = quant_model_num_outputs;
  fns.inputName = quant_model_input_name;
  fns.outputName = quant_model_output_name;
  fns.inputDtype = quant_model_input_dtype;
  fns.outputDtype = quant_model_output_dtype;
  fns.inputShape = quant_model_input_shape;
  fns.outputShape = quant_model_output_shape;
  // The runtime is linked in statically; OpenMP only when the model uses it.
  fns.threadSetters.push_back(quant_rt_set_num_threads);
  if (void *omp = ::dlsym(RTLD_DEFAULT, "omp_set_num_threads"))
    fns.threadSetters.push_back(reinterpret_cast<void (*)(int)>(omp));
  // The model's weights are in this program's own read-only data.
  fns.objectHandle = ::dlopen(nullptr, RTLD_NOW);
  return runModel(tool, "'" + tool + "'", fns, args);
}

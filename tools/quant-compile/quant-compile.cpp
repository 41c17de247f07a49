//===- quant-compile.cpp - compile a model to native code -----------------===//
//
// quant-compile INPUT(.mlir|.onnx) -o OUT [--emit=mlir|llvm|obj|so|exe]
//   [--target=cpu] [--mcpu=..] [--mattr=..] [--threads=N]
//   [--pipeline=cpu|reference] [--compute=f32|int8]
//   [--cpu-pipeline-options="tile-n=64 ..."] [--entry=NAME] [--prefix=NAME]
//   [--quantize=int4|int8|... [--group-size=N] [--asymmetric]]
//   [--calibration-data=DIR | --calibration-samples=N] [--dump-calibration=DIR]
//   [--budget-bits=B | --budget-bytes=SIZE | --budget-latency-us=T
//    [--latency-model=FILE] [--candidates=..] [--report=DIR]]
//
// The whole flow in one process: import or parse, generate the model ABI
// (docs/ABI.md), lower, emit. Prints a summary of the model to stderr.
//
//===----------------------------------------------------------------------===//

#include "quant/Compiler/Compiler.h"
#include "quant/InitAll.h"
#include "quant/Quantize/Outliers.h"

#ifdef QUANT_HAVE_ONNX
#include "quant/Import/ONNX/OnnxImporter.h"
#endif

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>

using namespace mlir;
using namespace mlir::qnt;

namespace cl = llvm::cl;

static cl::OptionCategory category("quant-compile options");

static cl::opt<std::string> inputPath(cl::Positional, cl::Required,
                                      cl::desc("<input .mlir or .onnx>"),
                                      cl::cat(category));
static cl::opt<std::string> outputPath("o", cl::Required,
                                       cl::desc("Output file ('-': stdout "
                                                "for mlir and llvm)"),
                                       cl::value_desc("path"),
                                       cl::cat(category));
static cl::opt<std::string>
    emit("emit",
         cl::desc("What to write: mlir-abi (tensor level, after ABI "
                  "generation), mlir (LLVM dialect), llvm (LLVM IR), obj, so "
                  "or exe"),
         cl::init("so"), cl::cat(category));
static cl::opt<std::string> target("target", cl::desc("Target: cpu"),
                                   cl::init("cpu"), cl::cat(category));
static cl::opt<std::string>
    mcpu("mcpu", cl::desc("Target CPU: 'host' or an LLVM CPU name"),
         cl::init("host"), cl::cat(category));
static cl::opt<std::string>
    mattr("mattr",
          cl::desc("Target features ('+avx2,+fma'); default: the host's "
                   "with --mcpu=host, else the CPU's"),
          cl::init(""), cl::cat(category));
// LLVM's own libraries already register a global "threads" option, so
// --threads is taken out of argv before cl parsing (see takeThreadsOption).
static cl::extrahelp threadsHelp(
    "\n  --threads=N  threads that split output channels (cpu pipeline; "
    "> 1 uses OpenMP); default 1\n");
static cl::opt<std::string>
    pipeline("pipeline",
             cl::desc("Lowering: cpu (generated SIMD kernels) or reference"),
             cl::init("cpu"), cl::cat(category));
static cl::opt<std::string> compute(
    "compute",
    cl::desc("Kernel arithmetic of the cpu pipeline: f32 (default; FMA on the "
             "decoded weights, the reference's values up to summation order) "
             "or int8 (activations quantized to int8 per K block at run "
             "time, integer dot products: AVX-512 VNNI, else AVX2; for 2-, 4- "
             "and 8-bit integer weights, other weights keep f32). int8 is "
             "faster on those weights: several times with VNNI, for single "
             "rows and batches; with AVX2 mostly for single rows (GEMV). It "
             "rounds each activation to 8 bits: outputs move by about 1e-2 "
             "of their scale, like ONNX Runtime MatMulNBits accuracy_level=4 "
             "or llama.cpp"),
    cl::init("f32"), cl::cat(category));
static cl::opt<std::string> cpuPipelineOptions(
    "cpu-pipeline-options",
    cl::desc("More qnt-cpu-pipeline options in its own syntax, e.g. "
             "\"tile-n=64 prefetch-distance=8192\": tile-n, vector-width, "
             "prefetch-distance, vectorize-linalg (see quant-opt --help); "
             "cpu, features, threads and compute come from their flags"),
    cl::value_desc("options"), cl::init(""), cl::cat(category));
static cl::opt<std::string>
    entry("entry",
          cl::desc("Public function to compile (default: the only "
                   "public one)"),
          cl::init(""), cl::cat(category));
static cl::opt<std::string>
    prefix("prefix",
           cl::desc("Prefix of the exported symbols (default: the model "
                    "name as a C identifier)"),
           cl::init(""), cl::cat(category));
static cl::opt<std::string>
    modelName("model-name",
              cl::desc("Model name (default: the module's name, else the "
                       "input file's stem)"),
              cl::init(""), cl::cat(category));
static cl::opt<std::string>
    headerPath("header",
               cl::desc("C header for --emit=obj|so (default: the output "
                        "path with extension .h)"),
               cl::init(""), cl::cat(category));
static cl::opt<unsigned> optLevel("opt-level",
                                  cl::desc("LLVM optimisation level (0-3)"),
                                  cl::init(3), cl::cat(category));
#ifdef QUANT_HAVE_ONNX
static cl::list<std::string>
    inputShapes("input-shape",
                cl::desc("Static shape of an ONNX graph input: NAME=1x16x256"),
                cl::cat(category));
#endif

static cl::OptionCategory quantizeCategory(
    "weight quantization (float linear layers; without --quantize float "
    "weights stay float)");
static cl::opt<std::string> quantizeFlag(
    "quantize",
    cl::desc("Quantize the float matmul weights round-to-nearest: int8, "
             "int4, int3, int2, nf4, mxfp4, nvfp4 or fp8"),
    cl::init(""), cl::cat(quantizeCategory));
static cl::opt<int64_t> groupSize(
    "group-size",
    cl::desc("Weights per scale along K with --quantize (default 32; 0: one "
             "scale per output channel)"),
    cl::init(32), cl::cat(quantizeCategory));
static cl::opt<bool> raiseLinear(
    "raise-linear",
    cl::desc("Turn float matmuls with constant weights into qnt.matmul with "
             "#qnt.plain weights (fused kernels, same values); default on"),
    cl::init(true), cl::cat(quantizeCategory));
static cl::opt<bool> asymmetric(
    "asymmetric",
    cl::desc("Integer --quantize: unsigned codes with a zero point per block"),
    cl::init(false), cl::cat(quantizeCategory));

static cl::OptionCategory calibrationCategory(
    "calibration (runs the float model on samples, records every "
    "qnt.matmul input)");
static cl::opt<std::string> calibrationData(
    "calibration-data",
    cl::desc("Directory of .npy samples: DIR/<input>.npy (one sample, or S "
             "stacked on a leading axis) or DIR/<sample>/<input>.npy"),
    cl::value_desc("dir"), cl::init(""), cl::cat(calibrationCategory));
static cl::opt<int64_t> calibrationSamples(
    "calibration-samples",
    cl::desc("Synthetic standard-normal samples without --calibration-data"),
    cl::init(8), cl::cat(calibrationCategory));
static cl::opt<uint64_t>
    calibrationSeed("calibration-seed",
                    cl::desc("Seed of the synthetic calibration samples"),
                    cl::init(0), cl::cat(calibrationCategory));
static cl::opt<int64_t> calibrationMaxK(
    "calibration-max-k",
    cl::desc("Record X^T X for layers with at most this many input channels"),
    cl::init(4096), cl::cat(calibrationCategory));
static cl::opt<std::string> calibrationPipeline(
    "calibration-pipeline",
    cl::desc("Lowering that runs the model for calibration: reference or cpu"),
    cl::init("reference"), cl::cat(calibrationCategory));
static cl::opt<std::string> dumpCalibration(
    "dump-calibration",
    cl::desc("Calibrate and write stats.json and <layer>.xtx.npy to DIR"),
    cl::value_desc("dir"), cl::init(""), cl::cat(calibrationCategory));

static cl::OptionCategory autoCategory(
    "automatic quantization (calibrates, then one format per layer under a "
    "budget)");
static cl::opt<double> budgetBits(
    "budget-bits",
    cl::desc("Quantize the float matmul weights to at most this many bits "
             "per weight on average (metadata included), choosing per layer "
             "among --candidates by output error"),
    cl::init(0.0), cl::cat(autoCategory));
static cl::opt<std::string> budgetBytes(
    "budget-bytes",
    cl::desc("Instead of --budget-bits: at most this many bytes of quantized "
             "weights (codes and metadata); suffixes kB, MB, GB (1000) and "
             "KiB, MiB, GiB (1024)"),
    cl::value_desc("size"), cl::init(""), cl::cat(autoCategory));
static cl::opt<double> budgetLatencyUs(
    "budget-latency-us",
    cl::desc("Instead of --budget-bits: at most this modelled latency of the "
             "quantized layers (GEMV, M = 1) in microseconds, under "
             "--latency-model"),
    cl::init(0.0), cl::cat(autoCategory));
static cl::opt<std::string> latencyModelPath(
    "latency-model",
    cl::desc("With a budget: the CPU cost model (JSON written by "
             "bench/latency_model.sh) for --budget-latency-us and the "
             "report's latencies; default: the built-in one, "
             "bench/latency_model.json"),
    cl::value_desc("file.json"), cl::init(""), cl::cat(autoCategory));
static cl::list<std::string> candidates(
    "candidates", cl::CommaSeparated,
    cl::desc("Candidate formats of the budget flow (default: int2-g64; 3-, "
             "4- and 8-bit integers with groups of 32 to 128, symmetric and "
             "asymmetric; nf4-g64; see QuantFormat::parse). FORMAT+oP keeps "
             "the top P % of the weights (by |w| * sqrt(diag(X^T X))) exact "
             "in a CSR part: int3-g32+o1, int4-g128+o0.5-f32"),
    cl::cat(autoCategory));
static cl::opt<bool>
    noGptq("no-gptq",
           cl::desc("With a budget: round-to-nearest instead of GPTQ"),
           cl::init(false), cl::cat(autoCategory));
static cl::opt<bool>
    actOrder("act-order",
             cl::desc("With a budget: GPTQ columns by decreasing X^T X "
                      "diagonal (default on; --act-order=false turns it off)"),
             cl::init(true), cl::cat(autoCategory));
static cl::opt<bool>
    noMse("no-mse",
          cl::desc("With a budget: min-max group scales instead of the MSE "
                   "clipping search"),
          cl::init(false), cl::cat(autoCategory));
static cl::opt<std::string> sensitivity(
    "sensitivity",
    cl::desc("With a budget: how candidates are scored: output (the layer's "
             "output error Tr(dW X^T X dW^T), default), trace (the "
             "Hessian-trace proxy trace(X^T X) / K * ||dW||^2), model "
             "(output errors times a per-layer gain measured on the model "
             "output: one JIT run per layer) or model-exact (every "
             "candidate measured on the model output: one JIT run per layer "
             "and candidate; whole layers only; its differences between "
             "candidates need more --sensitivity-samples, e.g. 256)"),
    cl::init("output"), cl::cat(autoCategory));
static cl::opt<int64_t> sensitivitySamples(
    "sensitivity-samples",
    cl::desc("With --sensitivity=model or model-exact: calibration samples "
             "the model runs on (the first N)"),
    cl::init(32), cl::cat(autoCategory));
static cl::opt<std::string> migrateMethod(
    "migrate",
    cl::desc("With a budget: per-channel scale migration into the producers "
             "before quantization: awq (default), smoothquant or none"),
    cl::init("awq"), cl::cat(autoCategory));
static cl::opt<bool>
    noMigrate("no-migrate", cl::desc("With a budget: same as --migrate=none"),
              cl::init(false), cl::cat(autoCategory));
static cl::opt<bool> noReorder(
    "no-reorder",
    cl::desc("With a budget: keep the input channel order (no outlier "
             "grouping absorbed into the producers)"),
    cl::init(false), cl::cat(autoCategory));
static cl::opt<bool>
    rotate("rotate",
           cl::desc("With a budget: fold Hadamard rotations into producer / "
                    "consumer layer pairs before quantization"),
           cl::init(false), cl::cat(autoCategory));
static cl::opt<std::string> allocation(
    "allocation",
    cl::desc("With a budget: what gets one format: layer (default) or "
             "rows:N (slices of N output channels of each layer, each scored "
             "and chosen on its own)"),
    cl::init("layer"), cl::cat(autoCategory));
static cl::opt<std::string> reportDir(
    "report",
    cl::desc("With a budget: write report.txt (per-layer table and a sweep "
             "of the budget), report.json and pareto.svg (error against "
             "size) to DIR"),
    cl::value_desc("dir"), cl::init(""), cl::cat(autoCategory));

static int fail(const Twine &message) {
  llvm::errs() << "quant-compile: error: " << message << "\n";
  return 1;
}

/// libomp, a link input for models whose lowering uses OpenMP.
static std::optional<std::string> findLibomp() {
  for (const char *candidate :
       {"/usr/lib/llvm-22/lib/libomp.so", "/usr/lib/x86_64-linux-gnu/libomp.so",
        "/usr/lib/x86_64-linux-gnu/libomp.so.5",
        "/usr/lib/aarch64-linux-gnu/libomp.so.5"})
    if (llvm::sys::fs::exists(candidate))
      return std::string(candidate);
  return std::nullopt;
}

static OwningOpRef<ModuleOp> loadModule(MLIRContext &context,
                                        llvm::SourceMgr &sourceMgr) {
  if (StringRef(inputPath).ends_with(".onnx")) {
#ifdef QUANT_HAVE_ONNX
    OnnxImportOptions importOptions;
    for (const std::string &text : inputShapes) {
      std::pair<std::string, SmallVector<int64_t>> shape;
      std::string error = parseOnnxInputShape(text, shape);
      if (!error.empty()) {
        fail("--input-shape: " + error);
        return nullptr;
      }
      importOptions.inputShapes.push_back(std::move(shape));
    }
    return importOnnxModel(inputPath, context, importOptions);
#else
    fail("'" + inputPath +
         "': this quant-compile was built without the ONNX importer "
         "(configure with -DQUANT_ENABLE_ONNX=ON and libonnx-dev installed)");
    return nullptr;
#endif
  }
  std::string error;
  std::unique_ptr<llvm::MemoryBuffer> file = openInputFile(inputPath, &error);
  if (!file) {
    fail("cannot read '" + inputPath + "': " + error);
    return nullptr;
  }
  sourceMgr.AddNewSourceBuffer(std::move(file), llvm::SMLoc());
  return parseSourceFile<ModuleOp>(sourceMgr, &context);
}

/// Removes "--threads=N" / "--threads N" (or one dash) from `args` and
/// returns N; 1 when absent, nullopt (after an error) when malformed.
static std::optional<int> takeThreadsOption(SmallVectorImpl<char *> &args) {
  int value = 1;
  for (size_t i = 1; i < args.size();) {
    StringRef arg = args[i];
    if (arg == "--")
      break;
    StringRef text;
    size_t consumed = 1;
    if (arg == "--threads" || arg == "-threads") {
      if (i + 1 >= args.size()) {
        fail("--threads needs a value");
        return std::nullopt;
      }
      text = args[i + 1];
      consumed = 2;
    } else if (arg.consume_front("--threads=") ||
               arg.consume_front("-threads=")) {
      text = arg;
    } else {
      ++i;
      continue;
    }
    if (text.getAsInteger(10, value) || value < 1) {
      fail("--threads must be a positive integer, got '" + text + "'");
      return std::nullopt;
    }
    args.erase(args.begin() + i, args.begin() + i + consumed);
  }
  return value;
}

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  SmallVector<char *> args(argv, argv + argc);
  std::optional<int> threads = takeThreadsOption(args);
  if (!threads)
    return 1;
  cl::HideUnrelatedOptions(
      {&category, &quantizeCategory, &autoCategory, &calibrationCategory});
  cl::ParseCommandLineOptions(
      args.size(), args.data(),
      "quant-compile: compile a model (.mlir or .onnx) to a shared library, "
      "object, executable, LLVM IR or MLIR with the model C ABI "
      "(docs/ABI.md)\n");

  CompileOptions options;
  std::optional<EmitKind> emitKind = parseEmitKind(emit);
  if (!emitKind)
    return fail("unknown --emit=" + emit +
                "; expected mlir-abi, mlir, llvm, obj, so or exe");
  options.emit = *emitKind;
  if (target != "cpu")
    return fail("unsupported --target=" + target + "; only 'cpu' exists yet");
  if (pipeline == "cpu")
    options.pipeline = PipelineKind::Cpu;
  else if (pipeline == "reference")
    options.pipeline = PipelineKind::Reference;
  else
    return fail("unknown --pipeline=" + pipeline +
                "; expected cpu or reference");
  if (*threads > 1 && options.pipeline != PipelineKind::Cpu)
    return fail("--threads > 1 needs --pipeline=cpu");
  options.threads = *threads;
  std::optional<ComputeKind> computeKind = parseComputeKind(compute);
  if (!computeKind)
    return fail("unknown --compute=" + compute + "; expected f32 or int8");
  if (compute.getNumOccurrences() && options.pipeline != PipelineKind::Cpu)
    return fail("--compute needs --pipeline=cpu (the reference pipeline "
                "computes in f32)");
  options.compute = *computeKind;
  if (cpuPipelineOptions.getNumOccurrences() &&
      options.pipeline != PipelineKind::Cpu)
    return fail("--cpu-pipeline-options needs --pipeline=cpu");
  options.cpuPipelineOptions = cpuPipelineOptions;
  options.outputPath = outputPath;
  options.entry = entry;
  options.prefix = prefix;
  options.target.cpu = mcpu;
  options.target.features = !mattr.empty()   ? mattr
                            : mcpu == "host" ? std::string("host")
                                             : std::string();
  options.target.optLevel = optLevel;
  if (std::optional<std::string> libomp = findLibomp())
    options.openmpLinkArgs.push_back(*libomp);
  options.runtimeLinkArgs = {
      QUANT_RUNTIME_SHARED_LIB,
      "-Wl,-rpath," +
          llvm::sys::path::parent_path(QUANT_RUNTIME_SHARED_LIB).str()};
  options.executableLinkArgs = {QUANT_MODEL_MAIN_LIB, QUANT_MODEL_RUNNER_LIB,
                                QUANT_RUNTIME_LIB,    "-lstdc++",
                                "-lpthread",          "-ldl"};
  if (options.emit == EmitKind::Object ||
      options.emit == EmitKind::SharedLibrary) {
    if (!headerPath.empty()) {
      options.headerPath = headerPath;
    } else {
      SmallString<128> path(outputPath);
      llvm::sys::path::replace_extension(path, "h");
      options.headerPath = std::string(path);
    }
    if (options.headerPath == outputPath)
      return fail("the header path '" + options.headerPath +
                  "' is the output path");
  }

  if (!quantizeFlag.empty()) {
    static constexpr StringRef kEncodings[] = {"int8", "int4",  "int3",  "int2",
                                               "nf4",  "mxfp4", "nvfp4", "fp8"};
    if (!llvm::is_contained(kEncodings, StringRef(quantizeFlag)))
      return fail("unknown --quantize=" + quantizeFlag +
                  "; expected int8, int4, int3, int2, nf4, mxfp4, nvfp4 or "
                  "fp8");
    if (groupSize < 0)
      return fail("--group-size must be >= 0 (0: per output channel), got " +
                  Twine(groupSize));
    bool isInteger = StringRef(quantizeFlag).starts_with("int");
    if (asymmetric && !isInteger)
      return fail("--asymmetric applies to integer --quantize only, not " +
                  quantizeFlag);
    int64_t block = quantizeFlag == "mxfp4"   ? 32
                    : quantizeFlag == "nvfp4" ? 16
                                              : 0;
    if (block && groupSize.getNumOccurrences() && groupSize != block)
      return fail("--quantize=" + quantizeFlag + " has a fixed block of " +
                  Twine(block) + " weights; --group-size=" + Twine(groupSize) +
                  " is not possible");
    WeightQuantizationOptions weights;
    weights.encoding = quantizeFlag;
    weights.groupSize = block ? block : int64_t(groupSize);
    weights.asymmetric = asymmetric;
    options.quantize = weights;
  } else if (groupSize.getNumOccurrences() || asymmetric) {
    return fail("--group-size and --asymmetric need --quantize");
  }
  if (!quantizeFlag.empty() && !raiseLinear)
    return fail("--quantize needs --raise-linear (it quantizes the raised "
                "weights)");
  options.raiseLinear = raiseLinear;

  // Exactly one budget: bits per weight, bytes or modelled latency.
  SmallVector<std::string> budgetFlags;
  if (budgetBits.getNumOccurrences())
    budgetFlags.push_back("--budget-bits");
  if (budgetBytes.getNumOccurrences())
    budgetFlags.push_back("--budget-bytes");
  if (budgetLatencyUs.getNumOccurrences())
    budgetFlags.push_back("--budget-latency-us");
  if (budgetFlags.size() > 1)
    return fail(llvm::join(ArrayRef(budgetFlags).drop_back(), ", ") + " and " +
                budgetFlags.back() +
                " are different budgets; give one of --budget-bits, "
                "--budget-bytes and --budget-latency-us");
  bool automatic = !budgetFlags.empty();
  if (automatic) {
    const std::string &budgetFlag = budgetFlags.front();
    if (!quantizeFlag.empty())
      return fail(budgetFlag + " and --quantize both choose the weight "
                               "formats; give one");
    if (!raiseLinear)
      return fail(budgetFlag + " needs --raise-linear");
    AutoQuantizeOptions autoOptions;
    if (budgetBits.getNumOccurrences()) {
      if (!(budgetBits > 0.0))
        return fail("--budget-bits must be positive");
      autoOptions.budgetBits = budgetBits;
    } else if (budgetBytes.getNumOccurrences()) {
      llvm::Expected<uint64_t> bytes = quantize::parseByteSize(budgetBytes);
      if (!bytes)
        return fail("--budget-bytes: " + llvm::toString(bytes.takeError()));
      if (*bytes == 0)
        return fail("--budget-bytes must be positive");
      autoOptions.budgetKind = quantize::BudgetKind::Bytes;
      autoOptions.budgetBytes = *bytes;
    } else {
      if (!(budgetLatencyUs > 0.0) || !std::isfinite(budgetLatencyUs))
        return fail("--budget-latency-us must be positive");
      autoOptions.budgetKind = quantize::BudgetKind::Latency;
      autoOptions.budgetLatencyUs = budgetLatencyUs;
    }
    if (!latencyModelPath.empty()) {
      llvm::Expected<quantize::LatencyModel> model =
          quantize::loadLatencyModel(latencyModelPath);
      if (!model)
        return fail(llvm::toString(model.takeError()));
      autoOptions.latencyModel = std::move(*model);
    }
    if (!candidates.empty())
      autoOptions.candidates.assign(candidates.begin(), candidates.end());
    // Bad names fail before calibration.
    for (const std::string &name : autoOptions.candidates)
      if (llvm::Expected<quantize::CandidateFormat> format =
              quantize::CandidateFormat::parse(name);
          !format)
        return fail("candidate format '" + name +
                    "': " + llvm::toString(format.takeError()));
    autoOptions.gptq = !noGptq;
    autoOptions.actOrder = actOrder;
    autoOptions.mseClip = !noMse;
    if (sensitivity == "output")
      autoOptions.sensitivity = quantize::SensitivityKind::OutputError;
    else if (sensitivity == "trace")
      autoOptions.sensitivity = quantize::SensitivityKind::TraceProxy;
    else if (sensitivity == "model" || sensitivity == "model-exact") {
      autoOptions.modelSensitivity = true;
      autoOptions.modelExact = sensitivity == "model-exact";
    } else
      return fail("--sensitivity must be output, trace, model or model-exact, "
                  "got '" +
                  sensitivity + "'");
    if (sensitivitySamples.getNumOccurrences() && !autoOptions.modelSensitivity)
      return fail("--sensitivity-samples needs --sensitivity=model or "
                  "model-exact");
    if (sensitivitySamples < 1)
      return fail("--sensitivity-samples must be at least 1, got " +
                  std::to_string(sensitivitySamples));
    autoOptions.sensitivitySamples = sensitivitySamples;
    if (migrateMethod != "awq" && migrateMethod != "smoothquant" &&
        migrateMethod != "none")
      return fail("--migrate must be awq, smoothquant or none, got '" +
                  migrateMethod + "'");
    autoOptions.migrate = noMigrate || migrateMethod == "none"
                              ? std::string()
                              : std::string(migrateMethod);
    autoOptions.reorder = !noReorder;
    autoOptions.rotate = rotate;
    autoOptions.reportDir = reportDir;
    if (allocation != "layer") {
      StringRef rows = allocation;
      if (!rows.consume_front("rows:") ||
          rows.getAsInteger(10, autoOptions.sliceRows) ||
          autoOptions.sliceRows <= 0)
        return fail("--allocation must be layer or rows:N with N a positive "
                    "integer, got '" +
                    allocation + "'");
    }
    options.autoQuantize = autoOptions;
  } else if (!candidates.empty() || noGptq || actOrder.getNumOccurrences() ||
             noMse || sensitivity.getNumOccurrences() ||
             migrateMethod.getNumOccurrences() || noMigrate || noReorder ||
             rotate || !reportDir.empty() || !latencyModelPath.empty()) {
    return fail("--candidates, --no-gptq, --act-order, --no-mse, "
                "--sensitivity, --migrate, --no-migrate, --no-reorder, "
                "--rotate, --report and --latency-model need a budget "
                "(--budget-bits, --budget-bytes or --budget-latency-us)");
  }

  if (!automatic && sensitivitySamples.getNumOccurrences())
    return fail("--sensitivity-samples needs --sensitivity=model and a budget "
                "(--budget-bits, --budget-bytes or --budget-latency-us)");
  if (!automatic && allocation.getNumOccurrences())
    return fail("--allocation needs a budget (--budget-bits, --budget-bytes "
                "or --budget-latency-us)");

  // Any calibration option, or the automatic flow, asks for calibration.
  if (automatic || !calibrationData.empty() || !dumpCalibration.empty() ||
      calibrationSamples.getNumOccurrences() ||
      calibrationSeed.getNumOccurrences() ||
      calibrationMaxK.getNumOccurrences() ||
      calibrationPipeline.getNumOccurrences()) {
    CalibrationOptions calibration;
    calibration.dataDir = calibrationData;
    calibration.syntheticSamples = calibrationSamples;
    calibration.seed = calibrationSeed;
    calibration.maxGramK = calibrationMaxK;
    if (calibrationSamples < 1)
      return fail("--calibration-samples must be at least 1");
    if (calibrationMaxK < 0)
      return fail("--calibration-max-k must be >= 0");
    if (calibrationPipeline != "reference" && calibrationPipeline != "cpu")
      return fail("unknown --calibration-pipeline=" + calibrationPipeline +
                  "; expected reference or cpu");
    calibration.cpuPipeline = calibrationPipeline == "cpu";
    options.calibration = calibration;
    // Model sensitivity runs the model on the same samples.
    if (options.autoQuantize) {
      options.autoQuantize->modelRun = calibration;
      options.autoQuantize->modelRun.entry = entry;
    }
    options.calibrationDumpDir = dumpCalibration;
  }

  DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  qnt::registerAllDialects(registry);
#ifdef QUANT_HAVE_ONNX
  registerOnnxImportDialects(registry);
#endif
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler diagHandler(sourceMgr, &context);

  OwningOpRef<ModuleOp> module = loadModule(context, sourceMgr);
  if (!module)
    return 1;

  if (!modelName.empty())
    options.modelName = modelName;
  else if (std::optional<StringRef> name = module->getSymName())
    options.modelName = name->str();
  else if (inputPath != "-")
    options.modelName = llvm::sys::path::stem(inputPath).str();

  FailureOr<CompileResult> result = compileModule(*module, options);
  if (failed(result))
    return 1;

  const ModelAbi &abi = result->abi;
  llvm::errs() << "quant-compile: " << inputPath << " -> " << outputPath
               << " (--emit=" << emit << ", " << pipeline << " pipeline"
               << (options.compute == ComputeKind::Int8 ? ", int8 compute" : "")
               << ")\n"
               << "  model '" << options.modelName << "', entry '" << abi.entry
               << "', prefix '" << abi.prefix << "': " << abi.inputs.size()
               << " input(s), " << abi.outputs.size() << " output(s)\n";
  result->summary.print(llvm::errs());
  if (result->calibration) {
    const CalibrationResult &calibration = *result->calibration;
    llvm::errs() << "  calibration: " << calibration.layers.size()
                 << " layer(s), " << calibration.numSamples
                 << " sample(s) from " << calibration.source;
    if (!dumpCalibration.empty())
      llvm::errs() << " -> " << dumpCalibration;
    llvm::errs() << "\n";
  }
  if (result->autoQuantize) {
    const AutoQuantizeResult &chosen = *result->autoQuantize;
    llvm::errs() << "  automatic quantization: " << chosen.layers.size()
                 << " layer(s), "
                 << llvm::format("%.4f", double(chosen.bits) /
                                             double(chosen.numWeights))
                 << " bits/weight, " << chosen.bytes << " bytes, ";
    if (chosen.latencyUs >= 0)
      llvm::errs() << llvm::format("%.3f", chosen.latencyUs)
                   << " us modelled, ";
    llvm::errs() << "total output error "
                 << llvm::format("%.6g", chosen.allocation.error) << "\n";
    for (const quantize::LayerReport &layer : chosen.layers)
      llvm::errs() << "    " << layer.name << ": " << layer.format << " ("
                   << llvm::format("%.4f", layer.getBitsPerWeight())
                   << " bits/weight, relative error "
                   << llvm::format("%.3g", layer.relativeError) << ")\n";
  }
  if (!options.headerPath.empty())
    llvm::errs() << "  header: " << options.headerPath << "\n";
  return 0;
}

//===- Calibration.cpp - run the float model, record layer inputs ---------===//
//
// The model is copied, every qnt.matmul lhs becomes an extra result of the
// entry function, and the copy is lowered with the compile flow's own ABI
// wrapper and pipeline, then JIT-compiled with mlir::ExecutionEngine. Each
// sample is one call of `<prefix>_run`; the extra outputs feed the
// statistics.
//
//===----------------------------------------------------------------------===//

#include "quant/Compiler/Calibration.h"
#include "quant/Compiler/Compiler.h"

#include "quant/Dialect/Qnt/IR/QntAttrs.h"
#include "quant/Dialect/Qnt/IR/QntOps.h"
#include "quant/Runtime/Npy.h"
#include "quant/Target/ObjectEmitter.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>

using namespace mlir;
using namespace mlir::qnt;

//===----------------------------------------------------------------------===//
// LayerInputStats
//===----------------------------------------------------------------------===//

/// Rows gathered before they are folded into X^T X: each fold reads the
/// K x K matrix once, so the chunk amortises that over many rows.
static constexpr int64_t kChunk = 64;

LayerInputStats::LayerInputStats(int64_t k, bool withGram)
    : k(k), withGram(withGram),
      minValue(std::numeric_limits<float>::infinity()),
      maxValue(-std::numeric_limits<float>::infinity()), absMax(k, 0.0f),
      sumAbs(k, 0.0) {
  if (withGram) {
    gram.assign(k * k, 0.0);
    chunk.assign(k * kChunk, 0.0);
  }
}

void LayerInputStats::addRows(const float *data, int64_t numRows) {
  for (int64_t r = 0; r < numRows; ++r) {
    const float *row = data + r * k;
    for (int64_t i = 0; i < k; ++i) {
      float value = row[i];
      minValue = std::min(minValue, value);
      maxValue = std::max(maxValue, value);
      float magnitude = std::fabs(value);
      absMax[i] = std::max(absMax[i], magnitude);
      sumAbs[i] += magnitude;
    }
    if (withGram) {
      for (int64_t i = 0; i < k; ++i)
        chunk[i * kChunk + chunkRows] = row[i];
      if (++chunkRows == kChunk)
        flushChunk();
    }
  }
  rows += numRows;
}

void LayerInputStats::flushChunk() {
  // Products of floats are exact in double; only the sums round.
  for (int64_t i = 0; i < k; ++i) {
    const double *xi = &chunk[i * kChunk];
    for (int64_t j = i; j < k; ++j) {
      const double *xj = &chunk[j * kChunk];
      double sum = 0.0;
      for (int64_t r = 0; r < chunkRows; ++r)
        sum += xi[r] * xj[r];
      gram[i * k + j] += sum;
    }
  }
  chunkRows = 0;
}

std::vector<double> LayerInputStats::getMeanAbs() const {
  std::vector<double> mean(k, 0.0);
  if (rows > 0)
    for (int64_t i = 0; i < k; ++i)
      mean[i] = sumAbs[i] / double(rows);
  return mean;
}

std::vector<double> LayerInputStats::getGram() const {
  if (!withGram)
    return {};
  // Fold the pending rows into a copy, then mirror the upper triangle.
  LayerInputStats pending(*this);
  pending.flushChunk();
  std::vector<double> full = std::move(pending.gram);
  for (int64_t i = 0; i < k; ++i)
    for (int64_t j = 0; j < i; ++j)
      full[i * k + j] = full[j * k + i];
  return full;
}

//===----------------------------------------------------------------------===//
// Layer names
//===----------------------------------------------------------------------===//

static bool isLayerNameChar(char c) {
  return llvm::isAlnum(c) || c == '_' || c == '.' || c == ':' || c == '-';
}

static bool isValidLayerName(StringRef name) {
  return !name.empty() && llvm::all_of(name, isLayerNameChar);
}

/// The first NameLoc name in `loc`, looking through fused locations.
static std::optional<StringRef> findLocName(Location loc) {
  if (auto nameLoc = dyn_cast<NameLoc>(loc))
    return nameLoc.getName().getValue();
  if (auto fused = dyn_cast<FusedLoc>(loc))
    for (Location inner : fused.getLocations())
      if (std::optional<StringRef> name = findLocName(inner))
        return name;
  return std::nullopt;
}

LogicalResult mlir::qnt::assignLayerNames(ModuleOp module) {
  llvm::StringSet<> taken;
  // Unnamed ops with their position among all qnt.matmul ops.
  SmallVector<std::pair<int64_t, MatmulOp>> unnamed;
  int64_t position = 0;
  WalkResult walk = module.walk([&](MatmulOp op) -> WalkResult {
    Attribute attr = op->getAttr(kLayerAttrName);
    if (!attr) {
      unnamed.push_back({position++, op});
      return WalkResult::advance();
    }
    ++position;
    auto name = dyn_cast<StringAttr>(attr);
    if (!name || !isValidLayerName(name.getValue()))
      return op.emitOpError()
             << "'" << kLayerAttrName
             << "' must be a non-empty string of [A-Za-z0-9_.:-], got " << attr;
    if (!taken.insert(name.getValue()).second)
      return op.emitOpError() << "layer name '" << name.getValue()
                              << "' is used by another qnt.matmul";
    return WalkResult::advance();
  });
  if (walk.wasInterrupted())
    return failure();

  for (auto [index, op] : unnamed) {
    std::string base;
    if (std::optional<StringRef> locName = findLocName(op.getLoc())) {
      for (char c : *locName)
        base.push_back(isLayerNameChar(c) ? c : '_');
      StringRef trimmed = StringRef(base).trim('_');
      base = trimmed.str();
    }
    if (base.empty())
      base = "layer" + std::to_string(index);
    std::string name = base;
    for (int suffix = 1; taken.contains(name); ++suffix)
      name = base + "." + std::to_string(suffix);
    taken.insert(name);
    op->setAttr(kLayerAttrName, StringAttr::get(op.getContext(), name));
  }
  return success();
}

const LayerCalibration *CalibrationResult::lookup(llvm::StringRef name) const {
  for (const LayerCalibration &layer : layers)
    if (layer.name == name)
      return &layer;
  return nullptr;
}

//===----------------------------------------------------------------------===//
// Samples
//===----------------------------------------------------------------------===//

namespace {

/// Where the inputs of each sample come from.
struct SampleSet {
  int64_t count = 0;
  std::string source;
  /// Fills one buffer per ABI input with sample `index`.
  std::function<LogicalResult(int64_t index,
                              std::vector<std::vector<uint8_t>> &buffers)>
      load;
};

std::string formatShape(ArrayRef<int64_t> shape) {
  std::string text = "[";
  for (auto [i, dim] : llvm::enumerate(shape))
    text += (i ? ", " : "") + std::to_string(dim);
  return text + "]";
}

std::string formatShape(const std::vector<int64_t> &shape) {
  return formatShape(ArrayRef<int64_t>(shape));
}

/// Reads `path` and checks its dtype and that its shape is `shape`, or
/// `[S] + shape` when `allowStack`; returns S (1 for an exact match).
FailureOr<int64_t> readInput(Location loc, const std::string &path,
                             const AbiTensor &tensor, bool allowStack,
                             rt::NpyArray &array) {
  rt::Result<rt::NpyArray> read = rt::readNpy(path);
  if (!read)
    return emitError(loc) << "calibration data '" << path
                          << "': " << read.getError();
  array = read.take();
  if (array.dtype != tensor.dtype)
    return emitError(loc) << "calibration data '" << path << "' has dtype '"
                          << array.dtype << "' but model input '" << tensor.name
                          << "' is '" << tensor.dtype << "'";
  ArrayRef<int64_t> shape(array.shape);
  if (shape == ArrayRef<int64_t>(tensor.shape))
    return int64_t(1);
  if (allowStack && !shape.empty() && shape.front() > 0 &&
      shape.drop_front() == ArrayRef<int64_t>(tensor.shape))
    return shape.front();
  InFlightDiagnostic diag =
      emitError(loc) << "calibration data '" << path << "' has shape "
                     << formatShape(array.shape) << " but model input '"
                     << tensor.name << "' is " << formatShape(tensor.shape);
  if (allowStack)
    diag << " (or [S, ...] for S samples)";
  return failure();
}

/// DIR/<input>.npy, each holding one sample or a stack of S.
FailureOr<SampleSet> loadStacked(Location loc, StringRef dir,
                                 ArrayRef<AbiTensor> inputs) {
  auto arrays = std::make_shared<std::vector<rt::NpyArray>>(inputs.size());
  int64_t count = -1;
  std::string first;
  for (auto [i, tensor] : llvm::enumerate(inputs)) {
    SmallString<256> path(dir);
    llvm::sys::path::append(path, tensor.name + ".npy");
    if (!llvm::sys::fs::exists(path))
      return emitError(loc) << "calibration data: missing '" << path
                            << "' for model input '" << tensor.name << "'";
    FailureOr<int64_t> samples =
        readInput(loc, std::string(path), tensor, true, (*arrays)[i]);
    if (failed(samples))
      return failure();
    if (count >= 0 && *samples != count)
      return emitError(loc)
             << "calibration data '" << path << "' holds " << *samples
             << " sample(s) but '" << first << "' holds " << count;
    count = *samples;
    first = std::string(path);
  }
  SampleSet set;
  set.count = std::max<int64_t>(count, 0);
  set.source = dir.str();
  set.load = [arrays, inputs = SmallVector<AbiTensor>(inputs)](
                 int64_t index, std::vector<std::vector<uint8_t>> &buffers) {
    for (auto [i, tensor] : llvm::enumerate(inputs)) {
      size_t bytes = tensor.getSizeInBytes();
      const uint8_t *begin = (*arrays)[i].bytes.data() + index * bytes;
      buffers[i].assign(begin, begin + bytes);
    }
    return success();
  };
  return set;
}

/// DIR/<sample>/<input>.npy, one sample per subdirectory.
FailureOr<SampleSet> loadSubdirectories(Location loc, StringRef dir,
                                        ArrayRef<AbiTensor> inputs) {
  std::vector<std::string> samples;
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(dir, ec), end; it != end && !ec;
       it.increment(ec))
    if (it->type() == llvm::sys::fs::file_type::directory_file)
      samples.push_back(it->path());
  if (ec)
    return emitError(loc) << "calibration data: cannot list '" << dir
                          << "': " << ec.message();
  if (samples.empty()) {
    InFlightDiagnostic diag = emitError(loc)
                              << "calibration data: '" << dir
                              << "' holds neither <input>.npy files nor "
                                 "sample subdirectories; model inputs:";
    for (const AbiTensor &tensor : inputs)
      diag << " '" << tensor.name << "'";
    return failure();
  }
  llvm::sort(samples);
  SampleSet set;
  set.count = samples.size();
  set.source = dir.str();
  set.load = [loc, samples, inputs = SmallVector<AbiTensor>(inputs)](
                 int64_t index, std::vector<std::vector<uint8_t>> &buffers) {
    for (auto [i, tensor] : llvm::enumerate(inputs)) {
      SmallString<256> path(samples[index]);
      llvm::sys::path::append(path, tensor.name + ".npy");
      if (!llvm::sys::fs::exists(path))
        return LogicalResult(emitError(loc)
                             << "calibration data: missing '" << path
                             << "' for model input '" << tensor.name << "'");
      rt::NpyArray array;
      if (failed(readInput(loc, std::string(path), tensor, false, array)))
        return failure();
      buffers[i] = std::move(array.bytes);
    }
    return success();
  };
  return set;
}

/// splitmix64: a small, fully specified generator, so synthetic samples are
/// the same on every platform and standard library.
uint64_t nextRandom(uint64_t &state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/// A standard normal value (Box-Muller on two uniforms in (0, 1]).
double nextNormal(uint64_t &state) {
  double u1 = double((nextRandom(state) >> 11) + 1) * 0x1.0p-53;
  double u2 = double(nextRandom(state) >> 11) * 0x1.0p-53;
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
}

FailureOr<SampleSet> makeSynthetic(Location loc, ArrayRef<AbiTensor> inputs,
                                   int64_t count, uint64_t seed) {
  if (count < 1)
    return emitError(loc) << "calibration needs at least one synthetic "
                             "sample, got "
                          << count;
  for (const AbiTensor &tensor : inputs)
    if (!tensor.elementType.isF32() && !tensor.elementType.isF64())
      return emitError(loc)
             << "synthetic calibration samples are f32 or f64, but model "
                "input '"
             << tensor.name << "' is " << tensor.elementType
             << "; give calibration data (.npy files)";
  SampleSet set;
  set.count = count;
  set.source = "synthetic";
  set.load = [seed, inputs = SmallVector<AbiTensor>(inputs)](
                 int64_t index, std::vector<std::vector<uint8_t>> &buffers) {
    // One stream per (sample, input), independent of the sample order.
    for (auto [i, tensor] : llvm::enumerate(inputs)) {
      uint64_t state = seed;
      nextRandom(state);
      state ^= uint64_t(index) * 0x9e3779b97f4a7c15ULL + uint64_t(i);
      int64_t n = tensor.getNumElements();
      buffers[i].resize(tensor.getSizeInBytes());
      for (int64_t e = 0; e < n; ++e) {
        double value = nextNormal(state);
        if (tensor.elementType.isF32()) {
          float f = float(value);
          std::memcpy(buffers[i].data() + e * 4, &f, 4);
        } else {
          std::memcpy(buffers[i].data() + e * 8, &value, 8);
        }
      }
    }
    return success();
  };
  return set;
}

FailureOr<SampleSet> makeSamples(Location loc, ArrayRef<AbiTensor> inputs,
                                 const CalibrationOptions &options) {
  if (options.dataDir.empty())
    return makeSynthetic(loc, inputs, options.syntheticSamples, options.seed);
  StringRef dir = options.dataDir;
  if (!llvm::sys::fs::is_directory(dir))
    return emitError(loc) << "calibration data: '" << dir
                          << "' is not a directory";
  // Any DIR/<input>.npy selects the stacked layout.
  for (const AbiTensor &tensor : inputs) {
    SmallString<256> path(dir);
    llvm::sys::path::append(path, tensor.name + ".npy");
    if (llvm::sys::fs::exists(path))
      return loadStacked(loc, dir, inputs);
  }
  return loadSubdirectories(loc, dir, inputs);
}

//===----------------------------------------------------------------------===//
// Instrumenting and running the model
//===----------------------------------------------------------------------===//

/// The qnt.matmul ops of `func`, checked to be calibratable.
FailureOr<SmallVector<MatmulOp>> collectLayers(func::FuncOp func) {
  SmallVector<MatmulOp> ops;
  WalkResult walk = func.walk([&](MatmulOp op) -> WalkResult {
    if (op->getParentOp() != func.getOperation())
      return op.emitOpError()
             << "cannot be calibrated inside '" << op->getParentOp()->getName()
             << "'; calibration records qnt.matmul ops directly in the body "
                "of the entry function";
    RankedTensorType lhsType = op.getLhs().getType();
    if (!lhsType.hasStaticShape() || !lhsType.getElementType().isF32())
      return op.emitOpError()
             << "calibration needs a static f32 lhs, got " << lhsType;
    ops.push_back(op);
    return WalkResult::advance();
  });
  if (walk.wasInterrupted())
    return failure();
  if (!func.getBody().hasOneBlock())
    return func.emitError() << "calibration needs a single-block entry "
                               "function";
  return ops;
}

using RunFn = int (*)(const void *const *, void *const *);

constexpr StringLiteral kPrefix = "quant_calibration";

/// A lowered, JIT-compiled model.
struct JitModel {
  std::unique_ptr<ExecutionEngine> engine;
  RunFn run = nullptr;
  ModelAbi abi;
};

/// Lowers `copy` (in place) with the compile flow's ABI wrapper and
/// pipeline and JIT-compiles it for this host.
FailureOr<JitModel> jitCompile(ModuleOp copy, StringRef entry, bool cpuPipeline,
                               Location loc) {
  JitModel jit;
  FailureOr<ModelAbi> abi = computeModelAbi(copy, entry, kPrefix);
  if (failed(abi))
    return failure();
  jit.abi = *abi;
  CompileOptions compileOptions;
  compileOptions.pipeline =
      cpuPipeline ? PipelineKind::Cpu : PipelineKind::Reference;
  compileOptions.modelName = kPrefix;
  if (failed(lowerModelWithAbi(copy, jit.abi, compileOptions)))
    return emitError(loc) << "calibration: cannot lower the model to run it";

  TargetSpec spec;
  FailureOr<std::unique_ptr<llvm::TargetMachine>> tm =
      createTargetMachine(spec, loc);
  if (failed(tm))
    return failure();
  auto buildModule =
      [&](Operation *op,
          llvm::LLVMContext &llvmContext) -> std::unique_ptr<llvm::Module> {
    FailureOr<std::unique_ptr<llvm::Module>> llvmModule =
        translateToLLVMIR(cast<ModuleOp>(op), llvmContext, spec);
    if (failed(llvmModule))
      return nullptr;
    return std::move(*llvmModule);
  };
  ExecutionEngineOptions engineOptions;
  engineOptions.llvmModuleBuilder = buildModule;
  engineOptions.enableGDBNotificationListener = false;
  engineOptions.enablePerfNotificationListener = false;
  llvm::Expected<std::unique_ptr<ExecutionEngine>> engine =
      ExecutionEngine::create(copy, engineOptions, std::move(*tm));
  if (!engine)
    return emitError(loc) << "calibration: cannot JIT-compile the model: "
                          << llvm::toString(engine.takeError());
  jit.engine = std::move(*engine);
  jit.engine->initialize();
  llvm::Expected<void *> symbol = jit.engine->lookup(jit.abi.prefix + "_run");
  if (!symbol)
    return emitError(loc) << "calibration: " << jit.abi.prefix
                          << "_run not found: "
                          << llvm::toString(symbol.takeError());
  jit.run = reinterpret_cast<RunFn>(*symbol);
  return jit;
}

} // namespace

FailureOr<CalibrationResult>
mlir::qnt::calibrateModel(ModuleOp module, const CalibrationOptions &options) {
  Location loc = module.getLoc();
  if (options.maxGramK < 0)
    return emitError(loc) << "the X^T X size limit must be >= 0, got "
                          << options.maxGramK;
  if (failed(assignLayerNames(module)))
    return failure();
  FailureOr<ModelAbi> modelAbi =
      computeModelAbi(module, options.entry, kPrefix);
  if (failed(modelAbi))
    return failure();
  auto entry = module.lookupSymbol<func::FuncOp>(modelAbi->entry);
  FailureOr<SmallVector<MatmulOp>> layerOps = collectLayers(entry);
  if (failed(layerOps))
    return failure();

  CalibrationResult result;
  for (auto [index, op] : llvm::enumerate(*layerOps)) {
    RankedTensorType weightType = op.getWeight().getType();
    int64_t k = op.getLhs().getType().getShape().back();
    int64_t n = weightType.getDimSize(weightType.getRank() - 2);
    result.layers.emplace_back(
        cast<StringAttr>(op->getAttr(kLayerAttrName)).str(), index, k, n,
        k <= options.maxGramK);
  }
  if (result.layers.empty()) {
    emitWarning(loc) << "calibration: entry function '" << modelAbi->entry
                     << "' has no qnt.matmul to record";
  }

  // Bad data fails before the model is compiled.
  FailureOr<SampleSet> samples = makeSamples(loc, modelAbi->inputs, options);
  if (failed(samples))
    return failure();
  if (samples->count == 0)
    return emitError(loc) << "calibration data '" << samples->source
                          << "' holds no samples";
  result.source = samples->source;
  result.numSamples = samples->count;

  // The copy returns each distinct lhs as an extra, named result.
  OwningOpRef<ModuleOp> copy = module.clone();
  auto copyEntry = copy->lookupSymbol<func::FuncOp>(modelAbi->entry);
  SmallVector<MatmulOp> copyOps;
  copyEntry.walk([&](MatmulOp op) { copyOps.push_back(op); });
  assert(copyOps.size() == layerOps->size() && "the copy differs");
  llvm::StringSet<> outputNames;
  for (const AbiTensor &tensor : modelAbi->outputs)
    outputNames.insert(tensor.name);
  llvm::DenseMap<Value, int64_t> lhsOutput;
  SmallVector<int64_t> layerOutput;
  SmallVector<Value> extraResults;
  for (MatmulOp op : copyOps) {
    auto [it, inserted] = lhsOutput.try_emplace(
        op.getLhs(), modelAbi->outputs.size() + extraResults.size());
    if (inserted)
      extraResults.push_back(op.getLhs());
    layerOutput.push_back(it->second);
  }
  OpBuilder builder(copy->getContext());
  auto returnOp =
      cast<func::ReturnOp>(copyEntry.getBody().front().getTerminator());
  for (auto [i, value] : llvm::enumerate(extraResults)) {
    std::string name = "qnt.calibration." + std::to_string(i);
    if (outputNames.contains(name))
      return entry.emitError()
             << "output name '" << name << "' is reserved for calibration";
    unsigned position = copyEntry.getNumResults();
    if (failed(copyEntry.insertResult(
            position, value.getType(),
            builder.getDictionaryAttr(builder.getNamedAttr(
                "qnt.name", builder.getStringAttr(name))))))
      return entry.emitError() << "cannot add calibration results";
    returnOp->insertOperands(returnOp->getNumOperands(), value);
  }

  FailureOr<JitModel> jit =
      jitCompile(*copy, modelAbi->entry, options.cpuPipeline, loc);
  if (failed(jit))
    return failure();
  const ModelAbi *abi = &jit->abi;
  RunFn run = jit->run;

  std::vector<std::vector<uint8_t>> inputs(abi->inputs.size());
  std::vector<std::vector<uint8_t>> outputs;
  for (const AbiTensor &tensor : abi->outputs)
    outputs.emplace_back(tensor.getSizeInBytes());
  SmallVector<const void *> inputPtrs(inputs.size());
  SmallVector<void *> outputPtrs;
  for (std::vector<uint8_t> &buffer : outputs)
    outputPtrs.push_back(buffer.data());
  for (int64_t sample = 0; sample < samples->count; ++sample) {
    if (failed(samples->load(sample, inputs)))
      return failure();
    for (auto [i, buffer] : llvm::enumerate(inputs))
      inputPtrs[i] = buffer.data();
    if (run(inputPtrs.data(), outputPtrs.data()) != 0)
      return emitError(loc)
             << "calibration: the model failed on sample " << sample;
    for (auto [layer, output] : llvm::zip(result.layers, layerOutput)) {
      const std::vector<uint8_t> &buffer = outputs[output];
      auto *data = reinterpret_cast<const float *>(buffer.data());
      int64_t count = buffer.size() / sizeof(float);
      for (int64_t e = 0; e < count; ++e)
        if (!std::isfinite(data[e]))
          return (*layerOps)[layer.index].emitOpError()
                 << "input of layer '" << layer.name
                 << "' is not finite on calibration sample " << sample;
      layer.stats.addRows(data, count / layer.k);
    }
  }
  return result;
}

//===----------------------------------------------------------------------===//
// Writing
//===----------------------------------------------------------------------===//

LogicalResult mlir::qnt::writeCalibration(const CalibrationResult &result,
                                          StringRef dir, Location loc) {
  if (std::error_code ec = llvm::sys::fs::create_directories(dir))
    return emitError(loc) << "cannot create calibration directory '" << dir
                          << "': " << ec.message();
  std::string json;
  llvm::raw_string_ostream os(json);
  bool wroteAll = true;
  {
    llvm::json::OStream out(os, 2);
    out.objectBegin();
    out.attribute("version", 1);
    out.attribute("source", result.source);
    out.attribute("samples", result.numSamples);
    out.attributeArray("layers", [&] {
      for (const LayerCalibration &layer : result.layers) {
        const LayerInputStats &stats = layer.stats;
        out.objectBegin();
        out.attribute("name", layer.name);
        out.attribute("index", layer.index);
        out.attribute("k", layer.k);
        out.attribute("n", layer.n);
        out.attribute("rows", stats.getRows());
        out.attribute("min", double(stats.getMin()));
        out.attribute("max", double(stats.getMax()));
        out.attributeArray("abs_max", [&] {
          for (float value : stats.getAbsMax())
            out.value(double(value));
        });
        out.attributeArray("mean_abs", [&] {
          for (double value : stats.getMeanAbs())
            out.value(value);
        });
        if (stats.hasGram()) {
          std::string file = layer.name + ".xtx.npy";
          out.attribute("xtx", file);
          std::vector<double> gram = stats.getGram();
          std::vector<uint8_t> bytes(gram.size() * sizeof(double));
          std::memcpy(bytes.data(), gram.data(), bytes.size());
          rt::Result<rt::NpyArray> array =
              rt::makeNpyArray("<f8", {layer.k, layer.k}, std::move(bytes));
          SmallString<256> path(dir);
          llvm::sys::path::append(path, file);
          rt::Status status = array ? rt::writeNpy(std::string(path), *array)
                                    : rt::Status::failure(array.getError());
          if (!status) {
            emitError(loc) << "cannot write '" << path
                           << "': " << status.getError();
            wroteAll = false;
          }
        } else {
          out.attribute("xtx", nullptr);
        }
        out.objectEnd();
      }
    });
    out.objectEnd();
  }
  if (!wroteAll)
    return failure();
  os << "\n";
  SmallString<256> path(dir);
  llvm::sys::path::append(path, "stats.json");
  std::error_code ec;
  llvm::raw_fd_ostream file(path, ec);
  if (ec)
    return emitError(loc) << "cannot write '" << path << "': " << ec.message();
  file << json;
  file.close();
  if (file.has_error()) {
    file.clear_error();
    return emitError(loc) << "cannot write '" << path << "'";
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Model output errors of weight replacements
//===----------------------------------------------------------------------===//

namespace {

/// Replaces the plain weight of layer `change.layer` in `module` by a new
/// #qnt.plain constant holding `change.weights`.
LogicalResult replaceWeight(ModuleOp module, const WeightReplacement &change) {
  MatmulOp target;
  module.walk([&](MatmulOp op) {
    auto name = op->getAttrOfType<StringAttr>(kLayerAttrName);
    if (name && name.getValue() == change.layer)
      target = op;
  });
  if (!target)
    return emitError(module.getLoc())
           << "model sensitivity: no qnt.matmul named '" << change.layer << "'";
  auto plain = target.getWeight().getDefiningOp<ConstantOp>();
  auto encoding =
      plain ? dyn_cast<PlainAttr>(plain.getType().getEncoding()) : PlainAttr();
  if (!encoding || plain.getType().getRank() != 2 ||
      !encoding.getStorageType().isF32())
    return target.emitOpError()
           << "model sensitivity replaces 2-D #qnt.plain f32 weights; layer '"
           << change.layer << "' has " << target.getWeight().getType();
  RankedTensorType type = plain.getType();
  if (int64_t(change.weights.size()) != type.getNumElements())
    return target.emitOpError()
           << "model sensitivity: " << change.weights.size()
           << " replacement values for a weight of " << type.getNumElements();
  auto partType = RankedTensorType::get(type.getShape(),
                                        Float32Type::get(module.getContext()));
  auto values = DenseElementsAttr::get(partType, ArrayRef(change.weights));
  OpBuilder builder(plain);
  auto replaced = ConstantOp::create(builder, plain.getLoc(), type,
                                     builder.getArrayAttr({values}));
  target->setOperand(1, replaced.getResult());
  return success();
}

/// Runs `jit` on `count` samples; returns every float output, widened to
/// double, sample after sample.
FailureOr<std::vector<double>> runOutputs(JitModel &jit, SampleSet &samples,
                                          int64_t count, Location loc) {
  const ModelAbi &abi = jit.abi;
  std::vector<std::vector<uint8_t>> inputs(abi.inputs.size());
  std::vector<std::vector<uint8_t>> outputs;
  for (const AbiTensor &tensor : abi.outputs)
    outputs.emplace_back(tensor.getSizeInBytes());
  SmallVector<const void *> inputPtrs(inputs.size());
  SmallVector<void *> outputPtrs;
  for (std::vector<uint8_t> &buffer : outputs)
    outputPtrs.push_back(buffer.data());
  std::vector<double> values;
  for (int64_t sample = 0; sample < count; ++sample) {
    if (failed(samples.load(sample, inputs)))
      return failure();
    for (auto [i, buffer] : llvm::enumerate(inputs))
      inputPtrs[i] = buffer.data();
    if (jit.run(inputPtrs.data(), outputPtrs.data()) != 0)
      return emitError(loc)
             << "model sensitivity: the model failed on sample " << sample;
    for (auto [tensor, buffer] : llvm::zip_equal(abi.outputs, outputs)) {
      int64_t n = tensor.getNumElements();
      if (tensor.elementType.isF32()) {
        auto *data = reinterpret_cast<const float *>(buffer.data());
        values.insert(values.end(), data, data + n);
      } else if (tensor.elementType.isF64()) {
        auto *data = reinterpret_cast<const double *>(buffer.data());
        values.insert(values.end(), data, data + n);
      }
    }
  }
  return values;
}

} // namespace

FailureOr<OutputErrorResult> mlir::qnt::measureOutputErrors(
    ModuleOp module, ArrayRef<WeightReplacement> changes,
    const CalibrationOptions &options, int64_t maxSamples) {
  Location loc = module.getLoc();
  if (maxSamples < 1)
    return emitError(loc) << "model sensitivity needs at least one sample, got "
                          << maxSamples;
  FailureOr<ModelAbi> modelAbi =
      computeModelAbi(module, options.entry, kPrefix);
  if (failed(modelAbi))
    return failure();
  if (llvm::none_of(modelAbi->outputs, [](const AbiTensor &tensor) {
        return tensor.elementType.isF32() || tensor.elementType.isF64();
      }))
    return emitError(loc) << "model sensitivity compares float outputs, but "
                             "entry function '"
                          << modelAbi->entry << "' has none";
  FailureOr<SampleSet> samples = makeSamples(loc, modelAbi->inputs, options);
  if (failed(samples))
    return failure();
  OutputErrorResult result;
  result.numSamples = std::min(samples->count, maxSamples);
  if (result.numSamples == 0)
    return emitError(loc) << "calibration data '" << samples->source
                          << "' holds no samples";

  auto runCopy =
      [&](const WeightReplacement *change) -> FailureOr<std::vector<double>> {
    OwningOpRef<ModuleOp> copy = module.clone();
    if (change && failed(replaceWeight(*copy, *change)))
      return failure();
    FailureOr<JitModel> jit =
        jitCompile(*copy, modelAbi->entry, options.cpuPipeline, loc);
    if (failed(jit))
      return failure();
    return runOutputs(*jit, *samples, result.numSamples, loc);
  };
  FailureOr<std::vector<double>> reference = runCopy(nullptr);
  if (failed(reference))
    return failure();
  double scale = 1.0 / double(result.numSamples);
  for (double y : *reference)
    result.referenceEnergy += y * y * scale;
  for (const WeightReplacement &change : changes) {
    FailureOr<std::vector<double>> outputs = runCopy(&change);
    if (failed(outputs))
      return failure();
    double error = 0.0;
    for (auto [y, yRef] : llvm::zip_equal(*outputs, *reference))
      error += (y - yRef) * (y - yRef);
    if (!std::isfinite(error))
      return emitError(loc) << "model sensitivity: the outputs are not finite "
                               "with layer '"
                            << change.layer << "' replaced";
    result.errors.push_back(error * scale);
  }
  return result;
}

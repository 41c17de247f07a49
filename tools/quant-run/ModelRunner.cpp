//===- ModelRunner.cpp - drive a compiled model on .npy files -------------===//

#include "ModelRunner.h"

#include "quant/Runtime/Bandwidth.h"
#include "quant/Runtime/Buffer.h"
#include "quant/Runtime/Npy.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <sys/stat.h>
#include <unistd.h>

using namespace mlir::qnt::rt;

namespace {

/// The ABI dtype of bfloat16 tensors (numpy has none: ml_dtypes' name).
/// quant-run reads them from float32 .npy files (rounded to nearest even)
/// and writes them widened to float32, which is exact.
constexpr const char *kBfloat16 = "bfloat16";

/// One tensor as the model's metadata describes it.
struct TensorSpec {
  std::string name;
  std::string dtype;
  std::vector<int64_t> shape;

  bool isBfloat16() const { return dtype == kBfloat16; }
  /// The dtype of the .npy files that carry this tensor.
  std::string getFileDtype() const { return isBfloat16() ? "<f4" : dtype; }
  size_t getNumElements() const {
    size_t count = 1;
    for (int64_t dim : shape)
      count *= size_t(dim);
    return count;
  }
  size_t getSizeInBytes() const {
    return getNumElements() * (isBfloat16() ? 2 : getNpyElementSize(dtype));
  }
};

uint16_t floatToBfloat16(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, 4);
  if ((bits & 0x7fffffff) > 0x7f800000) // NaN stays a quiet NaN.
    return uint16_t((bits >> 16) | 0x40);
  bits += 0x7fff + ((bits >> 16) & 1); // Round to nearest even.
  return uint16_t(bits >> 16);
}

float bfloat16ToFloat(uint16_t value) {
  uint32_t bits = uint32_t(value) << 16;
  float result;
  std::memcpy(&result, &bits, 4);
  return result;
}

std::string formatShape(const std::vector<int64_t> &shape) {
  std::string text = "(";
  for (size_t i = 0; i < shape.size(); ++i)
    text += (i ? ", " : "") + std::to_string(shape[i]);
  if (shape.size() == 1)
    text += ",";
  return text + ")";
}

class Runner {
public:
  Runner(const std::string &tool, const std::string &what,
         const ModelFunctions &functions)
      : tool(tool), what(what), fns(functions) {}

  int run(const std::vector<std::string> &args);

private:
  /// Prints "<tool>: error: <message>" and returns the exit code 1.
  int fail(const std::string &message) const {
    std::fprintf(stderr, "%s: error: %s\n", tool.c_str(), message.c_str());
    return 1;
  }
  int parseArgs(const std::vector<std::string> &args);
  int bench(const std::function<int()> &runOnce);
  int readMetadata();
  int loadInputs(std::vector<AlignedBuffer> &buffers);
  int stageOutputs(std::vector<std::string> &tempPaths,
                   std::vector<std::string> &finalPaths);
  int writeOutputs(const std::vector<AlignedBuffer> &buffers,
                   std::vector<std::string> &tempPaths,
                   const std::vector<std::string> &finalPaths);

  std::string tool;
  std::string what;
  const ModelFunctions &fns;

  std::vector<std::pair<std::string, std::string>> inputFiles;
  std::optional<std::string> outputDir;
  std::optional<int> benchRuns;
  std::optional<int> threads;
  std::optional<uint64_t> flushMb;
  std::optional<uint64_t> bandwidthBytes;
  /// --bandwidth-bytes weights: read the model's own read-only data instead.
  bool streamWeights = false;

  std::vector<TensorSpec> inputs;
  std::vector<TensorSpec> outputs;
};

/// Parses a positive int, or nullopt.
std::optional<int> parsePositive(const std::string &text) {
  if (text.empty() || text.size() > 9 ||
      !std::all_of(text.begin(), text.end(),
                   [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  int value = std::atoi(text.c_str());
  if (value < 1)
    return std::nullopt;
  return value;
}

/// Parses a positive integer that fits in 63 bits, or nullopt.
std::optional<uint64_t> parsePositiveSize(const std::string &text) {
  if (text.empty() || text.size() > 18 ||
      !std::all_of(text.begin(), text.end(),
                   [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  uint64_t value = std::strtoull(text.c_str(), nullptr, 10);
  if (value < 1)
    return std::nullopt;
  return value;
}

/// Bytes in the --flush-mb unit (as scripts/ort/ort_run.js counts them).
constexpr uint64_t kBytesPerMb = 1000000;

/// Keeps the sums of untimed reads alive, so they cannot be optimized away.
volatile uint64_t readSink;

int Runner::parseArgs(const std::vector<std::string> &args) {
  for (size_t i = 0; i < args.size(); ++i) {
    std::string arg = args[i];
    std::string value;
    bool hasValue = false;
    size_t eq = arg.find('=');
    if (arg.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      hasValue = true;
    }
    auto takeValue = [&]() -> bool {
      if (hasValue)
        return true;
      if (i + 1 >= args.size())
        return false;
      value = args[++i];
      return true;
    };
    if (arg == "--input" || arg == "--output-dir" || arg == "--bench" ||
        arg == "--threads" || arg == "--flush-mb" ||
        arg == "--bandwidth-bytes") {
      if (!takeValue())
        return fail("option '" + arg + "' needs a value");
    } else {
      return fail("unknown argument '" + args[i] + "' (see --help)");
    }
    if (arg == "--input") {
      size_t split = value.find('=');
      if (split == std::string::npos || split == 0 || split + 1 == value.size())
        return fail("--input needs NAME=FILE.npy, got '" + value + "'");
      inputFiles.emplace_back(value.substr(0, split), value.substr(split + 1));
    } else if (arg == "--output-dir") {
      if (value.empty())
        return fail("--output-dir needs a directory");
      outputDir = value;
    } else if (arg == "--bench") {
      benchRuns = parsePositive(value);
      if (!benchRuns)
        return fail("--bench needs a positive run count, got '" + value + "'");
    } else if (arg == "--flush-mb") {
      flushMb = parsePositiveSize(value);
      if (!flushMb ||
          *flushMb > std::numeric_limits<size_t>::max() / (2 * kBytesPerMb))
        return fail("--flush-mb needs a positive size in MB, got '" + value +
                    "'");
    } else if (arg == "--bandwidth-bytes") {
      streamWeights = value == "weights";
      bandwidthBytes.reset();
      if (streamWeights)
        continue;
      bandwidthBytes = parsePositiveSize(value);
      if (!bandwidthBytes ||
          *bandwidthBytes > std::numeric_limits<size_t>::max() / 2)
        return fail("--bandwidth-bytes needs a positive byte count or "
                    "'weights', got '" +
                    value + "'");
    } else {
      threads = parsePositive(value);
      if (!threads)
        return fail("--threads needs a positive thread count, got '" + value +
                    "'");
    }
  }
  if (!outputDir && !benchRuns)
    return fail("--output-dir is required (unless --bench is given)");
  // Both only change what the timed runs measure.
  if (flushMb && !benchRuns)
    return fail("--flush-mb needs --bench N (it flushes before timed runs)");
  if ((bandwidthBytes || streamWeights) && !benchRuns)
    return fail("--bandwidth-bytes needs --bench N (it is measured next to "
                "the timed runs)");
  return 0;
}

int Runner::readMetadata() {
  int version = fns.abiVersion();
  if (version != kRunnerAbiVersion)
    return fail(what + " has model ABI version " + std::to_string(version) +
                "; this runner supports version " +
                std::to_string(kRunnerAbiVersion));
  auto read = [&](bool isInput, std::vector<TensorSpec> &specs) -> int {
    int count = isInput ? fns.numInputs() : fns.numOutputs();
    const char *kind = isInput ? "input" : "output";
    if (count < 0)
      return fail(what + " reports a negative " + kind + " count");
    for (int i = 0; i < count; ++i) {
      const char *name = (isInput ? fns.inputName : fns.outputName)(i);
      const char *dtype = (isInput ? fns.inputDtype : fns.outputDtype)(i);
      int rank = -1;
      const int64_t *shape =
          (isInput ? fns.inputShape : fns.outputShape)(i, &rank);
      if (!name || !dtype || !shape || rank < 0)
        return fail(what + " has incomplete metadata for " + kind + " #" +
                    std::to_string(i));
      TensorSpec spec;
      spec.name = name;
      std::optional<std::string> canonical =
          std::string(dtype) == kBfloat16 ? std::optional<std::string>(dtype)
                                          : canonicalizeNpyDtype(dtype);
      if (!canonical)
        return fail(what + ": " + kind + " '" + spec.name +
                    "' has unsupported dtype '" + dtype + "'");
      spec.dtype = *canonical;
      spec.shape.assign(shape, shape + rank);
      for (int64_t dim : spec.shape)
        if (dim < 0)
          return fail(what + ": " + kind + " '" + spec.name +
                      "' has a negative dimension");
      specs.push_back(std::move(spec));
    }
    return 0;
  };
  if (int rc = read(true, inputs))
    return rc;
  return read(false, outputs);
}

int Runner::loadInputs(std::vector<AlignedBuffer> &buffers) {
  std::map<std::string, std::string> byName;
  for (const auto &[name, file] : inputFiles) {
    const std::string &wanted = name;
    bool known =
        std::any_of(inputs.begin(), inputs.end(),
                    [&](const TensorSpec &s) { return s.name == wanted; });
    if (!known) {
      std::string names;
      for (const TensorSpec &spec : inputs)
        names += (names.empty() ? "" : ", ") + spec.name;
      return fail("unknown input '" + name + "'; the inputs of " + what +
                  " are: " + (names.empty() ? "(none)" : names));
    }
    if (!byName.emplace(name, file).second)
      return fail("input '" + name + "' is given more than once");
  }
  for (const TensorSpec &spec : inputs) {
    auto it = byName.find(spec.name);
    if (it == byName.end())
      return fail("missing input '" + spec.name + "' (dtype '" + spec.dtype +
                  "', shape " + formatShape(spec.shape) + "); pass --input " +
                  spec.name + "=FILE.npy");
    const std::string &file = it->second;
    Result<NpyArray> array = readNpy(file);
    if (!array)
      return fail("input '" + spec.name + "': cannot read '" + file +
                  "': " + array.getError());
    if (array->dtype != spec.getFileDtype())
      return fail(
          "input '" + spec.name + "': '" + file + "' has dtype '" +
          array->dtype + "', the model expects '" + spec.getFileDtype() + "'" +
          (spec.isBfloat16() ? " (a bfloat16 input, given as float32)" : ""));
    if (array->shape != spec.shape)
      return fail("input '" + spec.name + "': '" + file + "' has shape " +
                  formatShape(array->shape) + ", the model expects " +
                  formatShape(spec.shape));
    AlignedBuffer buffer(spec.getSizeInBytes(), kDefaultAlignment,
                         /*zeroFill=*/false);
    if (!buffer)
      return fail("out of memory for input '" + spec.name + "'");
    if (spec.isBfloat16()) {
      auto *out = static_cast<uint16_t *>(buffer.data());
      for (size_t i = 0; i < spec.getNumElements(); ++i) {
        float value;
        std::memcpy(&value, array->bytes.data() + 4 * i, 4);
        out[i] = floatToBfloat16(value);
      }
    } else if (!array->bytes.empty()) {
      std::memcpy(buffer.data(), array->bytes.data(), array->bytes.size());
    }
    buffers.push_back(std::move(buffer));
  }
  return 0;
}

/// Creates every output's temporary file before the model runs, so an
/// unwritable directory fails early and nothing is half-written.
int Runner::stageOutputs(std::vector<std::string> &tempPaths,
                         std::vector<std::string> &finalPaths) {
  if (!outputDir)
    return 0;
  struct stat info;
  if (::stat(outputDir->c_str(), &info) != 0 || !S_ISDIR(info.st_mode))
    return fail("output directory '" + *outputDir + "' does not exist");
  for (const TensorSpec &spec : outputs) {
    if (spec.name.empty() || spec.name == "." || spec.name == ".." ||
        spec.name.find('/') != std::string::npos)
      return fail(what + ": output name '" + spec.name +
                  "' is not a valid file name");
    std::string path = *outputDir + "/" + spec.name + ".npy";
    std::string temp = *outputDir + "/." + spec.name + ".npy-XXXXXX";
    std::vector<char> templ(temp.begin(), temp.end());
    templ.push_back('\0');
    int fd = ::mkstemp(templ.data());
    if (fd < 0)
      return fail("cannot create '" + path + "': " + std::strerror(errno));
    ::close(fd);
    tempPaths.push_back(templ.data());
    finalPaths.push_back(path);
  }
  return 0;
}

int Runner::writeOutputs(const std::vector<AlignedBuffer> &buffers,
                         std::vector<std::string> &tempPaths,
                         const std::vector<std::string> &finalPaths) {
  for (size_t i = 0; i < outputs.size(); ++i) {
    const TensorSpec &spec = outputs[i];
    const auto *data = static_cast<const uint8_t *>(buffers[i].data());
    std::vector<uint8_t> bytes(data, data + spec.getSizeInBytes());
    if (spec.isBfloat16()) {
      std::vector<uint8_t> widened(4 * spec.getNumElements());
      for (size_t j = 0; j < spec.getNumElements(); ++j) {
        uint16_t value;
        std::memcpy(&value, data + 2 * j, 2);
        float f = bfloat16ToFloat(value);
        std::memcpy(widened.data() + 4 * j, &f, 4);
      }
      bytes = std::move(widened);
    }
    Result<NpyArray> array =
        makeNpyArray(spec.getFileDtype(), spec.shape, std::move(bytes));
    if (!array)
      return fail("output '" + spec.name + "': " + array.getError());
    Status status = writeNpy(tempPaths[i], *array);
    if (!status)
      return fail("cannot write '" + finalPaths[i] + "': " + status.getError());
  }
  for (size_t i = 0; i < outputs.size(); ++i) {
    if (std::rename(tempPaths[i].c_str(), finalPaths[i].c_str()) != 0)
      return fail("cannot write '" + finalPaths[i] +
                  "': " + std::strerror(errno));
    tempPaths[i].clear();
  }
  for (size_t i = 0; i < outputs.size(); ++i)
    std::printf("%s: %s %s -> %s\n", outputs[i].name.c_str(),
                formatShape(outputs[i].shape).c_str(), outputs[i].dtype.c_str(),
                finalPaths[i].c_str());
  return 0;
}

int Runner::run(const std::vector<std::string> &args) {
  if (int rc = parseArgs(args))
    return rc;
  if (int rc = readMetadata())
    return rc;
  std::vector<AlignedBuffer> inputBuffers;
  if (int rc = loadInputs(inputBuffers))
    return rc;

  std::vector<AlignedBuffer> outputBuffers;
  for (const TensorSpec &spec : outputs) {
    AlignedBuffer buffer(spec.getSizeInBytes());
    if (!buffer)
      return fail("out of memory for output '" + spec.name + "'");
    outputBuffers.push_back(std::move(buffer));
  }

  std::vector<std::string> tempPaths, finalPaths;
  // Whatever is left staged on any exit is removed.
  struct Cleanup {
    std::vector<std::string> &paths;
    ~Cleanup() {
      for (const std::string &path : paths)
        if (!path.empty())
          std::remove(path.c_str());
    }
  } cleanup{tempPaths};
  if (int rc = stageOutputs(tempPaths, finalPaths))
    return rc;

  if (threads) {
    if (fns.threadSetters.empty())
      std::fprintf(stderr,
                   "%s: warning: %s uses no thread pool; --threads has no "
                   "effect\n",
                   tool.c_str(), what.c_str());
    for (void (*setter)(int) : fns.threadSetters)
      setter(*threads);
  }

  std::vector<const void *> inputPtrs;
  for (const AlignedBuffer &buffer : inputBuffers)
    inputPtrs.push_back(buffer.data());
  std::vector<void *> outputPtrs;
  for (AlignedBuffer &buffer : outputBuffers)
    outputPtrs.push_back(buffer.data());
  auto runOnce = [&]() -> int {
    int rc = fns.run(inputPtrs.data(), outputPtrs.data());
    if (rc != 0)
      return fail(what + ": the model's run function returned " +
                  std::to_string(rc));
    return 0;
  };

  if (benchRuns) {
    if (int rc = bench(runOnce))
      return rc;
  } else if (int rc = runOnce()) {
    return rc;
  }
  if (!outputDir)
    return 0;
  return writeOutputs(outputBuffers, tempPaths, finalPaths);
}

/// Times the model's runs (after one warm-up run) and, with
/// --bandwidth-bytes, a streaming read next to each; with --flush-mb, each
/// timed thing starts after an untimed flush.
int Runner::bench(const std::function<int()> &runOnce) {
  // What the streaming read covers: a fresh buffer, or the model's own
  // read-only data. The two can read at different rates (which physical
  // pages back them matters), so the weights are the fair reference.
  CacheFlusher flusher;
  if (flushMb) {
    flusher = CacheFlusher(size_t(*flushMb * kBytesPerMb));
    if (!flusher)
      return fail("out of memory for the " + std::to_string(*flushMb) +
                  " MB --flush-mb buffer");
  }
  // Written, so that the stream reads real pages rather than the zero page.
  AlignedBuffer stream;
  std::vector<MemoryRange> ranges;
  if (bandwidthBytes) {
    stream = AlignedBuffer(size_t(*bandwidthBytes), kDefaultAlignment,
                           /*zeroFill=*/false);
    if (!stream)
      return fail("out of memory for the " + std::to_string(*bandwidthBytes) +
                  "-byte --bandwidth-bytes buffer");
    std::memset(stream.data(), 0x5a, stream.size());
    ranges.push_back({stream.data(), stream.size()});
  } else if (streamWeights) {
    ranges = getReadOnlyDataSegments(fns.objectHandle);
    if (ranges.empty())
      return fail("--bandwidth-bytes weights: " + what +
                  " has no read-only, non-executable segment (where "
                  "quant-compile puts the weight constants)");
  }
  size_t streamBytes = 0;
  for (const MemoryRange &range : ranges)
    streamBytes += range.size;
  auto readStream = [&]() {
    uint64_t sum = 0;
    for (const MemoryRange &range : ranges)
      sum += streamRead(range.data, range.size);
    return sum;
  };

  using Clock = std::chrono::steady_clock;
  auto elapsedMs = [](Clock::time_point start, Clock::time_point end) {
    return std::chrono::duration<double, std::milli>(end - start).count();
  };
  uint64_t sink = 0;
  if (int rc = runOnce())
    return rc;
  sink += readStream();
  std::vector<double> times, streamTimes;
  for (int i = 0; i < *benchRuns; ++i) {
    if (flusher)
      sink += flusher.flush();
    auto start = Clock::now();
    if (int rc = runOnce())
      return rc;
    times.push_back(elapsedMs(start, Clock::now()));
    if (ranges.empty())
      continue;
    if (flusher)
      sink += flusher.flush();
    start = Clock::now();
    sink += readStream();
    streamTimes.push_back(elapsedMs(start, Clock::now()));
  }
  readSink = sink;

  std::sort(times.begin(), times.end());
  size_t n = times.size();
  double median =
      n % 2 ? times[n / 2] : 0.5 * (times[n / 2 - 1] + times[n / 2]);
  std::printf("median_ms %.6f\n", median);
  std::printf("min_ms %.6f\n", times.front());
  if (!ranges.empty()) {
    double best = *std::min_element(streamTimes.begin(), streamTimes.end());
    std::printf("stream_min_ms %.6f\n", best);
    // A run too short for the clock gives no meaningful rate.
    double gbps = best > 0 ? double(streamBytes) / (best * 1e6) : 0;
    std::printf("stream_gbps %.3f\n", gbps);
    std::printf("stream_bytes %zu\n", streamBytes);
  }
  std::fflush(stdout);
  return 0;
}

} // namespace

std::string mlir::qnt::rt::getRunnerUsage(const std::string &tool,
                                          const std::string &positional) {
  return "usage: " + tool + (positional.empty() ? "" : " " + positional) +
         " --input NAME=FILE.npy ... --output-dir DIR [--bench N] "
         "[--flush-mb MB]\n    [--bandwidth-bytes B|weights] [--threads T]\n\n"
         "  --input NAME=FILE.npy  an input of the model (every input once)\n"
         "  --output-dir DIR       existing directory; each output is written "
         "as DIR/<name>.npy\n"
         "  --bench N              after one warm-up run, time N runs and "
         "print 'median_ms <ms>'\n"
         "                         and 'min_ms <ms>'\n"
         "  --flush-mb MB          with --bench: before every timed run, read "
         "an MB-megabyte\n"
         "                         buffer (untimed) so that each starts with "
         "cold caches\n"
         "  --bandwidth-bytes B    with --bench: after every timed run "
         "(flushed the same way),\n"
         "                         time one streaming read of B bytes; print "
         "'stream_min_ms <ms>'\n"
         "                         and 'stream_gbps <B / fastest read>' (the "
         "core's read bandwidth)\n"
         "                         and 'stream_bytes <B>'\n"
         "  --bandwidth-bytes weights\n"
         "                         the same over the model's own read-only "
         "data segments (its\n"
         "                         weight constants); B is their total size\n"
         "  --threads T            threads of the model's thread pool\n";
}

int mlir::qnt::rt::runModel(const std::string &tool, const std::string &what,
                            const ModelFunctions &functions,
                            const std::vector<std::string> &args) {
  return Runner(tool, what, functions).run(args);
}

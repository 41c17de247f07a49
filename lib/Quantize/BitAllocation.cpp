//===- BitAllocation.cpp - Multiple-choice knapsack -----------------------===//

#include "quant/Quantize/BitAllocation.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/ErrorHandling.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <optional>

using namespace mlir::qnt;
using namespace mlir::qnt::quantize;

static llvm::Error makeError(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

static llvm::Error checkLayers(llvm::ArrayRef<CandidateList> layers) {
  for (size_t i = 0; i < layers.size(); ++i) {
    if (layers[i].empty())
      return makeError("bit allocation: layer " + llvm::Twine(uint64_t(i)) +
                       " has no candidates");
    if (layers[i].size() > 65535)
      return makeError("bit allocation: layer " + llvm::Twine(uint64_t(i)) +
                       " has more than 65535 candidates");
    for (const Candidate &c : layers[i])
      if (!std::isfinite(c.error))
        return makeError("bit allocation: layer " + llvm::Twine(uint64_t(i)) +
                         " has a candidate with a non-finite error");
  }
  return llvm::Error::success();
}

static uint64_t minCost(const CandidateList &list) {
  uint64_t m = std::numeric_limits<uint64_t>::max();
  for (const Candidate &c : list)
    m = std::min(m, c.cost);
  return m;
}

static void finish(llvm::ArrayRef<CandidateList> layers, Allocation &a) {
  a.cost = 0;
  a.error = 0.0;
  for (size_t i = 0; i < layers.size(); ++i) {
    a.cost += layers[i][a.choices[i]].cost;
    a.error += layers[i][a.choices[i]].error;
  }
}

namespace {
/// One Pareto state: its cost, error and how it was reached.
struct State {
  uint64_t cost;
  double error;
  int64_t parent;
  int64_t choice;
};
} // namespace

/// Pareto-set DP. Keeps, after each layer, the partial assignments that no
/// other dominates and that can still finish within `budget`.
static llvm::Expected<std::vector<Allocation>>
paretoDP(llvm::ArrayRef<CandidateList> layers, uint64_t budget,
         const KnapsackOptions &options, bool wholeFrontier) {
  size_t n = layers.size();
  // Cheapest cost of the layers after i, for pruning.
  std::vector<uint64_t> tailMin(n + 1, 0);
  for (size_t i = n; i-- > 0;)
    tailMin[i] = tailMin[i + 1] + minCost(layers[i]);
  std::vector<std::vector<State>> sets(n + 1);
  sets[0].push_back({0, 0.0, -1, -1});
  std::vector<State> next;
  for (size_t i = 0; i < n; ++i) {
    next.clear();
    for (size_t s = 0; s < sets[i].size(); ++s)
      for (size_t j = 0; j < layers[i].size(); ++j) {
        uint64_t cost = sets[i][s].cost + layers[i][j].cost;
        if (cost + tailMin[i + 1] > budget)
          continue;
        next.push_back({cost, sets[i][s].error + layers[i][j].error, int64_t(s),
                        int64_t(j)});
      }
    std::stable_sort(
        next.begin(), next.end(), [](const State &a, const State &b) {
          return a.cost != b.cost ? a.cost < b.cost : a.error < b.error;
        });
    std::vector<State> &kept = sets[i + 1];
    double bestError = std::numeric_limits<double>::infinity();
    for (const State &st : next)
      if (st.error < bestError) {
        kept.push_back(st);
        bestError = st.error;
      }
    if (kept.size() > options.maxParetoStates)
      return makeError(
          "bit allocation: more than " + llvm::Twine(options.maxParetoStates) +
          " Pareto states after layer " + llvm::Twine(uint64_t(i)));
  }
  auto build = [&](int64_t index) {
    Allocation a;
    a.choices.assign(n, 0);
    for (size_t i = n; i-- > 0;) {
      const State &st = sets[i + 1][index];
      a.choices[i] = st.choice;
      index = st.parent;
    }
    finish(layers, a);
    return a;
  };
  std::vector<Allocation> result;
  const std::vector<State> &last = sets[n];
  if (last.empty())
    return result;
  if (wholeFrontier) {
    for (size_t s = 0; s < last.size(); ++s)
      result.push_back(build(int64_t(s)));
  } else {
    // Errors decrease along the set: the last state is the best.
    result.push_back(build(int64_t(last.size() - 1)));
  }
  return result;
}

llvm::Expected<Allocation>
quantize::solveKnapsack(llvm::ArrayRef<CandidateList> layers, uint64_t budget,
                        const KnapsackOptions &options) {
  if (llvm::Error err = checkLayers(layers))
    return std::move(err);
  size_t n = layers.size();
  uint64_t base = 0, extraMax = 0, divisor = 0;
  for (const CandidateList &list : layers) {
    uint64_t m = minCost(list), top = 0;
    base += m;
    for (const Candidate &c : list) {
      divisor = std::gcd(divisor, c.cost - m);
      top = std::max(top, c.cost - m);
    }
    extraMax += top;
  }
  if (base > budget)
    return makeError("bit allocation: budget " + llvm::Twine(budget) +
                     " is below the cheapest assignment (" + llvm::Twine(base) +
                     ")");
  if (n == 0)
    return Allocation();
  if (divisor == 0)
    divisor = 1;
  // Reduced budget: sums of reduced costs are multiples of the divisor.
  uint64_t cells = std::min(budget - base, extraMax) / divisor;
  if (options.forcePareto || (cells + 1) > options.maxCells / n) {
    auto result = paretoDP(layers, budget, options, false);
    if (!result)
      return result.takeError();
    return std::move(result->front());
  }

  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> dp(cells + 1, 0.0), nextDp(cells + 1);
  std::vector<uint16_t> choice(n * (cells + 1));
  for (size_t i = 0; i < n; ++i) {
    const CandidateList &list = layers[i];
    uint64_t m = minCost(list);
    for (uint64_t b = 0; b <= cells; ++b) {
      double best = inf;
      uint16_t bestJ = 0;
      for (size_t j = 0; j < list.size(); ++j) {
        uint64_t c = (list[j].cost - m) / divisor;
        if (c > b)
          continue;
        double e = dp[b - c] + list[j].error;
        if (e < best) {
          best = e;
          bestJ = uint16_t(j);
        }
      }
      nextDp[b] = best;
      choice[i * (cells + 1) + b] = bestJ;
    }
    dp.swap(nextDp);
  }
  Allocation a;
  a.choices.assign(n, 0);
  uint64_t b = cells;
  for (size_t i = n; i-- > 0;) {
    uint16_t j = choice[i * (cells + 1) + b];
    a.choices[i] = j;
    b -= (layers[i][j].cost - minCost(layers[i])) / divisor;
  }
  finish(layers, a);
  return a;
}

llvm::Expected<std::vector<Allocation>>
quantize::paretoFrontier(llvm::ArrayRef<CandidateList> layers,
                         const KnapsackOptions &options) {
  if (llvm::Error err = checkLayers(layers))
    return std::move(err);
  return paretoDP(layers, std::numeric_limits<uint64_t>::max(), options, true);
}

llvm::Expected<std::vector<Allocation>>
quantize::sweepBudgets(llvm::ArrayRef<CandidateList> layers,
                       llvm::ArrayRef<uint64_t> budgets,
                       const KnapsackOptions &options) {
  if (llvm::Error err = checkLayers(layers))
    return std::move(err);
  uint64_t cheapest = 0;
  for (const CandidateList &list : layers)
    cheapest += minCost(list);
  std::vector<Allocation> result;
  for (uint64_t budget : budgets) {
    if (budget < cheapest)
      continue;
    auto a = solveKnapsack(layers, budget, options);
    if (!a)
      return a.takeError();
    result.push_back(std::move(*a));
  }
  return result;
}

/// floor(x), snapping values within rounding noise of an integer to it:
/// decimal inputs (4.1 bits, 12.345 us) are not exact in binary.
static uint64_t snapFloor(long double x);

uint64_t quantize::budgetFromBitsPerWeight(double bitsPerWeight,
                                           uint64_t numWeights) {
  return snapFloor((long double)bitsPerWeight * (long double)numWeights);
}

llvm::Expected<uint64_t> LatencyModel::getCost(const QuantFormat &format,
                                               int64_t rows, int64_t cols,
                                               double fixedShare) const {
  std::string name = format.getName();
  for (const auto &[key, ns] : nsPerWeight)
    if (key == name)
      return uint64_t(std::ceil(fixedShare * fixedNsPerLayer +
                                ns * (double(rows) * double(cols))));
  return makeError("latency model" +
                   (source.empty() ? std::string() : " '" + source + "'") +
                   " has no throughput for format '" + name +
                   "' (measure it with bench/latency_model.sh)");
}

/// A finite, non-negative number.
static bool isFigure(std::optional<double> v) {
  return v && std::isfinite(*v) && *v >= 0.0;
}

llvm::Expected<LatencyModel>
quantize::parseLatencyModel(llvm::StringRef json, llvm::StringRef source) {
  auto fail = [&](const llvm::Twine &msg) {
    return makeError("latency model '" + source + "': " + msg);
  };
  llvm::Expected<llvm::json::Value> value = llvm::json::parse(json);
  if (!value)
    return fail("invalid JSON: " + llvm::toString(value.takeError()));
  const llvm::json::Object *root = value->getAsObject();
  if (!root)
    return fail("expected a JSON object at the top level");
  LatencyModel model;
  model.source = source.str();
  if (const llvm::json::Value *fixed = root->get("fixed_ns_per_layer")) {
    if (!isFigure(fixed->getAsNumber()))
      return fail("'fixed_ns_per_layer' must be a finite number >= 0");
    model.fixedNsPerLayer = *fixed->getAsNumber();
  }
  if (const llvm::json::Value *outlier = root->get("ns_per_outlier")) {
    if (!isFigure(outlier->getAsNumber()))
      return fail("'ns_per_outlier' must be a finite number >= 0");
    model.nsPerOutlier = *outlier->getAsNumber();
  }
  if (std::optional<llvm::StringRef> machine = root->getString("machine"))
    model.machine = machine->str();
  const llvm::json::Value *formatsValue = root->get("formats");
  if (!formatsValue)
    return fail("missing 'formats' (an object of format name -> "
                "{\"ns_per_weight\": X})");
  const llvm::json::Object *formats = formatsValue->getAsObject();
  if (!formats || formats->empty())
    return fail("'formats' must be a non-empty object of format name -> "
                "{\"ns_per_weight\": X}");
  // Sorted keys: the same file gives the same model and messages.
  std::vector<std::string> keys;
  for (const auto &entry : *formats)
    keys.push_back(entry.first.str());
  std::sort(keys.begin(), keys.end());
  for (const std::string &key : keys) {
    llvm::Expected<QuantFormat> format = QuantFormat::parse(key);
    if (!format)
      return fail("format '" + key +
                  "': " + llvm::toString(format.takeError()));
    const llvm::json::Value &entry = *formats->get(key);
    std::optional<double> ns = entry.getAsNumber();
    if (const llvm::json::Object *object = entry.getAsObject()) {
      const llvm::json::Value *nsValue = object->get("ns_per_weight");
      if (!nsValue)
        return fail("format '" + key + "' has no 'ns_per_weight'");
      ns = nsValue->getAsNumber();
      if (const llvm::json::Value *encoding = object->get("encoding")) {
        std::optional<llvm::StringRef> text = encoding->getAsString();
        std::string expected = format->getEncodingAttr();
        if (!text || *text != expected)
          return fail("format '" + key + "' has encoding '" +
                      (text ? text->str() : std::string("<not a string>")) +
                      "' but the format is '" + expected + "'");
      }
    }
    if (!isFigure(ns))
      return fail("format '" + key +
                  "': 'ns_per_weight' must be a finite number >= 0");
    std::string name = format->getName();
    for (const auto &[other, unused] : model.nsPerWeight)
      if (other == name)
        return fail("format '" + key + "' is given twice (as '" + name + "')");
    model.nsPerWeight.emplace_back(name, *ns);
  }
  return model;
}

llvm::Expected<LatencyModel> quantize::loadLatencyModel(llvm::StringRef path) {
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
  if (!buffer)
    return makeError("cannot read latency model '" + path +
                     "': " + buffer.getError().message());
  return parseLatencyModel((*buffer)->getBuffer(), path);
}

const LatencyModel &quantize::getDefaultLatencyModel() {
  static const LatencyModel model = [] {
    static constexpr const char kJSON[] =
#include "DefaultLatencyModel.inc"
        ;
    llvm::Expected<LatencyModel> parsed =
        parseLatencyModel(kJSON, "bench/latency_model.json");
    // The file is checked by the unit tests; a broken one is a build error
    // in spirit, not a user's.
    if (!parsed)
      llvm::report_fatal_error(llvm::Twine("built-in ") +
                               llvm::toString(parsed.takeError()));
    parsed->source = "built-in default (bench/latency_model.json)";
    return std::move(*parsed);
  }();
  return model;
}

static uint64_t snapFloor(long double x) {
  if (x <= 0)
    return 0;
  long double nearest = std::round(x);
  if (std::fabs(x - nearest) <= 1e-9L * std::max<long double>(1.0L, x))
    return uint64_t(nearest);
  return uint64_t(std::floor(x));
}

uint64_t quantize::budgetFromMicroseconds(double microseconds) {
  return snapFloor((long double)microseconds * 1000.0L);
}

llvm::Expected<uint64_t> quantize::parseByteSize(llvm::StringRef text) {
  llvm::StringRef s = text.trim();
  size_t end = 0;
  while (end < s.size() && (llvm::isDigit(s[end]) || s[end] == '.'))
    ++end;
  llvm::StringRef number = s.take_front(end);
  std::string suffix = s.drop_front(end).trim().lower();
  auto fail = [&]() {
    return makeError("bad byte size '" + text +
                     "': expected a number of bytes with an optional suffix "
                     "B, kB, MB, GB (powers of 1000) or KiB, MiB, GiB "
                     "(powers of 1024)");
  };
  uint64_t unit = 0;
  if (suffix.empty() || suffix == "b")
    unit = 1;
  else if (suffix == "k" || suffix == "kb")
    unit = 1000;
  else if (suffix == "m" || suffix == "mb")
    unit = 1000 * 1000;
  else if (suffix == "g" || suffix == "gb")
    unit = 1000 * 1000 * 1000;
  else if (suffix == "kib")
    unit = uint64_t(1) << 10;
  else if (suffix == "mib")
    unit = uint64_t(1) << 20;
  else if (suffix == "gib")
    unit = uint64_t(1) << 30;
  if (!unit || number.empty())
    return fail();
  if (unit == 1) {
    uint64_t bytes;
    if (number.getAsInteger(10, bytes))
      return fail();
    return bytes;
  }
  double value;
  if (number.getAsDouble(value) || !std::isfinite(value) || value < 0 ||
      value * double(unit) > 1.8e19)
    return fail();
  return snapFloor((long double)value * (long double)unit);
}

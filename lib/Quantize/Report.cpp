//===- Report.cpp - Quantization report writers ---------------------------===//

#include "quant/Quantize/Report.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

using namespace mlir::qnt;
using namespace mlir::qnt::quantize;

double LayerReport::getBitsPerWeight() const {
  int64_t n = rows * cols;
  return n > 0 ? double(bits) / double(n) : 0.0;
}

double ReportTotals::getBitsPerWeight() const {
  return weights > 0 ? double(bits) / double(weights) : 0.0;
}

double SweepRow::getBitsPerWeight() const {
  return weights > 0 ? double(bits) / double(weights) : 0.0;
}

ReportTotals quantize::computeTotals(llvm::ArrayRef<LayerReport> layers) {
  ReportTotals t;
  bool latencyKnown = !layers.empty();
  double latency = 0.0;
  for (const LayerReport &l : layers) {
    t.weights += l.rows * l.cols;
    t.bits += l.bits;
    t.bytes += l.bytes;
    t.error += l.error;
    latencyKnown &= l.latencyUs >= 0;
    latency += l.latencyUs;
  }
  if (latencyKnown)
    t.latencyUs = latency;
  return t;
}

/// Shortest "%g"-style text of a number.
static std::string number(double v, int digits = 4) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*g", digits, v);
  return buf;
}

static std::string microseconds(double us) {
  return us < 0 ? "-" : llvm::formatv("{0:F3}", us).str();
}

/// Prints `cells` (a header, rows and a last total row when `totalRow`)
/// aligned: the first `textColumns` columns left, the rest right.
static void printTable(llvm::raw_ostream &os,
                       const std::vector<std::vector<std::string>> &cells,
                       size_t textColumns, bool totalRow);

void quantize::writeLayerTable(llvm::raw_ostream &os,
                               llvm::ArrayRef<LayerReport> layers) {
  // The latency column only when a model gave figures.
  bool latency = llvm::any_of(
      layers, [](const LayerReport &l) { return l.latencyUs >= 0; });
  std::vector<std::vector<std::string>> cells;
  cells.push_back({"layer", "format", "method", "shape", "bits/w", "bytes",
                   "error", "rel.error"});
  if (latency)
    cells.back().push_back("model us");
  // The gain column only with model sensitivity.
  bool gain =
      llvm::any_of(layers, [](const LayerReport &l) { return l.gain >= 0; });
  if (gain)
    cells.back().push_back("gain");
  for (const LayerReport &l : layers) {
    cells.push_back({l.name, l.format, l.method,
                     std::to_string(l.rows) + "x" + std::to_string(l.cols),
                     llvm::formatv("{0:F4}", l.getBitsPerWeight()).str(),
                     std::to_string(l.bytes), number(l.error),
                     l.relativeError < 0 ? "-" : number(l.relativeError)});
    if (latency)
      cells.back().push_back(microseconds(l.latencyUs));
    if (gain)
      cells.back().push_back(l.gain < 0 ? "-" : number(l.gain));
  }
  ReportTotals t = computeTotals(layers);
  cells.push_back({"total", "", "", std::to_string(t.weights) + " weights",
                   llvm::formatv("{0:F4}", t.getBitsPerWeight()).str(),
                   std::to_string(t.bytes), number(t.error), ""});
  if (latency)
    cells.back().push_back(microseconds(t.latencyUs));
  if (gain)
    cells.back().push_back("");
  printTable(os, cells, 4, true);
}

void quantize::writeSweepTable(llvm::raw_ostream &os,
                               const BudgetReport &budget) {
  os << "budget: " << budget.budget << " (" << budget.kind << ")";
  if (!budget.latencyModel.empty())
    os << "; latency model: " << budget.latencyModel;
  os << "\nbudget sweep (the exact knapsack under each budget; * = the "
        "budget compiled):\n";
  std::vector<std::vector<std::string>> cells;
  cells.push_back({"budget", "bits/w", "bytes", "model us", "total error", ""});
  for (const SweepRow &r : budget.sweep)
    cells.push_back({r.budget,
                     llvm::formatv("{0:F4}", r.getBitsPerWeight()).str(),
                     std::to_string(r.bytes), microseconds(r.latencyUs),
                     number(r.error, 6), r.chosen ? "*" : ""});
  printTable(os, cells, 1, false);
}

static void printTable(llvm::raw_ostream &os,
                       const std::vector<std::vector<std::string>> &cells,
                       size_t textColumns, bool totalRow) {
  std::vector<size_t> widths(cells[0].size(), 0);
  for (const auto &row : cells)
    for (size_t i = 0; i < row.size(); ++i)
      widths[i] = std::max(widths[i], row[i].size());
  auto printRow = [&](const std::vector<std::string> &row) {
    for (size_t i = 0; i < row.size(); ++i) {
      if (i)
        os << "  ";
      // Text columns left, numbers right.
      if (i < textColumns)
        os << llvm::left_justify(row[i], widths[i]);
      else
        os << llvm::right_justify(row[i], widths[i]);
    }
    os << "\n";
  };
  printRow(cells[0]);
  size_t total = 0;
  for (size_t w : widths)
    total += w + 2;
  os << std::string(total - 2, '-') << "\n";
  size_t body = totalRow ? cells.size() - 1 : cells.size();
  for (size_t r = 1; r < body; ++r)
    printRow(cells[r]);
  if (!totalRow)
    return;
  os << std::string(total - 2, '-') << "\n";
  printRow(cells.back());
}

llvm::json::Value
quantize::layerReportToJSON(llvm::ArrayRef<LayerReport> layers) {
  llvm::json::Array list;
  for (const LayerReport &l : layers) {
    llvm::json::Object o{
        {"name", l.name},
        {"format", l.format},
        {"encoding", l.encoding},
        {"method", l.method},
        {"shape", llvm::json::Array{l.rows, l.cols}},
        {"bits", int64_t(l.bits)},
        {"bits_per_weight", l.getBitsPerWeight()},
        {"bytes", int64_t(l.bytes)},
        {"error", l.error},
    };
    if (l.relativeError >= 0)
      o["relative_error"] = l.relativeError;
    if (l.latencyUs >= 0)
      o["latency_us"] = l.latencyUs;
    if (l.gain >= 0)
      o["gain"] = l.gain;
    list.push_back(std::move(o));
  }
  ReportTotals t = computeTotals(layers);
  llvm::json::Object total{{"weights", t.weights},
                           {"bits", int64_t(t.bits)},
                           {"bits_per_weight", t.getBitsPerWeight()},
                           {"bytes", int64_t(t.bytes)},
                           {"error", t.error}};
  if (t.latencyUs >= 0)
    total["latency_us"] = t.latencyUs;
  return llvm::json::Object{{"layers", std::move(list)},
                            {"total", std::move(total)}};
}

llvm::json::Value quantize::budgetReportToJSON(const BudgetReport &budget) {
  llvm::json::Array sweep;
  for (const SweepRow &r : budget.sweep) {
    llvm::json::Object o{{"budget", r.budget},
                         {"bits", int64_t(r.bits)},
                         {"bits_per_weight", r.getBitsPerWeight()},
                         {"bytes", int64_t(r.bytes)},
                         {"error", r.error},
                         {"chosen", r.chosen}};
    if (r.latencyUs >= 0)
      o["latency_us"] = r.latencyUs;
    sweep.push_back(std::move(o));
  }
  llvm::json::Object o{{"kind", budget.kind},
                       {"budget", budget.budget},
                       {"sweep", std::move(sweep)}};
  if (!budget.latencyModel.empty())
    o["latency_model"] = budget.latencyModel;
  return o;
}

std::vector<ParetoPoint>
quantize::paretoPointsFromAllocations(llvm::ArrayRef<Allocation> allocations,
                                      uint64_t numWeights) {
  std::vector<ParetoPoint> points;
  for (const Allocation &a : allocations) {
    ParetoPoint p;
    p.size = numWeights ? double(a.cost) / double(numWeights) : double(a.cost);
    p.error = a.error;
    points.push_back(p);
  }
  return points;
}

//===----------------------------------------------------------------------===//
// SVG
//===----------------------------------------------------------------------===//

static std::string escapeXML(llvm::StringRef text) {
  std::string out;
  for (char c : text) {
    switch (c) {
    case '<':
      out += "&lt;";
      break;
    case '>':
      out += "&gt;";
      break;
    case '&':
      out += "&amp;";
      break;
    case '"':
      out += "&quot;";
      break;
    default:
      out += c;
    }
  }
  return out;
}

/// 1, 2 or 5 times a power of ten, at least `x`.
static double niceStep(double x) {
  double p = std::pow(10.0, std::floor(std::log10(x)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * p >= x)
      return m * p;
  return 10.0 * p;
}

namespace {
/// A linear or log10 axis mapping data values to pixels.
struct Axis {
  double lo, hi;
  bool log;
  double pixelLo, pixelHi;

  double transform(double v) const { return log ? std::log10(v) : v; }
  double toPixel(double v) const {
    double t = (transform(v) - lo) / (hi - lo);
    return pixelLo + t * (pixelHi - pixelLo);
  }
  std::vector<double> ticks() const {
    std::vector<double> result;
    if (log) {
      // Powers of ten, with 2 and 5 in between on short ranges.
      bool dense = hi - lo < 2.0;
      for (double e = std::floor(lo); e <= std::ceil(hi); e += 1.0)
        for (double m : {1.0, 2.0, 5.0}) {
          if (m != 1.0 && !dense)
            continue;
          double v = m * std::pow(10.0, e);
          double t = std::log10(v);
          if (t >= lo - 1e-9 && t <= hi + 1e-9)
            result.push_back(v);
        }
      return result;
    }
    double step = niceStep((hi - lo) / 5.0);
    for (double v = std::ceil(lo / step) * step; v <= hi + step * 1e-9;
         v += step)
      result.push_back(std::fabs(v) < step * 1e-9 ? 0.0 : v);
    return result;
  }
};
} // namespace

/// Data range of `values` (transformed), padded by 5%, never empty.
static void padRange(std::vector<double> values, double &lo, double &hi) {
  lo = *std::min_element(values.begin(), values.end());
  hi = *std::max_element(values.begin(), values.end());
  double pad = (hi - lo) * 0.05;
  if (pad == 0.0)
    pad = std::max(std::fabs(lo) * 0.05, 0.5);
  lo -= pad;
  hi += pad;
}

void quantize::writeParetoSVG(llvm::raw_ostream &os,
                              llvm::ArrayRef<ParetoPoint> points,
                              const PlotOptions &options) {
  const double w = options.width, h = options.height;
  const double left = 80, right = 20, top = 40, bottom = 60;
  os << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  os << llvm::formatv("<svg xmlns=\"http://www.w3.org/2000/svg\" "
                      "width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" "
                      "font-family=\"sans-serif\" font-size=\"12\">\n",
                      options.width, options.height);
  os << llvm::formatv("<rect x=\"0\" y=\"0\" width=\"{0}\" height=\"{1}\" "
                      "fill=\"white\"/>\n",
                      options.width, options.height);
  os << llvm::formatv("<text x=\"{0}\" y=\"24\" text-anchor=\"middle\" "
                      "font-size=\"15\">{1}</text>\n",
                      w / 2, escapeXML(options.title));

  bool logY = options.logError && !points.empty() &&
              llvm::all_of(points, [](const ParetoPoint &p) {
                return p.error > 0.0 && std::isfinite(p.error);
              });
  std::vector<double> xs, ys;
  for (const ParetoPoint &p : points) {
    xs.push_back(p.size);
    ys.push_back(logY ? std::log10(p.error) : p.error);
  }
  if (xs.empty()) {
    xs = {0.0, 1.0};
    ys = {0.0, 1.0};
  }
  Axis x{0, 0, false, left, w - right}, y{0, 0, logY, h - bottom, top};
  padRange(xs, x.lo, x.hi);
  padRange(ys, y.lo, y.hi);

  // Axes, ticks, grid and labels.
  os << "<g stroke=\"black\" stroke-width=\"1\">\n";
  os << llvm::formatv("<line class=\"x-axis\" x1=\"{0}\" y1=\"{1}\" "
                      "x2=\"{2}\" y2=\"{1}\"/>\n",
                      left, h - bottom, w - right);
  os << llvm::formatv("<line class=\"y-axis\" x1=\"{0}\" y1=\"{1}\" "
                      "x2=\"{0}\" y2=\"{2}\"/>\n",
                      left, h - bottom, top);
  os << "</g>\n";
  for (double t : x.ticks()) {
    double px = x.toPixel(t);
    os << llvm::formatv("<line x1=\"{0:F1}\" y1=\"{1}\" x2=\"{0:F1}\" "
                        "y2=\"{2}\" stroke=\"#ddd\"/>\n",
                        px, h - bottom, top);
    os << llvm::formatv("<text class=\"x-tick\" x=\"{0:F1}\" y=\"{1}\" "
                        "text-anchor=\"middle\">{2}</text>\n",
                        px, h - bottom + 16, number(t));
  }
  for (double t : y.ticks()) {
    double py = y.toPixel(t);
    os << llvm::formatv("<line x1=\"{0}\" y1=\"{1:F1}\" x2=\"{2}\" "
                        "y2=\"{1:F1}\" stroke=\"#ddd\"/>\n",
                        left, py, w - right);
    os << llvm::formatv("<text class=\"y-tick\" x=\"{0}\" y=\"{1:F1}\" "
                        "text-anchor=\"end\">{2}</text>\n",
                        left - 6, py + 4, number(t, 3));
  }
  os << llvm::formatv("<text x=\"{0}\" y=\"{1}\" text-anchor=\"middle\">{2}"
                      "</text>\n",
                      (left + w - right) / 2, h - 18,
                      escapeXML(options.xLabel));
  os << llvm::formatv("<text x=\"18\" y=\"{0}\" text-anchor=\"middle\" "
                      "transform=\"rotate(-90 18 {0})\">{1}{2}</text>\n",
                      (top + h - bottom) / 2, escapeXML(options.yLabel),
                      logY ? " (log scale)" : "");

  // The frontier, by increasing size.
  std::vector<size_t> order(points.size());
  for (size_t i = 0; i < order.size(); ++i)
    order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return points[a].size < points[b].size;
  });
  // Swept points are each optimal under their own budget, which need not
  // be a size budget: they are marked but not joined.
  size_t onFrontier =
      llvm::count_if(points, [](const ParetoPoint &p) { return !p.swept; });
  if (onFrontier > 1) {
    os << "<polyline class=\"frontier\" fill=\"none\" stroke=\"#1f77b4\" "
          "stroke-width=\"1.5\" points=\"";
    for (size_t i : order)
      if (!points[i].swept)
        os << llvm::formatv("{0:F1},{1:F1} ", x.toPixel(points[i].size),
                            y.toPixel(points[i].error));
    os << "\"/>\n";
  }
  for (size_t i : order) {
    const ParetoPoint &p = points[i];
    double px = x.toPixel(p.size), py = y.toPixel(p.error);
    if (p.swept && !p.chosen) {
      os << llvm::formatv("<rect class=\"sweep\" x=\"{0:F1}\" y=\"{1:F1}\" "
                          "width=\"7\" height=\"7\" fill=\"none\" "
                          "stroke=\"#ff7f0e\" stroke-width=\"1.5\"><title>"
                          "{2}: {3} bits/w, error {4}</title></rect>\n",
                          px - 3.5, py - 3.5,
                          escapeXML(p.label.empty() ? "sweep" : p.label),
                          number(p.size, 6), number(p.error, 6));
      continue;
    }
    os << llvm::formatv("<circle class=\"{0}\" cx=\"{1:F1}\" cy=\"{2:F1}\" "
                        "r=\"{3}\" fill=\"{4}\"><title>{5} bits/w, error {6}"
                        "</title></circle>\n",
                        p.chosen ? "chosen" : "point", px, py,
                        p.chosen ? 6 : 3.5, p.chosen ? "#d62728" : "#1f77b4",
                        number(p.size, 6), number(p.error, 6));
    if (p.chosen || !p.label.empty())
      os << llvm::formatv("<text class=\"label\" x=\"{0:F1}\" y=\"{1:F1}\" "
                          "fill=\"#d62728\">{2}</text>\n",
                          px + 8, py - 8,
                          escapeXML(p.label.empty() ? "chosen" : p.label));
  }
  // Legend, top right.
  bool anySwept = llvm::any_of(
      points, [](const ParetoPoint &p) { return p.swept && !p.chosen; });
  bool anyChosen =
      llvm::any_of(points, [](const ParetoPoint &p) { return p.chosen; });
  double lx = w - right - 150, ly = top + 8;
  os << "<g class=\"legend\" font-size=\"11\">\n";
  if (onFrontier > 1) {
    os << llvm::formatv("<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\" "
                        "stroke=\"#1f77b4\" stroke-width=\"1.5\"/>\n",
                        lx, ly, lx + 16);
    os << llvm::formatv("<text x=\"{0}\" y=\"{1}\">size / error frontier"
                        "</text>\n",
                        lx + 22, ly + 4);
    ly += 16;
  }
  if (anySwept) {
    os << llvm::formatv("<rect x=\"{0}\" y=\"{1}\" width=\"7\" "
                        "height=\"7\" fill=\"none\" stroke=\"#ff7f0e\" "
                        "stroke-width=\"1.5\"/>\n",
                        lx + 4.5, ly - 3.5);
    os << llvm::formatv("<text x=\"{0}\" y=\"{1}\">budget sweep</text>\n",
                        lx + 22, ly + 4);
    ly += 16;
  }
  if (anyChosen) {
    // A round rect, so that circles stay one per point.
    os << llvm::formatv("<rect x=\"{0}\" y=\"{1}\" width=\"8\" height=\"8\" "
                        "rx=\"4\" fill=\"#d62728\"/>\n",
                        lx + 4, ly - 4);
    os << llvm::formatv("<text x=\"{0}\" y=\"{1}\">chosen</text>\n", lx + 22,
                        ly + 4);
  }
  os << "</g>\n";
  os << "</svg>\n";
}

llvm::Error quantize::writeReportFiles(llvm::StringRef dir,
                                       llvm::ArrayRef<LayerReport> layers,
                                       llvm::ArrayRef<ParetoPoint> points,
                                       const PlotOptions &options,
                                       const BudgetReport *budget) {
  if (std::error_code ec = llvm::sys::fs::create_directories(dir))
    return llvm::createStringError(ec, "cannot create report directory '" +
                                           dir + "': " + ec.message());
  auto write =
      [&](llvm::StringRef name,
          llvm::function_ref<void(llvm::raw_ostream &)> body) -> llvm::Error {
    llvm::SmallString<256> path(dir);
    llvm::sys::path::append(path, name);
    std::error_code ec;
    llvm::raw_fd_ostream os(path, ec, llvm::sys::fs::OF_Text);
    if (ec)
      return llvm::createStringError(ec, "cannot write '" + path +
                                             "': " + ec.message());
    body(os);
    os.close();
    if (os.has_error()) {
      std::error_code writeError = os.error();
      os.clear_error();
      return llvm::createStringError(
          writeError, "cannot write '" + path + "': " + writeError.message());
    }
    return llvm::Error::success();
  };
  if (llvm::Error err = write("report.txt", [&](llvm::raw_ostream &os) {
        writeLayerTable(os, layers);
        if (budget) {
          os << "\n";
          writeSweepTable(os, *budget);
        }
      }))
    return err;
  if (llvm::Error err = write("report.json", [&](llvm::raw_ostream &os) {
        llvm::json::Value json = layerReportToJSON(layers);
        if (budget)
          (*json.getAsObject())["budget"] = budgetReportToJSON(*budget);
        os << llvm::formatv("{0:2}", json) << "\n";
      }))
    return err;
  return write("pareto.svg", [&](llvm::raw_ostream &os) {
    writeParetoSVG(os, points, options);
  });
}

//===- ReportTest.cpp - Report writer tests -------------------------------===//

#include "quant/Quantize/Report.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Regex.h"

#include "gtest/gtest.h"

#include <vector>

using namespace mlir::qnt;
using namespace mlir::qnt::quantize;

namespace {

std::vector<LayerReport> sampleLayers() {
  LayerReport a;
  a.name = "mlp.up";
  a.format = "int4";
  a.encoding = QuantFormat::uniform(4, 128).getEncodingAttr();
  a.method = "gptq";
  a.rows = 256;
  a.cols = 128;
  a.bits = QuantFormat::uniform(4, 128).getStorageBits(256, 128);
  a.bytes = QuantFormat::uniform(4, 128).getStorageBytes(256, 128);
  a.error = 0.125;
  a.relativeError = 0.01;
  LayerReport b = a;
  b.name = "mlp.down";
  b.format = "mxfp4";
  b.encoding = QuantFormat::mxfp4().getEncodingAttr();
  b.method = "rtn";
  b.rows = 128;
  b.cols = 256;
  b.bits = QuantFormat::mxfp4().getStorageBits(128, 256);
  b.bytes = QuantFormat::mxfp4().getStorageBytes(128, 256);
  b.error = 0.5;
  b.relativeError = -1;
  return {a, b};
}

TEST(Report, TextTable) {
  std::string text;
  llvm::raw_string_ostream os(text);
  writeLayerTable(os, sampleLayers());
  EXPECT_NE(text.find("layer"), std::string::npos);
  EXPECT_NE(text.find("mlp.up"), std::string::npos);
  EXPECT_NE(text.find("4.1250"), std::string::npos);
  EXPECT_NE(text.find("4.2500"), std::string::npos);
  // Total: (4.125 + 4.25) / 2 bits per weight, errors summed.
  EXPECT_NE(text.find("4.1875"), std::string::npos);
  EXPECT_NE(text.find("0.625"), std::string::npos);
  EXPECT_NE(text.find("65536 weights"), std::string::npos);
  // Every line of the table has the same width up to trailing blanks.
  llvm::SmallVector<llvm::StringRef> lines;
  llvm::StringRef(text).trim().split(lines, '\n');
  EXPECT_EQ(lines.size(), 6u);
  EXPECT_EQ(lines[1].size(), lines[0].rtrim().size());
}

TEST(Report, JSONRoundTrips) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << layerReportToJSON(sampleLayers());
  llvm::Expected<llvm::json::Value> parsed = llvm::json::parse(text);
  ASSERT_TRUE(bool(parsed)) << llvm::toString(parsed.takeError());
  const llvm::json::Object *root = parsed->getAsObject();
  ASSERT_TRUE(root);
  const llvm::json::Array *layers = root->getArray("layers");
  ASSERT_TRUE(layers);
  ASSERT_EQ(layers->size(), 2u);
  const llvm::json::Object *up = (*layers)[0].getAsObject();
  EXPECT_EQ(up->getString("name"), "mlp.up");
  EXPECT_EQ(up->getString("encoding"),
            "#qnt.uniform<i4, per_group(1, 128), scale = f16>");
  EXPECT_EQ(up->getNumber("bits_per_weight"), 4.125);
  EXPECT_EQ(up->getInteger("bytes"), 256 * 64 + 256 * 2);
  EXPECT_EQ(up->getNumber("relative_error"), 0.01);
  EXPECT_FALSE((*layers)[1].getAsObject()->get("relative_error"));
  const llvm::json::Object *total = root->getObject("total");
  ASSERT_TRUE(total);
  EXPECT_EQ(total->getNumber("bits_per_weight"), 4.1875);
  EXPECT_EQ(total->getNumber("error"), 0.625);
  EXPECT_EQ(total->getInteger("weights"), 65536);
}

/// Pulls attribute `name` of every element `tag` out of an SVG text.
std::vector<double> attributeValues(llvm::StringRef svg, llvm::StringRef tag,
                                    llvm::StringRef name) {
  std::vector<double> values;
  llvm::Regex re(("<" + tag + " [^>]*" + name + "=\"([-0-9.]+)\"").str());
  llvm::SmallVector<llvm::StringRef> match;
  while (re.match(svg, &match)) {
    double v;
    EXPECT_FALSE(match[1].getAsDouble(v));
    values.push_back(v);
    svg = svg.substr(match[0].data() - svg.data() + match[0].size());
  }
  return values;
}

/// Every opened element is closed, in order.
bool wellNested(llvm::StringRef svg) {
  std::vector<std::string> stack;
  llvm::Regex tagRe("<(/?)([a-zA-Z?][a-zA-Z0-9-]*)[^>]*>");
  llvm::SmallVector<llvm::StringRef> m;
  while (tagRe.match(svg, &m)) {
    bool closing = !m[1].empty();
    bool selfClosing = m[0].ends_with("/>") || m[2].starts_with("?");
    if (closing) {
      if (stack.empty() || stack.back() != m[2])
        return false;
      stack.pop_back();
    } else if (!selfClosing) {
      stack.push_back(m[2].str());
    }
    svg = svg.substr(m[0].data() - svg.data() + m[0].size());
  }
  return stack.empty();
}

TEST(Report, ParetoSVG) {
  // A frontier: more bits, less error.
  std::vector<Allocation> allocs;
  for (int i = 0; i < 6; ++i) {
    Allocation a;
    a.cost = uint64_t(1000 * (3 + i));
    a.error = 100.0 / double(1 << (2 * i));
    allocs.push_back(a);
  }
  std::vector<ParetoPoint> points = paretoPointsFromAllocations(allocs, 1000);
  EXPECT_EQ(points[2].size, 5.0);
  points[3].chosen = true;
  points[3].label = "budget 6 <bits>";
  std::string svg;
  llvm::raw_string_ostream os(svg);
  writeParetoSVG(os, points);
  llvm::StringRef text(svg);
  EXPECT_TRUE(text.starts_with("<?xml"));
  EXPECT_TRUE(text.contains("<svg xmlns=\"http://www.w3.org/2000/svg\""));
  EXPECT_TRUE(text.trim().ends_with("</svg>"));
  EXPECT_TRUE(wellNested(text));
  EXPECT_TRUE(text.contains("class=\"x-axis\""));
  EXPECT_TRUE(text.contains("class=\"y-axis\""));
  EXPECT_TRUE(text.contains("average bits per weight"));
  EXPECT_TRUE(text.contains("(log scale)"));
  EXPECT_TRUE(text.contains("budget 6 &lt;bits&gt;"));
  EXPECT_TRUE(text.contains("<polyline class=\"frontier\""));
  EXPECT_EQ(text.count("class=\"chosen\""), 1u);
  // One circle per point; x grows with size, y (up the page) with error.
  std::vector<double> cx = attributeValues(text, "circle", "cx");
  std::vector<double> cy = attributeValues(text, "circle", "cy");
  ASSERT_EQ(cx.size(), points.size());
  ASSERT_EQ(cy.size(), points.size());
  for (size_t i = 1; i < cx.size(); ++i) {
    EXPECT_GT(cx[i], cx[i - 1]);
    EXPECT_GT(cy[i], cy[i - 1]); // less error, further down
  }
  // Log scale: equal error ratios are equal pixel steps.
  EXPECT_NEAR(cy[1] - cy[0], cy[2] - cy[1], 0.2);
  // Points sit inside the plot area.
  for (double v : cx) {
    EXPECT_GT(v, 80.0);
    EXPECT_LT(v, 620.0);
  }
  // Ticks exist on both axes.
  EXPECT_GE(text.count("class=\"x-tick\""), 3u);
  EXPECT_GE(text.count("class=\"y-tick\""), 3u);

  // A linear axis when an error is zero.
  points.back().error = 0.0;
  std::string linear;
  llvm::raw_string_ostream os2(linear);
  writeParetoSVG(os2, points);
  EXPECT_FALSE(llvm::StringRef(linear).contains("(log scale)"));
  EXPECT_TRUE(wellNested(linear));
}

TEST(Report, WritesFiles) {
  llvm::SmallString<128> dir;
  ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("quant-report", dir));
  llvm::SmallString<128> sub(dir);
  llvm::sys::path::append(sub, "nested");
  std::vector<ParetoPoint> points = {{4.0, 2.0, false, ""},
                                     {5.0, 1.0, true, ""}};
  ASSERT_FALSE(bool(writeReportFiles(sub, sampleLayers(), points)));
  for (const char *name : {"report.txt", "report.json", "pareto.svg"}) {
    llvm::SmallString<128> path(sub);
    llvm::sys::path::append(path, name);
    auto buffer = llvm::MemoryBuffer::getFile(path);
    ASSERT_TRUE(bool(buffer)) << name;
    EXPECT_GT((*buffer)->getBufferSize(), 100u) << name;
    llvm::sys::fs::remove(path);
  }
  llvm::sys::fs::remove(sub);
  // A path below a regular file cannot be created.
  llvm::SmallString<128> file(dir);
  llvm::sys::path::append(file, "plain");
  {
    std::error_code ec;
    llvm::raw_fd_ostream touch(file, ec);
    ASSERT_FALSE(ec);
  }
  llvm::SmallString<128> bad(file);
  llvm::sys::path::append(bad, "sub");
  llvm::Error err = writeReportFiles(bad, sampleLayers(), points);
  ASSERT_TRUE(bool(err));
  EXPECT_NE(llvm::toString(std::move(err))
                .find("cannot create report "
                      "directory"),
            std::string::npos);
  llvm::sys::fs::remove(file);
  llvm::sys::fs::remove(dir);
}

BudgetReport sampleBudget() {
  BudgetReport b;
  b.kind = "bytes";
  b.budget = "20000 bytes";
  b.latencyModel = "m.json";
  uint64_t weights = 65536;
  for (int i = 0; i < 3; ++i) {
    SweepRow r;
    r.budget = std::to_string(10000 * (i + 1)) + " B";
    r.weights = weights;
    r.bits = 8 * 10000 * uint64_t(i + 1);
    r.bytes = 10000 * uint64_t(i + 1);
    r.latencyUs = i == 2 ? -1.0 : 2.5 * (i + 1);
    r.error = 8.0 / double(1 << i);
    r.chosen = i == 1;
    b.sweep.push_back(r);
  }
  return b;
}

TEST(Report, SweepTableAndJSON) {
  BudgetReport budget = sampleBudget();
  std::string text;
  llvm::raw_string_ostream os(text);
  writeSweepTable(os, budget);
  EXPECT_NE(text.find("budget: 20000 bytes (bytes); latency model: m.json"),
            std::string::npos);
  // budget -> bits/w, bytes, latency, error; the compiled one starred.
  llvm::Regex chosen("20000 B +2\\.4414 +20000 +5\\.000 +4 +\\*");
  EXPECT_TRUE(chosen.match(text)) << text;
  llvm::Regex unknown("30000 B +3\\.6621 +30000 +- +2 *\n");
  EXPECT_TRUE(unknown.match(text)) << text;

  std::string json;
  llvm::raw_string_ostream js(json);
  js << budgetReportToJSON(budget);
  llvm::Expected<llvm::json::Value> parsed = llvm::json::parse(json);
  ASSERT_TRUE(bool(parsed)) << llvm::toString(parsed.takeError());
  const llvm::json::Object *root = parsed->getAsObject();
  EXPECT_EQ(root->getString("kind"), "bytes");
  EXPECT_EQ(root->getString("latency_model"), "m.json");
  const llvm::json::Array *sweep = root->getArray("sweep");
  ASSERT_TRUE(sweep);
  ASSERT_EQ(sweep->size(), 3u);
  const llvm::json::Object *mid = (*sweep)[1].getAsObject();
  EXPECT_EQ(mid->getInteger("bytes"), 20000);
  EXPECT_EQ(mid->getNumber("latency_us"), 5.0);
  EXPECT_EQ(mid->getBoolean("chosen"), true);
  EXPECT_FALSE((*sweep)[2].getAsObject()->get("latency_us"));

  // Layer latencies: a column and a total when all are known.
  std::vector<LayerReport> layers = sampleLayers();
  layers[0].latencyUs = 1.5;
  layers[1].latencyUs = 2.25;
  EXPECT_EQ(computeTotals(layers).latencyUs, 3.75);
  std::string table;
  llvm::raw_string_ostream ts(table);
  writeLayerTable(ts, layers);
  EXPECT_NE(table.find("model us"), std::string::npos);
  EXPECT_NE(table.find("3.750"), std::string::npos);
  layers[1].latencyUs = -1;
  EXPECT_LT(computeTotals(layers).latencyUs, 0);
}

TEST(Report, SVGMarksSweptPoints) {
  std::vector<ParetoPoint> points = {
      {3.0, 8.0, false, ""}, {4.0, 2.0, false, ""}, {5.0, 0.5, false, ""}};
  ParetoPoint swept{3.5, 4.0, false, "10000 B", true};
  points.push_back(swept);
  ParetoPoint chosen{4.0, 2.0, true, "budget 20000 bytes", true};
  points.push_back(chosen);
  std::string svg;
  llvm::raw_string_ostream os(svg);
  writeParetoSVG(os, points);
  llvm::StringRef text(svg);
  EXPECT_TRUE(wellNested(text));
  EXPECT_EQ(text.count("class=\"sweep\""), 1u);
  EXPECT_EQ(text.count("class=\"chosen\""), 1u);
  EXPECT_TRUE(text.contains("budget sweep"));
  EXPECT_TRUE(text.contains("class=\"legend\""));
  // The frontier line joins the three frontier points only.
  llvm::Regex line("<polyline class=\"frontier\"[^>]*points=\"([^\"]*)\"");
  llvm::SmallVector<llvm::StringRef> m;
  ASSERT_TRUE(line.match(text, &m));
  EXPECT_EQ(m[1].trim().count(' '), 2u);

  // report.txt and report.json carry the sweep.
  llvm::SmallString<128> dir;
  ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("quant-sweep", dir));
  BudgetReport budget = sampleBudget();
  ASSERT_FALSE(
      bool(writeReportFiles(dir, sampleLayers(), points, {}, &budget)));
  auto read = [&](const char *name) {
    llvm::SmallString<128> path(dir);
    llvm::sys::path::append(path, name);
    auto buffer = llvm::MemoryBuffer::getFile(path);
    EXPECT_TRUE(bool(buffer)) << name;
    std::string text = buffer ? (*buffer)->getBuffer().str() : "";
    llvm::sys::fs::remove(path);
    return text;
  };
  EXPECT_NE(read("report.txt").find("budget sweep"), std::string::npos);
  llvm::Expected<llvm::json::Value> json =
      llvm::json::parse(read("report.json"));
  ASSERT_TRUE(bool(json)) << llvm::toString(json.takeError());
  const llvm::json::Object *budgetJSON =
      json->getAsObject()->getObject("budget");
  ASSERT_TRUE(budgetJSON);
  EXPECT_EQ(budgetJSON->getArray("sweep")->size(), 3u);
  EXPECT_TRUE(json->getAsObject()->getArray("layers"));
  read("pareto.svg");
  llvm::sys::fs::remove(dir);
}

TEST(Report, GainColumn) {
  // No gains: no column, no JSON field.
  std::vector<LayerReport> layers = sampleLayers();
  std::string plain;
  llvm::raw_string_ostream ps(plain);
  writeLayerTable(ps, layers);
  EXPECT_EQ(plain.find("gain"), std::string::npos);
  EXPECT_FALSE((*layerReportToJSON(layers).getAsObject()->getArray("layers"))[0]
                   .getAsObject()
                   ->get("gain"));

  // Model sensitivity gains: a column ("-" where not measured) and a field.
  layers[0].gain = 12.5;
  std::string table;
  llvm::raw_string_ostream ts(table);
  writeLayerTable(ts, layers);
  llvm::SmallVector<llvm::StringRef> lines;
  llvm::StringRef(table).trim().split(lines, '\n');
  ASSERT_EQ(lines.size(), 6u);
  EXPECT_TRUE(lines[0].rtrim().ends_with("gain"));
  EXPECT_TRUE(lines[2].rtrim().ends_with(" 12.5"));
  EXPECT_TRUE(lines[3].rtrim().ends_with(" -"));
  llvm::json::Value json = layerReportToJSON(layers);
  const llvm::json::Array *list = json.getAsObject()->getArray("layers");
  EXPECT_EQ((*list)[0].getAsObject()->getNumber("gain"), 12.5);
  EXPECT_FALSE((*list)[1].getAsObject()->get("gain"));
}

} // namespace

//===- AutoQuantize.cpp - calibrated weight quantization under a budget ---===//
//
// Every (layer, candidate) pair is quantized once; the knapsack picks among
// the results, so the codes written are exactly the ones scored. The packed
// parts are decoded again through the encoding's reference decode and must
// give the quantizer's values bit for bit, so a layout disagreement between
// lib/Quantize and the dialect fails here instead of in a model's outputs.
//
//===----------------------------------------------------------------------===//

#include "quant/Compiler/AutoQuantize.h"

#include "quant/Dialect/Qnt/IR/QntAttrs.h"
#include "quant/Dialect/Qnt/IR/QntOps.h"
#include "quant/Dialect/Qnt/Transforms/Passes.h"
#include "quant/Quantize/QuantFormat.h"
#include "quant/Quantize/Sensitivity.h"
#include "quant/Quantize/WeightQuantizer.h"

#include "mlir/AsmParser/AsmParser.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/Support/Error.h"

#include <cstring>

using namespace mlir;
using namespace mlir::qnt;
namespace qz = mlir::qnt::quantize;

namespace {

/// Parts up to this many bytes are inline dense constants, larger ones
/// dense_resource blobs (as real models store weights).
constexpr int64_t kInlineLimit = 256;

struct Layer {
  MatmulOp matmul;
  ConstantOp plain;
  const LayerCalibration *stats;
  int64_t rows, cols;
  std::vector<float> weights;
  std::vector<double> hessian;
  /// One per candidate format.
  std::vector<qz::QuantizedWeights> quantized;
  std::vector<double> errors;
};

/// Replaces the plain weight of `layer` by the packed `q`, after checking
/// that the parts decode to q.dequantized.
LogicalResult replaceWeight(Layer &layer, const qz::QuantizedWeights &q) {
  MLIRContext *ctx = layer.matmul.getContext();
  std::string text = q.format.getEncodingAttr();
  auto encoding =
      dyn_cast_or_null<EncodingAttrInterface>(parseAttribute(text, ctx));
  if (!encoding)
    return layer.matmul.emitOpError()
           << "format '" << q.format.getName() << "' gives '" << text
           << "', not a qnt encoding";
  SmallVector<int64_t> shape = {layer.rows, layer.cols};
  SmallVector<PartInfo> parts = encoding.getParts(shape);
  std::vector<std::vector<uint8_t>> packed = q.packParts();
  if (parts.size() != packed.size())
    return layer.matmul.emitOpError()
           << "format '" << q.format.getName() << "' packs " << packed.size()
           << " parts; " << text << " has " << parts.size();
  SmallVector<ArrayRef<uint8_t>> partRefs;
  for (auto [part, bytes] : llvm::zip_equal(parts, packed)) {
    if (int64_t(bytes.size()) != part.getNumBytes())
      return layer.matmul.emitOpError()
             << "format '" << q.format.getName() << "' packs " << bytes.size()
             << " bytes for part '" << part.name << "' of " << text
             << ", expected " << part.getNumBytes();
    partRefs.push_back(bytes);
  }
  std::vector<float> decoded(layer.rows * layer.cols);
  if (failed(encoding.referenceDecode(shape, partRefs, decoded, [&] {
        return layer.matmul.emitOpError() << "reference decode failed: ";
      })))
    return failure();
  for (size_t i = 0; i < decoded.size(); ++i)
    if (std::memcmp(&decoded[i], &q.dequantized[i], sizeof(float)) != 0)
      return layer.matmul.emitOpError()
             << "the packed " << text << " weight decodes to " << decoded[i]
             << " at element " << i << " but the quantizer chose "
             << q.dequantized[i];

  SmallVector<Attribute> partAttrs;
  for (auto [part, bytes] : llvm::zip_equal(parts, packed))
    partAttrs.push_back(
        buildPartAttr(part, bytes, kInlineLimit, "weight_" + part.name));
  OpBuilder builder(layer.plain);
  auto type = RankedTensorType::get(
      shape, layer.plain.getType().getElementType(), encoding);
  auto constant = ConstantOp::create(builder, layer.plain.getLoc(), type,
                                     builder.getArrayAttr(partAttrs));
  layer.matmul->setOperand(1, constant);
  if (layer.plain->use_empty())
    layer.plain->erase();
  return success();
}

} // namespace

/// The statistics attributes the outlier passes read (ChannelUtils.h).
static constexpr StringLiteral kInputAbsMaxAttr = "qnt.input_absmax";
static constexpr StringLiteral kInputMeanAbsAttr = "qnt.input_meanabs";

LogicalResult
mlir::qnt::rewriteOutlierChannels(ModuleOp module,
                                  const CalibrationResult &calibration,
                                  const AutoQuantizeOptions &options) {
  if (!options.rewritesChannels())
    return success();
  Location loc = module.getLoc();
  if (!options.migrate.empty() && options.migrate != "awq" &&
      options.migrate != "smoothquant")
    return emitError(loc) << "unknown scale migration '" << options.migrate
                          << "' (expected awq or smoothquant)";
  MLIRContext *ctx = module.getContext();
  auto f32 = Float32Type::get(ctx);
  module.walk([&](MatmulOp matmul) {
    auto name = matmul->getAttrOfType<StringAttr>(kLayerAttrName);
    const LayerCalibration *stats =
        name ? calibration.lookup(name.getValue()) : nullptr;
    if (!stats)
      return;
    auto type = RankedTensorType::get({stats->k}, f32);
    ArrayRef<float> absMax = stats->stats.getAbsMax();
    std::vector<double> meanAbs = stats->stats.getMeanAbs();
    std::vector<float> mean(meanAbs.begin(), meanAbs.end());
    matmul->setAttr(kInputAbsMaxAttr, DenseElementsAttr::get(type, absMax));
    matmul->setAttr(kInputMeanAbsAttr,
                    DenseElementsAttr::get(type, ArrayRef<float>(mean)));
  });

  PassManager pm(ctx);
  if (options.rotate)
    pm.addNestedPass<func::FuncOp>(createQntRotateWeightsPass());
  if (!options.migrate.empty()) {
    QntMigrateScalesPassOptions migrate;
    migrate.method = options.migrate;
    migrate.format = options.migrateFormat;
    pm.addNestedPass<func::FuncOp>(createQntMigrateScalesPass(migrate));
  }
  if (options.reorder) {
    QntReorderChannelsPassOptions reorder;
    // A runtime permutation (#qnt.permuted) would hide the plain weight
    // from the quantizer: only absorbable groups are reordered.
    reorder.unabsorbed = "skip";
    pm.addNestedPass<func::FuncOp>(createQntReorderChannelsPass(reorder));
  }
  pm.addPass(createCanonicalizerPass());
  // The passes' per-group remarks (what moved, what was skipped) are for
  // quant-opt users; the compile flow reports its choices itself.
  ScopedDiagnosticHandler quiet(ctx, [](Diagnostic &diag) {
    return success(diag.getSeverity() == DiagnosticSeverity::Remark);
  });
  LogicalResult rewritten = pm.run(module);
  module.walk([&](MatmulOp matmul) {
    matmul->removeAttr(kInputAbsMaxAttr);
    matmul->removeAttr(kInputMeanAbsAttr);
  });
  if (failed(rewritten))
    return emitError(loc) << "the outlier channel rewrites failed";
  return success();
}

std::vector<std::string> mlir::qnt::getDefaultCandidates() {
  return {"int2-g64",        "int3-g64", "uint3-g32-asym", "int4-g128",
          "uint4-g128-asym", "int4-g64", "uint4-g64-asym", "int4-g32",
          "uint4-g32-asym",  "nf4-g64",  "int8-g128",      "int8-g64"};
}

FailureOr<AutoQuantizeResult>
mlir::qnt::autoQuantizeWeights(ModuleOp module,
                               const CalibrationResult &calibration,
                               const AutoQuantizeOptions &options) {
  Location loc = module.getLoc();
  if (options.candidates.empty())
    return emitError(loc) << "automatic quantization needs candidate formats";
  std::vector<qz::QuantFormat> formats;
  for (const std::string &name : options.candidates) {
    llvm::Expected<qz::QuantFormat> format = qz::QuantFormat::parse(name);
    if (!format)
      return emitError(loc) << "candidate format '" << name
                            << "': " << llvm::toString(format.takeError());
    formats.push_back(*format);
  }

  // The layers: plain 2-D weights with calibration statistics.
  std::vector<Layer> layers;
  WalkResult walk = module.walk([&](MatmulOp matmul) -> WalkResult {
    auto plain = matmul.getWeight().getDefiningOp<ConstantOp>();
    if (!plain || !isa<PlainAttr>(plain.getType().getEncoding()) ||
        plain.getType().getRank() != 2)
      return WalkResult::advance();
    auto name = matmul->getAttrOfType<StringAttr>(kLayerAttrName);
    const LayerCalibration *stats =
        name ? calibration.lookup(name.getValue()) : nullptr;
    if (!stats)
      return matmul.emitOpError()
             << "has no calibration statistics (layer '"
             << (name ? name.getValue() : StringRef("<unnamed>")) << "')";
    if (!stats->stats.hasGram())
      return matmul.emitOpError()
             << "layer '" << stats->name << "' has K = " << stats->k
             << " and no recorded X^T X; raise the calibration X^T X limit";
    Layer layer{matmul,
                plain,
                stats,
                plain.getType().getDimSize(0),
                plain.getType().getDimSize(1),
                {},
                {},
                {},
                {}};
    FailureOr<std::vector<float>> values = getPlainConstantValues(plain);
    if (failed(values) || int64_t(values->size()) != layer.rows * layer.cols)
      return plain.emitOpError() << "cannot read the plain weight values";
    layer.weights = std::move(*values);
    layer.hessian = stats->stats.getGram();
    layers.push_back(std::move(layer));
    return WalkResult::advance();
  });
  if (walk.wasInterrupted())
    return failure();
  if (layers.empty())
    return emitError(loc) << "automatic quantization found no qnt.matmul "
                             "with a plain 2-D weight";

  // Quantize every (layer, candidate) pair and score it.
  AutoQuantizeResult result;
  std::vector<qz::CandidateList> candidates;
  for (Layer &layer : layers) {
    // MSE clipping weighs each column's squared error by its input energy,
    // diag(X^T X), the diagonal of the output error it is scored by.
    std::vector<double> diagonal(layer.cols);
    for (int64_t k = 0; k < layer.cols; ++k)
      diagonal[k] = layer.hessian[k * layer.cols + k];
    qz::ScaleSearchOptions search;
    search.mseClip = options.mseClip;
    if (options.mseClip)
      search.columnWeights = diagonal;
    qz::GPTQOptions gptqOptions;
    gptqOptions.actOrder = options.actOrder;
    gptqOptions.scaleSearch = search;
    qz::CandidateList list;
    for (const qz::QuantFormat &format : formats) {
      llvm::Expected<qz::QuantizedWeights> q =
          options.gptq
              ? qz::quantizeGPTQ(format, layer.weights, layer.rows, layer.cols,
                                 layer.hessian, gptqOptions)
              : qz::quantizeRTN(format, layer.weights, layer.rows, layer.cols,
                                search);
      if (!q)
        return layer.matmul.emitOpError()
               << "cannot quantize layer '" << layer.stats->name << "' to "
               << format.getName() << ": " << llvm::toString(q.takeError());
      double error = qz::layerSensitivity(options.sensitivity, layer.weights,
                                          q->dequantized, layer.rows,
                                          layer.cols, layer.hessian);
      list.push_back({format.getStorageBits(layer.rows, layer.cols), error});
      layer.errors.push_back(error);
      layer.quantized.push_back(std::move(*q));
    }
    candidates.push_back(std::move(list));
    result.numWeights += uint64_t(layer.rows * layer.cols);
  }

  uint64_t budget =
      qz::budgetFromBitsPerWeight(options.budgetBits, result.numWeights);
  llvm::Expected<qz::Allocation> allocation =
      qz::solveKnapsack(candidates, budget);
  if (!allocation)
    return emitError(loc) << "no assignment fits " << options.budgetBits
                          << " bits per weight: "
                          << llvm::toString(allocation.takeError());
  result.allocation = *allocation;

  for (auto [layer, choice] : llvm::zip(layers, allocation->choices)) {
    const qz::QuantizedWeights &q = layer.quantized[choice];
    std::vector<float> zeros(layer.weights.size(), 0.0f);
    double total = qz::outputError(layer.weights, zeros, layer.rows, layer.cols,
                                   layer.hessian);
    qz::LayerReport report;
    report.name = layer.stats->name;
    report.format = q.format.getName();
    report.encoding = q.format.getEncodingAttr();
    report.method = std::string(options.gptq ? "gptq" : "rtn") +
                    (options.gptq && options.actOrder ? "+act-order" : "") +
                    (options.mseClip ? "+mse" : "");
    report.rows = layer.rows;
    report.cols = layer.cols;
    report.bits = q.format.getStorageBits(layer.rows, layer.cols);
    report.bytes = q.format.getStorageBytes(layer.rows, layer.cols);
    report.error = layer.errors[choice];
    report.relativeError = total > 0 ? layer.errors[choice] / total : -1.0;
    if (failed(replaceWeight(layer, q)))
      return failure();
    result.layers.push_back(std::move(report));
  }

  if (!options.reportDir.empty()) {
    llvm::Expected<std::vector<qz::Allocation>> frontier =
        qz::paretoFrontier(candidates);
    if (!frontier)
      return emitError(loc) << "cannot compute the size / error frontier: "
                            << llvm::toString(frontier.takeError());
    std::vector<qz::ParetoPoint> points =
        qz::paretoPointsFromAllocations(*frontier, result.numWeights);
    qz::ParetoPoint chosen;
    chosen.size = double(allocation->cost) / double(result.numWeights);
    chosen.error = allocation->error;
    chosen.chosen = true;
    chosen.label = "budget " + std::to_string(options.budgetBits).substr(0, 4);
    points.push_back(chosen);
    if (llvm::Error error =
            qz::writeReportFiles(options.reportDir, result.layers, points))
      return emitError(loc) << llvm::toString(std::move(error));
  }
  return result;
}

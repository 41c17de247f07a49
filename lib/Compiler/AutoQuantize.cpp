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
#include "quant/Quantize/Outliers.h"
#include "quant/Quantize/QuantFormat.h"
#include "quant/Quantize/Sensitivity.h"
#include "quant/Quantize/WeightQuantizer.h"

#include "mlir/AsmParser/AsmParser.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/FormatVariadic.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <optional>

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
  /// Output rows per slice (rows when the layer is one allocation unit).
  int64_t sliceRows;
  /// [candidate][slice].
  std::vector<std::vector<qz::QuantizedCandidate>> quantized;
  std::vector<std::vector<double>> errors;

  int64_t getNumSlices() const { return (rows + sliceRows - 1) / sliceRows; }
  int64_t getSliceBegin(int64_t s) const { return s * sliceRows; }
  int64_t getSliceRows(int64_t s) const {
    return std::min(sliceRows, rows - s * sliceRows);
  }
  /// The layer's name, with the rows of slice `s` when it has several.
  std::string getSliceName(int64_t s) const {
    if (getNumSlices() == 1)
      return stats->name;
    return stats->name + "[" + std::to_string(getSliceBegin(s)) + ":" +
           std::to_string(getSliceBegin(s) + getSliceRows(s)) + "]";
  }
};

/// The constant holding `q`, after checking that its parts decode to
/// q.dequantized bit for bit.
FailureOr<Value> buildWeight(OpBuilder &builder, Layer &layer,
                             const qz::QuantizedCandidate &q) {
  MLIRContext *ctx = layer.matmul.getContext();
  int64_t rows = q.getRows();
  std::string name = q.format.getName();
  std::string text = q.format.getEncodingAttr(rows, layer.cols);
  auto encoding =
      dyn_cast_or_null<EncodingAttrInterface>(parseAttribute(text, ctx));
  if (!encoding)
    return layer.matmul.emitOpError() << "format '" << name << "' gives '"
                                      << text << "', not a qnt encoding";
  SmallVector<int64_t> shape = {rows, layer.cols};
  SmallVector<PartInfo> parts = encoding.getParts(shape);
  std::vector<std::vector<uint8_t>> packed = q.packParts();
  if (parts.size() != packed.size())
    return layer.matmul.emitOpError()
           << "format '" << name << "' packs " << packed.size() << " parts; "
           << text << " has " << parts.size();
  SmallVector<ArrayRef<uint8_t>> partRefs;
  for (auto [part, bytes] : llvm::zip_equal(parts, packed)) {
    if (int64_t(bytes.size()) != part.getNumBytes())
      return layer.matmul.emitOpError()
             << "format '" << name << "' packs " << bytes.size()
             << " bytes for part '" << part.name << "' of " << text
             << ", expected " << part.getNumBytes();
    partRefs.push_back(bytes);
  }
  if (encoding.getStorageBits(shape) !=
      q.format.getStorageBits(rows, layer.cols))
    return layer.matmul.emitOpError()
           << "format '" << name << "' counts "
           << q.format.getStorageBits(rows, layer.cols) << " bits; " << text
           << " stores " << encoding.getStorageBits(shape);
  std::vector<float> decoded(rows * layer.cols);
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
  auto type = RankedTensorType::get(
      shape, layer.plain.getType().getElementType(), encoding);
  return ConstantOp::create(builder, layer.plain.getLoc(), type,
                            builder.getArrayAttr(partAttrs))
      .getResult();
}

/// Whether slices quantized to `format` can share one weight: the bits
/// then add up exactly (no tensor scale, no CSR row offsets to share).
bool canMergeSlices(const qz::CandidateFormat &format) {
  return !format.hasOutliers() &&
         !(format.dense.kind == qz::GridKind::Minifloat &&
           format.dense.tensorScale);
}

/// Replaces the plain weight of `layer` by the chosen slices (`choices`,
/// one candidate index per slice). Runs of slices with one format become
/// one weight; a layer of several runs becomes one qnt.matmul per run on
/// the matching bias and residual columns, concatenated along N.
LogicalResult rewriteLayer(Layer &layer, ArrayRef<int64_t> choices) {
  struct Segment {
    int64_t begin;
    qz::QuantizedCandidate q;
  };
  std::vector<Segment> segments;
  for (int64_t s = 0; s < layer.getNumSlices(); ++s) {
    const qz::QuantizedCandidate &q = layer.quantized[choices[s]][s];
    if (s > 0 && choices[s] == choices[s - 1] && canMergeSlices(q.format)) {
      Segment &last = segments.back();
      if (llvm::Error error = last.q.dense.appendRows(q.dense))
        return layer.matmul.emitOpError() << llvm::toString(std::move(error));
      last.q.dequantized.insert(last.q.dequantized.end(), q.dequantized.begin(),
                                q.dequantized.end());
      continue;
    }
    segments.push_back({layer.getSliceBegin(s), q});
  }

  MatmulOp matmul = layer.matmul;
  OpBuilder builder(layer.plain);
  if (segments.size() == 1) {
    FailureOr<Value> weight = buildWeight(builder, layer, segments[0].q);
    if (failed(weight))
      return failure();
    matmul->setOperand(1, *weight);
    if (layer.plain->use_empty())
      layer.plain->erase();
    return success();
  }

  Location loc = matmul.getLoc();
  auto resultType = cast<RankedTensorType>(matmul.getType());
  int64_t last = resultType.getRank() - 1;
  Value bias = matmul.getBias(), residual = matmul.getResidual();
  SmallVector<Value> pieces;
  for (const Segment &segment : segments) {
    builder.setInsertionPoint(layer.plain);
    FailureOr<Value> weight = buildWeight(builder, layer, segment.q);
    if (failed(weight))
      return failure();
    builder.setInsertionPoint(matmul);
    int64_t n = segment.q.getRows();
    Value segmentBias, segmentResidual;
    if (bias) {
      OpFoldResult offset = builder.getIndexAttr(segment.begin),
                   size = builder.getIndexAttr(n),
                   stride = builder.getIndexAttr(1);
      segmentBias = tensor::ExtractSliceOp::create(builder, loc, bias, {offset},
                                                   {size}, {stride});
    }
    if (residual) {
      auto residualType = cast<RankedTensorType>(residual.getType());
      SmallVector<OpFoldResult> offsets(residualType.getRank(),
                                        builder.getIndexAttr(0));
      SmallVector<OpFoldResult> sizes =
          tensor::getMixedSizes(builder, loc, residual);
      SmallVector<OpFoldResult> strides(residualType.getRank(),
                                        builder.getIndexAttr(1));
      offsets.back() = builder.getIndexAttr(segment.begin);
      sizes.back() = builder.getIndexAttr(n);
      segmentResidual = tensor::ExtractSliceOp::create(builder, loc, residual,
                                                       offsets, sizes, strides);
    }
    SmallVector<int64_t> shape(resultType.getShape());
    shape[last] = n;
    auto piece = MatmulOp::create(
        builder, loc, RankedTensorType::get(shape, resultType.getElementType()),
        matmul.getLhs(), *weight, segmentBias, segmentResidual,
        matmul.getActivationAttr());
    piece->setDiscardableAttrs(matmul->getDiscardableAttrDictionary());
    std::string name = layer.stats->name + "[" + std::to_string(segment.begin) +
                       ":" + std::to_string(segment.begin + n) + "]";
    piece->setAttr(kLayerAttrName, builder.getStringAttr(name));
    pieces.push_back(piece);
  }
  // tensor.concat, decomposed right away into tensor.empty and
  // tensor.insert_slice, which every pipeline lowers.
  auto concat = tensor::ConcatOp::create(builder, loc, last, pieces);
  FailureOr<SmallVector<Value>> decomposed = concat.decomposeOperation(builder);
  if (failed(decomposed) || decomposed->size() != 1)
    return matmul.emitOpError() << "cannot concatenate the row slices";
  Value joined = decomposed->front();
  if (joined.getType() != matmul.getType())
    joined = tensor::CastOp::create(builder, loc, matmul.getType(), joined);
  concat->erase();
  matmul.getResult().replaceAllUsesWith(joined);
  matmul->erase();
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

namespace {
/// One candidate of one allocation unit in each budget's unit.
struct UnitCost {
  uint64_t bits = 0, bytes = 0;
  /// Modelled ns; empty when the latency model lacks the format.
  std::optional<uint64_t> latencyNs;

  uint64_t get(qz::BudgetKind kind) const {
    switch (kind) {
    case qz::BudgetKind::BitsPerWeight:
      return bits;
    case qz::BudgetKind::Bytes:
      return bytes;
    case qz::BudgetKind::Latency:
      return *latencyNs;
    }
    return bits;
  }
};
} // namespace

/// Modelled ns of `format` on `rows` x `cols` weights: the dense kernel,
/// plus the sparse outliers when the format keeps some.
static llvm::Expected<uint64_t> getLatencyNs(const qz::LatencyModel &model,
                                             const qz::CandidateFormat &format,
                                             int64_t rows, int64_t cols,
                                             double fixedShare) {
  llvm::Expected<uint64_t> dense =
      model.getCost(format.dense, rows, cols, fixedShare);
  if (!dense || !format.hasOutliers())
    return dense;
  if (model.nsPerOutlier < 0)
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        "latency model '" + model.source +
            "' has no 'ns_per_outlier' for the sparse part of format '" +
            format.getName() + "' (measure it with bench/latency_model.sh)");
  return *dense +
         uint64_t(std::ceil(model.nsPerOutlier *
                            double(format.getNumOutliers(rows, cols))));
}

/// The model sensitivity gain of every layer (AutoQuantizeOptions):
/// model output error over layer output error, per sample, of one
/// reference candidate per layer. The reference is the median candidate by
/// bits (near the budgets worth solving for), else the next cheaper, then
/// dearer, one whose layer error is not zero; a layer that every candidate
/// reproduces exactly gets gain 0.
static FailureOr<std::vector<double>>
measureLayerGains(ModuleOp module, ArrayRef<Layer> layers,
                  ArrayRef<qz::CandidateFormat> formats,
                  const CalibrationResult &calibration,
                  const AutoQuantizeOptions &options) {
  std::vector<WeightReplacement> changes;
  std::vector<double> layerErrors;
  std::vector<int64_t> measuredLayer;
  for (auto [index, layer] : llvm::enumerate(layers)) {
    SmallVector<int64_t> order(formats.size());
    for (auto [i, slot] : llvm::enumerate(order))
      slot = int64_t(i);
    llvm::sort(order, [&](int64_t a, int64_t b) {
      uint64_t bitsA = formats[a].getStorageBits(layer.rows, layer.cols);
      uint64_t bitsB = formats[b].getStorageBits(layer.rows, layer.cols);
      return bitsA != bitsB ? bitsA < bitsB : a < b;
    });
    size_t median = (order.size() - 1) / 2;
    SmallVector<int64_t> tries;
    for (size_t i = median + 1; i-- > 0;)
      tries.push_back(order[i]);
    for (size_t i = median + 1; i < order.size(); ++i)
      tries.push_back(order[i]);
    for (int64_t candidate : tries) {
      // Slices' output errors add up to the layer's.
      double error = 0.0;
      for (int64_t s = 0; s < layer.getNumSlices(); ++s)
        error +=
            qz::outputError(ArrayRef<float>(layer.weights)
                                .slice(layer.getSliceBegin(s) * layer.cols,
                                       layer.getSliceRows(s) * layer.cols),
                            layer.quantized[candidate][s].dequantized,
                            layer.getSliceRows(s), layer.cols, layer.hessian);
      if (!(error > 0))
        continue;
      WeightReplacement change;
      change.layer = layer.stats->name;
      for (const qz::QuantizedCandidate &q : layer.quantized[candidate])
        change.weights.insert(change.weights.end(), q.dequantized.begin(),
                              q.dequantized.end());
      changes.push_back(std::move(change));
      layerErrors.push_back(error / double(calibration.numSamples));
      measuredLayer.push_back(index);
      break;
    }
  }
  FailureOr<OutputErrorResult> measured = measureOutputErrors(
      module, changes, options.modelRun, options.sensitivitySamples);
  if (failed(measured))
    return failure();
  std::vector<double> gains(layers.size(), 0.0);
  for (auto [index, layerError, modelError] :
       llvm::zip_equal(measuredLayer, layerErrors, measured->errors))
    gains[index] = modelError / layerError;
  return gains;
}

/// "%g" with enough digits for any option value.
static std::string formatNumber(double v) {
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%.10g", v);
  return buffer;
}

/// A budget in cost units, as the user writes it.
static std::string describeBudget(qz::BudgetKind kind, uint64_t cost,
                                  uint64_t numWeights) {
  switch (kind) {
  case qz::BudgetKind::BitsPerWeight:
    return llvm::formatv("{0:F4} bits/w", double(cost) / double(numWeights))
        .str();
  case qz::BudgetKind::Bytes:
    return std::to_string(cost) + " B";
  case qz::BudgetKind::Latency:
    return llvm::formatv("{0:F3} us", double(cost) / 1000.0).str();
  }
  return "";
}

FailureOr<AutoQuantizeResult>
mlir::qnt::autoQuantizeWeights(ModuleOp module,
                               const CalibrationResult &calibration,
                               const AutoQuantizeOptions &options) {
  Location loc = module.getLoc();
  if (options.candidates.empty())
    return emitError(loc) << "automatic quantization needs candidate formats";
  if (options.sliceRows < 0)
    return emitError(loc) << "slices need a positive number of rows, got "
                          << options.sliceRows;
  std::vector<qz::CandidateFormat> formats;
  for (const std::string &name : options.candidates) {
    llvm::Expected<qz::CandidateFormat> format =
        qz::CandidateFormat::parse(name);
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
                0,
                {},
                {}};
    layer.sliceRows = options.sliceRows > 0
                          ? std::min(options.sliceRows, layer.rows)
                          : layer.rows;
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
    qz::CandidateQuantizeOptions quantizeOptions;
    quantizeOptions.gptq = options.gptq;
    quantizeOptions.gptqOptions.actOrder = options.actOrder;
    quantizeOptions.gptqOptions.scaleSearch = search;
    quantizeOptions.scaleSearch = search;
    int64_t numSlices = layer.getNumSlices();
    std::vector<qz::CandidateList> lists(numSlices);
    for (const qz::CandidateFormat &format : formats) {
      llvm::Expected<std::vector<qz::QuantizedCandidate>> slices =
          qz::quantizeCandidate(format, layer.weights, layer.rows, layer.cols,
                                layer.hessian, layer.sliceRows,
                                quantizeOptions);
      if (!slices)
        return layer.matmul.emitOpError()
               << "cannot quantize layer '" << layer.stats->name << "' to "
               << format.getName() << ": "
               << llvm::toString(slices.takeError());
      // Each slice's error is the layer output error on its channels,
      // Tr(dW_s X^T X dW_s^T); they add up to the layer's.
      std::vector<double> errors;
      for (int64_t s = 0; s < numSlices; ++s) {
        int64_t begin = layer.getSliceBegin(s), n = layer.getSliceRows(s);
        double error = qz::layerSensitivity(
            options.sensitivity,
            ArrayRef<float>(layer.weights)
                .slice(begin * layer.cols, n * layer.cols),
            (*slices)[s].dequantized, n, layer.cols, layer.hessian);
        lists[s].push_back({format.getStorageBits(n, layer.cols), error});
        errors.push_back(error);
      }
      layer.errors.push_back(std::move(errors));
      layer.quantized.push_back(std::move(*slices));
    }
    for (qz::CandidateList &list : lists)
      candidates.push_back(std::move(list));
    result.numWeights += uint64_t(layer.rows * layer.cols);
  }

  // Model sensitivity: one gain per layer scales all its errors, or every
  // candidate is measured on the model.
  std::vector<double> gains;
  if (options.modelSensitivity && options.modelExact) {
    if (options.sliceRows > 0)
      return emitError(loc) << "exact model sensitivity scores whole layers; "
                               "it cannot be combined with row slices";
    std::vector<WeightReplacement> changes;
    for (Layer &layer : layers)
      for (std::vector<qz::QuantizedCandidate> &slices : layer.quantized)
        changes.push_back({layer.stats->name, slices.front().dequantized});
    FailureOr<OutputErrorResult> measured = measureOutputErrors(
        module, changes, options.modelRun, options.sensitivitySamples);
    if (failed(measured))
      return failure();
    // On the scale of the layer errors (summed over the calibration
    // samples), so the report's gains compare between the modes.
    size_t pair = 0;
    for (auto [layer, list] : llvm::zip_equal(layers, candidates)) {
      for (auto [candidate, errors] : llvm::zip_equal(list, layer.errors)) {
        errors[0] = measured->errors[pair++] * double(calibration.numSamples);
        candidate.error = errors[0];
      }
      gains.push_back(0.0);
    }
  } else if (options.modelSensitivity) {
    FailureOr<std::vector<double>> measured =
        measureLayerGains(module, layers, formats, calibration, options);
    if (failed(measured))
      return failure();
    gains = std::move(*measured);
    size_t unit = 0;
    for (auto [layer, gain] : llvm::zip_equal(layers, gains)) {
      for (std::vector<double> &errors : layer.errors)
        for (double &error : errors)
          error *= gain;
      for (int64_t s = 0; s < layer.getNumSlices(); ++s, ++unit)
        for (auto [candidate, errors] :
             llvm::zip_equal(candidates[unit], layer.errors))
          candidate.error = errors[s];
    }
  }

  // Every unit's candidates in the budget's unit: stored bits, bytes or
  // modelled ns (a slice carries its share of the layer's fixed cost).
  qz::BudgetKind kind = options.budgetKind;
  bool latencyBudget = kind == qz::BudgetKind::Latency;
  std::vector<std::vector<UnitCost>> unitCosts;
  for (Layer &layer : layers)
    for (int64_t s = 0; s < layer.getNumSlices(); ++s) {
      int64_t n = layer.getSliceRows(s);
      std::vector<UnitCost> row;
      for (const qz::CandidateFormat &format : formats) {
        UnitCost cost;
        cost.bits = format.getStorageBits(n, layer.cols);
        cost.bytes = format.getStorageBytes(n, layer.cols);
        llvm::Expected<uint64_t> ns =
            getLatencyNs(options.latencyModel, format, n, layer.cols,
                         double(n) / double(layer.rows));
        if (ns)
          cost.latencyNs = *ns;
        else if (latencyBudget)
          return layer.matmul.emitOpError()
                 << "latency budget: " << llvm::toString(ns.takeError());
        else
          llvm::consumeError(ns.takeError());
        row.push_back(cost);
      }
      unitCosts.push_back(std::move(row));
    }
  uint64_t cheapest = 0, dearest = 0;
  for (auto [list, costs] : llvm::zip_equal(candidates, unitCosts)) {
    uint64_t lo = std::numeric_limits<uint64_t>::max(), hi = 0;
    for (auto [candidate, cost] : llvm::zip_equal(list, costs)) {
      candidate.cost = cost.get(kind);
      lo = std::min(lo, candidate.cost);
      hi = std::max(hi, candidate.cost);
    }
    cheapest += lo;
    dearest += hi;
  }

  uint64_t budget = 0;
  std::string budgetText, smallest;
  switch (kind) {
  case qz::BudgetKind::BitsPerWeight: {
    budget = qz::budgetFromBitsPerWeight(options.budgetBits, result.numWeights);
    budgetText = formatNumber(options.budgetBits) + " bits per weight";
    // Rounded up, so that the value given back fits.
    std::string bits = formatNumber(
        std::ceil(double(cheapest) * 1e4 / double(result.numWeights)) / 1e4);
    smallest = bits + " bits per weight (--budget-bits=" + bits + ")";
    break;
  }
  case qz::BudgetKind::Bytes:
    budget = options.budgetBytes;
    budgetText = std::to_string(options.budgetBytes) + " bytes";
    smallest = std::to_string(cheapest) +
               " bytes (--budget-bytes=" + std::to_string(cheapest) + ")";
    break;
  case qz::BudgetKind::Latency: {
    budget = qz::budgetFromMicroseconds(options.budgetLatencyUs);
    budgetText =
        formatNumber(options.budgetLatencyUs) + " us of modelled latency";
    std::string us = llvm::formatv("{0:F3}", double(cheapest) / 1000.0).str();
    smallest = us + " us (--budget-latency-us=" + us + ")";
    break;
  }
  }
  if (budget < cheapest)
    return emitError(loc) << "no assignment fits " << budgetText
                          << ": the smallest feasible budget is " << smallest;
  llvm::Expected<qz::Allocation> allocation =
      qz::solveKnapsack(candidates, budget);
  if (!allocation)
    return emitError(loc) << "cannot assign formats under " << budgetText
                          << ": " << llvm::toString(allocation.takeError());
  result.allocation = *allocation;
  bool latencyKnown = true;
  uint64_t latencyNs = 0;
  for (auto [costs, choice] : llvm::zip_equal(unitCosts, allocation->choices)) {
    const UnitCost &cost = costs[choice];
    result.bits += cost.bits;
    result.bytes += cost.bytes;
    latencyKnown &= cost.latencyNs.has_value();
    latencyNs += cost.latencyNs.value_or(0);
  }
  if (latencyKnown)
    result.latencyUs = double(latencyNs) / 1000.0;

  // One report row per allocation unit (layer or slice), in program order.
  size_t item = 0;
  for (Layer &layer : layers) {
    int64_t numSlices = layer.getNumSlices();
    ArrayRef<int64_t> choices =
        ArrayRef<int64_t>(allocation->choices).slice(item, numSlices);
    item += numSlices;
    for (int64_t s = 0; s < numSlices; ++s) {
      int64_t choice = choices[s];
      const qz::QuantizedCandidate &q = layer.quantized[choice][s];
      int64_t begin = layer.getSliceBegin(s), n = layer.getSliceRows(s);
      ArrayRef<float> weights = ArrayRef<float>(layer.weights)
                                    .slice(begin * layer.cols, n * layer.cols);
      std::vector<float> zeros(weights.size(), 0.0f);
      double total =
          qz::outputError(weights, zeros, n, layer.cols, layer.hessian);
      qz::LayerReport report;
      report.name = layer.getSliceName(s);
      report.format = q.format.getName();
      report.encoding = q.format.getEncodingAttr(n, layer.cols);
      report.method = std::string(options.gptq ? "gptq" : "rtn") +
                      (options.gptq && options.actOrder ? "+act-order" : "") +
                      (options.mseClip ? "+mse" : "");
      report.rows = n;
      report.cols = layer.cols;
      report.bits = q.format.getStorageBits(n, layer.cols);
      report.bytes = q.format.getStorageBytes(n, layer.cols);
      report.error = layer.errors[choice][s];
      report.relativeError = total > 0 ? report.error / total : -1.0;
      if (!gains.empty()) {
        // The layer's own relative output error, and the gain from it to
        // the model's.
        double own = qz::outputError(weights, q.dequantized, n, layer.cols,
                                     layer.hessian);
        report.relativeError = total > 0 ? own / total : -1.0;
        report.gain =
            own > 0 ? report.error / own : gains[&layer - layers.data()];
      }
      result.layers.push_back(std::move(report));
    }
    if (failed(rewriteLayer(layer, choices)))
      return failure();
  }

  // Report rows are one per allocation unit, in the units' order.
  for (auto [row, costs, choice] :
       llvm::zip_equal(result.layers, unitCosts, allocation->choices))
    if (costs[choice].latencyNs)
      row.latencyUs = double(*costs[choice].latencyNs) / 1000.0;

  if (!options.reportDir.empty()) {
    // The plot's x axis is the size: the frontier is over bits whatever
    // the budget limits.
    std::vector<qz::CandidateList> bitCandidates = candidates;
    for (auto [list, costs] : llvm::zip_equal(bitCandidates, unitCosts))
      for (auto [candidate, cost] : llvm::zip_equal(list, costs))
        candidate.cost = cost.bits;
    llvm::Expected<std::vector<qz::Allocation>> frontier =
        qz::paretoFrontier(bitCandidates);
    if (!frontier)
      return emitError(loc) << "cannot compute the size / error frontier: "
                            << llvm::toString(frontier.takeError());
    std::vector<qz::ParetoPoint> points =
        qz::paretoPointsFromAllocations(*frontier, result.numWeights);
    // The bits of an allocation made under another budget kind.
    auto totalsOf = [&](const qz::Allocation &a) {
      qz::SweepRow row;
      row.weights = result.numWeights;
      bool known = true;
      uint64_t ns = 0;
      for (auto [costs, choice] : llvm::zip_equal(unitCosts, a.choices)) {
        row.bits += costs[choice].bits;
        row.bytes += costs[choice].bytes;
        known &= costs[choice].latencyNs.has_value();
        ns += costs[choice].latencyNs.value_or(0);
      }
      row.latencyUs = known ? double(ns) / 1000.0 : -1.0;
      row.error = a.error;
      return row;
    };

    // The sweep: evenly spaced budgets from the cheapest assignment to the
    // dearest, and the one compiled.
    constexpr uint64_t kSweepSteps = 15;
    std::vector<uint64_t> budgets;
    for (uint64_t i = 0; i <= kSweepSteps; ++i)
      budgets.push_back(cheapest + (dearest - cheapest) / kSweepSteps * i +
                        (dearest - cheapest) % kSweepSteps * i / kSweepSteps);
    budgets.push_back(budget);
    llvm::sort(budgets);
    budgets.erase(std::unique(budgets.begin(), budgets.end()), budgets.end());
    llvm::Expected<std::vector<qz::Allocation>> swept =
        qz::sweepBudgets(candidates, budgets);
    if (!swept)
      return emitError(loc) << "cannot sweep the budgets: "
                            << llvm::toString(swept.takeError());
    qz::BudgetReport budgetReport;
    budgetReport.kind = kind == qz::BudgetKind::Latency ? "latency"
                        : kind == qz::BudgetKind::Bytes ? "bytes"
                                                        : "bits per weight";
    budgetReport.budget = budgetText;
    budgetReport.latencyModel = options.latencyModel.source;
    if (!options.latencyModel.machine.empty())
      budgetReport.latencyModel +=
          ", measured on " + options.latencyModel.machine;
    for (auto [b, a] : llvm::zip_equal(budgets, *swept)) {
      qz::SweepRow row = totalsOf(a);
      row.chosen = b == budget;
      row.budget = describeBudget(kind, b, result.numWeights);
      qz::ParetoPoint point;
      point.size = row.getBitsPerWeight();
      point.error = row.error;
      point.swept = true;
      point.label = row.budget;
      // One marker per distinct assignment (neighbouring budgets often
      // choose the same).
      bool repeated = !points.empty() && points.back().swept &&
                      points.back().size == point.size &&
                      points.back().error == point.error;
      if (!row.chosen && !repeated)
        points.push_back(point);
      budgetReport.sweep.push_back(std::move(row));
    }
    qz::ParetoPoint chosen;
    chosen.size = double(result.bits) / double(result.numWeights);
    chosen.error = allocation->error;
    chosen.chosen = true;
    // Optimal under its own budget, which need not be a size budget.
    chosen.swept = true;
    chosen.label = "budget " + budgetText;
    points.push_back(chosen);
    if (llvm::Error error = qz::writeReportFiles(
            options.reportDir, result.layers, points, {}, &budgetReport))
      return emitError(loc) << llvm::toString(std::move(error));
  }
  return result;
}

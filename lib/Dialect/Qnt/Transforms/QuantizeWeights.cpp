//===- QuantizeWeights.cpp - round-to-nearest weight quantization ---------===//
//
// The first weight policy: every qnt.matmul whose weight is a #qnt.plain
// constant gets, in its place, a qnt.constant of the chosen encoding whose
// parts are what the encoding's C++ reference encoder makes of the plain
// values (min-max / absmax scales, round to nearest). No float copy of the
// weight is created; the plain constant goes away when nothing else reads
// it.
//
//===----------------------------------------------------------------------===//

#include "quant/Dialect/Qnt/Transforms/Passes.h"

#include "quant/Dialect/Qnt/IR/QntAttrs.h"
#include "quant/Dialect/Qnt/IR/QntOps.h"

#include "mlir/AsmParser/AsmParser.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/StringSwitch.h"

namespace mlir::qnt {
#define GEN_PASS_DEF_QNTQUANTIZEWEIGHTSPASS
#include "quant/Dialect/Qnt/Transforms/Passes.h.inc"
} // namespace mlir::qnt

using namespace mlir;
using namespace mlir::qnt;

namespace {

struct QntQuantizeWeightsPass
    : qnt::impl::QntQuantizeWeightsPassBase<QntQuantizeWeightsPass> {
  using Base::Base;
  void runOnOperation() override;

private:
  /// The encoding for every weight, from the options; null after an error.
  Attribute buildEncoding(Location loc);
  LogicalResult quantize(MatmulOp matmul, ConstantOp plain,
                         EncodingAttrInterface target);
};

} // namespace

Attribute QntQuantizeWeightsPass::buildEncoding(Location loc) {
  MLIRContext *ctx = &getContext();
  std::string enc = encoding, scale = scaleType;
  auto error = [&]() { return emitError(loc) << "qnt-quantize-weights: "; };
  std::optional<int> bits = llvm::StringSwitch<std::optional<int>>(enc)
                                .Case("int8", 8)
                                .Case("int4", 4)
                                .Case("int3", 3)
                                .Case("int2", 2)
                                .Default(std::nullopt);
  bool preset = enc == "mxfp4" || enc == "nvfp4";
  if (!bits && !preset && enc != "nf4" && enc != "fp8") {
    error() << "unknown encoding '" << enc
            << "' (expected int8, int4, int3, int2, nf4, mxfp4, nvfp4 or "
               "fp8)";
    return {};
  }
  if (scale != "f16" && scale != "f32") {
    error() << "unknown scale-type '" << scale << "' (expected f16 or f32)";
    return {};
  }
  if (groupSize < 0) {
    error() << "group-size must be >= 0 (0: per output channel), got "
            << int64_t(groupSize);
    return {};
  }
  if (asymmetric && !bits) {
    error() << "asymmetric applies to the integer encodings only, not '" << enc
            << "'";
    return {};
  }
  if (preset) {
    // The MX / NV formats fix their block size and scale type.
    int64_t block = enc == "mxfp4" ? 32 : 16;
    if (groupSize != block && groupSize != 32) {
      error() << enc << " has a fixed block of " << block
              << " elements; group-size " << int64_t(groupSize)
              << " is not possible";
      return {};
    }
    return parseAttribute("#qnt.float<" + enc + ">", ctx);
  }
  std::string granularity =
      groupSize == 0 ? "per_channel(0)"
                     : "per_group(1, " + std::to_string(groupSize) + ")";
  std::string text;
  if (bits)
    text = "#qnt.uniform<" + std::string(asymmetric ? "ui" : "i") +
           std::to_string(*bits) + ", " + granularity + ", scale = " + scale +
           (asymmetric ? ", asymmetric>" : ">");
  else if (enc == "nf4")
    text = "#qnt.lut<nf4, " + granularity + ", scale = " + scale + ">";
  else
    text = "#qnt.float<f8E4M3FN, " + granularity + ", scale = " + scale + ">";
  Attribute attr = parseAttribute(text, ctx);
  if (!attr)
    error() << "cannot build the encoding " << text;
  return attr;
}

LogicalResult QntQuantizeWeightsPass::quantize(MatmulOp matmul,
                                               ConstantOp plain,
                                               EncodingAttrInterface target) {
  RankedTensorType plainType = plain.getType();
  ArrayRef<int64_t> shape = plainType.getShape();
  if (shape.size() != 2)
    return success(); // Batched weights stay plain.
  // The MX / NV presets have blocks of their own.
  int64_t block = encoding == "mxfp4"   ? 32
                  : encoding == "nvfp4" ? 16
                                        : int64_t(groupSize);
  if (block > 0 && shape[1] % block != 0) {
    matmul.emitWarning() << "qnt-quantize-weights: K = " << shape[1]
                         << " is not a multiple of the block of " << block
                         << "; this weight stays plain";
    return success();
  }
  FailureOr<std::vector<float>> values = getPlainConstantValues(plain);
  if (failed(values))
    return plain.emitOpError() << "cannot read the plain weight values";
  auto type = RankedTensorType::get(shape, plainType.getElementType(), target);
  PartsData partsData;
  if (failed(target.referenceEncode(shape, *values, {}, partsData, [&] {
        return matmul.emitOpError()
               << "qnt-quantize-weights: reference encode failed: ";
      })))
    return failure();
  SmallVector<PartInfo> parts = target.getParts(shape);
  if (parts.size() != partsData.size())
    return matmul.emitOpError()
           << "reference encode produced " << partsData.size()
           << " parts, expected " << parts.size();
  SmallVector<Attribute> partAttrs;
  for (auto [part, bytes] : llvm::zip_equal(parts, partsData)) {
    if (int64_t(bytes.size()) != part.getNumBytes())
      return matmul.emitOpError()
             << "reference encode produced " << bytes.size()
             << " bytes for part '" << part.name << "', expected "
             << part.getNumBytes();
    partAttrs.push_back(
        buildPartAttr(part, bytes, inlineLimit, "weight_" + part.name));
  }
  OpBuilder b(plain);
  auto constant =
      ConstantOp::create(b, plain.getLoc(), type, b.getArrayAttr(partAttrs));
  matmul->setOperand(1, constant);
  if (plain->use_empty())
    plain->erase();
  return success();
}

void QntQuantizeWeightsPass::runOnOperation() {
  ModuleOp module = getOperation();
  Attribute attr = buildEncoding(module.getLoc());
  if (!attr)
    return signalPassFailure();
  auto target = cast<EncodingAttrInterface>(attr);
  SmallVector<std::pair<MatmulOp, ConstantOp>> work;
  module.walk([&](MatmulOp matmul) {
    auto plain = matmul.getWeight().getDefiningOp<ConstantOp>();
    if (!plain || !isa<PlainAttr>(plain.getType().getEncoding()))
      return;
    if (plain.getType().getNumElements() < minElements)
      return;
    work.push_back({matmul, plain});
  });
  for (auto [matmul, plain] : work)
    if (failed(quantize(matmul, plain, target)))
      return signalPassFailure();
}

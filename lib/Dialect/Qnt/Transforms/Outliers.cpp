//===- Outliers.cpp - dense + sparse split of plain weights ---------------===//
//
// Keeps the largest-magnitude weights of the chosen layers exact in the
// sparse (CSR) part of a #qnt.outliers encoding and quantizes the rest:
// the few large weights no longer stretch the quantization grid of their
// groups. The parts are built with lib/Quantize (extractOutliers,
// outlierResiduals) and the base encoding's reference encoder / decoder.
//
//===----------------------------------------------------------------------===//

#include "ChannelUtils.h"

#include "quant/Dialect/Qnt/Transforms/Passes.h"
#include "quant/Quantize/Outliers.h"
#include "quant/Quantize/QuantFormat.h"
#include "quant/Support/Rounding.h"

#include "mlir/AsmParser/AsmParser.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FormatVariadic.h"

#include <cmath>
#include <cstring>

namespace mlir::qnt {
#define GEN_PASS_DEF_QNTOUTLIERSPASS
#include "quant/Dialect/Qnt/Transforms/Passes.h.inc"
} // namespace mlir::qnt

using namespace mlir;
using namespace mlir::qnt;
using namespace mlir::qnt::channel;
namespace qz = mlir::qnt::quantize;

namespace {

struct QntOutliersPass : qnt::impl::QntOutliersPassBase<QntOutliersPass> {
  using Base::Base;
  void runOnOperation() override;

private:
  LogicalResult split(PlainLinear &linear, Attribute base, Type valueType);
};

} // namespace

template <typename T>
static void appendBytes(std::vector<uint8_t> &out, const T &value) {
  const auto *p = reinterpret_cast<const uint8_t *>(&value);
  out.insert(out.end(), p, p + sizeof(T));
}

LogicalResult QntOutliersPass::split(PlainLinear &linear, Attribute base,
                                     Type valueType) {
  int64_t rows = linear.rows, cols = linear.cols;
  SmallVector<int64_t> shape = {rows, cols};
  int64_t nnz = qz::outlierCountForFraction(fraction, rows * cols);
  std::vector<float> dense;
  qz::SparseOutliers sparse =
      qz::extractOutliers(linear.values, rows, cols, nnz, dense);
  auto baseIface = cast<EncodingAttrInterface>(base);
  auto emitError = [&] { return linear.op.emitOpError() << "qnt-outliers: "; };
  PartsData parts;
  if (failed(baseIface.referenceEncode(shape, dense, {}, parts, emitError)))
    return failure();
  SmallVector<ArrayRef<uint8_t>> refs(parts.begin(), parts.end());
  std::vector<float> decoded(rows * cols);
  if (failed(baseIface.referenceDecode(shape, refs, decoded, emitError)))
    return failure();
  std::vector<float> residuals =
      qz::outlierResiduals(sparse, linear.values, decoded);

  std::vector<uint8_t> offsets, colsBytes, values;
  for (int32_t v : sparse.rowOffsets)
    appendBytes(offsets, v);
  for (int32_t v : sparse.colIndices)
    appendBytes(colsBytes, v);
  // base + stored residual is what decode returns at an outlier.
  std::vector<float> reconstructed = decoded;
  for (int64_t r = 0; r < rows; ++r)
    for (int32_t i = sparse.rowOffsets[r]; i < sparse.rowOffsets[r + 1]; ++i) {
      float v = residuals[i];
      if (valueType.isF32()) {
        appendBytes(values, v);
      } else {
        uint16_t bits = floatToHalfBits(v);
        appendBytes(values, bits);
        v = halfBitsToFloat(bits);
      }
      reconstructed[r * cols + sparse.colIndices[i]] += v;
    }
  parts.push_back(std::move(offsets));
  parts.push_back(std::move(colsBytes));
  parts.push_back(std::move(values));

  // What the split buys on this layer: the reconstruction error of the
  // dense-only quantization and of dense + sparse.
  PartsData rtnParts;
  std::vector<float> rtn(rows * cols);
  if (failed(baseIface.referenceEncode(shape, linear.values, {}, rtnParts,
                                       emitError)))
    return failure();
  SmallVector<ArrayRef<uint8_t>> rtnRefs(rtnParts.begin(), rtnParts.end());
  if (failed(baseIface.referenceDecode(shape, rtnRefs, rtn, emitError)))
    return failure();
  double err = 0, errRtn = 0, norm = 0;
  for (int64_t i = 0; i < rows * cols; ++i) {
    double w = linear.values[i];
    norm += w * w;
    errRtn += (rtn[i] - w) * (rtn[i] - w);
    err += (reconstructed[i] - w) * (reconstructed[i] - w);
  }
  auto encoding = OutliersAttr::get(&getContext(), base, nnz, valueType);
  std::string name = describe(linear.op);
  if (failed(setEncodedWeight(linear, encoding, parts)))
    return failure();
  auto rel = [&](double e) { return norm > 0 ? std::sqrt(e / norm) : 0.0; };
  linear.op.emitRemark() << "qnt-outliers: " << name << ": " << nnz << " of "
                         << rows * cols
                         << " weights kept sparse; relative weight error "
                         << llvm::formatv("{0:E2}", rel(errRtn)).str() << " -> "
                         << llvm::formatv("{0:E2}", rel(err)).str();
  return success();
}

void QntOutliersPass::runOnOperation() {
  ModuleOp module = getOperation();
  MLIRContext *ctx = &getContext();
  if (!(fraction >= 0.0 && fraction <= 1.0)) {
    module.emitError() << "qnt-outliers: fraction must be in [0, 1], got "
                       << fraction;
    return signalPassFailure();
  }
  Type valueType;
  if (outlierValueType == "f16")
    valueType = Float16Type::get(ctx);
  else if (outlierValueType == "f32")
    valueType = Float32Type::get(ctx);
  else {
    module.emitError() << "qnt-outliers: unknown value-type '"
                       << outlierValueType << "' (expected f16 or f32)";
    return signalPassFailure();
  }
  llvm::Expected<qz::QuantFormat> parsed = qz::QuantFormat::parse(format);
  if (!parsed) {
    module.emitError() << "qnt-outliers: bad format '" << format
                       << "': " << llvm::toString(parsed.takeError());
    return signalPassFailure();
  }
  Attribute base = parseAttribute(parsed->getEncodingAttr(), ctx);
  if (!base || !isa<EncodingAttrInterface>(base)) {
    module.emitError() << "qnt-outliers: cannot build the encoding of '"
                       << format << "'";
    return signalPassFailure();
  }
  llvm::StringSet<> wanted;
  for (const std::string &name : layers)
    wanted.insert(name);
  llvm::StringSet<> seen;
  SmallVector<MatmulOp> work;
  module.walk([&](MatmulOp op) {
    if (!wanted.empty()) {
      auto name = op->getAttrOfType<StringAttr>("qnt.layer");
      if (!name || !wanted.contains(name.getValue()))
        return;
      seen.insert(name.getValue());
    }
    work.push_back(op);
  });
  for (const auto &name : wanted)
    if (!seen.contains(name.getKey())) {
      module.emitError() << "qnt-outliers: no qnt.matmul has qnt.layer = \""
                         << name.getKey() << "\"";
      return signalPassFailure();
    }
  for (MatmulOp op : work) {
    std::optional<PlainLinear> linear = getPlainLinear(op);
    if (!linear) {
      if (!wanted.empty())
        op.emitWarning() << "qnt-outliers: " << describe(op)
                         << " has no 2-D plain weight; left alone";
      continue;
    }
    int64_t group = parsed->getGroupSize(linear->cols);
    if (linear->cols % group != 0) {
      op.emitWarning() << "qnt-outliers: K = " << linear->cols
                       << " is not a multiple of the group of " << group
                       << "; this weight stays plain";
      continue;
    }
    if (failed(split(*linear, base, valueType)))
      return signalPassFailure();
  }
}

//===- FoldConstantQuantize.cpp - encode constant weights at compile time -===//
//
// `qnt.quantize` of a float constant (with constant parameters, if any)
// becomes a `qnt.constant` whose parts are the bytes the encoding's C++
// reference encoder produces. Parts larger than `inline-limit` bytes are
// `dense_resource` blobs, so big weights never round-trip through text.
//
//===----------------------------------------------------------------------===//

#include "quant/Dialect/Qnt/Transforms/Passes.h"

#include "quant/Dialect/Qnt/IR/QntOps.h"
#include "quant/Support/Rounding.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Location.h"
#include "llvm/ADT/SetVector.h"

#include <cstring>

namespace mlir::qnt {
#define GEN_PASS_DEF_QNTFOLDCONSTANTQUANTIZEPASS
#include "quant/Dialect/Qnt/Transforms/Passes.h.inc"
} // namespace mlir::qnt

using namespace mlir;
using namespace mlir::qnt;

/// The elements attribute of an `arith.constant` defining `value`, if any.
static ElementsAttr getConstantElements(Value value) {
  auto constant = value.getDefiningOp<arith::ConstantOp>();
  if (!constant)
    return {};
  return dyn_cast<ElementsAttr>(constant.getValue());
}

/// The float values of a constant of f32, f16 or bf16 elements, widened to
/// f32 (exactly) in row-major order.
static FailureOr<std::vector<float>> getFloatValues(ElementsAttr attr) {
  Type elementType = cast<ShapedType>(attr.getType()).getElementType();
  if (!elementType.isF32() && !elementType.isF16() && !elementType.isBF16())
    return failure();
  FailureOr<std::vector<uint8_t>> bytes = getConstantBytes(attr);
  if (failed(bytes))
    return failure();
  std::vector<float> values;
  if (elementType.isF32()) {
    values.resize(bytes->size() / 4);
    std::memcpy(values.data(), bytes->data(), bytes->size());
    return values;
  }
  values.reserve(bytes->size() / 2);
  for (size_t i = 0; i < bytes->size(); i += 2) {
    uint16_t bits = uint16_t((*bytes)[i]) | uint16_t((*bytes)[i + 1]) << 8;
    values.push_back(elementType.isF16() ? halfBitsToFloat(bits)
                                         : bfloat16BitsToFloat(bits));
  }
  return values;
}

/// The name blobs of `op` start with: the innermost name in its location
/// (`loc("w")`), else that of the constant it encodes, else "qnt".
static std::string getBlobBaseName(QuantizeOp op) {
  for (Location loc : {op.getLoc(), op.getInput().getLoc()}) {
    std::string name;
    loc->walk([&](Location inner) {
      if (auto nameLoc = dyn_cast<NameLoc>(inner)) {
        name = nameLoc.getName().str();
        return WalkResult::interrupt();
      }
      return WalkResult::advance();
    });
    if (!name.empty())
      return name;
  }
  return "qnt";
}

/// Resource keys may only hold identifier characters.
static std::string sanitizeBlobName(StringRef name) {
  std::string result;
  for (char c : name)
    result.push_back(llvm::isAlnum(c) || c == '_' ? c : '_');
  return result;
}

namespace {
struct QntFoldConstantQuantizePass
    : public qnt::impl::QntFoldConstantQuantizePassBase<
          QntFoldConstantQuantizePass> {
  using Base::Base;
  void runOnOperation() override;

private:
  /// Folds one quantize; failure means an error was emitted. Returns
  /// success without change when the operands are not constants.
  LogicalResult foldQuantize(QuantizeOp op);
};
} // namespace

LogicalResult QntFoldConstantQuantizePass::foldQuantize(QuantizeOp op) {
  ElementsAttr input = getConstantElements(op.getInput());
  if (!input)
    return success();
  SmallVector<ElementsAttr> paramAttrs;
  for (Value param : op.getParams()) {
    ElementsAttr attr = getConstantElements(param);
    if (!attr)
      return success();
    paramAttrs.push_back(attr);
  }

  FailureOr<std::vector<float>> values = getFloatValues(input);
  if (failed(values))
    return op.emitOpError()
           << "cannot read the float values of the constant input";
  SmallVector<std::vector<uint8_t>> paramBytes;
  for (auto [index, attr] : llvm::enumerate(paramAttrs)) {
    FailureOr<std::vector<uint8_t>> bytes = getConstantBytes(attr);
    if (failed(bytes))
      return op.emitOpError()
             << "cannot read the bytes of constant param " << index;
    paramBytes.push_back(std::move(*bytes));
  }
  SmallVector<ArrayRef<uint8_t>> paramRefs(paramBytes.begin(),
                                           paramBytes.end());

  RankedTensorType type = op.getType();
  auto encoding = cast<EncodingAttrInterface>(type.getEncoding());
  PartsData partsData;
  if (failed(encoding.referenceEncode(
          type.getShape(), *values, paramRefs, partsData,
          [&] { return op.emitOpError() << "reference encode failed: "; })))
    return failure();

  SmallVector<PartInfo> parts = encoding.getParts(type.getShape());
  if (partsData.size() != parts.size())
    return op.emitOpError() << "reference encode produced " << partsData.size()
                            << " parts, expected " << parts.size();
  std::string baseName = getBlobBaseName(op);
  SmallVector<Attribute> partAttrs;
  for (auto [part, bytes] : llvm::zip_equal(parts, partsData)) {
    if (int64_t(bytes.size()) != part.getNumBytes())
      return op.emitOpError() << "reference encode produced " << bytes.size()
                              << " bytes for part '" << part.name
                              << "', expected " << part.getNumBytes();
    // The blob manager makes the key unique (w_codes, w_codes_1, ...).
    partAttrs.push_back(
        buildPartAttr(part, bytes, inlineLimit,
                      sanitizeBlobName(baseName + "_" + part.name)));
  }

  OpBuilder builder(op);
  auto constant = ConstantOp::create(builder, op.getLoc(), type,
                                     builder.getArrayAttr(partAttrs));
  llvm::SetVector<Operation *> operandDefs;
  for (Value operand : op->getOperands())
    if (Operation *def = operand.getDefiningOp())
      operandDefs.insert(def);
  op.replaceAllUsesWith(constant.getResult());
  op.erase();
  // The float weights are usually the biggest thing in the module.
  for (Operation *def : operandDefs)
    if (def->use_empty())
      def->erase();
  return success();
}

void QntFoldConstantQuantizePass::runOnOperation() {
  SmallVector<QuantizeOp> quantizeOps;
  getOperation()->walk([&](QuantizeOp op) { quantizeOps.push_back(op); });
  bool failedAny = false;
  for (QuantizeOp op : quantizeOps)
    failedAny |= failed(foldQuantize(op));
  if (failedAny)
    signalPassFailure();
}

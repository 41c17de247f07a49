//===- ChannelUtils.cpp - shared helpers of the outlier passes ------------===//

#include "ChannelUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Matchers.h"

#include <cstring>

using namespace mlir;
using namespace mlir::qnt;
using namespace mlir::qnt::channel;

/// Parts up to this many bytes stay inline dense attributes.
static constexpr int64_t kInlineLimit = 64;

static SmallVector<std::vector<uint8_t>> readParts(ConstantOp constant,
                                                   bool &ok) {
  SmallVector<std::vector<uint8_t>> parts;
  ok = true;
  for (Attribute part : constant.getParts()) {
    FailureOr<std::vector<uint8_t>> bytes =
        getConstantBytes(cast<ElementsAttr>(part));
    if (failed(bytes)) {
      ok = false;
      return {};
    }
    parts.push_back(std::move(*bytes));
  }
  return parts;
}

std::optional<PlainLinear> channel::getPlainLinear(MatmulOp op) {
  auto constant = op.getWeight().getDefiningOp<ConstantOp>();
  if (!constant)
    return std::nullopt;
  RankedTensorType type = constant.getType();
  auto plain = dyn_cast<PlainAttr>(type.getEncoding());
  if (!plain || type.getRank() != 2)
    return std::nullopt;
  bool ok;
  SmallVector<std::vector<uint8_t>> parts = readParts(constant, ok);
  if (!ok)
    return std::nullopt;
  SmallVector<ArrayRef<uint8_t>> refs(parts.begin(), parts.end());
  PlainLinear linear{op, constant, type.getDimSize(0), type.getDimSize(1),
                     std::vector<float>(type.getNumElements())};
  if (failed(cast<EncodingAttrInterface>(plain).referenceDecode(
          type.getShape(), refs, linear.values,
          [&] { return constant.emitOpError(); })))
    return std::nullopt;
  return linear;
}

LogicalResult channel::setEncodedWeight(PlainLinear &linear, Attribute encoding,
                                        const PartsData &partsData) {
  auto iface = cast<EncodingAttrInterface>(encoding);
  RankedTensorType oldType = linear.weight.getType();
  SmallVector<PartInfo> parts = iface.getParts(oldType.getShape());
  if (parts.size() != partsData.size())
    return linear.op.emitOpError() << "encoding produced " << partsData.size()
                                   << " parts, expected " << parts.size();
  SmallVector<Attribute> attrs;
  for (auto [part, bytes] : llvm::zip_equal(parts, partsData)) {
    if (int64_t(bytes.size()) != part.getNumBytes())
      return linear.op.emitOpError()
             << "encoding produced " << bytes.size() << " bytes for part '"
             << part.name << "', expected " << part.getNumBytes();
    attrs.push_back(
        buildPartAttr(part, bytes, kInlineLimit, "weight_" + part.name));
  }
  auto type = RankedTensorType::get(oldType.getShape(),
                                    oldType.getElementType(), encoding);
  OpBuilder b(linear.weight);
  auto constant = ConstantOp::create(b, linear.weight.getLoc(), type,
                                     b.getArrayAttr(attrs));
  ConstantOp old = linear.weight;
  linear.op->setOperand(1, constant);
  linear.weight = constant;
  if (old->use_empty())
    old->erase();
  return success();
}

LogicalResult channel::setPlainWeight(PlainLinear &linear,
                                      ArrayRef<float> values) {
  RankedTensorType type = linear.weight.getType();
  auto iface = cast<EncodingAttrInterface>(type.getEncoding());
  PartsData parts;
  if (failed(iface.referenceEncode(type.getShape(), values, {}, parts,
                                   [&] { return linear.op.emitOpError(); })))
    return failure();
  if (failed(setEncodedWeight(linear, type.getEncoding(), parts)))
    return failure();
  linear.values.assign(values.begin(), values.end());
  return success();
}

std::optional<std::vector<float>> channel::getFloatConstant(Value value) {
  while (auto reshape = value.getDefiningOp<tosa::ReshapeOp>())
    value = reshape.getInput1();
  ElementsAttr attr;
  if (!matchPattern(value, m_Constant(&attr)))
    return std::nullopt;
  if (!attr.getElementType().isF32())
    return std::nullopt;
  FailureOr<std::vector<uint8_t>> bytes = getConstantBytes(attr);
  if (failed(bytes))
    return std::nullopt;
  std::vector<float> values(bytes->size() / 4);
  std::memcpy(values.data(), bytes->data(), values.size() * 4);
  return values;
}

Value channel::makeFloatConstant(OpBuilder &b, Location loc,
                                 RankedTensorType type,
                                 ArrayRef<float> values) {
  auto attr = DenseElementsAttr::get(type, values);
  return arith::ConstantOp::create(b, loc, attr);
}

std::optional<std::vector<float>>
channel::getChannelStat(Operation *op, StringRef name, int64_t k) {
  auto attr = op->getAttrOfType<DenseElementsAttr>(name);
  if (!attr || !attr.getElementType().isF32() || attr.getNumElements() != k)
    return std::nullopt;
  auto range = attr.getValues<float>();
  return std::vector<float>(range.begin(), range.end());
}

LogicalResult channel::verifyChannelStat(Operation *op, StringRef name,
                                         int64_t k) {
  Attribute attr = op->getAttr(name);
  if (!attr)
    return success();
  auto dense = dyn_cast<DenseElementsAttr>(attr);
  if (!dense || !dense.getElementType().isF32() ||
      dense.getType().getRank() != 1 || dense.getNumElements() != k)
    return op->emitError() << "'" << name << "' must be a dense f32 vector of "
                           << k << " values (one per input channel)";
  for (float v : dense.getValues<float>())
    if (!(v >= 0.0f) || std::isinf(v))
      return op->emitError()
             << "'" << name << "' holds a negative or non-finite value";
  return success();
}

std::string channel::describe(MatmulOp op) {
  if (auto name = op->getAttrOfType<StringAttr>("qnt.layer"))
    return name.str();
  Location loc = op.getLoc();
  if (auto name = dyn_cast<NameLoc>(loc))
    return name.getName().str();
  if (auto file = dyn_cast<FileLineColLoc>(loc))
    return "qnt.matmul at line " + std::to_string(file.getLine());
  return "qnt.matmul";
}

int64_t channel::getLastDim(Value value) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  if (!type || type.getRank() == 0)
    return -1;
  return type.getShape().back();
}

bool channel::isChannelVectorType(Type type, int64_t channels) {
  auto ranked = dyn_cast<RankedTensorType>(type);
  if (!ranked || ranked.getRank() == 0 || ranked.getShape().back() != channels)
    return false;
  return llvm::all_of(ranked.getShape().drop_back(),
                      [](int64_t d) { return d == 1; });
}

bool channel::isChannelPreservingReshape(Operation *op) {
  auto reshape = dyn_cast_or_null<tosa::ReshapeOp>(op);
  if (!reshape)
    return false;
  int64_t in = getLastDim(reshape.getInput1());
  return in > 0 && in == getLastDim(reshape.getResult());
}

Value channel::getChannelRoot(Value value) {
  while (isChannelPreservingReshape(value.getDefiningOp()))
    value = value.getDefiningOp()->getOperand(0);
  return value;
}

void channel::collectChannelUses(Value root,
                                 SmallVectorImpl<Operation *> &views,
                                 SmallVectorImpl<OpOperand *> &uses) {
  for (OpOperand &use : root.getUses()) {
    Operation *user = use.getOwner();
    if (use.getOperandNumber() == 0 && isChannelPreservingReshape(user)) {
      views.push_back(user);
      collectChannelUses(user->getResult(0), views, uses);
      continue;
    }
    uses.push_back(&use);
  }
}

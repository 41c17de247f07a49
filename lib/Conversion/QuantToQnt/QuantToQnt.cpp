//===- QuantToQnt.cpp - upstream !quant.uniform to #qnt.uniform -----------===//
//
// Accepts upstream quantized tensors (StableHLO, TFLite, TOSA users) by
// rewriting `tensor<S x !quant.uniform<...>>` into
// `tensor<S x expressed, #qnt.uniform<...>>`. `quant.qcast` becomes
// `qnt.quantize` with the type's scales (and zero points) as explicit
// parameters, so the numbers are exactly those of the upstream type;
// `quant.dcast` becomes `qnt.dequantize`.
//
//===----------------------------------------------------------------------===//

#include "quant/Conversion/Passes.h"

#include "quant/Dialect/Qnt/IR/QntOps.h"
#include "quant/Support/BitPacking.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Func/Transforms/FuncConversions.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/Transforms/DialectConversion.h"

namespace mlir {
#define GEN_PASS_DEF_CONVERTQUANTTOQNTPASS
#include "quant/Conversion/Passes.h.inc"
} // namespace mlir

using namespace mlir;
using namespace mlir::qnt;

//===----------------------------------------------------------------------===//
// Types
//===----------------------------------------------------------------------===//

namespace {
/// Scales and zero points of an upstream quantized type, laid out row-major
/// over the parameter shape of the equivalent qnt granularity.
struct QuantParams {
  Granularity granularity;
  SmallVector<float> scales;
  SmallVector<int64_t> zeroPoints;
};
} // namespace

/// Whether `type` (or the element type of a shaped `type`) is upstream quant.
static bool isQuantType(Type type) {
  if (auto shaped = dyn_cast<ShapedType>(type))
    type = shaped.getElementType();
  return isa<quant::QuantizedType>(type);
}

/// The granularity, scales and zero points of `quantType` on a tensor of
/// `shape`, or failure (with a diagnostic) for what qnt cannot express.
static FailureOr<QuantParams>
getQuantParams(quant::QuantizedType quantType, ArrayRef<int64_t> shape,
               function_ref<InFlightDiagnostic()> emitError) {
  QuantParams params;
  if (auto perTensor = dyn_cast<quant::UniformQuantizedType>(quantType)) {
    params.granularity = Granularity::perTensor();
    params.scales.push_back(static_cast<float>(perTensor.getScale()));
    params.zeroPoints.push_back(perTensor.getZeroPoint());
    return params;
  }
  if (auto perAxis = dyn_cast<quant::UniformQuantizedPerAxisType>(quantType)) {
    int64_t axis = perAxis.getQuantizedDimension();
    if (axis >= int64_t(shape.size()) ||
        int64_t(perAxis.getScales().size()) != shape[axis])
      return emitError() << "quantized dimension " << axis << " with "
                         << perAxis.getScales().size()
                         << " scales does not fit the tensor shape";
    params.granularity = Granularity::perChannel(axis);
    for (double scale : perAxis.getScales())
      params.scales.push_back(static_cast<float>(scale));
    llvm::append_range(params.zeroPoints, perAxis.getZeroPoints());
    return params;
  }
  if (auto subChannel =
          dyn_cast<quant::UniformQuantizedSubChannelType>(quantType)) {
    // Unlisted axes have one block spanning the whole extent.
    SmallVector<int64_t> block(shape);
    for (auto [axis, size] : subChannel.getBlockSizeInfo()) {
      if (axis >= int64_t(shape.size()))
        return emitError() << "quantized dimension " << axis
                           << " is out of range for rank " << shape.size();
      block[axis] = size;
    }
    SmallVector<int64_t> coarseAxes;
    for (auto [axis, extent] : llvm::enumerate(block))
      if (extent > 1)
        coarseAxes.push_back(axis);
    if (coarseAxes.size() == 1)
      params.granularity =
          Granularity::perGroup(coarseAxes.front(), block[coarseAxes.front()]);
    else
      params.granularity = Granularity::blocked(block);
    for (APFloat scale : subChannel.getScales().getValues<APFloat>()) {
      bool losesInfo;
      scale.convert(APFloat::IEEEsingle(), APFloat::rmNearestTiesToEven,
                    &losesInfo);
      params.scales.push_back(scale.convertToFloat());
    }
    for (APInt zeroPoint : subChannel.getZeroPoints().getValues<APInt>())
      params.zeroPoints.push_back(zeroPoint.getSExtValue());
    return params;
  }
  return emitError() << "unsupported quantized type " << quantType
                     << " (expected !quant.uniform)";
}

/// The qnt encoded tensor type equivalent to a tensor of upstream quantized
/// elements, or failure (with a diagnostic).
static FailureOr<RankedTensorType>
convertQuantTensorType(ShapedType type,
                       function_ref<InFlightDiagnostic()> emitError) {
  auto tensorType = dyn_cast<RankedTensorType>(type);
  if (!tensorType)
    return emitError() << "only ranked tensors of quantized types can be "
                          "converted, got "
                       << type;
  auto quantType = cast<quant::QuantizedType>(tensorType.getElementType());
  if (tensorType.getEncoding())
    return emitError() << "tensor " << type << " already has an encoding";
  if (!tensorType.hasStaticShape() || tensorType.getRank() == 0)
    return emitError() << "encoded tensors need a static shape of rank >= 1, "
                          "got "
                       << type;
  unsigned bits = quantType.getStorageTypeIntegralWidth();
  if (bits < 1 || bits > 8)
    return emitError() << "storage type " << quantType.getStorageType()
                       << " of " << quantType
                       << " is wider than 8 bits; qnt stores 1 to 8 bits";
  bool isSigned = quantType.isSigned();
  int64_t defaultMin =
      quant::QuantizedType::getDefaultMinimumForInteger(isSigned, bits);
  int64_t defaultMax =
      quant::QuantizedType::getDefaultMaximumForInteger(isSigned, bits);
  // A narrowed range clamps differently from the full range qnt uses.
  if (quantType.getStorageTypeMin() != defaultMin ||
      quantType.getStorageTypeMax() != defaultMax)
    return emitError() << "narrowed storage range ["
                       << quantType.getStorageTypeMin() << ", "
                       << quantType.getStorageTypeMax() << "] of " << quantType
                       << " has no qnt equivalent";
  Type expressedType = quantType.getExpressedType();
  if (!expressedType.isF32() && !expressedType.isF16() &&
      !expressedType.isBF16())
    return emitError() << "expressed type " << expressedType << " of "
                       << quantType << " is not f32, f16 or bf16";

  FailureOr<QuantParams> params =
      getQuantParams(quantType, tensorType.getShape(), emitError);
  if (failed(params))
    return failure();
  // Symmetric when every zero point is the implicit one: 0 for signed
  // storage, 2^(bits-1) for unsigned.
  int64_t implicitZero = isSigned ? 0 : (int64_t(1) << (bits - 1));
  bool symmetric = llvm::all_of(params->zeroPoints, [&](int64_t zeroPoint) {
    return zeroPoint == implicitZero;
  });
  for (int64_t zeroPoint : params->zeroPoints)
    if (zeroPoint < defaultMin || zeroPoint > defaultMax)
      return emitError() << "zero point " << zeroPoint << " of " << quantType
                         << " is outside the storage range";

  MLIRContext *ctx = type.getContext();
  auto storageType = IntegerType::get(
      ctx, bits, isSigned ? IntegerType::Signless : IntegerType::Unsigned);
  UniformAttr encoding = UniformAttr::getChecked(
      emitError, ctx, storageType, params->granularity,
      Type(Float32Type::get(ctx)), symmetric, /*scaleBits=*/0u,
      /*scaleGroupSize=*/int64_t(0));
  if (!encoding || failed(encoding.verifyEncoding(tensorType.getShape(),
                                                  expressedType, emitError)))
    return failure();
  return RankedTensorType::get(tensorType.getShape(), expressedType, encoding);
}

/// Emits a diagnostic for every use of upstream quant types that this pass
/// cannot convert, so that failures name their cause instead of "failed to
/// legalize". A bad type is reported once, at its first (innermost) user.
static LogicalResult checkConvertible(Operation *root) {
  bool ok = true;
  DenseSet<Type> checkedTypes;
  auto checkType = [&](Operation *op, Type type) {
    if (!isQuantType(type) || !checkedTypes.insert(type).second)
      return;
    auto shaped = dyn_cast<ShapedType>(type);
    if (!shaped) {
      op->emitOpError() << "uses scalar quantized type " << type
                        << ", which has no qnt equivalent";
      ok = false;
      return;
    }
    if (failed(convertQuantTensorType(
            shaped, [&] { return op->emitOpError() << "cannot convert: "; })))
      ok = false;
  };
  root->walk([&](Operation *op) {
    if (isa<quant::StorageCastOp>(op)) {
      op->emitOpError() << "quant.scast has no qnt equivalent";
      ok = false;
      return;
    }
    bool usesQuant = false;
    auto visit = [&](Type type) {
      usesQuant |= isQuantType(type);
      checkType(op, type);
    };
    for (Type type : op->getOperandTypes())
      visit(type);
    for (Type type : op->getResultTypes())
      visit(type);
    if (auto func = dyn_cast<FunctionOpInterface>(op)) {
      for (Type type : func.getArgumentTypes())
        visit(type);
      for (Type type : func.getResultTypes())
        visit(type);
    }
    // Function entry blocks are converted with the signature; nothing else
    // rewrites block arguments.
    for (Region &region : op->getRegions())
      for (Block &block : region)
        for (BlockArgument arg : block.getArguments())
          if (isQuantType(arg.getType()) &&
              !(isa<func::FuncOp>(op) && block.isEntryBlock())) {
            op->emitOpError() << "has a block argument of quantized type "
                              << arg.getType() << ", which is not converted";
            ok = false;
          }
    if (usesQuant && !isa<quant::QuantizeCastOp, quant::DequantizeCastOp,
                          func::FuncOp, func::ReturnOp, func::CallOp>(op)) {
      op->emitOpError() << "uses quantized types and has no qnt conversion";
      ok = false;
    }
  });
  return success(ok);
}

//===----------------------------------------------------------------------===//
// Patterns
//===----------------------------------------------------------------------===//

namespace {
struct QuantizeCastConversion
    : public OpConversionPattern<quant::QuantizeCastOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(quant::QuantizeCastOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto quantTensorType = dyn_cast<RankedTensorType>(op.getType());
    auto resultType = dyn_cast_or_null<RankedTensorType>(
        getTypeConverter()->convertType(op.getType()));
    if (!quantTensorType || !resultType)
      return rewriter.notifyMatchFailure(op, "unsupported result type");
    auto quantType =
        cast<quant::QuantizedType>(quantTensorType.getElementType());
    FailureOr<QuantParams> params = getQuantParams(
        quantType, resultType.getShape(), [&] { return op.emitOpError(); });
    if (failed(params))
      return failure();

    auto encoding = cast<UniformAttr>(resultType.getEncoding());
    SmallVector<PartInfo> parts = encoding.getParts(resultType.getShape());
    unsigned numCodeParts = encoding.getNumCodeParts(resultType.getShape());
    Location loc = op.getLoc();
    SmallVector<Value> paramValues;
    for (const PartInfo &part : ArrayRef(parts).drop_front(numCodeParts)) {
      RankedTensorType partType = part.getTensorType();
      Attribute value;
      if (part.name == "scales") {
        if (int64_t(params->scales.size()) != part.getNumElements())
          return rewriter.notifyMatchFailure(op, "scale count mismatch");
        value =
            DenseElementsAttr::get(partType, ArrayRef<float>(params->scales));
      } else if (part.name == "zero_points") {
        SmallVector<int64_t> paramShape =
            encoding.getGranularity().getParamShape(resultType.getShape());
        int64_t rowLength = paramShape.back();
        int64_t rows = params->zeroPoints.size() / rowLength;
        if (rows * rowLength != int64_t(params->zeroPoints.size()))
          return rewriter.notifyMatchFailure(op, "zero point count mismatch");
        SmallVector<int32_t> codes(params->zeroPoints.begin(),
                                   params->zeroPoints.end());
        SmallVector<uint8_t> packed(part.getNumElements());
        packCodes(codes.data(), rows, rowLength, encoding.getBits(),
                  packed.data());
        SmallVector<int8_t> bytes(packed.begin(), packed.end());
        value = DenseElementsAttr::get(partType, ArrayRef<int8_t>(bytes));
      } else {
        return rewriter.notifyMatchFailure(op, "unexpected parameter part");
      }
      paramValues.push_back(arith::ConstantOp::create(rewriter, loc, partType,
                                                      cast<TypedAttr>(value)));
    }
    rewriter.replaceOpWithNewOp<QuantizeOp>(op, resultType, adaptor.getInput(),
                                            paramValues);
    return success();
  }
};

struct DequantizeCastConversion
    : public OpConversionPattern<quant::DequantizeCastOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(quant::DequantizeCastOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto resultType = dyn_cast<RankedTensorType>(op.getType());
    if (!resultType || !isa<RankedTensorType>(adaptor.getInput().getType()))
      return rewriter.notifyMatchFailure(op, "expected ranked tensors");
    rewriter.replaceOpWithNewOp<DequantizeOp>(op, resultType,
                                              adaptor.getInput());
    return success();
  }
};

struct ConvertQuantToQntPass
    : public impl::ConvertQuantToQntPassBase<ConvertQuantToQntPass> {
  void runOnOperation() override;
};
} // namespace

void ConvertQuantToQntPass::runOnOperation() {
  ModuleOp module = getOperation();
  if (failed(checkConvertible(module)))
    return signalPassFailure();

  MLIRContext *ctx = &getContext();
  TypeConverter typeConverter;
  typeConverter.addConversion([](Type type) { return type; });
  typeConverter.addConversion([](RankedTensorType type) -> std::optional<Type> {
    if (!isa<quant::QuantizedType>(type.getElementType()))
      return type;
    // Diagnostics were emitted by checkConvertible; stay silent here.
    FailureOr<RankedTensorType> converted =
        convertQuantTensorType(type, [&] { return InFlightDiagnostic(); });
    if (failed(converted))
      return std::nullopt;
    return Type(*converted);
  });

  ConversionTarget target(*ctx);
  target.addLegalDialect<arith::ArithDialect, QntDialect>();
  target.addIllegalDialect<quant::QuantDialect>();
  target.addDynamicallyLegalOp<func::FuncOp>([&](func::FuncOp op) {
    return typeConverter.isSignatureLegal(op.getFunctionType()) &&
           typeConverter.isLegal(&op.getBody());
  });
  target.addDynamicallyLegalOp<func::ReturnOp, func::CallOp>(
      [&](Operation *op) { return typeConverter.isLegal(op); });
  target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });

  RewritePatternSet patterns(ctx);
  patterns.add<QuantizeCastConversion, DequantizeCastConversion>(typeConverter,
                                                                 ctx);
  populateFunctionOpInterfaceTypeConversionPattern<func::FuncOp>(patterns,
                                                                 typeConverter);
  populateReturnOpTypeConversionPattern(patterns, typeConverter);
  populateCallOpTypeConversionPattern(patterns, typeConverter);

  // Upstream folds dcast(qcast(x)) to x, which would delete the
  // quantization error (DESIGN.md decision 3): never fold.
  ConversionConfig config;
  config.foldingMode = DialectConversionFoldingMode::Never;
  if (failed(
          applyPartialConversion(module, target, std::move(patterns), config)))
    signalPassFailure();
}

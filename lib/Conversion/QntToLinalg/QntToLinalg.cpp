//===- QntToLinalg.cpp - reference lowering of qnt ops --------------------===//
//
// convert-qnt-to-linalg: encoded tensors become their physical parts (1:N
// type conversion, function boundaries included) and every qnt op is
// implemented literally from the encodings' reference decode / encode. This
// is the oracle every backend is checked against, so it favours clarity over
// speed; still, qnt.matmul decodes the weight inside its reduction and never
// materializes the float weight.
//
//===----------------------------------------------------------------------===//

#include "quant/Conversion/Passes.h"

#include "quant/Conversion/QntToLinalg/QntToLinalg.h"
#include "quant/Dialect/Qnt/IR/QntDialect.h"
#include "quant/Dialect/Qnt/IR/QntOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Func/Transforms/FuncConversions.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/Patterns.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

#include <cmath>

namespace mlir {
#define GEN_PASS_DEF_CONVERTQNTTOLINALGPASS
#include "quant/Conversion/Passes.h.inc"
} // namespace mlir

using namespace mlir;
using namespace mlir::qnt;

//===----------------------------------------------------------------------===//
// Type conversion
//===----------------------------------------------------------------------===//

QntPartsTypeConverter::QntPartsTypeConverter() {
  addConversion([](Type type) { return type; });
  addConversion(
      [](RankedTensorType type,
         SmallVectorImpl<Type> &results) -> std::optional<LogicalResult> {
        EncodingAttrInterface encoding = getEncoding(type);
        if (!encoding)
          return std::nullopt;
        for (const PartInfo &part : encoding.getParts(type.getShape()))
          results.push_back(part.getTensorType());
        return success();
      });
}

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

namespace {

SmallVector<Value> flatten(ArrayRef<ValueRange> ranges) {
  SmallVector<Value> values;
  for (ValueRange range : ranges)
    llvm::append_range(values, range);
  return values;
}

Value widenToF32(OpBuilder &b, Location loc, Value v) {
  if (v.getType().isF32())
    return v;
  return arith::ExtFOp::create(b, loc, b.getF32Type(), v);
}

Value narrowFromF32(OpBuilder &b, Location loc, Value v, Type type) {
  if (type.isF32())
    return v;
  return arith::TruncFOp::create(b, loc, type, v);
}

/// Elementwise f32 widening of a float tensor (identity for f32).
Value widenTensor(OpBuilder &b, Location loc, Value tensor) {
  auto type = cast<RankedTensorType>(tensor.getType());
  if (type.getElementType().isF32())
    return tensor;
  Value init = tensor::EmptyOp::create(b, loc, type.getShape(), b.getF32Type());
  AffineMap identity = b.getMultiDimIdentityMap(type.getRank());
  return linalg::GenericOp::create(
             b, loc, TypeRange{init.getType()}, ValueRange{tensor},
             ValueRange{init}, ArrayRef<AffineMap>{identity, identity},
             SmallVector<utils::IteratorType>(type.getRank(),
                                              utils::IteratorType::parallel),
             [](OpBuilder &nb, Location nl, ValueRange args) {
               linalg::YieldOp::create(nb, nl, widenToF32(nb, nl, args[0]));
             })
      .getResult(0);
}

//===----------------------------------------------------------------------===//
// Patterns
//===----------------------------------------------------------------------===//

struct ConstantOpLowering : OpConversionPattern<ConstantOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(ConstantOp op, OneToNOpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    SmallVector<PartInfo> parts = getEncoding(type).getParts(type.getShape());
    if (parts.size() != op.getParts().size())
      return op.emitOpError("has ")
             << op.getParts().size() << " parts but the encoding has "
             << parts.size();
    SmallVector<Value> values;
    for (auto [attr, part] : llvm::zip_equal(op.getParts(), parts)) {
      auto typed = cast<TypedAttr>(attr);
      if (typed.getType() != part.getTensorType())
        return op.emitOpError("part '")
               << part.name << "' must be " << part.getTensorType() << ", got "
               << typed.getType();
      values.push_back(arith::ConstantOp::create(rewriter, op.getLoc(), typed));
    }
    rewriter.replaceOpWithMultiple(op, SmallVector<SmallVector<Value>>{values});
    return success();
  }
};

struct AssembleOpLowering : OpConversionPattern<AssembleOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(AssembleOp op, OneToNOpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOpWithMultiple(
        op, SmallVector<SmallVector<Value>>{flatten(adaptor.getParts())});
    return success();
  }
};

struct DisassembleOpLowering : OpConversionPattern<DisassembleOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(DisassembleOp op, OneToNOpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ValueRange parts = adaptor.getInput();
    if (parts.size() != op.getNumResults())
      return op.emitOpError("has ")
             << op.getNumResults() << " results but the encoding has "
             << parts.size() << " parts";
    rewriter.replaceOp(op, parts);
    return success();
  }
};

struct DequantizeOpLowering : OpConversionPattern<DequantizeOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(DequantizeOp op, OneToNOpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto inputType = cast<RankedTensorType>(op.getInput().getType());
    auto resultType = cast<RankedTensorType>(op.getType());
    EncodingAttrInterface encoding = getEncoding(inputType);
    ArrayRef<int64_t> shape = inputType.getShape();
    SmallVector<Value> parts = llvm::to_vector(adaptor.getInput());
    int64_t rank = shape.size();
    Value init = tensor::EmptyOp::create(rewriter, loc, resultType.getShape(),
                                         resultType.getElementType());
    bool decoded = true;
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{resultType}, ValueRange{}, ValueRange{init},
        ArrayRef<AffineMap>{rewriter.getMultiDimIdentityMap(rank)},
        SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
        [&](OpBuilder &b, Location nl, ValueRange) {
          SmallVector<Value> indices;
          for (int64_t i = 0; i < rank; ++i)
            indices.push_back(linalg::IndexOp::create(b, nl, i));
          Value x = encoding.buildDecodeElement(b, nl, shape, parts, indices);
          if (!x) {
            decoded = false;
            x = arith::ConstantFloatOp::create(b, nl, b.getF32Type(),
                                               APFloat(0.0f));
          }
          linalg::YieldOp::create(
              b, nl, narrowFromF32(b, nl, x, resultType.getElementType()));
        });
    if (!decoded)
      return op.emitOpError("cannot decode ") << inputType << " as IR";
    rewriter.replaceOp(op, generic.getResults());
    return success();
  }
};

struct QuantizeOpLowering : OpConversionPattern<QuantizeOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(QuantizeOp op, OneToNOpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto resultType = cast<RankedTensorType>(op.getType());
    EncodingAttrInterface encoding = getEncoding(resultType);
    ValueRange inputs = adaptor.getInput();
    if (inputs.size() != 1)
      return rewriter.notifyMatchFailure(op, "input is not a plain tensor");
    Value input = widenTensor(rewriter, loc, inputs.front());
    SmallVector<Value> params = flatten(adaptor.getParams());
    FailureOr<SmallVector<Value>> parts = encoding.buildEncode(
        rewriter, loc, resultType.getShape(), input, params);
    if (failed(parts))
      return failure();
    rewriter.replaceOpWithMultiple(op, SmallVector<SmallVector<Value>>{*parts});
    return success();
  }
};

struct MatmulOpLowering : OpConversionPattern<MatmulOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(MatmulOp op, OneToNOpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto weightType = cast<RankedTensorType>(op.getWeight().getType());
    auto resultType = cast<RankedTensorType>(op.getType());
    EncodingAttrInterface encoding = getEncoding(weightType);
    ArrayRef<int64_t> weightShape = weightType.getShape();
    int64_t weightRank = weightShape.size();
    if (weightRank < 2)
      return op.emitOpError("expects a weight of rank >= 2, got ")
             << weightType;
    // The batch dimensions are the lhs's; a 2-D weight is shared by every
    // batch (a linear layer on [B..., M, K] activations), a batched one is
    // indexed by them.
    int64_t numBatch =
        cast<RankedTensorType>(op.getLhs().getType()).getRank() - 2;
    bool batchedWeight = weightRank > 2;
    ValueRange lhsValues = adaptor.getLhs();
    Value lhs = lhsValues.front();
    SmallVector<Value> parts = llvm::to_vector(adaptor.getWeight());
    Type f32 = rewriter.getF32Type();

    // Loops (batch..., m, n, k).
    int64_t numLoops = numBatch + 3;
    auto dim = [&](int64_t i) { return rewriter.getAffineDimExpr(i); };
    SmallVector<AffineExpr> lhsExprs, outExprs;
    for (int64_t i = 0; i < numBatch; ++i) {
      lhsExprs.push_back(dim(i));
      outExprs.push_back(dim(i));
    }
    lhsExprs.append({dim(numBatch), dim(numBatch + 2)});
    outExprs.append({dim(numBatch), dim(numBatch + 1)});
    MLIRContext *ctx = rewriter.getContext();
    AffineMap lhsMap = AffineMap::get(numLoops, 0, lhsExprs, ctx);
    AffineMap outMap = AffineMap::get(numLoops, 0, outExprs, ctx);
    SmallVector<utils::IteratorType> iterators(numLoops,
                                               utils::IteratorType::parallel);
    iterators.back() = utils::IteratorType::reduction;

    ArrayRef<int64_t> resultShape = resultType.getShape();
    Value zero = arith::ConstantFloatOp::create(
        rewriter, loc, rewriter.getF32Type(), APFloat(0.0f));
    Value accInit = linalg::FillOp::create(
                        rewriter, loc, zero,
                        tensor::EmptyOp::create(rewriter, loc, resultShape, f32)
                            .getResult())
                        .getResult(0);
    bool decoded = true;
    Value acc =
        linalg::GenericOp::create(
            rewriter, loc, TypeRange{accInit.getType()}, ValueRange{lhs},
            ValueRange{accInit}, ArrayRef<AffineMap>{lhsMap, outMap}, iterators,
            [&](OpBuilder &b, Location nl, ValueRange args) {
              // The weight element (batch..., n, k), decoded in place.
              SmallVector<Value> indices;
              if (batchedWeight)
                for (int64_t i = 0; i < numBatch; ++i)
                  indices.push_back(linalg::IndexOp::create(b, nl, i));
              indices.push_back(linalg::IndexOp::create(b, nl, numBatch + 1));
              indices.push_back(linalg::IndexOp::create(b, nl, numBatch + 2));
              Value w = encoding.buildDecodeElement(b, nl, weightShape, parts,
                                                    indices);
              if (!w) {
                decoded = false;
                w = arith::ConstantFloatOp::create(b, nl, b.getF32Type(),
                                                   APFloat(0.0f));
              }
              Value product =
                  arith::MulFOp::create(b, nl, widenToF32(b, nl, args[0]), w);
              linalg::YieldOp::create(
                  b, nl, Value(arith::AddFOp::create(b, nl, args[1], product)));
            })
            .getResult(0);
    if (!decoded)
      return op.emitOpError("cannot decode ") << weightType << " as IR";

    // Epilogue: bias, activation, residual, in that order.
    Value bias = op.getBias() ? adaptor.getBias().front() : Value();
    Value residual = op.getResidual() ? adaptor.getResidual().front() : Value();
    Activation activation = op.getActivation();
    if (!bias && !residual && activation == Activation::None &&
        resultType.getElementType().isF32()) {
      rewriter.replaceOp(op, acc);
      return success();
    }
    int64_t outRank = resultShape.size();
    AffineMap identity = rewriter.getMultiDimIdentityMap(outRank);
    SmallVector<Value> inputs = {acc};
    SmallVector<AffineMap> maps = {identity};
    if (bias) {
      inputs.push_back(bias);
      maps.push_back(AffineMap::get(
          outRank, 0, rewriter.getAffineDimExpr(outRank - 1), ctx));
    }
    if (residual) {
      inputs.push_back(residual);
      maps.push_back(identity);
    }
    maps.push_back(identity);
    Value init = tensor::EmptyOp::create(rewriter, loc, resultShape,
                                         resultType.getElementType());
    auto epilogue = linalg::GenericOp::create(
        rewriter, loc, TypeRange{resultType}, inputs, ValueRange{init}, maps,
        SmallVector<utils::IteratorType>(outRank,
                                         utils::IteratorType::parallel),
        [&](OpBuilder &b, Location nl, ValueRange args) {
          Value y = args[0];
          unsigned next = 1;
          if (bias)
            y = arith::AddFOp::create(b, nl, y,
                                      widenToF32(b, nl, args[next++]));
          y = buildActivation(b, nl, activation, y);
          if (residual)
            y = arith::AddFOp::create(b, nl, y,
                                      widenToF32(b, nl, args[next++]));
          linalg::YieldOp::create(
              b, nl, narrowFromF32(b, nl, y, resultType.getElementType()));
        });
    rewriter.replaceOp(op, epilogue.getResults());
    return success();
  }
};

struct ConvertQntToLinalgPass
    : impl::ConvertQntToLinalgPassBase<ConvertQntToLinalgPass> {
  using Base::Base;
  void runOnOperation() override;
};

} // namespace

void mlir::qnt::populateQntToLinalgConversionPatterns(
    const TypeConverter &converter, RewritePatternSet &patterns) {
  patterns.add<ConstantOpLowering, AssembleOpLowering, DisassembleOpLowering,
               DequantizeOpLowering, QuantizeOpLowering, MatmulOpLowering>(
      converter, patterns.getContext());
}

void ConvertQntToLinalgPass::runOnOperation() {
  MLIRContext *ctx = &getContext();
  QntPartsTypeConverter converter;
  RewritePatternSet patterns(ctx);
  ConversionTarget target(*ctx);

  populateQntToLinalgConversionPatterns(converter, patterns);
  populateFunctionOpInterfaceTypeConversionPattern<func::FuncOp>(patterns,
                                                                 converter);
  populateReturnOpTypeConversionPattern(patterns, converter);
  populateCallOpTypeConversionPattern(patterns, converter);
  scf::populateSCFStructuralTypeConversionsAndLegality(converter, patterns,
                                                       target);

  target.addIllegalDialect<QntDialect>();
  target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
  target.addDynamicallyLegalOp<func::FuncOp>([&](func::FuncOp op) {
    return converter.isSignatureLegal(op.getFunctionType()) &&
           converter.isLegal(&op.getBody());
  });
  target.addDynamicallyLegalOp<func::ReturnOp, func::CallOp>(
      [&](Operation *op) { return converter.isLegal(op); });

  if (failed(
          applyPartialConversion(getOperation(), target, std::move(patterns))))
    signalPassFailure();
}

//===- ForallToRuntime.cpp - scf.forall on libquant_runtime threads -------===//
//
// convert-forall-to-quant-runtime: every bufferized 1-D scf.forall with
// static bounds becomes
//
//   ctx = alloca struct { captured values }      (memref descriptors, scalars)
//   quant_rt_parallel_for(0, items, @__qnt_rt_body_N, ctx)
//
//   func @__qnt_rt_body_N(lo: i64, hi: i64, ctx: !llvm.ptr)
//     unpack ctx
//     scf.for i = lo * per to min(hi * per, trip count)   (the forall body)
//
// so compiled models need only libquant_runtime.so for threads. The loop is
// split into `items` work items of `per` consecutive iterations (`chunks`
// items, or one per iteration when chunks = 0); the runtime hands contiguous
// item ranges to its threads. Iterations are never split, so each output
// element is computed by exactly one thread in the single-thread order.
//
//===----------------------------------------------------------------------===//

#include "quant/Conversion/Passes.h"

#include "quant/Conversion/QntToCPU/Int8Kernel.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMTypes.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/SetVector.h"

namespace mlir {
#define GEN_PASS_DEF_CONVERTFORALLTOQUANTRUNTIMEPASS
#include "quant/Conversion/Passes.h.inc"
} // namespace mlir

using namespace mlir;

/// The LLVM struct the memref descriptor of `type` lowers to.
static Type getDescriptorType(MemRefType type) {
  MLIRContext *ctx = type.getContext();
  auto ptr = LLVM::LLVMPointerType::get(ctx);
  auto i64 = IntegerType::get(ctx, 64);
  SmallVector<Type> fields{ptr, ptr, i64};
  if (type.getRank() > 0) {
    auto array = LLVM::LLVMArrayType::get(i64, type.getRank());
    fields.append({array, array});
  }
  return LLVM::LLVMStructType::getLiteral(ctx, fields);
}

/// The context field type of a captured value, or null if it cannot travel.
static Type getFieldType(Value value) {
  Type type = value.getType();
  if (auto memref = dyn_cast<MemRefType>(type)) {
    if (memref.getMemorySpace() || !memref.isStrided())
      return {};
    return getDescriptorType(memref);
  }
  if (type.isIndex())
    return IntegerType::get(type.getContext(), 64);
  if (type.isIntOrFloat())
    return type;
  return {};
}

static LLVM::LLVMFuncOp getOrCreateParallelFor(OpBuilder &b, Location loc,
                                               ModuleOp module,
                                               SymbolTable &symbols) {
  StringRef name = "quant_rt_parallel_for";
  if (auto existing = symbols.lookup<LLVM::LLVMFuncOp>(name))
    return existing;
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(module.getBody());
  auto ptr = LLVM::LLVMPointerType::get(b.getContext());
  auto fnType =
      LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(b.getContext()),
                                  {b.getI64Type(), b.getI64Type(), ptr, ptr});
  auto decl = LLVM::LLVMFuncOp::create(b, loc, name, fnType);
  symbols.insert(decl);
  return decl;
}

/// Rewrites `op`; returns failure (leaving it alone) when it does not fit.
static LogicalResult outlineForall(scf::ForallOp op, int64_t chunks,
                                   ModuleOp module, SymbolTable &symbols) {
  if (op.getRank() != 1 || op.getNumResults() != 0)
    return failure();
  int64_t lb = op.getStaticLowerBound()[0];
  int64_t ub = op.getStaticUpperBound()[0];
  int64_t step = op.getStaticStep()[0];
  if (ShapedType::isDynamic(lb) || ShapedType::isDynamic(ub) ||
      ShapedType::isDynamic(step) || step <= 0)
    return failure();
  int64_t tripCount = ub > lb ? (ub - lb + step - 1) / step : 0;
  if (tripCount <= 1)
    return failure();
  int64_t items = chunks > 0 ? std::min(chunks, tripCount) : tripCount;
  int64_t perItem = (tripCount + items - 1) / items;
  items = (tripCount + perItem - 1) / perItem;

  // What the body uses from above: constants are cloned, the rest travels
  // in the context struct.
  llvm::SetVector<Value> captured;
  getUsedValuesDefinedAbove(op.getRegion(), captured);
  SmallVector<Value> fields, constants;
  SmallVector<Type> fieldTypes;
  for (Value value : captured) {
    Operation *def = value.getDefiningOp();
    if (def && def->hasTrait<OpTrait::ConstantLike>() &&
        def->getNumOperands() == 0 && def->getNumRegions() == 0) {
      constants.push_back(value);
      continue;
    }
    Type fieldType = getFieldType(value);
    if (!fieldType)
      return failure();
    fields.push_back(value);
    fieldTypes.push_back(fieldType);
  }

  MLIRContext *ctx = op.getContext();
  Location loc = op.getLoc();
  OpBuilder b(ctx);
  auto ptr = LLVM::LLVMPointerType::get(ctx);
  Type i64 = b.getI64Type();
  auto structType = LLVM::LLVMStructType::getLiteral(ctx, fieldTypes);
  LLVM::LLVMFuncOp parallelFor =
      getOrCreateParallelFor(b, loc, module, symbols);

  // The outlined body, next to the function holding the loop.
  auto parent = op->getParentOfType<FunctionOpInterface>();
  b.setInsertionPointAfter(parent);
  auto bodyType = b.getFunctionType({i64, i64, ptr}, {});
  auto body = func::FuncOp::create(b, loc, "__qnt_rt_body", bodyType);
  body.setPrivate();
  symbols.insert(body);
  {
    OpBuilder::InsertionGuard guard(b);
    Block *entry = body.addEntryBlock();
    b.setInsertionPointToStart(entry);
    IRMapping mapping;
    for (Value constant : constants)
      b.clone(*constant.getDefiningOp(), mapping);
    for (auto [index, value] : llvm::enumerate(fields)) {
      Value address =
          LLVM::GEPOp::create(b, loc, ptr, structType, entry->getArgument(2),
                              ArrayRef<LLVM::GEPArg>{0, int32_t(index)});
      Value field = LLVM::LoadOp::create(b, loc, fieldTypes[index], address);
      if (isa<MemRefType>(value.getType()))
        field =
            UnrealizedConversionCastOp::create(b, loc, value.getType(), field)
                .getResult(0);
      else if (value.getType().isIndex())
        field = arith::IndexCastOp::create(b, loc, value.getType(), field);
      mapping.map(value, field);
    }
    auto toIndex = [&](Value v) -> Value {
      return arith::IndexCastOp::create(b, loc, b.getIndexType(), v);
    };
    auto cst = [&](int64_t v) -> Value {
      return arith::ConstantIndexOp::create(b, loc, v);
    };
    Value first = arith::MulIOp::create(b, loc, toIndex(entry->getArgument(0)),
                                        cst(perItem));
    Value last = arith::MinSIOp::create(
        b, loc,
        arith::MulIOp::create(b, loc, toIndex(entry->getArgument(1)),
                              cst(perItem)),
        cst(tripCount));
    scf::ForOp::create(
        b, loc, first, last, cst(1), ValueRange{},
        [&](OpBuilder &nb, Location, Value i, ValueRange) {
          Value iv = arith::AddIOp::create(
              nb, loc, cst(lb), arith::MulIOp::create(nb, loc, i, cst(step)));
          mapping.map(op.getInductionVar(0), iv);
          for (Operation &inner : op.getBody()->without_terminator())
            nb.clone(inner, mapping);
          scf::YieldOp::create(nb, loc);
        });
    func::ReturnOp::create(b, loc);
  }

  // The call site: the context lives in the caller's entry block so that a
  // loop around the forall does not grow the stack.
  Block &callerEntry = parent.getFunctionBody().front();
  b.setInsertionPointToStart(&callerEntry);
  Value one = LLVM::ConstantOp::create(b, loc, i64, b.getI64IntegerAttr(1));
  Value context = LLVM::AllocaOp::create(b, loc, ptr, structType, one,
                                         /*alignment=*/16);
  b.setInsertionPoint(op);
  for (auto [index, value] : llvm::enumerate(fields)) {
    Value field = value;
    if (isa<MemRefType>(value.getType()))
      field =
          UnrealizedConversionCastOp::create(b, loc, fieldTypes[index], value)
              .getResult(0);
    else if (value.getType().isIndex())
      field = arith::IndexCastOp::create(b, loc, i64, value);
    Value address =
        LLVM::GEPOp::create(b, loc, ptr, structType, context,
                            ArrayRef<LLVM::GEPArg>{0, int32_t(index)});
    LLVM::StoreOp::create(b, loc, field, address);
  }
  Value function =
      func::ConstantOp::create(b, loc, bodyType, body.getSymName());
  Value functionPtr =
      UnrealizedConversionCastOp::create(b, loc, ptr, function).getResult(0);
  Value begin = LLVM::ConstantOp::create(b, loc, i64, b.getI64IntegerAttr(0));
  Value end = LLVM::ConstantOp::create(b, loc, i64, b.getI64IntegerAttr(items));
  LLVM::CallOp::create(b, loc, parallelFor,
                       ValueRange{begin, end, functionPtr, context});
  op.erase();
  return success();
}

namespace {
struct ConvertForallToQuantRuntimePass
    : public impl::ConvertForallToQuantRuntimePassBase<
          ConvertForallToQuantRuntimePass> {
  using Base::Base;
  void runOnOperation() override;
};
} // namespace

void ConvertForallToQuantRuntimePass::runOnOperation() {
  ModuleOp module = getOperation();
  if (chunks < 0) {
    module.emitError() << "chunks must be non-negative, got "
                       << int64_t(chunks);
    return signalPassFailure();
  }
  // Intrinsic proxies of the generated kernels (Int8Kernel.h).
  SmallVector<func::FuncOp> proxies;
  for (auto function : module.getOps<func::FuncOp>())
    if (function.isDeclaration() && function->hasAttr(qnt::kIntrinsicProxyAttr))
      proxies.push_back(function);
  for (func::FuncOp proxy : proxies) {
    auto intrinsic = proxy->getAttrOfType<StringAttr>(qnt::kIntrinsicProxyAttr);
    SmallVector<func::CallOp> calls;
    module.walk([&](func::CallOp call) {
      if (call.getCallee() == proxy.getSymName())
        calls.push_back(call);
    });
    for (func::CallOp call : calls) {
      OpBuilder b(call);
      auto replacement = LLVM::CallIntrinsicOp::create(
          b, call.getLoc(), call.getResult(0).getType(), intrinsic,
          call.getOperands());
      call.getResult(0).replaceAllUsesWith(replacement.getResult(0));
      call.erase();
    }
    proxy.erase();
  }
  if (!parallel)
    return;

  // Outermost loops only: a nested forall runs inside its outlined parent.
  SmallVector<scf::ForallOp> loops;
  module.walk([&](scf::ForallOp op) {
    if (!op->getParentOfType<scf::ForallOp>())
      loops.push_back(op);
  });
  SymbolTable symbols(module);
  for (scf::ForallOp op : loops)
    (void)outlineForall(op, chunks, module, symbols);
}

//===- MergeAllocations.cpp - one workspace for a function's buffers ------===//
//
// Carves the statically shaped buffers of a function's entry block out of
// one workspace allocation (see the pass description in Passes.td): one
// large malloc per call is reused by glibc from call to call, where many
// medium ones freed together trim the heap and fault it back in.
//
//===----------------------------------------------------------------------===//

#include "quant/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/Support/MathExtras.h"

namespace mlir {
#define GEN_PASS_DEF_MERGEALLOCATIONSPASS
#include "quant/Conversion/Passes.h.inc"
} // namespace mlir

using namespace mlir;

namespace {

/// Alignment of the workspace and of every buffer in it (a cache line, the
/// widest vector).
constexpr int64_t kAlignment = 64;

/// The bytes of `alloc`'s buffer, or 0 when it cannot live in a workspace.
int64_t getMergeableSize(memref::AllocOp alloc) {
  MemRefType type = alloc.getType();
  if (!type.hasStaticShape() || !type.getLayout().isIdentity() ||
      type.getMemorySpace() || !alloc.getSymbolOperands().empty())
    return 0;
  Type element = type.getElementType();
  if (!element.isIntOrFloat() || element.getIntOrFloatBitWidth() % 8 != 0)
    return 0;
  if (alloc.getAlignment() && *alloc.getAlignment() > kAlignment)
    return 0;
  return std::max<int64_t>(1, type.getNumElements()) *
         (element.getIntOrFloatBitWidth() / 8);
}

/// The single dealloc of `alloc`, when it is in `block` and the buffer has
/// no other way out of the function (returned, or freed elsewhere).
memref::DeallocOp getSingleDealloc(memref::AllocOp alloc, Block &block) {
  memref::DeallocOp dealloc;
  for (Operation *user : alloc->getUsers()) {
    if (isa<func::ReturnOp>(user))
      return {};
    auto current = dyn_cast<memref::DeallocOp>(user);
    if (!current)
      continue;
    if (dealloc || current->getBlock() != &block)
      return {};
    dealloc = current;
  }
  return dealloc;
}

struct MergeAllocationsPass
    : impl::MergeAllocationsPassBase<MergeAllocationsPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    // Multi-block bodies would need the workspace freed on every exit.
    if (func.isExternal() || !func.getBody().hasOneBlock())
      return;
    Block &block = func.getBody().front();
    auto ret = dyn_cast<func::ReturnOp>(block.getTerminator());
    if (!ret)
      return;

    struct Buffer {
      memref::AllocOp alloc;
      memref::DeallocOp dealloc;
      int64_t offset;
    };
    SmallVector<Buffer> buffers;
    int64_t total = 0;
    for (auto alloc : block.getOps<memref::AllocOp>()) {
      int64_t size = getMergeableSize(alloc);
      if (size == 0)
        continue;
      memref::DeallocOp dealloc = getSingleDealloc(alloc, block);
      if (!dealloc)
        continue;
      buffers.push_back({alloc, dealloc, total});
      total += llvm::alignTo(size, kAlignment);
    }
    // One buffer is already one allocation.
    if (buffers.size() < 2)
      return;

    IRRewriter rewriter(&getContext());
    Location loc = func.getLoc();
    rewriter.setInsertionPointToStart(&block);
    auto workspaceType =
        MemRefType::get({total}, IntegerType::get(&getContext(), 8));
    Value workspace = memref::AllocOp::create(
        rewriter, loc, workspaceType, rewriter.getI64IntegerAttr(kAlignment));
    for (Buffer &buffer : buffers) {
      rewriter.setInsertionPoint(buffer.alloc);
      Value offset =
          arith::ConstantIndexOp::create(rewriter, loc, buffer.offset);
      rewriter.replaceOpWithNewOp<memref::ViewOp>(
          buffer.alloc, buffer.alloc.getType(), workspace, offset,
          ValueRange{});
      rewriter.eraseOp(buffer.dealloc);
    }
    rewriter.setInsertionPoint(ret);
    memref::DeallocOp::create(rewriter, loc, workspace);
  }
};

} // namespace

//===- LowerStridedCopies.cpp - strided memref.copy to linalg.copy --------===//
//
// memref.copy between memrefs that are not both contiguous lowers to a call
// to `memrefCopy` (MLIR's C runner utilities); a compiled model links only
// libc, libm and libquant_runtime, so such copies become linalg.copy (and
// then loops) instead.
//
//===----------------------------------------------------------------------===//

#include "quant/Conversion/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir {
#define GEN_PASS_DEF_LOWERSTRIDEDCOPIESPASS
#include "quant/Conversion/Passes.h.inc"
} // namespace mlir

using namespace mlir;

namespace {

bool isContiguous(Value value) {
  auto type = dyn_cast<MemRefType>(value.getType());
  return type && type.getLayout().isIdentity();
}

struct LowerStridedCopiesPass
    : impl::LowerStridedCopiesPassBase<LowerStridedCopiesPass> {
  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    getOperation().walk([&](memref::CopyOp copy) {
      if (isContiguous(copy.getSource()) && isContiguous(copy.getTarget()))
        return;
      rewriter.setInsertionPoint(copy);
      rewriter.replaceOpWithNewOp<linalg::CopyOp>(copy, copy.getSource(),
                                                  copy.getTarget());
    });
  }
};

} // namespace

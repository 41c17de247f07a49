//===- FuseMatmul.cpp ----------------------------------------------------------===//

#include "quant/Dialect/Qnt/Transforms/Passes.h"

#include "quant/Dialect/Qnt/IR/QntOps.h"

namespace mlir::qnt {
#define GEN_PASS_DEF_QNTFUSEMATMULPASS
#include "quant/Dialect/Qnt/Transforms/Passes.h.inc"
} // namespace mlir::qnt

using namespace mlir;
using namespace mlir::qnt;

namespace {
struct QntFuseMatmulPass : qnt::impl::QntFuseMatmulPassBase<QntFuseMatmulPass> {
  using Base::Base;
  void runOnOperation() override;
};
} // namespace

void QntFuseMatmulPass::runOnOperation() {}

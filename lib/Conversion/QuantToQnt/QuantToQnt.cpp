//===- QuantToQnt.cpp ----------------------------------------------------------===//

#include "quant/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "quant/Dialect/Qnt/IR/QntOps.h"

namespace mlir {
#define GEN_PASS_DEF_CONVERTQUANTTOQNTPASS
#include "quant/Conversion/Passes.h.inc"
} // namespace mlir

using namespace mlir;

namespace {
struct ConvertQuantToQntPass : impl::ConvertQuantToQntPassBase<ConvertQuantToQntPass> {
  void runOnOperation() override;
};
} // namespace

void ConvertQuantToQntPass::runOnOperation() {}

//===- CountEncoded.cpp - count encoded tensors and their bits ------------===//
//
// An example of a pass written outside quant against the qnt encoding
// interface: it needs nothing but EncodingAttrInterface to know how many
// bits any encoding stores, including encodings added after it was written.
//
//===----------------------------------------------------------------------===//

#include "ExamplePasses.h"

#include "quant/Dialect/Qnt/IR/QntDialect.h"
#include "quant/Dialect/Qnt/IR/QntOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"

namespace mlir::qnt::example {
#define GEN_PASS_DEF_QNTEXAMPLECOUNTENCODEDPASS
#include "ExamplePasses.h.inc"
} // namespace mlir::qnt::example

using namespace mlir;
using namespace mlir::qnt;

namespace {
struct QntExampleCountEncodedPass
    : public example::impl::QntExampleCountEncodedPassBase<
          QntExampleCountEncodedPass> {
  using Base::Base;
  void runOnOperation() override;
};
} // namespace

void QntExampleCountEncodedPass::runOnOperation() {
  ModuleOp module = getOperation();
  Builder builder(&getContext());
  int64_t encodedTensors = 0;
  uint64_t constantBits = 0;
  auto countValue = [&](Value value) {
    if (getEncoding(value.getType()))
      ++encodedTensors;
  };

  module.walk([&](Operation *op) {
    for (Region &region : op->getRegions())
      for (Block &block : region)
        llvm::for_each(block.getArguments(), countValue);
    llvm::for_each(op->getResults(), countValue);

    auto constant = dyn_cast<ConstantOp>(op);
    if (!constant)
      return;
    RankedTensorType type = constant.getType();
    EncodingAttrInterface encoding = getEncoding(type);
    uint64_t bits = encoding.getStorageBits(type.getShape());
    double bitsPerWeight = encoding.getBitsPerWeight(type.getShape());
    constantBits += bits;
    op->setAttr("qnt.example.bits", builder.getI64IntegerAttr(bits));
    op->setAttr("qnt.example.bits_per_weight",
                builder.getF64FloatAttr(bitsPerWeight));
    if (remarks)
      op->emitRemark() << "encoded constant " << type << ": " << bits
                       << " bits, " << bitsPerWeight << " bits per weight";
  });

  module->setAttr("qnt.example.encoded_tensors",
                  builder.getI64IntegerAttr(encodedTensors));
  module->setAttr("qnt.example.constant_bits",
                  builder.getI64IntegerAttr(constantBits));
}

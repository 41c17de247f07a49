//===- CompileSummary.cpp - what a compiled model holds -------------------===//

#include "quant/Compiler/Compiler.h"

#include "quant/Dialect/Qnt/IR/QntOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/BuiltinAttributeInterfaces.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace mlir::qnt;

/// Bytes of a tensor of `type` stored densely (sub-byte elements rounded up
/// per tensor).
static uint64_t getDenseBytes(ShapedType type) {
  uint64_t bits = uint64_t(type.getNumElements()) *
                  type.getElementType().getIntOrFloatBitWidth();
  return (bits + 7) / 8;
}

/// A constant counts as a weight when it is a non-splat tensor: splats are
/// fill values and scalars, not stored parameters.
static bool isWeight(ElementsAttr value) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  return type && type.getRank() > 0 && type.hasStaticShape() &&
         type.getElementType().isIntOrFloat() && !value.isSplat();
}

CompileSummary mlir::qnt::summarizeModule(ModuleOp module) {
  CompileSummary summary;
  module.walk([&](Operation *op) {
    if (op == module.getOperation())
      return;
    std::string dialect = op->getName().getDialectNamespace().str();
    ++summary.opsByDialect[dialect.empty() ? "(unregistered)" : dialect];
    if (isa<QntDialect>(op->getDialect()))
      ++summary.qntOps[op->getName().getStringRef().str()];

    if (auto constant = dyn_cast<qnt::ConstantOp>(op)) {
      ++summary.numEncodedWeights;
      auto type = cast<RankedTensorType>(constant.getType());
      summary.weightBytesFloat += getDenseBytes(type);
      for (Attribute part : constant.getParts())
        if (auto elements = dyn_cast<ElementsAttr>(part))
          if (auto partType = dyn_cast<ShapedType>(elements.getType()))
            summary.weightBytesEncoded += getDenseBytes(partType);
      return;
    }
    if (auto constant = dyn_cast<arith::ConstantOp>(op)) {
      auto value = dyn_cast<ElementsAttr>(constant.getValue());
      if (!value || !isWeight(value))
        return;
      ++summary.numPlainWeights;
      uint64_t bytes = getDenseBytes(cast<ShapedType>(value.getType()));
      summary.weightBytesFloat += bytes;
      summary.weightBytesEncoded += bytes;
      return;
    }
    if (isa<qnt::MatmulOp>(op))
      ++summary.kernels;
  });
  return summary;
}

void CompileSummary::print(llvm::raw_ostream &os) const {
  os << "  ops:";
  bool first = true;
  for (const auto &[dialect, count] : opsByDialect) {
    os << (first ? " " : ", ") << dialect << " " << count;
    first = false;
  }
  os << "\n  qnt ops:";
  if (qntOps.empty())
    os << " none";
  first = true;
  for (const auto &[name, count] : qntOps) {
    os << (first ? " " : ", ") << name << " " << count;
    first = false;
  }
  os << "\n  weights: " << numEncodedWeights << " encoded, " << numPlainWeights
     << " plain; " << weightBytesFloat << " bytes as float -> "
     << weightBytesEncoded << " bytes stored";
  if (weightBytesEncoded > 0)
    os << " ("
       << llvm::format("%.2f", double(weightBytesFloat) / weightBytesEncoded)
       << "x smaller)";
  os << "\n  kernels: " << kernels << " fused qnt.matmul\n";
}

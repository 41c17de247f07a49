//===- InitAll.h - register everything quant provides -----------*- C++ -*-===//
//
// The one place that registers quant's dialects, passes and pipelines; used by
// quant-opt, the plugin, the C API and the tests.
//
//===----------------------------------------------------------------------===//

#ifndef QUANT_INITALL_H
#define QUANT_INITALL_H

namespace mlir {
class DialectRegistry;
namespace qnt {

/// Registers the qnt dialect (and what it depends on).
void registerAllDialects(DialectRegistry &registry);
/// Registers quant's passes and pipelines with the global registry.
void registerAllPasses();

} // namespace qnt
} // namespace mlir

#endif // QUANT_INITALL_H

//===- OnnxOpTable.cpp - Op handlers by opset -----------------------------===//
//
// OpTable: each handler registered for the opsets of the definition it
// implements; lookup picks the newest registration at or below the model's
// opset.
//
//===----------------------------------------------------------------------===//

#include "OnnxImporterImpl.h"

using namespace mlir;
using namespace mlir::qnt;
using namespace mlir::qnt::onnx_import;

void OpTable::on(StringRef op, int64_t since, Handler handler) {
  auto &versions = ops[op];
  auto it =
      llvm::lower_bound(versions, since, [](const auto &entry, int64_t v) {
        return entry.first < v;
      });
  assert((it == versions.end() || it->first != since) &&
         "op registered twice at one version");
  versions.insert(it, {since, std::move(handler)});
}

void OpTable::on(
    ArrayRef<StringRef> names, int64_t since,
    const std::function<LogicalResult(Importer &, StringRef)> &handler) {
  for (StringRef name : names)
    on(name, since,
       [handler, name](Importer &imp) { return handler(imp, name); });
}

const OpTable::Handler *OpTable::lookup(StringRef op, int64_t opset) const {
  auto it = ops.find(op);
  if (it == ops.end())
    return nullptr;
  const Handler *found = nullptr;
  for (const auto &[since, handler] : it->second)
    if (since <= opset)
      found = &handler;
  return found;
}

std::string OpTable::describeVersions(StringRef op) const {
  auto it = ops.find(op);
  if (it == ops.end())
    return "";
  return "opset " + std::to_string(it->second.front().first) + "+";
}

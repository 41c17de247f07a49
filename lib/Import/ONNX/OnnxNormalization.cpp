//===- OnnxNormalization.cpp - Normalization ops
//----------------------------===//
//
// LayerNormalization and BatchNormalization.
//
//===----------------------------------------------------------------------===//

#include "OnnxImporterImpl.h"

#include "quant/Dialect/Qnt/IR/QntAttrs.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/AffineMap.h"
#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/InterleavedRange.h"

#include <cmath>
#include <numeric>

using namespace mlir;
using namespace mlir::qnt;
using namespace mlir::qnt::onnx_import;

static LogicalResult layerNormOp(Importer &imp) {
  if (failed(imp.checkAttrs({"axis", "epsilon", "stash_type"})))
    return failure();
  FailureOr<Value> x = imp.input(0), scale = imp.input(1);
  if (failed(x) || failed(scale))
    return failure();
  OpBuilder &b = imp.b;
  Location loc = imp.loc;
  auto type = cast<RankedTensorType>(x->getType());
  int64_t rank = type.getRank();
  int64_t axis = normAxis(imp.attrInt("axis", -1), rank);
  if (axis < 0 || axis >= rank)
    return imp.nodeError() << "axis out of range";
  SmallVector<int64_t> axes;
  for (int64_t i = axis; i < rank; ++i)
    axes.push_back(i);
  double eps = imp.attrFloat("epsilon", 1e-5f);
  Value mean = reduceKeep(b, loc, *x, axes, ReduceKind::Mean);
  Value d = tosa::SubOp::create(b, loc, type, *x, mean);
  Value sq = mulOp(b, loc, type, d, d);
  Value var = reduceKeep(b, loc, sq, axes, ReduceKind::Mean);
  auto varType = cast<RankedTensorType>(var.getType());
  Value varEps =
      tosa::AddOp::create(b, loc, varType, var, scalarLike(b, loc, var, eps));
  Value inv = tosa::RsqrtOp::create(b, loc, varType, varEps);
  Value y = mulOp(b, loc, type, d, inv);
  y = mulOp(b, loc, type, y, toRank(b, loc, *scale, rank));
  if (imp.hasInput(2)) {
    FailureOr<Value> bias = imp.input(2);
    if (failed(bias))
      return failure();
    y = tosa::AddOp::create(b, loc, type, y, toRank(b, loc, *bias, rank));
  }
  // The optional Mean and InvStdDev outputs keep the normalized dims as 1s.
  if (failed(imp.setOutput(1, mean)) || failed(imp.setOutput(2, inv)))
    return failure();
  return imp.setOutput(0, y);
}

static LogicalResult batchNormOp(Importer &imp) {
  if (failed(
          imp.checkAttrs({"epsilon", "momentum", "training_mode", "spatial"})))
    return failure();
  bool training = imp.attrInt("training_mode", 0);
  if (!training && imp.numOutputs() > 1)
    return imp.nodeError() << "running mean / var outputs need "
                              "training_mode = 1";
  SmallVector<Value> in;
  for (unsigned i = 0; i < 5; ++i) {
    FailureOr<Value> v = imp.input(i);
    if (failed(v))
      return failure();
    in.push_back(*v);
  }
  OpBuilder &b = imp.b;
  Location loc = imp.loc;
  auto type = cast<RankedTensorType>(in[0].getType());
  int64_t rank = type.getRank();
  if (rank < 2)
    return imp.nodeError() << "input must have rank >= 2";
  SmallVector<int64_t> pshape(rank, 1);
  pshape[1] = type.getDimSize(1);
  for (unsigned i = 1; i < 5; ++i)
    in[i] = reshapeTo(b, loc, in[i], pshape);
  auto ptype = tensorType(pshape, type.getElementType());
  double eps = imp.attrFloat("epsilon", 1e-5f);
  Value mean = in[3], var = in[4];
  if (training) {
    // Normalize with the batch statistics (biased variance) and blend
    // them into the running ones: running = running * momentum + batch *
    // (1 - momentum).
    SmallVector<int64_t> axes = {0};
    for (int64_t i = 2; i < rank; ++i)
      axes.push_back(i);
    mean = reduceKeep(b, loc, in[0], axes, ReduceKind::Mean);
    Value centered = tosa::SubOp::create(b, loc, type, in[0], mean);
    var = reduceKeep(b, loc, mulOp(b, loc, type, centered, centered), axes,
                     ReduceKind::Mean);
    double momentum = imp.attrFloat("momentum", 0.9f);
    auto blend = [&](Value running, Value batch) {
      Value r =
          mulOp(b, loc, ptype, running, scalarLike(b, loc, running, momentum));
      Value c =
          mulOp(b, loc, ptype, batch, scalarLike(b, loc, batch, 1 - momentum));
      return reshapeTo(b, loc, tosa::AddOp::create(b, loc, ptype, r, c),
                       {pshape[1]});
    };
    if (imp.hasOutput(1) && failed(imp.setOutput(1, blend(in[3], mean))))
      return failure();
    if (imp.hasOutput(2) && failed(imp.setOutput(2, blend(in[4], var))))
      return failure();
  }
  Value varEps =
      tosa::AddOp::create(b, loc, ptype, var, scalarLike(b, loc, var, eps));
  Value inv = tosa::RsqrtOp::create(b, loc, ptype, varEps);
  Value factor = mulOp(b, loc, ptype, in[1], inv);
  Value d = tosa::SubOp::create(b, loc, type, in[0], mean);
  Value y = mulOp(b, loc, type, d, factor);
  y = tosa::AddOp::create(b, loc, type, y, in[2]);
  return imp.setOutput(0, y);
}

//===----------------------------------------------------------------------===//
// Registration
//===----------------------------------------------------------------------===//

void onnx_import::registerNormalizationOps(OpTable &table) {
  table.on("LayerNormalization", 17, layerNormOp);
  table.on("BatchNormalization", 7, batchNormOp);
}

//===- OnnxMatmul.cpp - MatMul and Gemm
//-------------------------------------===//
//
// Float MatMul / Gemm as tosa.matmul; a DequantizeLinear'd weight becomes a
// qnt.matmul instead (buildQuantizedMatmul).
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

//===----------------------------------------------------------------------===//
// MatMul / Gemm
//===----------------------------------------------------------------------===//

/// Float matmul of [..., M, K] by [..., K, N] with ONNX broadcasting.
static FailureOr<Value> floatMatmul(Importer &imp, Value a, Value c) {
  OpBuilder &b = imp.b;
  Location loc = imp.loc;
  SmallVector<int64_t> as(shapeOf(a)), cs(shapeOf(c));
  bool aVector = as.size() == 1, cVector = cs.size() == 1;
  if (aVector)
    as.insert(as.begin(), 1);
  if (cVector)
    cs.push_back(1);
  int64_t m = as[as.size() - 2], k = as.back(), n = cs.back();
  if (cs[cs.size() - 2] != k)
    return imp.nodeError() << "reduction sizes " << k << " and "
                           << cs[cs.size() - 2] << " differ";
  ArrayRef<int64_t> aBatch = ArrayRef<int64_t>(as).drop_back(2);
  ArrayRef<int64_t> cBatch = ArrayRef<int64_t>(cs).drop_back(2);
  SmallVector<int64_t> batch;
  Value a3, c3;
  Type elementType = elementTypeOf(a);
  if (cBatch.empty() || product(cBatch) == 1) {
    // Fold the lhs batch into M.
    batch.assign(aBatch.begin(), aBatch.end());
    if (batch.empty() && !cBatch.empty())
      batch.assign(cBatch.begin(), cBatch.end());
    a3 = reshapeTo(b, loc, a, {1, product(aBatch) * m, k});
    c3 = reshapeTo(b, loc, c, {1, k, n});
    Value out = tosa::MatMulOp::create(
        b, loc, tensorType({1, product(aBatch) * m, n}, elementType), a3, c3,
        zeroPoint(b, loc, elementType), zeroPoint(b, loc, elementType));
    SmallVector<int64_t> outShape(batch);
    if (!aVector)
      outShape.push_back(m);
    if (!cVector)
      outShape.push_back(n);
    return reshapeTo(b, loc, out, outShape);
  }
  FailureOr<SmallVector<int64_t>> bshape = broadcastShapes(imp, aBatch, cBatch);
  if (failed(bshape))
    return failure();
  int64_t batchSize = product(*bshape);
  if (product(aBatch) != batchSize || product(cBatch) != batchSize ||
      aBatch.size() != cBatch.size())
    return imp.nodeError() << "broadcasting matmul batch dimensions is not "
                              "supported";
  a3 = reshapeTo(b, loc, a, {batchSize, m, k});
  c3 = reshapeTo(b, loc, c, {batchSize, k, n});
  Value out = tosa::MatMulOp::create(
      b, loc, tensorType({batchSize, m, n}, elementType), a3, c3,
      zeroPoint(b, loc, elementType), zeroPoint(b, loc, elementType));
  SmallVector<int64_t> outShape(*bshape);
  if (!aVector)
    outShape.push_back(m);
  if (!cVector)
    outShape.push_back(n);
  return reshapeTo(b, loc, out, outShape);
}

static LogicalResult matmulOp(Importer &imp) {
  if (failed(imp.checkAttrs({})))
    return failure();
  FailureOr<Value> a = imp.input(0);
  if (failed(a))
    return failure();
  ValueInfo *rhs = imp.inputInfo(1);
  if (!rhs)
    return imp.nodeError() << "missing input 1";
  if (!isa<FloatType>(elementTypeOf(*a)))
    return imp.nodeError() << "integer MatMul is not supported";
  if (rhs->qweight && !rhs->value) {
    FailureOr<Value> q = buildQuantizedMatmul(imp, *a, *rhs, false, Value());
    if (failed(q))
      return failure();
    if (*q)
      return imp.setOutput(0, *q);
  }
  FailureOr<Value> c = imp.input(1);
  if (failed(c))
    return failure();
  FailureOr<Value> result = floatMatmul(imp, *a, *c);
  if (failed(result))
    return failure();
  return imp.setOutput(0, *result);
}

static LogicalResult gemmOp(Importer &imp) {
  if (failed(imp.checkAttrs({"alpha", "beta", "transA", "transB"})))
    return failure();
  OpBuilder &b = imp.b;
  Location loc = imp.loc;
  double alpha = imp.attrFloat("alpha", 1.0f),
         beta = imp.attrFloat("beta", 1.0f);
  bool transA = imp.attrInt("transA", 0), transB = imp.attrInt("transB", 0);
  FailureOr<Value> a = imp.input(0);
  if (failed(a))
    return failure();
  Value av = *a;
  if (shapeOf(av).size() != 2)
    return imp.nodeError() << "A must be 2-D";
  if (transA)
    av = transposeBy(b, loc, av, {1, 0});
  Value bias;
  if (imp.hasInput(2)) {
    FailureOr<Value> cv = imp.input(2);
    if (failed(cv))
      return failure();
    bias = *cv;
  }
  ValueInfo *rhs = imp.inputInfo(1);
  if (!rhs)
    return imp.nodeError() << "missing input 1";
  // Quantized weight: qnt.matmul with the bias fused when it is [N].
  if (rhs->qweight && !rhs->value && alpha == 1.0 && (!bias || beta == 1.0)) {
    int64_t n = rhs->qweight->shape[transB ? 0 : 1];
    bool fuseBias =
        !bias || (shapeOf(bias).size() == 1 && shapeOf(bias)[0] == n);
    FailureOr<Value> q =
        buildQuantizedMatmul(imp, av, *rhs, transB, fuseBias ? bias : Value());
    if (failed(q))
      return failure();
    if (*q) {
      Value result = *q;
      if (bias && !fuseBias) {
        FailureOr<SmallVector<int64_t>> shape =
            broadcastShapes(imp, shapeOf(result), shapeOf(bias));
        if (failed(shape))
          return failure();
        result = tosa::AddOp::create(b, loc,
                                     tensorType(*shape, elementTypeOf(result)),
                                     result, toRank(b, loc, bias, 2));
      }
      return imp.setOutput(0, result);
    }
  }
  FailureOr<Value> bv = imp.input(1);
  if (failed(bv))
    return failure();
  Value w = *bv;
  if (shapeOf(w).size() != 2)
    return imp.nodeError() << "B must be 2-D";
  if (transB)
    w = transposeBy(b, loc, w, {1, 0});
  FailureOr<Value> result = floatMatmul(imp, av, w);
  if (failed(result))
    return failure();
  Value r = *result;
  auto type = cast<RankedTensorType>(r.getType());
  if (alpha != 1.0)
    r = mulOp(b, loc, type, r, scalarLike(b, loc, r, alpha));
  if (bias && beta != 0.0) {
    Value c = toRank(b, loc, bias, 2);
    if (beta != 1.0)
      c = mulOp(b, loc, cast<RankedTensorType>(c.getType()), c,
                scalarLike(b, loc, c, beta));
    r = tosa::AddOp::create(b, loc, type, r, c);
  }
  return imp.setOutput(0, r);
}

//===----------------------------------------------------------------------===//
// Registration
//===----------------------------------------------------------------------===//

void onnx_import::registerMatmulOps(OpTable &table) {
  table.on("MatMul", 1, matmulOp);
  table.on("Gemm", 7, gemmOp);
}

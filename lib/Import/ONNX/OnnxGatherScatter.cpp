//===- OnnxGatherScatter.cpp - Gathers, scatters, OneHot, MaxUnpool -------===//
//
// GatherElements, GatherND, Scatter / ScatterElements, ScatterND, OneHot and
// MaxUnpool. Gathers are linalg.generic maps that tensor.extract from the
// data; scatters are scf.for loops on tensors (updates apply in order, as
// ONNX says). Every index read from a tensor goes through boundedIndex, so
// no input makes the generated code leave its buffers.
//
//===----------------------------------------------------------------------===//

#include "OnnxImporterImpl.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "llvm/Support/InterleavedRange.h"

#include <cmath>
#include <cstring>

using namespace mlir;
using namespace mlir::qnt;
using namespace mlir::qnt::onnx_import;
//===----------------------------------------------------------------------===//
// Gathers
//===----------------------------------------------------------------------===//

static LogicalResult gatherElementsOp(Importer &imp) {
  if (failed(imp.checkAttrs({"axis"})))
    return failure();
  FailureOr<Value> data = imp.input(0), indices = imp.input(1);
  if (failed(data) || failed(indices))
    return failure();
  ArrayRef<int64_t> dataShape = shapeOf(*data), idxShape = shapeOf(*indices);
  int64_t rank = dataShape.size();
  if (int64_t(idxShape.size()) != rank || rank == 0)
    return imp.nodeError() << "data and indices must have the same rank >= 1";
  int64_t axis = normAxis(imp.attrInt("axis", 0), rank);
  if (axis < 0 || axis >= rank)
    return imp.nodeError() << "axis out of range";
  for (int64_t d = 0; d < rank; ++d)
    if (d != axis && idxShape[d] > dataShape[d])
      return imp.nodeError() << "indices dim " << d << " (" << idxShape[d]
                             << ") exceeds the data's (" << dataShape[d] << ")";
  Value dataValue = *data;
  Value result = buildGeneric(
      imp.b, imp.loc, {*indices}, tensorType(idxShape, elementTypeOf(*data)),
      [&](OpBuilder &nb, Location l, ValueRange args) {
        SmallVector<Value> coords;
        for (int64_t d = 0; d < rank; ++d)
          coords.push_back(d == axis
                               ? boundedIndex(nb, l, args[0], dataShape[d])
                               : linalg::IndexOp::create(nb, l, d).getResult());
        return tensor::ExtractOp::create(nb, l, dataValue, coords).getResult();
      });
  return imp.setOutput(0, result, imp.inputInfo(0)->onnxType);
}

static LogicalResult gatherNDOp(Importer &imp) {
  if (failed(imp.checkAttrs({"batch_dims"})))
    return failure();
  FailureOr<Value> data = imp.input(0), indices = imp.input(1);
  if (failed(data) || failed(indices))
    return failure();
  ArrayRef<int64_t> dataShape = shapeOf(*data), idxShape = shapeOf(*indices);
  int64_t r = dataShape.size(), q = idxShape.size();
  int64_t batchDims = imp.attrInt("batch_dims", 0);
  if (q < 1 || r < 1)
    return imp.nodeError() << "data and indices need rank >= 1";
  int64_t k = idxShape.back();
  if (batchDims < 0 || batchDims >= std::min(q, r) || k < 1 ||
      batchDims + k > r)
    return imp.nodeError() << "bad batch_dims / index depth";
  for (int64_t d = 0; d < batchDims; ++d)
    if (idxShape[d] != dataShape[d])
      return imp.nodeError() << "batch dims of data and indices differ";
  SmallVector<int64_t> outShape(idxShape.drop_back());
  outShape.append(dataShape.begin() + batchDims + k, dataShape.end());
  Value dataValue = *data, idxValue = *indices;
  Value result = generateTensor(
      imp.b, imp.loc, tensorType(outShape, elementTypeOf(*data)),
      [&](OpBuilder &nb, Location l, ArrayRef<Value> out) {
        SmallVector<Value> coords(out.take_front(batchDims));
        SmallVector<Value> idxCoords(out.take_front(q - 1));
        idxCoords.push_back(Value());
        for (int64_t j = 0; j < k; ++j) {
          idxCoords.back() = indexConst(nb, l, j);
          Value v = tensor::ExtractOp::create(nb, l, idxValue, idxCoords);
          coords.push_back(boundedIndex(nb, l, v, dataShape[batchDims + j]));
        }
        for (Value c : out.drop_front(q - 1))
          coords.push_back(c);
        return tensor::ExtractOp::create(nb, l, dataValue, coords).getResult();
      });
  return imp.setOutput(0, result, imp.inputInfo(0)->onnxType);
}

//===----------------------------------------------------------------------===//
// Scatters
//===----------------------------------------------------------------------===//

enum class ScatterReduction { None, Add, Mul, Max, Min };

static FailureOr<ScatterReduction> scatterReduction(Importer &imp) {
  std::string r = imp.attrString("reduction", "none");
  if (r == "none")
    return ScatterReduction::None;
  if (r == "add")
    return ScatterReduction::Add;
  if (r == "mul")
    return ScatterReduction::Mul;
  if (r == "max")
    return ScatterReduction::Max;
  if (r == "min")
    return ScatterReduction::Min;
  return imp.nodeError() << "unsupported reduction '" << r << "'";
}

static Value combine(OpBuilder &b, Location l, ScatterReduction kind, Value old,
                     Value v) {
  bool isFloat = isa<FloatType>(v.getType());
  switch (kind) {
  case ScatterReduction::None:
    return v;
  case ScatterReduction::Add:
    return isFloat ? arith::AddFOp::create(b, l, old, v).getResult()
                   : arith::AddIOp::create(b, l, old, v).getResult();
  case ScatterReduction::Mul:
    return isFloat ? arith::MulFOp::create(b, l, old, v).getResult()
                   : arith::MulIOp::create(b, l, old, v).getResult();
  case ScatterReduction::Max:
    return isFloat ? arith::MaximumFOp::create(b, l, old, v).getResult()
                   : arith::MaxSIOp::create(b, l, old, v).getResult();
  case ScatterReduction::Min:
    return isFloat ? arith::MinimumFOp::create(b, l, old, v).getResult()
                   : arith::MinSIOp::create(b, l, old, v).getResult();
  }
  llvm_unreachable("unknown reduction");
}

/// for i in [0, count): dest = step(i, dest), starting from `init`.
static Value
tensorLoop(OpBuilder &b, Location loc, int64_t count, Value init,
           function_ref<Value(OpBuilder &, Location, Value, Value)> step) {
  auto loop = scf::ForOp::create(
      b, loc, indexConst(b, loc, 0), indexConst(b, loc, count),
      indexConst(b, loc, 1), ValueRange{init},
      [&](OpBuilder &nb, Location l, Value iv, ValueRange iterArgs) {
        scf::YieldOp::create(nb, l, step(nb, l, iv, iterArgs[0]));
      });
  return loop.getResult(0);
}

static LogicalResult scatterElementsOp(Importer &imp) {
  if (failed(imp.checkAttrs({"axis", "reduction"})))
    return failure();
  FailureOr<ScatterReduction> kind = scatterReduction(imp);
  FailureOr<Value> data = imp.input(0), indices = imp.input(1),
                   updates = imp.input(2);
  if (failed(kind) || failed(data) || failed(indices) || failed(updates))
    return failure();
  ArrayRef<int64_t> dataShape = shapeOf(*data), idxShape = shapeOf(*indices);
  int64_t rank = dataShape.size();
  if (int64_t(idxShape.size()) != rank || shapeOf(*updates) != idxShape)
    return imp.nodeError() << "indices and updates must have the data's rank "
                              "and one shape";
  int64_t axis = normAxis(imp.attrInt("axis", 0), rank);
  if (axis < 0 || axis >= rank)
    return imp.nodeError() << "axis out of range";
  for (int64_t d = 0; d < rank; ++d)
    if (d != axis && idxShape[d] > dataShape[d])
      return imp.nodeError() << "indices dim " << d << " exceeds the data's";
  Value idxValue = *indices, updValue = *updates;
  Value result = tensorLoop(
      imp.b, imp.loc, product(idxShape), *data,
      [&](OpBuilder &nb, Location l, Value iv, Value dest) {
        SmallVector<Value> coords = delinearize(nb, l, iv, idxShape);
        Value v = tensor::ExtractOp::create(nb, l, updValue, coords);
        Value i = tensor::ExtractOp::create(nb, l, idxValue, coords);
        SmallVector<Value> target(coords);
        target[axis] = boundedIndex(nb, l, i, dataShape[axis]);
        if (*kind != ScatterReduction::None)
          v = combine(nb, l, *kind,
                      tensor::ExtractOp::create(nb, l, dest, target), v);
        return tensor::InsertOp::create(nb, l, v, dest, target).getResult();
      });
  return imp.setOutput(0, result, imp.inputInfo(0)->onnxType);
}

static LogicalResult scatterNDOp(Importer &imp) {
  if (failed(imp.checkAttrs({"reduction"})))
    return failure();
  FailureOr<ScatterReduction> kind = scatterReduction(imp);
  FailureOr<Value> data = imp.input(0), indices = imp.input(1),
                   updates = imp.input(2);
  if (failed(kind) || failed(data) || failed(indices) || failed(updates))
    return failure();
  ArrayRef<int64_t> dataShape = shapeOf(*data), idxShape = shapeOf(*indices),
                    updShape = shapeOf(*updates);
  int64_t q = idxShape.size();
  if (q < 1)
    return imp.nodeError() << "indices need rank >= 1";
  int64_t k = idxShape.back();
  SmallVector<int64_t> expected(idxShape.drop_back());
  if (k > int64_t(dataShape.size()))
    return imp.nodeError() << "index depth exceeds the data's rank";
  expected.append(dataShape.begin() + k, dataShape.end());
  if (updShape != ArrayRef<int64_t>(expected))
    return imp.nodeError() << "updates have shape ["
                           << llvm::interleaved(updShape, "x")
                           << "], expected ["
                           << llvm::interleaved(expected, "x") << "]";
  Value idxValue = *indices, updValue = *updates;
  Value result = tensorLoop(
      imp.b, imp.loc, product(updShape), *data,
      [&](OpBuilder &nb, Location l, Value iv, Value dest) {
        SmallVector<Value> coords = delinearize(nb, l, iv, updShape);
        Value v = tensor::ExtractOp::create(nb, l, updValue, coords);
        SmallVector<Value> idxCoords(ArrayRef(coords).take_front(q - 1));
        idxCoords.push_back(Value());
        SmallVector<Value> target;
        for (int64_t j = 0; j < k; ++j) {
          idxCoords.back() = indexConst(nb, l, j);
          Value i = tensor::ExtractOp::create(nb, l, idxValue, idxCoords);
          target.push_back(boundedIndex(nb, l, i, dataShape[j]));
        }
        for (Value c : ArrayRef(coords).drop_front(q - 1))
          target.push_back(c);
        if (*kind != ScatterReduction::None)
          v = combine(nb, l, *kind,
                      tensor::ExtractOp::create(nb, l, dest, target), v);
        return tensor::InsertOp::create(nb, l, v, dest, target).getResult();
      });
  return imp.setOutput(0, result, imp.inputInfo(0)->onnxType);
}

//===----------------------------------------------------------------------===//
// OneHot
//===----------------------------------------------------------------------===//

static LogicalResult oneHotOp(Importer &imp) {
  if (failed(imp.checkAttrs({"axis"})))
    return failure();
  HostTensor *depthTensor = imp.constInput(1);
  if (!depthTensor || depthTensor->getNumElements() != 1)
    return imp.nodeError() << "depth must be a constant scalar";
  int64_t depth = depthTensor->isFloat() ? int64_t(depthTensor->floats[0])
                                         : depthTensor->ints[0];
  if (depth <= 0)
    return imp.nodeError() << "depth must be positive, got " << depth;
  FailureOr<Value> indices = imp.input(0), values = imp.input(2);
  if (failed(indices) || failed(values))
    return failure();
  if (product(shapeOf(*values)) != 2)
    return imp.nodeError() << "values must hold [off, on]";
  ArrayRef<int64_t> idxShape = shapeOf(*indices);
  int64_t outRank = idxShape.size() + 1;
  int64_t axis = normAxis(imp.attrInt("axis", -1), outRank);
  if (axis < 0 || axis >= outRank)
    return imp.nodeError() << "axis out of range";
  SmallVector<int64_t> outShape(idxShape);
  outShape.insert(outShape.begin() + axis, depth);
  OpBuilder &b = imp.b;
  Location loc = imp.loc;
  Value flatValues = reshapeTo(b, loc, *values, {2});
  Value off = tensor::ExtractOp::create(b, loc, flatValues,
                                        ValueRange{indexConst(b, loc, 0)});
  Value on = tensor::ExtractOp::create(b, loc, flatValues,
                                       ValueRange{indexConst(b, loc, 1)});
  Value idxValue = *indices;
  bool floatIndices = isa<FloatType>(elementTypeOf(idxValue));
  Value result = generateTensor(
      b, loc, tensorType(outShape, elementTypeOf(*values)),
      [&](OpBuilder &nb, Location l, ArrayRef<Value> c) {
        SmallVector<Value> idxCoords(c.begin(), c.end());
        idxCoords.erase(idxCoords.begin() + axis);
        Value i = tensor::ExtractOp::create(nb, l, idxValue, idxCoords);
        Type i64 = nb.getI64Type();
        if (floatIndices)
          i = arith::FPToSIOp::create(nb, l, i64, i);
        else if (i.getType() != i64)
          i = arith::ExtSIOp::create(nb, l, i64, i);
        Value d = arith::ConstantOp::create(nb, l, nb.getI64IntegerAttr(depth));
        Value zero = arith::ConstantOp::create(nb, l, nb.getI64IntegerAttr(0));
        Value neg =
            arith::CmpIOp::create(nb, l, arith::CmpIPredicate::slt, i, zero);
        i = arith::SelectOp::create(nb, l, neg,
                                    arith::AddIOp::create(nb, l, i, d), i);
        Value j = arith::IndexCastOp::create(nb, l, i64, c[axis]);
        Value hit =
            arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq, i, j);
        return arith::SelectOp::create(nb, l, hit, on, off).getResult();
      });
  return imp.setOutput(0, result, imp.inputInfo(2)->onnxType);
}

//===----------------------------------------------------------------------===//
// MaxUnpool
//===----------------------------------------------------------------------===//

/// MaxUnpool: zeros with each X value written at its MaxPool index (a flat
/// index into the whole output, as MaxPool's Indices output counts).
static LogicalResult maxUnpoolOp(Importer &imp) {
  if (failed(imp.checkAttrs({"kernel_shape", "pads", "strides"})))
    return failure();
  FailureOr<Value> x = imp.input(0), indices = imp.input(1);
  if (failed(x) || failed(indices))
    return failure();
  ArrayRef<int64_t> xs = shapeOf(*x);
  int64_t d = int64_t(xs.size()) - 2;
  if (d < 1 || shapeOf(*indices) != xs)
    return imp.nodeError() << "X and I must be [N, C, spatial...] of one "
                              "shape";
  std::optional<std::vector<int64_t>> kernel = imp.attrInts("kernel_shape");
  if (!kernel || int64_t(kernel->size()) != d)
    return imp.nodeError() << "kernel_shape must have " << d << " entries";
  std::vector<int64_t> strides =
      imp.attrInts("strides").value_or(std::vector<int64_t>(d, 1));
  std::vector<int64_t> pads =
      imp.attrInts("pads").value_or(std::vector<int64_t>(2 * d, 0));
  if (int64_t(strides.size()) != d || int64_t(pads.size()) != 2 * d)
    return imp.nodeError() << "strides / pads do not match the kernel";
  // Indices count positions in the inferred output; an output_shape that
  // differs (bigger, from MaxPool's ceil mode) keeps their coordinates.
  SmallVector<int64_t> inferred = {xs[0], xs[1]};
  for (int64_t i = 0; i < d; ++i)
    inferred.push_back((xs[2 + i] - 1) * strides[i] - pads[i] - pads[i + d] +
                       (*kernel)[i]);
  SmallVector<int64_t> outShape = {xs[0], xs[1]};
  if (imp.hasInput(2)) {
    FailureOr<std::vector<int64_t>> shape = imp.constInts(2, "output_shape");
    if (failed(shape))
      return failure();
    if (int64_t(shape->size()) != d + 2)
      return imp.nodeError() << "output_shape must have rank " << d + 2;
    outShape.assign(shape->begin(), shape->end());
  } else {
    outShape = inferred;
  }
  for (auto [s, i] : llvm::zip(outShape, inferred))
    if (s <= 0 || i <= 0)
      return imp.nodeError() << "the output would be empty";
  OpBuilder &b = imp.b;
  Location loc = imp.loc;
  Type type = elementTypeOf(*x);
  int64_t total = product(outShape);
  Value flat = splatConst(b, loc, {total}, type, 0.0);
  Value xv = *x, iv = *indices;
  Value scattered = tensorLoop(
      b, loc, product(xs), flat,
      [&](OpBuilder &nb, Location l, Value i, Value dest) {
        SmallVector<Value> coords = delinearize(nb, l, i, xs);
        Value v = tensor::ExtractOp::create(nb, l, xv, coords);
        Value index =
            boundedIndex(nb, l, tensor::ExtractOp::create(nb, l, iv, coords),
                         product(inferred));
        // The inferred coordinates, clamped into the output, then flat.
        SmallVector<Value> at = delinearize(nb, l, index, inferred);
        Value target = indexConst(nb, l, 0);
        for (auto [k, c] : llvm::enumerate(at)) {
          Value bounded = arith::MinUIOp::create(
              nb, l, c, indexConst(nb, l, outShape[k] - 1));
          target = arith::AddIOp::create(
              nb, l,
              arith::MulIOp::create(nb, l, target,
                                    indexConst(nb, l, outShape[k])),
              bounded);
        }
        return tensor::InsertOp::create(nb, l, v, dest, ValueRange{target})
            .getResult();
      });
  return imp.setOutput(0, reshapeTo(b, loc, scattered, outShape),
                       imp.inputInfo(0)->onnxType);
}

//===----------------------------------------------------------------------===//
// Registration
//===----------------------------------------------------------------------===//

void onnx_import::registerGatherScatterOps(OpTable &table) {
  table.on("GatherElements", 11, gatherElementsOp);
  table.on("GatherND", 11, gatherNDOp);
  table.on("Scatter", 9, scatterElementsOp);
  table.on("ScatterElements", 11, scatterElementsOp);
  table.on("ScatterND", 11, scatterNDOp);
  table.on("OneHot", 9, oneHotOp);
  table.on("MaxUnpool", 9, maxUnpoolOp);
}

//===- OnnxLogic.cpp - Comparison, logic and bitwise ops ------------------===//
//
// Equal / Greater(OrEqual) / Less(OrEqual), Not / And / Or / Xor, Where,
// IsNaN / IsInf, BitShift and the Bitwise* ops: broadcasting
// linalg.generic maps with arith bodies. Unsigned ONNX types compare and
// shift unsigned. All-constant integer operands (shape subgraphs such as
// PyTorch's Where(Equal(shape, -1), ...)) are folded on the host.
//
//===----------------------------------------------------------------------===//

#include "OnnxImporterImpl.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "llvm/ADT/APFloat.h"

using namespace mlir;
using namespace mlir::qnt;
using namespace mlir::qnt::onnx_import;

/// The element type shared by all inputs, or a diagnostic.
static FailureOr<Type> commonElementType(Importer &imp,
                                         ArrayRef<Value> values) {
  Type type = elementTypeOf(values.front());
  for (Value v : values.drop_front())
    if (elementTypeOf(v) != type)
      return imp.nodeError() << "operand element types differ ("
                             << elementTypeOf(values.front()) << " and "
                             << elementTypeOf(v) << ")";
  return type;
}

//===----------------------------------------------------------------------===//
// Comparisons
//===----------------------------------------------------------------------===//

enum class Compare { Eq, Gt, Ge, Lt, Le };

static bool compareInts(Compare kind, int64_t a, int64_t c) {
  switch (kind) {
  case Compare::Eq:
    return a == c;
  case Compare::Gt:
    return a > c;
  case Compare::Ge:
    return a >= c;
  case Compare::Lt:
    return a < c;
  case Compare::Le:
    return a <= c;
  }
  llvm_unreachable("unknown comparison");
}

static LogicalResult compareOp(Importer &imp, Compare kind) {
  if (failed(imp.checkAttrs({})))
    return failure();
  if (imp.numInputs() != 2)
    return imp.nodeError() << "expected 2 inputs";
  if (allConstInts(imp))
    return foldIntElementwise(imp, kBool, [&](ArrayRef<int64_t> v) {
      return int64_t(compareInts(kind, v[0], v[1]));
    });
  FailureOr<SmallVector<Value>> in = allInputs(imp);
  if (failed(in))
    return failure();
  FailureOr<Type> type = commonElementType(imp, *in);
  if (failed(type))
    return failure();
  bool isFloat = isa<FloatType>(*type);
  bool isUnsigned = isOnnxUnsigned(imp.inputInfo(0)->onnxType);
  FailureOr<Value> result =
      broadcastMap(imp, *in, imp.b.getI1Type(),
                   [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
                     if (isFloat) {
                       arith::CmpFPredicate p = arith::CmpFPredicate::OEQ;
                       if (kind == Compare::Gt)
                         p = arith::CmpFPredicate::OGT;
                       else if (kind == Compare::Ge)
                         p = arith::CmpFPredicate::OGE;
                       else if (kind == Compare::Lt)
                         p = arith::CmpFPredicate::OLT;
                       else if (kind == Compare::Le)
                         p = arith::CmpFPredicate::OLE;
                       return arith::CmpFOp::create(nb, l, p, args[0], args[1]);
                     }
                     arith::CmpIPredicate p = arith::CmpIPredicate::eq;
                     if (kind == Compare::Gt)
                       p = isUnsigned ? arith::CmpIPredicate::ugt
                                      : arith::CmpIPredicate::sgt;
                     else if (kind == Compare::Ge)
                       p = isUnsigned ? arith::CmpIPredicate::uge
                                      : arith::CmpIPredicate::sge;
                     else if (kind == Compare::Lt)
                       p = isUnsigned ? arith::CmpIPredicate::ult
                                      : arith::CmpIPredicate::slt;
                     else if (kind == Compare::Le)
                       p = isUnsigned ? arith::CmpIPredicate::ule
                                      : arith::CmpIPredicate::sle;
                     return arith::CmpIOp::create(nb, l, p, args[0], args[1]);
                   });
  if (failed(result))
    return failure();
  return imp.setOutput(0, *result, kBool);
}

//===----------------------------------------------------------------------===//
// Logic and bitwise
//===----------------------------------------------------------------------===//

enum class Bitwise { And, Or, Xor };

/// And / Or / Xor on bool, BitwiseAnd / Or / Xor on integers.
static LogicalResult bitwiseOp(Importer &imp, Bitwise kind, bool boolOnly) {
  if (failed(imp.checkAttrs({})))
    return failure();
  if (imp.numInputs() != 2)
    return imp.nodeError() << "expected 2 inputs";
  int32_t onnxType = imp.inputInfo(0) ? imp.inputInfo(0)->onnxType : kBool;
  if (allConstInts(imp))
    return foldIntElementwise(imp, onnxType, [&](ArrayRef<int64_t> v) {
      if (kind == Bitwise::And)
        return v[0] & v[1];
      if (kind == Bitwise::Or)
        return v[0] | v[1];
      return v[0] ^ v[1];
    });
  FailureOr<SmallVector<Value>> in = allInputs(imp);
  if (failed(in))
    return failure();
  FailureOr<Type> type = commonElementType(imp, *in);
  if (failed(type))
    return failure();
  if (!isa<IntegerType>(*type) || (boolOnly && !type->isInteger(1)))
    return imp.nodeError() << "expected " << (boolOnly ? "bool" : "integer")
                           << " inputs, got " << *type;
  FailureOr<Value> result = broadcastMap(
      imp, *in, *type, [&](OpBuilder &nb, Location l, ValueRange args) {
        if (kind == Bitwise::And)
          return arith::AndIOp::create(nb, l, args[0], args[1]).getResult();
        if (kind == Bitwise::Or)
          return arith::OrIOp::create(nb, l, args[0], args[1]).getResult();
        return arith::XOrIOp::create(nb, l, args[0], args[1]).getResult();
      });
  if (failed(result))
    return failure();
  return imp.setOutput(0, *result, onnxType);
}

/// Not (bool) and BitwiseNot (integers): xor with all ones.
static LogicalResult notOp(Importer &imp, bool boolOnly) {
  if (failed(imp.checkAttrs({})))
    return failure();
  int32_t onnxType = imp.inputInfo(0) ? imp.inputInfo(0)->onnxType : kBool;
  if (allConstInts(imp) && imp.constInput(0))
    return foldIntElementwise(imp, onnxType, [&](ArrayRef<int64_t> v) {
      return onnxType == kBool ? int64_t(!v[0]) : ~v[0];
    });
  FailureOr<Value> x = imp.input(0);
  if (failed(x))
    return failure();
  Type type = elementTypeOf(*x);
  if (!isa<IntegerType>(type) || (boolOnly && !type.isInteger(1)))
    return imp.nodeError() << "expected a " << (boolOnly ? "bool" : "integer")
                           << " input, got " << type;
  FailureOr<Value> result = broadcastMap(
      imp, {*x}, type, [&](OpBuilder &nb, Location l, ValueRange args) {
        Value ones = arith::ConstantOp::create(
            nb, l, type,
            nb.getIntegerAttr(type,
                              APInt::getAllOnes(type.getIntOrFloatBitWidth())));
        return arith::XOrIOp::create(nb, l, args[0], ones).getResult();
      });
  if (failed(result))
    return failure();
  return imp.setOutput(0, *result, onnxType);
}

/// BitShift on unsigned integers: shifts of the bit width or more give 0,
/// as numpy's reference does.
static LogicalResult bitShiftOp(Importer &imp) {
  if (failed(imp.checkAttrs({"direction"})))
    return failure();
  std::string direction = imp.attrString("direction", "");
  if (direction != "LEFT" && direction != "RIGHT")
    return imp.nodeError() << "direction must be LEFT or RIGHT, got '"
                           << direction << "'";
  bool left = direction == "LEFT";
  FailureOr<SmallVector<Value>> in = allInputs(imp);
  if (failed(in))
    return failure();
  if (in->size() != 2)
    return imp.nodeError() << "expected 2 inputs";
  FailureOr<Type> type = commonElementType(imp, *in);
  if (failed(type))
    return failure();
  if (!isa<IntegerType>(*type) || !isOnnxUnsigned(imp.inputInfo(0)->onnxType))
    return imp.nodeError() << "BitShift needs unsigned integer inputs";
  unsigned width = type->getIntOrFloatBitWidth();
  FailureOr<Value> result = broadcastMap(
      imp, *in, *type, [&](OpBuilder &nb, Location l, ValueRange args) {
        Value shifted =
            left ? arith::ShLIOp::create(nb, l, args[0], args[1]).getResult()
                 : arith::ShRUIOp::create(nb, l, args[0], args[1]).getResult();
        Value limit = arith::ConstantOp::create(
            nb, l, *type, nb.getIntegerAttr(*type, width));
        Value zero = arith::ConstantOp::create(nb, l, *type,
                                               nb.getIntegerAttr(*type, 0));
        Value inRange = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::ult,
                                              args[1], limit);
        return arith::SelectOp::create(nb, l, inRange, shifted, zero)
            .getResult();
      });
  if (failed(result))
    return failure();
  return imp.setOutput(0, *result, imp.inputInfo(0)->onnxType);
}

//===----------------------------------------------------------------------===//
// Where, IsNaN, IsInf
//===----------------------------------------------------------------------===//

static LogicalResult whereOp(Importer &imp) {
  if (failed(imp.checkAttrs({})))
    return failure();
  if (imp.numInputs() != 3)
    return imp.nodeError() << "expected 3 inputs";
  if (allConstInts(imp))
    return foldIntElementwise(
        imp, imp.constInput(1)->type,
        [](ArrayRef<int64_t> v) { return v[0] ? v[1] : v[2]; });
  FailureOr<SmallVector<Value>> in = allInputs(imp);
  if (failed(in))
    return failure();
  if (!elementTypeOf((*in)[0]).isInteger(1))
    return imp.nodeError() << "condition must be bool";
  FailureOr<Type> type = commonElementType(imp, ArrayRef(*in).drop_front());
  if (failed(type))
    return failure();
  FailureOr<Value> result = broadcastMap(
      imp, *in, *type, [&](OpBuilder &nb, Location l, ValueRange args) {
        return arith::SelectOp::create(nb, l, args[0], args[1], args[2])
            .getResult();
      });
  if (failed(result))
    return failure();
  return imp.setOutput(0, *result, imp.inputInfo(1)->onnxType);
}

static LogicalResult isNanOp(Importer &imp) {
  if (failed(imp.checkAttrs({})))
    return failure();
  FailureOr<Value> x = imp.input(0);
  if (failed(x))
    return failure();
  if (!isa<FloatType>(elementTypeOf(*x)))
    return imp.nodeError() << "input must be a float tensor";
  FailureOr<Value> result = broadcastMap(
      imp, {*x}, imp.b.getI1Type(),
      [&](OpBuilder &nb, Location l, ValueRange args) {
        return arith::CmpFOp::create(nb, l, arith::CmpFPredicate::UNO, args[0],
                                     args[0])
            .getResult();
      });
  if (failed(result))
    return failure();
  return imp.setOutput(0, *result, kBool);
}

static LogicalResult isInfOp(Importer &imp) {
  if (failed(imp.checkAttrs({"detect_negative", "detect_positive"})))
    return failure();
  bool negative = imp.attrInt("detect_negative", 1);
  bool positive = imp.attrInt("detect_positive", 1);
  FailureOr<Value> x = imp.input(0);
  if (failed(x))
    return failure();
  auto floatType = dyn_cast<FloatType>(elementTypeOf(*x));
  if (!floatType)
    return imp.nodeError() << "input must be a float tensor";
  const llvm::fltSemantics &sem = floatType.getFloatSemantics();
  FailureOr<Value> result = broadcastMap(
      imp, {*x}, imp.b.getI1Type(),
      [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
        auto isValue = [&](bool neg) -> Value {
          Value inf = arith::ConstantOp::create(
              nb, l, floatType,
              nb.getFloatAttr(floatType, APFloat::getInf(sem, neg)));
          return arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OEQ,
                                       args[0], inf);
        };
        if (negative && positive)
          return arith::OrIOp::create(nb, l, isValue(true), isValue(false));
        if (negative)
          return isValue(true);
        if (positive)
          return isValue(false);
        return arith::ConstantOp::create(nb, l, nb.getBoolAttr(false));
      });
  if (failed(result))
    return failure();
  return imp.setOutput(0, *result, kBool);
}

//===----------------------------------------------------------------------===//
// Registration
//===----------------------------------------------------------------------===//

void onnx_import::registerLogicOps(OpTable &table) {
  auto compare = [](Compare kind) {
    return [kind](Importer &imp) { return compareOp(imp, kind); };
  };
  table.on("Equal", 7, compare(Compare::Eq));
  table.on("Greater", 7, compare(Compare::Gt));
  table.on("Less", 7, compare(Compare::Lt));
  table.on("GreaterOrEqual", 12, compare(Compare::Ge));
  table.on("LessOrEqual", 12, compare(Compare::Le));
  auto bitwise = [](Bitwise kind, bool boolOnly) {
    return [=](Importer &imp) { return bitwiseOp(imp, kind, boolOnly); };
  };
  table.on("And", 7, bitwise(Bitwise::And, true));
  table.on("Or", 7, bitwise(Bitwise::Or, true));
  table.on("Xor", 7, bitwise(Bitwise::Xor, true));
  table.on("BitwiseAnd", 18, bitwise(Bitwise::And, false));
  table.on("BitwiseOr", 18, bitwise(Bitwise::Or, false));
  table.on("BitwiseXor", 18, bitwise(Bitwise::Xor, false));
  table.on("Not", 1, [](Importer &imp) { return notOp(imp, true); });
  table.on("BitwiseNot", 18, [](Importer &imp) { return notOp(imp, false); });
  table.on("BitShift", 11, bitShiftOp);
  table.on("Where", 9, whereOp);
  table.on("IsNaN", 9, isNanOp);
  table.on("IsInf", 10, isInfOp);
}

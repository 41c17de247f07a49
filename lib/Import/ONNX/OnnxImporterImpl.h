//===- OnnxImporterImpl.h - ONNX importer internals -------------*- C++ -*-===//
//
// Shared by the importer's translation units only (it includes the protobuf
// classes, so it must never be reached from an MLIR-facing header).
//
//===----------------------------------------------------------------------===//

#ifndef QUANT_LIB_IMPORT_ONNX_ONNXIMPORTERIMPL_H
#define QUANT_LIB_IMPORT_ONNX_ONNXIMPORTERIMPL_H

#include "quant/Import/ONNX/OnnxImporter.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Location.h"
#include "llvm/ADT/StringMap.h"

#include "onnx/onnx_pb.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace mlir {
namespace qnt {
namespace onnx_import {

/// ONNX TensorProto.DataType codes. ONNX 1.12 names the first 17 only.
enum OnnxType : int32_t {
  kUndefined = 0,
  kFloat = 1,
  kUint8 = 2,
  kInt8 = 3,
  kUint16 = 4,
  kInt16 = 5,
  kInt32 = 6,
  kInt64 = 7,
  kString = 8,
  kBool = 9,
  kFloat16 = 10,
  kDouble = 11,
  kUint32 = 12,
  kUint64 = 13,
  kBfloat16 = 16,
  kFloat8E4M3FN = 17,
  kFloat8E4M3FNUZ = 18,
  kFloat8E5M2 = 19,
  kFloat8E5M2FNUZ = 20,
  kUint4 = 21,
  kInt4 = 22,
  kFloat4E2M1 = 23,
};

/// "float", "int4", ... for diagnostics.
std::string onnxTypeName(int32_t type);
bool isOnnxFloatType(int32_t type);
bool isOnnxIntegerType(int32_t type);
bool isOnnxUnsigned(int32_t type);
/// Bits of the integer types (1 for bool), 0 otherwise.
unsigned onnxIntegerBits(int32_t type);

/// A tensor whose contents the importer knows: an initializer, a Constant,
/// or shape arithmetic folded at import. Integer and bool elements are
/// stored widened to int64 in `ints`; float elements in `floats` (as
/// double), with `raw` holding the original little-endian bytes of float
/// tensors (so blobs copy them exactly). Large float initializers (weights)
/// keep only `raw`.
struct HostTensor {
  int32_t type = kUndefined;
  SmallVector<int64_t> shape;
  std::vector<int64_t> ints;
  std::vector<double> floats;
  std::vector<char> raw;

  int64_t getNumElements() const;
  bool isFloat() const { return isOnnxFloatType(type); }
};

/// A weight-only quantized initializer seen through DequantizeLinear: the
/// integer codes plus parameters, kept so that MatMul / Gemm can consume it
/// as a qnt.constant without ever making a float copy.
struct QuantizedWeight {
  /// Initializer name (names the dense_resource blobs).
  std::string name;
  SmallVector<int64_t> shape;
  std::vector<int32_t> codes;
  unsigned bits = 8;
  bool isSigned = true;
  enum class Kind { Tensor, Axis, Block } kind = Kind::Tensor;
  int64_t axis = 0;
  int64_t blockSize = 0;
  std::shared_ptr<HostTensor> scale;
  /// Empty when the zero point is absent (0).
  std::vector<int32_t> zeroPoints;
};

/// What the importer knows about one ONNX value.
struct ValueInfo {
  /// The SSA value; null while only `constant` or `qweight` is known (it is
  /// materialized on first use).
  Value value;
  /// The ONNX element type (MLIR integer types are signless).
  int32_t onnxType = kUndefined;
  std::shared_ptr<HostTensor> constant;
  bool isInitializer = false;
  std::shared_ptr<QuantizedWeight> qweight;
  /// For QuantizeLinear results: the scale / zero point value names.
  std::string quantScale, quantZeroPoint;
};

class Importer {
public:
  Importer(MLIRContext &context, const onnx::ModelProto &model,
           StringRef modelPath, const OnnxImportOptions &options);

  OwningOpRef<ModuleOp> run();

  //===--------------------------------------------------------------------===//
  // Used by the op handlers.
  //===--------------------------------------------------------------------===//

  MLIRContext &ctx;
  OpBuilder b;
  Location loc;
  const onnx::NodeProto *node = nullptr;
  int64_t opset = 0;

  /// Error at the current node: "node 'n' (Op, domain 'd'): ...".
  InFlightDiagnostic nodeError();
  /// Error not tied to a node.
  InFlightDiagnostic modelError();

  unsigned numInputs() const;
  bool hasInput(unsigned i) const;
  StringRef inputName(unsigned i) const;
  ValueInfo *inputInfo(unsigned i);
  /// The input as an SSA value (materializing constants); fails with a
  /// diagnostic when missing.
  FailureOr<Value> input(unsigned i);
  /// The input's known contents, or null.
  HostTensor *constInput(unsigned i);
  /// Integer contents of a constant input, or a diagnostic.
  FailureOr<std::vector<int64_t>> constInts(unsigned i, StringRef what);

  /// Records output `i` of the current node.
  LogicalResult setOutput(unsigned i, Value value, int32_t onnxType = -1);
  LogicalResult setOutput(unsigned i, ValueInfo info);
  unsigned numOutputs() const;
  bool hasOutput(unsigned i) const;

  // Attributes.
  const onnx::AttributeProto *attr(StringRef name) const;
  int64_t attrInt(StringRef name, int64_t defaultValue) const;
  float attrFloat(StringRef name, float defaultValue) const;
  std::string attrString(StringRef name, StringRef defaultValue) const;
  std::optional<std::vector<int64_t>> attrInts(StringRef name) const;
  /// Fails with a diagnostic for any attribute not in `known`.
  LogicalResult checkAttrs(ArrayRef<StringRef> known);

  /// Materializes a value's contents as an arith.constant (dense_resource
  /// for initializers, dense otherwise).
  FailureOr<Value> materialize(ValueInfo &info, StringRef name);
  Value constantOf(const HostTensor &tensor, StringRef name, bool asResource);

  FailureOr<Type> mlirType(int32_t onnxType);
  FailureOr<std::shared_ptr<HostTensor>>
  readTensor(const onnx::TensorProto &tensor);

private:
  const onnx::ModelProto &model;
  std::string modelPath;
  std::string modelDir;
  const OnnxImportOptions &options;
  llvm::StringMap<ValueInfo> values;
  int64_t msOpset = 0;

  LogicalResult importGraph(ModuleOp module);
  LogicalResult importNode(const onnx::NodeProto &n);
  FailureOr<RankedTensorType> inputType(const onnx::ValueInfoProto &input,
                                        int32_t &onnxType);
  LogicalResult readExternal(const onnx::TensorProto &tensor,
                             std::vector<char> &bytes);
};

/// The op handlers of one domain, each registered for the opset versions of
/// the op definition it implements (like torch-mlir's `onOp(name,
/// sinceVersion)`): a handler registered at `since` covers opsets from
/// `since` up to the next registration of the same op. A model at opset 9
/// and one at opset 21 can so pick different handlers (Clip attributes vs
/// inputs, axes as attribute vs input ...), and an op at a version below
/// its first registration is an error that names the supported range.
class OpTable {
public:
  using Handler = std::function<LogicalResult(Importer &)>;

  void on(StringRef op, int64_t since, Handler handler);
  /// Registers the same handler for several ops.
  void on(ArrayRef<StringRef> ops, int64_t since,
          const std::function<LogicalResult(Importer &, StringRef)> &handler);
  /// The handler of `op` at `opset`, or null.
  const Handler *lookup(StringRef op, int64_t opset) const;
  bool contains(StringRef op) const { return ops.count(op); }
  /// The opsets `op` is supported at, e.g. "7+" (for diagnostics).
  std::string describeVersions(StringRef op) const;

private:
  /// Per op, (since, handler) sorted by `since`.
  llvm::StringMap<SmallVector<std::pair<int64_t, Handler>, 1>> ops;
};

// One registration function per op family (default domain unless noted).
void registerElementwiseOps(OpTable &table);
void registerLogicOps(OpTable &table);
void registerActivationOps(OpTable &table);
void registerMatmulOps(OpTable &table);
void registerReductionOps(OpTable &table);
void registerNormalizationOps(OpTable &table);
void registerShapeOps(OpTable &table);
void registerGatherScatterOps(OpTable &table);
void registerLayoutOps(OpTable &table);
void registerConvPoolOps(OpTable &table);
void registerResizeOps(OpTable &table);
void registerImageOps(OpTable &table);
void registerSignalOps(OpTable &table);
void registerRecurrentOps(OpTable &table);
void registerTextOps(OpTable &table);
/// QuantizeLinear / DequantizeLinear.
void registerQuantOps(OpTable &table);
/// MatMulInteger / ConvInteger / QLinearMatMul / QLinearConv /
/// DynamicQuantizeLinear.
void registerIntegerOps(OpTable &table);
/// The com.microsoft domain (contrib ops; MatMulNBits is registered by
/// registerMicrosoftQuantOps).
void registerMicrosoftOps(OpTable &table);
void registerMicrosoftQuantOps(OpTable &table);
void registerMicrosoftIntegerOps(OpTable &table);
void registerMicrosoftAttentionOps(OpTable &table);
/// Contrib ops ONNX Runtime also accepts in the default domain.
void registerOnnxDomainContribOps(OpTable &table);

/// Float matmul of [..., M, K] by [..., K, N] with ONNX broadcasting
/// (tosa.matmul).
FailureOr<Value> batchedMatmul(Importer &imp, Value a, Value c);

/// qnt.matmul on a DequantizeLinear'd initializer; `weightIsNK` says the
/// weight is already [N, K] (Gemm transB = 1). `bias` may be null. Returns
/// null (without a diagnostic) when `rhs` is not such a weight.
FailureOr<Value> buildQuantizedMatmul(Importer &imp, Value lhs, ValueInfo &rhs,
                                      bool weightIsNK, Value bias);

//===----------------------------------------------------------------------===//
// IR helpers (OnnxOps.cpp).
//===----------------------------------------------------------------------===//

RankedTensorType tensorType(ArrayRef<int64_t> shape, Type elementType);
ArrayRef<int64_t> shapeOf(Value value);
Type elementTypeOf(Value value);
/// tosa.reshape (no-op when the shape already matches).
Value reshapeTo(OpBuilder &b, Location loc, Value value,
                ArrayRef<int64_t> shape);
/// A tosa.const of `shape` filled with `value`, of a float or integer type.
Value splatConst(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                 Type elementType, double value);
Value transposeBy(OpBuilder &b, Location loc, Value value,
                  ArrayRef<int32_t> perms);
int64_t product(ArrayRef<int64_t> values);
/// linalg.generic over inputs of the result's rank; size-1 input dims
/// broadcast.
Value buildGeneric(OpBuilder &b, Location loc, ArrayRef<Value> inputs,
                   RankedTensorType resultType,
                   function_ref<Value(OpBuilder &, Location, ValueRange)> body);
/// buildGeneric writing into `dest` (destination passing: a loop-carried
/// tensor updated elementwise stays in place); the body gets the inputs'
/// scalars and then dest's current element.
Value buildGenericInto(
    OpBuilder &b, Location loc, ArrayRef<Value> inputs, Value dest,
    function_ref<Value(OpBuilder &, Location, ValueRange)> body);
/// The ONNX (numpy) broadcast of two shapes, or a diagnostic.
FailureOr<SmallVector<int64_t>>
broadcastShapes(Importer &imp, ArrayRef<int64_t> a, ArrayRef<int64_t> c);
/// Prepends size-1 dims up to `rank`.
Value toRank(OpBuilder &b, Location loc, Value v, size_t rank);

/// tosa.const_shape of `shape`.
Value constShape(OpBuilder &b, Location loc, ArrayRef<int64_t> shape);
/// A constant broadcastable against `like` (all dims 1) holding `v`.
Value scalarLike(OpBuilder &b, Location loc, Value like, double v);
/// The [1] zero-point operand TOSA ops want.
Value zeroPoint(OpBuilder &b, Location loc, Type elementType);
/// tosa.mul with the zero shift TOSA wants.
Value mulOp(OpBuilder &b, Location loc, Type type, Value x, Value y);
/// A negative axis counted from the end.
int64_t normAxis(int64_t axis, int64_t rank);
/// Records output `i` as a host-known tensor (folded shape arithmetic).
LogicalResult setConstOutput(Importer &imp, unsigned i,
                             std::shared_ptr<HostTensor> tensor);
/// True when every present input is a host-known integer tensor.
bool allConstInts(Importer &imp);
/// The shape of input `i`, whether it is a value, a constant or a quantized
/// weight.
FailureOr<SmallVector<int64_t>> inputShape(Importer &imp, unsigned i);

/// An elementwise op over `inputs` broadcast to one shape (numpy rules): a
/// linalg.generic whose body gets one scalar per input.
FailureOr<Value>
broadcastMap(Importer &imp, ArrayRef<Value> inputs, Type resultElementType,
             function_ref<Value(OpBuilder &, Location, ValueRange)> body);
/// Every present input as a value.
FailureOr<SmallVector<Value>> allInputs(Importer &imp);
/// Folds an elementwise op whose inputs are all host-known integer tensors
/// (shape arithmetic), with broadcasting; the result has ONNX type
/// `resultType`.
/// `inputs` selects the inputs (default all); the result also broadcasts
/// to `broadcastTo`.
LogicalResult foldIntElementwise(Importer &imp, int32_t resultType,
                                 function_ref<int64_t(ArrayRef<int64_t>)> fn,
                                 ArrayRef<unsigned> inputs = {},
                                 ArrayRef<int64_t> broadcastTo = {});

/// Host folding of small constants (shape arithmetic in float, e.g. the
/// sizes PyTorch computes for Resize): tensors up to this many elements.
constexpr int64_t kMaxFoldElements = int64_t(1) << 16;
/// The most elements an op may materialize on the host from constant sizes
/// (Range, the window ops, MelWeightMatrix, Resize's tap tables): anything
/// bigger is an error instead of an allocation that could take the machine.
constexpr int64_t kMaxHostElements = int64_t(1) << 24;
/// True when every present input is a small host-known tensor.
bool allConstSmall(Importer &imp);
/// Folds an elementwise op of small host-known inputs (integers or floats)
/// computed in double precision, rounded to ONNX type `resultType`.
LogicalResult foldElementwise(Importer &imp, int32_t resultType,
                              function_ref<double(ArrayRef<double>)> fn);
/// A host tensor of ONNX type `type` holding `values` (float types keep
/// their bytes; integers are truncated toward zero).
std::shared_ptr<HostTensor>
makeHostTensor(int32_t type, ArrayRef<int64_t> shape, ArrayRef<double> values);

/// An ONNX index value (any integer type) as an `index` inside [0, dim):
/// a negative index wraps once, as ONNX says; anything still outside is
/// clamped so that generated code never reads or writes out of bounds.
Value boundedIndex(OpBuilder &b, Location l, Value index, int64_t dim);
/// The row-major coordinates of the `index` value `flat` in `shape`.
SmallVector<Value> delinearize(OpBuilder &b, Location l, Value flat,
                               ArrayRef<int64_t> shape);

/// A linalg.generic producing `type` from no inputs: the body sees the
/// output coordinates (linalg.index) and returns the element.
Value generateTensor(
    OpBuilder &b, Location loc, RankedTensorType type,
    function_ref<Value(OpBuilder &, Location, ArrayRef<Value>)> body);
/// An `index` constant.
Value indexConst(OpBuilder &b, Location l, int64_t v);
/// A tensor of `shape` filled with `value` (linalg.fill: an accumulator or
/// canvas that later ops update).
Value filledTensor(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                   Type elementType, double value);
/// A scalar arith.constant `v` of float type `type`.
Value floatConst(OpBuilder &b, Location l, Type type, double v);
/// 0 / 1 of a float or integer type.
Value zeroOf(OpBuilder &b, Location l, Type t);
Value oneOf(OpBuilder &b, Location l, Type t);

enum class ReduceKind { Sum, Max, Min, Mean, Prod };
/// Reduces `v` over `axes` (sorted, unique), keeping the reduced dims.
Value reduceKeep(OpBuilder &b, Location loc, Value v, ArrayRef<int64_t> axes,
                 ReduceKind kind);
/// The index (i64, the reduced dim kept as 1) of the first (or, with
/// `selectLast`, the last) maximum or minimum of `x` along `axis`.
Value buildArgReduce(OpBuilder &b, Location loc, Value x, int64_t axis,
                     bool isMax, bool selectLast);
/// Float division with broadcasting of size-1 dims of `y`.
Value divide(OpBuilder &b, Location loc, Value x, Value y);

/// MaxPool / AveragePool of `x` (any rank, NC + spatial) with the current
/// node's window attributes; sets the node's Indices output when a MaxPool
/// asks for it.
FailureOr<Value> buildPool(Importer &imp, bool isMax, Value x, bool isUnsigned);

/// A 2-D convolution / pooling window.
struct Window {
  SmallVector<int64_t> kernel, stride, dilation, pad; // pad: t, b, l, r
  SmallVector<int64_t> outHW;
};

/// Reads kernel / strides / dilations / pads / auto_pad for a 2-D window and
/// makes the padding exact for TOSA (which wants (in + pads - dilated
/// kernel) divisible by the stride). With `allowUnusedInput` (linalg
/// convolutions), input rows past the last window are left unread instead
/// of being an error.
LogicalResult computeWindow(Importer &imp, ArrayRef<int64_t> inHW,
                            ArrayRef<int64_t> kernel, Window &w,
                            bool ceilMode = false,
                            bool allowUnusedInput = false);

} // namespace onnx_import
} // namespace qnt
} // namespace mlir

#endif // QUANT_LIB_IMPORT_ONNX_ONNXIMPORTERIMPL_H

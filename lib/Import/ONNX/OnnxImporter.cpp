//===- OnnxImporter.cpp - ONNX model to MLIR ------------------------------===//
//
// Reads the model with the protobuf classes of Debian's libonnx, walks the
// graph in order (ONNX graphs are topologically sorted) and calls one handler
// per (domain, op type). Shapes are static: every handler computes its result
// types. Tensors whose contents are known (initializers, Constant, shape
// arithmetic) are kept on the host and become constants only when an op uses
// them at run time.
//
//===----------------------------------------------------------------------===//

#include "OnnxImporterImpl.h"

#include "quant/Dialect/Qnt/IR/QntDialect.h"
#include "quant/Dialect/Qnt/IR/QntOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InterleavedRange.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <cstring>

using namespace mlir;
using namespace mlir::qnt;
using namespace mlir::qnt::onnx_import;

/// Float tensors above this many elements keep only their bytes (`raw`).
static constexpr int64_t kMaxHostFloats = int64_t(1) << 22;

FailureOr<Type> Importer::mlirType(int32_t onnxType) {
  switch (onnxType) {
  case kFloat:
    return Type(b.getF32Type());
  case kFloat16:
    return Type(b.getF16Type());
  case kBfloat16:
    return Type(b.getBF16Type());
  case kDouble:
    return Type(b.getF64Type());
  case kBool:
    return Type(b.getI1Type());
  case kUint4:
  case kInt4:
    return Type(b.getIntegerType(4));
  default:
    if (unsigned bits = onnxIntegerBits(onnxType))
      return Type(b.getIntegerType(bits));
    return failure();
  }
}

//===----------------------------------------------------------------------===//
// Importer: diagnostics, inputs, outputs, attributes
//===----------------------------------------------------------------------===//

Importer::Importer(MLIRContext &context, const onnx::ModelProto &model,
                   StringRef modelPath, const OnnxImportOptions &options)
    : ctx(context), b(&context),
      loc(FileLineColLoc::get(&context, modelPath, 0, 0)), model(model),
      modelPath(modelPath.str()), options(options) {
  modelDir = llvm::sys::path::parent_path(modelPath).str();
}

InFlightDiagnostic Importer::modelError() {
  return emitError(FileLineColLoc::get(&ctx, modelPath, 0, 0));
}

InFlightDiagnostic Importer::nodeError() {
  StringRef domain = node->domain();
  if (domain.empty())
    domain = "ai.onnx";
  return emitError(loc) << "node '" << node->name() << "' (" << node->op_type()
                        << ", domain '" << domain << "'): ";
}

unsigned Importer::numInputs() const { return node->input_size(); }
bool Importer::hasInput(unsigned i) const {
  return int(i) < node->input_size() && !node->input(i).empty();
}
StringRef Importer::inputName(unsigned i) const {
  return hasInput(i) ? StringRef(node->input(i)) : StringRef();
}
unsigned Importer::numOutputs() const { return node->output_size(); }
bool Importer::hasOutput(unsigned i) const {
  return int(i) < node->output_size() && !node->output(i).empty();
}

ValueInfo *Importer::inputInfo(unsigned i) {
  if (!hasInput(i))
    return nullptr;
  auto it = values.find(node->input(i));
  return it == values.end() ? nullptr : &it->second;
}

FailureOr<Value> Importer::input(unsigned i) {
  if (!hasInput(i))
    return nodeError() << "missing input " << i;
  ValueInfo *info = inputInfo(i);
  if (!info)
    return nodeError() << "input '" << inputName(i)
                       << "' is not produced by any earlier node";
  return materialize(*info, inputName(i));
}

HostTensor *Importer::constInput(unsigned i) {
  ValueInfo *info = inputInfo(i);
  return info ? info->constant.get() : nullptr;
}

FailureOr<std::vector<int64_t>> Importer::constInts(unsigned i,
                                                    StringRef what) {
  HostTensor *tensor = constInput(i);
  if (!tensor || tensor->isFloat())
    return nodeError() << what
                       << " must be a constant integer tensor (an "
                          "initializer, a Constant or a Shape computation)";
  return tensor->ints;
}

LogicalResult Importer::setOutput(unsigned i, ValueInfo info) {
  if (!hasOutput(i))
    return success();
  values[node->output(i)] = std::move(info);
  return success();
}

LogicalResult Importer::setOutput(unsigned i, Value value, int32_t onnxType) {
  ValueInfo info;
  info.value = value;
  if (onnxType < 0) {
    Type type = elementTypeOf(value);
    if (type.isF32())
      onnxType = kFloat;
    else if (type.isF16())
      onnxType = kFloat16;
    else if (type.isBF16())
      onnxType = kBfloat16;
    else if (type.isF64())
      onnxType = kDouble;
    else if (type.isInteger(1))
      onnxType = kBool;
    else if (type.isInteger(8))
      onnxType = kInt8;
    else if (type.isInteger(16))
      onnxType = kInt16;
    else if (type.isInteger(32))
      onnxType = kInt32;
    else
      onnxType = kInt64;
  }
  info.onnxType = onnxType;
  return setOutput(i, std::move(info));
}

const onnx::AttributeProto *Importer::attr(StringRef name) const {
  for (const onnx::AttributeProto &a : node->attribute())
    if (a.name() == name)
      return &a;
  return nullptr;
}

int64_t Importer::attrInt(StringRef name, int64_t defaultValue) const {
  const onnx::AttributeProto *a = attr(name);
  return a ? a->i() : defaultValue;
}

float Importer::attrFloat(StringRef name, float defaultValue) const {
  const onnx::AttributeProto *a = attr(name);
  return a ? a->f() : defaultValue;
}

std::string Importer::attrString(StringRef name, StringRef defaultValue) const {
  const onnx::AttributeProto *a = attr(name);
  return a ? a->s() : defaultValue.str();
}

std::optional<std::vector<int64_t>> Importer::attrInts(StringRef name) const {
  const onnx::AttributeProto *a = attr(name);
  if (!a)
    return std::nullopt;
  return std::vector<int64_t>(a->ints().begin(), a->ints().end());
}

LogicalResult Importer::checkAttrs(ArrayRef<StringRef> known) {
  for (const onnx::AttributeProto &a : node->attribute())
    if (!llvm::is_contained(known, StringRef(a.name())))
      return nodeError() << "unsupported attribute '" << a.name() << "'";
  return success();
}

//===----------------------------------------------------------------------===//
// Tensors
//===----------------------------------------------------------------------===//

LogicalResult Importer::readExternal(const onnx::TensorProto &tensor,
                                     std::vector<char> &bytes) {
  std::string location;
  int64_t offset = 0, length = -1;
  for (const onnx::StringStringEntryProto &entry : tensor.external_data()) {
    if (entry.key() == "location")
      location = entry.value();
    else if (entry.key() == "offset")
      offset = std::strtoll(entry.value().c_str(), nullptr, 10);
    else if (entry.key() == "length")
      length = std::strtoll(entry.value().c_str(), nullptr, 10);
  }
  if (location.empty())
    return modelError() << "tensor '" << tensor.name()
                        << "': external data without a location";
  if (llvm::sys::path::is_absolute(location) ||
      StringRef(location).contains(".."))
    return modelError() << "tensor '" << tensor.name()
                        << "': external data location '" << location
                        << "' must be relative to the model's directory";
  SmallString<256> path(modelDir);
  llvm::sys::path::append(path, location);
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> file =
      llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                  /*RequiresNullTerminator=*/false);
  if (!file)
    return modelError() << "tensor '" << tensor.name()
                        << "': cannot read external data file '" << path
                        << "': " << file.getError().message();
  int64_t size = (*file)->getBufferSize();
  if (length < 0)
    length = size - offset;
  if (offset < 0 || offset > size || length > size - offset)
    return modelError() << "tensor '" << tensor.name() << "': external data ["
                        << offset << ", " << offset + length
                        << ") is past the end of '" << path << "' (" << size
                        << " bytes)";
  const char *start = (*file)->getBufferStart() + offset;
  bytes.assign(start, start + length);
  return success();
}

static double halfToDouble(uint16_t h) {
  uint32_t sign = (h >> 15) & 1, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  double value;
  if (exp == 0)
    value = std::ldexp(double(mant), -24);
  else if (exp == 31)
    value = mant ? NAN : INFINITY;
  else
    value = std::ldexp(double(mant | 0x400), int(exp) - 25);
  return sign ? -value : value;
}

static double bf16ToDouble(uint16_t h) {
  uint32_t bits = uint32_t(h) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

FailureOr<std::shared_ptr<HostTensor>>
Importer::readTensor(const onnx::TensorProto &tensor) {
  auto result = std::make_shared<HostTensor>();
  HostTensor &t = *result;
  t.type = tensor.data_type();
  for (int64_t d : tensor.dims()) {
    if (d < 0)
      return modelError() << "tensor '" << tensor.name()
                          << "' has a negative dimension";
    t.shape.push_back(d);
  }
  int64_t n = t.getNumElements();
  unsigned bits = onnxIntegerBits(t.type);
  bool isFloat = t.isFloat();
  if (!isFloat && !bits)
    return modelError() << "tensor '" << tensor.name()
                        << "' has unsupported element type "
                        << onnxTypeName(t.type);

  std::vector<char> bytes;
  bool hasRaw = false;
  if (tensor.data_location() == onnx::TensorProto::EXTERNAL) {
    if (failed(readExternal(tensor, bytes)))
      return failure();
    hasRaw = true;
  } else if (tensor.has_raw_data()) {
    bytes.assign(tensor.raw_data().begin(), tensor.raw_data().end());
    hasRaw = true;
  }

  auto sizeError = [&](int64_t have, int64_t want) {
    return modelError() << "tensor '" << tensor.name() << "' of shape "
                        << llvm::interleaved(t.shape, "x") << " holds " << have
                        << " values/bytes, expected " << want
                        << " (truncated or corrupt)";
  };

  if (hasRaw) {
    int64_t elemBits = bits;
    if (t.type == kFloat || t.type == kInt32 || t.type == kUint32)
      elemBits = 32;
    else if (t.type == kFloat16 || t.type == kBfloat16)
      elemBits = 16;
    else if (t.type == kDouble)
      elemBits = 64;
    else if (t.type == kBool)
      elemBits = 8;
    int64_t want = (n * elemBits + 7) / 8;
    if (int64_t(bytes.size()) != want)
      return sizeError(bytes.size(), want);
    const auto *u8 = reinterpret_cast<const uint8_t *>(bytes.data());
    if (isFloat) {
      t.raw = std::move(bytes);
      u8 = reinterpret_cast<const uint8_t *>(t.raw.data());
      // A weight stays in `raw` only: a double per element would triple the
      // importer's memory, and nothing reads `floats` of a large tensor.
      if (n > kMaxHostFloats)
        return result;
      t.floats.resize(n);
      for (int64_t i = 0; i < n; ++i) {
        if (t.type == kFloat) {
          float f;
          std::memcpy(&f, u8 + 4 * i, 4);
          t.floats[i] = f;
        } else if (t.type == kDouble) {
          std::memcpy(&t.floats[i], u8 + 8 * i, 8);
        } else {
          uint16_t h = u8[2 * i] | (u8[2 * i + 1] << 8);
          t.floats[i] = t.type == kFloat16 ? halfToDouble(h) : bf16ToDouble(h);
        }
      }
      return result;
    }
    t.ints.resize(n);
    bool isSigned = !isOnnxUnsigned(t.type);
    for (int64_t i = 0; i < n; ++i) {
      uint64_t v = 0;
      if (elemBits == 4) {
        v = (u8[i / 2] >> (4 * (i % 2))) & 0xf;
      } else {
        for (int64_t k = 0; k < elemBits / 8; ++k)
          v |= uint64_t(u8[i * elemBits / 8 + k]) << (8 * k);
      }
      int64_t value = int64_t(v);
      if (isSigned && elemBits < 64 && (v >> (elemBits - 1)) & 1)
        value = int64_t(v) - (int64_t(1) << elemBits);
      t.ints[i] = t.type == kBool ? (v != 0) : value;
    }
    return result;
  }

  // Typed fields.
  if (t.type == kFloat) {
    if (tensor.float_data_size() != n)
      return sizeError(tensor.float_data_size(), n);
    t.raw.resize(4 * n);
    for (int64_t i = 0; i < n; ++i) {
      float f = tensor.float_data(i);
      t.floats.push_back(f);
      std::memcpy(t.raw.data() + 4 * i, &f, 4);
    }
  } else if (t.type == kDouble) {
    if (tensor.double_data_size() != n)
      return sizeError(tensor.double_data_size(), n);
    t.raw.resize(8 * n);
    for (int64_t i = 0; i < n; ++i) {
      double d = tensor.double_data(i);
      t.floats.push_back(d);
      std::memcpy(t.raw.data() + 8 * i, &d, 8);
    }
  } else if (t.type == kFloat16 || t.type == kBfloat16) {
    if (tensor.int32_data_size() != n)
      return sizeError(tensor.int32_data_size(), n);
    t.raw.resize(2 * n);
    for (int64_t i = 0; i < n; ++i) {
      uint16_t h = tensor.int32_data(i);
      t.floats.push_back(t.type == kFloat16 ? halfToDouble(h)
                                            : bf16ToDouble(h));
      std::memcpy(t.raw.data() + 2 * i, &h, 2);
    }
  } else if (t.type == kInt64) {
    if (tensor.int64_data_size() != n)
      return sizeError(tensor.int64_data_size(), n);
    t.ints.assign(tensor.int64_data().begin(), tensor.int64_data().end());
  } else if (t.type == kUint64 || t.type == kUint32) {
    if (tensor.uint64_data_size() != n)
      return sizeError(tensor.uint64_data_size(), n);
    t.ints.assign(tensor.uint64_data().begin(), tensor.uint64_data().end());
  } else if (bits == 4) {
    // Two values per int32 entry, low nibble first.
    int64_t want = (n + 1) / 2;
    if (tensor.int32_data_size() != want)
      return sizeError(tensor.int32_data_size(), want);
    for (int64_t i = 0; i < n; ++i) {
      int64_t v = (tensor.int32_data(i / 2) >> (4 * (i % 2))) & 0xf;
      if (t.type == kInt4 && v >= 8)
        v -= 16;
      t.ints.push_back(v);
    }
  } else {
    if (tensor.int32_data_size() != n)
      return sizeError(tensor.int32_data_size(), n);
    t.ints.assign(tensor.int32_data().begin(), tensor.int32_data().end());
  }
  return result;
}

Value Importer::constantOf(const HostTensor &t, StringRef name,
                           bool asResource) {
  Type elementType = *mlirType(t.type);
  auto type = tensorType(t.shape, elementType);
  int64_t n = t.getNumElements();
  // Bytes as the tensor stores them in memory (i1 and i4 widened to a byte
  // per element by the builtin dense encodings, so those stay `dense`).
  std::vector<char> bytes;
  unsigned width = elementType.getIntOrFloatBitWidth();
  if (t.isFloat()) {
    // Float bytes are used in place (no copy of a weight).
  } else if (width >= 8) {
    bytes.resize(n * width / 8);
    for (int64_t i = 0; i < n; ++i)
      std::memcpy(bytes.data() + i * width / 8, &t.ints[i], width / 8);
  } else {
    asResource = false;
  }

  ArrayRef<char> data =
      t.isFloat() ? ArrayRef<char>(t.raw) : ArrayRef<char>(bytes);
  Attribute value;
  if (asResource) {
    std::string blobName = name.str();
    for (char &c : blobName)
      if (!llvm::isAlnum(c) && c != '_' && c != '.')
        c = '_';
    if (blobName.empty() || llvm::isDigit(blobName[0]))
      blobName = "onnx_" + blobName;
    AsmResourceBlob blob = HeapAsmResourceBlob::allocateAndCopyWithAlign(
        data, std::max<size_t>(1, width / 8));
    value = DenseResourceElementsAttr::get(type, blobName, std::move(blob));
  } else if (t.isFloat()) {
    bool detectedSplat = false;
    if (!DenseElementsAttr::isValidRawBuffer(type, data, detectedSplat))
      data = {};
    value = DenseElementsAttr::getFromRawBuffer(type, data);
  } else {
    SmallVector<APInt> ints;
    for (int64_t v : t.ints)
      ints.push_back(APInt(width, uint64_t(v), /*isSigned=*/true,
                           /*implicitTrunc=*/true));
    value = DenseElementsAttr::get(type, ints);
  }
  return arith::ConstantOp::create(b, loc, type, cast<TypedAttr>(value));
}

FailureOr<Value> Importer::materialize(ValueInfo &info, StringRef name) {
  if (info.value)
    return info.value;
  if (info.qweight) {
    // A quantized initializer used by something other than a matmul: the
    // encoded constant plus qnt.dequantize (the weight stays encoded in
    // memory).
    FailureOr<Value> decoded =
        buildQuantizedMatmul(*this, Value(), info, false, Value());
    if (failed(decoded))
      return failure();
    info.value = *decoded;
    return info.value;
  }
  if (!info.constant)
    return nodeError() << "value '" << name << "' has no definition";
  if (failed(mlirType(info.constant->type)))
    return nodeError() << "constant '" << name << "' has unsupported type "
                       << onnxTypeName(info.constant->type);
  // Constants sit at the top of the function.
  OpBuilder::InsertionGuard guard(b);
  Block *body = b.getInsertionBlock();
  b.setInsertionPointToStart(body);
  info.value =
      constantOf(*info.constant, name,
                 info.isInitializer && info.constant->getNumElements() > 1);
  return info.value;
}

//===----------------------------------------------------------------------===//
// Graph
//===----------------------------------------------------------------------===//

FailureOr<RankedTensorType>
Importer::inputType(const onnx::ValueInfoProto &input, int32_t &onnxType) {
  if (!input.type().has_tensor_type())
    return modelError() << "graph input '" << input.name()
                        << "' is not a tensor";
  const onnx::TypeProto::Tensor &tensor = input.type().tensor_type();
  onnxType = tensor.elem_type();
  FailureOr<Type> elementType = mlirType(onnxType);
  if (failed(elementType))
    return modelError() << "graph input '" << input.name()
                        << "' has unsupported element type "
                        << onnxTypeName(onnxType);
  for (const auto &[name, shape] : options.inputShapes)
    if (name == input.name()) {
      if (tensor.has_shape() && tensor.shape().dim_size() != int(shape.size()))
        return modelError()
               << "--input-shape for '" << name << "' has rank " << shape.size()
               << ", the model declares rank " << tensor.shape().dim_size();
      return tensorType(shape, *elementType);
    }
  if (!tensor.has_shape())
    return modelError() << "graph input '" << input.name()
                        << "' has no shape; pass --input-shape " << input.name()
                        << "=DxDx...";
  SmallVector<int64_t> shape;
  for (int i = 0; i < tensor.shape().dim_size(); ++i) {
    const onnx::TensorShapeProto::Dimension &dim = tensor.shape().dim(i);
    if (!dim.has_dim_value() || dim.dim_value() < 0) {
      auto diag = modelError() << "graph input '" << input.name()
                               << "' has a dynamic dimension " << i;
      if (dim.has_dim_param())
        diag << " ('" << dim.dim_param() << "')";
      diag << "; pass --input-shape " << input.name() << "=DxDx...";
      return diag;
    }
    shape.push_back(dim.dim_value());
  }
  return tensorType(shape, *elementType);
}

//===----------------------------------------------------------------------===//
// Op tables
//===----------------------------------------------------------------------===//

static const OpTable &defaultOps() {
  static const OpTable table = [] {
    OpTable t;
    registerElementwiseOps(t);
    registerLogicOps(t);
    registerActivationOps(t);
    registerMatmulOps(t);
    registerReductionOps(t);
    registerNormalizationOps(t);
    registerShapeOps(t);
    registerGatherScatterOps(t);
    registerLayoutOps(t);
    registerConvPoolOps(t);
    registerResizeOps(t);
    registerImageOps(t);
    registerSignalOps(t);
    registerRecurrentOps(t);
    registerTextOps(t);
    registerQuantOps(t);
    registerIntegerOps(t);
    registerOnnxDomainContribOps(t);
    return t;
  }();
  return table;
}

static const OpTable &microsoftOps() {
  static const OpTable table = [] {
    OpTable t;
    registerMicrosoftOps(t);
    return t;
  }();
  return table;
}

LogicalResult Importer::importNode(const onnx::NodeProto &n) {
  node = &n;
  std::string name = n.name().empty() ? n.op_type() : n.name();
  loc = NameLoc::get(StringAttr::get(&ctx, name),
                     FileLineColLoc::get(&ctx, modelPath, 0, 0));
  StringRef domain = n.domain();
  const OpTable *table = nullptr;
  int64_t version = opset;
  if (domain.empty() || domain == "ai.onnx") {
    table = &defaultOps();
  } else if (domain == "com.microsoft") {
    table = &microsoftOps();
    version = std::max<int64_t>(msOpset, 1);
  } else {
    return nodeError() << "unsupported domain";
  }
  if (!table->contains(n.op_type()))
    return nodeError() << "unsupported op";
  const OpTable::Handler *handler = table->lookup(n.op_type(), version);
  if (!handler)
    return nodeError() << "unsupported version: " << n.op_type() << " at opset "
                       << version << " (supported: "
                       << table->describeVersions(n.op_type()) << ")";
  return (*handler)(*this);
}

LogicalResult Importer::importGraph(ModuleOp module) {
  const onnx::GraphProto &graph = model.graph();

  // Initializers.
  for (const onnx::TensorProto &init : graph.initializer()) {
    FailureOr<std::shared_ptr<HostTensor>> tensor = readTensor(init);
    if (failed(tensor))
      return failure();
    ValueInfo info;
    info.constant = *tensor;
    info.onnxType = (*tensor)->type;
    info.isInitializer = true;
    values[init.name()] = std::move(info);
  }
  for (const auto &[name, shape] : options.inputShapes) {
    if (!llvm::any_of(graph.input(), [&](const onnx::ValueInfoProto &in) {
          return in.name() == name;
        }))
      return modelError() << "--input-shape names '" << name
                          << "', which is not a graph input";
  }

  // Inputs (older models also list initializers as inputs).
  SmallVector<Type> argTypes;
  SmallVector<std::pair<std::string, int32_t>> args;
  for (const onnx::ValueInfoProto &in : graph.input()) {
    if (values.count(in.name()))
      continue;
    int32_t onnxType;
    FailureOr<RankedTensorType> type = inputType(in, onnxType);
    if (failed(type))
      return failure();
    argTypes.push_back(*type);
    args.push_back({in.name(), onnxType});
  }

  std::string funcName = options.entryName;
  if (funcName.empty())
    funcName = graph.name().empty() ? "main_graph" : graph.name();
  b.setInsertionPointToEnd(module.getBody());
  auto func =
      func::FuncOp::create(b, loc, funcName, b.getFunctionType(argTypes, {}));
  Block *entry = func.addEntryBlock();
  for (auto [i, arg] : llvm::enumerate(args)) {
    ValueInfo info;
    info.value = entry->getArgument(i);
    info.onnxType = arg.second;
    values[arg.first] = std::move(info);
  }
  b.setInsertionPointToEnd(entry);

  for (const onnx::NodeProto &n : graph.node())
    if (failed(importNode(n)))
      return failure();
  node = nullptr;
  loc = FileLineColLoc::get(&ctx, modelPath, 0, 0);

  SmallVector<Value> results;
  SmallVector<int32_t> resultOnnxTypes;
  for (const onnx::ValueInfoProto &out : graph.output()) {
    auto it = values.find(out.name());
    if (it == values.end())
      return modelError() << "graph output '" << out.name()
                          << "' is not produced by any node";
    ValueInfo &info = it->second;
    if (!info.value && !info.constant && !info.qweight)
      return modelError() << "graph output '" << out.name() << "' has no value";
    OpBuilder::InsertionGuard guard(b);
    FailureOr<Value> value = materialize(info, out.name());
    if (failed(value))
      return failure();
    Value v = *value;
    if (getEncoding(v.getType())) {
      // A QuantizeLinear result leaves the graph as its integer codes; the
      // codes part is the integer tensor itself only for 8-bit codes.
      auto type = cast<RankedTensorType>(v.getType());
      auto encoding = dyn_cast<UniformAttr>(type.getEncoding());
      if (!encoding || encoding.getBits() != 8)
        return modelError()
               << "graph output '" << out.name()
               << "' is a quantized tensor of " << onnxTypeName(info.onnxType)
               << "; only 8-bit quantized outputs are supported";
      SmallVector<PartInfo> parts = getEncoding(type).getParts(type.getShape());
      SmallVector<Type> partTypes;
      for (const PartInfo &part : parts)
        partTypes.push_back(part.getTensorType());
      auto dis = DisassembleOp::create(b, loc, partTypes, v);
      v = dis.getResult(0);
    }
    results.push_back(v);
    // The declared type, else what the handlers inferred.
    int32_t declared = out.type().tensor_type().elem_type();
    resultOnnxTypes.push_back(declared != kUndefined ? declared
                                                     : info.onnxType);
  }
  func::ReturnOp::create(b, loc, results);
  SmallVector<Type> resultTypes;
  for (Value v : results)
    resultTypes.push_back(v.getType());
  func.setFunctionType(b.getFunctionType(argTypes, resultTypes));

  // Graph input / output names become the compiled model's tensor names
  // (docs/ABI.md) where they fit its character set; others keep the
  // positional defaults (input0, output0, ...).
  auto isAbiName = [](StringRef name) {
    return !name.empty() && name.size() <= 255 &&
           llvm::all_of(name, [](char c) {
             return llvm::isAlnum(c) || c == '_' || c == '.' || c == ':' ||
                    c == '-';
           });
  };
  for (auto [i, arg] : llvm::enumerate(args)) {
    if (isAbiName(arg.first))
      func.setArgAttr(i, "qnt.name", b.getStringAttr(arg.first));
    if (isOnnxUnsigned(arg.second) && arg.second != kBool)
      func.setArgAttr(i, "qnt.unsigned", b.getUnitAttr());
  }
  for (auto [i, out] : llvm::enumerate(graph.output())) {
    if (isAbiName(out.name()))
      func.setResultAttr(i, "qnt.name", b.getStringAttr(out.name()));
    if (isOnnxUnsigned(resultOnnxTypes[i]) &&
        !elementTypeOf(results[i]).isInteger(1))
      func.setResultAttr(i, "qnt.unsigned", b.getUnitAttr());
  }
  return success();
}

OwningOpRef<ModuleOp> Importer::run() {
  // Opsets.
  for (const onnx::OperatorSetIdProto &id : model.opset_import()) {
    StringRef domain = id.domain();
    if (domain.empty() || domain == "ai.onnx")
      opset = id.version();
    else if (domain == "com.microsoft")
      msOpset = id.version();
  }
  if (opset == 0)
    opset = 1;
  if (opset < 1 || opset > 23) {
    modelError() << "unsupported opset version " << opset
                 << " for domain 'ai.onnx' (supported: 1 to 23)";
    return nullptr;
  }
  if (msOpset > 1) {
    modelError() << "unsupported opset version " << msOpset
                 << " for domain 'com.microsoft' (supported: 1)";
    return nullptr;
  }
  if (!model.has_graph()) {
    modelError() << "the model has no graph";
    return nullptr;
  }

  OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
  if (failed(importGraph(*module)))
    return nullptr;
  if (failed(verify(*module)))
    return nullptr;
  return module;
}

//===----------------------------------------------------------------------===//
// Public API
//===----------------------------------------------------------------------===//

std::string mlir::qnt::parseOnnxInputShape(
    StringRef text, std::pair<std::string, SmallVector<int64_t>> &result) {
  auto [name, dims] = text.rsplit('=');
  if (name.empty() || dims.empty() || !text.contains('='))
    return "expected NAME=D0xD1x..., got '" + text.str() + "'";
  result.first = name.str();
  result.second.clear();
  SmallVector<StringRef> parts;
  dims.split(parts, 'x');
  for (StringRef part : parts) {
    int64_t d;
    if (part.trim().getAsInteger(10, d) || d < 0)
      return "bad dimension '" + part.str() + "' in '" + text.str() + "'";
    result.second.push_back(d);
  }
  return "";
}

void mlir::qnt::registerOnnxImportDialects(DialectRegistry &registry) {
  registry.insert<arith::ArithDialect, func::FuncDialect, linalg::LinalgDialect,
                  math::MathDialect, scf::SCFDialect, tensor::TensorDialect,
                  tosa::TosaDialect, QntDialect>();
}

OwningOpRef<ModuleOp>
mlir::qnt::importOnnxModel(StringRef path, MLIRContext &context,
                           const OnnxImportOptions &options) {
  DialectRegistry registry;
  registerOnnxImportDialects(registry);
  context.appendDialectRegistry(registry);
  context.loadAllAvailableDialects();

  Location fileLoc = FileLineColLoc::get(&context, path, 0, 0);
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> file =
      llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                  /*RequiresNullTerminator=*/false);
  if (!file) {
    emitError(fileLoc) << "cannot read '" << path
                       << "': " << file.getError().message();
    return nullptr;
  }
  onnx::ModelProto model;
  bool parsed = false;
  try {
    google::protobuf::io::ArrayInputStream stream(
        (*file)->getBufferStart(), int((*file)->getBufferSize()));
    google::protobuf::io::CodedInputStream coded(&stream);
    coded.SetTotalBytesLimit(INT32_MAX);
    parsed =
        model.ParseFromCodedStream(&coded) && coded.ConsumedEntireMessage();
  } catch (const std::exception &e) {
    parsed = false;
  }
  if (!parsed) {
    emitError(fileLoc) << "'" << path
                       << "' is not a valid ONNX model (truncated or corrupt "
                          "protobuf)";
    return nullptr;
  }
  try {
    Importer importer(context, model, path, options);
    return importer.run();
  } catch (const std::exception &e) {
    emitError(fileLoc) << "internal error while importing '" << path
                       << "': " << e.what();
    return nullptr;
  }
}

//===- ModelAbi.cpp - the C ABI of a compiled model -----------------------===//
//
// Two halves, one on each side of the lowering pipeline (docs/ABI.md):
//  * before bufferization, `<prefix>_run_memref`: a destination-passing
//    wrapper on memrefs around the entry function (bufferization.to_tensor
//    restrict for inputs, materialize_in_destination restrict writable into
//    the output memrefs), so one-shot bufferization writes results straight
//    into the caller's buffers;
//  * after lowering to the LLVM dialect, `<prefix>_run` on raw pointers, the
//    metadata functions and the quant_model_* aliases, built as LLVM dialect
//    ops so the model is one object with no C compiler involved.
//
//===----------------------------------------------------------------------===//

#include "quant/Compiler/Compiler.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/raw_ostream.h"

#include <functional>

using namespace mlir;
using namespace mlir::qnt;

//===----------------------------------------------------------------------===//
// Types and names
//===----------------------------------------------------------------------===//

/// numpy descriptor of a supported element type, or an empty string.
static std::string getNumpyDtype(Type type) {
  if (type.isF32())
    return "<f4";
  if (type.isF16())
    return "<f2";
  if (type.isF64())
    return "<f8";
  // numpy has no bfloat16: ml_dtypes' name (quant-run exchanges these
  // tensors as float32 .npy files).
  if (type.isBF16())
    return "bfloat16";
  auto intType = dyn_cast<IntegerType>(type);
  if (!intType)
    return "";
  unsigned width = intType.getWidth();
  if (width == 1)
    return intType.isUnsigned() ? "" : "|b1";
  char kind = intType.isUnsigned() ? 'u' : 'i';
  switch (width) {
  case 8:
    return std::string("|") + kind + "1";
  case 16:
  case 32:
  case 64:
    return std::string("<") + kind + std::to_string(width / 8);
  default:
    return "";
  }
}

static int64_t getElementBytes(Type type) {
  if (type.isInteger(1))
    return 1;
  return type.getIntOrFloatBitWidth() / 8;
}

int64_t AbiTensor::getNumElements() const {
  int64_t count = 1;
  for (int64_t dim : shape)
    count *= dim;
  return count;
}

int64_t AbiTensor::getSizeInBytes() const {
  return getNumElements() * getElementBytes(elementType);
}

std::string mlir::qnt::sanitizeSymbolPrefix(StringRef name) {
  std::string result;
  for (char c : name)
    result.push_back(llvm::isAlnum(c) || c == '_' ? c : '_');
  if (result.empty() || llvm::isDigit(result.front()))
    result = "m_" + result;
  return result;
}

static bool isValidPrefix(StringRef prefix) {
  return !prefix.empty() && !llvm::isDigit(prefix.front()) &&
         llvm::all_of(prefix,
                      [](char c) { return llvm::isAlnum(c) || c == '_'; });
}

/// Names end up in C strings, header comments and file names (quant-run
/// writes DIR/<name>.npy), so they keep to a conservative set.
static bool isValidTensorName(StringRef name) {
  return !name.empty() && name.size() <= 255 && name != "." && name != ".." &&
         llvm::all_of(name, [](char c) {
           return llvm::isAlnum(c) || c == '_' || c == '.' || c == '-' ||
                  c == ':';
         });
}

/// The names the ABI reserves; the module must not define any of them.
static SmallVector<std::string> getAbiSymbolSuffixes() {
  return {"run",         "run_memref",   "abi_version", "model_name",
          "num_inputs",  "num_outputs",  "input_name",  "output_name",
          "input_dtype", "output_dtype", "input_shape", "output_shape",
          "input_size",  "output_size"};
}

//===----------------------------------------------------------------------===//
// computeModelAbi
//===----------------------------------------------------------------------===//

static FailureOr<AbiTensor> makeAbiTensor(func::FuncOp func, Type type,
                                          DictionaryAttr attrs, bool isInput,
                                          unsigned index) {
  StringRef what = isInput ? "argument" : "result";
  auto fail = [&]() {
    return func.emitError() << "entry function '" << func.getSymName() << "' "
                            << what << " #" << index << " ";
  };
  auto tensorType = dyn_cast<RankedTensorType>(type);
  if (!tensorType)
    return fail() << "has type " << type
                  << "; the model ABI needs ranked tensors";
  if (!tensorType.hasStaticShape())
    return fail() << "has dynamic shape " << type
                  << "; the model ABI needs static shapes";
  if (tensorType.getEncoding())
    return fail() << "has an encoded type " << type
                  << "; the model ABI takes plain tensors";
  AbiTensor tensor;
  tensor.elementType = tensorType.getElementType();
  tensor.dtype = getNumpyDtype(tensor.elementType);
  if (tensor.dtype.empty())
    return fail() << "has element type " << tensor.elementType
                  << ", which has no numpy dtype (supported: f16, f32, f64, "
                     "bf16, i1, i8, i16, i32, i64 and their unsigned forms)";
  tensor.shape.assign(tensorType.getShape().begin(),
                      tensorType.getShape().end());
  std::string defaultName =
      (isInput ? "input" : "output") + std::to_string(index);
  tensor.name = defaultName;
  if (attrs && attrs.get("qnt.unsigned")) {
    // Imported models keep signless integers inside; the attribute says the
    // model's tensor is unsigned (ONNX uint8 ...), so callers see '|u1'.
    auto intType = dyn_cast<IntegerType>(tensor.elementType);
    if (!intType || intType.getWidth() == 1)
      return fail() << "has 'qnt.unsigned' but element type "
                    << tensor.elementType << " is not a multi-bit integer";
    tensor.dtype[1] = 'u';
  }
  if (attrs) {
    if (Attribute name = attrs.get("qnt.name")) {
      auto str = dyn_cast<StringAttr>(name);
      if (!str)
        return fail() << "has a 'qnt.name' that is not a string";
      tensor.name = str.str();
    }
  }
  if (!isValidTensorName(tensor.name))
    return fail() << "has name '" << tensor.name
                  << "'; names need 1 to 255 characters from [A-Za-z0-9_.:-]";
  return tensor;
}

FailureOr<ModelAbi> mlir::qnt::computeModelAbi(ModuleOp module, StringRef entry,
                                               StringRef prefix) {
  if (!isValidPrefix(prefix))
    return emitError(module.getLoc())
           << "symbol prefix '" << prefix
           << "' is not a C identifier ([A-Za-z_][A-Za-z0-9_]*)";

  func::FuncOp func;
  if (!entry.empty()) {
    func = module.lookupSymbol<func::FuncOp>(entry);
    if (!func) {
      InFlightDiagnostic diag = emitError(module.getLoc())
                                << "entry function '" << entry << "' not found";
      SmallVector<StringRef> names;
      for (auto candidate : module.getOps<func::FuncOp>())
        if (candidate.isPublic() && !candidate.isExternal())
          names.push_back(candidate.getSymName());
      if (!names.empty())
        diag << "; public functions: " << llvm::join(names, ", ");
      return failure();
    }
    if (func.isExternal())
      return func.emitError() << "entry function '" << entry << "' has no body";
  } else {
    SmallVector<func::FuncOp> publicFuncs;
    for (auto candidate : module.getOps<func::FuncOp>())
      if (candidate.isPublic() && !candidate.isExternal())
        publicFuncs.push_back(candidate);
    if (publicFuncs.empty())
      return emitError(module.getLoc())
             << "the module has no public func.func to compile";
    if (publicFuncs.size() > 1) {
      SmallVector<StringRef> names;
      for (func::FuncOp candidate : publicFuncs)
        names.push_back(candidate.getSymName());
      return emitError(module.getLoc())
             << "the module has " << publicFuncs.size() << " public functions ("
             << llvm::join(names, ", ") << "); choose one with --entry";
    }
    func = publicFuncs.front();
  }

  ModelAbi abi;
  abi.prefix = prefix.str();
  abi.entry = func.getSymName().str();
  FunctionType type = func.getFunctionType();
  for (auto [i, argType] : llvm::enumerate(type.getInputs())) {
    FailureOr<AbiTensor> tensor =
        makeAbiTensor(func, argType, func.getArgAttrDict(i), true, i);
    if (failed(tensor))
      return failure();
    abi.inputs.push_back(std::move(*tensor));
  }
  for (auto [i, resultType] : llvm::enumerate(type.getResults())) {
    FailureOr<AbiTensor> tensor =
        makeAbiTensor(func, resultType, func.getResultAttrDict(i), false, i);
    if (failed(tensor))
      return failure();
    abi.outputs.push_back(std::move(*tensor));
  }
  if (abi.outputs.empty())
    return func.emitError() << "entry function '" << abi.entry
                            << "' returns nothing; a model needs at least one "
                               "output";
  for (bool inputs : {true, false}) {
    llvm::StringSet<> seen;
    for (const AbiTensor &tensor : inputs ? abi.inputs : abi.outputs)
      if (!seen.insert(tensor.name).second)
        return func.emitError()
               << "entry function '" << abi.entry << "' has two "
               << (inputs ? "inputs" : "outputs") << " named '" << tensor.name
               << "'";
  }

  // The ABI symbols (and their aliases) must be free.
  for (StringRef base : {StringRef(abi.prefix), StringRef(kModelAliasPrefix)})
    for (const std::string &suffix : getAbiSymbolSuffixes()) {
      std::string name = (base + "_" + suffix).str();
      if (Operation *clash = module.lookupSymbol(name))
        return clash->emitError()
               << "symbol '" << name
               << "' is reserved for the model ABI; choose another "
                  "prefix";
    }
  return abi;
}

//===----------------------------------------------------------------------===//
// buildAbiWrapper
//===----------------------------------------------------------------------===//

LogicalResult mlir::qnt::buildAbiWrapper(ModuleOp module, const ModelAbi &abi) {
  auto entry = module.lookupSymbol<func::FuncOp>(abi.entry);
  if (!entry)
    return emitError(module.getLoc())
           << "entry function '" << abi.entry << "' not found";
  MLIRContext *ctx = module.getContext();
  ctx->getOrLoadDialect<bufferization::BufferizationDialect>();
  Location loc = entry.getLoc();

  SmallVector<Type> argTypes;
  for (const AbiTensor &tensor : abi.inputs)
    argTypes.push_back(MemRefType::get(tensor.shape, tensor.elementType));
  for (const AbiTensor &tensor : abi.outputs)
    argTypes.push_back(MemRefType::get(tensor.shape, tensor.elementType));

  OpBuilder builder(ctx);
  builder.setInsertionPointToEnd(module.getBody());
  auto wrapper = func::FuncOp::create(builder, loc, abi.prefix + "_run_memref",
                                      builder.getFunctionType(argTypes, {}));
  wrapper->setAttr("llvm.emit_c_interface", builder.getUnitAttr());
  Block *body = wrapper.addEntryBlock();
  builder.setInsertionPointToStart(body);

  FunctionType entryType = entry.getFunctionType();
  SmallVector<Value> inputs;
  for (auto [i, type] : llvm::enumerate(entryType.getInputs()))
    inputs.push_back(bufferization::ToTensorOp::create(
        builder, loc, type, body->getArgument(i), /*restrict=*/true,
        /*writable=*/false));

  // A single-block entry is cloned into the wrapper, so bufferization can
  // compute results in place in the output buffers; anything else is called.
  SmallVector<Value> results;
  if (entry.getBody().hasOneBlock()) {
    IRMapping mapping;
    Block &entryBlock = entry.getBody().front();
    mapping.map(entryBlock.getArguments(), inputs);
    for (Operation &op : entryBlock.without_terminator())
      builder.clone(op, mapping);
    for (Value value : entryBlock.getTerminator()->getOperands())
      results.push_back(mapping.lookupOrDefault(value));
  } else {
    auto call = func::CallOp::create(builder, loc, entry, inputs);
    results.assign(call.getResults().begin(), call.getResults().end());
  }
  for (auto [i, result] : llvm::enumerate(results))
    bufferization::MaterializeInDestinationOp::create(
        builder, loc, TypeRange(), result,
        body->getArgument(abi.inputs.size() + i), /*restrict=*/true,
        /*writable=*/true);
  func::ReturnOp::create(builder, loc);

  // Only the wrapper stays public; symbol-dce then drops what it never uses.
  for (auto func : module.getOps<func::FuncOp>())
    if (func != wrapper && !func.isExternal())
      func.setPrivate();
  return success();
}

//===----------------------------------------------------------------------===//
// buildAbiExports
//===----------------------------------------------------------------------===//

namespace {

/// Builds the LLVM dialect side of the ABI.
class ExportBuilder {
public:
  ExportBuilder(ModuleOp module, const ModelAbi &abi, StringRef modelName)
      : module(module), abi(abi), modelName(modelName),
        builder(module.getContext()), loc(module.getLoc()) {
    ptrType = LLVM::LLVMPointerType::get(module.getContext());
    i32Type = builder.getI32Type();
    i64Type = builder.getI64Type();
  }

  LogicalResult build();

private:
  std::string sym(StringRef suffix) const {
    return abi.prefix + "_" + suffix.str();
  }
  /// An internal constant global holding `value` and a NUL.
  std::string addString(StringRef value);
  /// An internal constant array of i64 (at least one element).
  std::string addI64Array(ArrayRef<int64_t> values);
  /// An internal constant array of the addresses of `symbols`.
  std::string addPointerTable(ArrayRef<std::string> symbols);
  std::string addI32Table(ArrayRef<int32_t> values);
  LLVM::LLVMFuncOp addFunction(StringRef name, Type result,
                               ArrayRef<Type> args);
  Value constI32(int32_t value) {
    return LLVM::ConstantOp::create(builder, loc, i32Type,
                                    builder.getI32IntegerAttr(value));
  }
  /// `int f(void)` returning `value`.
  void buildConstantFunction(StringRef name, int32_t value);
  /// `const char *f(void)` returning the string.
  void buildStringFunction(StringRef name, StringRef value);
  /// `T f(int i [, int *rank])`: range-checks i, then `onValid(block, i64)`
  /// or `onInvalid(block)` build the return.
  void buildIndexedFunction(StringRef name, Type result, bool withRank,
                            int32_t count,
                            const std::function<void(Value, Value)> &onValid,
                            const std::function<void(Value)> &onInvalid);
  void buildTableLookup(
      StringRef name, ArrayRef<AbiTensor> tensors,
      const std::function<std::string(const AbiTensor &)> &makeGlobal);
  void buildShapeFunction(StringRef name, ArrayRef<AbiTensor> tensors);
  void buildSizeFunction(StringRef name, ArrayRef<AbiTensor> tensors);
  LogicalResult buildRun();
  void buildAliases();
  std::string uniqueName(StringRef base);

  ModuleOp module;
  const ModelAbi &abi;
  StringRef modelName;
  OpBuilder builder;
  Location loc;
  Type ptrType, i32Type, i64Type;
  SmallVector<std::string> exported;
  unsigned counter = 0;
};

} // namespace

std::string ExportBuilder::uniqueName(StringRef base) {
  std::string name;
  do {
    name =
        ("__quant_" + abi.prefix + "_" + base + "_" + std::to_string(counter++))
            .str();
  } while (module.lookupSymbol(name));
  return name;
}

std::string ExportBuilder::addString(StringRef value) {
  std::string name = uniqueName("str");
  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPointToEnd(module.getBody());
  std::string data = value.str();
  data.push_back('\0');
  auto type = LLVM::LLVMArrayType::get(builder.getI8Type(), data.size());
  LLVM::GlobalOp::create(builder, loc, type, /*isConstant=*/true,
                         LLVM::Linkage::Internal, name,
                         builder.getStringAttr(data));
  return name;
}

std::string ExportBuilder::addI64Array(ArrayRef<int64_t> values) {
  std::string name = uniqueName("shape");
  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPointToEnd(module.getBody());
  SmallVector<int64_t> data(values.begin(), values.end());
  if (data.empty())
    data.push_back(0);
  auto type = LLVM::LLVMArrayType::get(i64Type, data.size());
  auto tensorType = RankedTensorType::get({int64_t(data.size())}, i64Type);
  LLVM::GlobalOp::create(builder, loc, type, /*isConstant=*/true,
                         LLVM::Linkage::Internal, name,
                         DenseElementsAttr::get(tensorType, ArrayRef(data)));
  return name;
}

std::string ExportBuilder::addI32Table(ArrayRef<int32_t> values) {
  std::string name = uniqueName("ranks");
  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPointToEnd(module.getBody());
  auto type = LLVM::LLVMArrayType::get(i32Type, values.size());
  auto tensorType = RankedTensorType::get({int64_t(values.size())}, i32Type);
  LLVM::GlobalOp::create(builder, loc, type, /*isConstant=*/true,
                         LLVM::Linkage::Internal, name,
                         DenseElementsAttr::get(tensorType, values));
  return name;
}

std::string ExportBuilder::addPointerTable(ArrayRef<std::string> symbols) {
  std::string name = uniqueName("table");
  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPointToEnd(module.getBody());
  auto type = LLVM::LLVMArrayType::get(ptrType, symbols.size());
  auto global =
      LLVM::GlobalOp::create(builder, loc, type, /*isConstant=*/true,
                             LLVM::Linkage::Internal, name, Attribute());
  Block *init = builder.createBlock(&global.getInitializerRegion());
  builder.setInsertionPointToStart(init);
  Value table = LLVM::UndefOp::create(builder, loc, type);
  for (auto [i, symbol] : llvm::enumerate(symbols)) {
    Value address = LLVM::AddressOfOp::create(builder, loc, ptrType, symbol);
    table = LLVM::InsertValueOp::create(builder, loc, table, address,
                                        ArrayRef<int64_t>{int64_t(i)});
  }
  LLVM::ReturnOp::create(builder, loc, table);
  return name;
}

LLVM::LLVMFuncOp ExportBuilder::addFunction(StringRef name, Type result,
                                            ArrayRef<Type> args) {
  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPointToEnd(module.getBody());
  auto func = LLVM::LLVMFuncOp::create(
      builder, loc, name, LLVM::LLVMFunctionType::get(result, args));
  exported.push_back(name.str());
  return func;
}

void ExportBuilder::buildConstantFunction(StringRef name, int32_t value) {
  LLVM::LLVMFuncOp func = addFunction(name, i32Type, {});
  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPointToStart(func.addEntryBlock(builder));
  LLVM::ReturnOp::create(builder, loc, constI32(value));
}

void ExportBuilder::buildStringFunction(StringRef name, StringRef value) {
  std::string global = addString(value);
  LLVM::LLVMFuncOp func = addFunction(name, ptrType, {});
  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPointToStart(func.addEntryBlock(builder));
  Value address = LLVM::AddressOfOp::create(builder, loc, ptrType, global);
  LLVM::ReturnOp::create(builder, loc, address);
}

void ExportBuilder::buildIndexedFunction(
    StringRef name, Type result, bool withRank, int32_t count,
    const std::function<void(Value, Value)> &onValid,
    const std::function<void(Value)> &onInvalid) {
  SmallVector<Type> args = {i32Type};
  if (withRank)
    args.push_back(ptrType);
  LLVM::LLVMFuncOp func = addFunction(name, result, args);
  OpBuilder::InsertionGuard guard(builder);
  Block *entry = func.addEntryBlock(builder);
  Region &region = func.getBody();
  Block *valid = builder.createBlock(&region);
  Block *invalid = builder.createBlock(&region);
  Value rank = withRank ? entry->getArgument(1) : Value();

  builder.setInsertionPointToStart(entry);
  Value index = entry->getArgument(0);
  Value negative = LLVM::ICmpOp::create(builder, loc, LLVM::ICmpPredicate::slt,
                                        index, constI32(0));
  Value tooLarge = LLVM::ICmpOp::create(builder, loc, LLVM::ICmpPredicate::sge,
                                        index, constI32(count));
  Value bad = LLVM::OrOp::create(builder, loc, negative, tooLarge);
  LLVM::CondBrOp::create(builder, loc, bad, invalid, valid);

  builder.setInsertionPointToStart(valid);
  Value index64 = LLVM::SExtOp::create(builder, loc, i64Type, index);
  onValid(index64, rank);
  builder.setInsertionPointToStart(invalid);
  onInvalid(rank);
}

void ExportBuilder::buildTableLookup(
    StringRef name, ArrayRef<AbiTensor> tensors,
    const std::function<std::string(const AbiTensor &)> &makeGlobal) {
  SmallVector<std::string> globals;
  for (const AbiTensor &tensor : tensors)
    globals.push_back(makeGlobal(tensor));
  std::string table = addPointerTable(globals);
  auto tableType = LLVM::LLVMArrayType::get(ptrType, globals.size());
  buildIndexedFunction(
      name, ptrType, /*withRank=*/false, tensors.size(),
      [&](Value index, Value) {
        Value base = LLVM::AddressOfOp::create(builder, loc, ptrType, table);
        Value slot = LLVM::GEPOp::create(
            builder, loc, ptrType, tableType, base,
            ArrayRef<LLVM::GEPArg>{LLVM::GEPArg(0), LLVM::GEPArg(index)});
        Value value = LLVM::LoadOp::create(builder, loc, ptrType, slot);
        LLVM::ReturnOp::create(builder, loc, value);
      },
      [&](Value) {
        LLVM::ReturnOp::create(builder, loc,
                               LLVM::ZeroOp::create(builder, loc, ptrType));
      });
}

void ExportBuilder::buildShapeFunction(StringRef name,
                                       ArrayRef<AbiTensor> tensors) {
  SmallVector<std::string> shapes;
  SmallVector<int32_t> ranks;
  for (const AbiTensor &tensor : tensors) {
    shapes.push_back(addI64Array(tensor.shape));
    ranks.push_back(tensor.shape.size());
  }
  std::string shapeTable = addPointerTable(shapes);
  std::string rankTable = addI32Table(ranks);
  auto shapeTableType = LLVM::LLVMArrayType::get(ptrType, shapes.size());
  auto rankTableType = LLVM::LLVMArrayType::get(i32Type, ranks.size());

  // Stores `value` through `rank` unless it is null, then returns `result`.
  auto storeRankAndReturn = [&](Value rank, Value value, Value result) {
    Block *current = builder.getInsertionBlock();
    Region *region = current->getParent();
    Block *store = builder.createBlock(region);
    Block *done = builder.createBlock(region);
    builder.setInsertionPointToEnd(current);
    Value null = LLVM::ZeroOp::create(builder, loc, ptrType);
    Value isNull =
        LLVM::ICmpOp::create(builder, loc, LLVM::ICmpPredicate::eq, rank, null);
    LLVM::CondBrOp::create(builder, loc, isNull, done, store);
    builder.setInsertionPointToStart(store);
    LLVM::StoreOp::create(builder, loc, value, rank);
    LLVM::BrOp::create(builder, loc, done);
    builder.setInsertionPointToStart(done);
    LLVM::ReturnOp::create(builder, loc, result);
  };

  buildIndexedFunction(
      name, ptrType, /*withRank=*/true, tensors.size(),
      [&](Value index, Value rank) {
        Value base =
            LLVM::AddressOfOp::create(builder, loc, ptrType, shapeTable);
        Value slot = LLVM::GEPOp::create(
            builder, loc, ptrType, shapeTableType, base,
            ArrayRef<LLVM::GEPArg>{LLVM::GEPArg(0), LLVM::GEPArg(index)});
        Value shape = LLVM::LoadOp::create(builder, loc, ptrType, slot);
        Value rankBase =
            LLVM::AddressOfOp::create(builder, loc, ptrType, rankTable);
        Value rankSlot = LLVM::GEPOp::create(
            builder, loc, ptrType, rankTableType, rankBase,
            ArrayRef<LLVM::GEPArg>{LLVM::GEPArg(0), LLVM::GEPArg(index)});
        Value rankValue = LLVM::LoadOp::create(builder, loc, i32Type, rankSlot);
        storeRankAndReturn(rank, rankValue, shape);
      },
      [&](Value rank) {
        storeRankAndReturn(rank, constI32(-1),
                           LLVM::ZeroOp::create(builder, loc, ptrType));
      });
}

void ExportBuilder::buildSizeFunction(StringRef name,
                                      ArrayRef<AbiTensor> tensors) {
  SmallVector<int64_t> sizes;
  for (const AbiTensor &tensor : tensors)
    sizes.push_back(tensor.getSizeInBytes());
  std::string table = addI64Array(sizes);
  auto tableType =
      LLVM::LLVMArrayType::get(i64Type, std::max<size_t>(sizes.size(), 1));
  buildIndexedFunction(
      name, i64Type, /*withRank=*/false, tensors.size(),
      [&](Value index, Value) {
        Value base = LLVM::AddressOfOp::create(builder, loc, ptrType, table);
        Value slot = LLVM::GEPOp::create(
            builder, loc, ptrType, tableType, base,
            ArrayRef<LLVM::GEPArg>{LLVM::GEPArg(0), LLVM::GEPArg(index)});
        LLVM::ReturnOp::create(
            builder, loc, LLVM::LoadOp::create(builder, loc, i64Type, slot));
      },
      [&](Value) {
        LLVM::ReturnOp::create(
            builder, loc,
            LLVM::ConstantOp::create(builder, loc, i64Type,
                                     builder.getI64IntegerAttr(-1)));
      });
}

LogicalResult ExportBuilder::buildRun() {
  std::string memrefName = sym("run_memref");
  auto memrefFunc = module.lookupSymbol<LLVM::LLVMFuncOp>(memrefName);
  if (!memrefFunc)
    return emitError(loc) << "the lowered module has no '" << memrefName
                          << "'; the pipeline dropped the ABI wrapper";
  // func-to-llvm expands each memref into (allocated, aligned, offset,
  // sizes..., strides...).
  size_t expected = 0;
  for (ArrayRef<AbiTensor> group :
       {ArrayRef(abi.inputs), ArrayRef(abi.outputs)})
    for (const AbiTensor &tensor : group)
      expected += 3 + 2 * tensor.shape.size();
  if (memrefFunc.getNumArguments() != expected)
    return memrefFunc.emitError()
           << "lowered '" << memrefName << "' has "
           << memrefFunc.getNumArguments() << " arguments, expected "
           << expected << " (expanded memref descriptors)";

  LLVM::LLVMFuncOp func = addFunction(sym("run"), i32Type, {ptrType, ptrType});
  OpBuilder::InsertionGuard guard(builder);
  Block *entry = func.addEntryBlock(builder);
  Region &region = func.getBody();
  Block *load = builder.createBlock(&region);
  Block *call = builder.createBlock(&region);
  Block *fail = builder.createBlock(&region);
  Value inputs = entry->getArgument(0);
  Value outputs = entry->getArgument(1);

  // Null arrays (the input array may be null only without inputs).
  builder.setInsertionPointToStart(entry);
  Value null = LLVM::ZeroOp::create(builder, loc, ptrType);
  Value bad = LLVM::ICmpOp::create(builder, loc, LLVM::ICmpPredicate::eq,
                                   outputs, null);
  if (!abi.inputs.empty())
    bad = LLVM::OrOp::create(builder, loc, bad,
                             LLVM::ICmpOp::create(builder, loc,
                                                  LLVM::ICmpPredicate::eq,
                                                  inputs, null));
  LLVM::CondBrOp::create(builder, loc, bad, fail, load);

  // Null buffers.
  builder.setInsertionPointToStart(load);
  SmallVector<Value> pointers;
  Value anyNull = LLVM::ConstantOp::create(builder, loc, builder.getI1Type(),
                                           builder.getBoolAttr(false));
  auto loadPointers = [&](Value array, size_t count) {
    for (size_t i = 0; i < count; ++i) {
      Value slot = LLVM::GEPOp::create(builder, loc, ptrType, ptrType, array,
                                       ArrayRef<LLVM::GEPArg>{int32_t(i)});
      Value pointer = LLVM::LoadOp::create(builder, loc, ptrType, slot);
      pointers.push_back(pointer);
      anyNull = LLVM::OrOp::create(builder, loc, anyNull,
                                   LLVM::ICmpOp::create(builder, loc,
                                                        LLVM::ICmpPredicate::eq,
                                                        pointer, null));
    }
  };
  loadPointers(inputs, abi.inputs.size());
  loadPointers(outputs, abi.outputs.size());
  LLVM::CondBrOp::create(builder, loc, anyNull, fail, call);

  // Contiguous row-major descriptors around the caller's buffers.
  builder.setInsertionPointToStart(call);
  SmallVector<Value> args;
  auto i64 = [&](int64_t value) -> Value {
    return LLVM::ConstantOp::create(builder, loc, i64Type,
                                    builder.getI64IntegerAttr(value));
  };
  size_t pointerIndex = 0;
  for (ArrayRef<AbiTensor> group :
       {ArrayRef(abi.inputs), ArrayRef(abi.outputs)})
    for (const AbiTensor &tensor : group) {
      Value pointer = pointers[pointerIndex++];
      args.push_back(pointer);
      args.push_back(pointer);
      args.push_back(i64(0));
      for (int64_t dim : tensor.shape)
        args.push_back(i64(dim));
      int64_t stride = 1;
      SmallVector<Value> strides(tensor.shape.size());
      for (int64_t d = tensor.shape.size() - 1; d >= 0; --d) {
        strides[d] = i64(stride);
        stride *= tensor.shape[d];
      }
      args.append(strides.begin(), strides.end());
    }
  LLVM::CallOp::create(builder, loc, memrefFunc, args);
  LLVM::ReturnOp::create(builder, loc, constI32(0));

  builder.setInsertionPointToStart(fail);
  LLVM::ReturnOp::create(builder, loc, constI32(1));
  return success();
}

void ExportBuilder::buildAliases() {
  if (abi.prefix == kModelAliasPrefix)
    return;
  OpBuilder::InsertionGuard guard(builder);
  for (const std::string &name : SmallVector<std::string>(exported)) {
    auto func = module.lookupSymbol<LLVM::LLVMFuncOp>(name);
    std::string alias =
        kModelAliasPrefix + StringRef(name).drop_front(abi.prefix.size()).str();
    builder.setInsertionPointToEnd(module.getBody());
    auto aliasOp = LLVM::AliasOp::create(builder, loc, func.getFunctionType(),
                                         LLVM::Linkage::External, alias);
    Block *init = builder.createBlock(&aliasOp.getInitializerRegion());
    builder.setInsertionPointToStart(init);
    Value address = LLVM::AddressOfOp::create(builder, loc, ptrType, name);
    LLVM::ReturnOp::create(builder, loc, address);
  }
}

LogicalResult ExportBuilder::build() {
  if (failed(buildRun()))
    return failure();
  buildConstantFunction(sym("abi_version"), kModelAbiVersion);
  buildStringFunction(sym("model_name"), modelName);
  buildConstantFunction(sym("num_inputs"), abi.inputs.size());
  buildConstantFunction(sym("num_outputs"), abi.outputs.size());
  auto nameGlobal = [&](const AbiTensor &t) { return addString(t.name); };
  auto dtypeGlobal = [&](const AbiTensor &t) { return addString(t.dtype); };
  buildTableLookup(sym("input_name"), abi.inputs, nameGlobal);
  buildTableLookup(sym("output_name"), abi.outputs, nameGlobal);
  buildTableLookup(sym("input_dtype"), abi.inputs, dtypeGlobal);
  buildTableLookup(sym("output_dtype"), abi.outputs, dtypeGlobal);
  buildShapeFunction(sym("input_shape"), abi.inputs);
  buildShapeFunction(sym("output_shape"), abi.outputs);
  buildSizeFunction(sym("input_size"), abi.inputs);
  buildSizeFunction(sym("output_size"), abi.outputs);
  buildAliases();

  // Everything else is an implementation detail of this object, except the
  // memref-level C interface of the wrapper.
  llvm::StringSet<> keep;
  for (const std::string &name : exported)
    keep.insert(name);
  keep.insert("_mlir_ciface_" + sym("run_memref"));
  for (auto func : module.getOps<LLVM::LLVMFuncOp>())
    if (!func.isExternal() && !keep.contains(func.getSymName()))
      func.setLinkage(LLVM::Linkage::Internal);
  return success();
}

LogicalResult mlir::qnt::buildAbiExports(ModuleOp module, const ModelAbi &abi,
                                         StringRef modelName) {
  return ExportBuilder(module, abi, modelName).build();
}

//===----------------------------------------------------------------------===//
// generateHeader
//===----------------------------------------------------------------------===//

static std::string formatShape(ArrayRef<int64_t> shape) {
  if (shape.empty())
    return "scalar";
  std::string text;
  for (auto [i, dim] : llvm::enumerate(shape))
    text += (i ? "x" : "") + std::to_string(dim);
  return text;
}

std::string mlir::qnt::generateHeader(const ModelAbi &abi,
                                      StringRef modelName) {
  std::string text;
  llvm::raw_string_ostream os(text);
  std::string guard = StringRef(abi.prefix).upper() + "_MODEL_H";
  const std::string &p = abi.prefix;
  os << "/* " << p << ".h - C interface of the compiled model '" << modelName
     << "' (generated by quant-compile; see docs/ABI.md). */\n\n"
     << "#ifndef " << guard << "\n#define " << guard << "\n\n"
     << "#include <stdint.h>\n\n#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n"
     << "/* Entry function: " << abi.entry << "\n"
     << " *\n * Inputs (contiguous row-major, caller-owned):\n";
  auto describe = [&](ArrayRef<AbiTensor> tensors) {
    for (auto [i, t] : llvm::enumerate(tensors))
      os << " *   [" << i << "] " << t.name << ": " << formatShape(t.shape)
         << " " << t.elementType << ", dtype \"" << t.dtype << "\", "
         << t.getSizeInBytes() << " bytes\n";
  };
  describe(abi.inputs);
  if (abi.inputs.empty())
    os << " *   (none)\n";
  os << " * Outputs (contiguous row-major, caller-allocated):\n";
  describe(abi.outputs);
  os << " *\n * " << p << "_run reads inputs[i] and writes outputs[i]; it "
     << "returns 0 on success and\n * 1 if an array or a buffer pointer is "
     << "NULL. Every symbol is also exported\n * under the prefix '"
     << kModelAliasPrefix << "'. */\n\n";
  os << "int " << p
     << "_run(const void *const *inputs, void *const *outputs);\n"
     << "int " << p << "_abi_version(void); /* " << kModelAbiVersion << " */\n"
     << "const char *" << p << "_model_name(void);\n"
     << "int " << p << "_num_inputs(void); /* " << abi.inputs.size() << " */\n"
     << "int " << p << "_num_outputs(void); /* " << abi.outputs.size()
     << " */\n\n"
     << "/* Per-tensor metadata; an index out of range returns NULL (shape: "
        "and stores -1\n * through a non-NULL rank; size: returns -1). */\n";
  for (StringRef kind : {"input", "output"})
    os << "const char *" << p << "_" << kind << "_name(int index);\n"
       << "const char *" << p << "_" << kind << "_dtype(int index);\n"
       << "const int64_t *" << p << "_" << kind
       << "_shape(int index, int *rank);\n"
       << "int64_t " << p << "_" << kind << "_size(int index); /* bytes */\n";
  os << "\n#ifdef __cplusplus\n}\n#endif\n\n#endif /* " << guard << " */\n";
  return text;
}

//===- quant-ref.cpp - IR lowering vs C++ reference test driver -----------===//
//
// Bit-exact comparison of the reference lowering (convert-qnt-to-linalg and
// the reference pipeline) against the C++ reference encode / decode.
//
//   quant-ref --encoding='#qnt.uniform<...>' --shape=7x45 --m=3 --seed=1
//             --emit=mlir       a module whose @main builds the encoded weight
//                               as a qnt.constant (parts from referenceEncode
//                               of random data), runs qnt.dequantize,
//                               qnt.matmul (bias, activation, residual) and
//                               qnt.quantize, and prints every result as raw
//                               bits with printMemrefI32;
//             --emit=expected   the same results computed in C++;
//   quant-ref --compare=<mlir-runner output> --expected=<file> [--rtol=1e-6]
//             compares them; exits non-zero on the first mismatch.
//
//===----------------------------------------------------------------------===//

#include "quant/Dialect/Qnt/IR/QntAttrs.h"
#include "quant/Dialect/Qnt/IR/QntDialect.h"
#include "quant/Dialect/Qnt/IR/QntOps.h"
#include "quant/InitAll.h"

#include "mlir/AsmParser/AsmParser.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Interfaces/DataLayoutInterfaces.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <cstring>

using namespace mlir;
using namespace mlir::qnt;

static llvm::cl::opt<std::string>
    encodingOpt("encoding", llvm::cl::desc("the #qnt encoding to test"));
static llvm::cl::opt<std::string>
    shapeOpt("shape", llvm::cl::desc("logical weight shape, e.g. 7x45"));
static llvm::cl::opt<int64_t> mOpt("m", llvm::cl::desc("lhs rows"),
                                   llvm::cl::init(1));
static llvm::cl::opt<unsigned> seedOpt("seed", llvm::cl::desc("random seed"),
                                       llvm::cl::init(1));
static llvm::cl::opt<std::string>
    activationOpt("activation",
                  llvm::cl::desc("none, relu, gelu, gelu_tanh or silu"),
                  llvm::cl::init("gelu"));
static llvm::cl::opt<bool>
    quantizeOpt("quantize",
                llvm::cl::desc("also test qnt.quantize (IR encode)"),
                llvm::cl::init(true));
static llvm::cl::opt<bool> paramsOpt(
    "params",
    llvm::cl::desc("pass the reference's parameter parts to qnt.quantize "
                   "instead of letting it derive them"),
    llvm::cl::init(false));
static llvm::cl::opt<bool> matmulOpt("matmul",
                                     llvm::cl::desc("also test qnt.matmul"),
                                     llvm::cl::init(true));
static llvm::cl::opt<std::string>
    emitOpt("emit", llvm::cl::desc("mlir or expected"), llvm::cl::init(""));
static llvm::cl::opt<std::string>
    compareOpt("compare", llvm::cl::desc("mlir-runner output to check"),
               llvm::cl::init(""));
static llvm::cl::opt<std::string>
    expectedOpt("expected", llvm::cl::desc("file written by --emit=expected"),
                llvm::cl::init(""));
static llvm::cl::opt<double>
    rtolOpt("rtol",
            llvm::cl::desc("relative tolerance of float (matmul) results"),
            llvm::cl::init(1e-6));

namespace {

//===----------------------------------------------------------------------===//
// Deterministic data
//===----------------------------------------------------------------------===//

int64_t getNumElementsOf(ArrayRef<int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

/// A small xorshift generator: the same numbers on every platform.
struct Random {
  uint64_t state;
  explicit Random(uint64_t seed) : state(seed * 0x9E3779B97F4A7C15ull + 1) {}
  uint32_t next() {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return static_cast<uint32_t>(state >> 32);
  }
  /// Uniform in [-1, 1) on a 2^-23 grid.
  float uniform() { return float(int32_t(next() >> 8) - (1 << 23)) * 0x1p-23f; }
};

/// Weight-like data: mostly small, a few input channels (innermost index)
/// much larger, as real layers have; one exact zero now and then.
std::vector<float> makeWeights(ArrayRef<int64_t> shape, unsigned seed) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  int64_t cols = shape.back();
  Random rng(seed);
  std::vector<float> data(n);
  for (int64_t i = 0; i < n; ++i) {
    int64_t col = i % cols;
    float scale = ((col * 7 + seed) % 11 == 0) ? 6.0f : 1.0f;
    data[i] = rng.uniform() * scale;
    if (rng.next() % 37 == 0)
      data[i] = 0.0f;
  }
  return data;
}

std::vector<float> makeData(int64_t n, unsigned seed) {
  Random rng(seed);
  std::vector<float> data(n);
  for (float &v : data)
    v = rng.uniform();
  return data;
}

//===----------------------------------------------------------------------===//
// The test case
//===----------------------------------------------------------------------===//

struct TestCase {
  EncodingAttrInterface encoding;
  SmallVector<int64_t> shape;
  std::vector<float> weights;
  PartsData parts;
  std::vector<float> lhs, bias, residual;
  SmallVector<int64_t> lhsShape, outShape;
  Activation activation = Activation::None;
  bool hasMatmul = false;
  bool hasQuantize = false;
};

/// Encodings whose encode has an IR form (see buildEncode).
bool hasIREncode(Attribute attr) {
  if (isa<UniformAttr, MinifloatAttr, BinaryAttr, TernaryAttr, PlainAttr>(attr))
    return true;
  if (auto lut = dyn_cast<LutAttr>(attr))
    return lut.hasFixedTable() || lut.isNF4();
  return false;
}

FailureOr<SmallVector<int64_t>> parseShape(StringRef text) {
  SmallVector<int64_t> shape;
  SmallVector<StringRef> pieces;
  text.split(pieces, 'x');
  for (StringRef piece : pieces) {
    int64_t d;
    if (piece.getAsInteger(10, d) || d <= 0)
      return failure();
    shape.push_back(d);
  }
  if (shape.empty())
    return failure();
  return shape;
}

LogicalResult setUp(MLIRContext &ctx, TestCase &tc) {
  auto fail = [](const Twine &message) {
    llvm::errs() << "quant-ref: " << message << "\n";
    return failure();
  };
  Attribute attr = parseAttribute(encodingOpt, &ctx);
  if (!attr)
    return fail("cannot parse --encoding='" + encodingOpt + "'");
  tc.encoding = dyn_cast<EncodingAttrInterface>(attr);
  if (!tc.encoding)
    return fail("--encoding is not a qnt encoding");
  FailureOr<SmallVector<int64_t>> shape = parseShape(shapeOpt);
  if (failed(shape))
    return fail("cannot parse --shape='" + shapeOpt + "'");
  tc.shape = *shape;
  auto emitError = [&]() { return mlir::emitError(UnknownLoc::get(&ctx)); };
  if (auto verifiable = dyn_cast<VerifiableTensorEncoding>(attr))
    if (failed(verifiable.verifyEncoding(tc.shape, Float32Type::get(&ctx),
                                         emitError)))
      return failure();
  std::optional<Activation> activation = symbolizeActivation(activationOpt);
  if (!activation)
    return fail("unknown --activation='" + activationOpt + "'");
  tc.activation = *activation;

  tc.weights = makeWeights(tc.shape, seedOpt);
  if (failed(tc.encoding.referenceEncode(tc.shape, tc.weights, {}, tc.parts,
                                         emitError)))
    return fail("referenceEncode failed");
  SmallVector<PartInfo> infos = tc.encoding.getParts(tc.shape);
  if (infos.size() != tc.parts.size())
    return fail("referenceEncode returned " + Twine(tc.parts.size()) +
                " parts, the encoding has " + Twine(infos.size()));
  for (auto [info, bytes] : llvm::zip_equal(infos, tc.parts))
    if (int64_t(bytes.size()) != info.getNumBytes())
      return fail("part '" + info.name + "' has " + Twine(bytes.size()) +
                  " bytes, expected " + Twine(info.getNumBytes()));

  int64_t rank = tc.shape.size();
  tc.hasMatmul = matmulOpt && rank >= 2;
  if (tc.hasMatmul) {
    // Weight [B..., N, K]; lhs [B..., M, K]; result [B..., M, N].
    tc.lhsShape.assign(tc.shape.begin(), tc.shape.end() - 2);
    tc.outShape = tc.lhsShape;
    int64_t n = tc.shape[rank - 2], k = tc.shape[rank - 1];
    tc.lhsShape.append({int64_t(mOpt), k});
    tc.outShape.append({int64_t(mOpt), n});
    tc.lhs = makeData(getNumElementsOf(tc.lhsShape), seedOpt + 101);
    tc.bias = makeData(n, seedOpt + 202);
    tc.residual = makeData(getNumElementsOf(tc.outShape), seedOpt + 303);
  }
  tc.hasQuantize = quantizeOpt && hasIREncode(attr);
  return success();
}

//===----------------------------------------------------------------------===//
// --emit=mlir
//===----------------------------------------------------------------------===//

struct ModuleBuilder {
  OpBuilder &b;
  Location loc;
  func::FuncOp print;

  Value constant(ArrayRef<int64_t> shape, ArrayRef<float> data) {
    auto type = RankedTensorType::get(shape, b.getF32Type());
    return arith::ConstantOp::create(b, loc,
                                     DenseElementsAttr::get(type, data));
  }

  /// Converts `tensor` elementwise to i32 raw bits and prints it.
  void printBits(Value tensor) {
    auto type = cast<RankedTensorType>(tensor.getType());
    Type element = type.getElementType();
    Type i32 = b.getI32Type();
    Value bits = tensor;
    if (element != i32) {
      int64_t rank = type.getRank();
      Value init = tensor::EmptyOp::create(b, loc, type.getShape(), i32);
      AffineMap identity = b.getMultiDimIdentityMap(rank);
      bits = linalg::GenericOp::create(
                 b, loc, TypeRange{init.getType()}, ValueRange{tensor},
                 ValueRange{init}, ArrayRef<AffineMap>{identity, identity},
                 SmallVector<utils::IteratorType>(
                     rank, utils::IteratorType::parallel),
                 [&](OpBuilder &nb, Location nl, ValueRange args) {
                   Value v = args[0];
                   if (isa<FloatType>(element)) {
                     unsigned width = element.getIntOrFloatBitWidth();
                     v = arith::BitcastOp::create(nb, nl,
                                                  nb.getIntegerType(width), v);
                     element = v.getType();
                   }
                   if (element.getIntOrFloatBitWidth() < 32)
                     v = arith::ExtUIOp::create(nb, nl, nb.getI32Type(), v);
                   linalg::YieldOp::create(nb, nl, v);
                 })
                 .getResult(0);
    }
    auto bitsType = cast<RankedTensorType>(bits.getType());
    auto memrefType =
        MemRefType::get(bitsType.getShape(), bitsType.getElementType());
    Value buffer =
        bufferization::ToBufferOp::create(b, loc, memrefType, bits, true);
    Value unranked =
        memref::CastOp::create(b, loc, UnrankedMemRefType::get(i32, 0), buffer);
    func::CallOp::create(b, loc, print, ValueRange{unranked});
  }
};

OwningOpRef<ModuleOp> buildModule(MLIRContext &ctx, const TestCase &tc) {
  Location loc = UnknownLoc::get(&ctx);
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
  OpBuilder b(&ctx);
  b.setInsertionPointToEnd(module->getBody());
  Type i32 = b.getI32Type();
  auto print = func::FuncOp::create(
      b, loc, "printMemrefI32",
      b.getFunctionType({UnrankedMemRefType::get(i32, 0)}, {}));
  print.setPrivate();
  print->setAttr("llvm.emit_c_interface", b.getUnitAttr());
  auto main = func::FuncOp::create(b, loc, "main", b.getFunctionType({}, {}));
  b.setInsertionPointToStart(main.addEntryBlock());
  ModuleBuilder mb{b, loc, print};

  // The encoded weight, from the C++ reference encode.
  auto weightType =
      RankedTensorType::get(tc.shape, b.getF32Type(), tc.encoding);
  SmallVector<Attribute> partAttrs;
  for (auto [info, bytes] :
       llvm::zip_equal(tc.encoding.getParts(tc.shape), tc.parts)) {
    ArrayRef<char> raw(reinterpret_cast<const char *>(bytes.data()),
                       bytes.size());
    partAttrs.push_back(
        DenseElementsAttr::getFromRawBuffer(info.getTensorType(), raw));
  }
  Value weight =
      ConstantOp::create(b, loc, weightType, b.getArrayAttr(partAttrs));

  Value decoded = DequantizeOp::create(
      b, loc, RankedTensorType::get(tc.shape, b.getF32Type()), weight);
  mb.printBits(decoded);

  if (tc.hasMatmul) {
    Value lhs = mb.constant(tc.lhsShape, tc.lhs);
    Value bias = mb.constant({int64_t(tc.bias.size())}, tc.bias);
    Value residual = mb.constant(tc.outShape, tc.residual);
    Value result = MatmulOp::create(
        b, loc, RankedTensorType::get(tc.outShape, b.getF32Type()), lhs, weight,
        bias, residual, tc.activation);
    mb.printBits(result);
  }

  if (tc.hasQuantize) {
    Value input = mb.constant(tc.shape, tc.weights);
    SmallVector<Value> params;
    if (paramsOpt) {
      unsigned numCodeParts = tc.encoding.getNumCodeParts(tc.shape);
      for (Attribute part : ArrayRef(partAttrs).drop_front(numCodeParts))
        params.push_back(
            arith::ConstantOp::create(b, loc, cast<TypedAttr>(part)));
    }
    Value encoded = QuantizeOp::create(b, loc, weightType, input, params);
    SmallVector<Type> partTypes;
    for (const PartInfo &info : tc.encoding.getParts(tc.shape))
      partTypes.push_back(info.getTensorType());
    auto parts = DisassembleOp::create(b, loc, partTypes, encoded);
    for (Value part : parts.getResults())
      mb.printBits(part);
  }
  func::ReturnOp::create(b, loc);
  return module;
}

//===----------------------------------------------------------------------===//
// --emit=expected
//===----------------------------------------------------------------------===//

uint32_t floatBits(float x) {
  uint32_t u;
  std::memcpy(&u, &x, 4);
  return u;
}

float bitsFloat(uint32_t u) {
  float x;
  std::memcpy(&x, &u, 4);
  return x;
}

/// The epilogue as the reference defines it, in f32 without contraction.
float activate(Activation activation, float y) {
  switch (activation) {
  case Activation::None:
    return y;
  case Activation::Relu:
    return y > 0.0f ? y : 0.0f;
  case Activation::Gelu:
    return 0.5f * y * (1.0f + std::erf(y / static_cast<float>(M_SQRT2)));
  case Activation::GeluTanh: {
    float cube = 0.044715f * y * y * y;
    float inner = static_cast<float>(std::sqrt(2.0 / M_PI)) * (y + cube);
    return 0.5f * y * (1.0f + std::tanh(inner));
  }
  case Activation::Silu:
    return y / (1.0f + std::exp(-y));
  }
  return y;
}

void writeBlock(raw_ostream &os, StringRef label, StringRef kind,
                ArrayRef<int64_t> values) {
  os << "result " << label << " " << kind << " " << values.size() << "\n";
  llvm::interleave(values, os, " ");
  os << "\n";
}

/// The elements of a part as the printed i32 values (raw bits, unsigned
/// for narrow types).
SmallVector<int64_t> partValues(const PartInfo &info, ArrayRef<uint8_t> bytes) {
  unsigned elementBytes = info.elementType.getIntOrFloatBitWidth() / 8;
  SmallVector<int64_t> values;
  for (size_t i = 0; i + elementBytes <= bytes.size(); i += elementBytes) {
    uint32_t v = 0;
    for (unsigned j = 0; j < elementBytes; ++j)
      v |= uint32_t(bytes[i + j]) << (8 * j);
    values.push_back(elementBytes == 4 ? int64_t(int32_t(v)) : int64_t(v));
  }
  return values;
}

LogicalResult emitExpected(MLIRContext &ctx, const TestCase &tc,
                           raw_ostream &os) {
  auto emitError = [&]() { return mlir::emitError(UnknownLoc::get(&ctx)); };
  SmallVector<ArrayRef<uint8_t>> partRefs;
  for (const std::vector<uint8_t> &bytes : tc.parts)
    partRefs.push_back(bytes);
  std::vector<float> decoded(tc.weights.size());
  if (failed(tc.encoding.referenceDecode(tc.shape, partRefs, decoded,
                                         emitError))) {
    llvm::errs() << "quant-ref: referenceDecode failed\n";
    return failure();
  }
  SmallVector<int64_t> bits;
  for (float v : decoded)
    bits.push_back(int32_t(floatBits(v)));
  writeBlock(os, "dequantize", "exact", bits);

  if (tc.hasMatmul) {
    int64_t rank = tc.shape.size();
    int64_t n = tc.shape[rank - 2], k = tc.shape[rank - 1], m = mOpt;
    int64_t batches = getNumElementsOf(tc.shape) / (n * k);
    bits.clear();
    for (int64_t bt = 0; bt < batches; ++bt)
      for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < n; ++j) {
          float acc = 0.0f;
          for (int64_t l = 0; l < k; ++l) {
            float product =
                tc.lhs[(bt * m + i) * k + l] * decoded[(bt * n + j) * k + l];
            acc = acc + product;
          }
          float y = acc + tc.bias[j];
          y = activate(tc.activation, y);
          y = y + tc.residual[(bt * m + i) * n + j];
          bits.push_back(int32_t(floatBits(y)));
        }
    writeBlock(os, "matmul", "float", bits);
  }

  if (tc.hasQuantize) {
    for (auto [info, bytes] :
         llvm::zip_equal(tc.encoding.getParts(tc.shape), tc.parts))
      writeBlock(os, "quantize." + info.name, "exact", partValues(info, bytes));
  }
  return success();
}

//===----------------------------------------------------------------------===//
// --compare
//===----------------------------------------------------------------------===//

struct Block {
  std::string label = "result";
  std::string kind = "exact";
  SmallVector<int64_t> values;
};

/// Reads the printMemrefI32 blocks of an mlir-runner output.
FailureOr<SmallVector<Block>> readActual(StringRef text) {
  SmallVector<Block> blocks;
  size_t pos = 0;
  while ((pos = text.find("data =", pos)) != StringRef::npos) {
    pos += 6;
    Block block;
    int depth = 0;
    bool started = false;
    while (pos < text.size()) {
      char c = text[pos];
      if (c == '[') {
        ++depth;
        started = true;
        ++pos;
      } else if (c == ']') {
        --depth;
        ++pos;
        if (started && depth == 0)
          break;
      } else if (c == '-' || llvm::isDigit(c)) {
        size_t end = pos + 1;
        while (end < text.size() && llvm::isDigit(text[end]))
          ++end;
        int64_t v;
        if (text.slice(pos, end).getAsInteger(10, v))
          return failure();
        block.values.push_back(v);
        pos = end;
      } else {
        ++pos;
      }
    }
    blocks.push_back(std::move(block));
  }
  return blocks;
}

/// Reads the blocks written by --emit=expected.
FailureOr<SmallVector<Block>> readExpected(StringRef text) {
  SmallVector<Block> blocks;
  SmallVector<StringRef> lines;
  text.split(lines, '\n', -1, false);
  for (size_t i = 0; i < lines.size(); ++i) {
    SmallVector<StringRef> header;
    lines[i].split(header, ' ', -1, false);
    if (header.size() != 4 || header[0] != "result")
      return failure();
    Block block;
    block.label = header[1].str();
    block.kind = header[2].str();
    size_t count;
    if (header[3].getAsInteger(10, count))
      return failure();
    if (count > 0) {
      if (++i >= lines.size())
        return failure();
      SmallVector<StringRef> items;
      lines[i].split(items, ' ', -1, false);
      for (StringRef item : items) {
        int64_t v;
        if (item.getAsInteger(10, v))
          return failure();
        block.values.push_back(v);
      }
    }
    if (block.values.size() != count)
      return failure();
    blocks.push_back(std::move(block));
  }
  return blocks;
}

bool floatsMatch(int64_t actual, int64_t expected, double rtol) {
  if (actual == expected)
    return true;
  float a = bitsFloat(uint32_t(actual)), e = bitsFloat(uint32_t(expected));
  if (std::isnan(a) && std::isnan(e))
    return true;
  double diff = std::fabs(double(a) - double(e));
  return diff <= rtol * std::max(std::fabs(double(a)), std::fabs(double(e)));
}

int compare() {
  auto actualBuffer = llvm::MemoryBuffer::getFile(compareOpt);
  auto expectedBuffer = llvm::MemoryBuffer::getFile(expectedOpt);
  if (!actualBuffer || !expectedBuffer) {
    llvm::errs() << "quant-ref: cannot read '"
                 << (actualBuffer ? expectedOpt : compareOpt) << "'\n";
    return 2;
  }
  FailureOr<SmallVector<Block>> actual =
      readActual((*actualBuffer)->getBuffer());
  FailureOr<SmallVector<Block>> expected =
      readExpected((*expectedBuffer)->getBuffer());
  if (failed(actual) || failed(expected)) {
    llvm::errs() << "quant-ref: malformed "
                 << (failed(actual) ? "actual" : "expected") << " file\n";
    return 2;
  }
  if (actual->size() != expected->size()) {
    llvm::errs() << "quant-ref: expected " << expected->size()
                 << " results, got " << actual->size() << "\n";
    return 1;
  }
  int64_t total = 0;
  for (auto [a, e] : llvm::zip_equal(*actual, *expected)) {
    if (a.values.size() != e.values.size()) {
      llvm::errs() << "quant-ref: " << e.label << ": expected "
                   << e.values.size() << " values, got " << a.values.size()
                   << "\n";
      return 1;
    }
    bool isFloat = e.kind == "float";
    for (size_t i = 0; i < e.values.size(); ++i) {
      bool ok = isFloat ? floatsMatch(a.values[i], e.values[i], rtolOpt)
                        : (a.values[i] == e.values[i] ||
                           (e.kind == "exact" && e.label == "dequantize" &&
                            std::isnan(bitsFloat(uint32_t(a.values[i]))) &&
                            std::isnan(bitsFloat(uint32_t(e.values[i])))));
      if (!ok) {
        llvm::errs() << "quant-ref: " << e.label << "[" << i
                     << "] mismatch: got " << a.values[i];
        if (e.label == "dequantize" || isFloat)
          llvm::errs() << " (" << bitsFloat(uint32_t(a.values[i])) << ")";
        llvm::errs() << ", expected " << e.values[i];
        if (e.label == "dequantize" || isFloat)
          llvm::errs() << " (" << bitsFloat(uint32_t(e.values[i])) << ")";
        llvm::errs() << "\n";
        return 1;
      }
    }
    total += e.values.size();
  }
  llvm::outs() << "quant-ref: " << expected->size() << " results, " << total
               << " values match\n";
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  llvm::cl::ParseCommandLineOptions(
      argc, argv, "quant reference lowering vs C++ reference test driver\n");

  if (!compareOpt.empty()) {
    if (expectedOpt.empty()) {
      llvm::errs() << "quant-ref: --compare needs --expected\n";
      return 2;
    }
    return compare();
  }

  DialectRegistry registry;
  registry
      .insert<arith::ArithDialect, bufferization::BufferizationDialect,
              func::FuncDialect, linalg::LinalgDialect, math::MathDialect,
              memref::MemRefDialect, scf::SCFDialect, tensor::TensorDialect>();
  qnt::registerAllDialects(registry);
  MLIRContext ctx(registry);
  ctx.loadAllAvailableDialects();

  TestCase tc;
  if (failed(setUp(ctx, tc)))
    return 1;
  if (emitOpt == "mlir") {
    OwningOpRef<ModuleOp> module = buildModule(ctx, tc);
    if (failed(verify(*module))) {
      llvm::errs() << "quant-ref: generated module does not verify\n";
      return 1;
    }
    module->print(llvm::outs());
    llvm::outs() << "\n";
    return 0;
  }
  if (emitOpt == "expected")
    return failed(emitExpected(ctx, tc, llvm::outs())) ? 1 : 0;
  llvm::errs() << "quant-ref: give --emit=mlir, --emit=expected or "
                  "--compare=<file> --expected=<file>\n";
  return 2;
}

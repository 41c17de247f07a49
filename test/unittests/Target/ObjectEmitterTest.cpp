//===- ObjectEmitterTest.cpp - Tests for native code emission -------------===//

#include "quant/Target/ObjectEmitter.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"

#include "gtest/gtest.h"

#include <dlfcn.h>
#include <fstream>
#include <string>
#include <vector>

using namespace mlir;
using namespace mlir::qnt;

namespace {

const char *kAddModule = R"MLIR(
llvm.func @add(%a: i32, %b: i32) -> i32 {
  %c = llvm.add %a, %b : i32
  llvm.return %c : i32
}
)MLIR";

const char *kMainModule = R"MLIR(
llvm.func @add(%a: i32, %b: i32) -> i32 {
  %c = llvm.add %a, %b : i32
  llvm.return %c : i32
}
llvm.func @main() -> i32 {
  %x = llvm.mlir.constant(40 : i32) : i32
  %y = llvm.mlir.constant(2 : i32) : i32
  %r = llvm.call @add(%x, %y) : (i32, i32) -> i32
  llvm.return %r : i32
}
)MLIR";

const char *kUndefinedModule = R"MLIR(
llvm.func @missing_symbol() -> i32
llvm.func @main() -> i32 {
  %r = llvm.call @missing_symbol() : () -> i32
  llvm.return %r : i32
}
)MLIR";

/// out[i] = 2 * i, split across the runtime's thread pool. The body loop is
/// what the vectoriser should widen to the target's registers.
const char *kParallelModule = R"MLIR(
llvm.func @quant_rt_parallel_for(i64, i64, !llvm.ptr, !llvm.ptr)
llvm.func @body(%lo: i64, %hi: i64, %ctx: !llvm.ptr) {
  %one = llvm.mlir.constant(1 : i64) : i64
  %two = llvm.mlir.constant(2 : i32) : i32
  llvm.br ^loop(%lo : i64)
^loop(%i: i64):
  %c = llvm.icmp "slt" %i, %hi : i64
  llvm.cond_br %c, ^body, ^exit
^body:
  %p = llvm.getelementptr %ctx[%i] : (!llvm.ptr, i64) -> !llvm.ptr, i32
  %t = llvm.trunc %i : i64 to i32
  %v = llvm.mul %t, %two : i32
  llvm.store %v, %p : i32, !llvm.ptr
  %n = llvm.add %i, %one : i64
  llvm.br ^loop(%n : i64)
^exit:
  llvm.return
}
llvm.func @fill(%out: !llvm.ptr, %n: i64) {
  %f = llvm.mlir.addressof @body : !llvm.ptr
  %zero = llvm.mlir.constant(0 : i64) : i64
  llvm.call @quant_rt_parallel_for(%zero, %n, %f, %out)
      : (i64, i64, !llvm.ptr, !llvm.ptr) -> ()
  llvm.return
}
)MLIR";

class ObjectEmitterTest : public ::testing::Test {
protected:
  void SetUp() override {
    DialectRegistry registry;
    registry.insert<LLVM::LLVMDialect>();
    context.appendDialectRegistry(registry);
    context.loadAllAvailableDialects();
    handler = std::make_unique<ScopedDiagnosticHandler>(
        &context, [this](Diagnostic &diag) {
          diagnostics.push_back(diag.str());
          return success();
        });
    ASSERT_FALSE(
        llvm::sys::fs::createUniqueDirectory("quant-target-test", scratch));
  }
  void TearDown() override {
    handler.reset();
    llvm::sys::fs::remove_directories(scratch);
  }

  OwningOpRef<ModuleOp> parse(const char *source) {
    OwningOpRef<ModuleOp> module =
        parseSourceString<ModuleOp>(source, &context);
    EXPECT_TRUE(module) << "cannot parse the test module";
    return module;
  }
  std::string path(StringRef name) {
    SmallString<128> result(scratch);
    llvm::sys::path::append(result, name);
    return std::string(result);
  }
  bool sawDiagnostic(StringRef fragment) {
    for (const std::string &diag : diagnostics)
      if (StringRef(diag).contains(fragment))
        return true;
    return false;
  }
  std::string allDiagnostics() {
    std::string text;
    for (const std::string &diag : diagnostics)
      text += diag + "\n";
    return text;
  }

  MLIRContext context;
  std::unique_ptr<ScopedDiagnosticHandler> handler;
  std::vector<std::string> diagnostics;
  SmallString<128> scratch;
};

bool hostIsX86() {
  return llvm::Triple(llvm::sys::getProcessTriple()).getArch() ==
         llvm::Triple::x86_64;
}

TEST_F(ObjectEmitterTest, EmitsLinksAndRunsHostSharedLibrary) {
  if (!findLinkerDriver())
    GTEST_SKIP() << "no compiler driver to link with";
  OwningOpRef<ModuleOp> module = parse(kAddModule);
  ASSERT_TRUE(module);
  std::string object = path("add.o"), library = path("libadd.so");
  ASSERT_TRUE(succeeded(emitObjectFile(*module, TargetSpec(), object)))
      << allDiagnostics();
  std::string error;
  ASSERT_TRUE(succeeded(linkSharedLibrary({object}, library, {}, &error)))
      << error;

  void *handle = dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(handle, nullptr) << dlerror();
  auto *add =
      reinterpret_cast<int32_t (*)(int32_t, int32_t)>(dlsym(handle, "add"));
  ASSERT_NE(add, nullptr) << dlerror();
  EXPECT_EQ(add(2, 3), 5);
  EXPECT_EQ(add(-7, 7), 0);
  EXPECT_EQ(add(INT32_MAX, 1), INT32_MIN); // llvm.add wraps
  dlclose(handle);
}

TEST_F(ObjectEmitterTest, LinksAndRunsExecutable) {
  if (!findLinkerDriver())
    GTEST_SKIP() << "no compiler driver to link with";
  OwningOpRef<ModuleOp> module = parse(kMainModule);
  ASSERT_TRUE(module);
  std::string object = path("main.o"), exe = path("main");
  ASSERT_TRUE(succeeded(emitObjectFile(*module, TargetSpec(), object)))
      << allDiagnostics();
  std::string error;
  ASSERT_TRUE(succeeded(linkExecutable({object}, exe, {}, &error))) << error;
  int rc = llvm::sys::ExecuteAndWait(exe, {exe});
  EXPECT_EQ(rc, 42);
}

TEST_F(ObjectEmitterTest, GeneratedCodeCallsTheRuntime) {
  if (!findLinkerDriver())
    GTEST_SKIP() << "no compiler driver to link with";
  OwningOpRef<ModuleOp> module = parse(kParallelModule);
  ASSERT_TRUE(module);
  std::string object = path("fill.o"), library = path("libfill.so");
  ASSERT_TRUE(succeeded(emitObjectFile(*module, TargetSpec(), object)))
      << allDiagnostics();
  std::string error;
  std::string runtimeDir = QUANT_RUNTIME_DIR;
  ASSERT_TRUE(succeeded(linkSharedLibrary(
      {object}, library,
      {"-L" + runtimeDir, "-lquant_runtime", "-Wl,-rpath," + runtimeDir},
      &error)))
      << error;
  void *handle = dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(handle, nullptr) << dlerror();
  auto *fill =
      reinterpret_cast<void (*)(int32_t *, int64_t)>(dlsym(handle, "fill"));
  ASSERT_NE(fill, nullptr) << dlerror();
  std::vector<int32_t> out(10007, -1);
  fill(out.data(), static_cast<int64_t>(out.size()));
  for (size_t i = 0; i < out.size(); ++i)
    ASSERT_EQ(out[i], static_cast<int32_t>(2 * i)) << "index " << i;
  dlclose(handle);
}

TEST_F(ObjectEmitterTest, LLVMIRCarriesTripleLayoutAndCPU) {
  OwningOpRef<ModuleOp> module = parse(kAddModule);
  ASSERT_TRUE(module);
  TargetSpec spec;
  spec.triple = "x86_64-unknown-linux-gnu";
  spec.cpu = "skylake-avx512";
  spec.features = "+avx2,-avx512bw";
  std::string ir;
  llvm::raw_string_ostream os(ir);
  ASSERT_TRUE(succeeded(emitLLVMIR(*module, spec, os))) << allDiagnostics();
  EXPECT_NE(ir.find("target triple = \"x86_64-unknown-linux-gnu\""),
            std::string::npos)
      << ir;
  EXPECT_NE(ir.find("target datalayout = \"e-m:e"), std::string::npos) << ir;
  EXPECT_NE(ir.find("\"target-cpu\"=\"skylake-avx512\""), std::string::npos)
      << ir;
  EXPECT_NE(ir.find("\"target-features\"=\"+avx2,-avx512bw\""),
            std::string::npos)
      << ir;
}

TEST_F(ObjectEmitterTest, TranslateToLLVMIRReturnsOptimisedModule) {
  OwningOpRef<ModuleOp> module = parse(kMainModule);
  ASSERT_TRUE(module);
  llvm::LLVMContext llvmContext;
  TargetSpec spec;
  FailureOr<std::unique_ptr<llvm::Module>> llvmModule =
      translateToLLVMIR(*module, llvmContext, spec);
  ASSERT_TRUE(succeeded(llvmModule)) << allDiagnostics();
  EXPECT_EQ((*llvmModule)->getTargetTriple(),
            llvm::Triple(llvm::sys::getProcessTriple()));
  EXPECT_FALSE((*llvmModule)->getDataLayout().isDefault());
  // At O3 the call is inlined and folded to the constant.
  std::string ir;
  llvm::raw_string_ostream os(ir);
  (*llvmModule)->getFunction("main")->print(os);
  EXPECT_NE(ir.find("ret i32 42"), std::string::npos) << ir;
}

TEST_F(ObjectEmitterTest, VectorisesForTheTargetFeatures) {
  OwningOpRef<ModuleOp> module = parse(kParallelModule);
  ASSERT_TRUE(module);
  TargetSpec spec;
  spec.triple = "x86_64-unknown-linux-gnu";
  spec.cpu = "x86-64";
  spec.features = "+avx2";
  std::string wide;
  llvm::raw_string_ostream wideOs(wide);
  ASSERT_TRUE(succeeded(emitAssembly(*module, spec, wideOs)))
      << allDiagnostics();
  EXPECT_NE(wide.find("%ymm"), std::string::npos) << wide;

  spec.features = "";
  std::string narrow;
  llvm::raw_string_ostream narrowOs(narrow);
  ASSERT_TRUE(succeeded(emitAssembly(*module, spec, narrowOs)))
      << allDiagnostics();
  EXPECT_EQ(narrow.find("%ymm"), std::string::npos);
  EXPECT_NE(narrow.find("%xmm"), std::string::npos) << narrow;
}

TEST_F(ObjectEmitterTest, EmitsObjectsForOtherTargets) {
  OwningOpRef<ModuleOp> module = parse(kAddModule);
  ASSERT_TRUE(module);
  TargetSpec spec;
  spec.triple = "aarch64-unknown-linux-gnu";
  spec.cpu = "neoverse-v1";
  spec.features = "+sve";
  SmallString<0> buffer;
  llvm::raw_svector_ostream os(buffer);
  ASSERT_TRUE(succeeded(emitObject(*module, spec, os))) << allDiagnostics();
  ASSERT_GE(buffer.size(), 20u);
  EXPECT_EQ(StringRef(buffer.data(), 4), "\x7f"
                                         "ELF");
  // e_machine 183 = EM_AARCH64.
  EXPECT_EQ(static_cast<uint8_t>(buffer[18]), 183);
}

TEST_F(ObjectEmitterTest, UnknownTripleIsDiagnosed) {
  OwningOpRef<ModuleOp> module = parse(kAddModule);
  ASSERT_TRUE(module);
  TargetSpec spec;
  spec.triple = "bogus64-unknown-nowhere";
  spec.cpu = "";
  spec.features = "";
  SmallString<0> buffer;
  llvm::raw_svector_ostream os(buffer);
  EXPECT_TRUE(failed(emitObject(*module, spec, os)));
  EXPECT_TRUE(sawDiagnostic("unknown target triple 'bogus64-unknown-nowhere'"))
      << allDiagnostics();
  EXPECT_TRUE(buffer.empty());
}

TEST_F(ObjectEmitterTest, UnknownCPUIsDiagnosed) {
  OwningOpRef<ModuleOp> module = parse(kAddModule);
  ASSERT_TRUE(module);
  TargetSpec spec;
  spec.triple = "x86_64-unknown-linux-gnu";
  spec.cpu = "pentium-9000";
  spec.features = "";
  std::string ir;
  llvm::raw_string_ostream os(ir);
  EXPECT_TRUE(failed(emitLLVMIR(*module, spec, os)));
  EXPECT_TRUE(sawDiagnostic("unknown CPU 'pentium-9000'")) << allDiagnostics();
}

TEST_F(ObjectEmitterTest, BadFeatureStringsAreDiagnosed) {
  OwningOpRef<ModuleOp> module = parse(kAddModule);
  ASSERT_TRUE(module);
  TargetSpec spec;
  spec.triple = "x86_64-unknown-linux-gnu";
  spec.cpu = "";
  std::string ir;
  llvm::raw_string_ostream os(ir);

  spec.features = "+avx2,+warp-drive";
  EXPECT_TRUE(failed(emitLLVMIR(*module, spec, os)));
  EXPECT_TRUE(sawDiagnostic("unknown feature 'warp-drive'"))
      << allDiagnostics();

  spec.features = "avx2";
  EXPECT_TRUE(failed(emitLLVMIR(*module, spec, os)));
  EXPECT_TRUE(sawDiagnostic("must start with '+' or '-'")) << allDiagnostics();
}

TEST_F(ObjectEmitterTest, HostCPUNeedsTheHostArchitecture) {
  OwningOpRef<ModuleOp> module = parse(kAddModule);
  ASSERT_TRUE(module);
  TargetSpec spec;
  spec.triple =
      hostIsX86() ? "aarch64-unknown-linux-gnu" : "x86_64-unknown-linux-gnu";
  std::string ir;
  llvm::raw_string_ostream os(ir);
  EXPECT_TRUE(failed(emitLLVMIR(*module, spec, os)));
  EXPECT_TRUE(sawDiagnostic("cpu 'host' needs a triple with the host "
                            "architecture"))
      << allDiagnostics();
  spec.cpu = "";
  EXPECT_TRUE(failed(emitLLVMIR(*module, spec, os)));
  EXPECT_TRUE(sawDiagnostic("'host' needs a triple with the host"))
      << allDiagnostics();
}

TEST_F(ObjectEmitterTest, BadOptLevelIsDiagnosed) {
  OwningOpRef<ModuleOp> module = parse(kAddModule);
  ASSERT_TRUE(module);
  TargetSpec spec;
  spec.optLevel = 4;
  std::string ir;
  llvm::raw_string_ostream os(ir);
  EXPECT_TRUE(failed(emitLLVMIR(*module, spec, os)));
  EXPECT_TRUE(sawDiagnostic("optimization level 4")) << allDiagnostics();
}

TEST_F(ObjectEmitterTest, FailedObjectEmissionLeavesExistingFile) {
  OwningOpRef<ModuleOp> module = parse(kAddModule);
  ASSERT_TRUE(module);
  std::string object = path("keep.o");
  { std::ofstream(object) << "old"; }
  TargetSpec spec;
  spec.cpu = "no-such-cpu";
  EXPECT_TRUE(failed(emitObjectFile(*module, spec, object)));
  std::ifstream in(object);
  std::string contents((std::istreambuf_iterator<char>(in)),
                       std::istreambuf_iterator<char>());
  EXPECT_EQ(contents, "old");
  // No temporary is left behind either.
  std::error_code ec;
  int entries = 0;
  for (llvm::sys::fs::directory_iterator it(scratch, ec), end; it != end && !ec;
       it.increment(ec))
    ++entries;
  EXPECT_EQ(entries, 1);
}

TEST_F(ObjectEmitterTest, LinkingToUnwritablePathFailsWithoutOutput) {
  if (!findLinkerDriver())
    GTEST_SKIP() << "no compiler driver to link with";
  OwningOpRef<ModuleOp> module = parse(kAddModule);
  ASSERT_TRUE(module);
  std::string object = path("add.o");
  ASSERT_TRUE(succeeded(emitObjectFile(*module, TargetSpec(), object)));
  std::string output = path("no-such-dir/libadd.so");
  std::string error;
  EXPECT_TRUE(failed(linkSharedLibrary({object}, output, {}, &error)));
  EXPECT_NE(error.find(output), std::string::npos) << error;
  EXPECT_FALSE(llvm::sys::fs::exists(output));
}

TEST_F(ObjectEmitterTest, FailedLinkReportsCommandAndKeepsOldOutput) {
  if (!findLinkerDriver())
    GTEST_SKIP() << "no compiler driver to link with";
  OwningOpRef<ModuleOp> module = parse(kUndefinedModule);
  ASSERT_TRUE(module);
  std::string object = path("undef.o"), exe = path("undef");
  ASSERT_TRUE(succeeded(emitObjectFile(*module, TargetSpec(), object)));
  { std::ofstream(exe) << "old"; }
  std::string error;
  EXPECT_TRUE(failed(linkExecutable({object}, exe, {}, &error)));
  EXPECT_NE(error.find("failed with exit code"), std::string::npos) << error;
  EXPECT_NE(error.find("command: "), std::string::npos) << error;
  EXPECT_NE(error.find(object), std::string::npos) << error;
  EXPECT_NE(error.find("missing_symbol"), std::string::npos) << error;
  std::ifstream in(exe);
  std::string contents((std::istreambuf_iterator<char>(in)),
                       std::istreambuf_iterator<char>());
  EXPECT_EQ(contents, "old");
  int entries = 0;
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(scratch, ec), end; it != end && !ec;
       it.increment(ec))
    ++entries;
  EXPECT_EQ(entries, 2); // undef.o and the old undef, no temporaries
}

TEST_F(ObjectEmitterTest, LinkingRejectsMissingInputs) {
  std::string error;
  EXPECT_TRUE(failed(linkSharedLibrary({}, path("libx.so"), {}, &error)));
  EXPECT_NE(error.find("no input objects"), std::string::npos) << error;
  EXPECT_TRUE(failed(
      linkSharedLibrary({path("absent.o")}, path("libx.so"), {}, &error)));
  EXPECT_NE(error.find("does not exist"), std::string::npos) << error;
  EXPECT_FALSE(llvm::sys::fs::exists(path("libx.so")));
}

} // namespace

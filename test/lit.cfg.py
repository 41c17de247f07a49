# -*- Python -*-
import os
import shutil

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "QUANT"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.quant_obj_root, "test")
config.excludes = ["CMakeLists.txt", "README.md", "lit.cfg.py",
                   "lit.site.cfg.py", "unittests", "Inputs"]

config.substitutions.append(("%PATH%", config.environment["PATH"]))
config.substitutions.append(("%shlibext", config.shlibext))
config.substitutions.append(("%quant_libs", config.quant_libs_dir))
config.substitutions.append(
    ("%quant_runtime_lib",
     os.path.join(config.quant_obj_root, "lib", "libquant_runtime" + config.shlibext)))
config.substitutions.append(("%quant_src", config.quant_src_root))
config.substitutions.append(("%host_python", config.host_python))
config.substitutions.append(
    ("%mlir_c_runner_utils",
     os.path.join(config.mlir_lib_dir, "libmlir_c_runner_utils" + config.shlibext)))
config.substitutions.append(
    ("%mlir_runner_utils",
     os.path.join(config.mlir_lib_dir, "libmlir_runner_utils" + config.shlibext)))

llvm_config.use_default_substitutions()
llvm_config.with_system_environment(["HOME", "INCLUDE", "LIB", "TMP", "TEMP"])

tool_dirs = [config.quant_tools_dir, config.llvm_tools_dir]
tools = ["quant-opt", ToolSubst("quant-import-onnx", unresolved="ignore"), "not", "mlir-opt", "mlir-runner", "mlir-translate",
         ToolSubst("%quant-ref", command=os.path.join(config.quant_tools_dir, "quant-ref"),
                   unresolved="ignore"),
         # Also in test/Tools/lit.local.cfg; the Transforms equivalence tests
         # compile and run models too.
         ToolSubst("%quant-compile", command=os.path.join(config.quant_tools_dir, "quant-compile"),
                   unresolved="ignore"),
         ToolSubst("%quant-run", command=os.path.join(config.quant_tools_dir, "quant-run"),
                   unresolved="ignore")]
llvm_config.add_tool_substitutions(tools, tool_dirs)

if getattr(config, "quant_enable_onnx", "") in ("1", "ON", "TRUE"):
    config.available_features.add("onnx")

# Host CPU features the int8 (VNNI) execution tests need.
try:
    with open("/proc/cpuinfo") as cpuinfo:
        if " avx512_vnni" in cpuinfo.read():
            config.available_features.add("avx512vnni")
except OSError:
    pass

if shutil.which("ptxas", path="/usr/local/cuda/bin:" + config.environment["PATH"]):
    config.available_features.add("ptxas")

# ONNX Runtime for Node (scripts/ort/install.sh) as the reference of the model
# tests: the feature `ort` when node can load onnxruntime-node from
# $QUANT_ORT_DIR, else <build>/ort.
ort_dir = os.environ.get("QUANT_ORT_DIR") or os.path.join(config.quant_obj_root, "ort")
node = shutil.which("node")
if node:
    import subprocess
    try:
        probe = subprocess.run(
            [node, "-e", "require(process.argv[1])",
             os.path.join(ort_dir, "node_modules", "onnxruntime-node")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
        if probe.returncode == 0:
            config.available_features.add("ort")
            config.substitutions.append(
                ("%ort_run", "%s %s --ort-dir %s" % (
                    node, os.path.join(config.quant_src_root, "scripts", "ort",
                                       "ort_run.js"), ort_dir)))
    except (OSError, subprocess.TimeoutExpired):
        pass

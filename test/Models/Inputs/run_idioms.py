#!/usr/bin/python3
# Compiles every model that examples/models/gen_onnx_idioms.py wrote with
# quant-compile, runs it with quant-run and with ONNX Runtime (graph
# optimizations disabled: the ONNX semantics), and compares the outputs:
# floats elementwise within the model's rtol / atol, quantized (8-bit)
# outputs at most one step apart with at least 90 % equal.
#
#   run_idioms.py DIR --quant-compile Q --quant-run R --ort-run "node ..."
#
# Prints one line per model and exits 1 on any failure.
import argparse
import glob
import os
import shlex
import subprocess
import sys

import numpy as np

p = argparse.ArgumentParser()
p.add_argument("dir")
p.add_argument("--quant-compile", required=True)
p.add_argument("--quant-run", required=True)
p.add_argument("--ort-run", required=True)
args = p.parse_args()


def run(cmd):
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError("%s: %s" % (os.path.basename(cmd[0]),
                                       (proc.stderr or proc.stdout).strip()
                                       .splitlines()[-1:]))


failures = 0
for line in open(os.path.join(args.dir, "manifest.txt")):
    name, rtol, atol, kind = line.split()
    rtol, atol = float(rtol), float(atol)
    d = os.path.join(args.dir, name)
    inputs = []
    for path in sorted(glob.glob(os.path.join(d, "inputs", "*.npy"))):
        inputs += ["--input", "%s=%s" % (os.path.basename(path)[:-4], path)]
    try:
        run([args.quant_compile, os.path.join(d, "model.onnx"), "-o",
             os.path.join(d, "model.so")])
        os.makedirs(os.path.join(d, "quant"), exist_ok=True)
        run([args.quant_run, os.path.join(d, "model.so"), "--output-dir",
             os.path.join(d, "quant")] + inputs)
        run(shlex.split(args.ort_run) + [os.path.join(d, "model.onnx"),
                                         "--opt-level", "disabled",
                                         "--output-dir",
                                         os.path.join(d, "ort")] + inputs)
        worst = 0.0
        for ref_path in sorted(glob.glob(os.path.join(d, "ort", "*.npy"))):
            out = os.path.basename(ref_path)
            ref = np.load(ref_path)
            got = np.load(os.path.join(d, "quant", out))
            if got.dtype != ref.dtype or got.shape != ref.shape:
                raise RuntimeError("%s: %s %s, ONNX Runtime %s %s" % (
                    out, got.dtype, got.shape, ref.dtype, ref.shape))
            if kind == "quantized" and ref.dtype in (np.uint8, np.int8):
                steps = np.abs(got.astype(np.int32) - ref.astype(np.int32))
                if steps.max() > 1 or (steps == 0).mean() < 0.9:
                    raise RuntimeError("%s: %d steps apart, %.1f %% equal" % (
                        out, steps.max(), 100 * (steps == 0).mean()))
                worst = max(worst, float(steps.max()))
            elif np.issubdtype(ref.dtype, np.floating):
                err = np.abs(got.astype(np.float64) - ref)
                bound = atol + rtol * np.abs(ref)
                if not (err <= bound).all():
                    i = np.unravel_index(np.argmax(err - bound), err.shape)
                    raise RuntimeError("%s: at %s got %r, ONNX Runtime %r" % (
                        out, list(i), got[i], ref[i]))
                worst = max(worst, float(err.max()))
            elif not (got == ref).all():
                raise RuntimeError("%s: %d of %d values differ" % (
                    out, int((got != ref).sum()), ref.size))
        print("%s: ok (max abs error %.3g)" % (name, worst))
    except RuntimeError as e:
        failures += 1
        print("%s: FAILED: %s" % (name, e))
print("%d passed, %d failed" % (sum(1 for _ in open(
    os.path.join(args.dir, "manifest.txt"))) - failures, failures))
sys.exit(1 if failures else 0)

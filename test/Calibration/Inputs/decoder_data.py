#!/usr/bin/env python3
# Inputs and quality checks for the decoder-block acceptance test
# (examples/models/gen_decoder.py, input x [1, seq, hidden]).
#
#   decoder_data.py inputs OUT_DIR --samples N --seed S [--hidden 128]
#       [--seq 8] [--decay D] [--mix-seed M]
#     Writes OUT_DIR/x.npy: N samples stacked on a leading axis, the layout
#     quant-compile --calibration-data reads. Every sample is drawn from one
#     deployment distribution: x = z A with z standard normal (seeded by
#     --seed, so calibration and evaluation sets differ) and a fixed mixing
#     A = diag(sigma) Q (Q a random orthogonal matrix from --mix-seed, sigma_i
#     proportional to (i + 1)^-D, scaled to unit mean variance). D = 0 gives
#     i.i.d. channels; D > 0 correlated channels with a decaying spectrum, as
#     the hidden states of real transformers have.
#
#   decoder_data.py split STACKED.npy OUT_DIR
#     Writes OUT_DIR/<i>/x.npy, one sample per directory (quant-run inputs).
#
#   decoder_data.py evaluate QUANT_RUN EVAL_DIR REF.so NAME=LIB.so...
#     Runs every library on every sample of EVAL_DIR (split layout) and
#     prints, per library, the relative L2 error of all outputs y against
#     REF.so's: ||y - y_ref|| / ||y_ref|| over the whole set.
#
#   decoder_data.py close ERRORS.txt NAME BOUND
#     Prints OK when NAME's error in the `evaluate` output is at most BOUND
#     (equivalence of the float rewrites), FAIL otherwise.
#
#   decoder_data.py check ERRORS.txt --baseline NAME --flow NAME
#       --report REPORT.json --max-bits B --min-ratio R
#     Reads the `evaluate` output and the automatic flow's report.json and
#     prints OK when the flow's bits per weight (metadata included) are at
#     most B and baseline error / flow error is at least R; FAIL otherwise.
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np


def mixing(hidden, decay, seed):
    rng = np.random.default_rng(seed)
    q, r = np.linalg.qr(rng.standard_normal((hidden, hidden)))
    q *= np.sign(np.diag(r))  # a Haar-distributed orthogonal matrix
    sigma = (1.0 + np.arange(hidden)) ** -decay
    sigma *= np.sqrt(hidden / np.sum(sigma ** 2))
    return sigma[:, None] * q


def cmd_inputs(a):
    a_mix = mixing(a.hidden, a.decay, a.mix_seed)
    rng = np.random.default_rng(a.seed)
    z = rng.standard_normal((a.samples, 1, a.seq, a.hidden))
    x = (z @ a_mix).astype(np.float32)
    os.makedirs(a.out_dir, exist_ok=True)
    np.save(os.path.join(a.out_dir, "x.npy"), x)


def cmd_split(a):
    x = np.load(a.stacked)
    for i, sample in enumerate(x):
        d = os.path.join(a.out_dir, f"{i:03d}")
        os.makedirs(d, exist_ok=True)
        np.save(os.path.join(d, "x.npy"), sample)


def run(quant_run, lib, sample_dir):
    with tempfile.TemporaryDirectory() as out:
        subprocess.run([quant_run, lib, "--input",
                        "x=" + os.path.join(sample_dir, "x.npy"),
                        "--output-dir", out], check=True,
                       stdout=subprocess.DEVNULL)
        return np.load(os.path.join(out, "y.npy")).astype(np.float64)


def cmd_evaluate(a):
    samples = sorted(os.path.join(a.eval_dir, d) for d in os.listdir(a.eval_dir))
    ref = np.stack([run(a.quant_run, a.ref, s) for s in samples])
    for item in a.libs:
        name, lib = item.split("=", 1)
        out = np.stack([run(a.quant_run, lib, s) for s in samples])
        err = np.linalg.norm(out - ref) / np.linalg.norm(ref)
        print(f"{name} rel_l2 {err:.6g}")


def read_errors(path):
    errors = {}
    with open(path) as f:
        for line in f:
            name, _, value = line.split()
            errors[name] = float(value)
    return errors


def cmd_close(a):
    err = read_errors(a.errors)[a.name]
    ok = err <= a.bound
    print(f"{a.name}: relative error {err:.3g} (bound {a.bound:g})")
    print("OK" if ok else "FAIL")
    return 0 if ok else 1


def cmd_check(a):
    errors = read_errors(a.errors)
    with open(a.report) as f:
        report = json.load(f)
    bits = report["total"]["bits_per_weight"]
    base, flow = errors[a.baseline], errors[a.flow]
    ratio = base / flow if flow > 0 else float("inf")
    print(f"{a.flow}: {bits:.4f} bits/weight, error {flow:.4g}; "
          f"{a.baseline}: error {base:.4g}; ratio {ratio:.3f}")
    ok = bits <= a.max_bits + 1e-9 and ratio >= a.min_ratio
    print("OK" if ok else "FAIL")
    return 0 if ok else 1


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("inputs")
    s.add_argument("out_dir")
    s.add_argument("--samples", type=int, required=True)
    s.add_argument("--seed", type=int, required=True)
    s.add_argument("--hidden", type=int, default=128)
    s.add_argument("--seq", type=int, default=8)
    s.add_argument("--decay", type=float, default=0.0)
    s.add_argument("--mix-seed", type=int, default=1000)
    s = sub.add_parser("split")
    s.add_argument("stacked")
    s.add_argument("out_dir")
    s = sub.add_parser("evaluate")
    s.add_argument("quant_run")
    s.add_argument("eval_dir")
    s.add_argument("ref")
    s.add_argument("libs", nargs="+")
    s = sub.add_parser("close")
    s.add_argument("errors")
    s.add_argument("name")
    s.add_argument("bound", type=float)
    s = sub.add_parser("check")
    s.add_argument("errors")
    s.add_argument("--baseline", required=True)
    s.add_argument("--flow", required=True)
    s.add_argument("--report", required=True)
    s.add_argument("--max-bits", type=float, required=True)
    s.add_argument("--min-ratio", type=float, required=True)
    a = p.parse_args()
    return {"inputs": cmd_inputs, "split": cmd_split, "evaluate": cmd_evaluate,
            "close": cmd_close, "check": cmd_check}[a.cmd](a) or 0


if __name__ == "__main__":
    sys.exit(main())

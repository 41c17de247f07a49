#===- compare_cpu_ref.py - CPU pipeline vs reference pipeline -------------===#
#
# Compares the mlir-runner output of a quant-ref module (--quantize=false)
# run through --qnt-cpu-pipeline with the same module run through
# --qnt-reference-pipeline. Each output holds printMemrefI32 blocks of raw
# f32 bits: the dequantized weight [N, K] (reference lowering in both
# pipelines: must be bit-identical), then the matmul result [M, N].
#
# Tolerance of the matmul (float FMA path). Both sides sum K products of
# |x| < 1 (quant-ref's lhs is uniform in [-1, 1)) and the decoded weights:
# the reference as sum_k x_k * w_k left to right, the CPU kernel as
# sum_g s_g * (sum_{k in g} x_k * float(q_k - z_g)) with FMAs and split
# accumulators. Each is within gamma_{K+2} * sum_k |x_k w_k| <=
# (K + 2) * u * B_n of the exact sum (u = 2^-24, B_n = sum_k |w_nk|, read
# from the printed weight), so they differ by at most 2 (K + 2) u B_n. The
# bias add rounds once per side (2 u (B_n + 1)); GELU / SiLU / ReLU are
# Lipschitz with constant <= 1.13 (bounded by 1.2); the residual add rounds
# once per side (2 u |y|). Hence, per element of column n:
#   |cpu - ref| <= 1.2 * 2 * (K + 3) * u * (B_n + 1) + 4 * u * |ref|.
# This is a worst-case bound, so a correct kernel never exceeds it, while a
# single wrongly decoded code shifts a result by |x_k| * s_g, orders of
# magnitude more.
#
#===----------------------------------------------------------------------===#

import argparse
import math
import re
import struct
import sys


def blocks(path):
    text = open(path).read()
    result = []
    for match in re.finditer(r"data =\s*(\[[-0-9,\s\[\]]*\])", text):
        result.append([int(v) for v in re.findall(r"-?\d+", match.group(1))])
    return result


def as_float(bits):
    return struct.unpack("<f", struct.pack("<I", bits & 0xFFFFFFFF))[0]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cpu", required=True)
    parser.add_argument("--ref", required=True)
    parser.add_argument("--n", type=int, required=True)
    args = parser.parse_args()
    cpu, ref = blocks(args.cpu), blocks(args.ref)
    if len(cpu) != 2 or len(ref) != 2:
        print("compare: expected 2 results, got %d and %d" % (len(cpu), len(ref)))
        return 1
    if cpu[0] != ref[0]:
        print("compare: dequantized weights differ")
        return 1
    n = args.n
    weights = [as_float(b) for b in ref[0]]
    k = len(weights) // n
    if k * n != len(weights) or len(cpu[1]) != len(ref[1]) or len(ref[1]) % n:
        print("compare: unexpected result sizes")
        return 1
    u = 2.0 ** -24
    bound = [sum(abs(w) for w in weights[j * k:(j + 1) * k]) for j in range(n)]
    worst = 0.0
    for i, (a_bits, e_bits) in enumerate(zip(cpu[1], ref[1])):
        a, e = as_float(a_bits), as_float(e_bits)
        if math.isnan(a) or math.isnan(e):
            if math.isnan(a) != math.isnan(e):
                print("compare: matmul[%d]: got %r, expected %r" % (i, a, e))
                return 1
            continue
        tol = 1.2 * 2 * (k + 3) * u * (bound[i % n] + 1) + 4 * u * abs(e)
        diff = abs(a - e)
        worst = max(worst, diff / tol)
        if diff > tol:
            print("compare: matmul[%d]: got %r, expected %r, |diff| %g > %g"
                  % (i, a, e, diff, tol))
            return 1
    print("compare: %d weights identical, %d results within tolerance "
          "(worst |diff| / tol = %.3f)" % (len(weights), len(ref[1]), worst))
    return 0


if __name__ == "__main__":
    sys.exit(main())

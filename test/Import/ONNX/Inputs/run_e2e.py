# Helpers for the importer's end-to-end tests (/usr/bin/python3).
#
#   run_e2e.py wrap IMPORTED.mlir SHAPE|SHAPE_FILE   adds @main, which calls the
#       imported @main_graph (no arguments) and prints its f32 result
#   run_e2e.py compare RUNNER_OUTPUT EXPECTED [--atol A] [--rtol R]
#       compares printMemrefF32's values with numpy's
import re
import sys


def wrap(path, shape):
    text = open(path).read()
    ty = "tensor<%sxf32>" % shape
    driver = """
  func.func private @printMemrefF32(tensor<*xf32>) attributes {llvm.emit_c_interface}
  func.func @main() {
    %%r = call @main_graph() : () -> %s
    %%u = tensor.cast %%r : %s to tensor<*xf32>
    call @printMemrefF32(%%u) : (tensor<*xf32>) -> ()
    return
  }
""" % (ty, ty)
    end = text.find("{-#")
    head = text if end < 0 else text[:end]
    tail = "" if end < 0 else text[end:]
    close = head.rstrip().rfind("}")
    sys.stdout.write(head[:close] + driver + head[close:] + tail)


def compare(out_path, expected_path, atol, rtol):
    out = open(out_path).read()
    data = out[out.find("data =") + len("data ="):]
    got = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?|nan|inf", data)]
    want = [float(v) for v in open(expected_path).read().split()]
    if len(got) != len(want):
        print("compare: %d values, expected %d" % (len(got), len(want)))
        return 1
    bad = [(i, g, w) for i, (g, w) in enumerate(zip(got, want))
           if not abs(g - w) <= atol + rtol * abs(w)]
    for i, g, w in bad[:10]:
        print("compare: value %d is %g, expected %g" % (i, g, w))
    if bad:
        print("compare: %d of %d values differ" % (len(bad), len(want)))
        return 1
    print("compare: %d values match" % len(want))
    return 0


def main():
    if sys.argv[1] == "wrap":
        shape = sys.argv[3]
        if "x" not in shape or "/" in shape:
            shape = open(shape).read().strip()
        wrap(sys.argv[2], shape)
        return 0
    args = sys.argv[2:]
    atol = float(args[args.index("--atol") + 1]) if "--atol" in args else 1e-5
    rtol = float(args[args.index("--rtol") + 1]) if "--rtol" in args else 1e-4
    return compare(args[0], args[1], atol, rtol)


if __name__ == "__main__":
    sys.exit(main())

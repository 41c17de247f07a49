#!/usr/bin/env python3
# Checks that quant-run --bandwidth-bytes weights read at least the model's
# weights: check_stream_bytes.py COMPILE_LOG RUN_OUTPUT, where COMPILE_LOG has
# quant-compile's summary line "weights: ... -> N bytes stored" and
# RUN_OUTPUT quant-run's "stream_bytes M". Prints the two and exits 0 when
# M >= N, else 1.
import re
import sys


def find(path, pattern, what):
    with open(path) as f:
        match = re.search(pattern, f.read(), re.MULTILINE)
    if not match:
        print("check_stream_bytes.py: no %s in '%s'" % (what, path))
        sys.exit(1)
    return int(match.group(1))


weights = find(sys.argv[1], r"^\s*weights: .* -> (\d+) bytes stored",
               "'weights: ... -> N bytes stored' line")
streamed = find(sys.argv[2], r"^stream_bytes (\d+)$", "'stream_bytes N' line")
if streamed < weights:
    print("check_stream_bytes.py: stream_bytes %d < %d weight bytes"
          % (streamed, weights))
    sys.exit(1)
print("stream_bytes %d >= %d weight bytes" % (streamed, weights))

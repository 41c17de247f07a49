#!/usr/bin/env python3
# Writes a deterministic .npy array: make_npy.py OUT DTYPE SHAPE [SCALE]
# (SHAPE like 4x96). Values are sin/cos mixtures, rounded for integer dtypes.
import sys

import numpy as np

out, dtype, shape = sys.argv[1], sys.argv[2], sys.argv[3]
scale = float(sys.argv[4]) if len(sys.argv) > 4 else 1.0
dims = tuple(int(d) for d in shape.split("x")) if shape != "scalar" else ()
n = int(np.prod(dims)) if dims else 1
i = np.arange(n, dtype=np.float64)
values = scale * (np.sin(0.37 * i) + 0.25 * np.cos(1.3 * i))
if np.dtype(dtype).kind in "iu":
    values = np.rint(values)
np.save(out, values.astype(dtype).reshape(dims))

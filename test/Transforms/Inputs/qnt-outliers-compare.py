#!/usr/bin/env python3
# qnt-outliers-compare.py REF SPLIT RTN: prints the relative L2 errors of the
# dense + sparse and the round-to-nearest outputs against the float one and
# fails unless the split is strictly better.
import sys

import numpy as np

ref, split, rtn = (np.load(p).astype(np.float64) for p in sys.argv[1:4])
rel = lambda y: float(np.linalg.norm(y - ref) / np.linalg.norm(ref))
e_split, e_rtn = rel(split), rel(rtn)
ok = e_split < e_rtn
print("%s: dense + sparse relative L2 error %.4g %s round-to-nearest %.4g" %
      ("ok" if ok else "FAIL", e_split, "<" if ok else ">=", e_rtn))
sys.exit(0 if ok else 1)

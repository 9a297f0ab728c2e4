"""Reference statistics for StandardizeTest (numpy float64, population std like sklearn's StandardScaler).

Data: x[i, j] = float32(1000 + sin(0.37 * i + 1.3 * j) * (j + 1)) for i < 500, j < 4; the large offset makes a
naive sum-of-squares variance lose digits, which Welford's update must not.
Run: python3 data-loaders/src/test/python/gen_standardize_reference.py > data-loaders/src/test/resources/standardize_reference.txt
"""
import numpy as np

rows, cols = 500, 4
i = np.arange(rows, dtype=np.float64)[:, None]
j = np.arange(cols, dtype=np.float64)[None, :]
x = (1000.0 + np.sin(0.37 * i + 1.3 * j) * (j + 1)).astype(np.float32).astype(np.float64)
print("rows", rows, "cols", cols)
print("mean", " ".join(repr(float(v)) for v in x.mean(axis=0)))
print("std", " ".join(repr(float(v)) for v in x.std(axis=0, ddof=0)))

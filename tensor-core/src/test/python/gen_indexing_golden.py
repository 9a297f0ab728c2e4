"""Golden values for IndexingTest, computed with numpy (float64, int64).

Run from the repository root:
    python3 tensor-core/src/test/python/gen_indexing_golden.py > tensor-core/src/test/resources/dev/kiln/ops/indexing_golden.txt

Format, one tensor per line:  <case> <name> <dtype> <shape as a,b,c> <values in row-major order>
PyTorch semantics are spelled out with explicit loops where numpy has no exact equivalent
(gather/scatter with an index smaller than the input outside `dim`).
"""
import itertools

import numpy as np

rng = np.random.default_rng(20240601)


def emit(case, name, arr):
    arr = np.asarray(arr)
    dtype = "float64" if arr.dtype.kind == "f" else "int64"
    shape = ",".join(str(s) for s in arr.shape)
    values = " ".join(repr(float(v)) if dtype == "float64" else str(int(v)) for v in arr.reshape(-1))
    print(f"{case} {name} {dtype} {shape} {values}")


def gather(inp, dim, index):
    out = np.empty(index.shape, dtype=inp.dtype)
    for pos in itertools.product(*[range(s) for s in index.shape]):
        src = list(pos)
        src[dim] = index[pos]
        out[pos] = inp[tuple(src)]
    return out


def scatter(base, dim, index, src, accumulate):
    out = base.copy()
    for pos in itertools.product(*[range(s) for s in index.shape]):
        dst = list(pos)
        dst[dim] = index[pos]
        if accumulate:
            out[tuple(dst)] += src[pos]
        else:
            out[tuple(dst)] = src[pos]
    return out


# gather along dim 1 of a 3-d tensor, index larger along dim and smaller along dim 2
inp = rng.standard_normal((2, 3, 4))
idx = rng.integers(0, 3, size=(2, 5, 3))
emit("gather_dim1", "input", inp)
emit("gather_dim1", "index", idx)
emit("gather_dim1", "expected", gather(inp, 1, idx))
# cross-check the loop against numpy's take_along_axis on the matching sub-block
assert np.array_equal(gather(inp, 1, idx), np.take_along_axis(inp[:, :, :3], idx, axis=1))

# scatter_add along the last dim with many repeated indices
base = rng.standard_normal((2, 3, 4))
idx = rng.integers(0, 4, size=(2, 3, 6))
src = rng.standard_normal((2, 3, 6))
emit("scatter_add_dim2", "input", base)
emit("scatter_add_dim2", "index", idx)
emit("scatter_add_dim2", "src", src)
emit("scatter_add_dim2", "expected", scatter(base, 2, idx, src, True))

# scatter along dim 0 with unique indices per column (so the result is deterministic)
base = rng.standard_normal((4, 3))
idx = np.stack([rng.permutation(4)[:2] for _ in range(3)], axis=1)  # shape (2, 3)
src = rng.standard_normal((3, 3))  # larger than index along dim 0
emit("scatter_dim0", "input", base)
emit("scatter_dim0", "index", idx)
emit("scatter_dim0", "src", src)
emit("scatter_dim0", "expected", scatter(base, 0, idx, src, False))

# index_select along dim 1 with repeats
inp = rng.standard_normal((3, 4, 2))
idx = np.array([3, 0, 3, 1, 2])
emit("index_select_dim1", "input", inp)
emit("index_select_dim1", "index", idx)
emit("index_select_dim1", "expected", np.take(inp, idx, axis=1))

# one_hot with inferred class count
labels = np.array([[0, 3], [2, 2], [1, 0]])
emit("one_hot", "labels", labels)
emit("one_hot", "expected", np.eye(labels.max() + 1, dtype=np.int64)[labels])

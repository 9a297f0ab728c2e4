#!/usr/bin/env python3
"""Writes tensor-core/src/test/resources/op_references.txt: inputs and float64 reference outputs for Kiln's ops.

The references are computed with numpy in float64 from PyTorch's documented formulas (not by calling Kiln, and
not by calling PyTorch): var/std with Bessel's correction ``sum((x - mean)^2) / (N - correction)``, exact GELU
``0.5 x (1 + erf(x / sqrt 2))``, softmax ``exp(x - max) / sum(exp(x - max))`` along a dim, PyTorch's matmul rules
for 1-d operands, and so on. Inputs are drawn in float32 (so both sides see the same bits) and the expected
outputs are the float64 results on those float32 values.

Run from the repository root:  python3 tensor-core/src/test/python/gen_op_references.py

Format, one record per case (blank line between records)::

    case <name>
    op <op> [<arg> ...]
    in <dtype> <shape, comma separated, empty for 0-d> : <values ...>
    out <dtype> <shape> : <values ...>

The Java side (dev.kiln.ops.opinfo.OpReferenceTest) runs each <op> through the op table entry that claims its
token (OpInfo.numpy), with its args.
"""
import math
import os

import numpy as np

RNG = np.random.default_rng(20240601)
ERF = np.vectorize(math.erf)


def normal(*shape, dtype=np.float32):
    return RNG.standard_normal(shape).astype(dtype)


def positive(*shape, dtype=np.float32):
    return (0.5 + 1.5 * RNG.random(shape)).astype(dtype)


def mask(*shape):
    return (np.arange(int(np.prod(shape))).reshape(shape) % 3 != 1)


def f64(a):
    return np.asarray(a, dtype=np.float64)


def softmax(x, dim):
    m = np.max(x, axis=dim, keepdims=True)
    e = np.exp(x - m)
    return e / np.sum(e, axis=dim, keepdims=True)


def log_softmax(x, dim):
    m = np.max(x, axis=dim, keepdims=True)
    return x - m - np.log(np.sum(np.exp(x - m), axis=dim, keepdims=True))


def logsumexp(x, dim, keepdim):
    m = np.max(x, axis=dim, keepdims=True)
    r = np.log(np.sum(np.exp(x - m), axis=dim, keepdims=True)) + m
    return r if keepdim else np.squeeze(r, axis=dim)


def var(x, dims, correction, keepdim):
    axis = None if dims is None else tuple(dims)
    n = x.size if dims is None else int(np.prod([x.shape[d] for d in dims]))
    c = x - np.mean(x, axis=axis, keepdims=True)
    return np.sum(c * c, axis=axis, keepdims=keepdim) / (n - correction)


def matmul(a, b):
    # np.matmul follows the same rules as torch.matmul (1-d promotion, broadcast batch dims).
    return np.matmul(a, b)


def cases():
    """(name, op tokens, inputs, reference function of float64 inputs)."""
    a34, b34, r31, r4 = normal(3, 4), normal(3, 4), normal(3, 1), normal(4)
    p34 = positive(3, 4)
    x234 = normal(2, 3, 4)
    yield "add broadcast [3,1]+[4]", ["add"], [r31, r4], lambda a, b: a + b
    yield "sub broadcast [3,1]-[4]", ["sub"], [r31, r4], lambda a, b: a - b
    yield "mul broadcast [3,1]*[4]", ["mul"], [r31, r4], lambda a, b: a * b
    yield "div broadcast [3,1]/[4]", ["div"], [r31, positive(4)], lambda a, b: a / b
    yield "add", ["add"], [a34, b34], lambda a, b: a + b
    yield "add scalar", ["add_scalar", "2.5"], [a34], lambda a: a + 2.5
    yield "sub scalar", ["sub_scalar", "0.75"], [a34], lambda a: a - 0.75
    yield "mul scalar", ["mul_scalar", "-3"], [a34], lambda a: a * -3
    yield "div scalar", ["div_scalar", "7"], [a34], lambda a: a / 7
    yield "rsub", ["rsub", "2"], [a34], lambda a: 2 - a
    yield "pow tensor", ["pow"], [p34, b34], lambda a, b: a ** b
    yield "pow scalar 3", ["pow_scalar", "3"], [a34], lambda a: a ** 3
    yield "pow scalar 0.5", ["pow_scalar", "0.5"], [p34], lambda a: a ** 0.5
    yield "pow scalar -1.5", ["pow_scalar", "-1.5"], [p34], lambda a: a ** -1.5
    yield "neg", ["neg"], [a34], lambda a: -a
    yield "abs", ["abs"], [a34], np.abs
    yield "exp", ["exp"], [a34], np.exp
    yield "log", ["log"], [p34], np.log
    yield "sqrt", ["sqrt"], [p34], np.sqrt
    yield "rsqrt", ["rsqrt"], [p34], lambda a: 1 / np.sqrt(a)
    yield "sin", ["sin"], [3 * a34], np.sin
    yield "cos", ["cos"], [3 * a34], np.cos
    yield "tanh", ["tanh"], [2 * a34], np.tanh
    yield "sigmoid", ["sigmoid"], [3 * a34], lambda a: 1 / (1 + np.exp(-a))
    yield "relu", ["relu"], [a34], lambda a: np.maximum(a, 0)
    yield "gelu", ["gelu"], [2 * a34], lambda a: 0.5 * a * (1 + ERF(a / math.sqrt(2)))
    yield "erf", ["erf"], [2 * a34], ERF
    yield "erf large", ["erf"], [np.array([-7, -4, -3.5, -3, 3, 3.2, 4.5, 6.5], np.float32)], ERF
    yield "reciprocal", ["reciprocal"], [a34], lambda a: 1 / a
    yield "clamp", ["clamp", "-0.5", "0.5"], [a34], lambda a: np.clip(a, -0.5, 0.5)
    yield "minimum", ["minimum"], [r31, r4], np.minimum
    yield "maximum", ["maximum"], [r31, r4], np.maximum
    yield "where", ["where"], [mask(3, 4), a34, r4], lambda c, x, y: np.where(c, x, y)
    yield "maskedFill", ["maskedFill", "-7"], [a34, mask(4)], lambda x, m: np.where(m, -7.0, x)
    yield "sum all", ["sum"], [x234], lambda a: np.sum(a)
    yield "sum dims 0,2", ["sum_dims", "0,2", "false"], [x234], lambda a: np.sum(a, axis=(0, 2))
    yield "sum dim -1 keepdim", ["sum_dims", "-1", "true"], [x234], lambda a: np.sum(a, axis=-1, keepdims=True)
    yield "mean all", ["mean"], [x234], lambda a: np.mean(a)
    yield "mean dims 1 keepdim", ["mean_dims", "1", "true"], [x234], lambda a: np.mean(a, axis=1, keepdims=True)
    yield "mean dims -1,0", ["mean_dims", "-1,0", "false"], [x234], lambda a: np.mean(a, axis=(2, 0))
    yield "max full", ["max"], [x234], lambda a: np.max(a)
    yield "min full", ["min"], [x234], lambda a: np.min(a)
    yield "var all", ["var"], [x234], lambda a: var(a, None, 1, False)
    yield "var dims 0,2 correction 1", ["var_dims", "0,2", "1", "false"], [x234], lambda a: var(a, [0, 2], 1, False)
    yield "var dim 1 correction 0 keepdim", ["var_dims", "1", "0", "true"], [x234], lambda a: var(a, [1], 0, True)
    yield "var dim 2 correction 2", ["var_dims", "2", "2", "false"], [x234], lambda a: var(a, [2], 2, False)
    yield "std all", ["std"], [x234], lambda a: np.sqrt(var(a, None, 1, False))
    yield "std dims -1 correction 0", ["std_dims", "-1", "0", "false"], [x234], \
        lambda a: np.sqrt(var(a, [2], 0, False))
    yield "std dims 0,1 correction 1 keepdim", ["std_dims", "0,1", "1", "true"], [x234], \
        lambda a: np.sqrt(var(a, [0, 1], 1, True))
    yield "softmax dim -1", ["softmax", "-1"], [3 * x234], lambda a: softmax(a, -1)
    yield "softmax dim 0", ["softmax", "0"], [3 * x234], lambda a: softmax(a, 0)
    yield "softmax dim 1", ["softmax", "1"], [3 * x234], lambda a: softmax(a, 1)
    yield "softmax large logits", ["softmax", "-1"], [np.array([[1000, 1001, 999], [-1000, -1002, -1001]],
                                                                np.float32)], lambda a: softmax(a, -1)
    yield "logSoftmax dim -1", ["logSoftmax", "-1"], [3 * x234], lambda a: log_softmax(a, -1)
    yield "logSoftmax dim 1", ["logSoftmax", "1"], [3 * x234], lambda a: log_softmax(a, 1)
    yield "logsumexp dim 1", ["logsumexp", "1", "false"], [3 * x234], lambda a: logsumexp(a, 1, False)
    yield "logsumexp dim -1 keepdim", ["logsumexp", "-1", "true"], [3 * x234], lambda a: logsumexp(a, -1, True)
    yield "matmul 1-d @ 1-d", ["matmul"], [normal(5), normal(5)], matmul
    yield "matmul 1-d @ 2-d", ["matmul"], [normal(3), normal(3, 4)], matmul
    yield "matmul 2-d @ 1-d", ["matmul"], [normal(2, 3), normal(3)], matmul
    yield "matmul 2-d @ 2-d", ["matmul"], [normal(4, 3), normal(3, 5)], matmul
    yield "matmul batched broadcast", ["matmul"], [normal(2, 1, 2, 3), normal(3, 3, 4)], matmul
    yield "matmul batched @ 1-d", ["matmul"], [normal(2, 2, 3), normal(3)], matmul
    yield "matmul 1-d @ batched", ["matmul"], [normal(3), normal(2, 3, 2)], matmul
    # float64 cases: the same math must hold to (nearly) double precision.
    d34, q34 = normal(3, 4, dtype=np.float64), positive(3, 4, dtype=np.float64)
    yield "float64 add broadcast", ["add"], [normal(3, 1, dtype=np.float64), normal(4, dtype=np.float64)], \
        lambda a, b: a + b
    yield "float64 exp", ["exp"], [d34], np.exp
    yield "float64 log", ["log"], [q34], np.log
    yield "float64 tanh", ["tanh"], [d34], np.tanh
    yield "float64 sigmoid", ["sigmoid"], [d34], lambda a: 1 / (1 + np.exp(-a))
    yield "float64 gelu", ["gelu"], [2 * d34], lambda a: 0.5 * a * (1 + ERF(a / math.sqrt(2)))
    yield "float64 erf", ["erf"], [2 * d34], ERF
    yield "float64 pow", ["pow"], [q34, d34], lambda a, b: a ** b
    yield "float64 var dim 1", ["var_dims", "1", "1", "false"], [d34], lambda a: var(a, [1], 1, False)
    yield "float64 softmax dim 0", ["softmax", "0"], [d34], lambda a: softmax(a, 0)
    yield "float64 logsumexp dim 1", ["logsumexp", "1", "false"], [d34], lambda a: logsumexp(a, 1, False)
    yield "float64 matmul batched", ["matmul"], [normal(2, 2, 3, dtype=np.float64), normal(3, 4, dtype=np.float64)], \
        matmul


DTYPES = {np.dtype(np.float32): "float32", np.dtype(np.float64): "float64", np.dtype(np.bool_): "bool"}


def fmt_array(a):
    a = np.asarray(a)
    shape = ",".join(str(s) for s in a.shape)
    if a.dtype == np.bool_:
        values = " ".join("1" if v else "0" for v in a.reshape(-1))
    else:
        values = " ".join(repr(float(v)) for v in a.reshape(-1))
    return f"{DTYPES[a.dtype]} {shape} : {values}"


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(here, "..", "resources", "op_references.txt")
    lines = ["# Generated by tensor-core/src/test/python/gen_op_references.py; do not edit by hand."]
    for name, op, inputs, ref in cases():
        out_dtype = np.float64 if any(x.dtype == np.float64 for x in inputs) else np.float32
        expected = f64(ref(*[x if x.dtype == np.bool_ else f64(x) for x in inputs]))
        lines += ["", f"case {name}", "op " + " ".join(op)]
        lines += ["in " + fmt_array(x) for x in inputs]
        # The expected values stay float64; the dtype names what Kiln must return.
        lines.append("out " + DTYPES[np.dtype(out_dtype)] + " " + fmt_array(expected).split(" ", 1)[1])
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {len(lines)} lines to {os.path.normpath(path)}")


if __name__ == "__main__":
    main()

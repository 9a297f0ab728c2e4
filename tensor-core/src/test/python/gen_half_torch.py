#!/usr/bin/env python3
"""Real-PyTorch (1.13) references for float16 / bfloat16 tensors: casts (rounding edge cases), pointwise ops,
matmul, reductions, softmax and a Linear forward/backward. Read by dev.kiln.tensor.HalfPrecisionTest.

Run from the repository root: /usr/bin/python3 tensor-core/src/test/python/gen_half_torch.py

NOTE: PyTorch 1.13's CPU has no float16 kernel for most math (exp, tanh, mm, softmax, ...: "not implemented for
'Half'"). Where torch refuses, the float16 reference is what its CUDA kernels and later CPU releases compute: the op
in float32 on the (exact) float32 values of the float16 inputs, rounded once to float16. Every such record says so in
its key (``...|via32``). bfloat16 runs PyTorch's own CPU kernels, except for matrix products: Debian's build uses a
generic BLAS whose bfloat16 GEMM accumulates in bfloat16 (one 4x5 @ 5x3 entry comes out -0.0010 where the exact
value is -0.0079), while PyTorch's MKL-DNN and CUDA builds, and Kiln, accumulate in float32 and round once; so
``mm`` and ``linear`` use the float32 reference for both types.

Records (dev.kiln.testing.Golden format), values as float64 (half values are exact in float64):
    cast|in, cast|f16, cast|bf16             float32 inputs and their .half() / .bfloat16()
    cast64|in, cast64|f16, cast64|bf16       float64 inputs (double rounding through float32, as ATen)
    castint|in, castint|f16, castint|bf16    int64 inputs
    tolong|<dt>|in, tolong|<dt>|out          half values converted to int64 (truncation)
    <dt>|x, <dt>|y, <dt>|w, <dt>|b, <dt>|v   operands, already <dt>
    <dt>|<op>[|via32]                        results
"""
import torch
import torch.nn.functional as F

from torch_golden import Records, resource

CAST_F32 = [0.0, -0.0, 1.0, -1.0, 65504.0, 65519.0, 65520.0, 1e5, -1e5, 2.0 ** -24, 2.0 ** -25, 3 * 2.0 ** -26,
            2.0 ** -26, 2.0 ** -14, 2.0 ** -14 - 2.0 ** -24, 1 + 2.0 ** -11, 1 + 3 * 2.0 ** -11, 1 + 2.0 ** -11 + 2.0 ** -20,
            1 + 2.0 ** -8, 1 + 3 * 2.0 ** -8, 1 + 2.0 ** -8 + 2.0 ** -20, 0.1, -0.3, 3.14159274, 1e-40, 3.4e38, -3.4e38,
            float("nan"), float("inf"), float("-inf"), 2049.0, 4097.0, 1e-8, 6e-5, 6.1e-5, 255.9, 0.333333343]
CAST_F64 = [1 + 2.0 ** -11 + 2.0 ** -40, 1 + 2.0 ** -8 + 2.0 ** -40, 0.1, 1e300, -1e300, 1e-300, 65519.99999, 2.0 ** -25]
CAST_INT = [0, 1, -1, 2049, 2051, 65504, 65519, 65520, 70000, -3, 257, 16777217, 2 ** 40 + 1]
TO_LONG = [-2.5, 2.75, 65504.0, -0.375, 100.5, -7.0]

# PyTorch's own tolerances for these dtypes (torch.testing.assert_close), used by the Java test.


def main():
    r = Records("gen_half_torch.py")
    f32 = torch.tensor(CAST_F32, dtype=torch.float32)
    r.put("cast|in", f32)
    r.put("cast|f16", f32.half())
    r.put("cast|bf16", f32.bfloat16())
    f64 = torch.tensor(CAST_F64, dtype=torch.float64)
    r.put("cast64|in", f64)
    r.put("cast64|f16", f64.half())
    r.put("cast64|bf16", f64.bfloat16())
    i64 = torch.tensor(CAST_INT, dtype=torch.int64)
    r.put("castint|in", i64)
    r.put("castint|f16", i64.half())
    r.put("castint|bf16", i64.bfloat16())
    for name, dt in (("f16", torch.float16), ("bf16", torch.bfloat16)):
        h = torch.tensor(TO_LONG).to(dt)
        r.put(f"tolong|{name}|in", h)
        r.put(f"tolong|{name}|out", h.long())
        ops(r, name, dt)
    r.write(resource("tensor", "half_torch.txt"))


def run(r, key, dt, fn, *args, via32=False):
    """fn on the <dt> args with torch's CPU kernel, or (float16 where torch has none) in float32, rounded once."""
    if via32:
        r.put(key + "|via32", fn(*[a.float() for a in args]).to(dt))
        return
    try:
        out = fn(*args)
        r.put(key, out)
        assert out.dtype == dt or out.dtype == torch.int64, (key, out.dtype)
    except RuntimeError as e:
        if "not implemented for 'Half'" not in str(e):
            raise
        r.put(key + "|via32", fn(*[a.float() for a in args]).to(dt))


def ops(r, name, dt):
    g = torch.Generator().manual_seed(11 if dt == torch.float16 else 12)
    x = torch.randn(4, 5, generator=g).to(dt)
    y = torch.randn(4, 5, generator=g).to(dt)
    w = torch.randn(5, 3, generator=g).to(dt)
    b = torch.randn(3, generator=g).to(dt)
    v = torch.randn(4, 3, generator=g).to(dt)
    for k, t in (("x", x), ("y", y), ("w", w), ("b", b), ("v", v)):
        r.put(f"{name}|{k}", t)
    p = f"{name}|"
    run(r, p + "add", dt, lambda a, c: a + c, x, y)
    run(r, p + "sub", dt, lambda a, c: a - c, x, y)
    run(r, p + "mul", dt, lambda a, c: a * c, x, y)
    run(r, p + "div", dt, lambda a, c: a / c, x, y)
    run(r, p + "mulscalar", dt, lambda a: a * 0.1, x)
    run(r, p + "addscalar", dt, lambda a: a + 1.5, x)
    run(r, p + "pow2", dt, lambda a: a.pow(2), x)
    run(r, p + "neg", dt, lambda a: -a, x)
    run(r, p + "exp", dt, lambda a: a.exp(), x)
    run(r, p + "tanh", dt, lambda a: a.tanh(), x)
    run(r, p + "sigmoid", dt, lambda a: a.sigmoid(), x)
    run(r, p + "relu", dt, lambda a: a.relu(), x)
    run(r, p + "logabs", dt, lambda a: a.abs().log(), x)
    run(r, p + "sqrtabs", dt, lambda a: a.abs().sqrt(), x)
    run(r, p + "mm", dt, lambda a, c: a @ c, x, w, via32=True)
    run(r, p + "sum1", dt, lambda a: a.sum(1), x)
    run(r, p + "sum", dt, lambda a: a.sum(), x)
    run(r, p + "mean1", dt, lambda a: a.mean(1), x)
    run(r, p + "max1", dt, lambda a: a.max(1).values, x)
    run(r, p + "argmax1", dt, lambda a: a.argmax(1), x)
    run(r, p + "softmax1", dt, lambda a: a.softmax(1), x)
    run(r, p + "logsoftmax1", dt, lambda a: a.log_softmax(1), x)
    linear(r, p, dt, x, w.t().contiguous(), b, v)


def linear(r, p, dt, x, weight, bias, v):
    """F.linear forward and the gradients of (out * v).sum() for x, weight and bias."""
    def fwd_bwd(x, weight, bias, v):
        x = x.clone().requires_grad_()
        weight = weight.clone().requires_grad_()
        bias = bias.clone().requires_grad_()
        out = F.linear(x, weight, bias)
        (out * v).sum().backward()
        return out.detach(), x.grad, weight.grad, bias.grad
    # float32 accumulation, rounded once per result (see the NOTE at the top on bfloat16 GEMMs)
    outs, suffix = [t.to(dt) for t in fwd_bwd(x.float(), weight.float(), bias.float(), v.float())], "|via32"
    for k, t in zip(("out", "gx", "gw", "gb"), outs):
        assert t.dtype == dt
        r.put(p + "linear_" + k + suffix, t)


if __name__ == "__main__":
    main()

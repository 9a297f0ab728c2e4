"""Reference values for ConvolutionTest, computed with plain numpy loops (float64) over PyTorch's documented formulas.

Run from the repository root:
    python3 tensor-core/src/test/python/gen_conv_references.py > tensor-core/src/test/resources/dev/kiln/ops/conv_references.txt

Format, one tensor per line:  <case> <name> float64 <shape as a,b,c> <values in row-major order>
Each function below is a direct transcription of the formula on the torch.nn docs page, written as loops
(no im2col), so it checks the Java im2col/GEMM path independently.
"""
import math

import numpy as np

rng = np.random.default_rng(20240611)


def emit(case, name, arr):
    arr = np.asarray(arr, dtype=np.float64)
    shape = ",".join(str(s) for s in arr.shape)
    values = " ".join(repr(float(v)) for v in arr.reshape(-1))
    print(f"{case} {name} float64 {shape} {values}")


def conv2d(x, w, b, stride, pad_before, pad_after, dilation, groups):
    """out[n, o, i, j] = b[o] + sum_{c, p, q} w[o, c, p, q] * x[n, g*Cg + c, i*s - pad + p*d, j*s - pad + q*d]."""
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    sh, sw = stride
    dh, dw = dilation
    oh = (h + pad_before[0] + pad_after[0] - dh * (kh - 1) - 1) // sh + 1
    ow = (wd + pad_before[1] + pad_after[1] - dw * (kw - 1) - 1) // sw + 1
    og = o // groups
    out = np.zeros((n, o, oh, ow))
    for b_ in range(n):
        for oc in range(o):
            g = oc // og
            for i in range(oh):
                for j in range(ow):
                    acc = 0.0 if b is None else b[oc]
                    for ci in range(cg):
                        for p in range(kh):
                            for q in range(kw):
                                y = i * sh - pad_before[0] + p * dh
                                xx = j * sw - pad_before[1] + q * dw
                                if 0 <= y < h and 0 <= xx < wd:
                                    acc += w[oc, ci, p, q] * x[b_, g * cg + ci, y, xx]
                    out[b_, oc, i, j] = acc
    return out


def conv_transpose2d(x, w, b, stride, padding, output_padding, groups, dilation):
    """Each input element scatters w[ci, oc] into out[n, g*Cout_g + oc, i*s - p + kp*d, j*s - p + kq*d]."""
    n, cin, h, wd = x.shape
    _, cog, kh, kw = w.shape
    oh = (h - 1) * stride[0] - 2 * padding[0] + dilation[0] * (kh - 1) + output_padding[0] + 1
    ow = (wd - 1) * stride[1] - 2 * padding[1] + dilation[1] * (kw - 1) + output_padding[1] + 1
    cig = cin // groups
    out = np.zeros((n, cog * groups, oh, ow))
    for b_ in range(n):
        for ci in range(cin):
            g = ci // cig
            for i in range(h):
                for j in range(wd):
                    for oc in range(cog):
                        for p in range(kh):
                            for q in range(kw):
                                y = i * stride[0] - padding[0] + p * dilation[0]
                                xx = j * stride[1] - padding[1] + q * dilation[1]
                                if 0 <= y < oh and 0 <= xx < ow:
                                    out[b_, g * cog + oc, y, xx] += x[b_, ci, i, j] * w[ci, oc, p, q]
    if b is not None:
        out += b.reshape(1, -1, 1, 1)
    return out


def pool_out(size, k, p, s, d, ceil):
    """torch.nn.MaxPool2d's output size; in ceil mode the last window must start inside input or left padding."""
    num = size + 2 * p - d * (k - 1) - 1
    out = (math.ceil(num / s) if ceil else num // s) + 1
    if ceil and (out - 1) * s >= size + p:
        out -= 1
    return out


def max_pool2d(x, k, s, p, d, ceil):
    n, c, h, wd = x.shape
    oh = pool_out(h, k[0], p[0], s[0], d[0], ceil)
    ow = pool_out(wd, k[1], p[1], s[1], d[1], ceil)
    out = np.zeros((n, c, oh, ow))
    idx = np.zeros((n, c, oh, ow))
    for b_ in range(n):
        for ch in range(c):
            for i in range(oh):
                for j in range(ow):
                    best, arg = -np.inf, None
                    for a in range(k[0]):
                        for bb in range(k[1]):
                            y = i * s[0] - p[0] + a * d[0]
                            xx = j * s[1] - p[1] + bb * d[1]
                            if 0 <= y < h and 0 <= xx < wd and x[b_, ch, y, xx] > best:
                                best, arg = x[b_, ch, y, xx], y * wd + xx
                    out[b_, ch, i, j] = best
                    idx[b_, ch, i, j] = arg
    return out, idx


def avg_pool2d(x, k, s, p, ceil, count_include_pad):
    """Divisor: window clipped to the padded input (count_include_pad) or to the input itself."""
    n, c, h, wd = x.shape
    oh = pool_out(h, k[0], p[0], s[0], 1, ceil)
    ow = pool_out(wd, k[1], p[1], s[1], 1, ceil)
    out = np.zeros((n, c, oh, ow))
    for i in range(oh):
        for j in range(ow):
            y0, x0 = i * s[0] - p[0], j * s[1] - p[1]
            y1, x1 = min(y0 + k[0], h + p[0]), min(x0 + k[1], wd + p[1])
            padded = (y1 - y0) * (x1 - x0)
            y0c, x0c, y1c, x1c = max(y0, 0), max(x0, 0), min(y1, h), min(x1, wd)
            div = padded if count_include_pad else (y1c - y0c) * (x1c - x0c)
            out[:, :, i, j] = x[:, :, y0c:y1c, x0c:x1c].sum(axis=(2, 3)) / div
    return out


def adaptive_avg_pool2d(x, oh, ow):
    n, c, h, wd = x.shape
    out = np.zeros((n, c, oh, ow))
    for i in range(oh):
        for j in range(ow):
            y0, y1 = (i * h) // oh, -(-((i + 1) * h) // oh)
            x0, x1 = (j * wd) // ow, -(-((j + 1) * wd) // ow)
            out[:, :, i, j] = x[:, :, y0:y1, x0:x1].mean(axis=(2, 3))
    return out


# conv2d: rectangular kernel, stride (2,1), padding (1,2), dilation (1,2)
x = rng.standard_normal((2, 3, 7, 6)); w = rng.standard_normal((4, 3, 3, 2)); b = rng.standard_normal(4)
for name, v in (("input", x), ("weight", w), ("bias", b)):
    emit("conv2d_strided", name, v)
emit("conv2d_strided", "expected", conv2d(x, w, b, (2, 1), (1, 2), (1, 2), (1, 2), 1))

# conv2d: groups=2, padding 2, dilation 2
x = rng.standard_normal((2, 4, 6, 6)); w = rng.standard_normal((6, 2, 3, 3)); b = rng.standard_normal(6)
for name, v in (("input", x), ("weight", w), ("bias", b)):
    emit("conv2d_groups", name, v)
emit("conv2d_groups", "expected", conv2d(x, w, b, (1, 1), (2, 2), (2, 2), (2, 2), 2))

# conv2d padding='same' with an even kernel height: total pad 3 -> 1 before, 2 after (PyTorch pads the far side)
x = rng.standard_normal((1, 2, 5, 6)); w = rng.standard_normal((3, 2, 4, 3))
emit("conv2d_same", "input", x)
emit("conv2d_same", "weight", w)
emit("conv2d_same", "expected", conv2d(x, w, None, (1, 1), (1, 1), (2, 1), (1, 1), 1))

# conv1d: stride 2, padding 1, dilation 2, via the 2-d loop on a height-1 image
x = rng.standard_normal((2, 3, 9)); w = rng.standard_normal((4, 3, 3)); b = rng.standard_normal(4)
for name, v in (("input", x), ("weight", w), ("bias", b)):
    emit("conv1d", name, v)
emit("conv1d", "expected", conv2d(x[:, :, None, :], w[:, :, None, :], b, (1, 2), (0, 1), (0, 1), (1, 2), 1)[:, :, 0, :])

# conv_transpose2d: groups 2, stride 2, padding 1, output_padding 1, dilation (1, 2)
x = rng.standard_normal((2, 4, 4, 3)); w = rng.standard_normal((4, 3, 3, 2)); b = rng.standard_normal(6)
for name, v in (("input", x), ("weight", w), ("bias", b)):
    emit("conv_transpose2d", name, v)
emit("conv_transpose2d", "expected", conv_transpose2d(x, w, b, (2, 2), (1, 1), (1, 1), 2, (1, 2)))

# max_pool2d: kernel (3,2), stride 2, padding 1, dilation (1,2), ceil_mode
x = rng.standard_normal((2, 3, 7, 8))
out, idx = max_pool2d(x, (3, 2), (2, 2), (1, 1), (1, 2), True)
emit("max_pool2d", "input", x)
emit("max_pool2d", "expected", out)
emit("max_pool2d", "indices", idx)

# avg_pool2d: kernel 3, stride 2, padding 1, ceil_mode, both count_include_pad settings
x = rng.standard_normal((2, 2, 7, 8))
emit("avg_pool2d", "input", x)
emit("avg_pool2d", "include_pad", avg_pool2d(x, (3, 3), (2, 2), (1, 1), True, True))
emit("avg_pool2d", "exclude_pad", avg_pool2d(x, (3, 3), (2, 2), (1, 1), True, False))

# adaptive_avg_pool2d to (3, 2) from 7x5 (overlapping, uneven windows)
x = rng.standard_normal((2, 3, 7, 5))
emit("adaptive_avg_pool2d", "input", x)
emit("adaptive_avg_pool2d", "expected", adaptive_avg_pool2d(x, 3, 2))

# max_pool2d 2x2 stride 2 (MaxPool2d(2), float32's fast path): odd width, floor and ceil mode (ceil falls back to the
# generic path), plus the gradient of the floor-mode pooling for an upstream gradient g (scattered to the argmax)
x = rng.standard_normal((2, 3, 6, 7))
g = rng.standard_normal((2, 3, 3, 3))
out, idx = max_pool2d(x, (2, 2), (2, 2), (0, 0), (1, 1), False)
grad_in = np.zeros_like(x)
for b_ in range(2):
    for ch in range(3):
        plane = grad_in[b_, ch].reshape(-1)
        for k, i in enumerate(idx[b_, ch].reshape(-1)):
            plane[int(i)] += g[b_, ch].reshape(-1)[k]
emit("max_pool2d_2x2", "input", x)
emit("max_pool2d_2x2", "grad", g)
emit("max_pool2d_2x2", "expected", out)
emit("max_pool2d_2x2", "indices", idx)
emit("max_pool2d_2x2", "grad_input", grad_in)
out, idx = max_pool2d(x, (2, 2), (2, 2), (0, 0), (1, 1), True)
emit("max_pool2d_2x2", "ceil_expected", out)
emit("max_pool2d_2x2", "ceil_indices", idx)

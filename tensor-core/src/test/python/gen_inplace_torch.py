#!/usr/bin/env python3
"""Gradients through in-place ops from real PyTorch (1.13, float64): ops whose backward needs the original self
(mul_, div_, clamp_ on a non-leaf), and in-place ops through views of tensors in the graph (CopySlices).

Every case builds from the leaves x [2, 3], c [3], s [2, 3], c2 [2], then backpropagates sum(out * u) for the
recorded upstream u of out's shape. Records '<case>.out' and '<case>.grad.<leaf>'. The Java mirror is
dev.kiln.autograd.InPlaceTorchTest. Writes src/test/resources/dev/kiln/autograd/inplace_torch.txt.

Run:  /usr/bin/python3 src/test/python/gen_inplace_torch.py
"""
import torch

from torch_golden import Records, resource

R = Records("gen_inplace_torch.py")
torch.manual_seed(7)
D = torch.float64
LEAVES = {
    "x": torch.randn(2, 3, dtype=D),
    "c": torch.randn(3, dtype=D),
    "s": torch.randn(2, 3, dtype=D),
    "c2": torch.randn(2, dtype=D),
}
for k, v in LEAVES.items():
    R.put(k, v)


def case(name, fn):
    leaves = {k: v.clone().requires_grad_(True) for k, v in LEAVES.items()}
    out = fn(leaves)
    up = torch.linspace(-1.0, 2.0, out.numel(), dtype=D).reshape(out.shape)
    R.put(name + ".out", out)
    (out * up).sum().backward()
    for k, v in leaves.items():
        if v.grad is not None:
            R.put(name + ".grad." + k, v.grad)


def mul_c(t):
    y = t["x"] * 2
    y.mul_(t["c"])
    return y


def div_c(t):
    y = t["x"] * 2
    y.div_(t["c"])
    return y


def clamp(t):
    y = t["x"] * 2
    y.clamp_(-0.5, 0.7)
    return y


def mul_c_no_grad_self(t):
    y = torch.ones(2, 3, dtype=D)
    y.mul_(t["c"])
    return y


def chain(t):
    y = t["x"] * 1.5
    y.mul_(t["s"])
    y.sub_(0.2)
    y.div_(t["s"] + 3)
    y.clamp_(-0.4, 1.0)
    y.add_(t["c"])
    y.relu_()
    return y


def view_mul(t):
    y = t["x"] * 2
    y[0].mul_(t["c"])
    return y


def column_add(t):
    y = t["x"] * 2
    y[:, 1].add_(t["c2"])
    return y


def transposed_clamp(t):
    y = t["x"] * 2
    y.t()[1].clamp_(-0.3, 0.3)
    return y


def narrow_exp(t):
    y = t["x"] * 2
    y.narrow(1, 1, 2).exp_()
    return y


def copy_into_plain(t):
    b = torch.zeros(2, 3, dtype=D)
    b[1].copy_(t["x"][0] * 3)
    return b * t["s"]


def fill_row(t):
    y = t["x"] * 2
    y[0].fill_(1.5)
    return y * t["s"]


def twice(t):
    y = t["x"] * 2
    y[0].mul_(t["c"])
    y[0].mul_(t["c"])
    return y


def view_used_after(t):
    y = t["x"] * 2
    v = y[1]
    v.mul_(t["c"])
    return torch.cat([y.reshape(-1), v * v])


def masked_fill_view(t):
    y = t["x"] * 2
    y[1].masked_fill_(torch.tensor([True, False, True]), -2.0)
    return y


def strided_view_of_view(t):
    y = t["x"] * 2
    v = y.view(6)
    v[1:5:2].mul_(t["c2"])
    return y


def copy_from_grad_source(t):
    y = t["x"] * 2
    y[0].copy_(t["c"] * t["c"])
    return y


def stale_view(t):
    y = t["x"] * 2
    v = y[0]
    y.mul_(t["s"])  # v's values change: its grad_fn is regenerated from y's new history
    return torch.cat([v * 1.0, y.reshape(-1)])


def sibling_view(t):
    y = t["x"] * 2
    a = y[0]
    b = y[:, 1]
    a.mul_(t["c"])  # b overlaps a at y[0, 1]
    return b * t["c2"]


def base_then_view_then_base(t):
    y = t["x"] * 2
    v = y.t()
    y.add_(t["s"])
    v[1].mul_(t["c2"])
    y.exp_()
    return v * 1.0


if __name__ == "__main__":
    for f in (mul_c, div_c, clamp, mul_c_no_grad_self, chain, view_mul, column_add, transposed_clamp, narrow_exp,
              copy_into_plain, fill_row, twice, view_used_after, masked_fill_view, strided_view_of_view,
              copy_from_grad_source, stale_view, sibling_view, base_then_view_then_base):
        case(f.__name__, f)
    R.write(resource("autograd", "inplace_torch.txt"))

#!/usr/bin/env python3
"""torch.cumsum / torch.cumprod from real PyTorch (1.13): values for each dim and dtype rule, and gradients (float64)
including inputs with zeros (one zero, several zeros, a zero first). Java mirror: dev.kiln.ops.ScansTest.
Writes src/test/resources/dev/kiln/ops/scans_torch.txt.

Run:  /usr/bin/python3 src/test/python/gen_scans_torch.py
"""
import torch

from torch_golden import Records, resource

R = Records("gen_scans_torch.py")
torch.manual_seed(11)
D = torch.float64

x = torch.randn(3, 4, 5, dtype=D)
R.put("x", x)
zeros = torch.tensor([[2.0, 0.0, 3.0, -1.5, 0.5], [0.0, 1.5, -2.0, 0.0, 4.0], [1.2, -0.7, 0.9, 1.1, 0.0]], dtype=D)
R.put("zeros", zeros)
ints = torch.tensor([[3, -1, 4, 1], [5, 9, -2, 6]], dtype=torch.int32)
R.put("ints", ints)
R.put("bools", torch.tensor([True, False, True, True]))
up_x = torch.linspace(-1.0, 2.0, x.numel(), dtype=D).reshape(x.shape)
up_z = torch.linspace(-1.0, 2.0, zeros.numel(), dtype=D).reshape(zeros.shape)


def record(name, fn, inp, up):
    leaf = inp.clone().requires_grad_(True)
    out = fn(leaf)
    R.put(name + ".out", out)
    (out * up).sum().backward()
    R.put(name + ".grad", leaf.grad)


for dim in (0, 1, 2, -1):
    record(f"cumsum.{dim}", lambda t: torch.cumsum(t, dim), x, up_x)
    record(f"cumprod.{dim}", lambda t: torch.cumprod(t, dim), x, up_x)
for dim in (0, 1):
    record(f"cumprod.zeros.{dim}", lambda t: torch.cumprod(t, dim), zeros, up_z)
    record(f"cumsum.zeros.{dim}", lambda t: torch.cumsum(t, dim), zeros, up_z)
# dtype rules: integral inputs give int64, dtype= converts first
R.put("cumsum.ints.1", torch.cumsum(ints, 1))
R.put("cumprod.ints.0", torch.cumprod(ints, 0))
R.put("cumsum.bools", torch.cumsum(torch.tensor([True, False, True, True]), 0))
R.put("cumsum.ints.float64", torch.cumsum(ints, 1, dtype=torch.float64))
R.put("cumsum.x.float32", torch.cumsum(x.float(), 2))
R.put("cumsum.scalar", torch.cumsum(torch.tensor(2.5, dtype=D), 0))
R.write(resource("ops", "scans_torch.txt"))

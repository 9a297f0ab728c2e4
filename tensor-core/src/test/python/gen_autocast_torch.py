#!/usr/bin/env python3
"""Real-PyTorch (1.13) references for CPU autocast (torch.autocast("cpu", dtype=torch.bfloat16)): a small MLP with
cross entropy and a small CNN (conv, batch norm) with MSE, forward under autocast, backward outside it, float32 master weights. Read by
dev.kiln.amp.AutocastTest.

Run from the repository root: /usr/bin/python3 tensor-core/src/test/python/gen_autocast_torch.py

Records (dev.kiln.testing.Golden format):
    <net>|param|<name>      the float32 parameters (state-dict names)
    <net>|x, <net>|target   the input (float32) and target (int64 classes for the MLP, float32 for the CNN)
    <net>|<tensor>          forward values (float64 of whatever dtype torch gives)
    <net>|<tensor>|dtype    its dtype: 0 float64, 1 float32, 2 int64, 3 bool, 4 float16, 5 bfloat16
    <net>|grad|<name>       the parameter's .grad after backward (float32, like the parameter)
    <net>|grad|dtype|<name> its dtype code
NOTE: torch 1.13's CPU bfloat16 GEMM on this machine (generic BLAS, no AVX512-BF16) does not round exactly once, so
the Java test compares values within a few bfloat16 ulps; dtypes must match exactly.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

from torch_golden import Records, resource

CODES = {torch.float64: 0, torch.float32: 1, torch.int64: 2, torch.bool: 3, torch.float16: 4, torch.bfloat16: 5}


def put(r, key, t):
    r.put(key, t)
    r.put(key + "|dtype", CODES[t.dtype])


def params(r, net, model):
    for name, p in model.named_parameters():
        r.put(f"{net}|param|{name}", p)


def grads(r, net, model):
    for name, p in model.named_parameters():
        r.put(f"{net}|grad|{name}", p.grad)
        r.put(f"{net}|grad|dtype|{name}", CODES[p.grad.dtype])


def mlp(r):
    torch.manual_seed(5)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    x = torch.randn(6, 4)
    target = torch.tensor([0, 2, 1, 1, 0, 2])
    params(r, "mlp", model)
    r.put("mlp|x", x)
    r.put("mlp|target", target)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        h = model[0](x)
        a = model[1](h)
        out = model[2](a)
        sm = out.softmax(1)
        loss = F.cross_entropy(out, target)
        mixed = out + x[:, :3]  # bfloat16 + float32: the widest type
    for k, t in (("h", h), ("a", a), ("out", out), ("softmax", sm), ("loss", loss), ("mixed", mixed)):
        put(r, "mlp|" + k, t.detach())
    loss.backward()
    grads(r, "mlp", model)


def cnn(r):
    torch.manual_seed(6)
    conv = nn.Conv2d(1, 2, 3)
    bn = nn.BatchNorm2d(2)
    fc = nn.Linear(2 * 3 * 3, 2)
    with torch.no_grad():  # not the identity, so the test sees them
        bn.weight.copy_(torch.tensor([1.5, 0.75]))
        bn.bias.copy_(torch.tensor([0.25, -0.5]))
    model = nn.ModuleDict({"conv": conv, "bn": bn, "fc": fc})
    x = torch.randn(3, 1, 5, 5)
    target = torch.randn(3, 2)
    params(r, "cnn", model)
    r.put("cnn|x", x)
    r.put("cnn|target", target)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        c = conv(x)
        n = bn(c)  # a bfloat16 input with float32 parameters: normalized in float32, bfloat16 out
        a = n.relu()
        out = fc(a.flatten(1))
        loss = F.mse_loss(out, target)
    for k, t in (("conv", c), ("bn", n), ("relu", a), ("out", out), ("loss", loss)):
        put(r, "cnn|" + k, t.detach())
    loss.backward()
    grads(r, "cnn", model)
    r.put("cnn|running_mean", bn.running_mean)
    r.put("cnn|running_var", bn.running_var)


def main():
    r = Records("gen_autocast_torch.py")
    mlp(r)
    cnn(r)
    r.write(resource("amp", "autocast_torch.txt"))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Optimizer trajectories from real PyTorch (1.13, float64): every option of SGD, Adam, AdamW, RMSprop and Adagrad.

Three parameters in two param groups: group 0 holds p0 [2, 3] and p1 [4] with the case's options, group 1 holds
p2 [3, 2] with the case's group-1 overrides. Each of 6 steps assigns the recorded gradients 'grad.<step>.<param>'
(different every step, independent of the parameters, so the update rule alone is tested); at step 3 p1 has no
gradient and must be skipped. Records 'p.<param>' (initial values) and '<case>.step<k>.<param>'.
The Java mirror is dev.kiln.optim.OptimTorchTest, one line per case with the same name.
Writes src/test/resources/dev/kiln/optim/optim_torch.txt.

Run:  /usr/bin/python3 src/test/python/gen_optim_torch.py
"""
import torch

from torch_golden import Records, resource

R = Records("gen_optim_torch.py")
torch.manual_seed(3)
D = torch.float64
STEPS = 6
SKIP = (3, "p1")  # at this step p1 has no gradient
INIT = {"p0": torch.randn(2, 3, dtype=D), "p1": torch.randn(4, dtype=D), "p2": torch.randn(3, 2, dtype=D)}
GRADS = {s: {k: torch.randn(v.shape, dtype=D) * (0.5 + s / 4) for k, v in INIT.items()} for s in range(1, STEPS + 1)}
for k, v in INIT.items():
    R.put("p." + k, v)
for s, gs in GRADS.items():
    for k, g in gs.items():
        R.put(f"grad.{s}.{k}", g)


def run(name, cls, options, group1=None):
    params = {k: v.clone().requires_grad_(True) for k, v in INIT.items()}
    g1 = dict(group1 or {})
    g1["params"] = [params["p2"]]
    opt = cls([{"params": [params["p0"], params["p1"]]}, g1], **options)
    for s in range(1, STEPS + 1):
        for k, p in params.items():
            p.grad = None if (s, k) == SKIP else GRADS[s][k].clone()
        opt.step()
        for k, p in params.items():
            R.put(f"{name}.step{s}.{k}", p)


def sgd():
    S = torch.optim.SGD
    run("sgd.plain", S, dict(lr=0.1))
    run("sgd.momentum", S, dict(lr=0.1, momentum=0.9), dict(lr=0.05))
    run("sgd.dampening", S, dict(lr=0.1, momentum=0.9, dampening=0.3), dict(momentum=0.5))
    run("sgd.nesterov", S, dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.05), dict(nesterov=False))
    run("sgd.wd.maximize", S, dict(lr=0.1, weight_decay=0.1, maximize=True), dict(maximize=False))
    run("sgd.all", S, dict(lr=0.07, momentum=0.6, dampening=0.2, weight_decay=0.03, maximize=True),
        dict(lr=0.2, momentum=0.0))


def adam():
    for prefix, A in (("adam", torch.optim.Adam), ("adamw", torch.optim.AdamW)):
        run(f"{prefix}.plain", A, dict(lr=0.1))
        run(f"{prefix}.wd", A, dict(lr=0.05, betas=(0.8, 0.99), weight_decay=0.1), dict(weight_decay=0.0))
        run(f"{prefix}.amsgrad", A, dict(lr=0.1, amsgrad=True, weight_decay=0.01), dict(amsgrad=False))
        run(f"{prefix}.maximize", A, dict(lr=0.1, maximize=True, eps=1e-3), dict(lr=0.02))
        run(f"{prefix}.all", A, dict(lr=0.03, betas=(0.7, 0.95), eps=1e-6, weight_decay=0.2, amsgrad=True,
                                     maximize=True), dict(betas=(0.9, 0.999), maximize=False))


def rmsprop():
    P = torch.optim.RMSprop
    run("rmsprop.plain", P, dict(lr=0.01))
    run("rmsprop.alpha", P, dict(lr=0.01, alpha=0.9), dict(alpha=0.5))
    run("rmsprop.centered", P, dict(lr=0.02, centered=True, eps=1e-6), dict(centered=False))
    run("rmsprop.momentum", P, dict(lr=0.01, momentum=0.8, weight_decay=0.1), dict(momentum=0.0))
    run("rmsprop.all", P, dict(lr=0.01, alpha=0.95, momentum=0.5, centered=True, weight_decay=0.05, maximize=True),
        dict(lr=0.03, centered=False))
    run("rmsprop.maximize", P, dict(lr=0.01, maximize=True), dict(momentum=0.3))


def adagrad():
    G = torch.optim.Adagrad
    run("adagrad.plain", G, dict(lr=0.1))
    run("adagrad.lr_decay", G, dict(lr=0.1, lr_decay=0.1), dict(lr_decay=0.0))
    run("adagrad.initial_accumulator", G, dict(lr=0.1, initial_accumulator_value=0.5),
        dict(initial_accumulator_value=2.0))
    run("adagrad.wd", G, dict(lr=0.1, weight_decay=0.05))
    run("adagrad.maximize", G, dict(lr=0.1, maximize=True, eps=1e-3))
    run("adagrad.all", G, dict(lr=0.2, lr_decay=0.05, weight_decay=0.1, initial_accumulator_value=0.3,
                               eps=1e-6, maximize=True), dict(maximize=False, lr=0.05))


if __name__ == "__main__":
    sgd()
    adam()
    rmsprop()
    adagrad()
    R.write(resource("optim", "optim_torch.txt"))

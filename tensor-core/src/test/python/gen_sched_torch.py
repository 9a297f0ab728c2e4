#!/usr/bin/env python3
"""LR scheduler trajectories from real PyTorch (1.13): every scheduler in dev.kiln.optim.lr with its options.

The optimizer is SGD(momentum=0.9) with two param groups at lr 0.1 and 0.05 (Adam with betas (0.9, 0.999) where a
case says so). '<case>.lr' holds each group's lr after construction and after each step: shape (steps + 1, 2);
OneCycleLR cases also record '<case>.momentum' (SGD's momentum or Adam's beta1). ReduceLROnPlateau cases step with
the recorded metrics 'plateau.metrics' and record the lr after each step: shape (steps, 2). The Java mirror is
dev.kiln.optim.lr.LRSchedulerTorchTest. Writes src/test/resources/dev/kiln/optim/sched_torch.txt.

Run:  /usr/bin/python3 src/test/python/gen_sched_torch.py
"""
import math
import warnings

import torch
from torch.optim import lr_scheduler as L

from torch_golden import Records, resource

warnings.filterwarnings("ignore")
R = Records("gen_sched_torch.py")
STEPS = 30


def make_opt(adam=False):
    p1 = torch.nn.Parameter(torch.ones(2))
    p2 = torch.nn.Parameter(torch.ones(3))
    groups = [{"params": [p1]}, {"params": [p2], "lr": 0.05}]
    if adam:
        return torch.optim.Adam(groups, lr=0.1)
    return torch.optim.SGD(groups, lr=0.1, momentum=0.9)


def lrs(opt):
    return [g["lr"] for g in opt.param_groups]


def run(name, make, steps=STEPS, adam=False, momentum=False):
    opt = make_opt(adam)
    s = make(opt)
    rows, moms = [lrs(opt)], []
    key = "betas" if adam else "momentum"

    def mom():
        return [g[key][0] if adam else g[key] for g in opt.param_groups]
    moms.append(mom())
    for _ in range(steps):
        opt.step()
        s.step()
        rows.append(lrs(opt))
        moms.append(mom())
    R.put(name + ".lr", rows)
    if momentum:
        R.put(name + ".momentum", moms)


def simple():
    run("step", lambda o: L.StepLR(o, 7, 0.5))
    run("step.default", lambda o: L.StepLR(o, 3))
    run("multistep", lambda o: L.MultiStepLR(o, [3, 10, 10, 25], 0.3))
    run("exponential", lambda o: L.ExponentialLR(o, 0.9))
    run("cosine", lambda o: L.CosineAnnealingLR(o, 10, 0.001))
    run("cosine.nomin", lambda o: L.CosineAnnealingLR(o, 7))
    run("linear", lambda o: L.LinearLR(o, 0.25, 1.0, 8))
    run("linear.down", lambda o: L.LinearLR(o, 1.0, 0.1, 12))
    run("linear.default", lambda o: L.LinearLR(o))
    run("lambda", lambda o: L.LambdaLR(o, lambda e: 1.0 / (1 + e)))
    run("lambda.pergroup", lambda o: L.LambdaLR(o, [lambda e: 0.95 ** e, lambda e: 1.0 / (1 + 0.1 * e)]))


def one_cycle():
    total = 31
    cases = {
        "cos": dict(),
        "linear": dict(anneal_strategy="linear"),
        "three": dict(three_phase=True, pct_start=0.25),
        "three.linear": dict(three_phase=True, anneal_strategy="linear"),
        "divs": dict(div_factor=10.0, final_div_factor=100.0, pct_start=0.4, base_momentum=0.8, max_momentum=0.9),
        "nomomentum": dict(cycle_momentum=False),
    }
    for name, kw in cases.items():
        for adam in (False, True):
            suffix = ".adam" if adam else ""
            run(f"onecycle.{name}{suffix}", lambda o: L.OneCycleLR(o, [1.0, 0.5], total_steps=total, **kw),
                steps=total, adam=adam, momentum=True)
    run("onecycle.epochs", lambda o: L.OneCycleLR(o, 0.8, epochs=4, steps_per_epoch=5), steps=20, momentum=True)


def plateau():
    g = torch.Generator().manual_seed(7)
    noise = torch.randn(STEPS, generator=g, dtype=torch.float64)
    metrics = [1.0 / (1 + 0.2 * i) + 0.05 * noise[i].item() if i < 8 else 0.3 + 0.01 * ((-1) ** i)
               for i in range(STEPS)]
    R.put("plateau.metrics", metrics)
    cases = {
        "min.rel": dict(mode="min", factor=0.5, patience=2, threshold=1e-2, threshold_mode="rel", cooldown=1,
                        min_lr=0.004),
        "min.abs": dict(mode="min", factor=0.1, patience=3, threshold=0.05, threshold_mode="abs"),
        "max.rel": dict(mode="max", factor=0.5, patience=1, threshold=1e-3, threshold_mode="rel", cooldown=2,
                        min_lr=[0.01, 0.02]),
        "max.abs": dict(mode="max", factor=0.3, patience=0, threshold=0.02, threshold_mode="abs"),
        "eps": dict(mode="min", factor=0.5, patience=0, threshold=0.0, min_lr=0.0, eps=0.02),
        "default": dict(),
    }
    for name, kw in cases.items():
        opt = make_opt()
        s = L.ReduceLROnPlateau(opt, **kw)
        rows = []
        for m in metrics:
            opt.step()
            s.step(m if kw.get("mode", "min") == "min" else 1 - m)
            rows.append(lrs(opt))
        R.put(f"plateau.{name}.lr", rows)


def sequential():
    run("sequential", lambda o: L.SequentialLR(o, [L.LinearLR(o, 0.1, 1.0, 5), L.CosineAnnealingLR(o, 20, 0.001)],
                                               [6]))
    run("sequential.three", lambda o: L.SequentialLR(o, [L.ExponentialLR(o, 0.8), L.StepLR(o, 4, 0.5),
                                                         L.LinearLR(o, 0.5, 1.0, 6)], [5, 12]))


if __name__ == "__main__":
    simple()
    one_cycle()
    plateau()
    sequential()
    R.write(resource("optim", "sched_torch.txt"))

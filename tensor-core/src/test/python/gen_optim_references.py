#!/usr/bin/env python3
"""Golden values for RMSprop, Adagrad, the LR schedulers and gradient clipping, in numpy float64.

Update rules follow PyTorch's documented algorithms (torch.optim.RMSprop, torch.optim.Adagrad); schedulers follow
the recursive ("chainable") formulas of torch/optim/lr_scheduler.py get_lr(), written out again here from the
documentation, not copied from Kiln. Writes src/test/resources/dev/kiln/optim/optim_references.txt, one record a
line:  key <TAB> shape (comma-separated, empty for a scalar) <TAB> values (space-separated, %.17g)

Run from tensor-core/:  python3 src/test/python/gen_optim_references.py
"""
import math
import os
import numpy as np

OUT = os.path.join(os.path.dirname(__file__), "..", "resources", "dev", "kiln", "optim", "optim_references.txt")
records = []


def put(key, arr):
    a = np.asarray(arr, dtype=np.float64)
    shape = ",".join(str(s) for s in a.shape)
    records.append(f"{key}\t{shape}\t" + " ".join("%.17g" % v for v in a.ravel()))


# ------------------------------------------------------------------ optimizers (same problem as gen_nn_references)
A = np.array([[1.0, 0.5, 2.0], [3.0, 0.1, 1.5]])
C = np.array([[0.5, -1.0, 2.0], [0.0, 1.0, -0.5]])
P0 = np.array([[1.0, 2.0, -1.0], [0.5, -0.3, 0.8]])


def grad(p):
    """Gradient of f(p) = sum(0.5 * A * (p - C)^2 + 0.1 / 3 * p^3)."""
    return A * (p - C) + 0.1 * p ** 2


def rmsprop(lr, alpha=0.99, eps=1e-8, wd=0.0, momentum=0.0, centered=False, maximize=False, steps=5):
    p = P0.copy()
    v, gave, buf, out = np.zeros_like(p), np.zeros_like(p), np.zeros_like(p), []
    for _ in range(steps):
        g = -grad(p) if maximize else grad(p)
        if wd:
            g = g + wd * p
        v = alpha * v + (1 - alpha) * g * g
        if centered:
            gave = alpha * gave + (1 - alpha) * g
            avg = np.sqrt(v - gave * gave) + eps
        else:
            avg = np.sqrt(v) + eps
        if momentum > 0:
            buf = momentum * buf + g / avg
            p = p - lr * buf
        else:
            p = p - lr * g / avg
        out.append(p.copy())
    return out


def adagrad(lr, lr_decay=0.0, wd=0.0, init_acc=0.0, eps=1e-10, steps=5):
    p = P0.copy()
    s, out = np.full_like(p, init_acc), []
    for t in range(1, steps + 1):
        g = grad(p)
        clr = lr / (1 + (t - 1) * lr_decay)
        if wd:
            g = g + wd * p
        s = s + g * g
        p = p - clr * g / (np.sqrt(s) + eps)
        out.append(p.copy())
    return out


def optimizers():
    put("opt.A", A)
    put("opt.C", C)
    put("opt.p0", P0)
    cases = {
        "rmsprop.plain": rmsprop(0.01),
        "rmsprop.momentum": rmsprop(0.01, alpha=0.9, momentum=0.8, wd=0.1),
        "rmsprop.centered": rmsprop(0.02, centered=True, eps=1e-6),
        "rmsprop.all": rmsprop(0.01, alpha=0.95, momentum=0.5, centered=True, wd=0.05),
        "rmsprop.maximize": rmsprop(0.01, maximize=True),
        "adagrad.plain": adagrad(0.1),
        "adagrad.decay": adagrad(0.1, lr_decay=0.1, wd=0.05, init_acc=0.5),
        "adagrad.eps": adagrad(0.5, eps=1e-3, init_acc=0.1),
    }
    for name, steps in cases.items():
        for i, p in enumerate(steps):
            put(f"{name}.step{i + 1}", p)


# ------------------------------------------------------------------ LR schedulers (recursive forms, 30 steps)
BASE = [0.1, 0.05]  # two param groups
STEPS = 30


def run(get_lr):
    """lr of each group after construction (last_epoch 0) and after each of STEPS steps: shape (STEPS+1, groups)."""
    lrs = list(BASE)
    out = []
    for epoch in range(STEPS + 1):
        lrs = get_lr(epoch, lrs)
        out.append(list(lrs))
    return np.array(out)


def step_lr(step_size, gamma):
    return lambda e, lrs: lrs if e == 0 or e % step_size else [lr * gamma for lr in lrs]


def multi_step_lr(milestones, gamma):
    def f(e, lrs):
        k = milestones.count(e)
        return [lr * gamma ** k for lr in lrs] if k else lrs
    return f


def exponential_lr(gamma):
    return lambda e, lrs: lrs if e == 0 else [lr * gamma for lr in lrs]


def cosine_recursive(t_max, eta_min):
    def f(e, lrs):
        if e == 0:
            return lrs
        if (e - 1 - t_max) % (2 * t_max) == 0:
            return [lr + (b - eta_min) * (1 - math.cos(math.pi / t_max)) / 2 for lr, b in zip(lrs, BASE)]
        return [(1 + math.cos(math.pi * e / t_max)) / (1 + math.cos(math.pi * (e - 1) / t_max)) * (lr - eta_min)
                + eta_min for lr in lrs]
    return f


def cosine_closed(t_max, eta_min):
    return np.array([[eta_min + (b - eta_min) * (1 + math.cos(math.pi * e / t_max)) / 2 for b in BASE]
                     for e in range(STEPS + 1)])


def linear_lr(start, end, total):
    def f(e, lrs):
        if e == 0:
            return [lr * start for lr in lrs]
        if e > total:
            return lrs
        return [lr * (1.0 + (end - start) / (total * start + (e - 1) * (end - start))) for lr in lrs]
    return f


def one_cycle(max_lrs, total, pct_start=0.3, anneal="cos", three_phase=False, div=25.0, final_div=1e4,
              base_m=0.85, max_m=0.95):
    """lr and momentum per group after construction and each step (total - 1 steps): two (total, groups) arrays."""
    def cos(start, end, pct):
        return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)

    def lin(start, end, pct):
        return (end - start) * pct + start
    fn = cos if anneal == "cos" else lin
    if three_phase:
        phases = [(float(pct_start * total) - 1, "init", "max", max_m, base_m),
                  (float(2 * pct_start * total) - 2, "max", "init", base_m, max_m),
                  (total - 1, "init", "min", max_m, max_m)]
    else:
        phases = [(float(pct_start * total) - 1, "init", "max", max_m, base_m),
                  (total - 1, "max", "min", base_m, max_m)]
    lrs, moms = [], []
    for step in range(total):
        row_lr, row_m = [], []
        for mx in max_lrs:
            vals = {"init": mx / div, "max": mx, "min": mx / div / final_div}
            start = 0.0
            for i, (end, a, b, ma, mb) in enumerate(phases):
                if step <= end or i == len(phases) - 1:
                    pct = (step - start) / (end - start)
                    row_lr.append(fn(vals[a], vals[b], pct))
                    row_m.append(fn(ma, mb, pct))
                    break
                start = end
        lrs.append(row_lr)
        moms.append(row_m)
    return np.array(lrs), np.array(moms)


def plateau(metrics, mode, factor, patience, threshold, threshold_mode, cooldown, min_lr, eps=1e-8):
    lrs = list(BASE)
    best = math.inf if mode == "min" else -math.inf
    bad, cool, out = 0, 0, []
    for m in metrics:
        if mode == "min" and threshold_mode == "rel":
            better = m < best * (1 - threshold)
        elif mode == "min":
            better = m < best - threshold
        elif threshold_mode == "rel":
            better = m > best * (threshold + 1)
        else:
            better = m > best + threshold
        if better:
            best, bad = m, 0
        else:
            bad += 1
        if cool > 0:
            cool -= 1
            bad = 0
        if bad > patience:
            for i, lr in enumerate(lrs):
                new = max(lr * factor, min_lr)
                if lr - new > eps:
                    lrs[i] = new
            cool, bad = cooldown, 0
        out.append(list(lrs))
    return np.array(out)


def sequential(milestone, first, second):
    """SequentialLR(first, second, [milestone]): `second` restarts at its epoch 0 (closed form: base_lr) there."""
    def f(e, lrs):
        if e < milestone:
            return first(e, lrs)
        if e == milestone:
            return list(BASE)
        return second(e - milestone, lrs)
    return f


def schedulers():
    put("sched.sequential", run(sequential(6, linear_lr(0.1, 1.0, 5), cosine_recursive(20, 0.001))))
    put("sched.step", run(step_lr(7, 0.5)))
    put("sched.multistep", run(multi_step_lr([3, 10, 10, 25], 0.3)))
    put("sched.exponential", run(exponential_lr(0.9)))
    put("sched.cosine", run(cosine_recursive(10, 0.001)))
    put("sched.cosine.closed", cosine_closed(10, 0.001))
    put("sched.linear", run(linear_lr(0.25, 1.0, 8)))
    put("sched.linear.down", run(linear_lr(1.0, 0.1, 12)))
    for name, kw in {"cos": {}, "linear": {"anneal": "linear"}, "three": {"three_phase": True, "pct_start": 0.25},
                     "three.linear": {"three_phase": True, "anneal": "linear"}}.items():
        lr, mom = one_cycle([1.0, 0.5], 31, **kw)
        put(f"sched.onecycle.{name}.lr", lr)
        put(f"sched.onecycle.{name}.momentum", mom)
    rng = np.random.default_rng(7)
    noisy = [1.0 / (1 + 0.2 * i) + 0.05 * rng.standard_normal() if i < 8 else 0.3 + 0.01 * ((-1) ** i)
             for i in range(STEPS)]
    put("sched.plateau.metrics", noisy)
    put("sched.plateau.min.rel", plateau(noisy, "min", 0.5, 2, 1e-2, "rel", 1, 0.004))
    put("sched.plateau.min.abs", plateau(noisy, "min", 0.1, 3, 0.05, "abs", 0, 0.0))
    acc = [1 - m for m in noisy]
    put("sched.plateau.max.rel", plateau(acc, "max", 0.5, 1, 1e-3, "rel", 2, 0.01))
    put("sched.plateau.max.abs", plateau(acc, "max", 0.3, 0, 0.02, "abs", 0, 0.0))


# ------------------------------------------------------------------ gradient clipping
def clipping():
    g1 = np.array([[0.5, -3.0, 2.0], [1.0, 0.25, -0.75]])
    g2 = np.array([4.0, -0.5])
    put("clip.g1", g1)
    put("clip.g2", g2)
    flat = np.concatenate([g1.ravel(), g2])
    for name, p in {"2": 2.0, "1": 1.0, "3": 3.0, "inf": math.inf}.items():
        total = np.max(np.abs(flat)) if p == math.inf else np.sum(np.abs(flat) ** p) ** (1 / p)
        coef = min(1.0, 1.5 / (total + 1e-6))
        put(f"clip.norm{name}.total", total)
        put(f"clip.norm{name}.g1", g1 * coef)
        put(f"clip.norm{name}.g2", g2 * coef)


if __name__ == "__main__":
    optimizers()
    schedulers()
    clipping()
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        f.write("# generated by src/test/python/gen_optim_references.py; do not edit\n")
        f.write("\n".join(records) + "\n")
    print(f"wrote {len(records)} records to {os.path.normpath(OUT)}")

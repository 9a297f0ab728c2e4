#!/usr/bin/env python3
"""Golden values for dev.kiln.nn / dev.kiln.optim tests, computed independently in numpy float64.

Formulas follow PyTorch's documentation (torch.nn.functional losses, torch.optim.SGD/Adam/AdamW algorithms).
Writes src/test/resources/dev/kiln/nn/nn_references.txt; one record per line:

    key <TAB> shape (comma-separated, empty for a scalar) <TAB> values (space-separated, %.17g)

Run from tensor-core/:  python3 src/test/python/gen_nn_references.py
"""
import os
import numpy as np

OUT = os.path.join(os.path.dirname(__file__), "..", "resources", "dev", "kiln", "nn", "nn_references.txt")
records = []


def put(key, arr):
    a = np.asarray(arr, dtype=np.float64)
    shape = ",".join(str(s) for s in a.shape)
    records.append(f"{key}\t{shape}\t" + " ".join("%.17g" % v for v in a.ravel()))


def log_softmax(x, axis=1):
    m = x.max(axis=axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


def reduce(l, reduction):
    return {"none": l, "sum": l.sum(), "mean": l.mean()}[reduction]


def cross_entropy(x, y, weight=None, ignore=-100, reduction="mean", ls=0.0):
    n, c = x.shape
    lp = log_softmax(x)
    w = np.ones(c) if weight is None else weight
    valid = y != ignore
    yc = np.where(valid, y, 0)
    wy = np.where(valid, w[yc], 0.0)
    nll = -wy * lp[np.arange(n), yc]
    smooth = np.where(valid, -(lp * w[None, :]).sum(1), 0.0)
    if reduction == "mean":
        nll_r, smooth_r = nll.sum() / wy.sum(), smooth.sum() / wy.sum()
    elif reduction == "sum":
        nll_r, smooth_r = nll.sum(), smooth.sum()
    else:
        nll_r, smooth_r = nll, smooth
    return (1 - ls) * nll_r + ls / c * smooth_r


def losses():
    rng = np.random.default_rng(42)
    x = rng.normal(size=(4, 5)) * 2
    y = np.array([1, 0, 4, 2])
    w = np.array([0.5, 1.0, 2.0, 1.5, 0.25])
    put("ce.input", x)
    put("ce.target", y)
    put("ce.weight", w)
    for red in ("mean", "sum", "none"):
        put(f"ce.{red}", cross_entropy(x, y, reduction=red))
    put("ce.weighted.mean", cross_entropy(x, y, weight=w))
    y_ign = np.array([1, -100, 4, 2])
    put("ce.ignore.target", y_ign)
    put("ce.ignore.mean", cross_entropy(x, y_ign))
    put("ce.smooth.mean", cross_entropy(x, y, ls=0.1))
    put("ce.smooth.none", cross_entropy(x, y, ls=0.1, reduction="none"))
    put("ce.all.mean", cross_entropy(x, y_ign, weight=w, ls=0.2))
    put("ce.all.sum", cross_entropy(x, y_ign, weight=w, ls=0.2, reduction="sum"))
    # probability targets: l_n = -sum_c w_c y'_nc logp_nc, mean over samples
    p = rng.random(size=(4, 5))
    p = p / p.sum(1, keepdims=True)
    put("ce.probs.target", p)
    yp = p * 0.9 + 0.1 / 5
    put("ce.probs.mean", (-(log_softmax(x) * yp * w[None, :]).sum(1)).mean())
    # nll on log-probabilities with weights
    put("nll.weighted.mean", cross_entropy(x, y, weight=w))

    a = rng.normal(size=(3, 4))
    b = rng.normal(size=(3, 4))
    put("reg.input", a)
    put("reg.target", b)
    for red in ("mean", "sum", "none"):
        put(f"mse.{red}", reduce((a - b) ** 2, red))
        put(f"l1.{red}", reduce(np.abs(a - b), red))

    logits = np.array([[-50.0, -2.0, -0.5], [0.0, 0.7, 3.0], [50.0, 1.5, -1.0]])
    t = np.array([[0.0, 1.0, 0.3], [1.0, 0.0, 0.5], [0.0, 1.0, 1.0]])
    bw = np.array([[1.0, 2.0, 0.5], [0.5, 1.0, 1.0], [2.0, 1.0, 0.1]])
    pw = np.array([1.0, 3.0, 0.5])
    put("bce.logits", logits)
    put("bce.target", t)
    put("bce.weight", bw)
    put("bce.posweight", pw)
    # reference: the naive formula in high precision via log-sigmoid, written independently of the stable form
    def log_sigmoid(z):
        return -np.logaddexp(0, -z)
    base = -(t * log_sigmoid(logits) + (1 - t) * log_sigmoid(-logits))
    put("bcel.mean", base.mean())
    put("bcel.weighted.sum", (bw * base).sum())
    posw = -(pw * t * log_sigmoid(logits) + (1 - t) * log_sigmoid(-logits))
    put("bcel.pos.mean", posw.mean())
    probs = 1 / (1 + np.exp(-np.array([[-3.0, 0.2, 1.0], [0.5, -0.7, 2.5]])))
    tb = t[:2]
    put("bce.probs", probs)
    put("bce.mean", (-(tb * np.log(probs) + (1 - tb) * np.log(1 - probs))).mean())


# ------------------------------------------------------------------ optimizers
A = np.array([[1.0, 0.5, 2.0], [3.0, 0.1, 1.5]])
C = np.array([[0.5, -1.0, 2.0], [0.0, 1.0, -0.5]])
P0 = np.array([[1.0, 2.0, -1.0], [0.5, -0.3, 0.8]])


def grad(p):
    """Gradient of the test objective f(p) = sum(0.5 * A * (p - C)^2 + 0.1 / 3 * p^3)."""
    return A * (p - C) + 0.1 * p ** 2


def sgd(lr, momentum=0.0, dampening=0.0, wd=0.0, nesterov=False, steps=5):
    p, b, out = P0.copy(), None, []
    for _ in range(steps):
        g = grad(p)
        if wd:
            g = g + wd * p
        if momentum:
            b = g.copy() if b is None else momentum * b + (1 - dampening) * g
            g = g + momentum * b if nesterov else b
        p = p - lr * g
        out.append(p.copy())
    return out


def adam(lr, b1=0.9, b2=0.999, eps=1e-8, wd=0.0, amsgrad=False, decoupled=False, steps=5):
    p = P0.copy()
    m, v, vmax, out = np.zeros_like(p), np.zeros_like(p), np.zeros_like(p), []
    for t in range(1, steps + 1):
        g = grad(p)
        if wd and decoupled:
            p = p * (1 - lr * wd)
        elif wd:
            g = g + wd * p
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        second = v
        if amsgrad:
            vmax = np.maximum(vmax, v)
            second = vmax
        denom = np.sqrt(second) / np.sqrt(1 - b2 ** t) + eps
        p = p - lr / (1 - b1 ** t) * m / denom
        out.append(p.copy())
    return out


def optimizers():
    put("opt.A", A)
    put("opt.C", C)
    put("opt.p0", P0)
    cases = {
        "sgd.plain": sgd(0.1),
        "sgd.momentum": sgd(0.1, momentum=0.9, dampening=0.1, wd=0.01),
        "sgd.nesterov": sgd(0.05, momentum=0.9, nesterov=True, wd=0.05),
        "adam.plain": adam(0.1),
        "adam.wd": adam(0.05, b1=0.8, b2=0.99, wd=0.1),
        "adam.amsgrad": adam(0.1, amsgrad=True, wd=0.01),
        "adamw.plain": adam(0.1, wd=0.1, decoupled=True),
        "adamw.amsgrad": adam(0.1, wd=0.01, decoupled=True, amsgrad=True),
    }
    for name, steps in cases.items():
        for i, p in enumerate(steps):
            put(f"{name}.step{i + 1}", p)


if __name__ == "__main__":
    losses()
    optimizers()
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        f.write("# generated by src/test/python/gen_nn_references.py; do not edit\n")
        f.write("\n".join(records) + "\n")
    print(f"wrote {len(records)} records to {os.path.normpath(OUT)}")

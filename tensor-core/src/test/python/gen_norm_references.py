#!/usr/bin/env python3
"""Golden values for Kiln's normalization, recurrent and extra-loss tests, computed independently in numpy float64.

Formulas follow PyTorch's documentation: torch.nn.BatchNorm1d/2d (biased variance to normalize, unbiased variance
for the running update, momentum=None is a cumulative average), LayerNorm, GroupNorm, LSTM (gates i, f, g, o),
GRU (gates r, z, n with n = tanh(W_in x + b_in + r * (W_hn h + b_hn))), SmoothL1Loss, HuberLoss, KLDivLoss.
Writes src/test/resources/dev/kiln/nn/norm_references.txt; one record per line:

    key <TAB> shape (comma-separated, empty for a scalar) <TAB> values (space-separated, %.17g)

Run from tensor-core/:  python3 src/test/python/gen_norm_references.py
"""
import os
import numpy as np

OUT = os.path.join(os.path.dirname(__file__), "..", "resources", "dev", "kiln", "nn", "norm_references.txt")
records = []


def put(key, arr):
    a = np.asarray(arr, dtype=np.float64)
    shape = ",".join(str(s) for s in a.shape)
    records.append(f"{key}\t{shape}\t" + " ".join("%.17g" % v for v in a.ravel()))


# ---------------------------------------------------------------- normalization

def batch_norm_train(x, w, b, rm, rv, factor, eps=1e-5):
    axes = tuple(i for i in range(x.ndim) if i != 1)
    shape = [1] * x.ndim
    shape[1] = x.shape[1]
    n = x.size // x.shape[1]
    mean = x.mean(axis=axes)
    var = x.var(axis=axes)  # biased, used to normalize
    y = (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps)
    y = y * w.reshape(shape) + b.reshape(shape)
    new_rm = (1 - factor) * rm + factor * mean
    new_rv = (1 - factor) * rv + factor * var * n / (n - 1)  # unbiased for the running estimate
    return y, new_rm, new_rv


def batch_norm_eval(x, w, b, rm, rv, eps=1e-5):
    shape = [1] * x.ndim
    shape[1] = x.shape[1]
    y = (x - rm.reshape(shape)) / np.sqrt(rv.reshape(shape) + eps)
    return y * w.reshape(shape) + b.reshape(shape)


def batch_norms(rng):
    for name, shape in (("bn2d", (4, 3, 2, 2)), ("bn1d", (5, 3)), ("bn1d3", (4, 3, 5))):
        c = shape[1]
        x = rng.normal(size=shape) * 2 + 1
        x2 = rng.normal(size=shape) - 0.5
        w = rng.normal(size=c)
        b = rng.normal(size=c)
        put(f"{name}.x", x)
        put(f"{name}.x2", x2)
        put(f"{name}.weight", w)
        put(f"{name}.bias", b)
        # momentum 0.1 from PyTorch's initial running stats (zeros, ones), two steps
        y, rm, rv = batch_norm_train(x, w, b, np.zeros(c), np.ones(c), 0.1)
        put(f"{name}.train.y", y)
        y2, rm, rv = batch_norm_train(x2, w, b, rm, rv, 0.1)
        put(f"{name}.train.y2", y2)
        put(f"{name}.running_mean", rm)
        put(f"{name}.running_var", rv)
        put(f"{name}.eval.y", batch_norm_eval(x, w, b, rm, rv))
        # momentum None: factor 1/num_batches_tracked, i.e. a cumulative average of the batch statistics
        _, rm, rv = batch_norm_train(x, w, b, np.zeros(c), np.ones(c), 1.0)
        _, rm, rv = batch_norm_train(x2, w, b, rm, rv, 0.5)
        put(f"{name}.cma.running_mean", rm)
        put(f"{name}.cma.running_var", rv)


def layer_and_group_norm(rng):
    x = rng.normal(size=(2, 3, 4)) * 3
    w = rng.normal(size=(3, 4))
    b = rng.normal(size=(3, 4))
    mean = x.mean(axis=(1, 2), keepdims=True)
    var = x.var(axis=(1, 2), keepdims=True)
    put("ln.x", x)
    put("ln.weight", w)
    put("ln.bias", b)
    put("ln.y", (x - mean) / np.sqrt(var + 1e-5) * w + b)

    x = rng.normal(size=(2, 6, 3)) + 2
    w = rng.normal(size=6)
    b = rng.normal(size=6)
    g = x.reshape(2, 3, -1)
    yn = ((g - g.mean(axis=2, keepdims=True)) / np.sqrt(g.var(axis=2, keepdims=True) + 1e-5)).reshape(x.shape)
    put("gn.x", x)
    put("gn.weight", w)
    put("gn.bias", b)
    put("gn.y", yn * w.reshape(1, 6, 1) + b.reshape(1, 6, 1))


# ---------------------------------------------------------------- recurrent

def sigmoid(v):
    return 1 / (1 + np.exp(-v))


def lstm_layer(x, h, c, w_ih, w_hh, b_ih, b_hh):
    """x [T, B, in]; returns outputs [T, B, H] and the final (h, c)."""
    hs = []
    for t in range(x.shape[0]):
        gates = x[t] @ w_ih.T + b_ih + h @ w_hh.T + b_hh
        i, f, g, o = np.split(gates, 4, axis=1)
        c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
        h = sigmoid(o) * np.tanh(c)
        hs.append(h)
    return np.stack(hs), h, c


def gru_layer(x, h, w_ih, w_hh, b_ih, b_hh):
    hs = []
    for t in range(x.shape[0]):
        xr, xz, xn = np.split(x[t] @ w_ih.T + b_ih, 3, axis=1)
        hr, hz, hn = np.split(h @ w_hh.T + b_hh, 3, axis=1)
        r = sigmoid(xr + hr)
        z = sigmoid(xz + hz)
        n = np.tanh(xn + r * hn)
        h = (1 - z) * n + z * h
        hs.append(h)
    return np.stack(hs), h


def recurrent(rng):
    inp, hid, layers, batch, steps = 3, 4, 2, 2, 5
    k = 1 / np.sqrt(hid)
    for kind, gates in (("lstm", 4), ("gru", 3)):
        params = {}
        for layer in range(layers):
            in_l = inp if layer == 0 else hid
            params[f"weight_ih_l{layer}"] = rng.uniform(-k, k, size=(gates * hid, in_l))
            params[f"weight_hh_l{layer}"] = rng.uniform(-k, k, size=(gates * hid, hid))
            params[f"bias_ih_l{layer}"] = rng.uniform(-k, k, size=gates * hid)
            params[f"bias_hh_l{layer}"] = rng.uniform(-k, k, size=gates * hid)
        for name, p in params.items():
            put(f"{kind}.{name}", p)
        x = rng.normal(size=(batch, steps, inp))  # batch_first
        h0 = rng.normal(size=(layers, batch, hid)) * 0.5
        c0 = rng.normal(size=(layers, batch, hid)) * 0.5
        put(f"{kind}.x", x)
        put(f"{kind}.h0", h0)
        put(f"{kind}.c0", c0)
        seq = x.transpose(1, 0, 2)
        hn, cn = [], []
        for layer in range(layers):
            w = [params[f"{p}_l{layer}"] for p in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
            if kind == "lstm":
                seq, h, c = lstm_layer(seq, h0[layer], c0[layer], *w)
                cn.append(c)
            else:
                seq, h = gru_layer(seq, h0[layer], *w)
            hn.append(h)
        put(f"{kind}.output", seq.transpose(1, 0, 2))
        put(f"{kind}.hn", np.stack(hn))
        if kind == "lstm":
            put(f"{kind}.cn", np.stack(cn))


# ---------------------------------------------------------------- losses

def reduce(loss, reduction, batch=None):
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    if reduction == "batchmean":
        return loss.sum() / batch
    return loss.mean()


def losses(rng):
    x = rng.normal(size=(3, 4)) * 1.5
    y = rng.normal(size=(3, 4))
    put("reg.input", x)
    put("reg.target", y)
    d = np.abs(x - y)
    for beta in (1.0, 0.5):
        sl1 = np.where(d < beta, 0.5 * d * d / beta, d - 0.5 * beta)
        for red in ("none", "mean", "sum"):
            put(f"smoothl1.{beta}.{red}", reduce(sl1, red))
    for delta in (1.0, 0.7):
        hub = np.where(d <= delta, 0.5 * d * d, delta * (d - 0.5 * delta))
        for red in ("none", "mean", "sum"):
            put(f"huber.{delta}.{red}", reduce(hub, red))

    logits = rng.normal(size=(3, 4))
    logp = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    t = rng.uniform(size=(3, 4))
    t[1, 2] = 0.0  # xlogy(0, 0) = 0
    t = t / t.sum(axis=1, keepdims=True)
    put("kl.input", logp)
    put("kl.target", t)
    xlogy = np.where(t == 0, 0.0, t * np.log(np.where(t == 0, 1.0, t)))
    kl = xlogy - t * logp
    log_t = np.log(rng.uniform(0.1, 1.0, size=(3, 4)))
    put("kl.logtarget", log_t)
    kl_log = np.exp(log_t) * (log_t - logp)
    for red in ("none", "mean", "sum", "batchmean"):
        put(f"kl.{red}", reduce(kl, red, 3))
        put(f"kl.log.{red}", reduce(kl_log, red, 3))


def main():
    rng = np.random.default_rng(2024)
    batch_norms(rng)
    layer_and_group_norm(rng)
    recurrent(rng)
    losses(rng)
    with open(OUT, "w") as f:
        f.write("# generated by src/test/python/gen_norm_references.py; do not edit\n")
        f.write("\n".join(records) + "\n")


if __name__ == "__main__":
    main()

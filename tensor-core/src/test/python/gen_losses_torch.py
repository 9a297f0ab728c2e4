#!/usr/bin/env python3
"""Loss values and gradients from real PyTorch (torch.nn.functional), float64, every option Kiln implements.

Each case records '<case>.loss' and '<case>.grad.<input>' for the inputs that get gradients. Reductions other than
'none' backpropagate 1; 'none' backpropagates the fixed upstream 'up.<shape>' recorded here too. Inputs are recorded
under their own keys. The Java mirror is dev.kiln.nn.LossTorchTest, one line per case with the same names.
Writes src/test/resources/dev/kiln/nn/loss_torch.txt.

Run from anywhere:  /usr/bin/python3 src/test/python/gen_losses_torch.py
"""
import torch
import torch.nn.functional as F

from torch_golden import Records, resource

R = Records("gen_losses_torch.py")
torch.manual_seed(1234)
D = torch.float64


def inputs():
    t = {}
    t["x"] = torch.randn(4, 5, dtype=D) * 2
    t["y"] = torch.tensor([1, 0, 4, 1])                 # class 1 appears twice: ignore_index=1 is a real class
    t["y_ign"] = torch.tensor([1, -100, 4, 2])
    t["y_all1"] = torch.tensor([1, 1, 1, 1])            # every target ignored with ignore_index=1
    t["w"] = torch.tensor([0.5, 1.0, 2.0, 1.5, 0.25], dtype=D)
    p = torch.rand(4, 5, dtype=D)
    t["probs"] = p / p.sum(1, keepdim=True)
    t["xs"] = torch.randn(2, 5, 3, dtype=D)             # [N, C, d]
    t["ys"] = torch.tensor([[1, 0, 4], [2, 1, 3]])
    t["x1"] = torch.randn(5, dtype=D)                   # unbatched [C]
    t["y1"] = torch.tensor(3)
    t["y1_ign"] = torch.tensor(1)
    t["a"] = torch.randn(3, 4, dtype=D)
    t["b"] = torch.randn(3, 4, dtype=D)
    t["z"] = torch.tensor([[-50.0, -2.0, -0.5], [0.0, 0.7, 3.0], [50.0, 1.5, -1.0]], dtype=D)
    t["t"] = torch.tensor([[0.0, 1.0, 0.3], [1.0, 0.0, 0.5], [0.0, 1.0, 1.0]], dtype=D)
    t["bw"] = torch.tensor([[1.0, 2.0, 0.5], [0.5, 1.0, 1.0], [2.0, 1.0, 0.1]], dtype=D)
    t["pw"] = torch.tensor([1.0, 3.0, 0.5], dtype=D)
    t["p"] = torch.sigmoid(torch.tensor([[-3.0, 0.2, 1.0], [0.5, -0.7, 2.5], [1.2, -0.1, 0.0]], dtype=D))
    t["pedge"] = torch.tensor([[0.0, 1.0, 0.5], [0.0, 1.0, 1e-3]], dtype=D)  # exact 0 and 1: logs clamp at -100
    t["tedge"] = torch.tensor([[0.0, 1.0, 0.2], [1.0, 0.0, 1.0]], dtype=D)
    t["klin"] = torch.log_softmax(torch.randn(3, 4, dtype=D), 1)
    kt = torch.softmax(torch.randn(3, 4, dtype=D), 1)
    kt[1, 2] = 0.0                                      # y = 0 contributes 0 (xlogy)
    t["kltarget"] = kt
    t["kllogtarget"] = torch.log_softmax(torch.randn(3, 4, dtype=D), 1)
    return t


T = inputs()
for k, v in T.items():
    R.put(k, v)


def case(name, fn, *grads):
    """Runs fn on fresh leaves of the named inputs, backpropagates, records loss and gradients."""
    leaves = {k: v.clone().requires_grad_(k in grads) for k, v in T.items()}
    loss = fn(leaves)
    R.put(name + ".loss", loss)
    if loss.dim() == 0:
        loss.backward()
    else:
        up = torch.linspace(0.5, 1.5, loss.numel(), dtype=D).reshape(loss.shape)
        loss.backward(up)
    for g in grads:
        R.put(name + ".grad." + g, leaves[g].grad)


def class_losses():
    for red in ("mean", "sum", "none"):
        case(f"ce.{red}", lambda t: F.cross_entropy(t["x"], t["y"], reduction=red), "x")
        case(f"ce.w.{red}", lambda t: F.cross_entropy(t["x"], t["y"], weight=t["w"], reduction=red), "x")
        case(f"ce.ign100.{red}", lambda t: F.cross_entropy(t["x"], t["y_ign"], reduction=red), "x")
        case(f"ce.ign1.{red}", lambda t: F.cross_entropy(t["x"], t["y"], ignore_index=1, reduction=red), "x")
        case(f"ce.ign1.w.{red}", lambda t: F.cross_entropy(t["x"], t["y"], weight=t["w"], ignore_index=1,
                                                           reduction=red), "x")
        case(f"ce.ls.{red}", lambda t: F.cross_entropy(t["x"], t["y"], label_smoothing=0.1, reduction=red), "x")
        case(f"ce.ls.w.{red}", lambda t: F.cross_entropy(t["x"], t["y"], weight=t["w"], label_smoothing=0.2,
                                                         reduction=red), "x")
        case(f"ce.ls.w.ign100.{red}", lambda t: F.cross_entropy(t["x"], t["y_ign"], weight=t["w"],
                                                                label_smoothing=0.2, reduction=red), "x")
        case(f"ce.ls.w.ign1.{red}", lambda t: F.cross_entropy(t["x"], t["y"], weight=t["w"], ignore_index=1,
                                                              label_smoothing=0.3, reduction=red), "x")
        case(f"ce.ls.ign1.{red}", lambda t: F.cross_entropy(t["x"], t["y"], ignore_index=1, label_smoothing=0.3,
                                                            reduction=red), "x")
        case(f"ce.probs.{red}", lambda t: F.cross_entropy(t["x"], t["probs"], reduction=red), "x", "probs")
        case(f"ce.probs.w.ls.{red}", lambda t: F.cross_entropy(t["x"], t["probs"], weight=t["w"], label_smoothing=0.1,
                                                               reduction=red), "x", "probs")
        case(f"ce.spatial.w.ign1.ls.{red}", lambda t: F.cross_entropy(t["xs"], t["ys"], weight=t["w"], ignore_index=1,
                                                                      label_smoothing=0.1, reduction=red), "xs")
        case(f"nll.{red}", lambda t: F.nll_loss(t["x"], t["y"], reduction=red), "x")
        case(f"nll.w.ign1.{red}", lambda t: F.nll_loss(t["x"], t["y"], weight=t["w"], ignore_index=1, reduction=red),
             "x")
        case(f"nll.spatial.ign1.{red}", lambda t: F.nll_loss(t["xs"], t["ys"], ignore_index=1, reduction=red), "xs")
    case("ce.unbatched", lambda t: F.cross_entropy(t["x1"], t["y1"]), "x1")
    case("ce.unbatched.ign", lambda t: F.cross_entropy(t["x1"], t["y1_ign"], ignore_index=1), "x1")
    case("nll.unbatched.w", lambda t: F.nll_loss(t["x1"], t["y1"], weight=t["w"]), "x1")
    case("nll.allignored.mean", lambda t: F.nll_loss(t["x"], t["y_all1"], ignore_index=1), "x")
    case("nll.allignored.sum", lambda t: F.nll_loss(t["x"], t["y_all1"], ignore_index=1, reduction="sum"), "x")


def binary_losses():
    for red in ("mean", "sum", "none"):
        case(f"bcel.{red}", lambda t: F.binary_cross_entropy_with_logits(t["z"], t["t"], reduction=red), "z", "t")
        case(f"bcel.w.{red}", lambda t: F.binary_cross_entropy_with_logits(t["z"], t["t"], weight=t["bw"],
                                                                           reduction=red), "z", "t")
        case(f"bcel.pw.{red}", lambda t: F.binary_cross_entropy_with_logits(t["z"], t["t"], pos_weight=t["pw"],
                                                                            reduction=red), "z", "t")
        case(f"bcel.w.pw.{red}", lambda t: F.binary_cross_entropy_with_logits(
            t["z"], t["t"], weight=t["bw"], pos_weight=t["pw"], reduction=red), "z", "t")
        case(f"bce.{red}", lambda t: F.binary_cross_entropy(t["p"], t["t"], reduction=red), "p")
        case(f"bce.w.{red}", lambda t: F.binary_cross_entropy(t["p"], t["t"], weight=t["bw"], reduction=red), "p")
    case("bce.edge.sum", lambda t: F.binary_cross_entropy(t["pedge"], t["tedge"], reduction="sum"), "pedge")


def kl_guarded(x, y, red):
    zero = y == 0
    safe = torch.where(zero, torch.ones_like(y), y)
    loss = torch.where(zero, torch.zeros_like(y), y * safe.log()) - y * x
    return {"none": loss, "sum": loss.sum(), "mean": loss.mean(), "batchmean": loss.sum() / x.size(0)}[red]


def regression_losses():
    for red in ("mean", "sum", "none"):
        case(f"mse.{red}", lambda t: F.mse_loss(t["a"], t["b"], reduction=red), "a", "b")
        case(f"l1.{red}", lambda t: F.l1_loss(t["a"], t["b"], reduction=red), "a", "b")
        for beta in (1.0, 0.5, 0.0):
            case(f"smoothl1.{beta}.{red}", lambda t: F.smooth_l1_loss(t["a"], t["b"], reduction=red, beta=beta),
                 "a", "b")
        for delta in (1.0, 0.7, 2.0):
            case(f"huber.{delta}.{red}", lambda t: F.huber_loss(t["a"], t["b"], reduction=red, delta=delta), "a", "b")
    for red in ("none", "sum", "mean", "batchmean"):
        case(f"kl.{red}", lambda t: F.kl_div(t["klin"], t["kltarget"], reduction=red), "klin", "kltarget")
        # PyTorch's target gradient is NaN where y = 0 (xlogy's d/dy at 0/0); Kiln gives the limit with
        # d(y log y)/dy taken as 0 there, i.e. -x: recorded here from the same formula with y log y guarded.
        case(f"kl.{red}.kiln", lambda t: kl_guarded(t["klin"], t["kltarget"], red), "kltarget")
        case(f"kl.log.{red}", lambda t: F.kl_div(t["klin"], t["kllogtarget"], reduction=red, log_target=True),
             "klin", "kllogtarget")


if __name__ == "__main__":
    class_losses()
    binary_losses()
    regression_losses()
    R.write(resource("nn", "loss_torch.txt"))

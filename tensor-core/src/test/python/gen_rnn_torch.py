#!/usr/bin/env python3
"""torch.nn.LSTM / torch.nn.GRU from real PyTorch (1.13, float64): outputs, final states and every gradient, with
the weights of torch's own state_dict (seeded default init).

Each case records its weights '<case>.<param name>', input '<case>.x', initial states '<case>.h0' / '<case>.c0'
(when given), outputs '<case>.output', '<case>.hn', '<case>.cn', and the gradients of
sum(output * u_o) + sum(hn * u_h) (+ sum(cn * u_c)), u = linspace(-1, 2) of each shape, with respect to the input
('<case>.grad.x'), the initial states and every parameter ('<case>.grad.<param name>').
The Java mirror is dev.kiln.nn.RecurrentTorchTest. Writes src/test/resources/dev/kiln/nn/rnn_torch.txt.

Run:  /usr/bin/python3 src/test/python/gen_rnn_torch.py
"""
import torch

from torch_golden import Records, resource

R = Records("gen_rnn_torch.py")
torch.manual_seed(5)
D = torch.float64


def up(t):
    return torch.linspace(-1.0, 2.0, t.numel(), dtype=D).reshape(t.shape)


def case(name, lstm, input_size, hidden, layers, bias, batch_first, x_shape, with_state):
    cls = torch.nn.LSTM if lstm else torch.nn.GRU
    m = cls(input_size, hidden, num_layers=layers, bias=bias, batch_first=batch_first).double()
    for k, v in m.state_dict().items():
        R.put(f"{name}.{k}", v)
    x = torch.randn(*x_shape, dtype=D, requires_grad=True)
    R.put(f"{name}.x", x)
    batched = len(x_shape) == 3
    state_shape = (layers, x_shape[0 if batch_first else 1], hidden) if batched else (layers, hidden)
    h0 = c0 = None
    if with_state:
        h0 = torch.randn(*state_shape, dtype=D, requires_grad=True)
        R.put(f"{name}.h0", h0)
        if lstm:
            c0 = torch.randn(*state_shape, dtype=D, requires_grad=True)
            R.put(f"{name}.c0", c0)
    if lstm:
        out, (hn, cn) = m(x, (h0, c0)) if with_state else m(x)
    else:
        out, hn = m(x, h0) if with_state else m(x)
        cn = None
    R.put(f"{name}.output", out)
    R.put(f"{name}.hn", hn)
    loss = (out * up(out)).sum() + (hn * up(hn)).sum()
    if cn is not None:
        R.put(f"{name}.cn", cn)
        loss = loss + (cn * up(cn)).sum()
    loss.backward()
    R.put(f"{name}.grad.x", x.grad)
    if with_state:
        R.put(f"{name}.grad.h0", h0.grad)
        if lstm:
            R.put(f"{name}.grad.c0", c0.grad)
    for k, p in m.named_parameters():
        R.put(f"{name}.grad.{k}", p.grad)


if __name__ == "__main__":
    for lstm, kind in ((True, "lstm"), (False, "gru")):
        case(f"{kind}.l1", lstm, 3, 4, 1, True, False, (5, 2, 3), False)
        case(f"{kind}.l2.bf", lstm, 3, 4, 2, True, True, (2, 5, 3), True)
        case(f"{kind}.l3.nobias", lstm, 2, 3, 3, False, False, (4, 3, 2), True)
        case(f"{kind}.unbatched", lstm, 3, 2, 2, True, False, (6, 3), True)
    R.write(resource("nn", "rnn_torch.txt"))

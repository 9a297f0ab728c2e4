package dev.kiln.nn.functional;

import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;

/**
 * One time step of the LSTM and GRU cells, composed of {@code matmul}, {@code sigmoid}, {@code tanh} and
 * pointwise ops, so backpropagation through time is ordinary autograd over the unrolled graph.
 *
 * <p>The input projection {@code W_ih x + b_ih} does not depend on the recurrence, so callers compute it for a
 * whole sequence in one matmul and pass one step's slice as {@code xProj}; only {@code W_hh h + b_hh} is done per
 * step. Gate blocks are stacked along the last dim in PyTorch's order.
 */
public final class Recurrent {
    private Recurrent() {
    }

    /** An LSTM step's new hidden and cell state. */
    public record LstmState(Tensor h, Tensor c) {
    }

    /**
     * LSTM step ({@code torch.nn.LSTM} docs), gates {@code [i, f, g, o]} of {@code xProj + h W_hh^T + b_hh}:
     * {@code c' = sigmoid(f) * c + sigmoid(i) * tanh(g)}, {@code h' = sigmoid(o) * tanh(c')}.
     *
     * @param xProj {@code [B, 4H]}: {@code x W_ih^T + b_ih} for this step
     * @param bHh   {@code [4H]} or null
     */
    public static LstmState lstmStep(Tensor xProj, Tensor h, Tensor c, Tensor wHh, Tensor bHh) {
        try (TensorScope temps = TensorScope.openTemporaries()) { // gates and their slices; saved ones survive
            Tensor gates = xProj.add(F.linear(h, wHh, bHh));
            long hidden = h.size(-1);
            Tensor i = gates.narrow(-1, 0, hidden).sigmoid();
            Tensor f = gates.narrow(-1, hidden, hidden).sigmoid();
            Tensor g = gates.narrow(-1, 2 * hidden, hidden).tanh();
            Tensor o = gates.narrow(-1, 3 * hidden, hidden).sigmoid();
            Tensor cNext = temps.handOut(f.mul(c).add(i.mul(g)));
            return new LstmState(temps.handOut(o.mul(cNext.tanh())), cNext);
        }
    }

    /**
     * GRU step ({@code torch.nn.GRU} docs), gates {@code [r, z, n]}: {@code r = sigmoid(x_r + h_r)},
     * {@code z = sigmoid(x_z + h_z)}, {@code n = tanh(x_n + r * (W_hn h + b_hn))}, {@code h' = (1 - z) * n + z * h},
     * where {@code x_*} are blocks of {@code xProj} and {@code h_*} of {@code h W_hh^T + b_hh}. NOTE: {@code b_hn}
     * sits inside the {@code r *} product, which is why the two biases are kept apart.
     */
    public static Tensor gruStep(Tensor xProj, Tensor h, Tensor wHh, Tensor bHh) {
        try (TensorScope temps = TensorScope.openTemporaries()) {
            Tensor hProj = F.linear(h, wHh, bHh);
            long hidden = h.size(-1);
            Tensor r = xProj.narrow(-1, 0, hidden).add(hProj.narrow(-1, 0, hidden)).sigmoid();
            Tensor z = xProj.narrow(-1, hidden, hidden).add(hProj.narrow(-1, hidden, hidden)).sigmoid();
            Tensor n = xProj.narrow(-1, 2 * hidden, hidden).add(r.mul(hProj.narrow(-1, 2 * hidden, hidden))).tanh();
            return temps.handOut(n.sub(z.mul(n)).add(z.mul(h)));
        }
    }
}

package dev.kiln.nn;

import dev.kiln.nn.functional.Recurrent;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;

/**
 * Multi-layer gated recurrent unit, like {@code torch.nn.GRU} (unidirectional): gates {@code r, z, n} with
 * {@code n = tanh(W_in x + b_in + r * (W_hn h + b_hn))} and {@code h' = (1 - z) * n + z * h} (see
 * {@link Recurrent#gruStep}). Parameters and their order are PyTorch's; see {@link RNNBase}.
 */
public class GRU extends RNNBase {
    public GRU(long inputSize, long hiddenSize) {
        this(inputSize, hiddenSize, 1, true, false, 0.0, DType.FLOAT32);
    }

    public GRU(long inputSize, long hiddenSize, int numLayers, boolean bias, boolean batchFirst, double dropout) {
        this(inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, DType.FLOAT32);
    }

    public GRU(long inputSize, long hiddenSize, int numLayers, boolean bias, boolean batchFirst, double dropout,
               DType dtype) {
        super("GRU", 3, inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, dtype);
    }

    /** Runs the sequence from {@code h0} ({@code [numLayers, B, H]}, or null for zeros); {@code cN} is null. */
    public RNNOutput forward(Tensor input, Tensor h0) {
        return run(input, h0);
    }

    /** The output sequence only (zero initial state), so a GRU can sit in a {@link Sequential}. */
    @Override
    public Tensor forward(Tensor input) {
        return run(input, (Tensor) null).output();
    }

    @Override
    protected Tensor[] step(Tensor xProj, Tensor[] state, Tensor wHh, Tensor bHh) {
        return new Tensor[] {Recurrent.gruStep(xProj, state[0], wHh, bHh)};
    }
}

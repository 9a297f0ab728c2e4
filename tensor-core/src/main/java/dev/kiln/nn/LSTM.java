package dev.kiln.nn;

import dev.kiln.nn.functional.Recurrent;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;

/**
 * Multi-layer long short-term memory, like {@code torch.nn.LSTM} (unidirectional): per step and layer, gates
 * {@code i, f, g, o} from {@code W_ih x + b_ih + W_hh h + b_hh}, {@code c' = f * c + i * g},
 * {@code h' = o * tanh(c')} (see {@link Recurrent#lstmStep}). Parameters and their order are PyTorch's
 * ({@code weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0, weight_ih_l1, ...}); see {@link RNNBase}.
 */
public class LSTM extends RNNBase {
    public LSTM(long inputSize, long hiddenSize) {
        this(inputSize, hiddenSize, 1, true, false, 0.0, DType.FLOAT32);
    }

    public LSTM(long inputSize, long hiddenSize, int numLayers, boolean bias, boolean batchFirst, double dropout) {
        this(inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, DType.FLOAT32);
    }

    public LSTM(long inputSize, long hiddenSize, int numLayers, boolean bias, boolean batchFirst, double dropout,
                DType dtype) {
        super("LSTM", 4, inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, dtype);
    }

    /**
     * Runs the sequence from initial states {@code h0}, {@code c0} ({@code [numLayers, B, H]}, or null for zeros).
     * Returns the output and the final {@code (h_n, c_n)}.
     */
    public RNNOutput forward(Tensor input, Tensor h0, Tensor c0) {
        return run(input, h0, c0);
    }

    /** The output sequence only (zero initial states), so an LSTM can sit in a {@link Sequential}. */
    @Override
    public Tensor forward(Tensor input) {
        return run(input, null, null).output();
    }

    @Override
    protected Tensor[] step(Tensor xProj, Tensor[] state, Tensor wHh, Tensor bHh) {
        Recurrent.LstmState next = Recurrent.lstmStep(xProj, state[0], state[1], wHh, bHh);
        return new Tensor[] {next.h(), next.c()};
    }
}

package dev.kiln.nn;

import dev.kiln.nn.functional.F;
import dev.kiln.nn.functional.Recurrent;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Generator;
import dev.kiln.tensor.Tensor;

/**
 * One LSTM step, like {@code torch.nn.LSTMCell}: parameters {@code weight_ih [4H, in]}, {@code weight_hh [4H, H]},
 * {@code bias_ih}, {@code bias_hh [4H]}, all {@code ~ U(-1/sqrt(H), 1/sqrt(H))}; gate math in
 * {@link Recurrent#lstmStep}.
 */
public class LSTMCell extends Module {
    private final long inputSize;
    private final long hiddenSize;

    public LSTMCell(long inputSize, long hiddenSize) {
        this(inputSize, hiddenSize, true, DType.FLOAT32);
    }

    public LSTMCell(long inputSize, long hiddenSize, boolean bias, DType dtype) {
        this.inputSize = inputSize;
        this.hiddenSize = hiddenSize;
        CellParams.register(this::registerParameter, 4, inputSize, hiddenSize, bias, dtype);
        CellParams.reset(parameters(), hiddenSize, Generator.defaultGenerator());
    }

    /** {@code (h', c')} from input {@code [B, in]} and states {@code [B, H]} (null for zeros). */
    public Recurrent.LstmState forward(Tensor input, Tensor h, Tensor c) {
        CellParams.checkInput(input, inputSize, "LSTMCell");
        Tensor h0 = h != null ? h : CellParams.zeros(input, hiddenSize);
        Tensor c0 = c != null ? c : CellParams.zeros(input, hiddenSize);
        Tensor xProj = F.linear(input, parameter("weight_ih"), parameter("bias_ih"));
        return Recurrent.lstmStep(xProj, h0, c0, parameter("weight_hh"), parameter("bias_hh"));
    }

    @Override
    protected String extraRepr() {
        return CellParams.repr(inputSize, hiddenSize, parameter("bias_ih") != null);
    }

    /** Re-draws every parameter from {@code U(-1/sqrt(H), 1/sqrt(H))}. */
    public void resetParameters(Generator gen) {
        CellParams.reset(parameters(), hiddenSize, gen);
    }

}

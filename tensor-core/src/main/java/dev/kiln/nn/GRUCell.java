package dev.kiln.nn;

import dev.kiln.nn.functional.F;
import dev.kiln.nn.functional.Recurrent;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Generator;
import dev.kiln.tensor.Tensor;

/**
 * One GRU step, like {@code torch.nn.GRUCell}: parameters {@code weight_ih [3H, in]}, {@code weight_hh [3H, H]},
 * {@code bias_ih}, {@code bias_hh [3H]}, all {@code ~ U(-1/sqrt(H), 1/sqrt(H))}; gate math in
 * {@link Recurrent#gruStep}.
 */
public class GRUCell extends Module {
    private final long inputSize;
    private final long hiddenSize;

    public GRUCell(long inputSize, long hiddenSize) {
        this(inputSize, hiddenSize, true, DType.FLOAT32);
    }

    public GRUCell(long inputSize, long hiddenSize, boolean bias, DType dtype) {
        this.inputSize = inputSize;
        this.hiddenSize = hiddenSize;
        CellParams.register(this::registerParameter, 3, inputSize, hiddenSize, bias, dtype);
        CellParams.reset(parameters(), hiddenSize, Generator.defaultGenerator());
    }

    /** {@code h'} from input {@code [B, in]} and {@code h [B, H]} (null for zeros). */
    public Tensor forward(Tensor input, Tensor h) {
        CellParams.checkInput(input, inputSize, "GRUCell");
        Tensor h0 = h != null ? h : CellParams.zeros(input, hiddenSize);
        Tensor xProj = F.linear(input, parameter("weight_ih"), parameter("bias_ih"));
        return Recurrent.gruStep(xProj, h0, parameter("weight_hh"), parameter("bias_hh"));
    }

    @Override
    public Tensor forward(Tensor input) {
        return forward(input, null);
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

package dev.kiln.nn;

import dev.kiln.nn.functional.F;
import dev.kiln.nn.init.Init;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Generator;
import dev.kiln.tensor.Shapes;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Shared body of the multi-layer recurrent nets {@link LSTM} and {@link GRU}, like
 * {@code torch.nn.modules.rnn.RNNBase} (unidirectional, no projections).
 *
 * <p>Per layer {@code k} it registers, in PyTorch's order and with PyTorch's names, {@code weight_ih_lk}
 * {@code [G*H, in_k]}, {@code weight_hh_lk} {@code [G*H, H]} and, with {@code bias}, {@code bias_ih_lk},
 * {@code bias_hh_lk} {@code [G*H]}, where {@code G} is the number of gates (4 or 3), {@code in_0 = inputSize} and
 * {@code in_k = H} above. All are drawn from {@code U(-1/sqrt(H), 1/sqrt(H))}.
 *
 * <p>The forward unrolls the sequence: each layer projects its whole input sequence with one matmul, then steps
 * the recurrence; layer {@code k + 1} reads layer {@code k}'s outputs, with dropout between layers in training.
 * Autograd over the unrolled graph is backpropagation through time.
 */
public abstract class RNNBase extends Module {
    private final String mode;
    private final int gates;
    protected final long inputSize;
    protected final long hiddenSize;
    protected final int numLayers;
    private final boolean bias;
    protected final boolean batchFirst;
    private final double dropout;

    protected RNNBase(String mode, int gates, long inputSize, long hiddenSize, int numLayers, boolean bias,
                      boolean batchFirst, double dropout, DType dtype) {
        if (hiddenSize <= 0) {
            throw new IllegalArgumentException("hidden_size must be greater than zero");
        }
        if (numLayers <= 0) {
            throw new IllegalArgumentException("num_layers must be greater than zero");
        }
        if (!(dropout >= 0 && dropout <= 1)) {
            throw new IllegalArgumentException("dropout should be a number in range [0, 1] representing the "
                    + "probability of an element being zeroed");
        }
        this.mode = mode;
        this.gates = gates;
        this.inputSize = inputSize;
        this.hiddenSize = hiddenSize;
        this.numLayers = numLayers;
        this.bias = bias;
        this.batchFirst = batchFirst;
        this.dropout = dropout;
        for (int k = 0; k < numLayers; k++) {
            long in = k == 0 ? inputSize : hiddenSize;
            registerParameter("weight_ih_l" + k, Tensor.empty(dtype, gates * hiddenSize, in));
            registerParameter("weight_hh_l" + k, Tensor.empty(dtype, gates * hiddenSize, hiddenSize));
            registerParameter("bias_ih_l" + k, bias ? Tensor.empty(dtype, gates * hiddenSize) : null);
            registerParameter("bias_hh_l" + k, bias ? Tensor.empty(dtype, gates * hiddenSize) : null);
        }
        resetParameters(Generator.defaultGenerator());
    }

    /** Every weight and bias {@code ~ U(-1/sqrt(H), 1/sqrt(H))}, as PyTorch's {@code reset_parameters}. */
    public void resetParameters(Generator gen) {
        double k = 1 / Math.sqrt(hiddenSize);
        for (Tensor p : namedParameters().values()) {
            Init.uniform_(p, -k, k, gen);
        }
    }

    /** One layer's step from its projected input {@code xProj [B, G*H]}; {@code state[0] = h}, {@code state[1] = c}. */
    protected abstract Tensor[] step(Tensor xProj, Tensor[] state, Tensor wHh, Tensor bHh);

    /**
     * Runs all layers over {@code input} from the initial states ({@code init[i]} null means zeros); returns the
     * output and, per state kind, the stacked final states.
     */
    protected RNNOutput run(Tensor input, Tensor... init) {
        checkInput(input);
        // Per-step states, gate slices and stacked layers are temporaries; saved ones move out with the results.
        try (TensorScope temps = TensorScope.openTemporaries()) {
            RNNOutput out = runLayers(input, init);
            return new RNNOutput(temps.handOut(out.output()), temps.handOut(out.hN()), temps.handOut(out.cN()));
        }
    }

    private RNNOutput runLayers(Tensor input, Tensor... init) {
        boolean batched = input.dim() == 3;
        Tensor seq = !batched ? input.unsqueeze(1) : batchFirst ? input.transpose(0, 1) : input;
        long batch = seq.size(1);
        Tensor[] states = new Tensor[init.length];
        for (int i = 0; i < init.length; i++) {
            states[i] = initialState(init[i], i, batched, batch, input);
        }
        List<List<Tensor>> finals = new ArrayList<>();
        for (int i = 0; i < init.length; i++) {
            finals.add(new ArrayList<>());
        }
        for (int k = 0; k < numLayers; k++) {
            Tensor xProj = F.linear(seq, parameter("weight_ih_l" + k), parameter("bias_ih_l" + k));
            Tensor[] state = new Tensor[states.length];
            for (int i = 0; i < states.length; i++) {
                state[i] = states[i].select(0, k);
            }
            List<Tensor> outs = new ArrayList<>();
            for (long t = 0; t < seq.size(0); t++) {
                state = step(xProj.select(0, t), state, parameter("weight_hh_l" + k), parameter("bias_hh_l" + k));
                outs.add(state[0]);
            }
            seq = Tensor.stack(outs, 0);
            if (k < numLayers - 1 && dropout > 0 && isTraining()) {
                seq = F.dropout(seq, dropout, true);
            }
            for (int i = 0; i < state.length; i++) {
                finals.get(i).add(state[i]);
            }
        }
        Tensor output = !batched ? seq.squeeze(1) : batchFirst ? seq.transpose(0, 1) : seq;
        Tensor[] last = new Tensor[2];
        for (int i = 0; i < finals.size(); i++) {
            Tensor stacked = Tensor.stack(finals.get(i), 0);
            last[i] = batched ? stacked : stacked.squeeze(1);
        }
        return new RNNOutput(output, last[0], last[1]);
    }

    private void checkInput(Tensor input) {
        if (input.dim() != 2 && input.dim() != 3) {
            throw new IllegalArgumentException(mode + ": Expected input to be 2D or 3D, got " + input.dim()
                    + "D instead");
        }
        DType expected = parameter("weight_ih_l0").dtype();
        if (input.dtype() != expected) {
            throw new IllegalArgumentException("input must have the type " + expected.torchName()
                    + ", got type " + input.dtype().torchName());
        }
        if (input.size(-1) != inputSize) {
            throw new IllegalArgumentException("input.size(-1) must be equal to input_size. Expected " + inputSize
                    + ", got " + input.size(-1));
        }
    }

    /** {@code given} checked against {@code [L, B, H]} (unbatched {@code [L, H]}), or zeros when null. */
    private Tensor initialState(Tensor given, int which, boolean batched, long batch, Tensor input) {
        long[] expected = batched ? new long[] {numLayers, batch, hiddenSize} : new long[] {numLayers, hiddenSize};
        if (given == null) {
            return Tensor.zeros(input.dtype(), input.device(), numLayers, batch, hiddenSize);
        }
        if (!Arrays.equals(given.shape(), expected)) {
            String what = mode.equals("LSTM") ? "hidden[" + which + "]" : "hidden";
            throw new IllegalArgumentException("Expected " + what + " size " + Shapes.str(expected).replace('[', '(')
                    .replace(']', ')') + ", got " + Shapes.str(given.shape()));
        }
        return batched ? given : given.unsqueeze(1);
    }

    public long inputSize() {
        return inputSize;
    }

    public long hiddenSize() {
        return hiddenSize;
    }

    public int numLayers() {
        return numLayers;
    }

    @Override
    protected String extraRepr() {
        StringBuilder s = new StringBuilder().append(inputSize).append(", ").append(hiddenSize);
        if (numLayers != 1) {
            s.append(", num_layers=").append(numLayers);
        }
        if (!bias) {
            s.append(", bias=False");
        }
        if (batchFirst) {
            s.append(", batch_first=True");
        }
        if (dropout != 0) {
            s.append(", dropout=").append(ModuleRepr.pyFloat(dropout));
        }
        return s.toString();
    }
}

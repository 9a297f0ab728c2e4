package dev.kiln.nn;

import dev.kiln.nn.init.Init;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Generator;
import dev.kiln.tensor.Shapes;
import dev.kiln.tensor.Tensor;
import java.util.List;
import java.util.function.BiFunction;

/** Parameter registration, init, checks and repr shared by {@link LSTMCell} and {@link GRUCell}. */
final class CellParams {
    private CellParams() {
    }

    static void register(BiFunction<String, Tensor, Tensor> reg, int gates, long inputSize, long hiddenSize,
                         boolean bias, DType dtype) {
        reg.apply("weight_ih", Tensor.empty(dtype, gates * hiddenSize, inputSize));
        reg.apply("weight_hh", Tensor.empty(dtype, gates * hiddenSize, hiddenSize));
        reg.apply("bias_ih", bias ? Tensor.empty(dtype, gates * hiddenSize) : null);
        reg.apply("bias_hh", bias ? Tensor.empty(dtype, gates * hiddenSize) : null);
    }

    static void reset(List<Tensor> params, long hiddenSize, Generator gen) {
        double k = 1 / Math.sqrt(hiddenSize);
        for (Tensor p : params) {
            Init.uniform_(p, -k, k, gen);
        }
    }

    static void checkInput(Tensor input, long inputSize, String mode) {
        if (input.dim() != 2 || input.size(1) != inputSize) {
            throw new IllegalArgumentException(mode + ": Expected input of shape [B, " + inputSize + "], got "
                    + Shapes.str(input.shape()));
        }
    }

    static Tensor zeros(Tensor input, long hiddenSize) {
        return Tensor.zeros(input.dtype(), input.device(), input.size(0), hiddenSize);
    }

    static String repr(long inputSize, long hiddenSize, boolean bias) {
        return inputSize + ", " + hiddenSize + (bias ? "" : ", bias=False");
    }
}

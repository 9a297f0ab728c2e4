package dev.kiln.nn;

import dev.kiln.tensor.Tensor;

/** {@code 1 / (1 + exp(-x))}, like {@code torch.nn.Sigmoid}. */
public class Sigmoid extends Module {
    @Override
    public Tensor forward(Tensor input) {
        return input.sigmoid();
    }
}

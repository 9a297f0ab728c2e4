package dev.kiln.nn;

import dev.kiln.tensor.Tensor;

/** {@code tanh(x)}, like {@code torch.nn.Tanh}. */
public class Tanh extends Module {
    @Override
    public Tensor forward(Tensor input) {
        return input.tanh();
    }
}

package dev.kiln.nn;

import dev.kiln.tensor.Tensor;

/** Returns its input unchanged, like {@code torch.nn.Identity}; a placeholder when swapping out a layer. */
public class Identity extends Module {
    @Override
    public Tensor forward(Tensor input) {
        return input;
    }
}

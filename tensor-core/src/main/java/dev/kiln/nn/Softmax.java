package dev.kiln.nn;

import dev.kiln.nn.functional.F;
import dev.kiln.tensor.Tensor;

/** {@code exp(x_i) / sum_j exp(x_j)} along {@code dim}, like {@code torch.nn.Softmax}. */
public class Softmax extends Module {
    private final long dim;

    public Softmax(long dim) {
        this.dim = dim;
    }

    @Override
    public Tensor forward(Tensor input) {
        return F.softmax(input, dim);
    }

    @Override
    protected String extraRepr() {
        return "dim=" + dim;
    }
}

package dev.kiln.nn;

import dev.kiln.nn.functional.F;
import dev.kiln.tensor.Tensor;

/** {@code x_i - log(sum_j exp(x_j))} along {@code dim} (computed stably), like {@code torch.nn.LogSoftmax}. */
public class LogSoftmax extends Module {
    private final long dim;

    public LogSoftmax(long dim) {
        this.dim = dim;
    }

    @Override
    public Tensor forward(Tensor input) {
        return F.logSoftmax(input, dim);
    }

    @Override
    protected String extraRepr() {
        return "dim=" + dim;
    }
}

package dev.kiln.nn;

import dev.kiln.tensor.Tensor;

/** Flattens dims {@code startDim..endDim} into one, like {@code torch.nn.Flatten} (defaults 1 and -1: keeps the batch). */
public class Flatten extends Module {
    private final long startDim;
    private final long endDim;

    public Flatten() {
        this(1, -1);
    }

    public Flatten(long startDim, long endDim) {
        this.startDim = startDim;
        this.endDim = endDim;
    }

    @Override
    public Tensor forward(Tensor input) {
        return input.flatten(startDim, endDim);
    }

    @Override
    protected String extraRepr() {
        return "start_dim=" + startDim + ", end_dim=" + endDim;
    }
}

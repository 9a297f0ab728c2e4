package dev.kiln.nn.functional;

import dev.kiln.tensor.Tensor;

/** How a loss reduces its per-element values, like PyTorch's {@code reduction='none'|'mean'|'sum'}. */
public enum Reduction {
    NONE, MEAN, SUM;

    /** Applies the reduction: {@code NONE} returns {@code loss} itself. */
    public Tensor apply(Tensor loss) {
        return switch (this) {
            case NONE -> loss;
            case MEAN -> loss.mean();
            case SUM -> loss.sum();
        };
    }

    /** PyTorch's spelling, for {@code extra_repr}-style text. */
    public String torchName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}

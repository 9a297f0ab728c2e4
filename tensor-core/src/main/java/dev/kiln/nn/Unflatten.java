package dev.kiln.nn;

import dev.kiln.tensor.Tensor;

/**
 * Expands dim {@code dim} into {@code sizes} (one entry may be -1), like {@code torch.nn.Unflatten}; the inverse of
 * {@link Flatten}, e.g. {@code [N, 50] -> [N, 2, 5, 5]} with {@code dim=1, sizes=(2, 5, 5)}.
 */
public class Unflatten extends Module {
    private final long dim;
    private final long[] sizes;

    public Unflatten(long dim, long... sizes) {
        if (sizes.length == 0) {
            throw new IllegalArgumentException("unflattened_size must be a non-empty tuple of ints");
        }
        this.dim = dim;
        this.sizes = sizes.clone();
    }

    @Override
    public Tensor forward(Tensor input) {
        return input.unflatten(dim, sizes);
    }

    @Override
    protected String extraRepr() {
        StringBuilder s = new StringBuilder("dim=").append(dim).append(", unflattened_size=(");
        for (int i = 0; i < sizes.length; i++) {
            s.append(i == 0 ? "" : ", ").append(sizes[i]);
        }
        return s.append(sizes.length == 1 ? ",)" : ")").toString();
    }
}

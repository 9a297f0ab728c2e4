package dev.kiln.tensor;

/** The (values, indices) pair returned by {@code max(dim)}, {@code min(dim)}, like PyTorch's named tuple. */
public record ValuesIndices(Tensor values, Tensor indices) {
    /** Both are results, even if the caller reads only one (leak tracking). */
    public ValuesIndices {
        LeakTracking.handedOut(values);
        LeakTracking.handedOut(indices);
    }
}

package dev.kiln.data;

/** {@code 0, 1, ..., size-1} every epoch, like {@code torch.utils.data.SequentialSampler}. */
public final class SequentialSampler implements Sampler {
    private final long size;

    public SequentialSampler(long size) {
        if (size < 0) {
            throw new IllegalArgumentException("dataset size must be >= 0, got " + size);
        }
        this.size = size;
    }

    @Override
    public long[] indices() {
        return Permutations.range(Math.toIntExact(size));
    }

    @Override
    public long length() {
        return size;
    }
}

package dev.kiln.data;

import dev.kiln.tensor.Generator;

/**
 * Random order, like {@code torch.utils.data.RandomSampler}: without replacement a fresh permutation each epoch
 * (drawn from the generator, so a seeded generator makes every epoch reproducible); with replacement
 * {@code numSamples} independent uniform draws.
 */
public final class RandomSampler implements Sampler {
    private final long size;
    private final boolean replacement;
    private final long numSamples;
    private final Generator generator;

    /** A new permutation of {@code [0, size)} each epoch, from a generator seeded with {@code seed}. */
    public RandomSampler(long size, long seed) {
        this(size, false, size, new Generator(seed));
    }

    public RandomSampler(long size, boolean replacement, long numSamples, Generator generator) {
        if (numSamples <= 0 && size > 0) {
            throw new IllegalArgumentException("num_samples should be a positive integer value, but got num_samples="
                    + numSamples);
        }
        if (!replacement && numSamples != size) {
            throw new IllegalArgumentException("num_samples=" + numSamples + " differs from the dataset size " + size
                    + "; that needs replacement=true");
        }
        this.size = size;
        this.replacement = replacement;
        this.numSamples = numSamples;
        this.generator = generator;
    }

    @Override
    public long[] indices() {
        if (!replacement) {
            return Permutations.randperm(Math.toIntExact(size), generator);
        }
        long[] out = new long[Math.toIntExact(numSamples)];
        for (int i = 0; i < out.length; i++) {
            out[i] = generator.nextLong(0, size);
        }
        return out;
    }

    @Override
    public long length() {
        return numSamples;
    }
}

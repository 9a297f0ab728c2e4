package dev.kiln.backend;

/**
 * A random stream a backend draws from for {@link RandomKernels} (implemented by {@code dev.kiln.tensor.Generator}).
 * The host backend consumes it value by value; a device backend takes one {@link #nextLong()} per launch as the key
 * of its counter-based generator, so results depend only on the stream's state, never on thread timing.
 */
public interface RandomSource {
    /** The next 64 uniformly random bits. */
    long nextLong();

    /** Uniform in [0, 1) with 53 random bits. */
    double nextDouble();

    /** Standard normal (Box-Muller). */
    double nextGaussian();

    /** Uniform integer in [low, high), unbiased. */
    long nextLong(long low, long high);

    /** Fills {@code out[from, to)} with uniform floats in [0, 1) (24 random bits each) under one lock. */
    void fillFloats(float[] out, int from, int to);
}

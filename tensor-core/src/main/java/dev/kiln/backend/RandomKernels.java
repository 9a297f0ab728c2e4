package dev.kiln.backend;

/** Random fills of a contiguous output, drawn from a {@link RandomSource}; distributions as in PyTorch. */
public interface RandomKernels {
    /** {@code out[i] ~ U[0, 1)} (float32 or float64). */
    void uniform(KernelArg out, RandomSource source);

    /** {@code out[i] ~ N(0, 1)} (float32 or float64). */
    void normal(KernelArg out, RandomSource source);

    /** {@code out[i]} uniform in {@code [low, high)} (int64). */
    void randint(KernelArg out, long low, long high, RandomSource source);
}

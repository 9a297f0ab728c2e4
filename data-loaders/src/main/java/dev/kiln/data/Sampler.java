package dev.kiln.data;

/**
 * An ordering of dataset indices for one epoch, like {@code torch.utils.data.Sampler}. Each call to
 * {@link #indices()} is one epoch; random samplers advance their generator, so epochs differ but the whole run
 * is reproducible from the seed.
 */
public interface Sampler {
    /** The indices of the next epoch, in the order they should be loaded. */
    long[] indices();

    /** How many indices one epoch yields, like {@code len(sampler)}. */
    long length();

    /** Tells the sampler which epoch comes next; only samplers whose order depends on it (distributed) care. */
    default void setEpoch(long epoch) {
    }
}

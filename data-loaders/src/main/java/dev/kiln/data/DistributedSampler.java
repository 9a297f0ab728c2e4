package dev.kiln.data;

import dev.kiln.tensor.Generator;

/**
 * This rank's share of the indices, with the exact semantics of {@code torch.utils.data.DistributedSampler}:
 *
 * <ul>
 *   <li>every rank gets {@code numSamples} indices: {@code ceil(N / worldSize)}, padding the global list by
 *       repeating its head; or with {@code dropLast} {@code floor(N / worldSize)}, dropping the tail;</li>
 *   <li>rank {@code r} takes global positions {@code r, r + worldSize, ...} (interleaved, as PyTorch does), so
 *       the shares are disjoint when {@code worldSize} divides {@code N};</li>
 *   <li>with {@code shuffle}, the global order is a permutation drawn from a generator seeded with
 *       {@code seed + epoch}: every rank computes the same one, and {@link #setEpoch} changes it.</li>
 * </ul>
 *
 * <p>Call {@link #setEpoch} before each epoch, as in PyTorch; otherwise every epoch has the same order.
 */
public final class DistributedSampler implements Sampler {
    private final long size;
    private final int rank;
    private final int worldSize;
    private final boolean shuffle;
    private final long seed;
    private final boolean dropLast;
    private final long numSamples;
    private volatile long epoch;

    public DistributedSampler(long size, int rank, int worldSize, boolean shuffle, long seed, boolean dropLast) {
        if (worldSize <= 0) {
            throw new IllegalArgumentException("worldSize must be positive, got " + worldSize);
        }
        if (rank < 0 || rank >= worldSize) {
            throw new IllegalArgumentException("Invalid rank " + rank + ", rank should be in the interval [0, "
                    + (worldSize - 1) + "]");
        }
        this.size = size;
        this.rank = rank;
        this.worldSize = worldSize;
        this.shuffle = shuffle;
        this.seed = seed;
        this.dropLast = dropLast;
        // PyTorch: ceil((N - W) / W) when dropping an uneven tail, which equals floor(N / W); else ceil(N / W).
        this.numSamples = dropLast && size % worldSize != 0 ? size / worldSize : (size + worldSize - 1) / worldSize;
    }

    /** Selects the permutation of the coming epoch (shuffle only), like {@code sampler.set_epoch(epoch)}. */
    @Override
    public void setEpoch(long epoch) {
        this.epoch = epoch;
    }

    public long epoch() {
        return epoch;
    }

    @Override
    public long[] indices() {
        int n = Math.toIntExact(size);
        long[] global = shuffle ? Permutations.randperm(n, new Generator(seed + epoch)) : Permutations.range(n);
        long[] mine = new long[Math.toIntExact(numSamples)];
        for (int i = 0; i < mine.length; i++) {
            long position = rank + (long) i * worldSize;
            // Positions past N wrap around to the head: PyTorch pads with indices[:padding], repeated if needed.
            mine[i] = global[(int) (position % n)];
        }
        return mine;
    }

    @Override
    public long length() {
        return numSamples;
    }

    public int rank() {
        return rank;
    }

    public int worldSize() {
        return worldSize;
    }
}

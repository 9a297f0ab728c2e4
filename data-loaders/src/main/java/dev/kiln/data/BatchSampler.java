package dev.kiln.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Groups a sampler's indices into mini-batches of {@code batchSize}, like
 * {@code torch.utils.data.BatchSampler}; the last short batch is kept unless {@code dropLast}.
 */
public final class BatchSampler {
    private final Sampler sampler;
    private final int batchSize;
    private final boolean dropLast;

    public BatchSampler(Sampler sampler, int batchSize, boolean dropLast) {
        if (batchSize <= 0) {
            throw new IllegalArgumentException("batch_size should be a positive integer value, but got batch_size="
                    + batchSize);
        }
        this.sampler = sampler;
        this.batchSize = batchSize;
        this.dropLast = dropLast;
    }

    /** The next epoch's batches (draws one epoch from the sampler). */
    public List<long[]> batches() {
        long[] all = sampler.indices();
        List<long[]> out = new ArrayList<>();
        for (int start = 0; start < all.length; start += batchSize) {
            int end = Math.min(start + batchSize, all.length);
            if (end - start < batchSize && dropLast) {
                break;
            }
            out.add(Arrays.copyOfRange(all, start, end));
        }
        return out;
    }

    /** Batches per epoch, like {@code len(batch_sampler)}. */
    public long length() {
        long n = sampler.length();
        return dropLast ? n / batchSize : (n + batchSize - 1) / batchSize;
    }

    public Sampler sampler() {
        return sampler;
    }

    public int batchSize() {
        return batchSize;
    }
}

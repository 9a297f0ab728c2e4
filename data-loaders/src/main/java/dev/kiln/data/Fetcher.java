package dev.kiln.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;

/** Produces the samples of batch {@code b} of one epoch; {@code null} past the end. */
interface Fetcher<T> {
    List<T> fetch(long batchIndex);

    /** What batch {@code b} is, for error messages (e.g. its dataset indices). */
    String describe(long batchIndex);

    /** Map-style: batch {@code b} is {@code dataset.get} over the epoch's precomputed index lists. */
    static <T> Fetcher<T> of(Dataset<T> dataset, List<long[]> batches) {
        return new Fetcher<>() {
            @Override
            public List<T> fetch(long b) {
                if (b >= batches.size()) {
                    return null;
                }
                long[] idx = batches.get((int) b);
                List<T> out = new ArrayList<>(idx.length);
                for (long i : idx) {
                    out.add(dataset.get(i));
                }
                return out;
            }

            @Override
            public String describe(long b) {
                return b < batches.size() ? "batch " + b + " (dataset indices " + Arrays.toString(batches.get((int) b))
                        + ")" : "batch " + b;
            }
        };
    }

    /** Iterable: the next {@code batchSize} samples; must be called for b = 0, 1, 2... on one thread. */
    static <T> Fetcher<T> of(Iterator<T> it, int batchSize, boolean dropLast) {
        return new Fetcher<>() {
            @Override
            public List<T> fetch(long b) {
                List<T> out = new ArrayList<>(batchSize);
                while (out.size() < batchSize && it.hasNext()) {
                    out.add(it.next());
                }
                return out.isEmpty() || (dropLast && out.size() < batchSize) ? null : out;
            }

            @Override
            public String describe(long b) {
                return "batch " + b + " (samples " + b * batchSize + " to " + ((b + 1) * batchSize - 1) + ")";
            }
        };
    }
}

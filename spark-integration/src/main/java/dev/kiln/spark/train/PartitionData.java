package dev.kiln.spark.train;

import dev.kiln.data.Batch;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Generator;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * One rank's rows as Arrow-backed tensors ({@link #features()} {@code [rows, d]} float32, {@link #labels()}
 * {@code [rows]}), plus what every rank knows about every other rank's row count, so that all ranks run the same
 * number of steps per epoch without talking to each other.
 *
 * <h2>Batching across uneven partitions</h2>
 * An epoch has {@code ceil(maxRows / batchSize)} steps on every rank ({@link #stepsPerEpoch}); step {@code s}
 * takes local rows {@code [s*batchSize, (s+1)*batchSize)} of this epoch's order, so a rank with fewer rows runs
 * out earlier and yields smaller, then empty, batches. No rank ever waits in an all-reduce for a step that
 * another rank skips. {@link #globalBatchRows} gives the rows of a step summed over all ranks, which a loop uses
 * to weight its gradient so the average over ranks is the mean over the global batch (see
 * {@link TrainingContext#gradientWeight}).
 */
public final class PartitionData implements AutoCloseable {
    private final Tensor features;
    private final Tensor labels; // null when no label column was selected
    private long[] rowsPerRank;
    private int rank;

    PartitionData(Tensor features, Tensor labels) {
        this.features = TensorScope.detach(features);
        this.labels = labels == null ? null : TensorScope.detach(labels);
    }

    /** Records every rank's row count (known after the rendezvous). */
    void setRanks(int rank, long[] rowsPerRank) {
        this.rank = rank;
        this.rowsPerRank = rowsPerRank.clone();
    }

    /** {@code [rows, d]} float32, over the Arrow buffer the rows were read into. */
    public Tensor features() {
        return features;
    }

    /** {@code [rows]} int64 class indices or float32 targets; throws if no label column was selected. */
    public Tensor labels() {
        if (labels == null) {
            throw new IllegalStateException("no label column was selected for this training run");
        }
        return labels;
    }

    public boolean hasLabels() {
        return labels != null;
    }

    public long rows() {
        return features.size(0);
    }

    public long featureDim() {
        return features.size(1);
    }

    /** Row counts of every rank's partition, indexed by rank. */
    public long[] rowsPerRank() {
        return rowsPerRank.clone();
    }

    /** Rows over all ranks. */
    public long globalRows() {
        long n = 0;
        for (long r : rowsPerRank) {
            n += r;
        }
        return n;
    }

    /** Steps per epoch, the same on every rank: {@code ceil(max rows of any rank / batchSize)}. */
    public int stepsPerEpoch(int batchSize) {
        long max = 0;
        for (long r : rowsPerRank) {
            max = Math.max(max, r);
        }
        return (int) ((max + batchSize - 1) / batchSize);
    }

    /** Rows in step {@code step}'s batch on rank {@code r}. */
    public static long batchRows(long rankRows, int step, int batchSize) {
        long start = (long) step * batchSize;
        return Math.max(0, Math.min(batchSize, rankRows - start));
    }

    /** Rows of step {@code step} summed over all ranks (the global batch size of that step). */
    public long globalBatchRows(int step, int batchSize) {
        long n = 0;
        for (long r : rowsPerRank) {
            n += batchRows(r, step, batchSize);
        }
        return n;
    }

    /**
     * The batches of one epoch, exactly {@link #stepsPerEpoch} of them (later ones may be empty on this rank).
     * Unshuffled batches are zero-copy views of the partition's tensors; shuffled ones are gathered in the order
     * of a permutation drawn from {@code Generator(seed, epoch, rank)}, so a resumed run sees the same order.
     * Each batch belongs to the caller (close it).
     */
    public Iterable<Batch> epoch(int epoch, int batchSize, boolean shuffle, long seed) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be >= 1, got " + batchSize);
        }
        int steps = stepsPerEpoch(batchSize);
        return () -> new Iterator<>() {
            private final long[] order = shuffle ? permutation(rows(), orderSeed(seed, epoch, rank)) : null;
            private int step;

            @Override
            public boolean hasNext() {
                return step < steps;
            }

            @Override
            public Batch next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return batch(step++, batchSize, order);
            }
        };
    }

    private Batch batch(int step, int batchSize, long[] order) {
        long start = Math.min((long) step * batchSize, rows());
        long n = batchRows(rows(), step, batchSize);
        try (TensorScope scope = TensorScope.open()) {
            Tensor x;
            Tensor y;
            if (order == null) {
                x = features.narrow(0, start, n);
                y = labels == null ? null : labels.narrow(0, start, n);
            } else {
                long[] idx = new long[(int) n];
                System.arraycopy(order, (int) start, idx, 0, (int) n);
                Tensor index = Tensor.of(idx);
                x = features.indexSelect(0, index);
                y = labels == null ? null : labels.indexSelect(0, index);
            }
            TensorScope.detach(x);
            if (y == null) {
                return Batch.of(x);
            }
            TensorScope.detach(y);
            return Batch.of(x, y);
        }
    }

    static long orderSeed(long seed, int epoch, int rank) {
        return seed * 0x9E3779B97F4A7C15L + epoch * 0xBF58476D1CE4E5B9L + rank * 0x94D049BB133111EBL;
    }

    /** A Fisher-Yates permutation of {@code [0, n)}. */
    static long[] permutation(long n, long seed) {
        Generator g = new Generator(seed);
        long[] p = new long[(int) n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        for (int i = (int) n - 1; i > 0; i--) {
            int j = (int) g.nextLong(0, i + 1);
            long t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    /** An int64 / float32 label dtype check for loops that need one. */
    public DType labelDType() {
        return labels().dtype();
    }

    @Override
    public void close() {
        features.close();
        if (labels != null) {
            labels.close();
        }
    }
}

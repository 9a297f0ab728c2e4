package dev.kiln.data;

import dev.kiln.tensor.Generator;
import dev.kiln.tensor.TensorScope;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.function.Function;
import org.apache.arrow.memory.BufferAllocator;

/**
 * Iterates a dataset in mini-batches, like {@code torch.utils.data.DataLoader}. Each {@code for} loop over the
 * loader is one epoch; samplers are consulted once per epoch, so shuffling draws a new order each time.
 *
 * <pre>{@code
 * var loader = DataLoader.builder(new TensorDataset(x, y)).batchSize(64).shuffle(true).numWorkers(2).build();
 * for (int epoch = 0; epoch < 10; epoch++) {
 *     for (Batch batch : loader) {
 *         try (batch) { ... batch.features(), batch.labels() ... }
 *     }
 * }
 * }</pre>
 *
 * <p>With {@code numWorkers > 0}, background threads load and collate up to {@code prefetchFactor} batches each
 * ahead of the consumer, so loading overlaps training; batches still arrive in sampler order. A worker's
 * exception is rethrown to the consumer as a {@link DataLoaderException} naming the batch. Batches are owned by
 * the consumer, who closes them; starting a new epoch, or {@link #close()}, stops the previous epoch's workers
 * and frees its undelivered batches (so breaking out of a loop early leaks nothing past the next epoch or close).
 * Workers are daemon threads and run with the {@link dev.kiln.KilnContext} of the thread that starts the epoch
 * (its generator, allocator and thread count), so several training loops in one JVM each load with their own.
 *
 * @param <T> the sample type
 */
public final class DataLoader<T> implements Iterable<Batch>, AutoCloseable {
    private final Dataset<T> dataset;
    private final IterableDataset<T> iterableDataset;
    private final BatchSampler batchSampler;
    private final int batchSize;
    private final boolean dropLast;
    private final Function<List<T>, Batch> collate;
    private final int numWorkers;
    private final int prefetchFactor;
    private final Duration timeout;
    private final BufferAllocator allocator;
    private final boolean autoBatching;
    private LoaderIterator<T> current;

    private DataLoader(Builder<T> b) {
        this.dataset = b.dataset;
        this.iterableDataset = b.iterableDataset;
        this.batchSize = b.batchSize;
        this.dropLast = b.dropLast;
        this.collate = b.collate;
        this.numWorkers = b.numWorkers;
        this.prefetchFactor = b.prefetchFactor == null ? 2 : b.prefetchFactor;
        this.timeout = b.timeout;
        this.allocator = b.allocator == null ? TensorScope.currentAllocator() : b.allocator;
        this.autoBatching = b.autoBatching;
        this.batchSampler = dataset == null ? null : new BatchSampler(samplerOf(b), batchSize, dropLast);
    }

    private static <T> Sampler samplerOf(Builder<T> b) {
        if (b.sampler != null) {
            return b.sampler;
        }
        if (!b.shuffle) {
            return new SequentialSampler(b.dataset.size());
        }
        Generator g = b.generator != null ? b.generator : new Generator(Generator.defaultGenerator().nextLong());
        return new RandomSampler(b.dataset.size(), false, b.dataset.size(), g);
    }

    /** A builder for a map-style dataset. */
    public static <T> Builder<T> builder(Dataset<T> dataset) {
        return new Builder<>(dataset, null);
    }

    /** A builder for an iterable dataset (no sampler or shuffle; at most one worker). */
    public static <T> Builder<T> builder(IterableDataset<T> dataset) {
        return new Builder<>(null, dataset);
    }

    /**
     * Starts an epoch: draws its batch order now, on this thread (so the order never depends on the workers),
     * and stops the previous epoch's workers if it was not finished.
     */
    @Override
    public synchronized Iterator<Batch> iterator() {
        close();
        if (!autoBatching) { // each item already is a batch (PyTorch's batch_size=None): passed through as it is
            current = new LoaderIterator<>(Fetcher.of(iterableDataset.iterator(), 1, false), DataLoader::passThrough,
                    allocator, numWorkers, prefetchFactor, timeout);
            return current;
        }
        Fetcher<T> fetcher = dataset != null ? Fetcher.of(dataset, batchSampler.batches())
                : Fetcher.of(iterableDataset.iterator(), batchSize, dropLast);
        current = new LoaderIterator<>(fetcher, collate, allocator, numWorkers, prefetchFactor, timeout);
        return current;
    }

    private static <T> Batch passThrough(List<T> one) {
        if (one.get(0) instanceof Batch b) {
            return b;
        }
        throw new IllegalArgumentException("autoBatching(false) needs a dataset whose items are Batch objects, got "
                + one.get(0).getClass().getName());
    }

    /** Batches per epoch, like {@code len(loader)}; an iterable dataset has no length. */
    public long length() {
        if (batchSampler == null) {
            throw new UnsupportedOperationException("a DataLoader over an IterableDataset has no length");
        }
        return batchSampler.length();
    }

    public int batchSize() {
        return batchSize;
    }

    /** The sampler that orders each epoch (null for iterable datasets); call its setEpoch for distributed runs. */
    public Sampler sampler() {
        return batchSampler == null ? null : batchSampler.sampler();
    }

    /** Stops the current epoch's workers and frees its undelivered batches; batches already handed out stay valid. */
    @Override
    public synchronized void close() {
        if (current != null) {
            current.close();
            current = null;
        }
    }

    /** Options, with PyTorch's defaults: batch size 1, no shuffle, no workers, prefetch factor 2, no timeout. */
    public static final class Builder<T> {
        private final Dataset<T> dataset;
        private final IterableDataset<T> iterableDataset;
        private int batchSize = 1;
        private boolean shuffle;
        private Sampler sampler;
        private boolean dropLast;
        private Function<List<T>, Batch> collate = Collate::defaultCollate;
        private int numWorkers;
        private Integer prefetchFactor;
        private Generator generator;
        private Duration timeout = Duration.ZERO;
        private BufferAllocator allocator;
        private boolean autoBatching = true;

        private Builder(Dataset<T> dataset, IterableDataset<T> iterableDataset) {
            if (dataset == null && iterableDataset == null) {
                throw new IllegalArgumentException("dataset must not be null");
            }
            this.dataset = dataset;
            this.iterableDataset = iterableDataset;
        }

        public Builder<T> batchSize(int batchSize) {
            this.batchSize = batchSize;
            return this;
        }

        /** Reshuffle every epoch (a {@link RandomSampler}); mutually exclusive with {@link #sampler}. */
        public Builder<T> shuffle(boolean shuffle) {
            this.shuffle = shuffle;
            return this;
        }

        public Builder<T> sampler(Sampler sampler) {
            this.sampler = sampler;
            return this;
        }

        /** Drop the last incomplete batch. */
        public Builder<T> dropLast(boolean dropLast) {
            this.dropLast = dropLast;
            return this;
        }

        /** Turns a list of samples into a batch; it must return new tensors (they are detached and owned by the batch). */
        public Builder<T> collate(Function<List<T>, Batch> collate) {
            this.collate = collate;
            return this;
        }

        public Builder<T> numWorkers(int numWorkers) {
            this.numWorkers = numWorkers;
            return this;
        }

        /** Batches each worker loads ahead of the consumer (the bound on its queue); needs workers. */
        public Builder<T> prefetchFactor(int prefetchFactor) {
            this.prefetchFactor = prefetchFactor;
            return this;
        }

        /** Source of the shuffle order; seed it for reproducible epochs. */
        public Builder<T> generator(Generator generator) {
            this.generator = generator;
            return this;
        }

        /** Longest wait for one batch from a worker (zero: no limit, but waits still notice dead workers). */
        public Builder<T> timeout(Duration timeout) {
            this.timeout = timeout;
            return this;
        }

        /** Allocator for batch tensors; defaults to the current scope's allocator when {@link #build} runs. */
        public Builder<T> allocator(BufferAllocator allocator) {
            this.allocator = allocator;
            return this;
        }

        /**
         * {@code false}: the iterable dataset already yields {@link Batch}es (e.g. {@link ParquetDataset}, which cuts
         * batches out of decoded row groups without copying), and the loader passes each through unchanged, adding
         * only its background prefetch ({@code numWorkers(1)}, {@code prefetchFactor}) and timeout. PyTorch's
         * {@code DataLoader(ds, batch_size=None)}. Batch size, drop-last and sharding are then the dataset's own
         * options ({@code ParquetDataset.Builder.batchSize/dropLast/shard}).
         */
        public Builder<T> autoBatching(boolean autoBatching) {
            this.autoBatching = autoBatching;
            return this;
        }

        public DataLoader<T> build() {
            validate();
            return new DataLoader<>(this);
        }

        /** PyTorch's argument checks, with its messages where it has them. */
        private void validate() {
            if (batchSize <= 0) {
                throw new IllegalArgumentException("batch_size should be a positive integer value, but got batch_size="
                        + batchSize);
            }
            if (numWorkers < 0) {
                throw new IllegalArgumentException("num_workers option should be non-negative; use num_workers=0 to "
                        + "disable multiprocessing.");
            }
            if (prefetchFactor != null && numWorkers == 0) {
                throw new IllegalArgumentException("prefetch_factor option could only be specified in multiprocessing."
                        + "let num_workers > 0 to enable multiprocessing.");
            }
            if (prefetchFactor != null && prefetchFactor <= 0) {
                throw new IllegalArgumentException("prefetch_factor must be positive, got " + prefetchFactor);
            }
            if (timeout.isNegative()) {
                throw new IllegalArgumentException("timeout option should be non-negative");
            }
            if (sampler != null && shuffle) {
                throw new IllegalArgumentException("sampler option is mutually exclusive with shuffle");
            }
            if (iterableDataset != null) {
                validateIterable();
            }
            if (!autoBatching && iterableDataset == null) {
                throw new IllegalArgumentException("autoBatching(false) needs an IterableDataset of Batches (such as "
                        + "ParquetDataset); a map-style Dataset is batched by its sampler");
            }
        }

        private void validateIterable() {
            if (shuffle || sampler != null) {
                throw new IllegalArgumentException("DataLoader with IterableDataset: expected unspecified shuffle and "
                        + "sampler options, got shuffle=" + shuffle + ", sampler=" + sampler);
            }
            if (numWorkers > 1) {
                // PyTorch replicates the dataset into every worker and relies on get_worker_info() sharding; without
                // it each sample would be loaded numWorkers times, so we refuse rather than duplicate data.
                throw new IllegalArgumentException("DataLoader with IterableDataset supports numWorkers 0 or 1, got "
                        + numWorkers);
            }
        }
    }
}

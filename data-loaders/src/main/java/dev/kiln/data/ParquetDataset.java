package dev.kiln.data;

import dev.kiln.data.transforms.Transform;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.TensorScope;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.Function;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.hadoop.conf.Configuration;

/**
 * Parquet files as a stream of {@link Batch}es of tensors, like a PyTorch {@code IterableDataset} over
 * Parquet/Petastorm: one file, a directory, or a glob, local or on any Hadoop FileSystem ({@code file://},
 * {@code hdfs://}, {@code s3a://}); no Hadoop install is needed (the shaded hadoop-client with a local
 * {@link Configuration}). {@code hdfs://} works out of the box (the DFS client is in hadoop-client-runtime;
 * {@code HdfsParquetTest} reads from an in-process HDFS). {@code s3a://} additionally needs {@code hadoop-aws} (same
 * version as Hadoop) and the AWS SDK v2 bundle on the classpath, which Kiln does not bundle; Spark clusters that
 * read S3 usually have them (EMR, Databricks, or {@code --packages org.apache.hadoop:hadoop-aws:<version>}).
 * Credentials and endpoints go in the {@link Builder#configuration} ({@code fs.s3a.*}).
 *
 * <pre>{@code
 * try (ParquetDataset ds = ParquetDataset.builder("s3a://bucket/mnist/*.parquet")
 *         .features("features").label("label").batchSize(128)
 *         .shuffle(true).seed(42).shard(rank, worldSize).numThreads(2).build()) {
 *     for (Batch b : ds) { try (b) { ... b.features() [128, 784] float32, b.labels() [128] int64 ... } }
 * }
 *
 * // a table of ids, timestamps and strings: numbers, categories (ids fitted once, the same on every rank), a label
 * Vocabulary vocab = Vocabulary.fit("hdfs:///events/", "city", "device");   // once; vocab.save(path) / toJson()
 * try (ParquetDataset ds = ParquetDataset.builder("hdfs:///events/")
 *         .featureColumns("user_age", "price", "ts").categorical("city", "device").vocabulary(vocab)
 *         .label("clicked").batchSize(256).build()) {
 *     for (Batch b : ds) { try (b) { ... b.features() [256, 3] float32, b.get("categories") [256, 2] int64 ... } }
 * }
 * }</pre>
 *
 * <p><b>With a DataLoader.</b> A {@code ParquetDataset} is an {@link IterableDataset} of ready batches; wrap it as
 * {@code DataLoader.builder(ds).autoBatching(false).numWorkers(1).build()} (PyTorch's {@code batch_size=None}) to
 * add the loader's background prefetch and timeout. Sharding by rank is the dataset's {@code shard(rank, worldSize)}
 * (row groups dealt round-robin, the DistributedSampler rule applied to row groups); call {@link #setEpoch} each
 * epoch for a new shuffle, like {@code DistributedSampler.set_epoch}.
 *
 * <p><b>Columns and types.</b> A batch has up to three fields, named {@code features}, {@code categories} and
 * {@code label} ({@link Batch#get(String)}; {@link Batch#features()} and {@link Batch#labels()} find theirs):
 * <ul>
 *   <li>{@link Builder#features(String)}: one {@code list<T>} column (Spark {@code array<T>}) of any numeric T,
 *       every row of the same length n: {@code [batch, n]}; or {@link Builder#featureColumns(String...)}: k numeric
 *       scalar columns, each decoded straight into its column of one {@code [batch, k]} matrix; or
 *       {@link Builder#bytesFeatures}: a binary column decoded by a user function. Float32 by default;
 *       {@link Builder#featureDtype} chooses float64, or int64 for exact integers.</li>
 *   <li>{@link Builder#categorical(String...)}: string, binary or integer columns as {@code [batch, c]} int64
 *       category ids from a {@link Vocabulary} fitted once and passed to every rank (0 = null or unknown).</li>
 *   <li>{@link Builder#label(String)}: an integer (any width, signed or unsigned, boolean) as int64; a string as
 *       its int64 vocabulary id (unknown labels are an error); a float, double or decimal as float32.</li>
 * </ul>
 *
 * <table>
 *   <caption>How Parquet values become numbers (see {@code ColumnType})</caption>
 *   <tr><th>Parquet type (physical / logical)</th><th>float32 / float64 feature</th><th>int64</th></tr>
 *   <tr><td>INT32, INT64, INT_8..INT_64, UINT_8..UINT_64</td><td>the value (float32: exact up to 2^24)</td>
 *       <td>the value (UINT_64 at or above 2^63: error)</td></tr>
 *   <tr><td>BOOLEAN</td><td>0 or 1</td><td>0 or 1</td></tr>
 *   <tr><td>FLOAT, DOUBLE, FLOAT16</td><td>the value (rounded to nearest)</td><td>not allowed</td></tr>
 *   <tr><td>DECIMAL(p, s) as INT32, INT64, FIXED_LEN_BYTE_ARRAY or BINARY</td><td>unscaled / 10^s, computed in
 *       float64</td><td>scale 0 only: the unscaled value</td></tr>
 *   <tr><td>DATE</td><td>days since 1970-01-01</td><td>days</td></tr>
 *   <tr><td>TIMESTAMP (MILLIS, MICROS, NANOS; adjusted to UTC or not), INT96</td><td>seconds since
 *       1970-01-01 (float32 resolves about 2 minutes in 2024: use int64 or float64 to keep more)</td>
 *       <td>microseconds (nanoseconds floored)</td></tr>
 *   <tr><td>TIME (MILLIS, MICROS, NANOS)</td><td>seconds since midnight</td><td>microseconds</td></tr>
 *   <tr><td>STRING, ENUM, JSON, BINARY, FIXED_LEN_BYTE_ARRAY</td><td colspan="2">categorical only</td></tr>
 * </table>
 *
 * <p>Every Parquet encoding (PLAIN, dictionary, RLE, DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY,
 * DELTA_BYTE_ARRAY, BYTE_STREAM_SPLIT), data pages V1 and V2, and the codecs UNCOMPRESSED, SNAPPY, GZIP, ZSTD,
 * LZ4_RAW and LZ4 are read. BROTLI and LZO are not: such a file fails at {@code build()} with "codec not
 * available" (never skipped by {@code skipBadFiles}, which is for corrupt data).
 *
 * <p><b>Zero copy.</b> Each row group is decoded once, straight from its Parquet pages into Arrow buffers
 * ({@link RowGroupDecoder}): a list column becomes one {@code [rows, n]} buffer, scalar columns are written into
 * their columns of one {@code [rows, k]} buffer, and a batch is a view of it ({@code tensor.dataAddress()} is
 * inside the Arrow buffer). Copies happen only where the layout forces them, each documented on its option: the one
 * batch per row-group boundary that straddles two row groups, the shuffle buffer, and transforms that compute new
 * values.
 *
 * <p><b>Reader.</b> Column chunks are read through Hadoop's FileSystem (one positioned read per chunk; each
 * file's footer once per epoch) and decoded by Kiln's own page decoders: pages of one chunk are decoded in
 * parallel wherever their row offsets are known from the headers (flat columns, uniform lists), decompressed on
 * the decoding threads, and every length, offset, count and bit width a file holds is checked before it sizes an
 * allocation or a write ({@link Dest} is the only writer of native memory), so a corrupt file is an error naming
 * the file, row group and column, never memory corruption. Why this reader and how fast: BENCHMARKS.md
 * ("Parquet").
 *
 * <p><b>Order, shuffling, sharding.</b> The unit of parallelism is the row group. All files' row groups are
 * listed in path order; rank {@code r} of {@code worldSize} takes every {@code worldSize}-th one starting at
 * {@code r} (so it reads only its share of the data); with {@code shuffle} the rank's row groups are permuted
 * each epoch with {@code seed} and the epoch number, and {@code shuffleBuffer(k)} also shuffles rows within
 * windows of at least {@code k} rows. {@code numThreads} workers decode row groups ahead of the consumer;
 * batches are delivered in the (shuffled) row-group order, so runs are reproducible.
 *
 * <p><b>Checks.</b> Every file's footer is read at {@code build()}: missing columns (the error lists the file's
 * columns), wrong types (expected vs found), corrupt/truncated files (named; skipped with a warning under
 * {@code skipBadFiles}), unavailable codecs (never skipped), an empty dataset or an empty shard all fail there,
 * before the first batch. While decoding: ragged list rows (file, row group, row), nulls (or {@code dropNulls}),
 * unknown labels, optionally NaN/Inf ({@code checkFinite}), and any page that disagrees with its footer or with
 * the format (an {@code IOException} naming file, row group and column; skipped under {@code skipBadFiles}).
 */
public final class ParquetDataset implements IterableDataset<Batch>, AutoCloseable {

    /** One row group of one file: the unit that is read, sharded and shuffled. */
    record Unit(org.apache.hadoop.fs.Path file, int rowGroup, long rows) {
    }

    final Builder options;
    final List<Unit> units;
    final ParquetLayout layout;
    private int epoch;
    private ParquetEpoch current;

    private ParquetDataset(Builder b, List<Unit> units, ParquetLayout layout) {
        this.options = b;
        this.units = units;
        this.layout = layout;
    }

    public static Builder builder(String location) {
        return new Builder(location);
    }

    /** Starts the next epoch (closing the previous one's readers and undelivered buffers if it was not finished). */
    @Override
    public synchronized Iterator<Batch> iterator() {
        close();
        current = new ParquetEpoch(this, epoch++);
        return current;
    }

    /** Sets the epoch number the next {@link #iterator()} shuffles with, like {@code DistributedSampler.set_epoch}. */
    public synchronized void setEpoch(int epoch) {
        this.epoch = epoch;
    }

    /** Rows this rank reads per epoch (before dropNulls). */
    public long rows() {
        return units.stream().mapToLong(Unit::rows).sum();
    }

    /** Row groups this rank reads per epoch. */
    public int rowGroups() {
        return units.size();
    }

    /** Stops the current epoch's readers and frees its undelivered buffers; delivered batches stay valid. */
    @Override
    public synchronized void close() {
        if (current != null) {
            current.close();
            current = null;
        }
    }

    /** Options; defaults: batch size 64, 1 thread, no shuffle, rank 0 of 1, nulls and bad files are errors. */
    public static final class Builder {
        final String location;
        Configuration conf;
        String features;
        String[] featureColumns;
        String label;
        String bytesColumn;
        DType featureDtype = DType.FLOAT32;
        String[] categorical;
        Vocabulary vocabulary;
        Function<byte[], float[]> bytesDecoder;
        long[] sampleShape;
        int batchSize = 64;
        boolean dropLast;
        int numThreads = 1;
        boolean shuffle;
        long seed;
        int shuffleBuffer;
        int rank;
        int worldSize = 1;
        boolean dropNulls;
        boolean skipBadFiles;
        boolean checkFinite;
        Transform featureTransform;
        Transform labelTransform;
        BufferAllocator allocator;

        private Builder(String location) {
            this.location = location;
        }

        /**
         * A {@code list<T>} / {@code array<T>} column of a numeric T, every row of the same length n: zero-copy
         * {@code [batch, n]} features (float32 unless {@link #featureDtype} says otherwise).
         */
        public Builder features(String column) {
            this.features = column;
            return this;
        }

        /**
         * Numeric scalar columns (any integer, float, decimal, date, timestamp or boolean column; conversions in the
         * class comment), each decoded into its column of one {@code [batch, k]} feature matrix.
         */
        public Builder featureColumns(String... columns) {
            this.featureColumns = columns.clone();
            return this;
        }

        /**
         * The features' dtype: {@code FLOAT32} (default), {@code FLOAT64}, or {@code INT64} for exact integers,
         * dates and timestamps (then float and non-integral decimal columns are refused at build()).
         */
        public Builder featureDtype(DType dtype) {
            Lane.of(dtype); // fails now for an unsupported dtype
            this.featureDtype = dtype;
            return this;
        }

        /**
         * A binary column (e.g. PNG/JPEG bytes) decoded per row by {@code decoder} into {@code numel(sampleShape)}
         * floats, written straight into the row group's Arrow buffer; features are {@code [batch, *sampleShape]}.
         */
        public Builder bytesFeatures(String column, Function<byte[], float[]> decoder, long... sampleShape) {
            this.bytesColumn = column;
            this.bytesDecoder = decoder;
            this.sampleShape = sampleShape.clone();
            return this;
        }

        /**
         * String, binary or integer columns delivered as the batch field {@code categories}: {@code [batch, c]} int64
         * ids from the {@link #vocabulary} (one id space per column; null and unknown values are 0), for
         * {@code nn.Embedding(vocabulary.size(column), dim)}.
         */
        public Builder categorical(String... columns) {
            this.categorical = columns.clone();
            return this;
        }

        /** The vocabulary of the categorical columns (and of a string label): fitted once, the same on every rank. */
        public Builder vocabulary(Vocabulary vocabulary) {
            this.vocabulary = vocabulary;
            return this;
        }

        /**
         * The label column: integers of any width (signed, unsigned, boolean) as int64 {@code [batch]}, strings as
         * their int64 vocabulary ids (an unknown or null label is an error), floats and decimals as float32.
         */
        public Builder label(String column) {
            this.label = column;
            return this;
        }

        public Builder batchSize(int batchSize) {
            this.batchSize = batchSize;
            return this;
        }

        public Builder dropLast(boolean dropLast) {
            this.dropLast = dropLast;
            return this;
        }

        /** Threads decoding row groups ahead of the consumer. */
        public Builder numThreads(int numThreads) {
            this.numThreads = numThreads;
            return this;
        }

        /** Permute row-group order every epoch (seeded by {@link #seed} and the epoch number). */
        public Builder shuffle(boolean shuffle) {
            this.shuffle = shuffle;
            return this;
        }

        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /** Also shuffle rows within windows of at least {@code rows} rows (needs shuffle; COPIES each window). */
        public Builder shuffleBuffer(int rows) {
            this.shuffleBuffer = rows;
            return this;
        }

        /** Read only rank {@code rank}'s share of row groups out of {@code worldSize}. */
        public Builder shard(int rank, int worldSize) {
            this.rank = rank;
            this.worldSize = worldSize;
            return this;
        }

        /** Drop rows with a null feature, list element or label instead of failing (compacts in place). */
        public Builder dropNulls(boolean dropNulls) {
            this.dropNulls = dropNulls;
            return this;
        }

        /** Skip corrupt or unreadable files/row groups with a warning instead of failing. */
        public Builder skipBadFiles(boolean skipBadFiles) {
            this.skipBadFiles = skipBadFiles;
            return this;
        }

        /** Fail on NaN or ±Inf in feature values (checked while decoding). */
        public Builder checkFinite(boolean checkFinite) {
            this.checkFinite = checkFinite;
            return this;
        }

        /** Applied to each batch's features; a transform returning a new tensor frees its input. */
        public Builder featureTransform(Transform t) {
            this.featureTransform = t;
            return this;
        }

        public Builder labelTransform(Transform t) {
            this.labelTransform = t;
            return this;
        }

        /** Hadoop settings for hdfs:// or s3a://; defaults to {@code ParquetFiles.localConfiguration()}. */
        public Builder configuration(Configuration conf) {
            this.conf = conf;
            return this;
        }

        /** Allocator for the Arrow buffers; defaults to the current scope's allocator at {@link #build()}. */
        public Builder allocator(BufferAllocator allocator) {
            this.allocator = allocator;
            return this;
        }

        /** Lists the files, checks every footer's schema and codecs, shards; fails here rather than mid-epoch. */
        public ParquetDataset build() throws IOException {
            ParquetPlan.validate(this);
            conf = conf == null ? ParquetFiles.localConfiguration() : conf;
            allocator = allocator == null ? TensorScope.currentAllocator() : allocator;
            ParquetPlan plan = ParquetPlan.of(this);
            long total = plan.units().stream().mapToLong(Unit::rows).sum();
            if (total == 0) {
                throw new IllegalArgumentException("Parquet dataset '" + location + "' has no rows ("
                        + plan.units().size() + " row groups)");
            }
            List<Unit> mine = new ArrayList<>();
            for (int i = rank; i < plan.units().size(); i += worldSize) {
                mine.add(plan.units().get(i));
            }
            if (mine.stream().mapToLong(Unit::rows).sum() == 0) {
                throw new IllegalArgumentException("shard rank " + rank + " of worldSize " + worldSize + " has no rows:"
                        + " '" + location + "' has only " + plan.units().size() + " row groups; use fewer workers or "
                        + "write smaller row groups");
            }
            return new ParquetDataset(this, mine, plan.layout());
        }
    }
}

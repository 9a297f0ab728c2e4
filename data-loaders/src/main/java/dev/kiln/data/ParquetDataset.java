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
import org.apache.hadoop.fs.Path;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.schema.MessageType;

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
    private static final System.Logger LOG = System.getLogger(ParquetDataset.class.getName());

    /** One row group of one file: the unit that is read, sharded and shuffled. */
    record Unit(Path file, int rowGroup, long rows) {
    }

    /**
     * The dataset's columns by role, and the names of the batch fields they make.
     *
     * @param features one LIST column, k SCALAR columns, one BYTES column, or none
     * @param categories CATEGORY columns, or none
     * @param label the LABEL column, or null
     */
    record Layout(List<ParquetColumn> features, List<ParquetColumn> categories, ParquetColumn label) {
        List<ParquetColumn> all() {
            List<ParquetColumn> out = new ArrayList<>(features);
            out.addAll(categories);
            if (label != null) {
                out.add(label);
            }
            return out;
        }

        /** The batch's field names, in order. */
        List<String> fieldNames() {
            List<String> out = new ArrayList<>(3);
            if (!features.isEmpty()) {
                out.add("features");
            }
            if (!categories.isEmpty()) {
                out.add("categories");
            }
            if (label != null) {
                out.add("label");
            }
            return out;
        }
    }

    final Builder options;
    final List<Unit> units;
    final Layout layout;
    private int epoch;
    private ParquetEpoch current;

    private ParquetDataset(Builder b, List<Unit> units, Layout layout) {
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
            validate();
            conf = conf == null ? ParquetFiles.localConfiguration() : conf;
            allocator = allocator == null ? TensorScope.currentAllocator() : allocator;
            Layout layout = null;
            List<Unit> all = new ArrayList<>();
            for (Path file : ParquetFiles.expand(location, conf)) {
                Footers.Footer footer = footer(file);
                if (footer != null) {
                    layout = layout == null ? layout(footer) : layout;
                    all.addAll(checked(footer, layout));
                }
            }
            long total = all.stream().mapToLong(Unit::rows).sum();
            if (total == 0) {
                throw new IllegalArgumentException("Parquet dataset '" + location + "' has no rows (" + all.size()
                        + " row groups)");
            }
            List<Unit> mine = new ArrayList<>();
            for (int i = rank; i < all.size(); i += worldSize) {
                mine.add(all.get(i));
            }
            if (mine.stream().mapToLong(Unit::rows).sum() == 0) {
                throw new IllegalArgumentException("shard rank " + rank + " of worldSize " + worldSize + " has no rows:"
                        + " '" + location + "' has only " + all.size() + " row groups; use fewer workers or write "
                        + "smaller row groups");
            }
            return new ParquetDataset(this, mine, layout);
        }

        /** The columns by role; a label's dtype comes from its type in the first file (every file must agree). */
        private Layout layout(Footers.Footer first) {
            Lane lane = Lane.of(featureDtype);
            List<ParquetColumn> feats = new ArrayList<>();
            if (features != null) {
                feats.add(new ParquetColumn(features, ParquetColumn.Kind.LIST, lane));
            } else if (featureColumns != null) {
                for (String c : featureColumns) {
                    feats.add(new ParquetColumn(c, ParquetColumn.Kind.SCALAR, lane));
                }
            } else if (bytesColumn != null) {
                feats.add(new ParquetColumn(bytesColumn, ParquetColumn.Kind.BYTES, Lane.F32));
            }
            List<ParquetColumn> cats = new ArrayList<>();
            for (String c : categorical == null ? new String[0] : categorical) {
                cats.add(new ParquetColumn(c, ParquetColumn.Kind.CATEGORY, Lane.I64));
            }
            ParquetColumn labelColumn = null;
            if (label != null) {
                Lane labelLane = Lane.I64;
                MessageType schema = first.meta().getFileMetaData().getSchema();
                if (schema.containsField(label) && schema.getType(label).isPrimitive()) {
                    labelLane = ParquetColumn.labelLane(ColumnType.of(schema.getType(label).asPrimitiveType()));
                }
                labelColumn = new ParquetColumn(label, ParquetColumn.Kind.LABEL, labelLane);
            }
            return new Layout(feats, cats, labelColumn);
        }

        /** The file's footer, or null if it is unreadable and skipBadFiles is on (else the error names the file). */
        private Footers.Footer footer(Path file) throws IOException {
            try {
                return Footers.read(file, conf);
            } catch (IOException | RuntimeException e) {
                String msg = "cannot read Parquet file " + file + ": " + e.getMessage();
                if (skipBadFiles) {
                    LOG.log(System.Logger.Level.WARNING, msg + " (skipped: skipBadFiles is on)");
                    return null;
                }
                throw new IOException(msg + " (set skipBadFiles(true) to skip bad files)", e);
            }
        }

        /** {@link #footerUnits}, with a footer too broken to check named as a corrupt file (or skipped). */
        private List<Unit> checked(Footers.Footer footer, Layout layout) throws IOException {
            try {
                return footerUnits(footer, layout);
            } catch (ParquetDataException | UnsupportedOperationException e) {
                throw e;
            } catch (RuntimeException e) {
                String msg = "cannot read Parquet file " + footer.file() + ": " + e;
                if (skipBadFiles) {
                    LOG.log(System.Logger.Level.WARNING, msg + " (skipped: skipBadFiles is on)");
                    return List.of();
                }
                throw new IOException(msg + " (set skipBadFiles(true) to skip bad files)", e);
            }
        }

        /**
         * The file's non-empty row groups, after checking its schema and codecs: a schema mismatch or an unavailable
         * codec always fails (never skipped: they are the user's to fix, not corruption).
         */
        private List<Unit> footerUnits(Footers.Footer footer, Layout layout) {
            Path file = footer.file();
            MessageType schema = footer.meta().getFileMetaData().getSchema();
            List<ColumnDescriptor> leaves = new ArrayList<>();
            for (ParquetColumn c : layout.all()) {
                leaves.add(c.check(schema, file.toString(), vocabulary).descriptor());
            }
            List<Unit> out = new ArrayList<>();
            List<BlockMetaData> blocks = footer.meta().getBlocks();
            for (int g = 0; g < blocks.size(); g++) {
                checkChunks(file, g, blocks.get(g), leaves);
                if (blocks.get(g).getRowCount() > 0) {
                    out.add(new Unit(file, g, blocks.get(g).getRowCount()));
                }
            }
            return out;
        }

        /** Codecs must be ones Kiln decompresses, and columns must not be encrypted. */
        private static void checkChunks(Path file, int rowGroup, BlockMetaData block, List<ColumnDescriptor> leaves) {
            for (ColumnChunkMetaData c : block.getColumns()) {
                for (ColumnDescriptor d : leaves) {
                    if (java.util.Arrays.equals(c.getPath().toArray(), d.getPath())) {
                        String where = "column '" + d.getPath()[0] + "' in file " + file + ", row group " + rowGroup;
                        Codecs.check(c.getCodec(), where);
                        if (c.isEncrypted()) {
                            throw new UnsupportedOperationException(where + " is encrypted (Parquet modular "
                                    + "encryption), which Kiln does not read");
                        }
                    }
                }
            }
        }

        private void validate() {
            int kinds = (features != null ? 1 : 0) + (featureColumns != null ? 1 : 0) + (bytesColumn != null ? 1 : 0);
            boolean categories = categorical != null && categorical.length > 0;
            if (kinds > 1 || kinds == 0 && !categories) {
                throw new IllegalArgumentException("choose exactly one of features(list column), featureColumns("
                        + "scalars...) or bytesFeatures(column, decoder, shape), or none with categorical(columns...); "
                        + "got " + kinds);
            }
            if (featureColumns != null && featureColumns.length == 0) {
                throw new IllegalArgumentException("featureColumns needs at least one column name");
            }
            if (categorical != null && categorical.length == 0) {
                throw new IllegalArgumentException("categorical needs at least one column name");
            }
            if (categories && vocabulary == null) {
                throw new IllegalArgumentException("categorical columns need a vocabulary: fit one once with "
                        + "Vocabulary.fit(location, columns...), save it, and pass it to every rank with vocabulary(v)");
            }
            if (bytesColumn != null && featureDtype != DType.FLOAT32) {
                throw new IllegalArgumentException("bytesFeatures decodes to float32; featureDtype must be float32");
            }
            if (batchSize <= 0) {
                throw new IllegalArgumentException("batch_size should be a positive integer value, but got batch_size="
                        + batchSize);
            }
            if (numThreads <= 0) {
                throw new IllegalArgumentException("numThreads must be positive, got " + numThreads);
            }
            if (worldSize <= 0 || rank < 0 || rank >= worldSize) {
                throw new IllegalArgumentException("Invalid rank " + rank + ", rank should be in the interval [0, "
                        + (worldSize - 1) + "] (worldSize " + worldSize + ")");
            }
            if (shuffleBuffer < 0 || (shuffleBuffer > 0 && !shuffle)) {
                throw new IllegalArgumentException("shuffleBuffer(" + shuffleBuffer + ") needs shuffle(true) and a "
                        + "non-negative size");
            }
        }
    }
}

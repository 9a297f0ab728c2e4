package dev.kiln.bench;

import dev.kiln.Kiln;
import dev.kiln.data.Batch;
import dev.kiln.data.FeatureLabelWriter;
import dev.kiln.data.ParquetDataset;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import org.apache.arrow.dataset.file.FileFormat;
import org.apache.arrow.dataset.file.FileSystemDatasetFactory;
import org.apache.arrow.dataset.jni.NativeMemoryPool;
import org.apache.arrow.dataset.scanner.ScanOptions;
import org.apache.arrow.dataset.scanner.Scanner;
import org.apache.arrow.dataset.source.Dataset;
import org.apache.arrow.dataset.source.DatasetFactory;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;

/**
 * Parquet → tensors throughput on an MNIST-shaped file (200k rows × 784 float32 + int32 label, snappy, Spark's
 * layout and 128 MiB row groups, which parquet-mr closes after ~134 MB of encoded data: ONE row group here; a
 * copy with 40 row groups of 5,000 rows is read too), against references measured in the same run on the same (page-cached) file:
 *
 * <ul>
 *   <li><b>raw read</b>: the file's bytes read into a direct buffer ({@code cat > /dev/null}), the ceiling;</li>
 *   <li><b>Spark</b>: {@code local[2]}, rows into Java arrays the way a trainer would read them:
 *       {@code queryExecution().toRdd()}, then per {@code InternalRow} {@code getArray(0).toFloatArray()} and
 *       {@code getInt(1)} (Spark's vectorized scan plus its row conversion; an SQL aggregate would measure Spark's
 *       per-element lambda interpretation instead);</li>
 *   <li><b>DuckDB</b> (2 threads, {@code sum(list_sum(features))}), the fast native reader users know, timed inside
 *       its node process ({@link DuckDb}: one warmed-up query per round, in turn with the JVM readers);</li>
 *   <li><b>Arrow Dataset JNI</b>: arrow-dataset 18.3.0's C++ scanner to Arrow batches, wrapped as tensors, the
 *       alternative reader considered for ParquetDataset.</li>
 * </ul>
 *
 * <p>Then the loader's rows/s is compared with the MNIST MLP's training samples/s measured in the same process
 * (target: the loader at least 5× faster, so training is never input-bound).
 *
 * <p>Each is warmed up once, then timed {@code runs} times alternately; the median is reported. Args:
 * {@code [file] [runs] [name filter]}; the file is written if missing.
 */
public final class ParquetBench {
    static final int ROWS = 200_000;
    static final int N = 784;
    /** Bytes a decoded row holds: 784 float32 + an int32 label. */
    static final long ROW_BYTES = N * 4L + 4;

    private ParquetBench() {
    }

    public static void main(String[] args) throws Exception {
        Path file = Path.of(args.length > 0 ? args[0] : "/tmp/kiln-parquet-bench/mnist200k.parquet");
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        String only = args.length > 2 ? args[2] : ""; // run only readers whose name contains this (for profiling)
        ensureFile(file, Integer.MAX_VALUE);
        Path manyGroups = file.resolveSibling(file.getFileName().toString().replace(".parquet", "-rg5000.parquet"));
        ensureFile(manyGroups, 5000); // 40 row groups of 5,000 rows: row-group parallelism instead of page parallelism
        long fileBytes = Files.size(file);
        System.out.printf("file %s: %d rows x %d floats + label, %.1f MB snappy%n", file, ROWS, N, fileBytes / 1e6);
        SparkSession spark = SparkSession.builder().master("local[2]").appName("ParquetBench")
                .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1").getOrCreate();
        spark.sparkContext().setLogLevel("WARN");
        BufferAllocator alloc = Kiln.rootAllocator().newChildAllocator("bench", 0, Long.MAX_VALUE);
        String[] names = {"raw file read (ceiling)", "Kiln ParquetDataset, 2 threads", "Kiln ParquetDataset, 1 thread",
                "Kiln ParquetDataset, 40 row groups, 2 threads", "Spark 4.1 local[2], rows to float[] (toRdd)",
                "Arrow Dataset JNI scanner", "DuckDB, 2 threads (1 row group)", "DuckDB, 2 threads (40 row groups)"};
        String sum = "SELECT sum(list_sum(features)) FROM read_parquet('{file}')";
        Callable<?>[] ops = {() -> rawRead(file), () -> kiln(file, alloc, 2), () -> kiln(file, alloc, 1),
                () -> kiln(manyGroups, alloc, 2), () -> spark(spark, file), () -> arrowDataset(file, alloc),
                () -> DuckDb.once(file, sum, 2), () -> DuckDb.once(manyGroups, sum, 2)};
        double[][] t = new double[ops.length][runs];
        String[] notes = new String[ops.length];
        for (int round = -1; round < runs; round++) {
            for (int k = 0; k < ops.length; k++) {
                if (notes[k] != null) {
                    continue;
                }
                if (!names[k].contains(only)) {
                    notes[k] = "not run (filter '" + only + "')";
                    continue;
                }
                try {
                    long t0 = System.nanoTime();
                    Object r = ops[k].call();
                    double s = r instanceof DuckDb.Timed d ? d.seconds() : (System.nanoTime() - t0) / 1e9;
                    if (round >= 0) {
                        t[k][round] = s;
                    } else {
                        System.out.printf("  warm-up %-32s %.2f s (result %s)%n", names[k], s, r);
                    }
                } catch (Throwable e) {
                    notes[k] = "unavailable: " + e;
                }
            }
        }
        spark.stop();
        double train = mlpSamplesPerSecond(alloc);
        alloc.close();
        report(names, t, notes, fileBytes);
        if (notes[1] != null) {
            return;
        }
        double loader = ROWS / median(t[1]);
        System.out.printf("%nloader vs training (same run): Kiln ParquetDataset 2 threads %,.0f rows/s; MNIST MLP "
                + "(784-256-128-10, batch 128, Adam) trains at %,.0f samples/s; ratio %.1fx (target >= 5x: the "
                + "loader never makes training input-bound)%n", loader, train, loader / train);
    }

    /** Training samples/s of the MNIST MLP on in-memory tensors (the MlpBench model): 150 warm-up, 300 timed steps. */
    static double mlpSamplesPerSecond(BufferAllocator alloc) {
        int batch = 128;
        int steps = 300;
        try (TensorScope scope = TensorScope.open(alloc)) {
            Tensor x = Tensor.rand(4096, N);
            Tensor y = Tensor.randint(0, 10, 4096);
            try (KilnTrainer mlp = new KilnTrainer(KilnTrainer.mnistMlp(), x, y, batch, batch)) {
                for (int i = 0; i < 150; i++) { // JIT and BLAS warm-up
                    mlp.trainStep();
                }
                long t0 = System.nanoTime();
                for (int i = 0; i < steps; i++) {
                    mlp.trainStep();
                }
                return (double) steps * batch / ((System.nanoTime() - t0) / 1e9);
            }
        }
    }

    private static double median(double[] runs) {
        double[] s = runs.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

    private static void report(String[] names, double[][] t, String[] notes, long fileBytes) {
        System.out.printf("%n| reader | median s/epoch | rows/s | decoded MB/s | file MB/s |%n|---|---:|---:|---:|---:|%n");
        for (int k = 0; k < names.length; k++) {
            if (notes[k] != null) {
                System.out.printf("| %s | %s | | | |%n", names[k], notes[k]);
                continue;
            }
            double[] s = t[k].clone();
            Arrays.sort(s);
            double med = s[s.length / 2];
            System.out.printf("| %s | %.3f | %,.0f | %,.0f | %,.0f |%n", names[k], med, ROWS / med,
                    ROWS * ROW_BYTES / med / 1e6, fileBytes / med / 1e6);
        }
    }

    /** MNIST-like values: ~80% zeros, the rest in (0, 1], so snappy compresses like real images. */
    static void ensureFile(Path file, int rowGroupRows) throws IOException {
        if (Files.exists(file)) {
            return;
        }
        Files.createDirectories(file.getParent());
        Random r = new Random(42);
        long t0 = System.nanoTime();
        try (FeatureLabelWriter w = new FeatureLabelWriter(file.toString(), 128L << 20, rowGroupRows)) {
            float[] x = new float[N];
            for (int i = 0; i < ROWS; i++) {
                for (int j = 0; j < N; j++) {
                    x[j] = r.nextInt(5) == 0 ? (r.nextInt(255) + 1) / 255f : 0f;
                }
                w.write(x, r.nextInt(10));
            }
        }
        System.out.printf("wrote %s in %.1f s%n", file, (System.nanoTime() - t0) / 1e9);
    }

    static long rawRead(Path file) throws IOException {
        ByteBuffer buf = ByteBuffer.allocateDirect(4 << 20);
        long total = 0;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            int n;
            while ((n = ch.read(buf)) >= 0) {
                total += n;
                buf.clear();
            }
        }
        return total;
    }

    /** One epoch of [256, 784] float32 + [256] int64 batches; sums one value per batch so nothing is elided. */
    static long kiln(Path file, BufferAllocator alloc, int threads) throws IOException {
        long rows = 0;
        try (ParquetDataset ds = ParquetDataset.builder(file.toString()).features("features").label("label")
                .batchSize(256).numThreads(threads).allocator(alloc).build()) {
            for (Batch b : ds) {
                try (b) {
                    rows += b.batchSize();
                }
            }
        }
        return check(rows);
    }

    /** Every row into Java arrays through Spark's own scan: {@code toRdd()}, {@code getArray(0).toFloatArray()}. */
    static long spark(SparkSession spark, Path file) {
        JavaRDD<InternalRow> rows = spark.read().parquet(file.toString()).queryExecution().toRdd().toJavaRDD();
        return check(rows.mapPartitions(ParquetBench::toArrays).reduce(Long::sum));
    }

    private static Iterator<Long> toArrays(Iterator<InternalRow> it) {
        long n = 0;
        double sink = 0;
        while (it.hasNext()) {
            InternalRow r = it.next();
            float[] x = r.getArray(0).toFloatArray();
            sink += x[x.length - 1] + r.getInt(1);
            n++;
        }
        return List.of(sink == Double.MAX_VALUE ? -1 : n).iterator();
    }

    /** The C++ scanner to Arrow batches; list<float> wrapped as a [rows, 784] tensor (uniform offsets checked). */
    static long arrowDataset(Path file, BufferAllocator alloc) throws Exception {
        long rows = 0;
        try (DatasetFactory f = new FileSystemDatasetFactory(alloc, NativeMemoryPool.getDefault(), FileFormat.PARQUET,
                file.toUri().toString());
             Dataset ds = f.finish(); Scanner scanner = ds.newScan(new ScanOptions(32768));
             ArrowReader reader = scanner.scanBatches()) {
            while (reader.loadNextBatch()) {
                ListVector list = (ListVector) reader.getVectorSchemaRoot().getVector("features");
                int n = list.getValueCount();
                for (int i = 0; i < n; i++) {
                    if (list.getElementEndIndex(i) - list.getElementStartIndex(i) != N) {
                        throw new IllegalStateException("ragged row " + i);
                    }
                }
                try (TensorScope scope = TensorScope.open(alloc)) {
                    Tensor t = Tensor.fromArrow(list.getDataVector().getDataBuffer(),
                            (long) list.getElementStartIndex(0) * 4, DType.FLOAT32, n, N);
                    rows += t.size(0);
                }
            }
        }
        return check(rows);
    }

    private static long check(long rows) {
        if (rows != ROWS) {
            throw new IllegalStateException("read " + rows + " rows, expected " + ROWS);
        }
        return rows;
    }
}

package dev.kiln.bench;

import dev.kiln.Kiln;
import dev.kiln.data.Batch;
import dev.kiln.data.ParquetDataset;
import dev.kiln.data.Vocabulary;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.unsafe.types.UTF8String;

/**
 * A real-table Parquet read: 3M rows written by Spark 4.1 with its defaults (snappy, dictionary pages, INT64
 * timestamps), columns {@code user_id, item_id} (bigint), {@code ts} (timestamp), {@code city, device} (strings) and
 * {@code label} (int), read into what a trainer consumes, in one process on the same page-cached file:
 *
 * <ul>
 *   <li><b>Kiln</b> {@code ParquetDataset}: {@code featureColumns(user_id, item_id, ts)} as a float32
 *       {@code [256, 3]} matrix, {@code categorical(city, device)} as int64 {@code [256, 2]} vocabulary ids,
 *       {@code label} int64; 1 and 2 threads (the vocabulary is fitted once, timed separately);</li>
 *   <li><b>Spark</b> {@code local[2]}: {@code queryExecution().toRdd()}, each {@code InternalRow}'s getters into
 *       Java arrays: the two longs and the timestamp as floats, the strings looked up in the same vocabulary (a
 *       {@code HashMap<UTF8String, Long>}), the label;</li>
 *   <li><b>DuckDB</b> (2 threads): {@code sum} over every column ({@code length} of the strings), timed inside its
 *       node process ({@link DuckDb}, one warmed-up query per round, in turn with the others): an aggregate, not
 *       rows handed to a JVM.</li>
 * </ul>
 *
 * Each is warmed up once, then timed {@code runs} times alternately (median). Args: {@code [file] [runs]}; the
 * file is written (with Spark) if missing.
 */
public final class MixedParquetBench {
    static final long ROWS = 3_000_000;

    private MixedParquetBench() {
    }

    public static void main(String[] args) throws Exception {
        Path file = Path.of(args.length > 0 ? args[0] : "/tmp/kiln-parquet-bench/mixed3m.parquet");
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        SparkSession spark = SparkSession.builder().master("local[2]").appName("MixedParquetBench")
                .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1").config("spark.sql.session.timeZone", "UTC")
                .getOrCreate();
        spark.sparkContext().setLogLevel("WARN");
        ensureFile(spark, file);
        System.out.printf("file %s: %,d rows, %.1f MB%n", file, ROWS, Files.size(file) / 1e6);
        long t0 = System.nanoTime();
        Vocabulary vocab = Vocabulary.fit(file.toString(), "city", "device");
        System.out.printf("Vocabulary.fit(city, device): %.2f s (%d + %d values), once per data set%n",
                (System.nanoTime() - t0) / 1e9, vocab.size("city") - 1, vocab.size("device") - 1);
        BufferAllocator alloc = Kiln.rootAllocator().newChildAllocator("bench", 0, Long.MAX_VALUE);
        Map<String, Map<UTF8String, Long>> ids = lookup(vocab);
        String[] names = {"Kiln ParquetDataset, 2 threads", "Kiln ParquetDataset, 1 thread",
            "Spark 4.1 local[2], rows to arrays (toRdd)", "DuckDB, 2 threads (aggregate)"};
        String duck = "SELECT sum(user_id) + sum(item_id) + sum(epoch_us(ts)) + sum(length(city)) "
                + "+ sum(length(device)) + sum(label) FROM read_parquet('{file}')";
        Callable<?>[] ops = {() -> kiln(file, vocab, alloc, 2), () -> kiln(file, vocab, alloc, 1),
            () -> spark(spark, file, ids), () -> DuckDb.once(file, duck, 2)};
        double[][] t = new double[ops.length][runs];
        String[] notes = new String[ops.length];
        for (int round = -1; round < runs; round++) {
            for (int k = 0; k < ops.length; k++) {
                if (notes[k] != null) {
                    continue;
                }
                try {
                    long s = System.nanoTime();
                    Object r = ops[k].call();
                    double sec = r instanceof DuckDb.Timed d ? d.seconds() : (System.nanoTime() - s) / 1e9;
                    if (round >= 0) {
                        t[k][round] = sec;
                    } else {
                        System.out.printf("  warm-up %-44s %.2f s (result %s)%n", names[k], sec, r);
                    }
                } catch (Throwable e) {
                    notes[k] = "unavailable: " + e;
                }
            }
        }
        spark.stop();
        alloc.close();
        System.out.printf("%n| reader | median s | rows/s | vs Spark |%n|---|---:|---:|---:|%n");
        double sparkRate = notes[2] == null ? ROWS / median(t[2]) : Double.NaN;
        for (int k = 0; k < ops.length; k++) {
            if (notes[k] != null) {
                System.out.printf("| %s | %s | | |%n", names[k], notes[k]);
                continue;
            }
            double med = median(t[k]);
            System.out.printf("| %s | %.3f | %,.0f | %.2f |%n", names[k], med, ROWS / med, ROWS / med / sparkRate);
        }
    }

    /** Every string of the vocabulary as Spark's UTF8String, for Spark's side of the lookup. */
    private static Map<String, Map<UTF8String, Long>> lookup(Vocabulary vocab) {
        Map<String, Map<UTF8String, Long>> out = new HashMap<>();
        for (String c : List.of("city", "device")) {
            Map<UTF8String, Long> m = new HashMap<>();
            for (long id = 1; id < vocab.size(c); id++) {
                m.put(UTF8String.fromString(vocab.value(c, id)), id);
            }
            out.put(c, m);
        }
        return out;
    }

    static double median(double[] runs) {
        double[] s = runs.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

    /** One epoch of [256, 3] float32 features, [256, 2] int64 categories and [256] int64 labels. */
    static long kiln(Path file, Vocabulary vocab, BufferAllocator alloc, int threads) throws IOException {
        long rows = 0;
        try (ParquetDataset ds = ParquetDataset.builder(file.toString()).featureColumns("user_id", "item_id", "ts")
                .categorical("city", "device").vocabulary(vocab).label("label").batchSize(256).numThreads(threads)
                .allocator(alloc).build()) {
            for (Batch b : ds) {
                try (b) {
                    rows += b.batchSize();
                }
            }
        }
        return check(rows);
    }

    /** Spark's rows into Java arrays of 256 rows, as a trainer feeding tensors would. */
    static long spark(SparkSession spark, Path file, Map<String, Map<UTF8String, Long>> ids) {
        JavaRDD<InternalRow> rows = spark.read().parquet(file.toString()).queryExecution().toRdd().toJavaRDD();
        Rows fn = new Rows(ids.get("city"), ids.get("device"));
        return check(rows.mapPartitions(fn::apply).reduce(Long::sum));
    }

    /** The per-partition loop: columns are user_id, item_id, ts, city, device, label. */
    private record Rows(Map<UTF8String, Long> city, Map<UTF8String, Long> device) implements Serializable {
        Iterator<Long> apply(Iterator<InternalRow> it) {
            float[] features = new float[256 * 3];
            long[] categories = new long[256 * 2];
            long[] labels = new long[256];
            long n = 0;
            int k = 0;
            while (it.hasNext()) {
                InternalRow r = it.next();
                features[3 * k] = r.getLong(0);
                features[3 * k + 1] = r.getLong(1);
                features[3 * k + 2] = (float) (r.getLong(2) / 1e6);
                categories[2 * k] = city.getOrDefault(r.getUTF8String(3), 0L);
                categories[2 * k + 1] = device.getOrDefault(r.getUTF8String(4), 0L);
                labels[k] = r.getInt(5);
                n++;
                k = k == 255 ? 0 : k + 1;
            }
            return List.of(n + (features[0] == Float.MAX_VALUE && categories[0] < 0 && labels[0] < 0 ? 1 : 0))
                    .iterator();
        }
    }

    private static long check(long rows) {
        if (rows != ROWS) {
            throw new IllegalStateException("read " + rows + " rows, expected " + ROWS);
        }
        return rows;
    }

    /** 3M rows: ids with ~1M and 5,000 distinct values, a timestamp per row, 1,000 cities and 37 devices. */
    static void ensureFile(SparkSession spark, Path file) throws IOException {
        if (Files.exists(file)) {
            return;
        }
        Files.createDirectories(file.getParent());
        Path dir = file.resolveSibling(file.getFileName() + ".spark");
        long t0 = System.nanoTime();
        spark.conf().set("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS");
        spark.range(ROWS).selectExpr("id * 7 % 1000003 AS user_id", "id * 31 % 5000 AS item_id",
                        "timestamp_micros(1700000000000000 + id * 1000003) AS ts",
                        "concat('city-', CAST(id * 13 % 1000 AS STRING)) AS city",
                        "concat('device-', CAST(id % 37 AS STRING)) AS device", "CAST(id % 2 AS INT) AS label")
                .coalesce(1).write().mode("overwrite").option("compression", "snappy").parquet(dir.toString());
        try (var files = Files.list(dir)) {
            Path part = files.filter(p -> p.getFileName().toString().endsWith(".parquet")).findFirst().orElseThrow();
            Files.move(part, file);
        }
        System.out.printf("wrote %s with Spark in %.1f s%n", file, (System.nanoTime() - t0) / 1e9);
    }
}

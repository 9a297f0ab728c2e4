package dev.kiln.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.testing.KilnTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Reads Parquet written by Spark itself (not by Kiln): array<float> features and an int label. */
class SparkParquetInteropTest extends KilnTest {
    private static SparkSession spark;
    private static Path tmp;

    @BeforeAll
    static void startSpark() throws IOException {
        tmp = Files.createTempDirectory("kiln-spark-parquet");
        spark = SparkSession.builder().master("local[2]").appName("kiln-parquet-interop")
                .config("spark.ui.enabled", "false")
                .config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.sql.shuffle.partitions", "2")
                .getOrCreate();
    }

    @AfterAll
    static void stopSpark() throws IOException {
        if (spark != null) {
            spark.stop();
        }
        try (var paths = Files.walk(tmp)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private static float[] features(int row, int n) {
        float[] x = new float[n];
        for (int j = 0; j < n; j++) {
            x[j] = (float) Math.sin(row * 0.1 + j) * (row + 1);
        }
        return x;
    }

    /** Writes {@code rows} rows with {@code partitions} part files; returns the table directory. */
    private static String writeWithSpark(String name, int rows, int n, int partitions, boolean containsNull) {
        StructType schema = new StructType()
                .add("features", DataTypes.createArrayType(DataTypes.FloatType, containsNull), false)
                .add("label", DataTypes.IntegerType, false)
                .add("comment", DataTypes.StringType, true);
        List<Row> data = new ArrayList<>();
        for (int i = 0; i < rows; i++) {
            Float[] boxed = new Float[n];
            float[] x = features(i, n);
            for (int j = 0; j < n; j++) {
                boxed[j] = x[j];
            }
            data.add(RowFactory.create(boxed, i, "row " + i));
        }
        String out = tmp.resolve(name).toString();
        spark.createDataFrame(data, schema).repartition(partitions).write().mode("overwrite").parquet(out);
        return out;
    }

    private Map<Integer, float[]> readWithKiln(String location, int n, int threads) throws IOException {
        Map<Integer, float[]> byLabel = new HashMap<>();
        try (ParquetDataset ds = ParquetDataset.builder(location).features("features").label("label").batchSize(16)
                .numThreads(threads).build()) {
            for (Batch b : ds) {
                try (b) {
                    float[] x = b.features().contiguous().toFloatArray();
                    long[] y = b.labels().toLongArray();
                    for (int i = 0; i < y.length; i++) {
                        byLabel.put((int) y[i], java.util.Arrays.copyOfRange(x, i * n, (i + 1) * n));
                    }
                }
            }
        }
        return byLabel;
    }

    @Test
    void readsSparkArrayOfFloatWithNonNullElements() throws IOException {
        String dir = writeWithSpark("required", 100, 12, 2, false);
        Map<Integer, float[]> got = readWithKiln(dir, 12, 2);
        assertEquals(100, got.size());
        for (int i = 0; i < 100; i++) {
            assertArrayEquals(features(i, 12), got.get(i), "row " + i);
        }
    }

    @Test
    void readsSparkArrayOfFloatWithNullableElementsThroughAGlob() throws IOException {
        String dir = writeWithSpark("nullable", 50, 5, 3, true);
        Map<Integer, float[]> got = readWithKiln(dir + "/part-*", 5, 1);
        assertEquals(50, got.size());
        for (int i = 0; i < 50; i++) {
            assertArrayEquals(features(i, 5), got.get(i), "row " + i);
        }
    }
}

package dev.kiln.data;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Writes the Spark-made Parquet fixtures of {@code InteropFixturesTest} (row i's values are {@link FixtureRows}'
 * formulas) with a local Spark 4.1 session, as a user's job would: every type Spark writes, including decimals
 * of all three physical types (precision <= 9: INT32, <= 18: INT64, else FIXED_LEN_BYTE_ARRAY), and
 *
 * <ul>
 *   <li>{@code spark_snappy.parquet}: snappy (Spark's default codec), {@code outputTimestampType=TIMESTAMP_MICROS};</li>
 *   <li>{@code spark_int96_legacy_gzip.parquet}: {@code spark.sql.parquet.outputTimestampType=INT96} (Spark's default),
 *       {@code writeLegacyFormat=true} (every decimal as FIXED_LEN_BYTE_ARRAY, Hive-style lists), gzip.</li>
 * </ul>
 *
 * Run (from the repository root, after {@code ./mvnw -o test-compile -pl data-loaders -am}):
 * <pre>
 * java $SPARK_OPENS -cp data-loaders/target/test-classes:data-loaders/target/classes:$(cat cp.txt) \
 *     dev.kiln.data.GenSparkFixtures data-loaders/src/test/resources/parquet
 * </pre>
 * where cp.txt is the test classpath ({@code mvn dependency:build-classpath -Dmdep.includeScope=test}) and
 * SPARK_OPENS the {@code --add-opens} list of data-loaders' pom.
 */
public final class GenSparkFixtures {
    private GenSparkFixtures() {
    }

    static StructType schema() {
        return new StructType()
                .add("id", DataTypes.IntegerType, false)
                .add("t", DataTypes.ByteType, false)
                .add("s", DataTypes.ShortType, false)
                .add("n", DataTypes.IntegerType, true)
                .add("l", DataTypes.LongType, false)
                .add("f", DataTypes.FloatType, false)
                .add("d", DataTypes.DoubleType, false)
                .add("b", DataTypes.BooleanType, false)
                .add("dec_i", DataTypes.createDecimalType(9, 2), false)
                .add("dec_l", DataTypes.createDecimalType(18, 3), false)
                .add("dec_f", DataTypes.createDecimalType(38, 4), false)
                .add("day", DataTypes.DateType, false)
                .add("ts", DataTypes.TimestampType, false)
                .add("ts_ntz", DataTypes.TimestampNTZType, false)
                .add("str", DataTypes.StringType, true)
                .add("arr_i", DataTypes.createArrayType(DataTypes.IntegerType, false), false)
                .add("arr_d", DataTypes.createArrayType(DataTypes.DoubleType, false), false)
                .add("arr_f", DataTypes.createArrayType(DataTypes.FloatType, true), false)
                .add("bin", DataTypes.BinaryType, false);
    }

    static List<Row> rows() {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < FixtureRows.ROWS; i++) {
            Instant ts = Instant.ofEpochSecond(0, FixtureRows.tsMicros(i) * 1000);
            double[] ai = FixtureRows.array("arr_i", i);
            double[] ad = FixtureRows.array("arr_d", i);
            double[] af = FixtureRows.array("arr_f", i);
            rows.add(RowFactory.create(i, (byte) FixtureRows.exact("t", i), (short) FixtureRows.exact("s", i),
                    FixtureRows.isNull("n", i) ? null : (int) FixtureRows.exact("n", i), FixtureRows.exact("l", i),
                    (float) FixtureRows.value("f", i), FixtureRows.value("d", i), i % 3 == 0,
                    new BigDecimal(java.math.BigInteger.valueOf(i * 1234L - 5000), 2),
                    new BigDecimal(java.math.BigInteger.valueOf(i * 123_456_789L - 7), 3),
                    new BigDecimal(FixtureRows.decF(i), 4),
                    LocalDate.ofEpochDay(FixtureRows.exact("day", i)), ts,
                    LocalDateTime.ofInstant(ts, ZoneOffset.UTC),
                    FixtureRows.isNull("str", i) ? null : FixtureRows.str(i),
                    new Integer[] {(int) ai[0], (int) ai[1], (int) ai[2]}, new Double[] {ad[0], ad[1]},
                    new Float[] {(float) af[0], (float) af[1], (float) af[2], (float) af[3]},
                    new byte[] {(byte) i, 1, 2}));
        }
        return rows;
    }

    public static void main(String[] args) throws IOException {
        Path out = Path.of(args.length > 0 ? args[0] : "data-loaders/src/test/resources/parquet");
        Path tmp = Files.createTempDirectory("kiln-spark-fixtures");
        SparkSession spark = SparkSession.builder().master("local[1]").appName("GenSparkFixtures")
                .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1").config("spark.sql.session.timeZone", "UTC")
                .config("spark.sql.datetime.java8API.enabled", "true")
                .getOrCreate();
        try {
            var df = spark.createDataFrame(rows(), schema()).coalesce(1);
            spark.conf().set("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS");
            df.write().mode("overwrite").parquet(tmp.resolve("default").toString());
            copyPart(tmp.resolve("default"), out.resolve("spark_snappy.parquet"));
            spark.conf().set("spark.sql.parquet.outputTimestampType", "INT96");
            spark.conf().set("spark.sql.parquet.writeLegacyFormat", "true");
            spark.conf().set("spark.sql.parquet.compression.codec", "gzip");
            df.write().mode("overwrite").parquet(tmp.resolve("legacy").toString());
            copyPart(tmp.resolve("legacy"), out.resolve("spark_int96_legacy_gzip.parquet"));
            System.out.println("Spark " + spark.version() + " wrote " + out);
        } finally {
            spark.stop();
        }
    }

    private static void copyPart(Path dir, Path to) throws IOException {
        try (var files = Files.list(dir)) {
            Path part = files.filter(p -> p.getFileName().toString().startsWith("part-")
                    && p.getFileName().toString().endsWith(".parquet")).findFirst().orElseThrow();
            Files.copy(part, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}

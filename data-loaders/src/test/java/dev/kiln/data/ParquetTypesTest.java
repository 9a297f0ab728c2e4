package dev.kiln.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.tensor.DType;
import dev.kiln.testing.KilnTest;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.NanoTime;
import org.apache.parquet.io.api.Binary;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every physical/logical type a numeric feature or a label can have, written by parquet-mr's record writer (V1 and
 * V2 pages, with and without dictionaries, BYTE_STREAM_SPLIT), read as float64, float32 and int64, each value
 * compared with the documented conversion computed independently here.
 */
class ParquetTypesTest extends KilnTest {
    static final int ROWS = 50;
    static final String SCHEMA = """
            message m {
              required int32 i8 (INTEGER(8,true));
              required int32 i16 (INTEGER(16,true));
              required int32 i32;
              required int64 i64;
              required int32 u8 (INTEGER(8,false));
              required int32 u32 (INTEGER(32,false));
              required int64 u64 (INTEGER(64,false));
              required boolean b;
              required int32 dec32 (DECIMAL(9,2));
              required int64 dec64 (DECIMAL(18,4));
              required fixed_len_byte_array(16) dec128 (DECIMAL(38,6));
              required binary decbin (DECIMAL(25,0));
              required int32 day (DATE);
              required int64 ts_ms (TIMESTAMP(MILLIS,true));
              required int64 ts_us (TIMESTAMP(MICROS,true));
              required int64 ts_ns (TIMESTAMP(NANOS,false));
              required int96 ts96;
              required int32 t_ms (TIME(MILLIS,true));
              required int64 t_us (TIME(MICROS,true));
              required float f;
              required double d;
              required fixed_len_byte_array(2) f16 (FLOAT16);
              required binary s (STRING);
            }""";
    /** The exact (int64) columns and the float-only ones. */
    static final String[] EXACT = {"i8", "i16", "i32", "i64", "u8", "u32", "u64", "b", "decbin", "day", "ts_ms",
        "ts_us", "ts_ns", "ts96", "t_ms", "t_us"};
    static final String[] FLOATS = {"dec32", "dec64", "dec128", "f", "d", "f16"};

    @TempDir
    Path dir;

    static BigInteger big128(int i) {
        return BigInteger.valueOf(i - 25).multiply(BigInteger.TEN.pow(20)).add(BigInteger.valueOf(i));
    }

    /** Writes row i of SCHEMA. */
    static void fill(int i, Group g) {
        g.append("i8", i % 256 - 128).append("i16", i * 600 - 15_000).append("i32", i * 7919 - 50_000)
                .append("i64", i * 1_000_000_000_007L - (1L << 50))
                .append("u8", 255 - i).append("u32", (int) (4_000_000_000L - i)).append("u64", i * 1000L + 1)
                .append("b", i % 3 == 0)
                .append("dec32", i * 12_345 - 1000).append("dec64", i * 123_456_789_012L)
                .append("decbin", Binary.fromConstantByteArray(BigInteger.valueOf(i * 99_991L - 7).toByteArray()))
                .append("day", 19_000 + i).append("ts_ms", 1_700_000_000_000L + i * 1_000_003L)
                .append("ts_us", 1_700_000_000_000_000L + i * 123L).append("ts_ns", 1_700_000_000_000_000_000L + i * 7L)
                .append("ts96", new NanoTime(2_460_000 + i, i * 1_000_000_000L + 7))
                .append("t_ms", i * 1000 + 5).append("t_us", i * 1_000_000L + 3)
                .append("f", i * 0.5f - 1).append("d", i * 0.1)
                .append("f16", Binary.fromConstantByteArray(half((i - 25) * 0.5f)))
                .append("s", "s" + i % 4);
        byte[] d128 = big128(i).toByteArray();
        byte[] padded = new byte[16];
        java.util.Arrays.fill(padded, d128[0] < 0 ? (byte) -1 : 0);
        System.arraycopy(d128, 0, padded, 16 - d128.length, d128.length);
        g.add("dec128", Binary.fromConstantByteArray(padded));
    }

    /** Little-endian IEEE half of a value that is exact in half precision. */
    static byte[] half(float v) {
        int bits = Float.floatToIntBits(v);
        int sign = bits >>> 16 & 0x8000;
        int exp = (bits >>> 23 & 0xff) - 127 + 15;
        int mant = bits >>> 13 & 0x3ff;
        int h = v == 0 ? sign : sign | exp << 10 | mant;
        return new byte[] {(byte) h, (byte) (h >>> 8)};
    }

    /** The float64 value of column {@code c} in row i, computed from the definition of each type. */
    static double expected(String c, int i) {
        return switch (c) {
            case "i8" -> i % 256 - 128;
            case "i16" -> i * 600 - 15_000;
            case "i32" -> i * 7919 - 50_000;
            case "i64" -> i * 1_000_000_000_007L - (1L << 50);
            case "u8" -> 255 - i;
            case "u32" -> 4_000_000_000L - i;
            case "u64" -> i * 1000L + 1;
            case "b" -> i % 3 == 0 ? 1 : 0;
            case "dec32" -> new BigDecimal(BigInteger.valueOf(i * 12_345 - 1000), 2).doubleValue();
            case "dec64" -> new BigDecimal(BigInteger.valueOf(i * 123_456_789_012L), 4).doubleValue();
            case "dec128" -> new BigDecimal(big128(i), 6).doubleValue();
            case "decbin" -> i * 99_991L - 7;
            case "day" -> 19_000 + i;
            case "ts_ms" -> (1_700_000_000_000L + i * 1_000_003L) / 1e3;
            case "ts_us" -> (1_700_000_000_000_000L + i * 123L) / 1e6;
            case "ts_ns" -> (1_700_000_000_000_000_000L + i * 7L) / 1e9;
            case "ts96" -> expectedLong("ts96", i) / 1e6;
            case "t_ms" -> (i * 1000 + 5) / 1e3;
            case "t_us" -> (i * 1_000_000L + 3) / 1e6;
            case "f" -> i * 0.5f - 1;
            case "d" -> i * 0.1;
            case "f16" -> (i - 25) * 0.5;
            default -> throw new AssertionError(c);
        };
    }

    /** The int64 value: integers as they are, dates in days, times and timestamps in microseconds. */
    static long expectedLong(String c, int i) {
        return switch (c) {
            case "ts_ms" -> (1_700_000_000_000L + i * 1_000_003L) * 1000;
            case "ts_us" -> 1_700_000_000_000_000L + i * 123L;
            case "ts_ns" -> Math.floorDiv(1_700_000_000_000_000_000L + i * 7L, 1000);
            case "ts96" -> (2_460_000L + i - 2_440_588L) * 86_400_000_000L + (i * 1_000_000_000L + 7) / 1000;
            case "t_ms" -> (i * 1000 + 5) * 1000L;
            case "t_us" -> i * 1_000_000L + 3;
            case "i64" -> i * 1_000_000_000_007L - (1L << 50);
            default -> (long) expected(c, i);
        };
    }

    private List<double[]> read(Path f, DType dtype, String... cols) throws IOException {
        List<double[]> rows = new ArrayList<>();
        try (ParquetDataset ds = ParquetDataset.builder(f.toString()).featureColumns(cols).featureDtype(dtype)
                .batchSize(16).numThreads(2).build()) {
            for (Batch b : ds) {
                try (b) {
                    assertEquals(dtype, b.features().dtype());
                    assertArrayEquals(new long[] {b.batchSize(), cols.length}, b.features().shape());
                    double[] x = dtype == DType.INT64 ? java.util.Arrays.stream(b.features().contiguous().toLongArray())
                            .asDoubleStream().toArray() : b.features().contiguous().to(DType.FLOAT64).toDoubleArray();
                    for (int r = 0; r < b.batchSize(); r++) {
                        rows.add(java.util.Arrays.copyOfRange(x, r * cols.length, (r + 1) * cols.length));
                    }
                }
            }
        }
        return rows;
    }

    @Test
    void everyNumericTypeAsFloat64Float32AndInt64InEveryWriterLayout() throws IOException {
        String[] all = new String[EXACT.length + FLOATS.length];
        System.arraycopy(EXACT, 0, all, 0, EXACT.length);
        System.arraycopy(FLOATS, 0, all, EXACT.length, FLOATS.length);
        int n = 0;
        for (boolean[] layout : new boolean[][] {{true, false, false}, {false, false, false}, {true, true, false},
            {false, true, false}, {false, true, true}}) {
            String label = "dictionary=" + layout[0] + " v2=" + layout[1] + " byteStreamSplit=" + layout[2];
            Path f = ParquetTestFiles.write(dir.resolve("t" + n++ + ".parquet"), SCHEMA, ROWS, 30, layout[0],
                    layout[1], layout[2], ParquetTypesTest::fill);
            List<double[]> f64 = read(f, DType.FLOAT64, all);
            List<double[]> f32 = read(f, DType.FLOAT32, all);
            List<double[]> i64 = read(f, DType.INT64, EXACT);
            assertEquals(ROWS, f64.size());
            for (int i = 0; i < ROWS; i++) {
                for (int j = 0; j < all.length; j++) {
                    String at = label + ": column " + all[j] + " row " + i;
                    assertEquals(expected(all[j], i), f64.get(i)[j], 0, at);
                    assertEquals((float) expected(all[j], i), (float) f32.get(i)[j], Math.ulp((float) expected(all[j], i)),
                            at + " (float32)");
                }
                for (int j = 0; j < EXACT.length; j++) {
                    assertEquals((double) expectedLong(EXACT[j], i), i64.get(i)[j], 0, label + ": " + EXACT[j] + " int64");
                }
            }
        }
    }

    @Test
    void int64RefusesInexactTypesAtBuild() throws IOException {
        Path f = ParquetTestFiles.write(dir.resolve("t.parquet"), SCHEMA, 5, 5, ParquetTypesTest::fill);
        for (String c : FLOATS) {
            var e = assertThrows(IllegalArgumentException.class, () -> ParquetDataset.builder(f.toString())
                    .featureColumns("i32", c).featureDtype(DType.INT64).build());
            assertTrue(e.getMessage().contains("column '" + c + "'") && e.getMessage().contains("exactly as int64"),
                    e.getMessage());
        }
        var s = assertThrows(IllegalArgumentException.class, () -> ParquetDataset.builder(f.toString())
                .featureColumns("s").build());
        assertTrue(s.getMessage().contains("has type string") && s.getMessage().contains("categorical()"),
                s.getMessage());
    }

    @Test
    void unsigned64AboveInt64MaxIsAFloatOrAnError() throws IOException {
        String schema = "message m { required int64 u (INTEGER(64,false)); }";
        Path f = ParquetTestFiles.write(dir.resolve("u.parquet"), schema, 3, 3, (i, g) -> g.append("u", -1L - i));
        List<double[]> x = read(f, DType.FLOAT64, "u");
        assertEquals(18446744073709551615.0, x.get(0)[0], 0);
        try (ParquetDataset ds = ParquetDataset.builder(f.toString()).featureColumns("u").featureDtype(DType.INT64)
                .build()) {
            var e = assertThrows(IllegalArgumentException.class, () -> ds.iterator().next().close());
            assertTrue(e.getMessage().contains("unsigned value 18446744073709551615 does not fit int64"), e.getMessage());
        }
    }

    /** Labels: integers of any width as int64, floats and decimals as float32, booleans as 0/1. */
    @Test
    void labelsOfEveryIntegerAndFloatType() throws IOException {
        Path f = ParquetTestFiles.write(dir.resolve("l.parquet"), SCHEMA, ROWS, 20, ParquetTypesTest::fill);
        for (String c : new String[] {"i8", "i16", "i32", "i64", "u8", "u32", "u64", "b", "decbin", "dec32", "f", "d"}) {
            boolean floating = List.of("dec32", "f", "d").contains(c);
            List<Double> got = new ArrayList<>();
            try (ParquetDataset ds = ParquetDataset.builder(f.toString()).featureColumns("f").label(c).batchSize(16)
                    .build()) {
                for (Batch b : ds) {
                    try (b) {
                        assertEquals(floating ? DType.FLOAT32 : DType.INT64, b.labels().dtype(), c);
                        for (double v : b.labels().to(DType.FLOAT64).toDoubleArray()) {
                            got.add(v);
                        }
                    }
                }
            }
            for (int i = 0; i < ROWS; i++) {
                double want = floating ? (float) expected(c, i) : expectedLong(c, i);
                assertEquals(want, got.get(i), 0, "label " + c + " row " + i);
            }
        }
    }

    /** A table of ids, timestamps and strings: numeric features, categories and a string label in one batch. */
    @Test
    void mixedTableGivesFeaturesCategoriesAndLabel() throws IOException {
        Path f = ParquetTestFiles.write(dir.resolve("m.parquet"), SCHEMA, ROWS, 20, ParquetTypesTest::fill);
        Vocabulary v = Vocabulary.fit(f.toString(), "s", "u8");
        IntFunction<String> s = i -> "s" + i % 4;
        int row = 0;
        try (ParquetDataset ds = ParquetDataset.builder(f.toString()).featureColumns("i64", "ts_us", "day")
                .categorical("u8", "s").label("s").vocabulary(v).batchSize(16).numThreads(2).build()) {
            for (Batch b : ds) {
                try (b) {
                    assertEquals(List.of("features", "categories", "label"), b.names());
                    long[] cats = b.get("categories").contiguous().toLongArray();
                    long[] labels = b.labels().toLongArray();
                    float[] x = b.features().contiguous().toFloatArray();
                    for (int k = 0; k < labels.length; k++, row++) {
                        assertEquals((float) expected("ts_us", row), x[3 * k + 1]);
                        assertEquals(String.valueOf(255 - row), v.value("u8", cats[2 * k]));
                        assertEquals(s.apply(row), v.value("s", cats[2 * k + 1]));
                        assertEquals(cats[2 * k + 1], labels[k], "a string label has its vocabulary id");
                    }
                }
            }
        }
        assertEquals(ROWS, row);
    }
}

package dev.kiln.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.tensor.DType;
import dev.kiln.testing.KilnTest;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;
import org.apache.parquet.column.Encoding;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A test per encoding and per codec: files written page by page by parquet-mr's own encoders
 * ({@link RawParquetWriter}) in every encoding the spec defines for each physical type, data pages V1 and V2,
 * with nulls (every 11th row) and pages of 7 rows, read back through {@link ParquetDataset} and compared value
 * by value with what was written.
 */
class ParquetEncodingsTest extends KilnTest {
    private static final int ROWS = 60;
    private static final List<Encoding> DICT = List.of(Encoding.RLE_DICTIONARY, Encoding.PLAIN_DICTIONARY);

    @TempDir
    Path dir;

    /** A physical/logical type, what is written for row i, what float64 (or int64) it reads as, and its encodings. */
    private record Case(String name, String type, IntFunction<Object> written, IntFunction<Number> expected,
                        DType dtype, List<Encoding> encodings) {
    }

    private static boolean isNull(int i) {
        return i % 11 == 5;
    }

    private static long micros(int i) {
        return 1_700_000_000_000_000L + i * 1_234_567_891L - (i == 7 ? 3_000_000_000_000_000L : 0);
    }

    /** An INT96 timestamp: nanoseconds of the day (8 bytes LE), then the Julian day (4 bytes LE). */
    static byte[] int96(long micros) {
        long days = Math.floorDiv(micros, 86_400_000_000L);
        long nanos = Math.floorMod(micros, 86_400_000_000L) * 1000;
        return ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putLong(nanos).putInt((int) (days + 2_440_588))
                .array();
    }

    /** A big-endian two's-complement integer in exactly {@code len} bytes (sign-extended). */
    static byte[] bigEndian(long v, int len) {
        byte[] b = new byte[len];
        for (int k = len - 1; k >= 0; k--, v >>= 8) {
            b[k] = (byte) v;
        }
        return b;
    }

    private static List<Case> cases() {
        List<Encoding> ints = List.of(Encoding.PLAIN, Encoding.RLE_DICTIONARY, Encoding.PLAIN_DICTIONARY,
                Encoding.DELTA_BINARY_PACKED, Encoding.BYTE_STREAM_SPLIT);
        List<Encoding> floats = List.of(Encoding.PLAIN, Encoding.RLE_DICTIONARY, Encoding.PLAIN_DICTIONARY,
                Encoding.BYTE_STREAM_SPLIT);
        IntFunction<Integer> i32 = i -> i == 3 ? Integer.MAX_VALUE : i == 4 ? Integer.MIN_VALUE : i * 7919 - 50_000;
        IntFunction<Long> i64 = i -> i == 3 ? Long.MAX_VALUE : i == 4 ? Long.MIN_VALUE : i * 1_000_000_007L - (1L << 40);
        return List.of(
                new Case("int32", "int32 x", i32::apply, i -> (long) i32.apply(i), DType.INT64, ints),
                new Case("int64", "int64 x", i64::apply, i64::apply, DType.INT64, ints),
                new Case("float", "float x", i -> i * 0.25f - 3, i -> (double) (i * 0.25f - 3), DType.FLOAT64, floats),
                new Case("double", "double x", i -> i * 1e-3 - 7.5, i -> i * 1e-3 - 7.5, DType.FLOAT64, floats),
                new Case("boolean", "boolean x", i -> i % 3 == 0, i -> i % 3 == 0 ? 1L : 0L, DType.INT64,
                        List.of(Encoding.PLAIN, Encoding.RLE)),
                new Case("int96", "int96 x", i -> int96(micros(i)), ParquetEncodingsTest::micros, DType.INT64,
                        List.of(Encoding.PLAIN, Encoding.RLE_DICTIONARY)),
                new Case("decimal fixed", "fixed_len_byte_array(9) x (DECIMAL(20,2))",
                        i -> bigEndian(i * 12_345L - 99_999, 9), i -> (i * 12_345L - 99_999) / 100.0, DType.FLOAT64,
                        List.of(Encoding.PLAIN, Encoding.RLE_DICTIONARY, Encoding.DELTA_BYTE_ARRAY,
                                Encoding.BYTE_STREAM_SPLIT)),
                new Case("decimal binary", "binary x (DECIMAL(30,3))",
                        i -> BigInteger.valueOf(i * 987_654_321L - 5).shiftLeft(i % 2 * 40).toByteArray(),
                        i -> new java.math.BigDecimal(BigInteger.valueOf(i * 987_654_321L - 5).shiftLeft(i % 2 * 40), 3).doubleValue(),
                        DType.FLOAT64, List.of(Encoding.PLAIN, Encoding.RLE_DICTIONARY, Encoding.DELTA_LENGTH_BYTE_ARRAY,
                                Encoding.DELTA_BYTE_ARRAY)));
    }

    private static Object[] column(IntFunction<Object> f) {
        Object[] out = new Object[ROWS];
        for (int i = 0; i < ROWS; i++) {
            out[i] = isNull(i) ? null : f.apply(i);
        }
        return out;
    }

    @Test
    void everyEncodingOfEveryPhysicalTypeV1AndV2() throws IOException {
        int files = 0;
        for (Case c : cases()) {
            for (Encoding e : c.encodings()) {
                for (boolean v2 : new boolean[] {false, true}) {
                    if (v2 && e == Encoding.PLAIN_DICTIONARY) {
                        continue; // PLAIN_DICTIONARY is the V1 name of RLE_DICTIONARY
                    }
                    String label = c.name() + " " + e + (v2 ? " V2" : " V1");
                    Path f = RawParquetWriter.write(dir.resolve("f" + files++ + ".parquet"),
                            "message m { optional " + c.type() + "; }", "x", column(c.written()),
                            RawParquetWriter.Spec.of(e).v2(v2));
                    var footer = Footers.read(new org.apache.hadoop.fs.Path(f.toUri()), ParquetFiles.localConfiguration());
                    assertTrue(footer.meta().getBlocks().get(0).getColumns().get(0).getEncodings().contains(e),
                            label + ": the file really uses " + e);
                    List<Number> got = readScalar(f, c.dtype());
                    List<Number> want = new ArrayList<>();
                    for (int i = 0; i < ROWS; i++) {
                        if (!isNull(i)) {
                            want.add(c.expected().apply(i));
                        }
                    }
                    assertEquals(want, got, label);
                }
            }
        }
        assertEquals(56, files, "every (type, encoding, page version) was written");
    }

    /** featureColumns("x") with dropNulls, as float64 or int64, in row order (2 threads decode pages in parallel). */
    private List<Number> readScalar(Path f, DType dtype) throws IOException {
        List<Number> out = new ArrayList<>();
        try (ParquetDataset ds = ParquetDataset.builder(f.toString()).featureColumns("x").featureDtype(dtype)
                .dropNulls(true).batchSize(16).numThreads(2).build()) {
            for (Batch b : ds) {
                try (b) {
                    assertEquals(dtype, b.features().dtype());
                    if (dtype == DType.INT64) {
                        for (long v : b.features().contiguous().toLongArray()) {
                            out.add(v);
                        }
                    } else {
                        for (double v : b.features().contiguous().toDoubleArray()) {
                            out.add(v);
                        }
                    }
                }
            }
        }
        return out;
    }

    /** Strings in every encoding BYTE_ARRAY has, as category ids; a null is id 0. */
    @Test
    void everyStringEncodingAsCategories() throws IOException {
        IntFunction<Object> s = i -> ("category-" + (i % 13) + (i % 5 == 0 ? "-with-a-longer-suffix" : ""))
                .getBytes(StandardCharsets.UTF_8);
        int n = 0;
        for (Encoding e : List.of(Encoding.PLAIN, Encoding.RLE_DICTIONARY, Encoding.DELTA_LENGTH_BYTE_ARRAY,
                Encoding.DELTA_BYTE_ARRAY)) {
            for (boolean v2 : new boolean[] {false, true}) {
                Path f = RawParquetWriter.write(dir.resolve("s" + n++ + ".parquet"),
                        "message m { optional binary x (STRING); }", "x", column(s), RawParquetWriter.Spec.of(e).v2(v2));
                Vocabulary v = Vocabulary.fit(f.toString(), "x");
                int row = 0;
                try (ParquetDataset ds = ParquetDataset.builder(f.toString()).categorical("x").vocabulary(v)
                        .batchSize(16).numThreads(2).build()) {
                    for (Batch b : ds) {
                        try (b) {
                            assertArrayEquals(new long[] {b.batchSize(), 1}, b.get("categories").shape());
                            for (long id : b.get("categories").contiguous().toLongArray()) {
                                String want = isNull(row) ? null : new String((byte[]) s.apply(row), StandardCharsets.UTF_8);
                                assertEquals(want, v.value("x", id), e + " V2=" + v2 + " row " + row);
                                row++;
                            }
                        }
                    }
                }
                assertEquals(ROWS, row);
            }
        }
    }

    /** list<T> of every numeric T, uniform (parallel path) and with null rows dropped (sequential path). */
    @Test
    void listsOfEveryNumericTypeInTheirEncodings() throws IOException {
        record ListCase(String element, IntFunction<Object> value, Encoding encoding) {
        }
        List<ListCase> cases = List.of(
                new ListCase("int32", i -> i * 3 - 40, Encoding.DELTA_BINARY_PACKED),
                new ListCase("int32", i -> i * 3 - 40, Encoding.RLE_DICTIONARY),
                new ListCase("int64", i -> (long) i * 1_000_003 - 7, Encoding.BYTE_STREAM_SPLIT),
                new ListCase("int64", i -> (long) i * 1_000_003 - 7, Encoding.DELTA_BINARY_PACKED),
                new ListCase("double", i -> i / 8.0, Encoding.BYTE_STREAM_SPLIT),
                new ListCase("double", i -> i / 8.0, Encoding.PLAIN),
                new ListCase("float", i -> i / 4f, Encoding.BYTE_STREAM_SPLIT),
                new ListCase("float", i -> i / 4f, Encoding.RLE_DICTIONARY),
                new ListCase("float", i -> i / 4f, Encoding.PLAIN),
                new ListCase("boolean", i -> i % 2 == 0, Encoding.RLE));
        int n = 0;
        for (ListCase c : cases) {
            for (boolean v2 : new boolean[] {false, true}) {
                for (boolean withNulls : new boolean[] {false, true}) {
                    Object[] rows = new Object[ROWS];
                    for (int i = 0; i < ROWS; i++) {
                        rows[i] = withNulls && isNull(i) ? null
                                : new Object[] {c.value().apply(3 * i), c.value().apply(3 * i + 1), c.value().apply(3 * i + 2)};
                    }
                    String schema = "message m { optional group x (LIST) { repeated group list { required " + c.element()
                            + " element; } } }";
                    Path f = RawParquetWriter.write(dir.resolve("l" + n++ + ".parquet"), schema, "x", rows,
                            RawParquetWriter.Spec.of(c.encoding()).v2(v2));
                    List<Double> got = new ArrayList<>();
                    try (ParquetDataset ds = ParquetDataset.builder(f.toString()).features("x")
                            .featureDtype(DType.FLOAT64).dropNulls(withNulls).batchSize(16).numThreads(2).build()) {
                        for (Batch b : ds) {
                            try (b) {
                                assertEquals(3, b.features().size(1));
                                for (double v : b.features().contiguous().toDoubleArray()) {
                                    got.add(v);
                                }
                            }
                        }
                    }
                    List<Double> want = new ArrayList<>();
                    for (int i = 0; i < ROWS; i++) {
                        for (int j = 0; j < 3 && rows[i] != null; j++) {
                            Object v = c.value().apply(3 * i + j);
                            want.add(v instanceof Boolean bool ? (bool ? 1.0 : 0.0) : ((Number) v).doubleValue());
                        }
                    }
                    assertEquals(want, got, c + " V2=" + v2 + " nulls=" + withNulls);
                }
            }
        }
    }

    /** Every codec a writer uses by default somewhere, V1 and V2, PLAIN and dictionary pages. */
    @Test
    void everyCodec() throws IOException {
        String schema = "message m { optional group f (LIST) { repeated group list { required float element; } }"
                + " optional binary s (STRING); }";
        Map<String, Object[]> cols = new LinkedHashMap<>();
        Object[] lists = new Object[ROWS];
        Object[] strings = new Object[ROWS];
        for (int i = 0; i < ROWS; i++) {
            lists[i] = new Object[] {i + 0.5f, -i * 2f, i % 4 * 1f, 7f};
            strings[i] = ("v" + i % 6).getBytes(StandardCharsets.UTF_8);
        }
        cols.put("f", lists);
        cols.put("s", strings);
        int n = 0;
        for (CompressionCodecName codec : List.of(CompressionCodecName.UNCOMPRESSED, CompressionCodecName.SNAPPY,
                CompressionCodecName.GZIP, CompressionCodecName.ZSTD, CompressionCodecName.LZ4_RAW,
                CompressionCodecName.LZ4)) {
            for (Encoding e : List.of(Encoding.PLAIN, Encoding.RLE_DICTIONARY)) {
                for (boolean v2 : new boolean[] {false, true}) {
                    Path f = RawParquetWriter.write(dir.resolve("c" + n++ + ".parquet"), schema, cols,
                            RawParquetWriter.Spec.of(e).v2(v2).codec(codec));
                    Vocabulary vocab = Vocabulary.fit(f.toString(), "s");
                    int row = 0;
                    try (ParquetDataset ds = ParquetDataset.builder(f.toString()).features("f").categorical("s")
                            .vocabulary(vocab).batchSize(25).numThreads(2).build()) {
                        for (Batch b : ds) {
                            try (b) {
                                float[] x = b.features().contiguous().toFloatArray();
                                long[] s = b.get("categories").contiguous().toLongArray();
                                for (int k = 0; k < s.length; k++, row++) {
                                    String label = codec + " " + e + " V2=" + v2 + " row " + row;
                                    assertArrayEquals(new float[] {row + 0.5f, -row * 2f, row % 4, 7f},
                                            java.util.Arrays.copyOfRange(x, 4 * k, 4 * k + 4), label);
                                    assertEquals("v" + row % 6, vocab.value("s", s[k]), label);
                                }
                            }
                        }
                    }
                    assertEquals(ROWS, row);
                }
            }
        }
    }

    /** BROTLI and LZO: "codec not available" at build(), also under skipBadFiles (it is not a corrupt file). */
    @Test
    void unavailableCodecsFailAtBuildEvenWithSkipBadFiles() throws IOException {
        for (CompressionCodecName codec : List.of(CompressionCodecName.BROTLI, CompressionCodecName.LZO)) {
            Object[] x = new Object[ROWS];
            for (int i = 0; i < ROWS; i++) {
                x[i] = (long) i;
            }
            Path f = RawParquetWriter.write(dir.resolve(codec + ".parquet"), "message m { required int64 x; }", "x", x,
                    RawParquetWriter.Spec.of(Encoding.PLAIN).codec(codec));
            for (boolean skip : new boolean[] {false, true}) {
                var e = assertThrows(UnsupportedOperationException.class, () -> ParquetDataset.builder(f.toString())
                        .featureColumns("x").skipBadFiles(skip).build());
                assertTrue(e.getMessage().contains("codec not available") && e.getMessage().contains(codec.name())
                        && e.getMessage().contains("column 'x'") && e.getMessage().contains(f.toString()),
                        e.getMessage());
            }
        }
    }
}

package dev.kiln.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.tensor.DType;
import dev.kiln.testing.KilnTest;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.parquet.column.Encoding;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.junit.jupiter.api.Test;

/**
 * Files written by other tools, checked in under {@code src/test/resources/parquet} with the scripts that made them
 * ({@link GenSparkFixtures}: Spark 4.1, default and INT96/legacy/gzip; {@code src/test/node/gen_duckdb_fixtures.mjs}:
 * DuckDB, zstd V1 and snappy V2 pages with DELTA and BYTE_STREAM_SPLIT encodings). Every column is read as
 * ParquetDataset would deliver it and compared with {@link FixtureRows}' formulas.
 */
class InteropFixturesTest extends KilnTest {
    private static final List<String> SPARK = List.of("spark_snappy.parquet", "spark_int96_legacy_gzip.parquet");
    private static final List<String> DUCKDB = List.of("duckdb_zstd_v1.parquet", "duckdb_snappy_v2.parquet");

    static Path fixture(String name) {
        try {
            return Path.of(InteropFixturesTest.class.getResource("/parquet/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<String> exactColumns(String file) {
        return file.startsWith("spark") ? List.of("id", "t", "s", "l", "b", "day", "ts", "ts_ntz")
                : List.of("id", "t", "s", "l", "ut", "uu", "ub", "b", "day", "ts", "ts_tz", "ts_ms", "ts_ns");
    }

    private static final List<String> FLOATS = List.of("f", "d", "dec_i", "dec_l", "dec_f");

    /** Rows as {id, values...}: the label column {@code id} says which row each is. */
    private static List<double[]> read(Path f, DType dtype, boolean dropNulls, List<String> cols) throws IOException {
        List<double[]> out = new ArrayList<>();
        try (ParquetDataset ds = ParquetDataset.builder(f.toString()).featureColumns(cols.toArray(String[]::new))
                .featureDtype(dtype).label("id").dropNulls(dropNulls).batchSize(16).numThreads(2).build()) {
            for (Batch b : ds) {
                try (b) {
                    long[] ids = b.labels().toLongArray();
                    double[] x = dtype == DType.INT64 ? java.util.Arrays.stream(b.features().contiguous()
                            .toLongArray()).asDoubleStream().toArray() : b.features().contiguous().toDoubleArray();
                    for (int r = 0; r < ids.length; r++) {
                        double[] row = new double[cols.size() + 1];
                        row[0] = ids[r];
                        System.arraycopy(x, r * cols.size(), row, 1, cols.size());
                        out.add(row);
                    }
                }
            }
        }
        return out;
    }

    @Test
    void everyNumericColumnOfSparkAndDuckDbFiles() throws IOException {
        for (String name : concat(SPARK, DUCKDB)) {
            Path f = fixture(name);
            List<String> exact = exactColumns(name);
            List<double[]> ints = read(f, DType.INT64, false, exact);
            List<String> all = concat(exact, FLOATS);
            List<double[]> doubles = read(f, DType.FLOAT64, false, all);
            assertEquals(FixtureRows.ROWS, ints.size(), name);
            for (int k = 0; k < FixtureRows.ROWS; k++) {
                int i = (int) ints.get(k)[0];
                for (int j = 0; j < exact.size(); j++) {
                    assertEquals(FixtureRows.exact(exact.get(j), i), (long) ints.get(k)[j + 1],
                            name + " " + exact.get(j) + " row " + i + " (int64)");
                }
                for (int j = 0; j < all.size(); j++) {
                    assertEquals(FixtureRows.value(all.get(j), i), doubles.get(k)[j + 1], 0,
                            name + " " + all.get(j) + " row " + i + " (float64)");
                }
            }
        }
    }

    @Test
    void nullsAreDroppedAndNullCategoriesAreZero() throws IOException {
        for (String name : concat(SPARK, DUCKDB)) {
            Path f = fixture(name);
            List<double[]> n = read(f, DType.FLOAT64, true, List.of("n"));
            assertEquals(FixtureRows.ROWS - 4, n.size(), name + ": rows 4, 13, 22 and 31 of n are null");
            for (double[] row : n) {
                assertEquals(FixtureRows.value("n", (int) row[0]), row[1], 0, name + " n row " + row[0]);
            }
            Vocabulary v = Vocabulary.fit(f.toString(), "str");
            assertEquals(6, v.size("str"), name + ": cat0..cat4 and the unknown/null id");
            try (ParquetDataset ds = ParquetDataset.builder(f.toString()).categorical("str").label("id").vocabulary(v)
                    .batchSize(16).build()) {
                for (Batch b : ds) {
                    try (b) {
                        long[] ids = b.labels().toLongArray();
                        long[] cats = b.get("categories").toLongArray();
                        for (int k = 0; k < ids.length; k++) {
                            int i = (int) ids[k];
                            assertEquals(FixtureRows.isNull("str", i) ? null : FixtureRows.str(i), v.value("str", cats[k]),
                                    name + " str row " + i);
                        }
                    }
                }
            }
        }
    }

    @Test
    void arraysOfIntDoubleAndFloat() throws IOException {
        for (String name : concat(SPARK, DUCKDB)) {
            for (String col : List.of("arr_i", "arr_d", "arr_f")) {
                try (ParquetDataset ds = ParquetDataset.builder(fixture(name).toString()).features(col)
                        .featureDtype(DType.FLOAT64).label("id").batchSize(16).numThreads(2).build()) {
                    int rows = 0;
                    for (Batch b : ds) {
                        try (b) {
                            long[] ids = b.labels().toLongArray();
                            int n = (int) b.features().size(1);
                            double[] x = b.features().contiguous().toDoubleArray();
                            for (int k = 0; k < ids.length; k++, rows++) {
                                assertArrayEquals(FixtureRows.array(col, (int) ids[k]),
                                        java.util.Arrays.copyOfRange(x, k * n, (k + 1) * n), name + " " + col + " row "
                                                + ids[k]);
                            }
                        }
                    }
                    assertEquals(FixtureRows.ROWS, rows);
                }
            }
        }
    }

    /** The fixtures hold what they claim: the physical types, encodings and codecs the tests above cover. */
    @Test
    void fixturesUseTheLayoutsTheyStandFor() throws IOException {
        assertEquals(PrimitiveTypeName.INT32, physical("spark_snappy.parquet", "dec_i"));
        assertEquals(PrimitiveTypeName.INT64, physical("spark_snappy.parquet", "dec_l"));
        assertEquals(PrimitiveTypeName.FIXED_LEN_BYTE_ARRAY, physical("spark_snappy.parquet", "dec_f"));
        assertEquals(PrimitiveTypeName.INT64, physical("spark_snappy.parquet", "ts"));
        assertEquals(PrimitiveTypeName.INT96, physical("spark_int96_legacy_gzip.parquet", "ts"));
        assertEquals(PrimitiveTypeName.FIXED_LEN_BYTE_ARRAY, physical("spark_int96_legacy_gzip.parquet", "dec_i"));
        assertEquals("GZIP", chunk("spark_int96_legacy_gzip.parquet", "ts").getCodec().name());
        assertEquals("ZSTD", chunk("duckdb_zstd_v1.parquet", "ts").getCodec().name());
        Set<Encoding> v2 = List.of("id", "f", "arr_d").stream()
                .flatMap(c -> {
                    try {
                        return chunk("duckdb_snappy_v2.parquet", c).getEncodings().stream();
                    } catch (IOException e) {
                        throw new IllegalStateException(e);
                    }
                }).collect(Collectors.toSet());
        assertTrue(v2.containsAll(List.of(Encoding.DELTA_BINARY_PACKED, Encoding.BYTE_STREAM_SPLIT)), v2.toString());
    }

    private static ColumnChunkMetaData chunk(String file, String column) throws IOException {
        Footers.Footer f = Footers.read(new org.apache.hadoop.fs.Path(fixture(file).toUri()),
                ParquetFiles.localConfiguration());
        return f.meta().getBlocks().get(0).getColumns().stream()
                .filter(c -> c.getPath().toArray()[0].equals(column)).findFirst().orElseThrow();
    }

    private static PrimitiveTypeName physical(String file, String column) throws IOException {
        return chunk(file, column).getPrimitiveType().getPrimitiveTypeName();
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }
}

package dev.kiln.data;

import static dev.kiln.data.ParquetTestFiles.NULLABLE_SCHEMA;
import static dev.kiln.data.ParquetTestFiles.list;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.testing.KilnTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each misuse or bad file gets a clear error naming what is wrong, and leaks nothing (KilnTest). */
class ParquetBadInputTest extends KilnTest {
    @TempDir
    Path dir;

    private ParquetDataset.Builder reader(Path p) {
        return ParquetDataset.builder(p.toString()).features("features").label("label").batchSize(4);
    }

    /** Drains one epoch, closing every batch; returns the rows read. */
    private static long drain(ParquetDataset ds) {
        long rows = 0;
        for (Batch b : ds) {
            try (b) {
                rows += b.batchSize();
            }
        }
        return rows;
    }

    private static void assertMentions(Throwable e, String... parts) {
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "message should mention '" + p + "': " + e.getMessage());
        }
    }

    /** Rows 0..rows-1 with n features each; row {@code bad} gets {@code badFeatures} instead. */
    private Path nullable(String name, int rows, int rowGroupRows, int bad, float[] badFeatures, Integer badLabel)
            throws IOException {
        return ParquetTestFiles.write(dir.resolve(name), NULLABLE_SCHEMA, rows, rowGroupRows, (i, g) -> {
            if (i != bad) {
                list(g, "features", i, i + 1, i + 2);
                g.append("label", i);
            } else {
                if (badFeatures != null) {
                    list(g, "features", badFeatures);
                }
                if (badLabel != null) {
                    g.append("label", badLabel);
                }
            }
        });
    }

    @Test
    void missingColumnListsTheColumnsThatExist() throws IOException {
        Path f = ParquetTestFiles.features(dir.resolve("a.parquet"), 0, 4, 2, 4);
        var e = assertThrows(IllegalArgumentException.class,
                () -> ParquetDataset.builder(f.toString()).features("pixels").label("label").build());
        assertMentions(e, "column 'pixels' not found", "a.parquet", "features: list<float>", "label: int32");
    }

    @Test
    void wrongColumnTypeNamesExpectedAndFound() throws IOException {
        String schema = "message m { optional group features (LIST) { repeated group list { required binary element"
                + " (STRING); } } required int32 label; }";
        Path f = ParquetTestFiles.write(dir.resolve("d.parquet"), schema, 2, 2, (i, g) -> {
            g.addGroup("features").addGroup("list").append("element", "a");
            g.append("label", i);
        });
        var e = assertThrows(IllegalArgumentException.class, () -> reader(f).build());
        assertMentions(e, "column 'features'", "d.parquet", "list<string>", "expected list<T> of a numeric T",
                "categorical");
        Path good = ParquetTestFiles.features(dir.resolve("g.parquet"), 0, 4, 2, 4);
        var e2 = assertThrows(IllegalArgumentException.class,
                () -> ParquetDataset.builder(good.toString()).features("features").label("features").build());
        assertMentions(e2, "column 'features'", "has type list<float>", "expected an integer, string or float label");
        var e3 = assertThrows(IllegalArgumentException.class, () -> ParquetDataset.builder(good.toString())
                .features("features").featureDtype(dev.kiln.tensor.DType.INT64).build());
        assertMentions(e3, "column 'features'", "list<float>", "expected list<T> of an integer T",
                "float cannot be read exactly as int64");
    }

    @Test
    void raggedRowNamesFileRowGroupAndRow() throws IOException {
        Path f = nullable("r.parquet", 10, 4, 6, new float[] {1, 2}, 6);
        try (ParquetDataset ds = reader(f).build()) {
            var e = assertThrows(IllegalArgumentException.class, () -> drain(ds));
            assertMentions(e, "ragged column 'features'", "r.parquet", "row group 1", "row 2", "has 2 elements",
                    "first row has 3");
        }
    }

    @Test
    void nullLabelFailsOrIsDroppedWithDropNulls() throws IOException {
        Path f = nullable("n.parquet", 10, 4, 5, new float[] {5, 6, 7}, null);
        try (ParquetDataset ds = reader(f).build()) {
            var e = assertThrows(IllegalArgumentException.class, () -> drain(ds));
            assertMentions(e, "column 'label' has a null value", "n.parquet", "row group 1", "row 1", "dropNulls");
        }
        try (ParquetDataset ds = reader(f).dropNulls(true).build()) {
            assertEquals(9, drain(ds));
        }
    }

    @Test
    void nullFeatureListOrElementFailsOrIsDropped() throws IOException {
        Path nullList = nullable("nl.parquet", 6, 6, 0, null, 0);
        try (ParquetDataset ds = reader(nullList).build()) {
            var e = assertThrows(IllegalArgumentException.class, () -> drain(ds));
            assertMentions(e, "column 'features' has a null list", "row group 0", "row 0");
        }
        try (ParquetDataset ds = reader(nullList).dropNulls(true).build()) {
            List<Float> first = firstFeatures(ds);
            assertEquals(List.of(1f, 2f, 3f), first, "row 0 dropped, row 1 is now first");
        }
        Path nullElement = ParquetTestFiles.write(dir.resolve("ne.parquet"), NULLABLE_SCHEMA, 3, 3, (i, g) -> {
            var l = g.addGroup("features");
            l.addGroup("list").append("element", 1f);
            var hole = l.addGroup("list");
            if (i != 2) {
                hole.append("element", 2f);
            }
            g.append("label", i);
        });
        try (ParquetDataset ds = reader(nullElement).build()) {
            var e = assertThrows(IllegalArgumentException.class, () -> drain(ds));
            assertMentions(e, "null element at position 1", "row 2");
        }
        try (ParquetDataset ds = reader(nullElement).dropNulls(true).build()) {
            assertEquals(2, drain(ds));
        }
    }

    private static List<Float> firstFeatures(ParquetDataset ds) {
        List<Float> out = null;
        for (Batch b : ds) {
            try (b) {
                if (out == null) {
                    float[] x = b.features().contiguous().toFloatArray();
                    out = List.of(x[0], x[1], x[2]);
                }
            }
        }
        return out;
    }

    @Test
    void corruptFileIsNamedOrSkippedWithSkipBadFiles() throws IOException {
        Path d = Files.createDirectory(dir.resolve("t"));
        ParquetTestFiles.features(d.resolve("good.parquet"), 0, 5, 2, 5);
        Files.write(d.resolve("junk.parquet"), "this is not parquet at all".getBytes());
        var e = assertThrows(IOException.class, () -> reader(d).build());
        assertMentions(e, "junk.parquet", "skipBadFiles");
        try (ParquetDataset ds = reader(d).skipBadFiles(true).build()) {
            assertEquals(5, drain(ds));
        }
    }

    @Test
    void truncatedFileIsNamed() throws IOException {
        Path f = ParquetTestFiles.features(dir.resolve("t.parquet"), 0, 50, 8, 50);
        byte[] all = Files.readAllBytes(f);
        Files.write(f, Arrays.copyOf(all, all.length / 2));
        var e = assertThrows(IOException.class, () -> reader(f).build());
        assertMentions(e, "cannot read Parquet file", "t.parquet");
    }

    @Test
    void corruptPagesMidEpochNameTheRowGroupAndLeakNothing() throws IOException {
        Path f = ParquetTestFiles.features(dir.resolve("c.parquet"), 0, 400, 8, 100);
        try (ParquetDataset ds = reader(f).numThreads(2).build()) { // footer is fine: build() succeeds
            byte[] all = Files.readAllBytes(f);
            for (int i = all.length / 2; i < all.length / 2 + 2000; i++) {
                all[i] = (byte) 0x5A; // scribble over a later row group's pages
            }
            Files.write(f, all);
            var e = assertThrows(RuntimeException.class, () -> drain(ds));
            assertMentions(e, "row group", "c.parquet");
        }
    }

    @Test
    void emptyDatasetAndEmptyShardFailClearly() throws IOException {
        var none = assertThrows(IOException.class, () -> reader(dir.resolve("nothing-*.parquet")).build());
        assertMentions(none, "no Parquet files found", "nothing-*.parquet");
        Path empty = ParquetTestFiles.features(dir.resolve("e.parquet"), 0, 0, 2, 4);
        var e = assertThrows(IllegalArgumentException.class, () -> reader(empty).build());
        assertMentions(e, "has no rows");
        Path one = ParquetTestFiles.features(dir.resolve("one.parquet"), 0, 4, 2, 4);
        var s = assertThrows(IllegalArgumentException.class, () -> reader(one).shard(1, 2).build());
        assertMentions(s, "shard rank 1 of worldSize 2 has no rows", "1 row groups");
        Path allNull = nullable("an.parquet", 1, 1, 0, null, null);
        try (ParquetDataset ds = reader(allNull).dropNulls(true).build()) {
            var x = assertThrows(IllegalStateException.class, () -> drain(ds));
            assertMentions(x, "produced no rows");
        }
    }

    @Test
    void nonFiniteFeaturesFailOnlyWithCheckFinite() throws IOException {
        Path f = nullable("nan.parquet", 6, 3, 4, new float[] {1, Float.NaN, 3}, 4);
        try (ParquetDataset ds = reader(f).build()) {
            assertEquals(6, drain(ds));
        }
        try (ParquetDataset ds = reader(f).checkFinite(true).build()) {
            var e = assertThrows(IllegalArgumentException.class, () -> drain(ds));
            assertMentions(e, "non-finite value NaN", "element 1", "row group 1", "row 1", "checkFinite");
        }
    }

    @Test
    void badOptionsAreRejected() throws IOException {
        Path f = ParquetTestFiles.features(dir.resolve("a.parquet"), 0, 4, 2, 4);
        assertMentions(assertThrows(IllegalArgumentException.class, () -> reader(f).batchSize(0).build()),
                "batch_size=0");
        assertMentions(assertThrows(IllegalArgumentException.class, () -> reader(f).shard(2, 2).build()),
                "Invalid rank 2");
        assertMentions(assertThrows(IllegalArgumentException.class, () -> reader(f).shuffleBuffer(10).build()),
                "needs shuffle(true)");
        assertMentions(assertThrows(IllegalArgumentException.class,
                () -> reader(f).featureColumns("a").build()), "exactly one of");
    }
}

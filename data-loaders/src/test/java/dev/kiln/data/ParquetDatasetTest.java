package dev.kiln.data;

import static dev.kiln.data.ParquetTestFiles.value;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import dev.kiln.testing.KilnTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ParquetDatasetTest extends KilnTest {
    @TempDir
    Path dir;

    /** Reads an epoch into row labels (the row index mod 7 is the label; features identify the row exactly). */
    static List<Integer> rowsOf(Iterable<Batch> ds, int n) {
        List<Integer> rows = new ArrayList<>();
        for (Batch b : ds) {
            try (b) {
                assertEquals(DType.FLOAT32, b.features().dtype());
                assertEquals(DType.INT64, b.labels().dtype());
                float[] x = b.features().contiguous().toFloatArray();
                long[] y = b.labels().toLongArray();
                for (int i = 0; i < y.length; i++) {
                    int row = Math.round((x[i * n] - 0.5f) / 10);
                    for (int j = 0; j < n; j++) {
                        assertEquals(value(row, j), x[i * n + j], "row " + row + " feature " + j);
                    }
                    assertEquals(row % 7, y[i]);
                    rows.add(row);
                }
            }
        }
        return rows;
    }

    private static List<Integer> range(int n) {
        List<Integer> r = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            r.add(i);
        }
        return r;
    }

    @Test
    void readsListFeaturesAndLabelsAcrossRowGroups() throws IOException {
        Path f = ParquetTestFiles.features(dir.resolve("a.parquet"), 0, 12, 3, 4);
        try (ParquetDataset ds = ParquetDataset.builder(f.toString()).features("features").label("label")
                .batchSize(5).build()) {
            assertEquals(3, ds.rowGroups());
            List<Long> sizes = new ArrayList<>();
            for (Batch b : ds) {
                try (b) {
                    sizes.add(b.batchSize());
                    assertArrayEquals(new long[] {b.batchSize(), 3}, b.features().shape());
                }
            }
            assertEquals(List.of(5L, 5L, 2L), sizes);
            assertEquals(range(12), rowsOf(ds, 3)); // a second epoch works too
        }
    }

    /** PLAIN (one copy per page) and dictionary pages, data page V1 and V2, small pages so rows cross pages. */
    @Test
    void everyPageLayoutDecodesTheSameValues() throws IOException {
        String schema = "message m { optional group features (LIST) { repeated group list { required float element; }"
                + " } required int32 label; }";
        for (boolean dictionary : new boolean[] {false, true}) {
            for (boolean v2 : new boolean[] {false, true}) {
                Path f = ParquetTestFiles.write(dir.resolve("p" + dictionary + v2 + ".parquet"), schema, 30, 12,
                        dictionary, v2, (i, g) -> {
                            ParquetTestFiles.list(g, "features", value(i, 0), value(i, 1), value(i, 2), value(i, 3));
                            g.append("label", i % 7);
                        });
                try (ParquetDataset ds = ParquetDataset.builder(f.toString()).features("features").label("label")
                        .batchSize(8).checkFinite(true).build()) {
                    assertEquals(range(30), rowsOf(ds, 4), "dictionary=" + dictionary + " v2=" + v2);
                }
            }
        }
    }

    @Test
    void dropLastDropsTheShortBatch() throws IOException {
        Path f = ParquetTestFiles.features(dir.resolve("a.parquet"), 0, 12, 3, 4);
        try (ParquetDataset ds = ParquetDataset.builder(f.toString()).features("features").label("label")
                .batchSize(5).dropLast(true).build()) {
            assertEquals(range(10), rowsOf(ds, 3));
        }
    }

    @Test
    void rowGroupTensorIsTheArrowBufferZeroCopy() throws IOException {
        Path f = ParquetTestFiles.features(dir.resolve("a.parquet"), 0, 8, 4, 8);
        ParquetDataset.Builder o = ParquetDataset.builder(f.toString()).features("features").label("label");
        try (ParquetDataset ds = o.build()) {
            RowGroupReader reader = new RowGroupReader(o.conf, ds.layout, null,
                    new RowGroupDecoder(allocator, false, false, null), null,
                    new Footers(o.conf, java.util.Map.of()));
            try (VectorSchemaRoot root = reader.read(ds.units.get(0), false)) {
                List<Tensor> ts = reader.tensors(root, o);
                FixedSizeListVector v = (FixedSizeListVector) root.getVector("features");
                assertEquals(v.getDataVector().getDataBuffer().memoryAddress(), ts.get(0).dataAddress());
                assertEquals(root.getVector("label").getDataBuffer().memoryAddress(), ts.get(1).dataAddress());
                ts.forEach(Tensor::close);
            }
        }
    }

    @Test
    void batchesInsideARowGroupAreViewsOfOneBuffer() throws IOException {
        Path f = ParquetTestFiles.features(dir.resolve("a.parquet"), 0, 8, 4, 8);
        try (ParquetDataset ds = ParquetDataset.builder(f.toString()).features("features").label("label")
                .batchSize(4).build()) {
            List<Batch> batches = new ArrayList<>();
            ds.forEach(batches::add);
            long base = batches.get(0).features().storage().arrowBuf().memoryAddress();
            assertEquals(base, batches.get(0).features().dataAddress());
            assertEquals(base + 4 * 4 * 4, batches.get(1).features().dataAddress());
            batches.forEach(Batch::close);
        }
    }

    @Test
    void scalarColumnsAreAssembledIntoOneFeatureMatrix() throws IOException {
        String schema = "message m { required float a; required double b; required int64 y; }";
        Path f = ParquetTestFiles.write(dir.resolve("s.parquet"), schema, 5, 2, (i, g) -> {
            g.append("a", i + 0.25f);
            g.append("b", -i * 2.0);
            g.append("y", (long) i);
        });
        try (ParquetDataset ds = ParquetDataset.builder(f.toString()).featureColumns("a", "b").label("y")
                .batchSize(5).build()) {
            for (Batch b : ds) {
                try (b) {
                    assertArrayEquals(new float[] {0.25f, 0, 1.25f, -2, 2.25f, -4, 3.25f, -6, 4.25f, -8},
                            b.features().contiguous().toFloatArray());
                    assertArrayEquals(new long[] {0, 1, 2, 3, 4}, b.labels().toLongArray());
                }
            }
        }
    }

    @Test
    void bytesColumnIsDecodedByTheUserFunction() throws IOException {
        String schema = "message m { required binary img; required int32 label; }";
        Path f = ParquetTestFiles.write(dir.resolve("img.parquet"), schema, 3, 10, (i, g) -> {
            g.append("img", org.apache.parquet.io.api.Binary.fromConstantByteArray(new byte[] {(byte) (int) i, 2, 3, (byte) 255}));
            g.append("label", i);
        });
        java.util.function.Function<byte[], float[]> decode = bytes -> {
            float[] px = new float[bytes.length];
            for (int i = 0; i < bytes.length; i++) {
                px[i] = (bytes[i] & 0xff) / 255f;
            }
            return px;
        };
        try (ParquetDataset ds = ParquetDataset.builder(f.toString()).bytesFeatures("img", decode, 2, 2)
                .label("label").batchSize(3).build()) {
            for (Batch b : ds) {
                try (b) {
                    assertArrayEquals(new long[] {3, 2, 2}, b.features().shape());
                    float[] x = b.features().contiguous().toFloatArray();
                    assertEquals(1 / 255f, x[4], 0); // row 1 starts with byte 1
                    assertEquals(2 / 255f, x[5], 0);
                    assertEquals(1f, x[11], 0);
                }
            }
        }
    }

    @Test
    void directoryAndGlobSkipMarkerFilesAndReadEveryFile() throws IOException {
        Path d = Files.createDirectory(dir.resolve("table"));
        ParquetTestFiles.features(d.resolve("part-0.parquet"), 0, 6, 2, 3);
        ParquetTestFiles.features(d.resolve("part-1.parquet"), 6, 4, 2, 3);
        Files.writeString(d.resolve("_SUCCESS"), "");
        try (ParquetDataset ds = ParquetDataset.builder(d.toString()).features("features").label("label")
                .batchSize(4).build()) {
            assertEquals(range(10), rowsOf(ds, 2));
        }
        try (ParquetDataset ds = ParquetDataset.builder(d.toUri() + "/part-*.parquet").features("features")
                .label("label").batchSize(3).numThreads(2).build()) {
            assertEquals(range(10), rowsOf(ds, 2));
        }
    }

    @Test
    void shardsAreDisjointAndCoverEveryRow() throws IOException {
        Path f = ParquetTestFiles.features(dir.resolve("a.parquet"), 0, 20, 2, 3); // 7 row groups
        Set<Integer> seen = new HashSet<>();
        int total = 0;
        for (int rank = 0; rank < 3; rank++) {
            try (ParquetDataset ds = ParquetDataset.builder(f.toString()).features("features").label("label")
                    .batchSize(4).shard(rank, 3).build()) {
                List<Integer> rows = rowsOf(ds, 2);
                assertEquals(ds.rows(), rows.size());
                seen.addAll(rows);
                total += rows.size();
            }
        }
        assertEquals(20, total);
        assertEquals(new HashSet<>(range(20)), seen);
    }

    @Test
    void shuffleIsSeededPerEpochAndKeepsEveryRow() throws IOException {
        Path f = ParquetTestFiles.features(dir.resolve("a.parquet"), 0, 40, 2, 4);
        List<Integer> e0;
        List<Integer> e1;
        try (ParquetDataset ds = ParquetDataset.builder(f.toString()).features("features").label("label")
                .batchSize(6).shuffle(true).seed(3).numThreads(2).build()) {
            e0 = rowsOf(ds, 2);
            e1 = rowsOf(ds, 2);
        }
        assertNotEquals(e0, e1);
        assertEquals(new HashSet<>(range(40)), new HashSet<>(e0));
        try (ParquetDataset ds = ParquetDataset.builder(f.toString()).features("features").label("label")
                .batchSize(6).shuffle(true).seed(3).build()) {
            assertEquals(e0, rowsOf(ds, 2), "same seed and epoch, same order (thread count does not matter)");
        }
    }

    @Test
    void shuffleBufferMixesRowsAcrossRowGroups() throws IOException {
        Path f = ParquetTestFiles.features(dir.resolve("a.parquet"), 0, 40, 2, 4);
        try (ParquetDataset ds = ParquetDataset.builder(f.toString()).features("features").label("label")
                .batchSize(8).shuffle(true).seed(5).shuffleBuffer(16).build()) {
            List<Integer> rows = rowsOf(ds, 2);
            assertEquals(new HashSet<>(range(40)), new HashSet<>(rows));
            boolean mixed = false;
            for (int i = 0; i + 1 < rows.size(); i += 4) {
                mixed |= rows.get(i) / 4 != rows.get(i + 1) / 4;
            }
            assertTrue(mixed, "rows of different row groups are interleaved: " + rows);
        }
    }

    @Test
    void breakingOutEarlyAndClosingLeaksNothing() throws IOException {
        Path f = ParquetTestFiles.features(dir.resolve("a.parquet"), 0, 40, 2, 4);
        try (ParquetDataset ds = ParquetDataset.builder(f.toString()).features("features").label("label")
                .batchSize(3).numThreads(2).build()) {
            for (Batch b : ds) {
                b.close();
                break;
            }
        } // the allocator check in KilnTest fails if the epoch's read-ahead buffers were not freed
    }
}

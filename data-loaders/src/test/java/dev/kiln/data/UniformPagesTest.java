package dev.kiln.data;

import static dev.kiln.data.ParquetTestFiles.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.testing.KilnTest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.HadoopReadOptions;
import org.apache.parquet.bytes.HeapByteBufferAllocator;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.column.values.rle.RunLengthBitPackingHybridEncoder;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The parallel uniform-row page decoder, its run-level checks and the one-pass dictionary lookup. */
class UniformPagesTest extends KilnTest {
    private static final String SCHEMA = "message m { optional group features (LIST) { repeated group list {"
            + " required float element; } } required int32 label; }";

    @TempDir
    Path dir;
    private final ExecutorService pool = Executors.newFixedThreadPool(2);

    @AfterEach
    void stopPool() {
        pool.shutdownNow();
    }

    /** Decodes row group 0's features with UniformPages on two threads; null if it did not apply. */
    private FixedSizeListVector decode(Path f, int rows) throws IOException {
        Configuration conf = ParquetFiles.localConfiguration();
        var options = HadoopReadOptions.builder(conf).withCodecFactory(new PageCodecs(conf)).build();
        try (ParquetFileReader r = ParquetFileReader.open(HadoopInputFile.fromPath(
                new org.apache.hadoop.fs.Path(f.toUri()), conf), options)) {
            ColumnDescriptor d = r.getFileMetaData().getSchema().getColumns().get(0);
            PageReadStore pages = r.readRowGroup(0);
            RowGroupDecoder owner = new RowGroupDecoder(allocator, false, false, pool);
            return new UniformPages(owner, new RowGroupDecoder.Source(f.toString(), 0, rows), "features", d, rows,
                    false).decode(pages.getPageReader(d), pool);
        }
    }

    /** Snappy, PLAIN and dictionary pages, V1 and V2, 7 rows a page: every layout takes the parallel path. */
    @Test
    void everyUniformLayoutDecodesInParallel() throws IOException {
        for (boolean dictionary : new boolean[] {false, true}) {
            for (boolean v2 : new boolean[] {false, true}) {
                Path f = ParquetTestFiles.write(dir.resolve("u" + dictionary + v2 + ".parquet"), SCHEMA, 40, 40,
                        dictionary, v2, (i, g) -> {
                            ParquetTestFiles.list(g, "features", value(i, 0), value(i, 1), value(i, 2));
                            g.append("label", i);
                        });
                try (FixedSizeListVector v = decode(f, 40)) {
                    assertNotNull(v, "dictionary=" + dictionary + " v2=" + v2);
                    assertEquals(3, v.getListSize());
                    ArrowBuf buf = v.getDataVector().getDataBuffer();
                    for (int i = 0; i < 40; i++) {
                        for (int j = 0; j < 3; j++) {
                            assertEquals(value(i, j), buf.getFloat((i * 3L + j) * 4), "row " + i + " col " + j);
                        }
                    }
                }
            }
        }
    }

    /**
     * Rows of 4 and 2 values among rows of 3: the footer's total (60 = 20 × 3) and every page's count (7 rows) still
     * divide by 3, so only the per-page level check can catch it: null, nothing left allocated.
     */
    @Test
    void raggedRowsFallBack() throws IOException {
        Path ragged = ParquetTestFiles.write(dir.resolve("r.parquet"), SCHEMA, 20, 20, true, false, (i, g) -> {
            if (i == 9) {
                ParquetTestFiles.list(g, "features", 1f, 2f, 3f, 4f);
            } else if (i == 10) {
                ParquetTestFiles.list(g, "features", 1f, 2f);
            } else {
                ParquetTestFiles.list(g, "features", 1f, 2f, 3f);
            }
            g.append("label", i);
        });
        assertNull(decode(ragged, 20));
    }

    @Test
    void levelRunsAcceptOnlyWholeRowsOfN() throws IOException {
        assertTrue(LevelRuns.uniformRows(rle(1, rep(5, 5, 5, 5)), 20, 5));
        assertFalse(LevelRuns.uniformRows(rle(1, rep(5, 4, 6, 5)), 20, 5));
        assertFalse(LevelRuns.uniformRows(rle(1, rep(5, 5, 5, 5)), 20, 4));
        int[] continued = rep(5, 5);
        continued[0] = 1; // the page starts inside a row that began on the previous page
        assertFalse(LevelRuns.uniformRows(rle(1, continued), 10, 5));
        assertTrue(LevelRuns.uniformRows(rle(1, new int[] {0, 0, 0}), 3, 1));
        assertTrue(LevelRuns.allEqual(rle(2, new int[] {2, 2, 2, 2, 2, 2, 2, 2, 2, 2}), 2, 10, 2));
        assertFalse(LevelRuns.allEqual(rle(2, new int[] {2, 2, 2, 1, 2, 2, 2, 2, 2, 2}), 2, 10, 2));
        assertFalse(LevelRuns.allEqual(ByteBuffer.allocate(0), 2, 10, 2), "a short stream fails the check");
    }

    @Test
    void dictionaryIdsAreLookedUpInOnePass() throws IOException {
        for (int width : new int[] {3, 8}) {
            int[] table = new int[1 << width];
            for (int i = 0; i < table.length; i++) {
                table[i] = Float.floatToRawIntBits(i / 4f);
            }
            int[] ids = new int[300];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = i < 100 ? 5 : (i * 7) % table.length; // an RLE run, then bit-packed groups
            }
            try (ArrowBuf buf = allocator.buffer(ids.length * 4L)) {
                assertTrue(DictionaryIds.lookup(rle(width, ids), width, ids.length, table, buf.memoryAddress()));
                for (int i = 0; i < ids.length; i++) {
                    assertEquals(ids[i] / 4f, buf.getFloat(i * 4L), "width " + width + " value " + i);
                }
                int[] small = {0, 1, 2}; // ids up to 7 but a 3-entry dictionary
                var e = assertThrows(IllegalArgumentException.class,
                        () -> DictionaryIds.lookup(rle(3, ids), 3, ids.length, small, buf.memoryAddress()));
                assertTrue(e.getMessage().contains("dictionary id out of range [0, 3)"), e.getMessage());
                ByteBuffer truncated = rle(width, ids);
                truncated.limit(truncated.limit() / 2);
                assertFalse(DictionaryIds.lookup(truncated, width, ids.length, table, buf.memoryAddress()));
            }
        }
    }

    /** Repetition levels of rows with the given lengths. */
    private static int[] rep(int... lengths) {
        int total = 0;
        for (int l : lengths) {
            total += l;
        }
        int[] out = new int[total];
        int k = 0;
        for (int l : lengths) {
            for (int j = 0; j < l; j++) {
                out[k++] = j == 0 ? 0 : 1;
            }
        }
        return out;
    }

    /** parquet-mr's own RLE / bit-packing hybrid encoder, so the tests read what writers write. */
    private static ByteBuffer rle(int width, int[] values) throws IOException {
        try (RunLengthBitPackingHybridEncoder e = new RunLengthBitPackingHybridEncoder(width, 64, 1 << 20,
                HeapByteBufferAllocator.getInstance())) {
            for (int v : values) {
                e.writeInt(v);
            }
            return ByteBuffer.wrap(e.toBytes().toByteArray()).order(ByteOrder.LITTLE_ENDIAN);
        }
    }
}

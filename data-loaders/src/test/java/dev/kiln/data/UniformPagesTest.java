package dev.kiln.data;

import static dev.kiln.data.ParquetTestFiles.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.testing.KilnTest;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.parquet.column.ColumnDescriptor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The parallel uniform-row page decoder: every layout takes it, and a ragged chunk falls back. */
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

    /** Row group 0's features chunk, read with ChunkReader. */
    static ColumnChunk chunk(Path f, int column) throws IOException {
        Configuration conf = ParquetFiles.localConfiguration();
        org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(f.toUri());
        Footers.Footer footer = Footers.read(p, conf);
        ColumnDescriptor d = footer.meta().getFileMetaData().getSchema().getColumns().get(column);
        try (FSDataInputStream in = p.getFileSystem(conf).open(p)) {
            return ChunkReader.read(in, footer.length(), footer.chunk(0, d), d,
                    ColumnType.of(d.getPrimitiveType()), "column " + column + " of " + f);
        }
    }

    /** Decodes row group 0's features with UniformPages on two threads; null if it did not apply. */
    private FixedSizeListVector decode(Path f, int rows) throws Exception {
        RowGroupDecoder owner = new RowGroupDecoder(allocator, false, false, pool);
        UniformPages.Plan plan = new UniformPages(owner, new RowGroupDecoder.Source(f.toString(), 0, rows),
                "features", chunk(f, 0), Lane.F32, rows, false).plan();
        if (plan == null) {
            return null;
        }
        List<Callable<Void>> tasks = new ArrayList<>(plan.tasks());
        for (var future : pool.invokeAll(tasks)) {
            future.get();
        }
        if (!plan.uniform().get()) {
            plan.vector().close();
            return null;
        }
        return plan.vector();
    }

    /** PLAIN and dictionary pages, V1 and V2, 7 rows a page: every layout takes the parallel path. */
    @Test
    void everyUniformLayoutDecodesInParallel() throws Exception {
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
    void raggedRowsFallBack() throws Exception {
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
        assertEquals(null, decode(ragged, 20));
    }

    @Test
    void uniformCheckNeedsWholeRowsInThePage() {
        assertTrue(uniform(rep(5, 5, 5, 5), 20, 5));
        assertFalse(uniform(rep(5, 4, 6, 5), 20, 5));
        assertFalse(uniform(rep(5, 5, 5, 5), 20, 4));
        int[] continued = rep(5, 5);
        continued[0] = 1; // the page starts inside a row that began on the previous page
        assertFalse(uniform(continued, 10, 5));
        assertTrue(uniform(new int[] {0, 0, 0}, 3, 1));
    }

    private static boolean uniform(int[] levels, int count, int n) {
        byte[] b = RleTest.encode(1, levels);
        return new Rle(b, 0, b.length, 1, "test").uniformRows(count, n);
    }

    /** Repetition levels of rows with the given lengths. */
    static int[] rep(int... lengths) {
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
}

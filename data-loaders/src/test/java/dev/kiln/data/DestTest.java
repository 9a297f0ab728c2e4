package dev.kiln.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.testing.KilnTest;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.parquet.column.Encoding;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The one writer of native memory refuses every range outside what was allocated, before storing anything. */
class DestTest extends KilnTest {
    @TempDir
    Path dir;

    @Test
    void writesOutsideTheWindowFailAndLeaveTheBufferUntouched() {
        try (ArrowBuf buf = allocator.buffer(64)) {
            buf.setZero(0, 64);
            Dest matrix = new Dest(buf, 12, 4, 3, 1); // [4 rows, 3 columns] of float32, column 1
            matrix.putFloats(0, new float[] {1, 2, 3, 4}, 4, "ok");
            assertEquals(4f, buf.getFloat((3 * 3 + 1) * 4));
            var e = assertThrows(ParquetFormatException.class,
                    () -> matrix.putFloats(2, new float[] {5, 6, 7}, 3, "page 9"));
            assertTrue(e.getMessage().contains("page 9 holds rows [2, 5) but the footer declares 4"), e.getMessage());
            assertEquals(3f, buf.getFloat((2 * 3 + 1) * 4), "nothing of the refused page was stored");
            Dest list = new Dest(buf, 16, 4, 1, 0);
            assertThrows(ParquetFormatException.class, () -> list.copy(10, new byte[32], 0, 32, "page"));
            assertThrows(ParquetFormatException.class, () -> list.copy(0, new byte[8], 4, 8, "page"),
                    "reading past the source page is refused too");
            assertThrows(ParquetFormatException.class, () -> list.putBits(-1, 7, "page"));
            assertThrows(ParquetFormatException.class,
                    () -> matrix.scatter(Lane.F32, new float[] {1}, new int[] {4}, 0, 1, "page"));
            assertThrows(IllegalStateException.class, () -> new Dest(buf, 17, 4, 1, 0), "a window larger than the buffer");
            for (int k = 12 * 4; k < 64; k += 4) {
                assertEquals(0, buf.getInt(k), "bytes past the matrix are untouched");
            }
        }
    }

    /** The case: a chunk holding more rows (or longer lists) than its footer declares. */
    @Test
    void chunksHoldingMoreRowsThanTheFooterAreErrorsNotOverflows() throws Exception {
        Object[] lists = new Object[10];
        Object[] flat = new Object[10];
        for (int i = 0; i < 10; i++) {
            lists[i] = new Object[] {1f * i, 2f, 3f};
            flat[i] = (long) i;
        }
        for (boolean v2 : new boolean[] {false, true}) {
            Map<String, Object[]> cols = new LinkedHashMap<>();
            cols.put("f", lists);
            Path l = RawParquetWriter.write(dir.resolve("l" + v2 + ".parquet"), "message m { optional group f (LIST) {"
                    + " repeated group list { required float element; } } }", cols,
                    RawParquetWriter.Spec.of(Encoding.PLAIN).v2(v2), 8);
            assertReadFails(ParquetDataset.builder(l.toString()).features("f"), "row group 0", "column 'f'",
                    "more than the 8 rows the footer declares");
            Map<String, Object[]> x = new LinkedHashMap<>();
            x.put("x", flat);
            Path p = RawParquetWriter.write(dir.resolve("x" + v2 + ".parquet"), "message m { required int64 x; }", x,
                    RawParquetWriter.Spec.of(Encoding.PLAIN).v2(v2), 8);
            assertReadFails(ParquetDataset.builder(p.toString()).featureColumns("x"), "row group 0", "column 'x'",
                    "holds rows [0, 10) but the footer declares 8");
        }
    }

    private static void assertReadFails(ParquetDataset.Builder b, String... parts) throws Exception {
        try (ParquetDataset ds = b.build()) {
            var e = assertThrows(RuntimeException.class, () -> ds.forEach(Batch::close));
            String m = e.getCause() == null ? e.getMessage() : e.getCause().getMessage();
            for (String part : parts) {
                assertTrue(m.contains(part), "expected '" + part + "' in " + m);
            }
        }
    }
}

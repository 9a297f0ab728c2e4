package dev.kiln.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.testing.KilnTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.Random;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.parquet.bytes.HeapByteBufferAllocator;
import org.apache.parquet.column.values.rle.RunLengthBitPackingHybridEncoder;
import org.junit.jupiter.api.Test;

/** The one hybrid decoder, against parquet-mr's encoder, and its bounds policy. */
class RleTest extends KilnTest {
    /** parquet-mr's own RLE / bit-packing hybrid encoder, so the tests read what writers write. */
    static byte[] encode(int width, int[] values) {
        try (RunLengthBitPackingHybridEncoder e = new RunLengthBitPackingHybridEncoder(width, 64, 1 << 20,
                HeapByteBufferAllocator.getInstance())) {
            for (int v : values) {
                e.writeInt(v);
            }
            return e.toBytes().toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int[] sample(int width, int n, long seed) {
        int[] values = new int[n];
        Random r = new Random(seed);
        long range = 1L << width;
        for (int i = 0; i < n; i++) { // long runs, then noise
            values[i] = (int) (i % 100 < 60 ? 1 % range : (r.nextLong() & Long.MAX_VALUE) % range);
        }
        return values;
    }

    @Test
    void decodesWhatParquetMrEncodesAtEveryWidth() {
        for (int width = 1; width <= 31; width++) {
            int[] values = sample(width, 1000, width);
            byte[] bytes = encode(width, values);
            int[] out = new int[values.length];
            Rle rle = new Rle(bytes, 0, bytes.length, width, "test");
            rle.decode(out, 0, 300); // in two calls: a run may be consumed across calls
            rle.decode(out, 300, values.length - 300);
            assertArrayEquals(values, out, "bit width " + width + ": " + Arrays.toString(Arrays.copyOf(out, 20)));
        }
    }

    @Test
    void runChecksConsumeRunsNotValues() {
        byte[] twos = encode(2, new int[] {2, 2, 2, 2, 2, 2, 2, 2, 2, 2});
        assertTrue(new Rle(twos, 0, twos.length, 2, "t").allEqual(10, 2));
        byte[] mixed = encode(2, new int[] {2, 2, 2, 1, 2, 2, 2, 2, 2, 2});
        assertFalse(new Rle(mixed, 0, mixed.length, 2, "t").allEqual(10, 2));
    }

    @Test
    void lookupStoresDictionaryValuesInOnePass() {
        for (int width : new int[] {3, 8}) {
            int[] table = new int[1 << width];
            for (int i = 0; i < table.length; i++) {
                table[i] = Float.floatToRawIntBits(i / 4f);
            }
            int[] ids = new int[300];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = i < 100 ? 5 : (i * 7) % table.length; // an RLE run, then bit-packed groups
            }
            byte[] b = encode(width, ids);
            try (ArrowBuf buf = allocator.buffer(ids.length * 4L)) {
                new Rle(b, 0, b.length, width, "t").lookup(ids.length, table, buf.memoryAddress());
                for (int i = 0; i < ids.length; i++) {
                    assertEquals(ids[i] / 4f, buf.getFloat(i * 4L), "width " + width + " value " + i);
                }
                int[] small = {0, 1, 2}; // ids up to 7 but a 3-entry dictionary
                byte[] b3 = encode(3, ids);
                var e = assertThrows(ParquetFormatException.class,
                        () -> new Rle(b3, 0, b3.length, 3, "ids").lookup(ids.length, small, buf.memoryAddress()));
                assertTrue(e.getMessage().contains("dictionary id out of range [0, 3)"), e.getMessage());
            }
        }
    }

    /** Every malformed stream is a ParquetFormatException saying what is wrong; nothing is read past the end. */
    @Test
    void malformedStreamsFailClearly() {
        int[] values = sample(5, 500, 1);
        byte[] ok = encode(5, values);
        int[] out = new int[500];
        var shortStream = assertThrows(ParquetFormatException.class,
                () -> new Rle(ok, 0, ok.length / 2, 5, "levels").decode(out, 0, 500));
        assertTrue(shortStream.getMessage().startsWith("levels:"), shortStream.getMessage());
        byte[] longVarint = {(byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x01};
        assertMessage("longer than 5 bytes", () -> new Rle(longVarint, 0, 6, 5, "x").decode(out, 0, 1));
        byte[] wideValue = {2, 0x40}; // an RLE run of 1 with value 64: does not fit 5 bits
        assertMessage("does not fit in 5 bits", () -> new Rle(wideValue, 0, 2, 5, "x").decode(out, 0, 1));
        byte[] noValue = {2}; // an RLE run header without its value byte
        assertMessage("past the end", () -> new Rle(noValue, 0, 1, 5, "x").decode(out, 0, 1));
        assertMessage("bit width 33", () -> new Rle(ok, 0, ok.length, 33, "x"));
        assertMessage("outside its page", () -> new Rle(ok, 0, ok.length + 1, 5, "x"));
        byte[] zeros = {0, 0, 0, 0}; // zero-length runs: legal, but they never make progress on their own
        assertMessage("ends after 0 of 1 values", () -> new Rle(zeros, 0, 4, 1, "x").decode(out, 0, 1));
    }

    /** A final bit-packed run cut short is accepted as long as every value asked for is inside the stream. */
    @Test
    void truncatedLastPackedRunIsReadUpToItsLastWholeValue() {
        int[] values = {1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3, 4};
        byte[] header = {(byte) ((2 << 1) | 1)}; // 2 groups = 16 values of 3 bits = 6 bytes, but only 5 follow
        byte[] packed = new byte[5];
        long acc = 0;
        for (int i = 0; i < values.length; i++) {
            acc |= (long) values[i] << (3 * i);
        }
        for (int b = 0; b < 5; b++) {
            packed[b] = (byte) (acc >>> (8 * b));
        }
        byte[] stream = new byte[6];
        stream[0] = header[0];
        System.arraycopy(packed, 0, stream, 1, 5);
        int[] out = new int[12];
        new Rle(stream, 0, 6, 3, "x").decode(out, 0, 12);
        assertArrayEquals(values, out);
        assertMessage("ends after 13 of 14", () -> new Rle(stream, 0, 6, 3, "x").decode(new int[14], 0, 14));
    }

    private static void assertMessage(String part, org.junit.jupiter.api.function.Executable run) {
        var e = assertThrows(ParquetFormatException.class, run);
        assertTrue(e.getMessage().contains(part), "expected '" + part + "' in: " + e.getMessage());
    }
}

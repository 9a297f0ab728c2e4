package dev.kiln.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.testing.KilnTest;
import org.junit.jupiter.api.Test;

/** The by-value {@code Layout} struct, packed by hand, against bytes written out by hand. */
class CudaLayoutTest extends KilnTest {

    @Test
    void matchesTheCatalogsOffsets() {
        assertEquals(KernelNames.LAYOUT_BYTES, Layout.BYTES);
        assertEquals(KernelNames.MAX_DIMS, Layout.MAX_DIMS);
        assertEquals(0, KernelNames.LAYOUT_SIZE_OFFSET);
        assertEquals(64, KernelNames.LAYOUT_STRIDE_OFFSET);
        assertEquals(128, KernelNames.LAYOUT_NDIM_OFFSET);
        assertEquals(132, KernelNames.LAYOUT_CONTIGUOUS_OFFSET);
    }

    /** A transposed [3, 2] view of a [2, 3] matrix: sizes (3, 2), strides (1, 3), not contiguous. */
    @Test
    void packsSizesStridesNdimAndContiguityLittleEndian() {
        byte[] b = Layout.pack(new long[] {3, 2}, new long[] {1, 3}, false, "t");
        byte[] expected = new byte[136];
        expected[0] = 3; // size[0] = 3
        expected[8] = 2; // size[1] = 2
        expected[64] = 1; // stride[0] = 1
        expected[72] = 3; // stride[1] = 3
        expected[128] = 2; // ndim = 2
        // contiguous = 0 at 132
        assertArrayEquals(expected, b);
    }

    @Test
    void packsWideValuesAndNegativeStridesInTwosComplement() {
        long big = 0x0102_0304_0506_0708L;
        byte[] b = Layout.pack(new long[] {big}, new long[] {-1}, true, "t");
        byte[] size0 = {8, 7, 6, 5, 4, 3, 2, 1};
        for (int i = 0; i < 8; i++) {
            assertEquals(size0[i], b[i], "size byte " + i);
            assertEquals((byte) 0xFF, b[64 + i], "stride byte " + i);
        }
        assertArrayEquals(new byte[] {1, 0, 0, 0}, java.util.Arrays.copyOfRange(b, 128, 132));
        assertArrayEquals(new byte[] {1, 0, 0, 0}, java.util.Arrays.copyOfRange(b, 132, 136));
    }

    @Test
    void aZeroDimTensorHasNoSizesAndNoStrides() {
        byte[] b = Layout.pack(new long[0], new long[0], true, "t");
        for (int i = 0; i < 128; i++) {
            assertEquals(0, b[i], "byte " + i);
        }
        assertEquals(0, b[128]);
        assertEquals(1, b[132]);
    }

    @Test
    void eightDimsFitAndNineAreRefusedNamingTheShape() {
        long[] eight = {1, 2, 1, 2, 1, 2, 1, 2};
        byte[] b = Layout.pack(eight, new long[] {8, 4, 4, 2, 2, 1, 1, 1}, true, "t");
        assertEquals(2, b[8 * 7]);
        assertEquals(1, b[64 + 8 * 7]);
        assertEquals(8, b[128]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Layout.pack(new long[9], new long[9], true, "float32 input"));
        assertTrue(e.getMessage().contains("at most 8 dimensions, got 9") && e.getMessage().contains("float32 input"),
                e.getMessage());
    }
}

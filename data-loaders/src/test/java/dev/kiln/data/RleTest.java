package dev.kiln.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.apache.parquet.bytes.HeapByteBufferAllocator;
import org.apache.parquet.column.values.rle.RunLengthBitPackingHybridEncoder;
import org.junit.jupiter.api.Test;

/** Our bulk hybrid decoder against parquet-mr's encoder, for every bit width and mixed run/packed data. */
class RleTest {
    @Test
    void decodesWhatParquetMrEncodes() throws Exception {
        for (int width = 1; width <= 20; width++) {
            int[] values = new int[1000];
            java.util.Random r = new java.util.Random(width);
            for (int i = 0; i < values.length; i++) {
                values[i] = i % 100 < 60 ? 1 % (1 << width) : r.nextInt(1 << width); // long runs, then noise
            }
            RunLengthBitPackingHybridEncoder enc = new RunLengthBitPackingHybridEncoder(width, 64, 1 << 16,
                    new HeapByteBufferAllocator());
            for (int v : values) {
                enc.writeInt(v);
            }
            ByteBuffer bytes = ByteBuffer.wrap(enc.toBytes().toByteArray()).order(ByteOrder.LITTLE_ENDIAN);
            int[] out = new int[values.length];
            Rle.decode(bytes, width, out, values.length);
            assertArrayEquals(values, out, "bit width " + width + ": " + Arrays.toString(Arrays.copyOf(out, 20)));
        }
    }
}

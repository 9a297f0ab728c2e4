package dev.kiln.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.memory.Elements;
import dev.kiln.memory.HalfFloats;
import dev.kiln.tensor.DType;
import dev.kiln.testing.KilnTest;
import org.apache.arrow.memory.ArrowBuf;
import org.junit.jupiter.api.Test;

/**
 * The host-side element conversions of the CUDA memory kernels agree with the CPU backend's ({@link Elements}) for
 * every dtype, including the awkward values: NaN, infinities, out-of-range and negative values into unsigned bytes.
 */
class CudaHostElementsTest extends KilnTest {
    private static final double[] VALUES = {0, -0.0, 1, -1, 2.75, -2.75, 255, 256, 300.5, -129, 1e10, -1e10, 3e38,
        1e300, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Math.PI, 9.007199254740993e15,
        65520, 65519, 1.00048828125, 5.960464477539063e-08, 2.9802322387695312e-08, 1e-40};

    @Test
    void encodeWritesWhatElementsPutWrites() {
        try (ArrowBuf buf = allocator.buffer(8)) {
            for (DType t : DType.values()) {
                for (double v : VALUES) {
                    buf.setZero(0, 8);
                    Elements.put(t, buf.memoryAddress(), v);
                    byte[] expected = new byte[t.byteSize()];
                    buf.getBytes(0, expected);
                    assertArrayEquals(expected, HostElements.encode(t, v), t + " <- " + v);
                    assertEquals(Elements.get(t, buf.memoryAddress()), HostElements.get(t, expected), t + " get " + v);
                    assertEquals(Elements.getLong(t, buf.memoryAddress()), HostElements.getLong(t, expected),
                            t + " getLong " + v);
                }
            }
        }
    }

    @Test
    void convertCastsDoubleArraysLikeElementsPut() {
        try (ArrowBuf buf = allocator.buffer(8L * VALUES.length)) {
            for (DType t : DType.values()) {
                Object converted = HostElements.convert(VALUES, t);
                for (int i = 0; i < VALUES.length; i++) {
                    Elements.put(t, buf.memoryAddress() + (long) i * t.byteSize(), VALUES[i]);
                    double expected = Elements.get(t, buf.memoryAddress() + (long) i * t.byteSize());
                    double got = switch (t) {
                        case FLOAT32 -> ((float[]) converted)[i];
                        case FLOAT64 -> ((double[]) converted)[i];
                        case INT64 -> ((long[]) converted)[i];
                        case INT32 -> ((int[]) converted)[i];
                        case UINT8 -> ((byte[]) converted)[i] & 0xFF;
                        case BOOL -> ((byte[]) converted)[i];
                        case FLOAT16, BFLOAT16 -> HalfFloats.toFloat(((short[]) converted)[i], t == DType.BFLOAT16);
                    };
                    assertEquals(expected, got, t + " <- " + VALUES[i]);
                }
            }
        }
    }
}

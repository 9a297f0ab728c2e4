package dev.kiln.backend.cuda;

import dev.kiln.memory.HalfFloats;
import dev.kiln.tensor.DType;
import jcuda.Pointer;

/**
 * Host-side element conversions for the memory kernels, with the CPU backend's rules ({@code dev.kiln.memory.Elements}:
 * C-style casts as Java performs them, bool as {@code != 0}); bytes are little-endian, as on every CUDA host.
 */
final class HostElements {
    private HostElements() {
    }

    /** {@code values} as the Java array type that stores {@code t} ({@code float[]}, {@code long[]}, ...), cast. */
    static Object convert(double[] values, DType t) {
        int n = values.length;
        switch (t) {
            case FLOAT32 -> {
                float[] r = new float[n];
                for (int i = 0; i < n; i++) {
                    r[i] = (float) values[i];
                }
                return r;
            }
            case INT64 -> {
                long[] r = new long[n];
                for (int i = 0; i < n; i++) {
                    r[i] = (long) values[i];
                }
                return r;
            }
            case INT32 -> {
                int[] r = new int[n];
                for (int i = 0; i < n; i++) {
                    r[i] = (int) values[i];
                }
                return r;
            }
            case UINT8, BOOL -> {
                byte[] r = new byte[n];
                for (int i = 0; i < n; i++) {
                    r[i] = t == DType.BOOL ? (byte) (values[i] != 0 ? 1 : 0) : (byte) (long) values[i];
                }
                return r;
            }
            case FLOAT16, BFLOAT16 -> {
                short[] r = new short[n];
                for (int i = 0; i < n; i++) {
                    r[i] = HalfFloats.fromDouble(values[i], t == DType.BFLOAT16);
                }
                return r;
            }
            default -> {
                return values;
            }
        }
    }


    /** A JCuda pointer to a primitive array's elements. */
    static Pointer pointerTo(Object array) {
        if (array instanceof float[] a) {
            return Pointer.to(a);
        } else if (array instanceof double[] a) {
            return Pointer.to(a);
        } else if (array instanceof long[] a) {
            return Pointer.to(a);
        } else if (array instanceof int[] a) {
            return Pointer.to(a);
        } else if (array instanceof byte[] a) {
            return Pointer.to(a);
        } else if (array instanceof short[] a) {
            return Pointer.to(a);
        }
        throw new IllegalArgumentException("not a primitive array of a tensor dtype: "
                + array.getClass().getSimpleName());
    }

    /** One element, as {@code Elements.get} reads it. */
    static double get(DType t, byte[] b) {
        return switch (t) {
            case FLOAT32 -> Float.intBitsToFloat((int) bits(b, 4));
            case FLOAT64 -> Double.longBitsToDouble(bits(b, 8));
            case INT64 -> bits(b, 8);
            case INT32 -> (int) bits(b, 4);
            case UINT8 -> b[0] & 0xFF;
            case BOOL -> b[0] != 0 ? 1 : 0;
            case FLOAT16, BFLOAT16 -> HalfFloats.toFloat((short) bits(b, 2), t == DType.BFLOAT16);
        };
    }

    /** One element, as {@code Elements.getLong} reads it (floating values truncate). */
    static long getLong(DType t, byte[] b) {
        return switch (t) {
            case INT64 -> bits(b, 8);
            case INT32 -> (int) bits(b, 4);
            case UINT8 -> b[0] & 0xFF;
            case BOOL -> b[0] != 0 ? 1 : 0;
            default -> (long) get(t, b);
        };
    }

    /** {@code value} as one element of {@code t}, as {@code Elements.put} writes it. */
    static byte[] encode(DType t, double value) {
        byte[] b = new byte[t.byteSize()];
        switch (t) {
            case FLOAT32 -> put(b, Float.floatToRawIntBits((float) value), 4);
            case FLOAT64 -> put(b, Double.doubleToRawLongBits(value), 8);
            case INT64 -> put(b, (long) value, 8);
            case INT32 -> put(b, (int) value, 4);
            case UINT8 -> b[0] = (byte) (long) value;
            case BOOL -> b[0] = (byte) (value != 0 ? 1 : 0);
            case FLOAT16, BFLOAT16 -> put(b, HalfFloats.fromDouble(value, t == DType.BFLOAT16), 2);
        }
        return b;
    }

    private static long bits(byte[] b, int n) {
        long v = 0;
        for (int i = n - 1; i >= 0; i--) {
            v = (v << 8) | (b[i] & 0xFF);
        }
        return v;
    }

    private static void put(byte[] b, long v, int n) {
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (v >>> (8 * i));
        }
    }
}

package dev.kiln.data;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;

/**
 * PLAIN, BYTE_STREAM_SPLIT and RLE (boolean) value decoding (parquet-format Encodings.md). Reads little-endian
 * numbers through byte-array {@link VarHandle}s, which are bounds-checked by the JVM; the explicit size checks
 * before each loop turn a short page into a clear {@link ParquetFormatException} instead.
 */
final class PlainValues {
    static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    static final VarHandle FLOAT = MethodHandles.byteArrayViewVarHandle(float[].class, ByteOrder.LITTLE_ENDIAN);
    static final VarHandle DOUBLE = MethodHandles.byteArrayViewVarHandle(double[].class, ByteOrder.LITTLE_ENDIAN);
    /** Julian day number of 1970-01-01: INT96 timestamps count days from the Julian epoch. */
    static final long JULIAN_UNIX_EPOCH = 2_440_588L;
    static final long MICROS_PER_DAY = 86_400_000_000L;

    private PlainValues() {
    }

    /** Bytes each PLAIN value takes (0 for BYTE_ARRAY, whose values carry their own lengths; BOOLEAN is 1 bit). */
    static int width(PrimitiveTypeName type, int typeLength) {
        return switch (type) {
            case INT32, FLOAT -> 4;
            case INT64, DOUBLE -> 8;
            case INT96 -> 12;
            case FIXED_LEN_BYTE_ARRAY -> typeLength;
            case BOOLEAN, BINARY -> 0;
        };
    }

    private static void need(long bytes, int pos, int end, int k, String what) {
        if (bytes > end - pos) {
            throw new ParquetFormatException(what + ": " + k + " values need " + bytes + " bytes, the page has "
                    + (end - pos));
        }
    }

    /** Decodes {@code k} PLAIN values from {@code a[pos, end)}; returns the position after them. */
    static int plain(PrimitiveTypeName type, int typeLength, byte[] a, int pos, int end, int k, Values out,
                     String what) {
        out.reset(Values.kindOf(type), k);
        switch (type) {
            case BOOLEAN -> {
                need((k + 7L) / 8, pos, end, k, what);
                for (int i = 0; i < k; i++) {
                    out.longs[i] = (a[pos + (i >>> 3)] >>> (i & 7)) & 1;
                }
                return pos + (k + 7) / 8;
            }
            case INT32 -> {
                need(4L * k, pos, end, k, what);
                for (int i = 0; i < k; i++) {
                    out.longs[i] = (int) INT.get(a, pos + 4 * i);
                }
                return pos + 4 * k;
            }
            case INT64 -> {
                need(8L * k, pos, end, k, what);
                for (int i = 0; i < k; i++) {
                    out.longs[i] = (long) LONG.get(a, pos + 8 * i);
                }
                return pos + 8 * k;
            }
            case INT96 -> {
                need(12L * k, pos, end, k, what);
                for (int i = 0; i < k; i++) {
                    out.longs[i] = int96Micros((long) LONG.get(a, pos + 12 * i), (int) INT.get(a, pos + 12 * i + 8),
                            what);
                }
                return pos + 12 * k;
            }
            case FLOAT -> {
                need(4L * k, pos, end, k, what);
                for (int i = 0; i < k; i++) {
                    out.floats[i] = (float) FLOAT.get(a, pos + 4 * i);
                }
                return pos + 4 * k;
            }
            case DOUBLE -> {
                need(8L * k, pos, end, k, what);
                for (int i = 0; i < k; i++) {
                    out.doubles[i] = (double) DOUBLE.get(a, pos + 8 * i);
                }
                return pos + 8 * k;
            }
            case FIXED_LEN_BYTE_ARRAY -> {
                if (typeLength < 0) {
                    throw new ParquetFormatException(what + ": negative fixed length " + typeLength);
                }
                need((long) typeLength * k, pos, end, k, what);
                out.bytes = a;
                for (int i = 0; i < k; i++) {
                    out.starts[i] = pos + typeLength * i;
                    out.lens[i] = typeLength;
                }
                return pos + typeLength * k;
            }
            case BINARY -> {
                out.bytes = a;
                int p = pos;
                for (int i = 0; i < k; i++) {
                    need(4, p, end, k, what);
                    int len = (int) INT.get(a, p);
                    p += 4;
                    if (len < 0 || len > end - p) {
                        throw new ParquetFormatException(what + ": value " + i + " claims " + len + " bytes, "
                                + (end - p) + " are left in the page");
                    }
                    out.starts[i] = p;
                    out.lens[i] = len;
                    p += len;
                }
                return p;
            }
            default -> throw new AssertionError(type);
        }
    }

    /** An INT96 timestamp (nanoseconds of the day, then the Julian day) as microseconds since 1970-01-01 UTC. */
    static long int96Micros(long nanosOfDay, int julianDay, String what) {
        try {
            return Math.addExact(Math.multiplyExact(julianDay - JULIAN_UNIX_EPOCH, MICROS_PER_DAY),
                    Math.floorDiv(nanosOfDay, 1000L));
        } catch (ArithmeticException e) {
            throw new ParquetFormatException(what + ": INT96 timestamp (Julian day " + julianDay + ") does not fit "
                    + "int64 microseconds");
        }
    }

    /**
     * BYTE_STREAM_SPLIT: byte {@code b} of value {@code i} is at {@code b * k + i} (defined for FLOAT, DOUBLE, INT32,
     * INT64 and FIXED_LEN_BYTE_ARRAY). Returns the position after the section.
     */
    static int byteStreamSplit(PrimitiveTypeName type, int typeLength, byte[] a, int pos, int end, int k,
                               Values out, String what) {
        int w = width(type, typeLength);
        if (!(w > 0 && type != PrimitiveTypeName.INT96)) {
            throw new ParquetFormatException(what + ": BYTE_STREAM_SPLIT is not "
                    + "defined for " + type);
        }
        need((long) w * k, pos, end, k, what);
        out.reset(Values.kindOf(type), k);
        if (type == PrimitiveTypeName.FIXED_LEN_BYTE_ARRAY) {
            byte[] joined = new byte[w * k]; // values are not contiguous in the page: reassemble them
            for (int i = 0; i < k; i++) {
                for (int b = 0; b < w; b++) {
                    joined[i * w + b] = a[pos + b * k + i];
                }
                out.starts[i] = i * w;
                out.lens[i] = w;
            }
            out.bytes = joined;
            return pos + w * k;
        }
        for (int i = 0; i < k; i++) {
            long bits = 0;
            for (int b = 0; b < w; b++) {
                bits |= (long) (a[pos + b * k + i] & 0xff) << (8 * b);
            }
            switch (type) {
                case FLOAT -> out.floats[i] = Float.intBitsToFloat((int) bits);
                case DOUBLE -> out.doubles[i] = Double.longBitsToDouble(bits);
                case INT32 -> out.longs[i] = (int) bits;
                default -> out.longs[i] = bits;
            }
        }
        return pos + w * k;
    }

    /** RLE booleans (data page values): a 4-byte length, then the hybrid encoding with bit width 1. */
    static int rleBooleans(byte[] a, int pos, int end, int k, Values out, String what) {
        need(4, pos, end, k, what);
        int len = (int) INT.get(a, pos);
        if (!(len >= 0 && len <= end - pos - 4)) {
            throw new ParquetFormatException(what + ": RLE section of " + len
                    + " bytes, the page has " + (end - pos - 4));
        }
        int[] bits = new int[k];
        new Rle(a, pos + 4, pos + 4 + len, 1, what).decode(bits, 0, k);
        out.reset(Values.Kind.LONG, k);
        for (int i = 0; i < k; i++) {
            out.longs[i] = bits[i];
        }
        return pos + 4 + len;
    }
}

package dev.kiln.data;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Locale;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.LogicalTypeAnnotation.DecimalLogicalTypeAnnotation;
import org.apache.parquet.schema.LogicalTypeAnnotation.IntLogicalTypeAnnotation;
import org.apache.parquet.schema.LogicalTypeAnnotation.TimeLogicalTypeAnnotation;
import org.apache.parquet.schema.LogicalTypeAnnotation.TimeUnit;
import org.apache.parquet.schema.LogicalTypeAnnotation.TimestampLogicalTypeAnnotation;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;

/**
 * What a Parquet leaf holds and how its values become numbers (the table in {@link ParquetDataset}'s javadoc):
 *
 * <ul>
 *   <li>integers (INT32/INT64, INT_8..INT_64, UINT_8..UINT_64 read as unsigned), BOOLEAN (0/1), DATE (days since
 *       1970-01-01): the value itself;</li>
 *   <li>DECIMAL(p, s) of any physical type (INT32, INT64, FIXED_LEN_BYTE_ARRAY, BINARY):
 *       {@code unscaled / 10^s}, computed in float64;</li>
 *   <li>TIMESTAMP (MILLIS, MICROS, NANOS, and INT96): seconds since 1970-01-01 as a float, or microseconds as
 *       int64; TIME: seconds (float) or microseconds (int64) since midnight;</li>
 *   <li>FLOAT/DOUBLE/FLOAT16: the value (rounded to float32 if asked).</li>
 * </ul>
 *
 * As int64 ({@code featureDtype(INT64)}), only exact conversions are allowed: integers, booleans, dates, times
 * and timestamps (microseconds; nanoseconds are floored), decimals of scale 0; UINT_64 values of 2^63 or more fail.
 * Strings and other byte arrays are categorical only.
 *
 * @param unitsPerSecond for TIMESTAMP and TIME: 1_000, 1_000_000 or 1_000_000_000 (INT96 is decoded to micros)
 */
record ColumnType(PrimitiveTypeName physical, Logical logical, int typeLength, int scale, long unitsPerSecond) {
    /** The value domains Kiln distinguishes. */
    enum Logical { INT, UINT, BOOLEAN, FLOAT, DOUBLE, FLOAT16, DECIMAL, DATE, TIMESTAMP, TIME, STRING, BYTES }

    private static final double[] POW10 = new double[39];

    static {
        for (int i = 0; i < POW10.length; i++) {
            POW10[i] = Double.parseDouble("1e" + i);
        }
    }

    static ColumnType of(PrimitiveType p) {
        PrimitiveTypeName t = p.getPrimitiveTypeName();
        LogicalTypeAnnotation l = p.getLogicalTypeAnnotation();
        int len = p.getTypeLength();
        if (l instanceof DecimalLogicalTypeAnnotation d) {
            return new ColumnType(t, Logical.DECIMAL, len, d.getScale(), 0);
        }
        if (l instanceof TimestampLogicalTypeAnnotation ts && t == PrimitiveTypeName.INT64) {
            return new ColumnType(t, Logical.TIMESTAMP, len, 0, perSecond(ts.getUnit()));
        }
        if (l instanceof TimeLogicalTypeAnnotation tm && (t == PrimitiveTypeName.INT32 || t == PrimitiveTypeName.INT64)) {
            return new ColumnType(t, Logical.TIME, len, 0, perSecond(tm.getUnit()));
        }
        if (l instanceof IntLogicalTypeAnnotation i && !i.isSigned()) {
            return new ColumnType(t, Logical.UINT, len, 0, 0);
        }
        if (l instanceof LogicalTypeAnnotation.DateLogicalTypeAnnotation && t == PrimitiveTypeName.INT32) {
            return new ColumnType(t, Logical.DATE, len, 0, 0);
        }
        if (l instanceof LogicalTypeAnnotation.Float16LogicalTypeAnnotation && len == 2) {
            return new ColumnType(t, Logical.FLOAT16, len, 0, 0);
        }
        return switch (t) {
            case INT32, INT64 -> new ColumnType(t, Logical.INT, len, 0, 0);
            case INT96 -> new ColumnType(t, Logical.TIMESTAMP, len, 0, 1_000_000L); // decoded to micros
            case BOOLEAN -> new ColumnType(t, Logical.BOOLEAN, len, 0, 0);
            case FLOAT -> new ColumnType(t, Logical.FLOAT, len, 0, 0);
            case DOUBLE -> new ColumnType(t, Logical.DOUBLE, len, 0, 0);
            case BINARY -> new ColumnType(t, l == null ? Logical.BYTES : Logical.STRING, len, 0, 0);
            case FIXED_LEN_BYTE_ARRAY -> new ColumnType(t, Logical.BYTES, len, 0, 0);
        };
    }

    private static long perSecond(TimeUnit u) {
        return switch (u) {
            case MILLIS -> 1_000L;
            case MICROS -> 1_000_000L;
            case NANOS -> 1_000_000_000L;
        };
    }

    /** Convertible to a float feature. */
    boolean numeric() {
        return logical != Logical.STRING && logical != Logical.BYTES;
    }

    /** Convertible to int64 without rounding (see the class comment). */
    boolean exactInt64() {
        return switch (logical) {
            case INT, UINT, BOOLEAN, DATE, TIMESTAMP, TIME -> true;
            case DECIMAL -> scale == 0;
            default -> false;
        };
    }

    /** Usable as a category key: strings and byte arrays by their bytes, exact integers by their int64 value. */
    boolean categorical() {
        return !numeric() || exactInt64();
    }

    /** A short name: {@code int64}, {@code uint8}, {@code decimal(10,2)}, {@code timestamp(MICROS)}, {@code string}. */
    String describe() {
        String phys = physical.name().toLowerCase(Locale.ROOT);
        return switch (logical) {
            case DECIMAL -> "decimal(scale " + scale + ", " + phys + ")";
            case TIMESTAMP -> physical == PrimitiveTypeName.INT96 ? "int96 timestamp" : "timestamp(" + unit() + ")";
            case TIME -> "time(" + unit() + ")";
            case UINT -> "unsigned " + phys;
            case DATE -> "date";
            case FLOAT16 -> "float16";
            case STRING -> "string";
            case BYTES -> physical == PrimitiveTypeName.FIXED_LEN_BYTE_ARRAY ? "fixed_len_byte_array(" + typeLength
                    + ")" : "binary";
            default -> phys;
        };
    }

    private String unit() {
        return unitsPerSecond == 1_000L ? "MILLIS" : unitsPerSecond == 1_000_000L ? "MICROS" : "NANOS";
    }

    /** Converts {@code v[0, n)} into {@code out} ({@code float[]}, {@code double[]} or {@code long[]} per lane). */
    void convert(Values v, int n, Lane lane, Object out, String what) {
        switch (lane) {
            case F32 -> {
                float[] o = (float[]) out;
                if (v.kind == Values.Kind.FLOAT) {
                    System.arraycopy(v.floats, 0, o, 0, n);
                } else if (v.kind == Values.Kind.LONG && plainInteger()) {
                    for (int i = 0; i < n; i++) {
                        o[i] = v.longs[i]; // exact up to 2^24, then rounded to nearest
                    }
                } else {
                    for (int i = 0; i < n; i++) {
                        o[i] = (float) toDouble(v, i, what);
                    }
                }
            }
            case F64 -> {
                double[] o = (double[]) out;
                for (int i = 0; i < n; i++) {
                    o[i] = toDouble(v, i, what);
                }
            }
            case I64 -> {
                long[] o = (long[]) out;
                for (int i = 0; i < n; i++) {
                    o[i] = toLong(v, i, what);
                }
            }
        }
    }

    /** Signed integers, booleans and dates: the long value is the number. */
    private boolean plainInteger() {
        return logical == Logical.INT || logical == Logical.BOOLEAN || logical == Logical.DATE;
    }

    double toDouble(Values v, int i, String what) {
        return switch (v.kind) {
            case FLOAT -> v.floats[i];
            case DOUBLE -> v.doubles[i];
            case LONG -> longToDouble(v.longs[i]);
            case BINARY -> binaryToDouble(v.bytes, v.starts[i], v.lens[i], what);
        };
    }

    private double longToDouble(long x) {
        return switch (logical) {
            case UINT -> physical == PrimitiveTypeName.INT32 ? (double) (x & 0xffff_ffffL) : unsignedToDouble(x);
            case DECIMAL -> x / POW10[Math.min(scale, 38)];
            case TIMESTAMP, TIME -> x / (double) unitsPerSecond;
            default -> x;
        };
    }

    static double unsignedToDouble(long x) {
        return x >= 0 ? x : ((double) ((x >>> 1) | (x & 1))) * 2.0;
    }

    private double binaryToDouble(byte[] a, int start, int len, String what) {
        if (logical == Logical.FLOAT16) {
            return halfToFloat((a[start] & 0xff) | (a[start + 1] & 0xff) << 8);
        }
        if (logical != Logical.DECIMAL) {
            throw new ParquetDataException(what + ": " + describe() + " values are not numbers");
        }
        if (len <= 8) {
            return bigEndian(a, start, len) / POW10[Math.min(scale, 38)];
        }
        return new BigDecimal(new BigInteger(a, start, len), scale).doubleValue();
    }

    long toLong(Values v, int i, String what) {
        if (v.kind == Values.Kind.BINARY) { // a decimal of scale 0 in bytes (build() allows no other)
            int len = v.lens[i];
            if (len <= 8) {
                return bigEndian(v.bytes, v.starts[i], len);
            }
            BigInteger b = new BigInteger(v.bytes, v.starts[i], len);
            if (b.bitLength() > 63) {
                throw new ParquetDataException(what + ": decimal " + b + " does not fit int64");
            }
            return b.longValue();
        }
        long x = v.longs[i];
        return switch (logical) {
            case UINT -> {
                if (physical == PrimitiveTypeName.INT32) {
                    yield x & 0xffff_ffffL;
                }
                if (x < 0) {
                    throw new ParquetDataException(what + ": unsigned value " + Long.toUnsignedString(x)
                            + " does not fit int64");
                }
                yield x;
            }
            case TIMESTAMP, TIME -> toMicros(x, what);
            default -> x;
        };
    }

    private long toMicros(long x, String what) {
        if (unitsPerSecond == 1_000L) {
            try {
                return Math.multiplyExact(x, 1000L);
            } catch (ArithmeticException e) {
                throw new ParquetDataException(what + ": " + x + " ms does not fit int64 microseconds");
            }
        }
        return unitsPerSecond == 1_000_000_000L ? Math.floorDiv(x, 1000L) : x;
    }

    /** A big-endian two's-complement integer of 1 to 8 bytes (0 bytes: 0). */
    static long bigEndian(byte[] a, int start, int len) {
        if (len == 0) {
            return 0;
        }
        long v = a[start]; // sign-extends the first byte
        for (int k = 1; k < len; k++) {
            v = (v << 8) | (a[start + k] & 0xff);
        }
        return v;
    }

    /** IEEE 754 binary16 to float (Parquet FLOAT16 is little-endian). */
    static float halfToFloat(int h) {
        int sign = (h & 0x8000) << 16;
        int exp = (h >>> 10) & 0x1f;
        int mant = h & 0x3ff;
        if (exp == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f80_0000 | mant << 13);
        }
        if (exp == 0) {
            float f = mant * 0x1p-24f; // subnormal (or zero)
            return sign == 0 ? f : -f;
        }
        return Float.intBitsToFloat(sign | (exp + 112) << 23 | mant << 13);
    }
}

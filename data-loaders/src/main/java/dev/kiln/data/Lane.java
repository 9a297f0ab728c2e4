package dev.kiln.data;

import dev.kiln.tensor.DType;

/**
 * The element type a decoded column is stored as, and the Java array a page's converted values pass through
 * ({@code float[]}, {@code double[]} or {@code long[]}) on their way into Arrow memory.
 */
enum Lane {
    F32(4, DType.FLOAT32),
    F64(8, DType.FLOAT64),
    I64(8, DType.INT64);

    final int width;
    final DType dtype;

    Lane(int width, DType dtype) {
        this.width = width;
        this.dtype = dtype;
    }

    static Lane of(DType dtype) {
        for (Lane l : values()) {
            if (l.dtype == dtype) {
                return l;
            }
        }
        throw new IllegalArgumentException("Parquet features can be float32, float64 or int64, not "
                + dtype.torchName());
    }

    /** A Java array of this lane's type with room for {@code n} values (reusing {@code old} if big enough). */
    Object array(Object old, int n) {
        return switch (this) {
            case F32 -> old instanceof float[] f && f.length >= n ? old : new float[n];
            case F64 -> old instanceof double[] d && d.length >= n ? old : new double[n];
            case I64 -> old instanceof long[] l && l.length >= n ? old : new long[n];
        };
    }
}

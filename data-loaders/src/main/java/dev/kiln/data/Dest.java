package dev.kiln.data;

import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.util.MemoryUtil;

/**
 * Where decoded values go: one column of a row-major {@code [rows, stride]} matrix in an Arrow buffer (a scalar
 * column is column {@code col} of the features or categories matrix; a list column is the whole matrix, stride 1).
 * The ONLY place the Parquet decoders write native memory, and every write range is checked here against what
 * was allocated, once per page or run, before the unchecked stores: however a file lies about its rows, values or
 * list lengths, it gets a {@link ParquetFormatException}, never a write outside the buffer.
 */
final class Dest {
    private final ArrowBuf buf;
    private final long addr;
    /** Elements of {@code width} bytes the buffer holds ({@code rows * stride}). */
    final long capacity;
    final int width;
    final int stride;
    final int col;

    Dest(ArrowBuf buf, long capacity, int width, int stride, int col) {
        if (capacity < 0 || capacity * width > buf.capacity() || col < 0 || col >= Math.max(stride, 1)) {
            throw new IllegalStateException("destination of " + capacity + " x " + width + " bytes, column " + col
                    + " of " + stride + ", does not fit a buffer of " + buf.capacity() + " bytes");
        }
        this.buf = buf;
        this.addr = buf.memoryAddress();
        this.capacity = capacity;
        this.width = width;
        this.stride = stride;
        this.col = col;
    }

    /** Elements {@code [first, first + count)} of a list column (stride 1): checked, then their address. */
    long elements(long first, long count, String what) {
        if (first < 0 || count < 0 || first + count > capacity) {
            throw new ParquetFormatException(what + " writes elements [" + first + ", " + (first + count)
                    + ") but the column holds " + capacity + " (its rows in the footer times its list length)");
        }
        return addr + first * width;
    }

    /** Rows {@code [first, first + count)} of this column: checked against the allocated rows. */
    void checkRows(long first, long count, String what) {
        long rows = capacity / Math.max(stride, 1);
        if (first < 0 || count < 0 || first + count > rows) {
            throw new ParquetFormatException(what + " holds rows [" + first + ", " + (first + count)
                    + ") but the footer declares " + rows);
        }
    }

    /** The address of (row, col); the caller has checked the row with {@link #checkRows}. */
    long at(long row) {
        return addr + (row * stride + col) * width;
    }

    /** Stores {@code v[0, n)} into rows {@code first...}: float32 (width 4). */
    void putFloats(long first, float[] v, int n, String what) {
        checkRows(first, n, what);
        long step = (long) stride * 4;
        long p = at(first);
        for (int i = 0; i < n; i++, p += step) {
            MemoryUtil.putInt(p, Float.floatToRawIntBits(v[i]));
        }
    }

    /** Stores {@code v[0, n)} into rows {@code first...}: float64 (width 8). */
    void putDoubles(long first, double[] v, int n, String what) {
        checkRows(first, n, what);
        long step = (long) stride * 8;
        long p = at(first);
        for (int i = 0; i < n; i++, p += step) {
            MemoryUtil.putLong(p, Double.doubleToRawLongBits(v[i]));
        }
    }

    /** Stores {@code v[0, n)} into rows {@code first...}: int64 (width 8). */
    void putLongs(long first, long[] v, int n, String what) {
        checkRows(first, n, what);
        long step = (long) stride * 8;
        long p = at(first);
        for (int i = 0; i < n; i++, p += step) {
            MemoryUtil.putLong(p, v[i]);
        }
    }

    /** Stores lane values {@code v[0, n)} (float[], double[] or long[] per {@link Lane}) into rows {@code first...}. */
    void put(Lane lane, Object v, long first, int n, String what) {
        switch (lane) {
            case F32 -> putFloats(first, (float[]) v, n, what);
            case F64 -> putDoubles(first, (double[]) v, n, what);
            case I64 -> putLongs(first, (long[]) v, n, what);
        }
    }

    /**
     * Stores {@code v[k]} at row {@code firstRow + rows[k]} for {@code k < n}: the defined values of a page with
     * nulls. Each row is checked (one compare per value: pages with nulls are not the fast path).
     */
    void scatter(Lane lane, Object v, int[] rows, long firstRow, int n, String what) {
        long limit = capacity / Math.max(stride, 1);
        for (int k = 0; k < n; k++) {
            long row = firstRow + rows[k];
            if (row < 0 || row >= limit) {
                throw new ParquetFormatException(what + " holds row " + row + " but the footer declares " + limit);
            }
            long p = at(row);
            switch (lane) {
                case F32 -> MemoryUtil.putInt(p, Float.floatToRawIntBits(((float[]) v)[k]));
                case F64 -> MemoryUtil.putLong(p, Double.doubleToRawLongBits(((double[]) v)[k]));
                case I64 -> MemoryUtil.putLong(p, ((long[]) v)[k]);
            }
        }
    }

    /** Stores element {@code k} of lane array {@code v} at element {@code at} (a list value outside a whole page run). */
    void putOne(Lane lane, long at, Object v, int k, String what) {
        putBits(at, switch (lane) {
            case F32 -> Float.floatToRawIntBits(((float[]) v)[k]);
            case F64 -> Double.doubleToRawLongBits(((double[]) v)[k]);
            case I64 -> ((long[]) v)[k];
        }, what);
    }

    /** Stores raw bits (the low {@code width} bytes) at element {@code at}, checked. */
    void putBits(long at, long bits, String what) {
        long p = elements(at, 1, what);
        if (width == 8) {
            MemoryUtil.putLong(p, bits);
        } else {
            MemoryUtil.putInt(p, (int) bits);
        }
    }

    /** Copies {@code bytes} bytes of {@code src} from {@code off} to elements {@code [at, ...)}, checked. */
    void copy(long at, byte[] src, int off, int bytes, String what) {
        if (off < 0 || bytes < 0 || bytes % width != 0 || (long) off + bytes > src.length) {
            throw new ParquetFormatException(what + ": " + bytes + " bytes at " + off + " of a " + src.length
                    + "-byte page");
        }
        long p = elements(at, bytes / width, what);
        MemoryUtil.copyToMemory(src, off, p, bytes);
    }

    /** Stores {@code 0} (the unknown/null category, or a dropped row's placeholder) at row {@code row}. */
    void putZero(long row, String what) {
        checkRows(row, 1, what);
        long p = at(row);
        if (width == 8) {
            MemoryUtil.putLong(p, 0);
        } else {
            MemoryUtil.putInt(p, 0);
        }
    }
}

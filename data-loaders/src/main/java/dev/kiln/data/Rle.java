package dev.kiln.data;

import java.util.Arrays;
import org.apache.arrow.memory.util.MemoryUtil;

/**
 * THE decoder of Parquet's RLE / bit-packing hybrid (levels, dictionary ids, RLE booleans): one header parser, one
 * varint reader and one bounds policy for every caller. Spec (parquet-format Encodings.md, "Run Length Encoding /
 * Bit-Packing Hybrid"): {@code header = ULEB128 varint}; even: a run of {@code header >>> 1} copies of one value
 * stored in {@code ceil(bitWidth / 8)} little-endian bytes; odd: {@code header >>> 1} groups of 8 values,
 * bit-packed LSB first.
 *
 * <p>Bounds policy: the stream is {@code a[pos, end)} and nothing outside it is read; a header that runs past the
 * end, a run value wider than {@code bitWidth}, or a stream that ends before the values asked for is a
 * {@link ParquetFormatException} (never a silent short read). The one leniency writers need: a final bit-packed
 * run may be cut short as long as every value actually consumed is inside the stream. Runs are consumed in bulk
 * (a row of 784 floats has 783 equal repetition levels: one run, not 783 values), which is what makes page
 * decoding cheap; the consumers below ({@link #decode}, {@link #allEqual}, {@link #uniformRows},
 * {@link #lookup}) all walk runs, not values.
 */
final class Rle {
    private final byte[] a;
    private int pos;
    private final int end;
    private final int bitWidth;
    private final int mask;
    /** Values left in the current run. */
    private int left;
    private boolean packed;
    /** The current RLE run's value, or the bit position of the next value of the current packed run. */
    private int value;
    private long bit;
    private final String what;

    /** A stream of {@code bitWidth}-bit values in {@code a[pos, end)}; {@code what} names it in errors. */
    Rle(byte[] a, int pos, int end, int bitWidth, String what) {
        if (!(bitWidth >= 0 && bitWidth <= 32)) {
            throw new ParquetFormatException(what + ": bit width " + bitWidth
                    + " outside [0, 32]");
        }
        if (!(pos >= 0 && pos <= end && end <= a.length)) {
            throw new ParquetFormatException(what + ": stream [" + pos + ", "
                    + end + ") outside its page of " + a.length + " bytes");
        }
        this.a = a;
        this.pos = pos;
        this.end = end;
        this.bitWidth = bitWidth;
        this.mask = bitWidth == 32 ? -1 : (1 << bitWidth) - 1;
        this.what = what;
    }

    /** Where the stream's reader is: after the last run header or value byte consumed. */
    int position() {
        return pos;
    }

    /** Reads the next run header (and an RLE run's value); zero-length runs are legal and skipped by callers. */
    private void nextRun() {
        long header = varint();
        if ((header & 1) == 0) {
            int bytes = (bitWidth + 7) / 8;
            if (end - pos < bytes) {
                throw new ParquetFormatException(what + ": RLE run value past the end of the stream");
            }
            int v = 0;
            for (int b = 0; b < bytes; b++) {
                v |= (a[pos++] & 0xff) << (8 * b);
            }
            if (!(bitWidth == 32 || (v & ~mask) == 0)) {
                throw new ParquetFormatException(what + ": RLE run value " + v
                        + " does not fit in " + bitWidth + " bits");
            }
            left = (int) Math.min(header >>> 1, Integer.MAX_VALUE);
            value = v;
            packed = false;
            return;
        }
        long groups = header >>> 1;
        long bytes = groups * bitWidth;
        long available = end - pos;
        long values = groups * 8;
        if (bytes > available) { // a truncated final run: only the values wholly inside the stream exist
            values = bitWidth == 0 ? values : available * 8 / bitWidth;
            bytes = available;
        }
        left = (int) Math.min(values, Integer.MAX_VALUE);
        bit = (long) pos * 8;
        pos += (int) bytes;
        packed = true;
    }

    /** A ULEB128 varint of at most 5 bytes (32 bits). */
    private long varint() {
        long v = 0;
        for (int shift = 0; shift < 35; shift += 7) {
            if (pos >= end) {
                throw new ParquetFormatException(what + ": run header past the end of the stream");
            }
            int b = a[pos++] & 0xff;
            v |= (long) (b & 0x7f) << shift;
            if ((b & 0x80) == 0) {
                if (v > 0xffff_ffffL) {
                    throw new ParquetFormatException(what + ": run header " + v + " exceeds 32 bits");
                }
                return v;
            }
        }
        throw new ParquetFormatException(what + ": run header varint longer than 5 bytes");
    }

    /** Makes a non-empty run current, or fails: {@code done} of {@code count} values were read so far. */
    private void ensureRun(long done, long count) {
        while (left == 0) {
            if (pos >= end) {
                throw new ParquetFormatException(what + ": stream ends after " + done + " of " + count
                        + " values");
            }
            nextRun();
        }
    }

    /** Decodes the next {@code count} values into {@code out[at, at + count)}. */
    void decode(int[] out, int at, int count) {
        int done = 0;
        while (done < count) {
            ensureRun(done, count);
            int n = Math.min(left, count - done);
            if (packed) {
                unpack(out, at + done, n);
            } else {
                Arrays.fill(out, at + done, at + done + n, value);
            }
            left -= n;
            done += n;
        }
    }

    /** Unpacks {@code n} values of the current packed run into {@code out[at, at + n)}. */
    private void unpack(int[] out, int at, int n) {
        if (bitWidth == 0) {
            Arrays.fill(out, at, at + n, 0);
            return;
        }
        if (bitWidth == 8) {
            int p = (int) (bit >>> 3);
            for (int i = 0; i < n; i++) {
                out[at + i] = a[p + i] & 0xff;
            }
            bit += 8L * n;
            return;
        }
        int p = (int) (bit >>> 3);
        int shift = (int) (bit & 7);
        long acc = (a[p++] & 0xff) >>> shift;
        int bits = 8 - shift;
        for (int i = 0; i < n; i++) {
            while (bits < bitWidth) {
                acc |= (long) (a[p++] & 0xff) << bits;
                bits += 8;
            }
            out[at + i] = (int) acc & mask;
            acc >>>= bitWidth;
            bits -= bitWidth;
        }
        bit += (long) bitWidth * n;
    }

    /** True if the next {@code count} values all equal {@code v} (consumes them; stops early on the first other). */
    boolean allEqual(int count, int v) {
        int[] scratch = null;
        int done = 0;
        while (done < count) {
            ensureRun(done, count);
            int n = Math.min(left, count - done);
            if (!packed) {
                if (value != v) {
                    return false;
                }
            } else {
                scratch = scratch == null ? new int[256] : scratch;
                for (int k = 0; k < n; k += scratch.length) {
                    int m = Math.min(scratch.length, n - k);
                    unpack(scratch, 0, m);
                    for (int i = 0; i < m; i++) {
                        if (scratch[i] != v) {
                            return false;
                        }
                    }
                }
            }
            left -= n;
            done += n;
        }
        return true;
    }

    /**
     * True if the next {@code count} repetition levels are {@code count / n} rows of {@code [0, 1 × (n - 1)]}: every
     * row starts here and holds exactly n entries (the uniform {@code list<T>} page). Consumes the levels.
     */
    boolean uniformRows(int count, int n) {
        if (n <= 0 || count % n != 0) {
            return false;
        }
        int[] scratch = null;
        int inRow = 0; // entries of the current row so far; 0 before the first row
        int done = 0;
        while (done < count) {
            ensureRun(done, count);
            int len = Math.min(left, count - done);
            if (!packed) {
                if (value == 0) {
                    if (inRow != 0 && inRow != n || len > 1 && n != 1) {
                        return false;
                    }
                    inRow = len > 1 ? n : 1; // n == 1: a run of rows of one entry each
                } else if (value != 1 || inRow == 0 || inRow + len > n) {
                    return false;
                } else {
                    inRow += len;
                }
            } else {
                scratch = scratch == null ? new int[256] : scratch;
                for (int k = 0; k < len; k += scratch.length) {
                    int m = Math.min(scratch.length, len - k);
                    unpack(scratch, 0, m);
                    for (int i = 0; i < m; i++) {
                        if (scratch[i] == 0) {
                            if (inRow != 0 && inRow != n) {
                                return false;
                            }
                            inRow = 1;
                        } else if (scratch[i] != 1 || inRow == 0 || ++inRow > n) {
                            return false;
                        }
                    }
                }
            }
            left -= len;
            done += len;
        }
        return inRow == n;
    }

    /**
     * Dictionary lookup fused with decoding: stores {@code table[id]} for the next {@code count} ids as 4-byte values
     * at {@code addr, addr + 4, ...}. The CALLER has checked that {@code [addr, addr + 4 * count)} lies inside the
     * buffer it allocated (see {@link Dest}); an id outside the table fails through the Java array bound check,
     * before any store of that value.
     */
    void lookup(int count, int[] table, long addr) {
        int done = 0;
        try {
            while (done < count) {
                ensureRun(done, count);
                int n = Math.min(left, count - done);
                long at = addr + 4L * done;
                if (!packed) {
                    int bits = table[value];
                    for (int k = 0; k < n; k++) {
                        MemoryUtil.putInt(at + 4L * k, bits);
                    }
                } else if (bitWidth == 8) {
                    int p = (int) (bit >>> 3);
                    for (int k = 0; k < n; k++) {
                        MemoryUtil.putInt(at + 4L * k, table[a[p + k] & 0xff]);
                    }
                    bit += 8L * n;
                } else {
                    lookupPacked(n, table, at);
                }
                left -= n;
                done += n;
            }
        } catch (ArrayIndexOutOfBoundsException e) {
            throw new ParquetFormatException(what + ": dictionary id out of range [0, " + table.length + ")", e);
        }
    }

    private void lookupPacked(int n, int[] table, long at) {
        int p = (int) (bit >>> 3);
        int shift = (int) (bit & 7);
        long acc = bitWidth == 0 ? 0 : (a[p++] & 0xff) >>> shift;
        int bits = bitWidth == 0 ? 0 : 8 - shift;
        for (int k = 0; k < n; k++) {
            while (bits < bitWidth) {
                acc |= (long) (a[p++] & 0xff) << bits;
                bits += 8;
            }
            MemoryUtil.putInt(at + 4L * k, table[(int) acc & mask]);
            acc >>>= bitWidth;
            bits -= bitWidth;
        }
        bit += (long) bitWidth * n;
    }
}

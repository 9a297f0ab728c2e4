package dev.kiln.data;

/**
 * The DELTA encodings (parquet-format Encodings.md): DELTA_BINARY_PACKED integers, DELTA_LENGTH_BYTE_ARRAY and
 * DELTA_BYTE_ARRAY strings. Every count, width and length in a header is checked before it sizes anything: a
 * page's header must promise exactly the values the page holds, bit widths are at most 64, lengths are
 * non-negative and inside the page, and prefixes are no longer than the value they extend.
 */
final class DeltaValues {
    /** Largest page of strings DELTA_BYTE_ARRAY may rebuild (prefixes can repeat bytes: it can exceed the page). */
    static final int MAX_REBUILT_BYTES = 512 << 20;

    private DeltaValues() {
    }

    /** A reader of ULEB128 / zigzag varints over {@code a[pos, end)}. */
    private static final class Cursor {
        final byte[] a;
        int pos;
        final int end;
        final String what;

        Cursor(byte[] a, int pos, int end, String what) {
            this.a = a;
            this.pos = pos;
            this.end = end;
            this.what = what;
        }

        long uleb() {
            long v = 0;
            for (int shift = 0; shift < 70; shift += 7) {
                if (pos >= end) {
                    throw new ParquetFormatException(what + ": header past the end of the page");
                }
                int b = a[pos++] & 0xff;
                v |= (long) (b & 0x7f) << shift;
                if ((b & 0x80) == 0) {
                    return v;
                }
            }
            throw new ParquetFormatException(what + ": varint longer than 10 bytes");
        }

        long zigzag() {
            long v = uleb();
            return (v >>> 1) ^ -(v & 1);
        }

        /** An unsigned varint that must lie in [lo, hi]. */
        int bounded(long lo, long hi, String name) {
            long v = uleb();
            if (v < lo || v > hi) {
                throw new ParquetFormatException(what + ": " + name + " " + v + " outside [" + lo + ", " + hi + "]");
            }
            return (int) v;
        }
    }

    /**
     * Decodes a DELTA_BINARY_PACKED stream holding exactly {@code k} values into {@code out[0, k)} (64-bit
     * wrapping arithmetic, as the spec requires); returns the position after the stream.
     */
    static int binaryPacked(byte[] a, int pos, int end, int k, long[] out, String what) {
        Cursor c = new Cursor(a, pos, end, what);
        int blockSize = c.bounded(128, 1 << 20, "block size");
        int miniBlocks = c.bounded(1, blockSize / 32, "miniblocks per block");
        if (!(blockSize % 128 == 0 && blockSize % miniBlocks == 0
                    && (blockSize / miniBlocks) % 32 == 0)) {
            throw new ParquetFormatException(what + ": block size " + blockSize + " with " + miniBlocks
                    + " miniblocks (the spec wants multiples of 128 and of 32 per miniblock)");
        }
        long total = c.uleb();
        if (total != k) {
            throw new ParquetFormatException(what + ": header promises " + total + " values, the page holds "
                    + k);
        }
        long prev = c.zigzag();
        if (k == 0) {
            return c.pos;
        }
        out[0] = prev;
        int done = 1;
        int miniSize = blockSize / miniBlocks;
        while (done < k) {
            long minDelta = c.zigzag();
            if (end - c.pos < miniBlocks) {
                throw new ParquetFormatException(what + ": miniblock bit widths past the end of "
                        + "the page");
            }
            int widths = c.pos;
            c.pos += miniBlocks;
            for (int m = 0; m < miniBlocks && done < k; m++) {
                int w = a[widths + m] & 0xff;
                if (w > 64) {
                    throw new ParquetFormatException(what + ": miniblock bit width " + w + " exceeds 64");
                }
                int n = Math.min(miniSize, k - done);
                long bytes = (long) miniSize * w / 8;
                long left = end - c.pos;
                if (bytes > left) { // the stream's last miniblock may stop after its last value
                    if (((long) n * w + 7) / 8 > left) {
                        throw new ParquetFormatException(what + ": miniblock of " + n
                                + " values at " + w + " bits past the end of the page");
                    }
                    bytes = left;
                }
                long bit = (long) c.pos * 8;
                for (int i = 0; i < n; i++, bit += w) {
                    prev += minDelta + bits(a, bit, w);
                    out[done + i] = prev;
                }
                done += n;
                c.pos += (int) bytes;
            }
        }
        return c.pos;
    }

    /** The {@code w}-bit little-endian value (LSB first) at bit {@code bit} of {@code a}, {@code w <= 64}. */
    static long bits(byte[] a, long bit, int w) {
        if (w == 0) {
            return 0;
        }
        int p = (int) (bit >>> 3);
        int shift = (int) (bit & 7);
        int nb = Math.min(8, (shift + w + 7) >>> 3);
        long v = 0;
        for (int b = 0; b < nb; b++) {
            v |= (long) (a[p + b] & 0xff) << (8 * b);
        }
        v >>>= shift;
        if (shift + w > 64) {
            v |= (long) (a[p + 8] & 0xff) << (64 - shift);
        }
        return w == 64 ? v : v & ((1L << w) - 1);
    }

    /** DELTA_LENGTH_BYTE_ARRAY: the k lengths (DELTA_BINARY_PACKED), then the values' bytes back to back. */
    static int lengthByteArray(byte[] a, int pos, int end, int k, Values out, String what) {
        long[] lengths = new long[k];
        int p = binaryPacked(a, pos, end, k, lengths, what + " lengths");
        out.reset(Values.Kind.BINARY, k);
        out.bytes = a;
        for (int i = 0; i < k; i++) {
            long len = lengths[i];
            if (len < 0 || len > end - p) {
                throw new ParquetFormatException(what + ": value " + i + " claims " + len + " bytes, " + (end - p)
                        + " are left in the page");
            }
            out.starts[i] = p;
            out.lens[i] = (int) len;
            p += (int) len;
        }
        return p;
    }

    /**
     * DELTA_BYTE_ARRAY: k prefix lengths (DELTA_BINARY_PACKED), then the suffixes (DELTA_LENGTH_BYTE_ARRAY); value
     * {@code i} is the first {@code prefix[i]} bytes of value {@code i - 1} followed by suffix {@code i}. The values
     * are rebuilt into a new array (at most {@link #MAX_REBUILT_BYTES}).
     */
    static int byteArray(byte[] a, int pos, int end, int k, Values out, String what) {
        long[] prefixes = new long[k];
        int p = binaryPacked(a, pos, end, k, prefixes, what + " prefix lengths");
        Values suffixes = new Values();
        int after = lengthByteArray(a, p, end, k, suffixes, what + " suffixes");
        long total = 0;
        long prevLen = 0;
        for (int i = 0; i < k; i++) {
            long pre = prefixes[i];
            if (pre < 0 || pre > prevLen) {
                throw new ParquetFormatException(what + ": value " + i + " reuses " + pre + " bytes of a previous "
                        + "value of " + prevLen);
            }
            prevLen = pre + suffixes.lens[i];
            total += prevLen;
            if (total > MAX_REBUILT_BYTES) {
                throw new ParquetFormatException(what + ": values rebuild to more than "
                        + MAX_REBUILT_BYTES + " bytes");
            }
        }
        byte[] rebuilt = new byte[(int) total];
        out.reset(Values.Kind.BINARY, k);
        int q = 0;
        int prevStart = 0;
        for (int i = 0; i < k; i++) {
            int pre = (int) prefixes[i];
            System.arraycopy(rebuilt, prevStart, rebuilt, q, pre);
            System.arraycopy(a, suffixes.starts[i], rebuilt, q + pre, suffixes.lens[i]);
            out.starts[i] = q;
            out.lens[i] = pre + suffixes.lens[i];
            prevStart = q;
            q += out.lens[i];
        }
        out.bytes = rebuilt;
        return after;
    }
}

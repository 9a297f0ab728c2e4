package dev.kiln.data;

import java.nio.ByteBuffer;

/**
 * Checks of RLE / bit-packed hybrid level streams (parquet-format Encodings.md) run by run, without expanding them
 * into one int per value: a page of 1,000 rows × 784 values is ~2,000 runs, not 784,000 levels. Malformed or
 * truncated streams just fail the check (the general decoder then reports them).
 */
final class LevelRuns {
    private LevelRuns() {
    }

    /** A consumer of decoded runs; returns false to stop (the check failed). */
    private interface Runs {
        boolean run(int value, int length);
    }

    /**
     * True if the repetition levels (bit width 1) are {@code count / n} rows of {@code [0, 1 × (n - 1)]}: every row
     * starts in this page and has exactly n entries.
     */
    static boolean uniformRows(ByteBuffer in, int count, int n) {
        int[] pos = {0}; // entries of the current row so far; 0 before the first row
        return each(in, 1, count, (v, len) -> {
            if (v == 0) {
                if (pos[0] != 0 && pos[0] != n || len > 1 && n != 1) {
                    return false;
                }
                pos[0] = 1;
                return true;
            }
            if (v != 1 || pos[0] == 0 || pos[0] + len > n) {
                return false;
            }
            pos[0] += len;
            return true;
        }) && pos[0] == n;
    }

    /** True if all {@code count} levels of {@code bitWidth} bits equal {@code value}. */
    static boolean allEqual(ByteBuffer in, int bitWidth, int count, int value) {
        return each(in, bitWidth, count, (v, len) -> v == value);
    }

    /** Feeds the first {@code count} values as runs; false if the consumer refused one or the stream is short. */
    private static boolean each(ByteBuffer in, int bitWidth, int count, Runs out) {
        int valueBytes = (bitWidth + 7) / 8;
        int mask = (1 << bitWidth) - 1;
        int done = 0;
        while (done < count) {
            int header = varint(in);
            if (header < 0) {
                return false;
            }
            if ((header & 1) == 0) {
                int run = Math.min(header >>> 1, count - done);
                if (run == 0 || in.remaining() < valueBytes) {
                    return false;
                }
                int v = 0;
                for (int b = 0; b < valueBytes; b++) {
                    v |= (in.get() & 0xff) << (8 * b);
                }
                if (!out.run(v, run)) {
                    return false;
                }
                done += run;
                continue;
            }
            int groups = header >>> 1;
            if (groups == 0 || (long) groups * bitWidth > in.remaining()) {
                return false;
            }
            int take = Math.min(groups * 8, count - done);
            int pos = in.position();
            long acc = 0;
            int bits = 0;
            int runValue = -1;
            int runLength = 0;
            for (int i = 0; i < take; i++) {
                while (bits < bitWidth) {
                    acc |= (long) (in.get(pos++) & 0xff) << bits;
                    bits += 8;
                }
                int v = (int) acc & mask;
                acc >>>= bitWidth;
                bits -= bitWidth;
                if (v == runValue) {
                    runLength++;
                } else {
                    if (runLength > 0 && !out.run(runValue, runLength)) {
                        return false;
                    }
                    runValue = v;
                    runLength = 1;
                }
            }
            if (runLength > 0 && !out.run(runValue, runLength)) {
                return false;
            }
            in.position(in.position() + groups * bitWidth);
            done += take;
        }
        return true;
    }

    /** A ULEB128 varint, or -1 if the stream ends inside it or it does not fit an int. */
    static int varint(ByteBuffer in) {
        int v = 0;
        for (int shift = 0; shift < 32; shift += 7) {
            if (!in.hasRemaining()) {
                return -1;
            }
            int b = in.get() & 0xff;
            v |= (b & 0x7f) << shift;
            if ((b & 0x80) == 0) {
                return v;
            }
        }
        return -1;
    }
}

package dev.kiln.data;

import java.nio.ByteBuffer;

/**
 * Parquet's RLE / bit-packing hybrid decoder (levels and dictionary ids), decoding a whole page into an int array
 * at once: {@code header = varint}; even header: a run of {@code header >>> 1} copies of one value stored in
 * {@code ceil(bitWidth / 8)} little-endian bytes; odd header: {@code header >>> 1} groups of 8 values, bit-packed
 * LSB first. (Spec: parquet-format Encodings.md, "Run Length Encoding / Bit-Packing Hybrid".) parquet-mr's own
 * decoder returns one value per call through a virtual method; doing runs in bulk is what makes page decoding
 * cheap when a row of 784 floats has 783 equal repetition levels.
 */
final class Rle {
    private Rle() {
    }

    /** Decodes {@code count} values of {@code bitWidth} bits from {@code in} (advancing it) into {@code out}. */
    static void decode(ByteBuffer in, int bitWidth, int[] out, int count) {
        if (bitWidth == 0) {
            java.util.Arrays.fill(out, 0, count, 0);
            return;
        }
        int done = 0;
        int valueBytes = (bitWidth + 7) / 8;
        while (done < count) {
            int header = varint(in);
            if ((header & 1) == 0) {
                int run = Math.min(header >>> 1, count - done);
                int v = 0;
                for (int b = 0; b < valueBytes; b++) {
                    v |= (in.get() & 0xff) << (8 * b);
                }
                java.util.Arrays.fill(out, done, done + run, v);
                done += run;
            } else {
                int values = (header >>> 1) * 8;
                int bytes = (header >>> 1) * bitWidth;
                unpack(in, in.position(), bitWidth, out, done, Math.min(values, count - done));
                in.position(in.position() + Math.min(bytes, in.remaining()));
                done += values;
            }
        }
    }

    private static void unpack(ByteBuffer in, int pos, int bitWidth, int[] out, int at, int count) {
        if (bitWidth == 8) {
            for (int i = 0; i < count; i++) {
                out[at + i] = in.get(pos + i) & 0xff;
            }
            return;
        }
        long acc = 0;
        int bits = 0;
        int mask = bitWidth == 32 ? -1 : (1 << bitWidth) - 1;
        for (int i = 0; i < count; i++) {
            while (bits < bitWidth) {
                acc |= (long) (in.get(pos++) & 0xff) << bits;
                bits += 8;
            }
            out[at + i] = (int) acc & mask;
            acc >>>= bitWidth;
            bits -= bitWidth;
        }
    }

    private static int varint(ByteBuffer in) {
        int v = 0;
        int shift = 0;
        while (true) {
            int b = in.get() & 0xff;
            v |= (b & 0x7f) << shift;
            if ((b & 0x80) == 0) {
                return v;
            }
            shift += 7;
        }
    }
}

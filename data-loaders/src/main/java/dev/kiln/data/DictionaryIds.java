package dev.kiln.data;

import java.nio.ByteBuffer;
import org.apache.arrow.memory.util.MemoryUtil;

/**
 * Dictionary-encoded float values (RLE / bit-packed hybrid ids, parquet-format Encodings.md "Dictionary Encoding")
 * decoded and looked up in ONE pass, each float written straight to its final address in the Arrow buffer: an RLE
 * run becomes a fill, a bit-packed group a table lookup per id. The 8-bit case (up to 256 distinct values, e.g.
 * pixels k/255) reads the ids as plain bytes. A corrupt id hits the Java array bound check of the table, never
 * memory outside it.
 */
final class DictionaryIds {
    private DictionaryIds() {
    }

    /**
     * Writes {@code count} values as float bits {@code table[id]} at {@code addr, addr + 4, ...}; false if the stream
     * is short or malformed (nothing is written past {@code count} values), an error if an id is out of range.
     */
    static boolean lookup(ByteBuffer in, int bitWidth, int count, int[] table, long addr) {
        if (bitWidth > 32 || !in.hasArray()) {
            return false;
        }
        byte[] a = in.array();
        int pos = in.arrayOffset() + in.position();
        int end = in.arrayOffset() + in.limit();
        int valueBytes = (bitWidth + 7) / 8;
        int done = 0;
        try {
            while (done < count) {
                int header = 0;
                int shift = 0;
                int b;
                do { // ULEB128 header
                    if (pos >= end || shift > 28) {
                        return false;
                    }
                    b = a[pos++] & 0xff;
                    header |= (b & 0x7f) << shift;
                    shift += 7;
                } while ((b & 0x80) != 0);
                if ((header & 1) == 0) {
                    int run = Math.min(header >>> 1, count - done);
                    if (run <= 0 || end - pos < valueBytes) {
                        return false;
                    }
                    int id = 0;
                    for (int k = 0; k < valueBytes; k++) {
                        id |= (a[pos++] & 0xff) << (8 * k);
                    }
                    fill(addr + 4L * done, table[id], run);
                    done += run;
                } else {
                    int groups = header >>> 1;
                    long bytes = (long) groups * bitWidth;
                    if (groups == 0 || bytes > end - pos) {
                        return false;
                    }
                    int take = Math.min(groups * 8, count - done);
                    if (bitWidth == 8) {
                        bytes8(a, pos, table, addr + 4L * done, take);
                    } else {
                        packed(a, pos, bitWidth, table, addr + 4L * done, take);
                    }
                    pos += (int) bytes;
                    done += take;
                }
            }
            return true;
        } catch (ArrayIndexOutOfBoundsException e) {
            throw new IllegalArgumentException("dictionary id out of range [0, " + table.length + "): corrupt page", e);
        }
    }

    private static void fill(long at, int bits, int run) {
        for (int k = 0; k < run; k++) {
            MemoryUtil.putInt(at + 4L * k, bits);
        }
    }

    private static void bytes8(byte[] a, int pos, int[] table, long at, int take) {
        for (int k = 0; k < take; k++) {
            MemoryUtil.putInt(at + 4L * k, table[a[pos + k] & 0xff]);
        }
    }

    private static void packed(byte[] a, int pos, int bitWidth, int[] table, long at, int take) {
        long acc = 0;
        int bits = 0;
        long mask = (1L << bitWidth) - 1;
        for (int k = 0; k < take; k++) {
            while (bits < bitWidth) {
                acc |= (long) (a[pos++] & 0xff) << bits;
                bits += 8;
            }
            MemoryUtil.putInt(at + 4L * k, table[(int) (acc & mask)]);
            acc >>>= bitWidth;
            bits -= bitWidth;
        }
    }
}

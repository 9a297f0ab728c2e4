package dev.kiln.data;

import org.apache.parquet.format.Encoding;

/**
 * Where a data page's repetition levels, definition levels and values are, and the level decoding. V1 pages hold
 * the level sections back to back before the values, each RLE (a 4-byte length, then the hybrid encoding) or the
 * deprecated BIT_PACKED (MSB-first, {@code ceil(count * width / 8)} bytes); V2 pages give the section lengths in
 * their header and always use the hybrid encoding, without a length prefix. A level section of a column whose
 * maximum level is 0 is absent.
 *
 * @param repEnd end of the repetition-level section, which starts at {@code data.start()}
 * @param defStart start of the definition-level section
 * @param defEnd its end, where the values start
 */
record Levels(Page page, Page.Data data, int maxRep, int maxDef, int repEnd, int defStart, int defEnd,
              String what) {
    static Levels of(Page p, Page.Data d, int maxRep, int maxDef, String what) {
        int count = p.valueCount();
        if (p.kind() == Page.Kind.V2) {
            int rep = d.start() + p.repBytes();
            int def = rep + p.defBytes();
            if (def > d.end()) {
                throw new ParquetFormatException(what + ": level sections past the end of the page");
            }
            return new Levels(p, d, maxRep, maxDef, rep, rep, def, what);
        }
        int repEnd = maxRep == 0 ? d.start() : sectionEnd(d, d.start(), p.repEncoding(), count, maxRep,
                what + " repetition levels");
        int defEnd = maxDef == 0 ? repEnd : sectionEnd(d, repEnd, p.defEncoding(), count, maxDef,
                what + " definition levels");
        return new Levels(p, d, maxRep, maxDef, repEnd, repEnd, defEnd, what);
    }

    /** The end of a V1 level section starting at {@code pos}. */
    private static int sectionEnd(Page.Data d, int pos, Encoding e, int count, int max, String what) {
        if (e == Encoding.RLE) {
            if (d.end() - pos < 4) {
                throw new ParquetFormatException(what + ": length past the end of the page");
            }
            int len = (int) PlainValues.INT.get(d.a(), pos);
            if (!(len >= 0 && len <= d.end() - pos - 4)) {
                throw new ParquetFormatException(what + ": section of " + len
                        + " bytes, " + (d.end() - pos - 4) + " are left in the page");
            }
            return pos + 4 + len;
        }
        if (e == Encoding.BIT_PACKED) {
            long bytes = ((long) count * width(max) + 7) / 8;
            if (bytes > d.end() - pos) {
                throw new ParquetFormatException(what + ": " + bytes + " bytes past the end of the "
                        + "page");
            }
            return pos + (int) bytes;
        }
        throw new ParquetFormatException(what + ": levels encoded as " + e + " (expected RLE or BIT_PACKED)");
    }

    /** Bits needed for levels up to {@code max}. */
    static int width(int max) {
        return 32 - Integer.numberOfLeadingZeros(max);
    }

    /** The hybrid decoder over the repetition levels (RLE sections only; see {@link #rleRep}). */
    Rle rep() {
        int start = page.kind() == Page.Kind.V2 ? data.start() : data.start() + 4;
        return new Rle(data.a(), start, repEnd, width(maxRep), what + " repetition levels");
    }

    Rle def() {
        int start = page.kind() == Page.Kind.V2 ? defStart : defStart + 4;
        return new Rle(data.a(), start, defEnd, width(maxDef), what + " definition levels");
    }

    boolean rleRep() {
        return page.kind() == Page.Kind.V2 || page.repEncoding() == Encoding.RLE;
    }

    boolean rleDef() {
        return page.kind() == Page.Kind.V2 || page.defEncoding() == Encoding.RLE;
    }

    /** Decodes the page's repetition levels into {@code out[0, count)} (zeros if the column has none). */
    void decodeRep(int[] out) {
        decode(out, maxRep, rleRep(), data.start(), repEnd, true);
    }

    void decodeDef(int[] out) {
        decode(out, maxDef, rleDef(), defStart, defEnd, false);
    }

    private void decode(int[] out, int max, boolean rle, int start, int end, boolean rep) {
        int count = page.valueCount();
        if (max == 0) {
            java.util.Arrays.fill(out, 0, count, 0);
            return;
        }
        if (rle) {
            (rep ? rep() : def()).decode(out, 0, count);
        } else {
            bitPackedMsb(data.a(), start, end, width(max), out, count);
        }
        for (int i = 0; i < count; i++) {
            if (out[i] > max) {
                throw new ParquetFormatException(what + (rep ? " repetition" : " definition") + " level " + out[i]
                        + " exceeds the column's maximum " + max);
            }
        }
    }

    /** The deprecated BIT_PACKED level encoding: values packed most significant bit first. */
    private void bitPackedMsb(byte[] a, int start, int end, int w, int[] out, int count) {
        long bit = (long) start * 8;
        for (int i = 0; i < count; i++) {
            int v = 0;
            for (int b = 0; b < w; b++, bit++) {
                int p = (int) (bit >>> 3);
                if (p >= end) {
                    throw new ParquetFormatException(what + ": BIT_PACKED levels past their section");
                }
                v = v << 1 | (a[p] >>> (7 - (int) (bit & 7))) & 1;
            }
            out[i] = v;
        }
    }

    /** Where the values start. */
    int valuesStart() {
        return defEnd;
    }
}

package dev.kiln.data;

import org.apache.parquet.format.Encoding;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;

/**
 * The decoded values of one page (or of a dictionary), in one of four normalized forms: {@link Kind#LONG} for
 * every integer-like physical type (INT32, INT64, BOOLEAN as 0/1, and INT96 already converted to microseconds since
 * the epoch, since INT96 only ever holds timestamps), {@link Kind#FLOAT}, {@link Kind#DOUBLE}, and
 * {@link Kind#BINARY} (BYTE_ARRAY / FIXED_LEN_BYTE_ARRAY: value {@code i} is
 * {@code bytes[starts[i], starts[i] + lens[i])}, usually a view of the page itself, no copy). Scratch arrays are
 * reused from page to page by the thread that owns this object.
 */
final class Values {
    enum Kind { LONG, FLOAT, DOUBLE, BINARY }

    Kind kind;
    int count;
    long[] longs = new long[0];
    float[] floats = new float[0];
    double[] doubles = new double[0];
    byte[] bytes;
    int[] starts = new int[0];
    int[] lens = new int[0];

    static Kind kindOf(PrimitiveTypeName t) {
        return switch (t) {
            case INT32, INT64, INT96, BOOLEAN -> Kind.LONG;
            case FLOAT -> Kind.FLOAT;
            case DOUBLE -> Kind.DOUBLE;
            case BINARY, FIXED_LEN_BYTE_ARRAY -> Kind.BINARY;
        };
    }

    /** Makes room for {@code n} values of {@code kind}. */
    void reset(Kind kind, int n) {
        this.kind = kind;
        this.count = n;
        switch (kind) {
            case LONG -> longs = longs.length >= n ? longs : new long[n];
            case FLOAT -> floats = floats.length >= n ? floats : new float[n];
            case DOUBLE -> doubles = doubles.length >= n ? doubles : new double[n];
            case BINARY -> {
                starts = starts.length >= n ? starts : new int[n];
                lens = lens.length >= n ? lens : new int[n];
            }
        }
    }

    /**
     * Decodes the {@code k} non-null values of a data page's value section {@code a[pos, end)} written with
     * {@code encoding} (every non-dictionary encoding of the Parquet spec). Dictionary-encoded sections are ids,
     * decoded by {@link Rle}, not here. {@code typeLength} is the FIXED_LEN_BYTE_ARRAY width.
     */
    void decode(PrimitiveTypeName type, int typeLength, Encoding encoding, byte[] a, int pos, int end, int k,
                String what) {
        String at = what + " (" + encoding + " " + type + ")";
        switch (encoding) {
            case PLAIN -> PlainValues.plain(type, typeLength, a, pos, end, k, this, at);
            case BYTE_STREAM_SPLIT -> PlainValues.byteStreamSplit(type, typeLength, a, pos, end, k, this, at);
            case RLE -> {
                if (type != PrimitiveTypeName.BOOLEAN) {
                    throw new ParquetFormatException(at + ": RLE values are only "
                            + "defined for BOOLEAN");
                }
                PlainValues.rleBooleans(a, pos, end, k, this, at);
            }
            case DELTA_BINARY_PACKED -> {
                if (!(type == PrimitiveTypeName.INT32 || type == PrimitiveTypeName.INT64)) {
                    throw new ParquetFormatException(at + ": DELTA_BINARY_PACKED is only defined for INT32 and INT64");
                }
                reset(Kind.LONG, k);
                DeltaValues.binaryPacked(a, pos, end, k, longs, at);
                if (type == PrimitiveTypeName.INT32) { // int32 deltas wrap at 32 bits, as the writer computed them
                    for (int i = 0; i < k; i++) {
                        longs[i] = (int) longs[i];
                    }
                }
            }
            case DELTA_LENGTH_BYTE_ARRAY -> {
                if (type != PrimitiveTypeName.BINARY) {
                    throw new ParquetFormatException(at + ": DELTA_LENGTH_BYTE_ARRAY is "
                            + "only defined for BYTE_ARRAY");
                }
                DeltaValues.lengthByteArray(a, pos, end, k, this, at);
            }
            case DELTA_BYTE_ARRAY -> {
                if (!(type == PrimitiveTypeName.BINARY
                            || type == PrimitiveTypeName.FIXED_LEN_BYTE_ARRAY)) {
                    throw new ParquetFormatException(at + ": DELTA_BYTE_ARRAY is only defined "
                            + "for BYTE_ARRAY and FIXED_LEN_BYTE_ARRAY");
                }
                DeltaValues.byteArray(a, pos, end, k, this, at);
                if (type == PrimitiveTypeName.FIXED_LEN_BYTE_ARRAY) {
                    for (int i = 0; i < k; i++) {
                        if (lens[i] != typeLength) {
                            throw new ParquetFormatException(at + ": value " + i + " has "
                                    + lens[i] + " bytes, the column's fixed length is " + typeLength);
                        }
                    }
                }
            }
            default -> throw new ParquetFormatException(at + ": encoding " + encoding + " is not a value encoding "
                    + "this reader decodes (PLAIN, dictionary, RLE, DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY, "
                    + "DELTA_BYTE_ARRAY, BYTE_STREAM_SPLIT)");
        }
    }

    /** Value {@code i} gathered through dictionary ids: {@code this[i] = dict[ids[i]]}, id range checked. */
    void gather(Values dict, int[] ids, int n, String what) {
        reset(dict.kind, n);
        int size = dict.count;
        for (int i = 0; i < n; i++) {
            int id = ids[i];
            if (id < 0 || id >= size) {
                throw new ParquetFormatException(what + ": dictionary id " + id + " out of range [0, " + size + ")");
            }
        }
        switch (kind) {
            case LONG -> {
                for (int i = 0; i < n; i++) {
                    longs[i] = dict.longs[ids[i]];
                }
            }
            case FLOAT -> {
                for (int i = 0; i < n; i++) {
                    floats[i] = dict.floats[ids[i]];
                }
            }
            case DOUBLE -> {
                for (int i = 0; i < n; i++) {
                    doubles[i] = dict.doubles[ids[i]];
                }
            }
            case BINARY -> {
                bytes = dict.bytes;
                for (int i = 0; i < n; i++) {
                    starts[i] = dict.starts[ids[i]];
                    lens[i] = dict.lens[ids[i]];
                }
            }
        }
    }
}

package dev.kiln.data;

import java.io.IOException;
import org.apache.parquet.format.Encoding;

/**
 * One page of a column chunk as its header describes it, its bytes still compressed inside the chunk's array.
 * The header's numbers were checked when the chunk was read ({@link ChunkReader}): sizes inside the chunk and the
 * footer's uncompressed size, counts non-negative, V2 level sections inside the page.
 *
 * @param kind dictionary page, data page V1 or V2
 * @param offset where the page's bytes start in the chunk array
 * @param valueCount level entries (V1/V2) or dictionary entries
 * @param nullCount V2 only: entries that are null; -1 for V1
 * @param rowCount V2 only: rows that start in the page; -1 for V1
 * @param encoding the values' encoding
 * @param repEncoding V1: the repetition levels' encoding (RLE or BIT_PACKED)
 * @param defEncoding V1: the definition levels' encoding
 * @param repBytes V2: length of the (never compressed) repetition-level section
 * @param defBytes V2: length of the (never compressed) definition-level section
 * @param compressed V2: whether the data section is compressed (V1 and dictionary pages always are, per codec)
 */
record Page(Kind kind, int offset, int compressedSize, int uncompressedSize, int valueCount, int nullCount,
            int rowCount, Encoding encoding, Encoding repEncoding, Encoding defEncoding, int repBytes, int defBytes,
            boolean compressed) {
    enum Kind { DICTIONARY, V1, V2 }

    /** The page's bytes, decompressed: {@code a[start, end)}; for V2, the level sections come first as stored. */
    record Data(byte[] a, int start, int end) {
    }

    /** Decompresses the page (a view of the chunk array when nothing is compressed); thread-safe. */
    Data data(ColumnChunk chunk) throws IOException {
        try {
            return decompress(chunk);
        } catch (IOException e) {
            throw new IOException(chunk.where() + ", page at byte " + offset + " of the chunk: " + e.getMessage(), e);
        }
    }

    private Data decompress(ColumnChunk chunk) throws IOException {
        byte[] src = chunk.bytes();
        if (chunk.codec() == org.apache.parquet.hadoop.metadata.CompressionCodecName.UNCOMPRESSED
                || kind == Kind.V2 && !compressed) {
            return new Data(src, offset, offset + compressedSize);
        }
        if (kind != Kind.V2) {
            return new Data(Codecs.decompress(chunk.codec(), src, offset, compressedSize, uncompressedSize), 0,
                    uncompressedSize);
        }
        int levels = repBytes + defBytes; // V2: levels are stored uncompressed, ahead of the compressed values
        byte[] values = Codecs.decompress(chunk.codec(), src, offset + levels, compressedSize - levels,
                uncompressedSize - levels);
        byte[] all = new byte[uncompressedSize];
        System.arraycopy(src, offset, all, 0, levels);
        System.arraycopy(values, 0, all, levels, values.length);
        return new Data(all, 0, uncompressedSize);
    }
}

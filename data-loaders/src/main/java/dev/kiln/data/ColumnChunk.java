package dev.kiln.data;

import java.util.List;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;

/**
 * One column of one row group as read from the file: the chunk's bytes (one array, read with one positioned read),
 * its dictionary page if any and its data pages, in order. Pages are decompressed lazily by whoever decodes them
 * ({@link Page#data}), so several threads can decode the pages of one chunk.
 *
 * @param where "column 'x' in file f, row group g", for error messages
 */
record ColumnChunk(String where, ColumnDescriptor descriptor, ColumnType type, CompressionCodecName codec,
                   byte[] bytes, Page dictionary, List<Page> pages, long valueCount) {
    /**
     * An unexpected exception of a page decoder, as a corrupt-data error naming this chunk; the decoders' own
     * {@link ParquetFormatException}s and {@link ParquetDataException}s already name it and pass unchanged.
     */
    RuntimeException wrap(RuntimeException e) {
        if (e instanceof ParquetFormatException || e instanceof ParquetDataException
                || e instanceof UnsupportedOperationException || e instanceof DataLoaderException) {
            return e;
        }
        return new ParquetFormatException(where + ": " + e, e);
    }

    /** The chunk's total level entries as its pages' headers add up (equals the footer's value count). */
    long pageValues() {
        long n = 0;
        for (Page p : pages) {
            n += p.valueCount();
        }
        return n;
    }
}

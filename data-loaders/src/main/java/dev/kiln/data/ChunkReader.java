package dev.kiln.data;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.format.DataPageHeader;
import org.apache.parquet.format.DataPageHeaderV2;
import org.apache.parquet.format.DictionaryPageHeader;
import org.apache.parquet.format.PageHeader;
import org.apache.parquet.format.Util;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;

/**
 * Reads one column chunk with one positioned read and splits it into pages, checking every number a page header
 * holds before anything is sized from it: the compressed size must fit in what is left of the chunk, the
 * uncompressed size in the footer's uncompressed size of the chunk, counts must be non-negative, V2 level
 * sections must fit in the page, there is at most one dictionary page and it comes first, and the pages' value
 * counts must add up to the footer's. (parquet-mr's reader trusts the footer's chunk length for its allocation
 * and decompresses on the reading thread; this one checks and leaves decompression to the page decoders.)
 */
final class ChunkReader {
    /** Uncompressed pages are never larger than this, whatever a footer says (Java arrays stop at 2^31). */
    static final long MAX_PAGE_BYTES = Integer.MAX_VALUE - 64;

    private ChunkReader() {
    }

    /** A ByteArrayInputStream that tells how far the page-header parser read. */
    private static final class Counting extends ByteArrayInputStream {
        Counting(byte[] a, int pos, int end) {
            super(a, pos, end - pos);
        }

        int position() {
            return pos;
        }
    }

    /**
     * Reads the chunk of {@code meta} from {@code in} (a file of {@code fileLength} bytes); {@code where} names the
     * column, file and row group in errors.
     */
    static ColumnChunk read(FSDataInputStream in, long fileLength, ColumnChunkMetaData meta, ColumnDescriptor d,
                            ColumnType type, String where) throws IOException {
        long start = meta.getStartingPos();
        long size = meta.getTotalSize();
        if (!(start >= 4 && size >= 0 && start + size <= fileLength && size <= MAX_PAGE_BYTES)) {
            throw new ParquetFormatException(where + ": the footer places the chunk at bytes [" + start + ", " + (start + size) + ") of a "
                    + fileLength + "-byte file");
        }
        if (meta.getValueCount() < 0) {
            throw new ParquetFormatException(where + ": negative value count in the footer");
        }
        byte[] bytes = new byte[(int) size];
        in.readFully(start, bytes, 0, bytes.length);
        return parse(bytes, meta, d, type, where);
    }

    /** Splits a column chunk's bytes into pages (see the class comment for the checks). */
    static ColumnChunk parse(byte[] bytes, ColumnChunkMetaData meta, ColumnDescriptor d, ColumnType type,
                             String where) {
        long maxPage = Math.min(MAX_PAGE_BYTES, Math.max(meta.getTotalUncompressedSize(), 1L << 20));
        Page dictionary = null;
        List<Page> pages = new ArrayList<>();
        long values = 0;
        int pos = 0;
        while (values < meta.getValueCount()) {
            if (pos >= bytes.length) {
                throw new ParquetFormatException(where + ": the chunk ends after " + values + " of the "
                        + meta.getValueCount() + " values its footer declares");
            }
            Counting s = new Counting(bytes, pos, bytes.length);
            PageHeader h = header(s, where, pos);
            int body = s.position();
            String at = where + ", page at byte " + pos + " of the chunk";
            int compressed = h.getCompressed_page_size();
            int uncompressed = h.getUncompressed_page_size();
            if (!(compressed >= 0 && compressed <= bytes.length - body)) {
                throw new ParquetFormatException(at + ": compressed "
                        + "size " + compressed + ", " + (bytes.length - body) + " bytes are left in the chunk");
            }
            if (!(uncompressed >= 0 && uncompressed <= maxPage)) {
                throw new ParquetFormatException(at + ": uncompressed size "
                        + uncompressed + " outside [0, " + maxPage + "] (the footer's size of the whole chunk)");
            }
            if (h.getType() == null) {
                throw new ParquetFormatException(at + ": unknown page type");
            }
            Page p = switch (h.getType()) {
                case DICTIONARY_PAGE -> dictionaryPage(h, body, at, dictionary == null && pages.isEmpty());
                case DATA_PAGE -> v1(h, body, at);
                case DATA_PAGE_V2 -> v2(h, body, at);
                case INDEX_PAGE -> null; // not used by readers; skipped
            };
            pos = body + compressed;
            if (p == null) {
                continue;
            }
            if (p.kind() == Page.Kind.DICTIONARY) {
                dictionary = p;
            } else {
                pages.add(p);
                values += p.valueCount();
            }
        }
        if (values != meta.getValueCount()) {
            throw new ParquetFormatException(where + ": the pages hold " + values
                    + " values, the footer declares " + meta.getValueCount());
        }
        return new ColumnChunk(where, d, type, meta.getCodec(), bytes, dictionary, pages, values);
    }

    private static PageHeader header(Counting s, String where, int pos) {
        try {
            return Util.readPageHeader(s);
        } catch (IOException | RuntimeException e) {
            throw new ParquetFormatException(where + ": unreadable page header at byte " + pos + " of the chunk: "
                    + e.getMessage(), e);
        }
    }

    private static Page dictionaryPage(PageHeader h, int body, String at, boolean first) {
        DictionaryPageHeader dh = h.getDictionary_page_header();
        if (!(dh != null && first)) {
            throw new ParquetFormatException(at + ": a dictionary page must come first, once, with "
                    + "its header");
        }
        if (dh.getNum_values() < 0) {
            throw new ParquetFormatException(at + ": negative dictionary size");
        }
        return new Page(Page.Kind.DICTIONARY, body, h.getCompressed_page_size(), h.getUncompressed_page_size(),
                dh.getNum_values(), -1, -1, dh.getEncoding(), null, null, 0, 0, true);
    }

    private static Page v1(PageHeader h, int body, String at) {
        DataPageHeader dh = h.getData_page_header();
        if (!(dh != null && dh.getNum_values() >= 0 && dh.getEncoding() != null)) {
            throw new ParquetFormatException(at + ": data page header missing, or with a negative value count or an unknown encoding");
        }
        return new Page(Page.Kind.V1, body, h.getCompressed_page_size(), h.getUncompressed_page_size(),
                dh.getNum_values(), -1, -1, dh.getEncoding(), dh.getRepetition_level_encoding(),
                dh.getDefinition_level_encoding(), 0, 0, true);
    }

    private static Page v2(PageHeader h, int body, String at) {
        DataPageHeaderV2 dh = h.getData_page_header_v2();
        if (!(dh != null && dh.getEncoding() != null)) {
            throw new ParquetFormatException(at + ": data page V2 header missing "
                    + "or with an unknown encoding");
        }
        int n = dh.getNum_values();
        int levels = dh.getRepetition_levels_byte_length() + dh.getDefinition_levels_byte_length();
        if (!(n >= 0 && dh.getNum_nulls() >= 0 && dh.getNum_nulls() <= n
                    && dh.getNum_rows() >= 0 && dh.getNum_rows() <= n)) {
            throw new ParquetFormatException(at + ": V2 counts values " + n + ", nulls "
                    + dh.getNum_nulls() + ", rows " + dh.getNum_rows());
        }
        if (!(dh.getRepetition_levels_byte_length() >= 0
                    && dh.getDefinition_levels_byte_length() >= 0 && levels >= 0
                    && levels <= h.getCompressed_page_size() && levels <= h.getUncompressed_page_size())) {
            throw new ParquetFormatException(at + ": V2 level sections of " + dh.getRepetition_levels_byte_length() + " + "
                    + dh.getDefinition_levels_byte_length() + " bytes do not fit the page");
        }
        return new Page(Page.Kind.V2, body, h.getCompressed_page_size(), h.getUncompressed_page_size(), n,
                dh.getNum_nulls(), dh.getNum_rows(), dh.getEncoding(), null, null,
                dh.getRepetition_levels_byte_length(), dh.getDefinition_levels_byte_length(),
                !dh.isSetIs_compressed() || dh.isIs_compressed());
    }
}

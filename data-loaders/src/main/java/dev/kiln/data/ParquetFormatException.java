package dev.kiln.data;

/**
 * Bytes that no valid Parquet file holds: a page header, level or value stream that is truncated, out of range or
 * disagrees with the footer. The decoders throw it with what was wrong; {@link RowGroupReader} adds the file, row
 * group and column and turns it into an {@link java.io.IOException} (a corrupt file, which {@code skipBadFiles}
 * may skip). It is never thrown for well-formed data the user must fix (nulls, ragged rows): those are
 * {@link ParquetDataException}s.
 */
final class ParquetFormatException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    ParquetFormatException(String message) {
        super(message);
    }

    ParquetFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}

package dev.kiln.data;

/**
 * Well-formed data that cannot become a tensor as asked (a null, a ragged list row, a non-finite value under
 * {@code checkFinite}, an unknown label): the message names the column, file, row group and row. Never skipped
 * by {@code skipBadFiles}, which is for corrupt files; the user fixes the data or the options.
 */
final class ParquetDataException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    ParquetDataException(String message) {
        super(message);
    }
}

package dev.kiln.data;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.parquet.format.Encoding;

/**
 * Decodes the chunk of a flat (non-repeated) column into one column of a row-major matrix: a numeric feature
 * (converted per {@link ColumnType}), a categorical column (category ids from a {@link CategoryIndex}, 0 for null
 * or unknown values), or a label. In a flat column every level entry is a row, so each page's first row is known
 * from the headers alone and the pages are decoded IN PARALLEL, each by its own task ({@link #tasks}).
 *
 * <p>Per page: the definition levels are checked run by run (all defined: no per-row work), the values are
 * decoded into a Java array of the output type (a dictionary page is converted once per chunk, then each page is
 * a gather through its ids), and stored with {@link Dest}, which checks the page's rows against the footer.
 */
final class FlatPages {
    /** What the column is decoded as. */
    enum Mode { VALUE, CATEGORY, LABEL_CATEGORY }

    private final RowGroupDecoder owner;
    private final RowGroupDecoder.Source src;
    private final String name;
    private final ColumnChunk chunk;
    private final Dest dest;
    private final Lane lane;
    private final Mode mode;
    private final CategoryIndex categories;
    private final boolean[] nullRow;
    private final boolean checkFinite;
    private final int maxDef;

    FlatPages(RowGroupDecoder owner, RowGroupDecoder.Source src, String name, ColumnChunk chunk, Dest dest, Lane lane,
              Mode mode, CategoryIndex categories, boolean[] nullRow, boolean checkFinite) {
        this.owner = owner;
        this.src = src;
        this.name = name;
        this.chunk = chunk;
        this.dest = dest;
        this.lane = lane;
        this.mode = mode;
        this.categories = categories;
        this.nullRow = nullRow;
        this.checkFinite = checkFinite && mode == Mode.VALUE && lane != Lane.I64;
        this.maxDef = chunk.descriptor().getMaxDefinitionLevel();
    }

    /** One task per page (run them in any order, on any threads); checks that the pages hold the footer's rows. */
    List<Callable<Void>> tasks() throws IOException {
        if (chunk.descriptor().getMaxRepetitionLevel() != 0) {
            throw new ParquetFormatException(chunk.where()
                    + ": a repeated column where a flat one was expected");
        }
        Object table = chunk.dictionary() == null ? null : table(dictionary(chunk));
        List<Callable<Void>> tasks = new ArrayList<>(chunk.pages().size());
        long row = 0;
        for (Page p : chunk.pages()) {
            long first = row;
            row += p.valueCount();
            tasks.add(() -> {
                try {
                    page(p, first, table);
                } catch (RuntimeException e) {
                    throw chunk.wrap(e);
                }
                return null;
            });
        }
        dest.checkRows(0, row, chunk.where());
        if (row != src.rows()) {
            throw new ParquetFormatException(chunk.where() + ": the pages hold " + row
                    + " rows, the footer declares " + src.rows());
        }
        return tasks;
    }

    /** The chunk's dictionary page, decoded (PLAIN values). */
    static Values dictionary(ColumnChunk chunk) throws IOException {
        Page dp = chunk.dictionary();
        if (!(dp.encoding() == Encoding.PLAIN || dp.encoding() == Encoding.PLAIN_DICTIONARY)) {
            throw new ParquetFormatException(chunk.where() + ": dictionary page encoded as " + dp.encoding() + " (expected PLAIN)");
        }
        Page.Data d = dp.data(chunk);
        Values v = new Values();
        PlainValues.plain(chunk.descriptor().getPrimitiveType().getPrimitiveTypeName(),
                chunk.descriptor().getPrimitiveType().getTypeLength(), d.a(), d.start(), d.end(), dp.valueCount(), v,
                chunk.where() + " dictionary");
        return v;
    }

    /** The dictionary converted once into what the pages store: lane values or category ids. */
    private Object table(Values dict) {
        Object t = lane.array(null, dict.count);
        convert(dict, dict.count, t, chunk.where() + " dictionary");
        return t;
    }

    private void convert(Values v, int n, Object out, String what) {
        if (mode == Mode.VALUE) {
            chunk.type().convert(v, n, lane, out, what);
            return;
        }
        long[] ids = (long[]) out;
        for (int i = 0; i < n; i++) {
            ids[i] = categories.id(v, i, chunk.type(), what);
        }
    }

    private void page(Page p, long firstRow, Object table) throws IOException {
        String what = chunk.where() + ", rows from " + firstRow;
        Page.Data d = p.data(chunk);
        Levels lv = Levels.of(p, d, 0, maxDef, what);
        int count = p.valueCount();
        int[] defs = null;
        int k = count;
        if (maxDef > 0 && !(lv.rleDef() && lv.def().allEqual(count, maxDef))) {
            defs = new int[count];
            lv.decodeDef(defs);
            k = 0;
            for (int i = 0; i < count; i++) {
                k += defs[i] == maxDef ? 1 : 0;
            }
        }
        if (!(p.nullCount() < 0 || p.nullCount() == count - k)) {
            throw new ParquetFormatException(what + ": the V2 header "
                    + "counts " + p.nullCount() + " nulls, the levels " + (count - k));
        }
        Object vals = lane.array(null, k);
        values(p, d, lv.valuesStart(), k, table, vals, what);
        if (mode == Mode.LABEL_CATEGORY) {
            checkKnown((long[]) vals, k, defs, firstRow);
        }
        if (checkFinite) {
            checkFinite(vals, k, defs, firstRow);
        }
        if (defs == null) {
            dest.put(lane, vals, firstRow, count, what);
            return;
        }
        int[] rows = new int[k];
        for (int i = 0, j = 0; i < count; i++) {
            if (defs[i] == maxDef) {
                rows[j++] = i;
            } else if (mode == Mode.CATEGORY) {
                dest.putZero(firstRow + i, what); // null: the unknown/null category
            } else {
                owner.nullValue(src, name, Math.toIntExact(firstRow + i), nullRow, "a null value");
            }
        }
        dest.scatter(lane, vals, rows, firstRow, k, what);
    }

    /** The page's {@code k} defined values, converted, into {@code out}. */
    private void values(Page p, Page.Data d, int start, int k, Object table, Object out, String what) {
        if (k == 0) {
            return;
        }
        Encoding e = p.encoding();
        if (e == Encoding.PLAIN_DICTIONARY || e == Encoding.RLE_DICTIONARY) {
            if (table == null) {
                throw new ParquetFormatException(what + ": dictionary-encoded page but the chunk has no "
                        + "dictionary page");
            }
            if (start >= d.end()) {
                throw new ParquetFormatException(what + ": dictionary ids missing");
            }
            int[] ids = new int[k];
            new Rle(d.a(), start + 1, d.end(), d.a()[start] & 0xff, what + " dictionary ids").decode(ids, 0, k);
            gather(table, ids, k, out, what);
            return;
        }
        Values v = new Values();
        var prim = chunk.descriptor().getPrimitiveType();
        v.decode(prim.getPrimitiveTypeName(), prim.getTypeLength(), e, d.a(), start, d.end(), k, what);
        convert(v, k, out, what);
    }

    /** {@code out[i] = table[ids[i]]}, every id checked against the dictionary's size. */
    static void gather(Object table, int[] ids, int k, Object out, String what) {
        try {
            if (table instanceof float[] t) {
                float[] o = (float[]) out;
                for (int i = 0; i < k; i++) {
                    o[i] = t[ids[i]];
                }
            } else if (table instanceof double[] t) {
                double[] o = (double[]) out;
                for (int i = 0; i < k; i++) {
                    o[i] = t[ids[i]];
                }
            } else {
                long[] t = (long[]) table;
                long[] o = (long[]) out;
                for (int i = 0; i < k; i++) {
                    o[i] = t[ids[i]];
                }
            }
        } catch (ArrayIndexOutOfBoundsException e) {
            throw new ParquetFormatException(what + ": dictionary id out of range: " + e.getMessage(), e);
        }
    }

    private void checkKnown(long[] ids, int k, int[] defs, long firstRow) {
        for (int i = 0; i < k; i++) {
            if (ids[i] == Vocabulary.UNKNOWN) {
                throw new ParquetDataException("label column '" + name + "' has a value that is not in the "
                        + "vocabulary (" + src.at(firstRow + row(defs, i)) + "); refit the vocabulary on all the data");
            }
        }
    }

    private void checkFinite(Object vals, int k, int[] defs, long firstRow) {
        for (int i = 0; i < k; i++) {
            double x = vals instanceof float[] f ? f[i] : ((double[]) vals)[i];
            if (!Double.isFinite(x)) {
                throw new ParquetDataException("column '" + name + "' has a non-finite value " + x + " ("
                        + src.at(firstRow + row(defs, i)) + "); checkFinite is on");
            }
        }
    }

    /** The page row of the i-th defined value. */
    private int row(int[] defs, int i) {
        if (defs == null) {
            return i;
        }
        for (int r = 0, seen = 0; r < defs.length; r++) {
            if (defs[r] == maxDef && seen++ == i) {
                return r;
            }
        }
        return i;
    }
}

package dev.kiln.data;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.parquet.format.Encoding;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;

/**
 * The fast path for a {@code list<T>} column chunk whose rows all hold exactly {@code n} non-null values (every
 * MNIST-style feature column): its pages are decoded IN PARALLEL, each straight into its own rows of the
 * {@code [rows, n]} Arrow buffer.
 *
 * <p>Why this is possible: if every row has n values, the chunk holds {@code valueCount = rows * n} level entries
 * (so n is known from the footer before any page is read) and a page of {@code c} entries holds exactly
 * {@code c / n} whole rows, so page {@code p} starts at row {@code sum(c_q / n, q < p)}: no page has to be decoded
 * to know where the next one goes. Each page task then decompresses, checks its levels run by run ({@link Rle}:
 * the repetition levels must be {@code [0, 1 × (n - 1)]} per row and every definition level the maximum) and
 * writes its values (float PLAIN: one copy; float dictionary: ids looked up while decoding; other types converted
 * per {@link ColumnType}), each page's element range checked by {@link Dest} before the first store.
 *
 * <p>This is a guess verified per page: when any page is not uniform (a null, an empty or ragged row, a row
 * crossing a page, an unusual level encoding) {@link #decode} frees its buffer and returns null, and the caller
 * decodes the chunk again with the general, sequential {@link ListPages}, which reports or drops the bad rows.
 */
final class UniformPages {
    private final RowGroupDecoder owner;
    private final RowGroupDecoder.Source src;
    private final String name;
    private final ColumnChunk chunk;
    private final Lane lane;
    private final int rows;
    private final boolean checkFinite;
    private final boolean plainFloat;

    UniformPages(RowGroupDecoder owner, RowGroupDecoder.Source src, String name, ColumnChunk chunk, Lane lane, int rows,
                 boolean checkFinite) {
        this.owner = owner;
        this.src = src;
        this.name = name;
        this.chunk = chunk;
        this.lane = lane;
        this.rows = rows;
        this.checkFinite = checkFinite && lane != Lane.I64;
        this.plainFloat = lane == Lane.F32
                && chunk.descriptor().getPrimitiveType().getPrimitiveTypeName() == PrimitiveTypeName.FLOAT;
    }

    /** The planned decode: the vector (caller closes it) and one task per page; null if not uniform by its headers. */
    record Plan(FixedSizeListVector vector, List<Callable<Void>> tasks, AtomicBoolean uniform) {
    }

    /** Checks the headers, allocates and returns the page tasks; null (nothing allocated) if the chunk cannot be uniform. */
    Plan plan() throws IOException {
        long values = chunk.valueCount();
        if (rows == 0 || chunk.descriptor().getMaxRepetitionLevel() != 1 || values % rows != 0 || values / rows == 0
                || values / rows > Integer.MAX_VALUE / 8) {
            return null;
        }
        int n = (int) (values / rows);
        long row = 0;
        List<Long> firstRow = new ArrayList<>();
        for (Page p : chunk.pages()) {
            if (p.valueCount() % n != 0) {
                return null;
            }
            firstRow.add(row);
            row += p.valueCount() / n;
        }
        if (row != rows) {
            return null;
        }
        Object table = null;
        if (chunk.dictionary() != null) {
            Values dict = FlatPages.dictionary(chunk);
            table = plainFloat ? floatBits(dict) : lane.array(null, dict.count);
            if (!plainFloat) {
                chunk.type().convert(dict, dict.count, lane, table, chunk.where() + " dictionary");
            }
        }
        FixedSizeListVector out = owner.fixedSizeList("features", n, rows, lane, values, name);
        Dest dest = new Dest(out.getDataVector().getDataBuffer(), (long) rows * n, lane.width, 1, 0);
        AtomicBoolean uniform = new AtomicBoolean(true);
        List<Callable<Void>> tasks = new ArrayList<>();
        Object t = table;
        for (int i = 0; i < chunk.pages().size(); i++) {
            Page p = chunk.pages().get(i);
            long at = firstRow.get(i) * n;
            tasks.add(() -> {
                try {
                    if (uniform.get() && !page(p, n, t, dest, at)) {
                        uniform.set(false);
                    }
                } catch (RuntimeException e) {
                    throw chunk.wrap(e);
                }
                return null;
            });
        }
        return new Plan(out, tasks, uniform);
    }

    /** One page into elements {@code [at, at + count)}: levels checked, then values stored; false if not uniform. */
    private boolean page(Page p, int n, Object table, Dest dest, long at) throws IOException {
        int count = p.valueCount();
        int maxDef = chunk.descriptor().getMaxDefinitionLevel();
        String what = chunk.where() + ", rows from " + at / n;
        if (p.kind() == Page.Kind.V2 && (p.nullCount() != 0 || p.rowCount() != count / n)) {
            return false;
        }
        Page.Data d = p.data(chunk);
        Levels lv = Levels.of(p, d, 1, maxDef, what);
        if (!lv.rleRep() || maxDef > 0 && !lv.rleDef() || !lv.rep().uniformRows(count, n)
                || maxDef > 0 && !lv.def().allEqual(count, maxDef)) {
            return false;
        }
        int start = lv.valuesStart();
        Encoding e = p.encoding();
        boolean dictionary = e == Encoding.PLAIN_DICTIONARY || e == Encoding.RLE_DICTIONARY;
        if (dictionary && (table == null || start >= d.end())) {
            return false;
        }
        if (plainFloat && e == Encoding.PLAIN) {
            if (d.end() - start < 4L * count) {
                return false;
            }
            dest.copy(at, d.a(), start, 4 * count, what); // the page's values in one copy
        } else if (plainFloat && dictionary) {
            long addr = dest.elements(at, count, what);
            new Rle(d.a(), start + 1, d.end(), d.a()[start] & 0xff, what + " dictionary ids")
                    .lookup(count, (int[]) table, addr);
        } else {
            Object vals = lane.array(null, count);
            if (dictionary) {
                int[] ids = new int[count];
                new Rle(d.a(), start + 1, d.end(), d.a()[start] & 0xff, what + " dictionary ids").decode(ids, 0, count);
                FlatPages.gather(table, ids, count, vals, what);
            } else {
                Values v = new Values();
                var prim = chunk.descriptor().getPrimitiveType();
                v.decode(prim.getPrimitiveTypeName(), prim.getTypeLength(), e, d.a(), start, d.end(), count, what);
                chunk.type().convert(v, count, lane, vals, what);
            }
            dest.put(lane, vals, at, count, what);
        }
        if (checkFinite) {
            owner.checkFiniteElements(src, name, dest, lane, at, count, n);
        }
        return true;
    }

    /** The dictionary as raw float bits, the form the fused lookup stores. */
    private static int[] floatBits(Values dict) {
        int[] t = new int[dict.count];
        for (int i = 0; i < t.length; i++) {
            t[i] = Float.floatToRawIntBits(dict.floats[i]);
        }
        return t;
    }
}

package dev.kiln.data;

import java.io.IOException;
import java.util.Arrays;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.parquet.format.Encoding;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Type;

/**
 * Decodes a {@code list<T>} column chunk page by page, in order, straight into the child buffer of a
 * {@link FixedSizeListVector}: the general path, for chunks {@link UniformPages} does not take (nulls, empty or
 * ragged rows, rows crossing pages). Per page the repetition/definition levels are decoded, walked once to give
 * every non-null value its destination {@code row * n + position} (reporting ragged rows and nulls, and failing
 * when the page holds more rows than the footer declares), and then the values are stored: a PLAIN float page
 * whose values land contiguously as ONE memory copy, anything else converted per {@link ColumnType}.
 */
final class ListPages {
    private static final long SKIP = Long.MIN_VALUE;

    private final RowGroupDecoder owner;
    private final RowGroupDecoder.Source src;
    private final String name;
    private final ColumnChunk chunk;
    private final Lane lane;
    private final int maxDef;
    private final boolean elementOptional;
    private final int rows;
    private final boolean[] nullRow;
    private final boolean checkFinite;

    private int[] rep = new int[0];
    private int[] def = new int[0];
    private long[] dest = new long[0];
    private Object table;
    /** The first row's values (as raw bits), which arrive before its length n is known. */
    private long[] pending = new long[256];
    private FixedSizeListVector list;
    private Dest out;
    private int row = -1;
    private int len;
    private int n = -1;
    private int pendingRow = -1;

    ListPages(RowGroupDecoder owner, RowGroupDecoder.Source src, String name, ColumnChunk chunk, Lane lane, int rows,
              boolean[] nullRow, boolean checkFinite) {
        this.owner = owner;
        this.src = src;
        this.name = name;
        this.chunk = chunk;
        this.lane = lane;
        this.maxDef = chunk.descriptor().getMaxDefinitionLevel();
        this.elementOptional = chunk.descriptor().getPrimitiveType().isRepetition(Type.Repetition.OPTIONAL);
        this.rows = rows;
        this.nullRow = nullRow;
        this.checkFinite = checkFinite && lane != Lane.I64;
    }

    /** All pages of the chunk; the caller owns the returned vector. */
    FixedSizeListVector decode() throws IOException {
        try {
            if (chunk.descriptor().getMaxRepetitionLevel() != 1) {
                throw new ParquetFormatException(chunk.where()
                        + ": a list column must have repetition level 1");
            }
            if (chunk.dictionary() != null) {
                Values dict = FlatPages.dictionary(chunk);
                table = lane.array(null, dict.count);
                chunk.type().convert(dict, dict.count, lane, table, chunk.where() + " dictionary");
            }
            for (Page p : chunk.pages()) {
                page(p);
            }
            endRow();
            flushPending();
            if (row + 1 != rows) {
                throw new ParquetFormatException(chunk.where() + " holds " + (row + 1) + " rows but the "
                        + "footer declares " + rows);
            }
            return list != null ? list : owner.fixedSizeList("features", 0, rows, lane, chunk.valueCount(), name);
        } catch (IOException e) {
            if (list != null) {
                list.close();
            }
            throw e;
        } catch (RuntimeException e) {
            if (list != null) {
                list.close();
            }
            throw chunk.wrap(e);
        }
    }

    private void page(Page p) throws IOException {
        int count = p.valueCount();
        if (rep.length < count) {
            rep = new int[count];
            def = new int[count];
            dest = new long[count];
        }
        String what = chunk.where() + ", from row " + Math.max(row, 0);
        Page.Data d = p.data(chunk);
        Levels lv = Levels.of(p, d, 1, maxDef, what);
        lv.decodeRep(rep);
        lv.decodeDef(def);
        int nonNull = walk(count, what);
        store(p, d, lv.valuesStart(), nonNull, what);
        flushPending(); // if this page ended the first row, its values (all read by now) go to their slot
    }

    /** Gives each non-null value of the page its destination element index; returns how many there are. */
    private int walk(int count, String what) {
        int k = 0;
        for (int i = 0; i < count; i++) {
            if (n > 0 && rep[i] == 0 && i + n <= count && (i + n == count || rep[i + n] == 0) && fullRow(i)) {
                endRow(); // the common case, a complete row of n values in this page: no per-value branches
                startRow(what);
                len = n;
                long base = (long) row * n;
                for (int j = 0; j < n; j++) {
                    dest[k + j] = base + j;
                }
                k += n;
                i += n - 1;
                continue;
            }
            if (rep[i] == 0) {
                endRow();
                startRow(what);
                len = 0;
            } else {
                if (row < 0) {
                    throw new ParquetFormatException(what + ": the chunk starts inside a row (repetition level "
                            + rep[i] + ")");
                }
            }
            int dl = def[i];
            if (dl == maxDef) {
                dest[k++] = n < 0 ? -1 - len : len < n ? (long) row * n + len : SKIP;
                len++;
            } else if (elementOptional && dl == maxDef - 1) {
                owner.nullValue(src, name, row, nullRow, "a null element at position " + len);
                len++;
            } else {
                owner.nullValue(src, name, row, nullRow, dl == maxDef - (elementOptional ? 2 : 1)
                        ? "an empty list" : "a null list");
            }
        }
        return k;
    }

    private void startRow(String what) {
        if (row + 1 >= rows) {
            throw new ParquetFormatException(what + ": the chunk holds more than the " + rows
                    + " rows the footer declares");
        }
        row++;
    }

    /** True if the n levels from {@code i} are one row of n defined values (branch-free, so the JIT can vectorize). */
    private boolean fullRow(int i) {
        int bad = def[i] ^ maxDef;
        for (int j = 1; j < n; j++) {
            bad |= (def[i + j] ^ maxDef) | (rep[i + j] ^ 1);
        }
        return bad == 0;
    }

    /** Closes the current row: the first non-null row fixes n (and allocates); later rows must match it. */
    private void endRow() {
        if (row < 0) {
            return;
        }
        if (n < 0 && !nullRow[row]) {
            n = len;
            list = owner.fixedSizeList("features", n, rows, lane, chunk.valueCount(), name);
            out = new Dest(list.getDataVector().getDataBuffer(), (long) rows * n, lane.width, 1, 0);
            pendingRow = row;
        } else if (n >= 0) {
            owner.checkLength(src, name, row, len, n, nullRow);
        }
    }

    private void store(Page p, Page.Data d, int start, int count, String what) {
        if (count == 0) {
            return;
        }
        Encoding e = p.encoding();
        boolean contiguous = contiguous(count);
        if (contiguous && lane == Lane.F32 && e == Encoding.PLAIN
                && chunk.descriptor().getPrimitiveType().getPrimitiveTypeName() == PrimitiveTypeName.FLOAT) {
            out.copy(dest[0], d.a(), start, Math.toIntExact(4L * count), what); // the page's values in one copy
            if (checkFinite) {
                float[] v = new float[count];
                for (int k = 0; k < count; k++) {
                    v[k] = (float) PlainValues.FLOAT.get(d.a(), start + 4 * k);
                }
                checkFinite(v, count);
            }
            return;
        }
        Object vals = lane.array(null, count);
        if (e == Encoding.PLAIN_DICTIONARY || e == Encoding.RLE_DICTIONARY) {
            if (!(table != null && start < d.end())) {
                throw new ParquetFormatException(what + ": dictionary-encoded page "
                        + "without a dictionary page or ids");
            }
            int[] ids = new int[count];
            new Rle(d.a(), start + 1, d.end(), d.a()[start] & 0xff, what + " dictionary ids").decode(ids, 0, count);
            FlatPages.gather(table, ids, count, vals, what);
        } else {
            Values v = new Values();
            var prim = chunk.descriptor().getPrimitiveType();
            v.decode(prim.getPrimitiveTypeName(), prim.getTypeLength(), e, d.a(), start, d.end(), count, what);
            chunk.type().convert(v, count, lane, vals, what);
        }
        if (checkFinite) {
            checkFinite(vals, count);
        }
        if (contiguous) {
            out.put(lane, vals, dest[0], count, what);
            return;
        }
        for (int k = 0; k < count; k++) {
            put(dest[k], vals, k, what);
        }
    }

    /** Stores value k at element {@code at}, into the pending first row, or nowhere (a dropped ragged tail). */
    private void put(long at, Object vals, int k, String what) {
        if (at >= 0) {
            out.putOne(lane, at, vals, k, what);
        } else if (at != SKIP) {
            int pos = (int) (-1 - at);
            pending = pos < pending.length ? pending : Arrays.copyOf(pending, Math.max(pos + 1, pending.length * 2));
            pending[pos] = switch (lane) {
                case F32 -> Float.floatToRawIntBits(((float[]) vals)[k]);
                case F64 -> Double.doubleToRawLongBits(((double[]) vals)[k]);
                case I64 -> ((long[]) vals)[k];
            };
        }
    }

    private boolean contiguous(int count) {
        long first = dest[0];
        if (first < 0 || out == null) {
            return false;
        }
        for (int k = 1; k < count; k++) {
            if (dest[k] != first + k) {
                return false;
            }
        }
        return true;
    }

    private void checkFinite(Object vals, int count) {
        for (int k = 0; k < count; k++) {
            double v = vals instanceof float[] f ? f[k] : ((double[]) vals)[k];
            if (!Double.isFinite(v)) {
                long at = dest[k];
                String where = at >= 0 ? "at element " + at % n + " (" + src.at(at / n) + ")"
                        : "at element " + (-1 - at) + " (" + src.at(pendingRow < 0 ? row : pendingRow) + ")";
                throw new ParquetDataException("column '" + name + "' has a non-finite value " + v + " "
                        + where + "; checkFinite is on");
            }
        }
    }

    /** Moves the first row's values, which arrived before n was known, into their slot. */
    private void flushPending() {
        if (list == null || pendingRow < 0) {
            return;
        }
        for (int j = 0; j < n; j++) {
            out.putBits((long) pendingRow * n + j, pending[j], chunk.where());
        }
        pendingRow = -1;
    }
}

package dev.kiln.data;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.util.MemoryUtil;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.parquet.bytes.ByteBufferInputStream;
import org.apache.parquet.bytes.BytesInput;
import org.apache.parquet.bytes.BytesUtils;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.Dictionary;
import org.apache.parquet.column.Encoding;
import org.apache.parquet.column.ValuesType;
import org.apache.parquet.column.page.DataPage;
import org.apache.parquet.column.page.DataPageV1;
import org.apache.parquet.column.page.DataPageV2;
import org.apache.parquet.column.page.DictionaryPage;
import org.apache.parquet.column.page.PageReader;
import org.apache.parquet.column.values.ValuesReader;
import org.apache.parquet.schema.Type;

/**
 * Decodes a {@code list<float>} column chunk page by page straight into the child buffer of a
 * {@link FixedSizeListVector}. Per page: the repetition/definition levels are decoded into int arrays, walked once
 * to give every non-null value its destination {@code row * n + position} (checking ragged rows and nulls), and
 * then the values are stored. For PLAIN pages whose values land contiguously (the usual case: no nulls, every row
 * of length n) that is ONE memory copy from the decompressed page into the Arrow buffer; dictionary or other
 * encodings store value by value. This skips parquet-mr's record-assembly reader, which costs a few virtual calls
 * per value.
 */
final class FloatListPages {
    private static final long SKIP = Long.MIN_VALUE;

    private final RowGroupDecoder owner;
    private final RowGroupDecoder.Source src;
    private final String name;
    private final ColumnDescriptor desc;
    private final int maxDef;
    private final boolean elementOptional;
    private final int rows;
    private final boolean[] nullRow;
    private final boolean checkFinite;

    private int[] rep = new int[0];
    private int[] def = new int[0];
    private long[] dest = new long[0];
    private int[] ids = new int[0];
    private float[] table;
    private float[] pending = new float[256];
    private FixedSizeListVector list;
    private int row = -1;
    private int len;
    private int n = -1;
    private int pendingRow = -1;

    FloatListPages(RowGroupDecoder owner, RowGroupDecoder.Source src, String name, ColumnDescriptor desc, int rows,
                   boolean[] nullRow, boolean checkFinite) {
        this.owner = owner;
        this.src = src;
        this.name = name;
        this.desc = desc;
        this.maxDef = desc.getMaxDefinitionLevel();
        this.elementOptional = desc.getPrimitiveType().isRepetition(Type.Repetition.OPTIONAL);
        this.rows = rows;
        this.nullRow = nullRow;
        this.checkFinite = checkFinite;
    }

    /** All pages of the chunk; the caller owns the returned vector. */
    FixedSizeListVector decode(PageReader pages) throws IOException {
        try {
            DictionaryPage dp = pages.readDictionaryPage();
            Dictionary dict = dp == null ? null : dp.getEncoding().initDictionary(desc, dp);
            for (DataPage p = pages.readPage(); p != null; p = pages.readPage()) {
                page(p, dict);
            }
            endRow();
            flushPending();
            if (row + 1 != rows) {
                throw new IllegalArgumentException("column '" + name + "' in file " + src.file() + ", row group "
                        + src.rowGroup() + " holds " + (row + 1) + " rows but the footer declares " + rows);
            }
            return list != null ? list : owner.fixedSizeList(name, 0, rows);
        } catch (IOException | RuntimeException e) {
            if (list != null) {
                list.close();
            }
            throw e;
        }
    }

    private void page(DataPage p, Dictionary dict) throws IOException {
        int count = p.getValueCount();
        if (rep.length < count) {
            rep = new int[count];
            def = new int[count];
            dest = new long[count];
        }
        ByteBufferInputStream values;
        Encoding encoding;
        if (p instanceof DataPageV1 v1) {
            values = v1.getBytes().toInputStream();
            levels(v1.getRlEncoding(), ValuesType.REPETITION_LEVEL, desc.getMaxRepetitionLevel(), values, rep, count);
            levels(v1.getDlEncoding(), ValuesType.DEFINITION_LEVEL, maxDef, values, def, count);
            encoding = v1.getValueEncoding();
        } else {
            DataPageV2 v2 = (DataPageV2) p;
            levels(v2.getRepetitionLevels(), desc.getMaxRepetitionLevel(), rep, count);
            levels(v2.getDefinitionLevels(), maxDef, def, count);
            values = v2.getData().toInputStream();
            encoding = v2.getDataEncoding();
        }
        int nonNull = walk(count);
        store(values, encoding, dict, nonNull);
        flushPending(); // if this page ended the first row, its values (all read by now) go to their slot
    }

    /** Data page V1 levels: RLE (4-byte length, then the hybrid encoding) in bulk; other encodings via parquet-mr. */
    private void levels(Encoding encoding, ValuesType type, int max, ByteBufferInputStream in, int[] out, int count)
            throws IOException {
        if (encoding == Encoding.RLE && max > 0) {
            ByteBuffer prefix = in.slice(4).order(ByteOrder.LITTLE_ENDIAN);
            ByteBuffer data = in.slice(prefix.getInt(prefix.position())).order(ByteOrder.LITTLE_ENDIAN);
            Rle.decode(data, BytesUtils.getWidthFromMaxInt(max), out, count);
            return;
        }
        ValuesReader r = encoding.getValuesReader(desc, type);
        r.initFromPage(count, in);
        for (int i = 0; i < count; i++) {
            out[i] = r.readInteger();
        }
    }

    /** Data page V2 levels: RLE/bit-packed hybrid without a length prefix. */
    private static void levels(BytesInput bytes, int max, int[] out, int count) throws IOException {
        if (max == 0) {
            Arrays.fill(out, 0, count, 0);
            return;
        }
        Rle.decode(bytes.toByteBuffer().order(ByteOrder.LITTLE_ENDIAN), BytesUtils.getWidthFromMaxInt(max), out, count);
    }

    /** Gives each non-null value of the page its destination element index; returns how many there are. */
    private int walk(int count) {
        int k = 0;
        for (int i = 0; i < count; i++) {
            if (n > 0 && rep[i] == 0 && i + n <= count && (i + n == count || rep[i + n] == 0) && fullRow(i)) {
                endRow(); // the common case, a complete row of n values in this page: no per-value branches
                row++;
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
                row++;
                len = 0;
            }
            int d = def[i];
            if (d == maxDef) {
                dest[k++] = n < 0 ? -1 - len : len < n ? (long) row * n + len : SKIP;
                len++;
            } else if (elementOptional && d == maxDef - 1) {
                owner.nullValue(src, name, row, nullRow, "a null element at position " + len);
                len++;
            } else {
                owner.nullValue(src, name, row, nullRow, d == maxDef - (elementOptional ? 2 : 1)
                        ? "an empty list" : "a null list");
            }
        }
        return k;
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
            list = owner.fixedSizeList(name, n, rows);
            pendingRow = row;
        } else if (n >= 0) {
            owner.checkLength(src, name, row, len, n, nullRow);
        }
    }

    private void store(ByteBufferInputStream in, Encoding encoding, Dictionary dict, int count) throws IOException {
        if (count == 0) {
            return;
        }
        ArrowBuf buf = list == null ? null : list.getDataVector().getDataBuffer();
        if (encoding == Encoding.PLAIN && contiguous(count)) {
            ByteBuffer bytes = in.slice(count * 4).order(ByteOrder.LITTLE_ENDIAN);
            buf.setBytes(dest[0] * 4, bytes); // the whole page's values in one copy
            if (checkFinite) {
                for (int k = 0; k < count; k++) {
                    checkFinite(buf.getFloat((dest[0] + k) * 4), dest[0] + k);
                }
            }
            return;
        }
        long addr = buf == null ? 0 : buf.memoryAddress();
        if (encoding.usesDictionary()) { // ids in bulk (first byte: their bit width), then a table lookup each
            ByteBuffer ids = in.slice(in.available());
            if (this.ids.length < count) {
                this.ids = new int[Math.max(count, dest.length)];
            }
            Rle.decode(ids, ids.get() & 0xff, this.ids, count);
            float[] table = dictionary(dict);
            if (!checkFinite && contiguous(count)) {
                long base = addr + dest[0] * 4;
                try {
                    for (int k = 0; k < count; k++) {
                        MemoryUtil.putInt(base + 4L * k, Float.floatToRawIntBits(table[this.ids[k]]));
                    }
                } catch (ArrayIndexOutOfBoundsException e) { // a corrupt id; the Java array check guards memory
                    throw new IllegalArgumentException("column '" + name + "' in file " + src.file() + ", row group "
                            + src.rowGroup() + ": dictionary id out of range [0, " + table.length + ")", e);
                }
                return;
            }
            for (int k = 0; k < count; k++) {
                int id = this.ids[k];
                if (id < 0 || id >= table.length) {
                    throw new IllegalArgumentException("column '" + name + "' in file " + src.file() + ", row group "
                            + src.rowGroup() + ": dictionary id " + id + " out of range [0, " + table.length + ")");
                }
                put(addr, dest[k], table[id]);
            }
            return;
        }
        ValuesReader r = encoding.getValuesReader(desc, ValuesType.VALUES);
        r.initFromPage(count, in);
        for (int k = 0; k < count; k++) {
            put(addr, dest[k], r.readFloat());
        }
    }

    private float[] dictionary(Dictionary dict) {
        if (table == null) {
            if (dict == null) {
                throw new IllegalArgumentException("column '" + name + "' in file " + src.file() + ", row group "
                        + src.rowGroup() + " has dictionary-encoded pages but no dictionary page");
            }
            table = new float[dict.getMaxId() + 1];
            for (int i = 0; i < table.length; i++) {
                table[i] = dict.decodeToFloat(i);
            }
        }
        return table;
    }

    /** Stores one value at element {@code at}, into the pending first row, or nowhere (a dropped ragged tail). */
    private void put(long addr, long at, float v) {
        if (at >= 0) {
            if (checkFinite) {
                checkFinite(v, at);
            }
            MemoryUtil.putInt(addr + at * 4, Float.floatToRawIntBits(v));
        } else if (at != SKIP) {
            int pos = (int) (-1 - at);
            pending = pos < pending.length ? pending : Arrays.copyOf(pending, Math.max(pos + 1, pending.length * 2));
            pending[pos] = v;
        }
    }

    private boolean contiguous(int count) {
        long first = dest[0];
        if (first < 0) {
            return false;
        }
        for (int k = 1; k < count; k++) {
            if (dest[k] != first + k) {
                return false;
            }
        }
        return true;
    }

    private void checkFinite(float v, long at) {
        if (!Float.isFinite(v)) {
            throw new IllegalArgumentException("column '" + name + "' has a non-finite value " + v + " at element "
                    + at % n + " (" + src.at(at / n) + "); checkFinite is on");
        }
    }

    /** Moves the first row's values, which arrived before n was known, into their slot. */
    private void flushPending() {
        if (list == null || pendingRow < 0) {
            return;
        }
        if (checkFinite) {
            for (int j = 0; j < n; j++) {
                checkFinite(pending[j], (long) pendingRow * n + j);
            }
        }
        ArrowBuf buf = list.getDataVector().getDataBuffer();
        for (int j = 0; j < n; j++) {
            buf.setFloat(((long) pendingRow * n + j) * 4, pending[j]);
        }
        pendingRow = -1;
    }
}

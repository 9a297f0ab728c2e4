package dev.kiln.data;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.function.Function;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.util.MemoryUtil;
import org.apache.arrow.vector.BaseFixedWidthVector;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.ColumnReadStore;
import org.apache.parquet.column.ColumnReader;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;

/**
 * Decodes one Parquet row group's columns straight into Arrow vectors it allocates: a {@code list<float>} column
 * becomes a {@link FixedSizeListVector} whose child buffer is the {@code [rows, n]} float matrix, filled page by
 * page by {@link FloatListPages} (one memory copy per PLAIN page); scalar columns go through parquet-mr's column
 * reader, each value stored at its final address. int32 labels are widened to int64 while being stored.
 *
 * <p>Nulls: a row with a null feature, list element or label either fails (naming file, row group, row and
 * column) or, with {@code dropNulls}, is removed by compacting the buffers in place after decoding.
 */
final class RowGroupDecoder {
    /** Where the row group comes from, for error messages and the per-row-group checks. */
    record Source(String file, int rowGroup, long rows) {
        String at(long row) {
            return "file " + file + ", row group " + rowGroup + ", row " + row;
        }
    }

    /** Thrown when the parallel uniform path does not apply; the caller decodes the row group again, in general. */
    static final class NotUniform extends RuntimeException {
        NotUniform() {
            super(null, null, false, false);
        }
    }

    private final BufferAllocator allocator;
    private final boolean dropNulls;
    private final boolean checkFinite;
    private final ExecutorService pagePool;

    /** {@code pagePool}: threads that decode the pages of one column chunk in parallel (null: this thread only). */
    RowGroupDecoder(BufferAllocator allocator, boolean dropNulls, boolean checkFinite, ExecutorService pagePool) {
        this.allocator = allocator;
        this.dropNulls = dropNulls;
        this.checkFinite = checkFinite;
        this.pagePool = pagePool;
    }

    /**
     * Decodes {@code columns} (readers positioned at the row group's start) into a root the caller owns. With
     * {@code uniform}, a {@code list<float>} column is first tried with the parallel {@link UniformPages}; if that
     * does not apply, {@link NotUniform} is thrown (nothing left allocated) and the caller retries without it.
     */
    VectorSchemaRoot decode(Source src, List<ParquetColumn> columns, PageReadStore pages, ColumnReadStore store,
                            List<ColumnDescriptor> descriptors, Function<byte[], float[]> bytesDecoder,
                            boolean uniform) throws IOException {
        int rows = Math.toIntExact(src.rows());
        boolean[] nullRow = new boolean[rows];
        List<FieldVector> vectors = new ArrayList<>(columns.size());
        try {
            for (int c = 0; c < columns.size(); c++) {
                ParquetColumn col = columns.get(c);
                ColumnDescriptor d = descriptors.get(c);
                if (col.kind() == ParquetColumn.Kind.FLOAT_LIST && uniform) { // the hot path, pages in parallel
                    FixedSizeListVector v = new UniformPages(this, src, col.name(), d, rows, checkFinite)
                            .decode(pages.getPageReader(d), pagePool);
                    if (v == null) {
                        throw new NotUniform();
                    }
                    vectors.add(v);
                    continue;
                }
                if (col.kind() == ParquetColumn.Kind.FLOAT_LIST) { // general: pages in order, nulls and ragged rows
                    vectors.add(new FloatListPages(this, src, col.name(), d, rows, nullRow, checkFinite)
                            .decode(pages.getPageReader(d)));
                    continue;
                }
                ColumnReader r = store.getColumnReader(d); // reads its first page now, so only for scalar columns
                vectors.add(switch (col.kind()) {
                    case FLOAT_LIST -> throw new AssertionError();
                    case FLOAT_SCALAR -> floatScalar(src, col.name(), r, d, rows, nullRow);
                    case INT_LABEL -> intLabel(src, col.name(), r, d, rows, nullRow);
                    case BYTES -> bytes(src, col.name(), r, d, rows, nullRow, bytesDecoder);
                });
            }
            int kept = dropNulls ? compact(vectors, nullRow) : rows;
            for (FieldVector v : vectors) {
                v.setValueCount(kept);
            }
            return new VectorSchemaRoot(vectors);
        } catch (IOException | RuntimeException e) {
            vectors.forEach(FieldVector::close);
            throw e;
        }
    }

    FixedSizeListVector fixedSizeList(String name, int n, int rows) {
        FixedSizeListVector list = FixedSizeListVector.empty(name, n, allocator);
        list.addOrGetVector(FieldType.notNullable(new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE)));
        list.setInitialCapacity(rows);
        list.allocateNew();
        setAllValid(list.getValidityBuffer(), rows);
        setAllValid(((Float4Vector) list.getDataVector()).getValidityBuffer(), (long) rows * n);
        return list;
    }

    void checkLength(Source src, String name, int row, int len, int n, boolean[] nullRow) {
        if (len != n && !nullRow[row]) {
            throw new IllegalArgumentException("ragged column '" + name + "': " + src.at(row) + " has " + len
                    + " elements but the row group's first row has " + n + "; every row of a feature column "
                    + "must have the same length");
        }
    }

    private FieldVector floatScalar(Source src, String name, ColumnReader r, ColumnDescriptor d, int rows,
                                    boolean[] nullRow) {
        boolean isDouble = d.getPrimitiveType().getPrimitiveTypeName() == PrimitiveTypeName.DOUBLE;
        BaseFixedWidthVector v = isDouble ? new Float8Vector(name, allocator) : new Float4Vector(name, allocator);
        v.allocateNew(rows);
        setAllValid(v.getValidityBuffer(), rows);
        long addr = v.getDataBuffer().memoryAddress();
        int maxDef = d.getMaxDefinitionLevel();
        try {
            fillFloats(src, name, r, rows, nullRow, isDouble, addr, maxDef);
            return v;
        } catch (RuntimeException e) {
            v.close();
            throw e;
        }
    }

    private void fillFloats(Source src, String name, ColumnReader r, int rows, boolean[] nullRow, boolean isDouble,
                            long addr, int maxDef) {
        for (int row = 0; row < rows; row++) {
            if (r.getCurrentDefinitionLevel() == maxDef) {
                double x = isDouble ? r.getDouble() : r.getFloat();
                if (checkFinite && !Double.isFinite(x)) {
                    throw new IllegalArgumentException("column '" + name + "' has a non-finite value " + x + " ("
                            + src.at(row) + "); checkFinite is on");
                }
                if (isDouble) {
                    MemoryUtil.putLong(addr + row * 8L, Double.doubleToRawLongBits(x));
                } else {
                    MemoryUtil.putInt(addr + row * 4L, Float.floatToRawIntBits((float) x));
                }
            } else {
                nullValue(src, name, row, nullRow, "a null value");
            }
            r.consume();
        }
    }

    private FieldVector intLabel(Source src, String name, ColumnReader r, ColumnDescriptor d, int rows,
                                 boolean[] nullRow) {
        boolean isLong = d.getPrimitiveType().getPrimitiveTypeName() == PrimitiveTypeName.INT64;
        BigIntVector v = new BigIntVector(name, allocator);
        v.allocateNew(rows);
        setAllValid(v.getValidityBuffer(), rows);
        long addr = v.getDataBuffer().memoryAddress();
        int maxDef = d.getMaxDefinitionLevel();
        try {
            for (int row = 0; row < rows; row++) {
                if (r.getCurrentDefinitionLevel() == maxDef) {
                    MemoryUtil.putLong(addr + row * 8L, isLong ? r.getLong() : r.getInteger());
                } else {
                    nullValue(src, name, row, nullRow, "a null value");
                }
                r.consume();
            }
            return v;
        } catch (RuntimeException e) {
            v.close();
            throw e;
        }
    }

    private FieldVector bytes(Source src, String name, ColumnReader r, ColumnDescriptor d, int rows,
                              boolean[] nullRow, Function<byte[], float[]> decoder) {
        int maxDef = d.getMaxDefinitionLevel();
        FixedSizeListVector list = null;
        try {
            for (int row = 0; row < rows; row++) {
                float[] x = null;
                if (r.getCurrentDefinitionLevel() == maxDef) {
                    x = decoder.apply(r.getBinary().getBytes());
                } else {
                    nullValue(src, name, row, nullRow, "a null value");
                }
                r.consume();
                if (list == null && x != null) {
                    list = fixedSizeList(name, x.length, rows);
                }
                if (x != null) {
                    if (x.length != list.getListSize()) {
                        throw new IllegalArgumentException("decoded column '" + name + "': " + src.at(row)
                                + " decoded to " + x.length + " floats, earlier rows to " + list.getListSize());
                    }
                    ArrowBuf buf = list.getDataVector().getDataBuffer();
                    MemoryUtil.copyToMemory(floatBytes(x), 0, buf.memoryAddress() + (long) row * x.length * 4,
                            x.length * 4L);
                }
            }
            return list != null ? list : fixedSizeList(name, 0, rows);
        } catch (RuntimeException e) {
            if (list != null) {
                list.close();
            }
            throw e;
        }
    }

    private static byte[] floatBytes(float[] x) {
        java.nio.ByteBuffer bb = java.nio.ByteBuffer.allocate(x.length * 4).order(java.nio.ByteOrder.nativeOrder());
        bb.asFloatBuffer().put(x);
        return bb.array();
    }

    void nullValue(Source src, String name, int row, boolean[] nullRow, String what) {
        if (!dropNulls) {
            throw new IllegalArgumentException("column '" + name + "' has " + what + " (" + src.at(row)
                    + "); tensors cannot hold nulls: clean the data or set dropNulls(true) to skip such rows");
        }
        nullRow[row] = true;
    }

    private static void checkRowCount(Source src, String name, int found, int rows) {
        if (found != rows) {
            throw new IllegalArgumentException("column '" + name + "' in file " + src.file() + ", row group "
                    + src.rowGroup() + " holds " + found + " rows but the footer declares " + rows);
        }
    }

    /** Moves the kept rows of every vector down over the dropped ones; returns how many rows are kept. */
    private static int compact(List<FieldVector> vectors, boolean[] nullRow) {
        int kept = 0;
        for (int row = 0; row < nullRow.length; row++) {
            if (!nullRow[row]) {
                if (kept != row) {
                    for (FieldVector v : vectors) {
                        long width = rowBytes(v);
                        long base = dataBuffer(v).memoryAddress();
                        MemoryUtil.copyMemory(base + row * width, base + kept * width, width);
                    }
                }
                kept++;
            }
        }
        return kept;
    }

    private static long rowBytes(FieldVector v) {
        if (v instanceof FixedSizeListVector l) {
            return (long) l.getListSize() * 4;
        }
        return ((BaseFixedWidthVector) v).getTypeWidth();
    }

    private static ArrowBuf dataBuffer(FieldVector v) {
        return v instanceof FixedSizeListVector l ? l.getDataVector().getDataBuffer() : v.getDataBuffer();
    }

    private static void setAllValid(ArrowBuf validity, long count) {
        validity.setOne(0, (count + 7) / 8);
    }
}

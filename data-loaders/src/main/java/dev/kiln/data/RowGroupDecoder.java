package dev.kiln.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
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
import org.apache.parquet.column.ColumnReader;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;

/**
 * Decodes one Parquet row group's columns straight into Arrow vectors it allocates: Parquet's page decoder hands
 * out one value at a time and each is stored at its final address in the Arrow buffer, so a {@code list<float>}
 * column becomes a {@link FixedSizeListVector} whose child buffer is the {@code [rows, n]} float matrix with no
 * intermediate Java array. int32 labels are widened to int64 while being stored (no second pass).
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

    private final BufferAllocator allocator;
    private final boolean dropNulls;
    private final boolean checkFinite;

    RowGroupDecoder(BufferAllocator allocator, boolean dropNulls, boolean checkFinite) {
        this.allocator = allocator;
        this.dropNulls = dropNulls;
        this.checkFinite = checkFinite;
    }

    /** Decodes {@code columns} (readers positioned at the row group's start) into a root the caller owns. */
    VectorSchemaRoot decode(Source src, List<ParquetColumn> columns, List<ColumnReader> readers,
                            List<ColumnDescriptor> descriptors, Function<byte[], float[]> bytesDecoder) {
        int rows = Math.toIntExact(src.rows());
        boolean[] nullRow = new boolean[rows];
        List<FieldVector> vectors = new ArrayList<>(columns.size());
        try {
            for (int c = 0; c < columns.size(); c++) {
                ParquetColumn col = columns.get(c);
                ColumnReader r = readers.get(c);
                ColumnDescriptor d = descriptors.get(c);
                vectors.add(switch (col.kind()) {
                    case FLOAT_LIST -> floatList(src, col.name(), r, d, rows, nullRow);
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
        } catch (RuntimeException e) {
            vectors.forEach(FieldVector::close);
            throw e;
        }
    }

    /**
     * A list<float> column into a fixed-size list of n per row, n being the first non-null row's length. Until
     * that row ends its values wait in a small array (the page reader cannot be rewound to peek at n).
     */
    private FixedSizeListVector floatList(Source src, String name, ColumnReader r, ColumnDescriptor d, int rows,
                                          boolean[] nullRow) {
        int maxDef = d.getMaxDefinitionLevel();
        boolean elementOptional = d.getPrimitiveType().isRepetition(org.apache.parquet.schema.Type.Repetition.OPTIONAL);
        float[] pending = new float[256];
        FixedSizeListVector list = null;
        try {
            long addr = 0;
            int n = -1;
            long total = r.getTotalValueCount();
            int row = -1;
            int len = 0;
            for (long i = 0; i < total; i++) {
                if (r.getCurrentRepetitionLevel() == 0) {
                    if (row >= 0 && n < 0 && !nullRow[row]) {
                        n = len;
                        list = fixedSizeList(name, n, rows);
                        addr = list.getDataVector().getDataBuffer().memoryAddress();
                        MemoryUtil.copyToMemory(floatBytes(Arrays.copyOf(pending, n)), 0, addr + (long) row * n * 4,
                                n * 4L);
                    } else if (row >= 0 && n >= 0) {
                        checkLength(src, name, row, len, n, nullRow);
                    }
                    row++;
                    len = 0;
                }
                int def = r.getCurrentDefinitionLevel();
                if (def == maxDef) {
                    float v = r.getFloat();
                    if (checkFinite && !Float.isFinite(v)) {
                        throw new IllegalArgumentException("column '" + name + "' has a non-finite value " + v
                                + " at element " + len + " (" + src.at(row) + "); checkFinite is on");
                    }
                    if (n < 0) {
                        pending = len < pending.length ? pending : Arrays.copyOf(pending, pending.length * 2);
                        pending[len] = v;
                    } else if (len < n) {
                        MemoryUtil.putInt(addr + ((long) row * n + len) * 4, Float.floatToRawIntBits(v));
                    }
                    len++;
                } else if (elementOptional && def == maxDef - 1) {
                    nullValue(src, name, row, nullRow, "a null element at position " + len);
                    len++;
                } else {
                    nullValue(src, name, row, nullRow, def == maxDef - (elementOptional ? 2 : 1)
                            ? "an empty list" : "a null list");
                }
                r.consume();
            }
            if (row >= 0 && n < 0 && !nullRow[row]) {
                n = len;
                list = fixedSizeList(name, n, rows);
                MemoryUtil.copyToMemory(floatBytes(Arrays.copyOf(pending, n)), 0,
                        list.getDataVector().getDataBuffer().memoryAddress() + (long) row * n * 4, n * 4L);
            } else if (row >= 0 && n >= 0) {
                checkLength(src, name, row, len, n, nullRow);
            }
            checkRowCount(src, name, row + 1, rows);
            return list != null ? list : fixedSizeList(name, 0, rows);
        } catch (RuntimeException e) {
            if (list != null) {
                list.close();
            }
            throw e;
        }
    }

    private FixedSizeListVector fixedSizeList(String name, int n, int rows) {
        FixedSizeListVector list = FixedSizeListVector.empty(name, n, allocator);
        list.addOrGetVector(FieldType.notNullable(new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE)));
        list.setInitialCapacity(rows);
        list.allocateNew();
        setAllValid(list.getValidityBuffer(), rows);
        setAllValid(((Float4Vector) list.getDataVector()).getValidityBuffer(), (long) rows * n);
        return list;
    }

    private void checkLength(Source src, String name, int row, int len, int n, boolean[] nullRow) {
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

    private void nullValue(Source src, String name, int row, boolean[] nullRow, String what) {
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

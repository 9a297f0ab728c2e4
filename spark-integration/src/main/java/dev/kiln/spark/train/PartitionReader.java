package dev.kiln.spark.train;

import dev.kiln.spark.train.InputColumns.ScalarType;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import java.util.Iterator;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.util.ArrayData;

/**
 * Copies a partition's rows, once, from Spark's {@code InternalRow}s into Arrow buffers (features as float32
 * {@code [rows, d]}, labels as int64 or float32), and wraps those buffers as tensors without a second copy. This is
 * the only copy between Spark and the training loop; batches are views or gathers of these tensors.
 *
 * <p>Errors name the partition, the row within it, the column and what was expected: nulls, vectors whose length
 * differs from the first row's, labels that are not whole class indices.
 */
final class PartitionReader {
    private final InputColumns columns;
    private final int partition;

    PartitionReader(InputColumns columns, int partition) {
        this.columns = columns;
        this.partition = partition;
    }

    /** Reads every row of {@code rows} (fields in {@link InputColumns#selectedColumns()} order). */
    PartitionData read(Iterator<InternalRow> rows, BufferAllocator allocator) {
        int labelOrdinal = columns.kind() == InputColumns.FeatureKind.SCALARS ? columns.featureColumns().length : 1;
        boolean indexLabels = columns.labelType() == InputColumns.LabelType.INDEX;
        try (GrowableBuffer features = new GrowableBuffer(allocator, 4, 1 << 16);
             GrowableBuffer labels = new GrowableBuffer(allocator, indexLabels ? 8 : 4, 1 << 12)) {
            long row = 0;
            int dim = -1;
            while (rows.hasNext()) {
                InternalRow r = rows.next();
                int d = readFeatures(r, features, row);
                if (dim < 0) {
                    dim = d;
                } else if (d != dim) {
                    throw error(row, columns.featureColumns()[0], "has " + d + " features, but the partition's "
                            + "first row has " + dim + "; every row must have the same number of features");
                }
                if (columns.hasLabel()) {
                    labels.reserve(1);
                    readLabel(r, labelOrdinal, labels, row, indexLabels);
                }
                row++;
            }
            if (dim < 0) {
                dim = 0;
            }
            Tensor x = Tensor.fromArrow(features.buffer(), 0, DType.FLOAT32, row, dim);
            Tensor y = columns.hasLabel()
                    ? Tensor.fromArrow(labels.buffer(), 0, indexLabels ? DType.INT64 : DType.FLOAT32, row)
                    : null;
            return new PartitionData(x, y);
        }
    }

    private int readFeatures(InternalRow r, GrowableBuffer out, long row) {
        switch (columns.kind()) {
            case VECTOR:
                return readVector(r, out, row);
            case ARRAY:
                return readArray(r, out, row);
            default:
                int n = columns.featureColumns().length;
                out.reserve(n);
                for (int i = 0; i < n; i++) {
                    out.putFloat((float) scalar(r, i, columns.scalarType(i), row, columns.featureColumns()[i]));
                }
                return n;
        }
    }

    /** Spark ML's VectorUDT row: struct(type: byte 0 sparse / 1 dense, size: int, indices: int[], values: double[]). */
    private int readVector(InternalRow r, GrowableBuffer out, long row) {
        String name = columns.featureColumns()[0];
        if (r.isNullAt(0)) {
            throw error(row, name, "is null; drop or fill null feature vectors first (e.g. df.na().drop())");
        }
        InternalRow v = r.getStruct(0, 4);
        ArrayData values = v.getArray(3);
        if (v.getByte(0) == 1) {
            int n = values.numElements();
            out.reserve(n);
            for (int i = 0; i < n; i++) {
                out.putFloat((float) values.getDouble(i));
            }
            return n;
        }
        int size = v.getInt(1);
        ArrayData indices = v.getArray(2);
        out.reserve(size);
        long base = out.count();
        for (int i = 0; i < size; i++) {
            out.putFloat(0f);
        }
        for (int k = 0; k < indices.numElements(); k++) {
            int idx = indices.getInt(k);
            if (idx < 0 || idx >= size) {
                throw error(row, name, "is a sparse vector of size " + size + " with index " + idx);
            }
            out.buffer().setFloat((base + idx) * 4, (float) values.getDouble(k));
        }
        return size;
    }

    private int readArray(InternalRow r, GrowableBuffer out, long row) {
        String name = columns.featureColumns()[0];
        if (r.isNullAt(0)) {
            throw error(row, name, "is null; drop or fill null feature arrays first (e.g. df.na().drop())");
        }
        ArrayData a = r.getArray(0);
        int n = a.numElements();
        ScalarType t = columns.arrayElement();
        if (t == ScalarType.FLOAT) {
            for (int i = 0; columns.arrayContainsNull() && i < n; i++) {
                if (a.isNullAt(i)) {
                    throw error(row, name, "has a null element at index " + i);
                }
            }
            out.putFloats(a.toFloatArray());
            return n;
        }
        out.reserve(n);
        for (int i = 0; i < n; i++) {
            if (a.isNullAt(i)) {
                throw error(row, name, "has a null element at index " + i);
            }
            out.putFloat((float) SparkNumbers.element(a, i, t, columns.decimal(-1)));
        }
        return n;
    }

    private void readLabel(InternalRow r, int ordinal, GrowableBuffer out, long row, boolean index) {
        String name = columns.labelColumn();
        double v = scalar(r, ordinal, columns.scalarType(ordinal), row, name);
        if (index) {
            if (v != Math.rint(v) || v < 0) {
                throw error(row, name, "is " + v + ", expected a non-negative whole class index for this loss");
            }
            out.putLong((long) v);
        } else {
            out.putFloat((float) v);
        }
    }

    private double scalar(InternalRow r, int ordinal, ScalarType t, long row, String name) {
        if (r.isNullAt(ordinal)) {
            throw error(row, name, "is null; drop or fill nulls first (e.g. df.na().drop())");
        }
        return SparkNumbers.scalar(r, ordinal, t, columns.decimal(ordinal));
    }

    private IllegalArgumentException error(long row, String column, String what) {
        return new IllegalArgumentException("column '" + column + "' in partition " + partition + ", row " + row
                + ": value " + what);
    }
}

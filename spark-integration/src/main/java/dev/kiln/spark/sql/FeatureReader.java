package dev.kiln.spark.sql;

import dev.kiln.memory.Unsafe;
import dev.kiln.spark.train.InputColumns;
import dev.kiln.spark.train.InputColumns.ScalarType;
import dev.kiln.spark.train.SparkNumbers;
import java.io.Serializable;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.types.StructType;

/**
 * Reads one row's features straight from Spark's {@code InternalRow} into float32 memory (an Arrow buffer's
 * address), in the layouts {@link InputColumns} accepts: a Spark ML {@code Vector} (dense or sparse), an
 * {@code array} of numbers, or several scalar numeric columns. Columns are found by their ordinals in the full input
 * row, so no projection (and no copy) happens before reading.
 */
final class FeatureReader implements Serializable {
    private static final long serialVersionUID = 1L;

    private final InputColumns columns;
    private final int[] ordinals; // of the feature columns in the input row

    FeatureReader(InputColumns columns, StructType schema) {
        this.columns = columns;
        String[] names = columns.featureColumns();
        this.ordinals = new int[names.length];
        for (int i = 0; i < names.length; i++) {
            ordinals[i] = schema.fieldIndex(names[i]);
        }
    }

    /** The features column's name (the first, for several scalar columns), for messages. */
    String column() {
        return columns.featureColumns()[0];
    }

    /** The row's feature count, or -1 when its features are null (a null vector/array or a null scalar). */
    int width(InternalRow r) {
        switch (columns.kind()) {
            case VECTOR:
                if (r.isNullAt(ordinals[0])) {
                    return -1;
                }
                InternalRow v = r.getStruct(ordinals[0], 4);
                return v.getByte(0) == 1 ? v.getArray(3).numElements() : v.getInt(1);
            case ARRAY:
                return r.isNullAt(ordinals[0]) ? -1 : r.getArray(ordinals[0]).numElements();
            default:
                for (int o : ordinals) {
                    if (r.isNullAt(o)) {
                        return -1;
                    }
                }
                return ordinals.length;
        }
    }

    /**
     * Writes the row's {@code width} features (as returned by {@link #width}) as float32 at {@code address}.
     * Returns null, or what is wrong with the row (a null array element, a sparse index out of range).
     */
    String write(InternalRow r, int width, long address) {
        switch (columns.kind()) {
            case VECTOR:
                return writeVector(r.getStruct(ordinals[0], 4), width, address);
            case ARRAY:
                return writeArray(r.getArray(ordinals[0]), address);
            default:
                for (int i = 0; i < ordinals.length; i++) {
                    Unsafe.putFloat(address + 4L * i, (float) SparkNumbers.scalar(r, ordinals[i], columns.scalarType(i),
                            columns.decimal(i)));
                }
                return null;
        }
    }

    /** Spark ML's VectorUDT row: struct(type: 0 sparse / 1 dense, size: int, indices: int[], values: double[]). */
    private static String writeVector(InternalRow v, int width, long address) {
        ArrayData values = v.getArray(3);
        if (v.getByte(0) == 1) {
            for (int i = 0; i < width; i++) {
                Unsafe.putFloat(address + 4L * i, (float) values.getDouble(i));
            }
            return null;
        }
        Unsafe.setMemory(address, 4L * width, (byte) 0);
        ArrayData indices = v.getArray(2);
        for (int k = 0; k < indices.numElements(); k++) {
            int idx = indices.getInt(k);
            if (idx < 0 || idx >= width) {
                return "is a sparse vector of size " + width + " with index " + idx;
            }
            Unsafe.putFloat(address + 4L * idx, (float) values.getDouble(k));
        }
        return null;
    }

    private String writeArray(ArrayData a, long address) {
        int n = a.numElements();
        ScalarType t = columns.arrayElement();
        if (columns.arrayContainsNull()) {
            for (int i = 0; i < n; i++) {
                if (a.isNullAt(i)) {
                    return "has a null element at index " + i;
                }
            }
        }
        for (int i = 0; i < n; i++) {
            Unsafe.putFloat(address + 4L * i, (float) SparkNumbers.element(a, i, t, columns.decimal(-1)));
        }
        return null;
    }
}

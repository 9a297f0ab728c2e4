package dev.kiln.spark.train;

import dev.kiln.spark.train.InputColumns.ScalarType;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.util.ArrayData;

/**
 * Spark's numeric values as doubles, read from an {@code InternalRow} field or an array element: the one place
 * training ({@link PartitionReader}) and scoring ({@code spark.sql.FeatureReader}) decode them. Callers check
 * nulls first; {@code decimal} is {precision, scale} for DECIMAL, else ignored.
 */
public final class SparkNumbers {
    private SparkNumbers() {
    }

    public static double scalar(InternalRow r, int ordinal, ScalarType t, int[] decimal) {
        return switch (t) {
            case BOOLEAN -> r.getBoolean(ordinal) ? 1 : 0;
            case BYTE -> r.getByte(ordinal);
            case SHORT -> r.getShort(ordinal);
            case INT -> r.getInt(ordinal);
            case LONG -> r.getLong(ordinal);
            case FLOAT -> r.getFloat(ordinal);
            case DOUBLE -> r.getDouble(ordinal);
            case DECIMAL -> r.getDecimal(ordinal, decimal[0], decimal[1]).toDouble();
        };
    }

    public static double element(ArrayData a, int i, ScalarType t, int[] decimal) {
        return switch (t) {
            case BOOLEAN -> a.getBoolean(i) ? 1 : 0;
            case BYTE -> a.getByte(i);
            case SHORT -> a.getShort(i);
            case INT -> a.getInt(i);
            case LONG -> a.getLong(i);
            case FLOAT -> a.getFloat(i);
            case DOUBLE -> a.getDouble(i);
            case DECIMAL -> a.getDecimal(i, decimal[0], decimal[1]).toDouble();
        };
    }
}

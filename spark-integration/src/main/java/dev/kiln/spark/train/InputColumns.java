package dev.kiln.spark.train;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.BooleanType;
import org.apache.spark.sql.types.ByteType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DecimalType;
import org.apache.spark.sql.types.DoubleType;
import org.apache.spark.sql.types.FloatType;
import org.apache.spark.sql.types.IntegerType;
import org.apache.spark.sql.types.LongType;
import org.apache.spark.sql.types.ShortType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Which DataFrame columns feed a training loop and how they become tensors, resolved and validated on the driver
 * against the schema before any job runs (Spark ML's {@code transformSchema} habit), then shipped to the tasks.
 *
 * <p>Features become one float32 {@code [rows, d]} matrix from either one column — a Spark ML {@code Vector}
 * (dense or sparse), or an {@code array} of any numeric type — or several scalar numeric columns (one feature
 * each, in the order given). The label, when present, is a scalar numeric column, kept as int64 class indices for
 * classification losses and as float32 otherwise.
 */
public final class InputColumns implements Serializable {
    private static final long serialVersionUID = 1L;

    /** How the features are laid out in a row. */
    public enum FeatureKind {
        /** One Spark ML {@code Vector} column (VectorUDT). */
        VECTOR,
        /** One {@code array<numeric>} column. */
        ARRAY,
        /** Several scalar numeric columns. */
        SCALARS
    }

    /** The element type a label is kept as. */
    public enum LabelType {
        /** Class indices (int64), for cross entropy / NLL. */
        INDEX,
        /** float32 targets, for regression and BCE losses. */
        FLOAT
    }

    private final FeatureKind kind;
    private final String[] featureColumns;
    private final String labelColumn; // null: no label
    private final LabelType labelType;
    private final ScalarType[] scalarTypes; // per selected column (features..., label)
    private final ScalarType arrayElement;  // for ARRAY
    private final int[][] decimals;
    private boolean arrayContainsNull = true;         // {precision, scale} per selected column; the last entry is the array element's

    /** Spark's scalar numeric types, as read from an {@code InternalRow}. */
    public enum ScalarType {
        BOOLEAN, BYTE, SHORT, INT, LONG, FLOAT, DOUBLE, DECIMAL
    }

    private InputColumns(FeatureKind kind, String[] featureColumns, String labelColumn, LabelType labelType,
                         ScalarType[] scalarTypes, ScalarType arrayElement, int[][] decimals) {
        this.kind = kind;
        this.featureColumns = featureColumns;
        this.labelColumn = labelColumn;
        this.labelType = labelType;
        this.scalarTypes = scalarTypes;
        this.arrayElement = arrayElement;
        this.decimals = decimals;
    }

    /**
     * Validates {@code featureColumns} (one vector/array column, or several numeric ones) and {@code labelColumn}
     * (null for none) against {@code schema}; the error names the column, its type, and what was expected.
     */
    public static InputColumns resolve(StructType schema, String[] featureColumns, String labelColumn,
                                       LabelType labelType) {
        if (featureColumns == null || featureColumns.length == 0) {
            throw new IllegalArgumentException("featuresCol is not set: name a Vector or array column, or several "
                    + "numeric columns");
        }
        List<ScalarType> types = new ArrayList<>();
        List<int[]> decimals = new ArrayList<>();
        FeatureKind kind;
        ScalarType element = null;
        int[] arrayDecimal = null;
        boolean elementsMayBeNull = true;
        if (featureColumns.length == 1) {
            DataType t = field(schema, featureColumns[0], "featuresCol").dataType();
            if (t.equals(SQLDataTypes.VectorType())) {
                kind = FeatureKind.VECTOR;
                types.add(null); // ordinal 0 is the vector column itself
                decimals.add(null);
            } else if (t instanceof ArrayType a) {
                kind = FeatureKind.ARRAY;
                types.add(null); // ordinal 0 is the array column itself
                decimals.add(null);
                element = scalarType(a.elementType());
                arrayDecimal = decimal(a.elementType());
                elementsMayBeNull = a.containsNull();
                if (element == null) {
                    throw new IllegalArgumentException("features column '" + featureColumns[0] + "' has type "
                            + t.simpleString() + ", expected a Vector, an array of numbers, or numeric columns");
                }
            } else if (scalarType(t) != null) {
                kind = FeatureKind.SCALARS;
                types.add(scalarType(t));
                decimals.add(decimal(t));
            } else {
                throw new IllegalArgumentException("features column '" + featureColumns[0] + "' has type "
                        + t.simpleString() + ", expected a Vector, an array of numbers, or numeric columns");
            }
        } else {
            kind = FeatureKind.SCALARS;
            for (String c : featureColumns) {
                DataType t = field(schema, c, "featuresCols").dataType();
                ScalarType s = scalarType(t);
                if (s == null) {
                    throw new IllegalArgumentException("feature column '" + c + "' has type " + t.simpleString()
                            + "; with several feature columns each must be a scalar number (int, long, float, "
                            + "double, decimal, boolean)");
                }
                types.add(s);
                decimals.add(decimal(t));
            }
        }
        if (labelColumn != null) {
            DataType t = field(schema, labelColumn, "labelCol").dataType();
            ScalarType s = scalarType(t);
            if (s == null) {
                throw new IllegalArgumentException("label column '" + labelColumn + "' has type " + t.simpleString()
                        + ", expected a scalar number (class index or regression target)");
            }
            types.add(s);
            decimals.add(decimal(t));
        }
        decimals.add(arrayDecimal);
        InputColumns resolved = new InputColumns(kind, featureColumns.clone(), labelColumn, labelType,
                types.toArray(ScalarType[]::new), element, decimals.toArray(int[][]::new));
        resolved.arrayContainsNull = elementsMayBeNull;
        return resolved;
    }

    private static StructField field(StructType schema, String name, String param) {
        for (StructField f : schema.fields()) {
            if (f.name().equals(name)) {
                return f;
            }
        }
        throw new IllegalArgumentException(param + " '" + name + "' does not exist. Available columns: "
                + Arrays.toString(schema.fieldNames()));
    }

    public static ScalarType scalarType(DataType t) {
        if (t instanceof BooleanType) {
            return ScalarType.BOOLEAN;
        } else if (t instanceof ByteType) {
            return ScalarType.BYTE;
        } else if (t instanceof ShortType) {
            return ScalarType.SHORT;
        } else if (t instanceof IntegerType) {
            return ScalarType.INT;
        } else if (t instanceof LongType) {
            return ScalarType.LONG;
        } else if (t instanceof FloatType) {
            return ScalarType.FLOAT;
        } else if (t instanceof DoubleType) {
            return ScalarType.DOUBLE;
        } else if (t instanceof DecimalType) {
            return ScalarType.DECIMAL;
        }
        return null;
    }

    private static int[] decimal(DataType t) {
        return t instanceof DecimalType d ? new int[] {d.precision(), d.scale()} : null;
    }

    /** {precision, scale} of selected column {@code ordinal} if it is a decimal; ordinal -1: the array element. */
    public int[] decimal(int ordinal) {
        return ordinal < 0 ? decimals[decimals.length - 1] : decimals[ordinal];
    }

    /** The columns to select, features first then the label: the order an {@code InternalRow} is read in. */
    public String[] selectedColumns() {
        String[] cols = Arrays.copyOf(featureColumns, featureColumns.length + (labelColumn == null ? 0 : 1));
        if (labelColumn != null) {
            cols[featureColumns.length] = labelColumn;
        }
        return cols;
    }

    public FeatureKind kind() {
        return kind;
    }

    public String[] featureColumns() {
        return featureColumns.clone();
    }

    public String labelColumn() {
        return labelColumn;
    }

    public boolean hasLabel() {
        return labelColumn != null;
    }

    public LabelType labelType() {
        return labelType;
    }

    /** The scalar type of selected column {@code ordinal} (null for a vector or array column). */
    public ScalarType scalarType(int ordinal) {
        return scalarTypes[ordinal];
    }

    /** Whether the array column's schema allows null elements (then rows are checked for them). */
    public boolean arrayContainsNull() {
        return arrayContainsNull;
    }

    /** The element type of an ARRAY features column, else null. */
    public ScalarType arrayElement() {
        return arrayElement;
    }

    /** A short description for messages, e.g. {@code features=[x] (VECTOR), label=y}. */
    @Override
    public String toString() {
        return "features=" + Arrays.toString(featureColumns) + " (" + kind + ")"
                + (labelColumn == null ? "" : ", label=" + labelColumn + " (" + labelType + ")");
    }
}

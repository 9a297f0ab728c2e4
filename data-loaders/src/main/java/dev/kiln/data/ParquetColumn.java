package dev.kiln.data;

import java.util.List;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.schema.GroupType;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Type;

/**
 * One column a {@link ParquetDataset} reads, and the Parquet types it accepts. Checked against every file's
 * footer before the first batch, so a wrong file fails at {@code build()} naming the column, the file and what
 * was found, instead of halfway through an epoch.
 *
 * @param name top-level column name
 * @param kind what the column holds
 * @param lane what its values become (features: the dataset's feature dtype; labels: decided per type)
 */
record ParquetColumn(String name, Kind kind, Lane lane) {
    /** What a column holds, and so how it is decoded. */
    enum Kind {
        /** {@code list<T>} of a numeric T (Spark {@code array<T>}): every row the same length. */
        LIST("list<T> of a numeric T (Spark array<T>)"),
        /** A numeric scalar, one column of the features matrix. */
        SCALAR("a number (integer, float, decimal, date, timestamp, boolean)"),
        /** A string, binary or integer column mapped to category ids by the vocabulary. */
        CATEGORY("a string, binary or integer column"),
        /** A label: an integer (int64), a string through the vocabulary (int64) or a float (float32). */
        LABEL("an integer, string or float label"),
        /** Bytes (e.g. an encoded image), decoded by a user function. */
        BYTES("binary");

        final String expected;

        Kind(String expected) {
            this.expected = expected;
        }
    }

    /** The leaf a column decodes from, and its type. */
    record Leaf(ColumnDescriptor descriptor, ColumnType type) {
    }

    /** The leaf this column decodes from in {@code schema}, after checking its type; labels get their lane here. */
    Leaf check(MessageType schema, String file, Vocabulary vocabulary) {
        if (!schema.containsField(name)) {
            List<String> have = schema.getFields().stream().map(f -> f.getName() + ": " + describe(f)).toList();
            throw new ParquetDataException("column '" + name + "' not found in " + file + "; it has columns " + have);
        }
        Type field = schema.getType(name);
        PrimitiveType leaf = kind == Kind.LIST ? listElementType(field) : scalar(field);
        ColumnType type = leaf == null ? null : ColumnType.of(leaf);
        String problem = type == null ? "" : problem(type, vocabulary);
        if (type == null || problem != null) {
            throw new ParquetDataException("column '" + name + "' in " + file + " has type " + describe(field)
                    + ", expected " + (kind == Kind.LIST && lane == Lane.I64 ? "list<T> of an integer T"
                    : kind.expected) + (problem == null || problem.isEmpty() ? "" : " (" + problem + ")"));
        }
        for (ColumnDescriptor d : schema.getColumns()) {
            if (d.getPath()[0].equals(name)) {
                return new Leaf(d, type);
            }
        }
        throw new IllegalStateException("no leaf for column '" + name + "' in " + file);
    }

    /** Why {@code type} cannot be read as this column, or null. */
    private String problem(ColumnType type, Vocabulary vocabulary) {
        return switch (kind) {
            case LIST, SCALAR -> !type.numeric() ? "strings and byte arrays are categorical: use categorical()"
                    : lane == Lane.I64 && !type.exactInt64() ? type.describe() + " cannot be read exactly as int64"
                    : null;
            case CATEGORY -> !type.categorical() ? type.describe() + " cannot be a category"
                    : vocabularyProblem(type, vocabulary);
            case LABEL -> labelLane(type) != lane ? "a " + labelLane(type).dtype.torchName() + " label here, a "
                    + lane.dtype.torchName() + " label in the dataset's first file"
                    : !type.numeric() ? vocabularyProblem(type, vocabulary) : null;
            case BYTES -> type.physical() == PrimitiveTypeName.BINARY ? null : "";
        };
    }

    private String vocabularyProblem(ColumnType type, Vocabulary vocabulary) {
        if (vocabulary == null || !vocabulary.columns().contains(name)) {
            return "no vocabulary for it: fit one with Vocabulary.fit(location, \"" + name + "\") once, save it, "
                    + "and pass it to every rank with vocabulary(...)";
        }
        boolean binary = !type.numeric();
        return vocabulary.index(name).binary == binary ? null : "the vocabulary holds " + (binary ? "int64" : "string")
                + " values for it";
    }

    /**
     * A label's tensor type: int64 for integers, booleans, decimals of scale 0 and (through the vocabulary)
     * strings; float32 for floating-point and other decimals (regression targets).
     */
    static Lane labelLane(ColumnType type) {
        return switch (type.logical()) {
            case INT, UINT, BOOLEAN, STRING, BYTES -> Lane.I64;
            case DECIMAL -> type.scale() == 0 ? Lane.I64 : Lane.F32;
            case FLOAT, DOUBLE, FLOAT16 -> Lane.F32;
            case DATE, TIMESTAMP, TIME -> Lane.I64;
        };
    }

    /** The primitive type of a non-repeated primitive field, else null. */
    private static PrimitiveType scalar(Type field) {
        return field.isPrimitive() && !field.isRepetition(Type.Repetition.REPEATED) ? field.asPrimitiveType() : null;
    }

    static PrimitiveTypeName listElement(Type field) {
        PrimitiveType p = listElementType(field);
        return p == null ? null : p.getPrimitiveTypeName();
    }

    /**
     * The element type of a list column in any of the layouts writers use: the standard 3-level
     * {@code group (LIST) { repeated group list { element } }} (Spark, Arrow, parquet-mr, DuckDB), the legacy
     * 2-level {@code group (LIST) { repeated float array }}, or a bare {@code repeated float}. Null if not a list
     * of one primitive.
     */
    static PrimitiveType listElementType(Type field) {
        if (field.isPrimitive()) {
            return field.isRepetition(Type.Repetition.REPEATED) ? field.asPrimitiveType() : null;
        }
        GroupType g = field.asGroupType();
        if (!(g.getLogicalTypeAnnotation() instanceof LogicalTypeAnnotation.ListLogicalTypeAnnotation)
                || g.getFieldCount() != 1 || !g.getType(0).isRepetition(Type.Repetition.REPEATED)) {
            return null;
        }
        Type repeated = g.getType(0);
        if (repeated.isPrimitive()) {
            return repeated.asPrimitiveType();
        }
        GroupType inner = repeated.asGroupType();
        if (inner.getFieldCount() != 1 || !inner.getType(0).isPrimitive()
                || inner.getType(0).isRepetition(Type.Repetition.REPEATED)) {
            return null;
        }
        return inner.getType(0).asPrimitiveType();
    }

    /** A short Spark-like name for a Parquet field: {@code float}, {@code list<int64>}, {@code string}, {@code struct}. */
    static String describe(Type field) {
        if (field.isPrimitive()) {
            String t = ColumnType.of(field.asPrimitiveType()).describe();
            return field.isRepetition(Type.Repetition.REPEATED) ? "list<" + t + ">" : t;
        }
        PrimitiveType element = listElementType(field);
        if (element != null) {
            return "list<" + ColumnType.of(element).describe() + ">";
        }
        return field.asGroupType().getLogicalTypeAnnotation() instanceof LogicalTypeAnnotation.ListLogicalTypeAnnotation
                ? "list<struct>" : "struct";
    }
}

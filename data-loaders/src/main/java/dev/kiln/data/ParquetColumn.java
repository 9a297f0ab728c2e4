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
 */
record ParquetColumn(String name, Kind kind) {
    /** What a column holds, and so how it is decoded. */
    enum Kind {
        /** {@code list<float>} (Spark {@code array<float>}, Arrow {@code fixed_size_list<float>} once written): one
         *  float per element, every row the same length. */
        FLOAT_LIST("list<float> (Spark array<float>)"),
        /** A scalar feature: float or double. */
        FLOAT_SCALAR("float or double"),
        /** A label: int32 or int64, read as int64 (the class-index dtype of PyTorch's losses). */
        INT_LABEL("int32 or int64"),
        /** Bytes (e.g. an encoded image), decoded by a user function. */
        BYTES("binary");

        final String expected;

        Kind(String expected) {
            this.expected = expected;
        }
    }

    /** The leaf this column decodes from in {@code schema}, after checking the column's type. */
    ColumnDescriptor check(MessageType schema, String file) {
        if (!schema.containsField(name)) {
            List<String> have = schema.getFields().stream().map(f -> f.getName() + ": " + describe(f)).toList();
            throw new IllegalArgumentException("column '" + name + "' not found in " + file + "; it has columns "
                    + have);
        }
        Type field = schema.getType(name);
        if (!accepts(field)) {
            throw new IllegalArgumentException("column '" + name + "' in " + file + " has type " + describe(field)
                    + ", expected " + kind.expected);
        }
        for (ColumnDescriptor d : schema.getColumns()) {
            if (d.getPath()[0].equals(name)) {
                return d;
            }
        }
        throw new IllegalStateException("no leaf for column '" + name + "' in " + file);
    }

    private boolean accepts(Type field) {
        return switch (kind) {
            case FLOAT_LIST -> listElement(field) == PrimitiveTypeName.FLOAT;
            case FLOAT_SCALAR -> scalar(field) == PrimitiveTypeName.FLOAT || scalar(field) == PrimitiveTypeName.DOUBLE;
            case INT_LABEL -> scalar(field) == PrimitiveTypeName.INT32 || scalar(field) == PrimitiveTypeName.INT64;
            case BYTES -> scalar(field) == PrimitiveTypeName.BINARY;
        };
    }

    /** The primitive type of a non-repeated primitive field, else null. */
    private static PrimitiveTypeName scalar(Type field) {
        return field.isPrimitive() && !field.isRepetition(Type.Repetition.REPEATED)
                ? field.asPrimitiveType().getPrimitiveTypeName() : null;
    }

    /**
     * The element type of a list column in any of the layouts writers use: the standard 3-level
     * {@code group (LIST) { repeated group list { element } }} (Spark, Arrow, parquet-mr), the legacy 2-level
     * {@code group (LIST) { repeated float array }}, or a bare {@code repeated float}. Null if not a list of one
     * primitive.
     */
    static PrimitiveTypeName listElement(Type field) {
        if (field.isPrimitive()) {
            return field.isRepetition(Type.Repetition.REPEATED) ? field.asPrimitiveType().getPrimitiveTypeName() : null;
        }
        GroupType g = field.asGroupType();
        if (!(g.getLogicalTypeAnnotation() instanceof LogicalTypeAnnotation.ListLogicalTypeAnnotation)
                || g.getFieldCount() != 1 || !g.getType(0).isRepetition(Type.Repetition.REPEATED)) {
            return null;
        }
        Type repeated = g.getType(0);
        if (repeated.isPrimitive()) {
            return repeated.asPrimitiveType().getPrimitiveTypeName();
        }
        GroupType inner = repeated.asGroupType();
        if (inner.getFieldCount() != 1 || !inner.getType(0).isPrimitive()
                || inner.getType(0).isRepetition(Type.Repetition.REPEATED)) {
            return null;
        }
        return inner.getType(0).asPrimitiveType().getPrimitiveTypeName();
    }

    /** A short Spark-like name for a Parquet field: {@code float}, {@code list<double>}, {@code struct}. */
    static String describe(Type field) {
        if (field.isPrimitive()) {
            PrimitiveType p = field.asPrimitiveType();
            String t = p.getLogicalTypeAnnotation() instanceof LogicalTypeAnnotation.StringLogicalTypeAnnotation
                    ? "string" : p.getPrimitiveTypeName().name().toLowerCase(java.util.Locale.ROOT);
            return field.isRepetition(Type.Repetition.REPEATED) ? "list<" + t + ">" : t;
        }
        PrimitiveTypeName element = listElement(field);
        if (element != null) {
            return "list<" + element.name().toLowerCase(java.util.Locale.ROOT) + ">";
        }
        return field.asGroupType().getLogicalTypeAnnotation() instanceof LogicalTypeAnnotation.ListLogicalTypeAnnotation
                ? "list<struct>" : "struct";
    }
}

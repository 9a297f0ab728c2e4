package dev.kiln.spark.sql;

import java.io.Serializable;
import java.util.Arrays;
import java.util.Locale;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.VectorUDT;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Which columns scoring appends and how a row of model output becomes their values, with Spark ML's names and types
 * (so {@code MulticlassClassificationEvaluator} and {@code BinaryClassificationEvaluator} read them unchanged):
 *
 * <ul>
 *   <li>{@link Kind#CLASSIFICATION}, output {@code [n, k]} logits, k &ge; 2: {@code rawPrediction} = the logits,
 *       {@code probability} = softmax(logits), {@code prediction} = arg-max (the first maximum, as PyTorch's argmax
 *       and MLlib's {@code probability2prediction}).</li>
 *   <li>{@link Kind#BINARY}, output {@code [n, 1]} logit z (trained with {@code bce_with_logits}):
 *       {@code rawPrediction} = [-z, z], {@code probability} = [1 - sigmoid(z), sigmoid(z)], {@code prediction} =
 *       1 if z &gt; 0 else 0, as MLlib's LogisticRegression.</li>
 *   <li>{@link Kind#REGRESSION}, output {@code [n]} or {@code [n, 1]}: {@code prediction} = the value only.</li>
 * </ul>
 * A column whose name is empty is not produced (MLlib's convention). Values are appended in the order
 * rawPrediction, probability, prediction, as MLlib's classifiers append them.
 */
public final class OutputLayout implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final VectorUDT VECTOR = new VectorUDT();

    /** How the model's output is read. */
    public enum Kind {
        CLASSIFICATION, BINARY, REGRESSION;

        /** Parses {@code classification | binary | regression}. */
        public static Kind of(String s) {
            return valueOf(s.toUpperCase(Locale.ROOT));
        }
    }

    private final Kind kind;
    private final String rawCol;
    private final String probCol;
    private final String predCol;
    private final boolean nullable;

    /** Empty names drop a column; {@code nullable} when null features give null outputs. */
    public OutputLayout(Kind kind, String rawPredictionCol, String probabilityCol, String predictionCol,
                        boolean nullable) {
        this.kind = kind;
        boolean classifier = kind != Kind.REGRESSION;
        this.rawCol = classifier && rawPredictionCol != null ? rawPredictionCol : "";
        this.probCol = classifier && probabilityCol != null ? probabilityCol : "";
        this.predCol = predictionCol == null ? "" : predictionCol;
        this.nullable = nullable;
        if (rawCol.isEmpty() && probCol.isEmpty() && predCol.isEmpty()) {
            throw new IllegalArgumentException("every output column name is empty; set predictionCol");
        }
    }

    public Kind kind() {
        return kind;
    }

    /** The output columns appended, in order. */
    String[] columns() {
        return Arrays.stream(new String[] {rawCol, probCol, predCol}).filter(s -> !s.isEmpty())
                .toArray(String[]::new);
    }

    /** {@code schema} plus the output columns; an existing column of the same name is an error. */
    public StructType appendTo(StructType schema) {
        StructType out = schema;
        for (String c : columns()) {
            if (Arrays.asList(schema.fieldNames()).contains(c)) {
                throw new IllegalArgumentException("output column '" + c + "' already exists in the input; rename it "
                        + "or set a different output column name. Columns: " + Arrays.toString(schema.fieldNames()));
            }
            out = out.add(c, c.equals(predCol) ? DataTypes.DoubleType : SQLDataTypes.VectorType(), nullable);
        }
        return out;
    }

    /** Checks a model output width against the kind; returns what is wrong, or null. */
    public String checkWidth(long width) {
        if (kind == Kind.CLASSIFICATION && width < 2) {
            return "a classifier needs at least 2 output columns (one logit per class), the model gives " + width
                    + "; use outputMode 'binary' (one logit) or 'regression'";
        }
        if (kind != Kind.CLASSIFICATION && width != 1) {
            return "outputMode '" + kind.name().toLowerCase(Locale.ROOT) + "' needs 1 output column, the model "
                    + "gives " + width + "; use outputMode 'classification'";
        }
        return null;
    }

    /** Writes the output values of one row ({@code width} numbers at {@code out[offset..]}) into {@code values}. */
    void fill(float[] out, int offset, int width, Object[] values) {
        if (kind == Kind.REGRESSION) {
            values[0] = (double) out[offset];
            return;
        }
        int i = 0;
        double[] raw = raw(out, offset, width);
        if (!rawCol.isEmpty()) {
            values[i++] = VECTOR.serialize(Vectors.dense(raw));
        }
        if (!probCol.isEmpty()) {
            values[i++] = VECTOR.serialize(Vectors.dense(probability(raw)));
        }
        if (!predCol.isEmpty()) {
            values[i] = prediction(out, offset, width);
        }
    }

    /** rawPrediction of one row: the logits, or [-z, z] for one binary logit z. */
    double[] raw(float[] out, int offset, int width) {
        if (kind == Kind.BINARY) {
            return new double[] {-out[offset], out[offset]};
        }
        double[] raw = new double[width];
        for (int j = 0; j < width; j++) {
            raw[j] = out[offset + j];
        }
        return raw;
    }

    /**
     * probability from rawPrediction: [1 - sigmoid(z), sigmoid(z)] for binary, else softmax in float64 shifted by
     * the maximum so large logits do not overflow.
     */
    double[] probability(double[] raw) {
        if (kind == Kind.BINARY) {
            double p = 1 / (1 + Math.exp(-raw[1]));
            return new double[] {1 - p, p};
        }
        double max = Double.NEGATIVE_INFINITY;
        for (double r : raw) {
            max = Math.max(max, r);
        }
        double[] p = new double[raw.length];
        double sum = 0;
        for (int j = 0; j < raw.length; j++) {
            p[j] = Math.exp(raw[j] - max);
            sum += p[j];
        }
        for (int j = 0; j < raw.length; j++) {
            p[j] /= sum;
        }
        return p;
    }

    /** The prediction alone for one row (the scalar UDF's result). */
    double prediction(float[] out, int offset, int width) {
        if (kind == Kind.REGRESSION) {
            return out[offset];
        } else if (kind == Kind.BINARY) {
            return out[offset] > 0 ? 1 : 0;
        }
        int best = 0;
        for (int j = 1; j < width; j++) {
            float v = out[offset + j];
            if (v > out[offset + best] || Float.isNaN(v) && !Float.isNaN(out[offset + best])) { // NaN wins, as torch
                best = j;
            }
        }
        return best;
    }

    /** Null for every output column (a null input row kept with {@code handleInvalid = keep}). */
    void fillNull(Object[] values) {
        Arrays.fill(values, null);
    }
}

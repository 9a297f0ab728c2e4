package dev.kiln.spark.sql;

import dev.kiln.spark.ml.KilnModel;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.expressions.UserDefinedFunction;

/**
 * Registers a {@link KilnModel} as a SQL function:
 *
 * <pre>{@code
 * KilnUdfs.register(spark, "classify", model);
 * spark.sql("SELECT id, classify(features) AS label FROM t");
 * }</pre>
 *
 * The function takes the features (a Spark ML {@code Vector} or an array of numbers) and returns the prediction as
 * a double (or a {@code Vector} for the {@code probability} / {@code rawPrediction} variants). It scores one row per
 * call: use it where SQL is the interface; for throughput use {@link KilnModel#transform}, which scores in batches
 * (see {@link KilnModel#udf()} for the measured difference).
 */
public final class KilnUdfs {
    private KilnUdfs() {
    }

    /** Registers {@code name(features)} returning the model's prediction. */
    public static UserDefinedFunction register(SparkSession spark, String name, KilnModel model) {
        return register(spark, name, model, "prediction");
    }

    /** Registers {@code name(features)} returning {@code output}: prediction | probability | rawPrediction. */
    public static UserDefinedFunction register(SparkSession spark, String name, KilnModel model, String output) {
        return spark.udf().register(name, model.udf(output));
    }
}

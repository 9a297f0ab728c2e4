package dev.kiln.examples.spark;

import dev.kiln.examples.cli.Cli;
import dev.kiln.examples.cli.Flags;
import dev.kiln.examples.cli.Flags.Kind;
import dev.kiln.spark.ml.KilnModel;
import java.util.Arrays;
import java.util.Locale;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

/**
 * Batch inference only: load a saved model, score a Parquet table with {@code KilnModel.transform} (batched: Arrow
 * batches of {@code --batch-size} rows, weights broadcast once), and write the table with MLlib's output columns
 * ({@code rawPrediction}, {@code probability}, {@code prediction} for a classifier) as Parquet. With the defaults it scores MNIST's test set with the model the
 * main job saved ({@code ./kiln mnist} first, then {@code ./kiln score}).
 */
public final class BatchScore {
    private BatchScore() {
    }

    static Flags flags() {
        return new Flags("score", "Loads a saved Kiln model, scores a Parquet table with KilnModel.transform and writes "
                + "the table plus its prediction column as Parquet.")
                .add("model", Kind.STRING, "DIR", "out/mnist-job/model", "a model saved by the mnist job (any Hadoop "
                        + "FileSystem path)")
                .add("input", Kind.STRING, "PATH", "out/mnist-parquet/t10k.parquet", "Parquet table to score")
                .add("output", Kind.STRING, "PATH", "out/predictions.parquet", "where the scored table goes "
                        + "(replaced if it exists)")
                .add("features-col", Kind.STRING, "NAME", "features", "the features column (an array of numbers or a "
                        + "Vector)")
                .add("batch-size", Kind.POSITIVE_INT, "B", "1024", "rows per inference batch")
                .add("num-features", Kind.NON_NEGATIVE_INT, "N", "0", "the model's input width, if neither the model "
                        + "(saved numFeatures, a first Linear layer) nor the column's metadata says (0: ask them)")
                .add("master", Kind.STRING, "URL", null, "Spark master (default local[*], or what spark-submit set)");
    }

    public static void main(String[] args) {
        Cli.main(flags(), args, BatchScore::run);
    }

    /** Scores the table; returns the number of rows written. */
    static long run(Flags.Values a) throws Exception {
        String master = a.has("master") ? a.string("master") : System.getProperty("spark.master", "local[*]");
        SparkSession.Builder b = SparkSession.builder().appName("kiln-score").master(master)
                .config("spark.ui.showConsoleProgress", "false");
        if (master.startsWith("local") && System.getProperty("spark.driver.host") == null) {
            b.config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1");
        }
        SparkSession spark = b.getOrCreate();
        try {
            long t0 = System.nanoTime();
            KilnModel model = ModelStore.load(a.string("model"));
            model.setFeaturesCol(a.string("features-col")).setBatchSize(a.integer("batch-size"));
            if (a.integer("num-features") > 0) {
                model.setNumFeatures(a.integer("num-features"));
            }
            Dataset<Row> input = spark.read().parquet(a.string("input"));
            if (!Arrays.asList(input.columns()).contains(a.string("features-col"))) {
                throw new Flags.UsageException("--features-col: " + a.string("input") + " has no column '"
                        + a.string("features-col") + "'; its columns are " + Arrays.toString(input.columns()));
            }
            Dataset<Row> scored = model.transform(input);
            scored.write().mode(SaveMode.Overwrite).parquet(a.string("output"));
            Dataset<Row> written = spark.read().parquet(a.string("output"));
            long rows = written.count();
            System.out.printf(Locale.ROOT, "scored %,d rows of %s with %s -> %s (%.1f s)%n", rows, a.string("input"),
                    a.string("model"), a.string("output"), (System.nanoTime() - t0) / 1e9);
            // A peek at the plain columns (label, prediction); the vectors (features, probability) are too wide.
            String[] shown = Arrays.stream(written.schema().fields()).filter(f -> f.dataType() instanceof
                    org.apache.spark.sql.types.AtomicType).map(f -> f.name()).toArray(String[]::new);
            System.out.println("columns written: " + String.join(", ", written.columns()));
            if (shown.length > 0) {
                written.selectExpr(shown).show(5, false);
            }
            return rows;
        } finally {
            spark.stop();
        }
    }
}

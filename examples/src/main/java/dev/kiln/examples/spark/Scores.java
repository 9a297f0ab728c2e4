package dev.kiln.examples.spark;

import dev.kiln.spark.ml.KilnModel;
import java.io.PrintStream;
import java.util.Locale;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;

/**
 * The test set scored twice — in batches through {@code KilnModel.transform} and row by row through a SQL UDF
 * ({@code KilnUdfs.register}) — with the
 * accuracy of each, how many rows the two disagree on (they run the same model: none), and the confusion matrix of
 * the transform's predictions (rows: true digit, columns: predicted digit).
 */
record Scores(long total, long transformCorrect, long udfCorrect, long disagreements, long[][] confusion) {
    static final String UDF_NAME = "mnist_classify";

    static Scores of(SparkSession spark, KilnModel model, Dataset<Row> test) {
        Dataset<Row> indexed = test.withColumn("row_id", functions.monotonically_increasing_id()).cache();
        Dataset<Row> byTransform = model.transform(indexed)
                .selectExpr("row_id", "label", "prediction AS by_transform").cache();
        try {
            long total = byTransform.count();
            long[][] confusion = new long[10][10];
            for (Row r : byTransform.groupBy("label", "by_transform").count().collectAsList()) {
                int label = r.getInt(0);
                int predicted = (int) r.getDouble(1);
                if (label < 0 || label > 9 || predicted < 0 || predicted > 9) {
                    throw new IllegalStateException("label " + label + " or prediction " + predicted + " is not a "
                            + "digit");
                }
                confusion[label][predicted] = r.getLong(2);
            }
            long transformCorrect = 0;
            for (int d = 0; d < 10; d++) {
                transformCorrect += confusion[d][d];
            }
            ModelStore.registerUdf(spark, UDF_NAME, model);
            indexed.createOrReplaceTempView("mnist_test");
            byTransform.createOrReplaceTempView("mnist_by_transform");
            Row r = spark.sql("SELECT count(*), sum(CASE WHEN u.p = t.label THEN 1 ELSE 0 END), "
                    + "sum(CASE WHEN u.p <> t.by_transform THEN 1 ELSE 0 END) "
                    + "FROM (SELECT row_id, " + UDF_NAME + "(features) AS p FROM mnist_test) u "
                    + "JOIN mnist_by_transform t USING (row_id)").first();
            if (r.getLong(0) != total) {
                throw new IllegalStateException("the UDF scored " + r.getLong(0) + " rows, transform " + total);
            }
            return new Scores(total, transformCorrect, r.getLong(1), r.getLong(2), confusion);
        } finally {
            byTransform.unpersist();
            indexed.unpersist();
        }
    }

    double transformAccuracy() {
        return total == 0 ? 0 : transformCorrect / (double) total;
    }

    double udfAccuracy() {
        return total == 0 ? 0 : udfCorrect / (double) total;
    }

    void print(PrintStream out) {
        out.printf(Locale.ROOT, "test accuracy via KilnModel.transform: %.2f%% (%,d / %,d)%n", 100 * transformAccuracy(),
                transformCorrect, total);
        out.printf(Locale.ROOT, "test accuracy via SQL %s(features):  %.2f%% (%,d / %,d)%n", UDF_NAME,
                100 * udfAccuracy(), udfCorrect, total);
        out.printf(Locale.ROOT, "rows where the two disagree: %d%n", disagreements);
        out.println("confusion matrix (rows: true digit, columns: predicted digit):");
        StringBuilder head = new StringBuilder("       ");
        for (int p = 0; p < 10; p++) {
            head.append(String.format(Locale.ROOT, "%6d", p));
        }
        out.println(head.append("  recall"));
        for (int d = 0; d < 10; d++) {
            StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "  %d  | ", d));
            long sum = 0;
            for (int p = 0; p < 10; p++) {
                row.append(String.format(Locale.ROOT, "%6d", confusion[d][p]));
                sum += confusion[d][p];
            }
            row.append(String.format(Locale.ROOT, "  %5.1f%%", sum == 0 ? 0 : 100.0 * confusion[d][d] / sum));
            out.println(row);
        }
    }
}

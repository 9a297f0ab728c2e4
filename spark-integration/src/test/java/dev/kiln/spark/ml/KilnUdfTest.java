package dev.kiln.spark.ml;

import static org.apache.spark.sql.functions.col;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.spark.sql.KilnUdfs;
import dev.kiln.spark.sql.ModelReplicas;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

class KilnUdfTest extends ScoringTestBase {
    private static final ModelSpec SPEC = ModelSpec.mlp(4, 16, 3);

    @Test
    void udfEqualsTransformAndReusesOneReplicaPerTask() {
        KilnModel model = modelOf(SPEC, 11);
        Dataset<Row> df = Blobs.frame(spark, Blobs.rows(120, 4, 3, 5), 6);
        List<Row> rows = model.transform(df.withColumn("udf", model.udf().apply(col("features"))))
                .select("prediction", "udf").collectAsList();
        assertEquals(120, rows.size());
        for (Row r : rows) {
            assertEquals(r.getDouble(0), r.getDouble(1));
        }
        ModelReplicas.Stats stats = ModelReplicas.stats(model.scoringKey());
        assertEquals(12, stats.borrows(), "per task: one borrow for transform, one for the UDF (not one per row)");
        assertTrue(stats.built() <= 4, "replicas built: " + stats);
    }

    @Test
    void sqlFunctionsReturnPredictionProbabilityAndLogits() {
        KilnModel model = modelOf(SPEC, 12);
        KilnUdfs.register(spark, "classify", model);
        KilnUdfs.register(spark, "class_probability", model, "probability");
        KilnUdfs.register(spark, "class_logits", model, "rawPrediction");
        Blobs.frame(spark, Blobs.rows(30, 4, 3, 6), 2).createOrReplaceTempView("blobs");
        List<Row> rows = spark.sql("SELECT features, classify(features) AS c, class_probability(features) AS p, "
                + "class_logits(features) AS z FROM blobs").collectAsList();
        assertEquals(30, rows.size());
        for (Row r : rows) {
            float[] expected = logits(model, r.getAs("features"));
            double[] z = ((Vector) r.getAs("z")).toArray();
            double[] p = ((Vector) r.getAs("p")).toArray();
            int best = 0;
            for (int j = 0; j < 3; j++) {
                assertEquals(expected[j], z[j], 0.0);
                best = expected[j] > expected[best] ? j : best;
            }
            assertEquals(best, r.getDouble(1));
            assertEquals(1.0, p[0] + p[1] + p[2], 1e-12);
        }
    }

    @Test
    void udfTakesArraysAndKeepsNullsWhenAsked() {
        KilnModel model = modelOf(SPEC, 13);
        StructType schema = new StructType().add("a", DataTypes.createArrayType(DataTypes.DoubleType))
                .add("v", SQLDataTypes.VectorType());
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            double[] x = {i, -i, 0.5 * i, 1};
            rows.add(i == 3 ? RowFactory.create(null, null) : RowFactory.create(x, Vectors.dense(x)));
        }
        Dataset<Row> df = spark.createDataFrame(rows, schema).coalesce(1);
        String failure = message(() -> df.select(model.udf().apply(col("a"))).collectAsList());
        assertTrue(failure.contains("Kiln UDF: the features value is null"), failure);
        model.setHandleInvalid("keep");
        List<Row> out = df.select(model.udf().apply(col("a")), model.udf().apply(col("v"))).collectAsList();
        for (int i = 0; i < 10; i++) {
            if (i == 3) {
                assertNull(out.get(i).get(0));
                assertNull(out.get(i).get(1));
            } else {
                assertEquals(out.get(i).getDouble(1), out.get(i).getDouble(0));
            }
        }
    }

    @Test
    void udfRejectsAWrongFeatureCountNamingBoth() {
        KilnModel model = modelOf(SPEC, 14);
        Dataset<Row> df = Blobs.frame(spark, Blobs.rows(6, 5, 2, 7), 1);
        String m = message(() -> df.select(model.udf().apply(col("features"))).collectAsList());
        assertTrue(m.contains("the features value has 5 features, but the model takes 4"), m);
    }
}

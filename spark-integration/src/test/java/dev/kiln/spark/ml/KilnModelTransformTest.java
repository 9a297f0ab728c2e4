package dev.kiln.spark.ml;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.spark.sql.ModelReplicas;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

class KilnModelTransformTest extends ScoringTestBase {
    private static final ModelSpec SPEC = ModelSpec.mlp(4, 16, 3);

    @Test
    void batchedOutputsEqualPredictRowByRowWithMllibColumns() {
        KilnModel model = modelOf(SPEC, 3).setBatchSize(7); // 50 rows in 3 partitions: full, partial and last batches
        Dataset<Row> scored = model.transform(Blobs.frame(spark, Blobs.rows(50, 4, 3, 1), 3));
        StructType schema = scored.schema();
        assertEquals(SQLDataTypes.VectorType(), schema.apply("rawPrediction").dataType());
        assertEquals(SQLDataTypes.VectorType(), schema.apply("probability").dataType());
        assertEquals(DataTypes.DoubleType, schema.apply("prediction").dataType());
        assertEquals(List.of("features", "label", "rawPrediction", "probability", "prediction"),
                Arrays.asList(schema.fieldNames()));
        List<Row> rows = scored.collectAsList();
        assertEquals(50, rows.size());
        for (Row r : rows) {
            float[] expected = logits(model, r.getAs("features"));
            double[] raw = ((Vector) r.getAs("rawPrediction")).toArray();
            double[] prob = ((Vector) r.getAs("probability")).toArray();
            int argmax = 0;
            double sum = 0;
            for (int j = 0; j < 3; j++) {
                assertEquals(expected[j], raw[j], 0.0, "the same float32 logits as predict()");
                argmax = expected[j] > expected[argmax] ? j : argmax;
                sum += prob[j];
            }
            assertEquals(1.0, sum, 1e-12);
            assertEquals(Math.exp(raw[0] - raw[1]), prob[0] / prob[1], 1e-9);
            assertEquals(argmax, (double) r.getAs("prediction"));
        }
    }

    @Test
    void trainedModelOutputWorksWithMulticlassEvaluatorUnchanged() {
        Dataset<Row> df = Blobs.frame(spark, Blobs.rows(600, 4, 3, 1), 2)
                .withColumn("label", org.apache.spark.sql.functions.col("label").cast("double"));
        KilnModel model = KilnEstimatorTest.blobEstimator(1).setModelFactory(SPEC).fit(df);
        assertEquals(1024, model.getBatchSize(), "the training batch size does not become the scoring batch size");
        assertEquals(SPEC, model.modelSpec());
        Dataset<Row> scored = model.transform(df);
        double accuracy = new MulticlassClassificationEvaluator().setMetricName("accuracy").evaluate(scored);
        assertTrue(accuracy > 0.95, "accuracy " + accuracy);
        double logLoss = new MulticlassClassificationEvaluator().setMetricName("logLoss").evaluate(scored);
        assertTrue(logLoss < 0.3, "logLoss from the probability column: " + logLoss);
    }

    @Test
    void countRunsTheModelAndReplicasAreReusedAcrossTasks() {
        KilnModel model = modelOf(SPEC, 4);
        long rows = model.transform(Blobs.frame(spark, Blobs.rows(160, 4, 3, 2), 16)).count();
        assertEquals(160, rows);
        ModelReplicas.Stats stats = ModelReplicas.stats(model.scoringKey());
        assertEquals(16, stats.borrows(), "one replica lent per task: the model ran although only count() was asked");
        assertTrue(stats.built() >= 1 && stats.built() <= 2, "built once per concurrent task slot (local[2]), not per "
                + "task: " + stats);
        assertEquals(stats.built(), stats.idle(), "every replica was given back");
    }

    @Test
    void arrayScalarAndSparseInputsScoreLikeDenseVectors() {
        KilnModel model = modelOf(SPEC, 5);
        StructType schema = new StructType().add("id", DataTypes.IntegerType).add("v", SQLDataTypes.VectorType())
                .add("a", DataTypes.createArrayType(DataTypes.FloatType)).add("x0", DataTypes.DoubleType).add("x1", DataTypes.IntegerType)
                .add("x2", DataTypes.createDecimalType(10, 3)).add("x3", DataTypes.LongType)
                .add("s", SQLDataTypes.VectorType());
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            double[] x = {i * 0.5 - 2, i % 3, 1.25 * (i % 5), -i};
            rows.add(RowFactory.create(i, Vectors.dense(x), new float[] {(float) x[0], (float) x[1], (float) x[2],
                    (float) x[3]}, x[0], (int) x[1], new java.math.BigDecimal(x[2]), (long) x[3],
                    Vectors.dense(x).toSparse()));
        }
        Dataset<Row> df = spark.createDataFrame(rows, schema).repartition(2);
        List<Row> dense = raw(model.setFeaturesCol("v"), df);
        assertRowsEqual(dense, raw(modelOf(SPEC, 5).setFeaturesCol("a"), df));
        assertRowsEqual(dense, raw(modelOf(SPEC, 5).setFeaturesCols("x0", "x1", "x2", "x3"), df));
        assertRowsEqual(dense, raw(modelOf(SPEC, 5).setFeaturesCol("s"), df));
    }

    private static List<Row> raw(KilnModel model, Dataset<Row> df) {
        return model.transform(df).select("id", "rawPrediction").orderBy("id").collectAsList();
    }

    private static void assertRowsEqual(List<Row> expected, List<Row> actual) {
        assertEquals(expected.size(), actual.size());
        for (int i = 0; i < expected.size(); i++) {
            assertArrayEquals(((Vector) expected.get(i).get(1)).toArray(), ((Vector) actual.get(i).get(1)).toArray(),
                    0.0);
        }
    }

    @Test
    void oneOutputIsRegressionByDefaultAndBinaryOnRequest() {
        KilnModel model = modelOf(ModelSpec.mlp(4, 8, 1), 6);
        Dataset<Row> df = Blobs.frame(spark, Blobs.rows(20, 4, 2, 3), 2);
        Dataset<Row> regression = model.transform(df);
        assertEquals(List.of("features", "label", "prediction"), Arrays.asList(regression.schema().fieldNames()));
        for (Row r : regression.collectAsList()) {
            assertEquals(logits(model, r.getAs("features"))[0], (double) r.getAs("prediction"), 0.0);
        }
        for (Row r : model.setOutputMode("binary").transform(df).collectAsList()) {
            double z = logits(model, r.getAs("features"))[0];
            double p = 1 / (1 + Math.exp(-z));
            assertArrayEquals(new double[] {-z, z}, ((Vector) r.getAs("rawPrediction")).toArray(), 0.0);
            assertArrayEquals(new double[] {1 - p, p}, ((Vector) r.getAs("probability")).toArray(), 1e-15);
            assertEquals(z > 0 ? 1.0 : 0.0, (double) r.getAs("prediction"));
        }
    }

    @Test
    void emptyColumnNamesDropOutputsAndTwoModelsScoreInOneStage() {
        Dataset<Row> df = Blobs.frame(spark, Blobs.rows(30, 4, 3, 4), 2);
        KilnModel first = modelOf(SPEC, 7).setProbabilityCol("").setRawPredictionCol("").setPredictionCol("p1");
        KilnModel second = modelOf(SPEC, 8).setProbabilityCol("prob2").setRawPredictionCol("").setPredictionCol("p2")
                .setBatchSize(4);
        Dataset<Row> both = second.transform(first.transform(df));
        assertEquals(List.of("features", "label", "p1", "prob2", "p2"), Arrays.asList(both.schema().fieldNames()));
        List<Row> rows = both.collectAsList();
        assertEquals(30, rows.size());
        for (Row r : rows) {
            float[] a = logits(first, r.getAs("features"));
            float[] b = logits(second, r.getAs("features"));
            assertEquals(argmax(a), (double) r.getAs("p1"));
            assertEquals(argmax(b), (double) r.getAs("p2"));
        }
        assertFalse(Arrays.asList(both.schema().fieldNames()).contains("rawPrediction"));
    }

    private static int argmax(float[] v) {
        int best = 0;
        for (int j = 1; j < v.length; j++) {
            best = v[j] > v[best] ? j : best;
        }
        return best;
    }
}

package dev.kiln.spark.ml;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.nn.Linear;
import dev.kiln.nn.Sequential;
import dev.kiln.spark.SparkTests;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/** Every bad input gets a message that names the column, partition/row or option at fault. */
class EstimatorBadInputTest {
    private final SparkSession spark = SparkTests.session();

    private static KilnEstimator estimator(int inputs) {
        return new KilnEstimator().setModelFactory(() -> new Sequential(new Linear(inputs, 2)))
                .setNumWorkers(1).setEpochs(1).setBatchSize(4);
    }

    private static String message(Runnable r) {
        Exception e = assertThrows(RuntimeException.class, r::run);
        return e.getMessage();
    }

    @Test
    void missingFeatureColumnListsTheColumns() {
        Dataset<Row> df = Blobs.frame(spark, Blobs.rows(8, 3, 2, 0), 1);
        String m = message(() -> estimator(3).setFeaturesCol("pixels").fit(df));
        assertTrue(m.contains("featuresCol 'pixels' does not exist") && m.contains("[features, label]"), m);
    }

    @Test
    void mistypedFeatureColumnSaysWhatWasExpected() {
        Dataset<Row> df = Blobs.frame(spark, Blobs.rows(8, 3, 2, 0), 1).withColumn("text",
                org.apache.spark.sql.functions.lit("x"));
        String m = message(() -> estimator(3).setFeaturesCol("text").fit(df));
        assertTrue(m.contains("features column 'text' has type string") && m.contains("expected a Vector"), m);
    }

    @Test
    void nullLabelNamesColumnPartitionAndRow() {
        StructType schema = new StructType().add("features", SQLDataTypes.VectorType(), false)
                .add("label", DataTypes.IntegerType, true);
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            rows.add(RowFactory.create(Vectors.dense(i, 1, 2), i == 4 ? null : i % 2));
        }
        Dataset<Row> df = spark.createDataFrame(new JavaSparkContext(spark.sparkContext()).parallelize(rows, 1),
                schema);
        String m = message(() -> estimator(3).fit(df));
        assertTrue(m.contains("column 'label' in partition 0, row 4: value is null"), m);
    }

    @Test
    void vectorsOfDifferentLengthsAreNamed() {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            rows.add(RowFactory.create(i == 3 ? Vectors.dense(1, 2) : Vectors.dense(1, 2, 3), 0));
        }
        Dataset<Row> df = spark.createDataFrame(new JavaSparkContext(spark.sparkContext()).parallelize(rows, 1),
                Blobs.schema());
        String m = message(() -> estimator(3).fit(df));
        assertTrue(m.contains("row 3: value has 2 features, but the partition's first row has 3"), m);
    }

    @Test
    void fractionalClassLabelIsRejected() {
        StructType schema = new StructType().add("features", SQLDataTypes.VectorType(), false)
                .add("label", DataTypes.DoubleType, false);
        List<Row> rows = List.of(RowFactory.create(Vectors.dense(1, 2, 3), 0.5));
        Dataset<Row> df = spark.createDataFrame(new JavaSparkContext(spark.sparkContext()).parallelize(rows, 1),
                schema);
        String m = message(() -> estimator(3).fit(df));
        assertTrue(m.contains("is 0.5, expected a non-negative whole class index"), m);
    }

    @Test
    void tooFewSlotsFailsBeforeAnyJob() {
        Dataset<Row> df = Blobs.frame(spark, Blobs.rows(8, 3, 2, 0), 1);
        String m = message(() -> estimator(3).setNumWorkers(5).fit(df));
        assertTrue(m.contains("numWorkers=5 needs 5 task slots at once") && m.contains("has 2"), m);
    }

    @Test
    void cudaWithoutAnAssignedGpuSaysSo() {
        Dataset<Row> df = Blobs.frame(spark, Blobs.rows(8, 3, 2, 0), 1);
        String m = message(() -> estimator(3).setDevice("cuda").fit(df));
        assertTrue(m.contains("no GPU") && m.contains("spark.task.resource.gpu.amount")
                && m.contains("setDevice(\"auto\")"), m);
    }

    @Test
    void unknownOptimizerIsAParamError() {
        assertThrows(IllegalArgumentException.class, () -> estimator(3).setOptimizer("adamax"));
    }

    @Test
    void missingModelFactory() {
        Dataset<Row> df = Blobs.frame(spark, Blobs.rows(8, 3, 2, 0), 1);
        String m = message(() -> new KilnEstimator().fit(df));
        assertTrue(m.contains("setModelFactory"), m);
    }
}

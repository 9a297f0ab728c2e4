package dev.kiln.spark.ml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.spark.sql.ModelReplicas;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/** Bad input to scoring: each error names the column, row or option at fault; schema errors come before any job. */
class ScoringBadInputTest extends ScoringTestBase {
    private static final ModelSpec SPEC = ModelSpec.mlp(4, 8, 3);

    private Dataset<Row> withNulls() {
        StructType schema = new StructType().add("id", DataTypes.IntegerType).add("features",
                SQLDataTypes.VectorType(), true);
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            rows.add(RowFactory.create(i, i % 4 == 2 ? null : Vectors.dense(i, 1, 2, 3)));
        }
        return spark.createDataFrame(rows, schema).coalesce(1);
    }

    @Test
    void schemaProblemsFailBeforeAnyJob() {
        KilnModel model = modelOf(SPEC, 31);
        Dataset<Row> df = Blobs.frame(spark, Blobs.rows(8, 4, 2, 0), 1);
        String m = message(() -> model.setFeaturesCol("pixels").transform(df));
        assertTrue(m.contains("featuresCol 'pixels' does not exist") && m.contains("[features, label]"), m);
        m = message(() -> model.setFeaturesCol("text").transform(df.withColumn("text", functions.lit("x"))));
        assertTrue(m.contains("features column 'text' has type string, expected a Vector"), m);
        m = message(() -> model.setFeaturesCol("features").transform(df.withColumn("probability", functions.lit(1))));
        assertTrue(m.contains("output column 'probability' already exists"), m);
        m = message(() -> model.setOutputMode("binary").transform(df));
        assertTrue(m.contains("outputMode 'binary' needs 1 output column, the model gives 3"), m);
        m = message(() -> modelOf(ModelSpec.mlp(4, 1), 1).setOutputMode("classification").transform(df));
        assertTrue(m.contains("a classifier needs at least 2 output columns"), m);
        model.setOutputMode("auto");
        Dataset<Row> five = new VectorAssembler().setInputCols(new String[] {"a", "b", "c", "d", "e"})
                .setOutputCol("features").transform(spark.range(4).select(functions.col("id").cast("double").as("a"),
                        functions.lit(1.0).as("b"), functions.lit(2.0).as("c"), functions.lit(3.0).as("d"),
                        functions.lit(4.0).as("e")));
        m = message(() -> model.transform(five));
        assertTrue(m.contains("features column 'features' holds 5 features (per its ML attribute metadata), but the "
                + "model takes 4 (its first Linear layer's in_features)"), m);
        assertNull(ModelReplicas.stats(model.scoringKey()), "no task ran");
    }

    @Test
    void aRowOfTheWrongLengthNamesTheRowAndBothCounts() {
        KilnModel model = modelOf(SPEC, 32);
        List<Row> rows = new ArrayList<>(Blobs.rows(6, 4, 2, 1));
        rows.add(RowFactory.create(Vectors.dense(1, 2, 3, 4, 5), 0));
        Dataset<Row> df = spark.createDataFrame(rows, Blobs.schema()).coalesce(1);
        String m = message(() -> model.transform(df).collectAsList());
        assertTrue(m.contains("column 'features' in partition 0, row 6: value has 5 features, but the model takes 4 "
                + "(numFeatures)"), m);
    }

    @Test
    void aModelThatRejectsTheBatchSaysWhichShapeAndColumn() {
        // Unflatten first: the input width cannot be read from the weights, so the first row sets it.
        ModelSpec spec = ModelSpec.sequential(ModelSpec.of("Unflatten", 1, new long[] {2, 2}), ModelSpec.of("Flatten"),
                ModelSpec.of("Linear", 4, 3));
        KilnModel model = modelOf(spec, 33).setOutputMode("classification");
        Dataset<Row> five = spark.createDataFrame(List.of(RowFactory.create(Vectors.dense(1, 2, 3, 4, 5), 0)),
                Blobs.schema());
        String m = message(() -> model.transform(five).collectAsList());
        assertTrue(m.contains("the model rejected a batch of shape [1, 5] read from features column 'features' "
                + "(partition 0, rows 0..)"), m);
        assertEquals(4, model.setNumFeatures(4).transform(Blobs.frame(spark, Blobs.rows(4, 4, 2, 2), 1))
                .where("prediction >= 0").count());
        m = message(() -> modelOf(spec, 33).transform(five));
        assertTrue(m.contains("outputMode 'auto'") && m.contains("set numFeatures"), m);
    }

    @Test
    void nullFeaturesFailByDefaultOrAreSkippedOrKept() {
        KilnModel model = modelOf(SPEC, 34);
        String m = message(() -> model.transform(withNulls()).collectAsList());
        assertTrue(m.contains("column 'features' in partition 0, row 2: value is null") && m.contains("handleInvalid"),
                m);
        List<Row> skipped = model.setHandleInvalid("skip").transform(withNulls()).collectAsList();
        assertEquals(List.of(0, 1, 3, 4, 5, 7, 8, 9), skipped.stream().map(r -> r.getInt(0)).toList());
        Dataset<Row> kept = model.setHandleInvalid("keep").transform(withNulls());
        assertTrue(kept.schema().apply("prediction").nullable());
        List<Row> rows = kept.collectAsList();
        assertEquals(10, rows.size());
        for (Row r : rows) {
            boolean isNull = r.getInt(0) % 4 == 2;
            assertEquals(isNull, r.isNullAt(r.fieldIndex("prediction")));
            assertEquals(isNull, r.isNullAt(r.fieldIndex("probability")));
        }
    }

    @Test
    void badParamValuesAreRejectedWhenSet() {
        KilnModel model = modelOf(SPEC, 35);
        assertTrue(message(() -> model.setBatchSize(0)).contains("batchSize given invalid value 0"));
        assertTrue(message(() -> model.setHandleInvalid("drop")).contains("handleInvalid given invalid value drop"));
        assertTrue(message(() -> model.setOutputMode("ranking")).contains("outputMode given invalid value ranking"));
        assertTrue(message(() -> model.udf("logits")).contains("udf output must be prediction, probability or "
                + "rawPrediction, got 'logits'"));
    }
}

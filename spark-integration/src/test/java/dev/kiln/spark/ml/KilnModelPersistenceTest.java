package dev.kiln.spark.ml;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.checkpoint.Safetensors;
import dev.kiln.nn.Linear;
import dev.kiln.nn.ReLU;
import dev.kiln.nn.Sequential;
import dev.kiln.spark.train.Progress;
import dev.kiln.tensor.Tensor;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.feature.StandardScaler;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KilnModelPersistenceTest extends ScoringTestBase {
    private static final ModelSpec SPEC = ModelSpec.mlp(4, 16, 3);

    @TempDir
    Path dir;

    @Test
    void saveAndLoadKeepWeightsParamsHistoryAndPredictions() throws IOException {
        KilnModel model = KilnModel.restore("kilnModel_test", SPEC, modelOf(SPEC, 21).weights(), List.of(
                new Progress.Epoch(1, 2, 0.5, Double.NaN, 100, 1.5, 1.5), new Progress.Epoch(2, 2, 0.25, 0.9, 100, 1,
                        0))).setBatchSize(5).setPredictionCol("label_hat").setProbabilityCol("");
        String path = dir.resolve("model").toUri().toString(); // a Hadoop FS URI: file:/...
        model.write().save(path);
        KilnModel loaded = KilnModel.load(path);
        assertEquals("kilnModel_test", loaded.uid());
        assertEquals(SPEC, loaded.modelSpec());
        assertArrayEquals(model.stateDictBytes(), loaded.stateDictBytes());
        assertEquals(5, loaded.getBatchSize());
        assertEquals("label_hat", loaded.getPredictionCol());
        assertEquals("", loaded.getProbabilityCol());
        assertEquals(2, loaded.history().size());
        assertTrue(Double.isNaN(loaded.history().get(0).accuracy()), "NaN survives as JSON null");
        assertEquals(0.9, loaded.history().get(1).accuracy());
        Dataset<Row> df = Blobs.frame(spark, Blobs.rows(40, 4, 3, 8), 2);
        assertEquals(rows(model.transform(df)), rows(loaded.transform(df)));
        try (Stream<Path> siblings = Files.list(dir)) {
            assertEquals(List.of("model"), siblings.map(p -> p.getFileName().toString()).toList(), "no temp dirs left");
        }
        String metadata = Files.readString(dir.resolve("model/metadata/part-00000"), StandardCharsets.UTF_8);
        assertTrue(metadata.startsWith("{\"class\":\"dev.kiln.spark.ml.KilnModel\"") && metadata.contains(
                "\"kilnVersion\":\"0.1.0-SNAPSHOT\"") && metadata.contains("\"architecture\":" + SPEC.toJson()),
                metadata);
        LinkedHashMap<String, Tensor> weights = Safetensors.load(dir.resolve("model/data/weights.safetensors"));
        assertEquals(List.of("0.weight", "0.bias", "2.weight", "2.bias"), List.copyOf(weights.keySet()));
        weights.values().forEach(Tensor::close);
    }

    private static List<String> rows(Dataset<Row> scored) {
        return scored.drop("features").collectAsList().stream().map(Row::toString).sorted().toList();
    }

    @Test
    void existingPathNeedsOverwriteAndAFailedSaveLeavesTheOldModel() throws IOException {
        String path = dir.resolve("m").toString();
        KilnModel first = modelOf(SPEC, 22);
        first.write().save(path);
        String m = message(() -> {
            try {
                modelOf(SPEC, 23).write().save(path);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        assertTrue(m.contains("Path " + path + " already exists") && m.contains("write().overwrite().save(path)"), m);
        KilnModel lambda = KilnModel.of(() -> new Sequential(new Linear(4, 16), new ReLU(), new Linear(16, 3)),
                modelOf(SPEC, 24).weights());
        m = message(() -> {
            try {
                lambda.write().overwrite().save(path);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        assertTrue(m.contains("lambda ModelFactory") && m.contains("setModelSpec"), m);
        assertArrayEquals(first.stateDictBytes(), KilnModel.load(path).stateDictBytes(), "old model intact");
        lambda.setModelSpec(SPEC).write().overwrite().save(path);
        assertArrayEquals(lambda.stateDictBytes(), KilnModel.load(path).stateDictBytes());
        m = message(() -> lambda.setModelSpec(ModelSpec.mlp(4, 8, 3)));
        assertTrue(m.contains("does not build this model's architecture") && m.contains("size mismatch for 0.weight"),
                m);
    }

    @Test
    void pipelineWithMllibStagesSavesAndLoadsFittedAndUnfitted() throws IOException {
        Column arr = org.apache.spark.ml.functions.vector_to_array(functions.col("features"), "float64");
        Dataset<Row> df = Blobs.frame(spark, Blobs.rows(300, 4, 3, 9), 2).select(functions.col("label"),
                arr.getItem(0).as("a"), arr.getItem(1).as("b"), arr.getItem(2).as("c"), arr.getItem(3).as("d"));
        KilnEstimator kiln = KilnEstimatorTest.blobEstimator(1).setModelFactory(SPEC).setFeaturesCol("scaled");
        Pipeline pipeline = new Pipeline().setStages(new PipelineStage[] {
            new VectorAssembler().setInputCols(new String[] {"a", "b", "c", "d"}).setOutputCol("assembled"),
            new StandardScaler().setInputCol("assembled").setOutputCol("scaled"), kiln});
        PipelineModel fitted = pipeline.fit(df);
        String modelPath = dir.resolve("pipeline-model").toString();
        fitted.write().overwrite().save(modelPath);
        PipelineModel loaded = PipelineModel.load(modelPath);
        assertInstanceOf(KilnModel.class, loaded.stages()[2]);
        List<Row> before = fitted.transform(df).select("probability").collectAsList();
        List<Row> after = loaded.transform(df).select("probability").collectAsList();
        for (int i = 0; i < before.size(); i++) {
            assertArrayEquals(((Vector) before.get(i).get(0)).toArray(), ((Vector) after.get(i).get(0)).toArray());
        }
        String pipelinePath = dir.resolve("pipeline").toString();
        pipeline.write().save(pipelinePath);
        KilnEstimator restored = (KilnEstimator) Pipeline.load(pipelinePath).getStages()[2];
        assertEquals(SPEC, restored.getModelFactory());
        assertEquals("scaled", restored.getFeaturesCol());
        assertEquals(kiln.getLearningRate(), restored.getLearningRate());
        assertEquals(kiln.uid(), restored.uid());
    }

    @Test
    void anEstimatorWithALambdaFactoryCannotBeSaved() {
        String m = message(() -> {
            try {
                KilnEstimatorTest.blobEstimator(1).write().save(dir.resolve("e").toString());
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        assertTrue(m.contains("its model factory is a lambda") && m.contains("ModelSpec.mlp"), m);
    }
}

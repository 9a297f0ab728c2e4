package dev.kiln.spark.ml;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.checkpoint.Safetensors;
import dev.kiln.nn.Dropout;
import dev.kiln.nn.Linear;
import dev.kiln.nn.ReLU;
import dev.kiln.nn.Sequential;
import dev.kiln.spark.SparkTests;
import dev.kiln.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The proof that averaging is right: N workers with batch B on the same global batches end with the weights one
 * process gets with batch N*B; and a run that loses a task mid-epoch resumes from its checkpoint to the very same
 * weights as the run that never failed.
 */
class DataParallelTest {
    private static final int B = 8;
    private final SparkSession spark = SparkTests.session();

    private static KilnEstimator estimator(int workers, int batch) {
        return new KilnEstimator()
                .setModelFactory(() -> new Sequential(new Linear(4, 16), new ReLU(), new Linear(16, 3)))
                .setNumWorkers(workers).setEpochs(2).setBatchSize(batch).setShuffle(false).setBalancePartitions(false)
                .setOptimizer("sgd").setMomentum(0.9).setLearningRate(0.05).setSeed(3);
    }

    /** Rows so that one worker with batch 2B meets, step by step, the union of two workers' batches of B. */
    private static List<Row> interleaved(List<Row> p0, List<Row> p1) {
        List<Row> out = new ArrayList<>();
        for (int s = 0; s * B < p0.size(); s++) {
            out.addAll(p0.subList(s * B, Math.min(p0.size(), (s + 1) * B)));
            out.addAll(p1.subList(s * B, Math.min(p1.size(), (s + 1) * B)));
        }
        return out;
    }

    @Test
    void twoWorkersMatchOneWorkerOnTheSameGlobalBatches() throws IOException {
        List<Row> rows = Blobs.rows(160, 4, 3, 11);
        List<Row> p0 = rows.subList(0, 80);
        List<Row> p1 = rows.subList(80, 160);
        KilnModel two = estimator(2, B).fit(Blobs.frame(spark, rows, 2));
        KilnModel one = estimator(1, 2 * B).fit(Blobs.frame(spark, interleaved(p0, p1), 1));
        assertStatesClose(weights(one), weights(two), 1e-5);
        assertEquals(one.history().get(1).loss(), two.history().get(1).loss(), 1e-5);
    }

    @Test
    void unevenAndEmptyPartitionsTrainWithoutDeadlock() throws IOException {
        List<Row> rows = Blobs.rows(90, 4, 3, 5);
        // 2 partitions: rows go to partition 0 only -> partition 1 is empty
        Dataset<Row> df = Blobs.frame(spark, rows, 1).repartition(2, org.apache.spark.sql.functions.lit(0));
        KilnModel m = estimator(2, B).setShuffle(true).fit(df); // balancePartitions(false): keep the empty one
        assertEquals(90, m.history().get(0).samples());
        assertTrue(m.history().get(1).accuracy() > 0.5, "accuracy " + m.history().get(1).accuracy());
    }

    @Test
    void aTaskDyingMidEpochResumesFromCheckpointToTheSameWeights(@TempDir Path dir) throws IOException {
        List<Row> rows = Blobs.rows(160, 4, 3, 2);
        Dataset<Row> df = Blobs.frame(spark, rows, 2);
        KilnEstimator base = new KilnEstimator()
                .setModelFactory(() -> new Sequential(new Linear(4, 16), new ReLU(), new Dropout(0.2),
                        new Linear(16, 3)))
                .setNumWorkers(2).setEpochs(2).setBatchSize(B).setBalancePartitions(false).setOptimizer("adam").setLearningRate(0.01).setSeed(9);
        KilnModel clean = base.copy(new org.apache.spark.ml.param.ParamMap()).fit(df);
        KilnModel resumed = base.copy(new org.apache.spark.ml.param.ParamMap())
                .setCheckpointDir(dir.resolve("ckpt").toUri().toString()).setCheckpointEvery(3)
                .setFaultInjection(1, 14) // epoch 1 (10 steps per epoch), after the step-12 checkpoint
                .fit(df);
        Map<String, float[]> a = weights(clean);
        Map<String, float[]> b = weights(resumed);
        for (String k : a.keySet()) {
            assertArrayEquals(a.get(k), b.get(k), k + " differs after resume");
        }
        try (var files = Files.list(dir.resolve("ckpt"))) {
            assertTrue(files.anyMatch(p -> p.getFileName().toString().startsWith("ckpt-")));
        }
    }

    static Map<String, float[]> weights(KilnModel m) throws IOException {
        Path tmp = Files.createTempFile("w", ".safetensors");
        try {
            Files.write(tmp, m.stateDictBytes());
            Map<String, float[]> out = new LinkedHashMap<>();
            LinkedHashMap<String, Tensor> state = Safetensors.load(tmp);
            for (Map.Entry<String, Tensor> e : state.entrySet()) {
                out.put(e.getKey(), e.getValue().toFloatArray());
                e.getValue().close();
            }
            return out;
        } finally {
            Files.delete(tmp);
        }
    }

    static void assertStatesClose(Map<String, float[]> a, Map<String, float[]> b, double tol) {
        assertEquals(a.keySet(), b.keySet());
        for (String k : a.keySet()) {
            float[] x = a.get(k);
            float[] y = b.get(k);
            for (int i = 0; i < x.length; i++) {
                assertEquals(x[i], y[i], tol * Math.max(1, Math.abs(x[i])), k + "[" + i + "]");
            }
        }
    }
}

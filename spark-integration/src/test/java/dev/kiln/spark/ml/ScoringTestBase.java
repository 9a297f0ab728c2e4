package dev.kiln.spark.ml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kiln.nn.Module;
import dev.kiln.spark.SparkTests;
import dev.kiln.spark.sql.BatchScoring;
import dev.kiln.spark.sql.ModelReplicas;
import dev.kiln.testing.KilnTest;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterEach;

/**
 * Scoring tests are leak tests twice over: KilnTest checks the test thread's allocator, and after each test every
 * model replica must have been given back (clearing the pools frees all replica memory) and no scoring task may
 * have ended with memory still allocated.
 */
abstract class ScoringTestBase extends KilnTest {
    protected final SparkSession spark = SparkTests.session();

    @AfterEach
    void replicasReturnedAndNothingLeaked() {
        ModelReplicas.clear();
        assertEquals(0, ModelReplicas.allocatedBytes(), "replica memory left after clear(): a replica was not "
                + "given back");
        assertEquals(0, BatchScoring.leakedTasks(), "a scoring task leaked memory");
    }

    /** A model of {@code spec} with its initial (seeded) weights. */
    static KilnModel modelOf(ModelSpec spec, long seed) {
        dev.kiln.Kiln.manualSeed(seed);
        try (Module m = spec.create()) {
            return KilnModel.of(spec, m);
        }
    }

    /** The model's float32 output for one features vector, through predict(). */
    static float[] logits(KilnModel model, Vector features) {
        double[] d = features.toArray();
        float[] x = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            x[i] = (float) d[i];
        }
        try (TensorScope scope = TensorScope.open()) {
            return model.predict(Tensor.of(x).view(1, x.length)).toFloatArray();
        }
    }

    static String message(Runnable r) {
        Exception e = assertThrows(Exception.class, r::run);
        return e.getMessage();
    }
}

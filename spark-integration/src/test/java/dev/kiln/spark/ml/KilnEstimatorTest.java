package dev.kiln.spark.ml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.nn.Linear;
import dev.kiln.nn.ReLU;
import dev.kiln.nn.Sequential;
import dev.kiln.spark.SparkTests;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;

class KilnEstimatorTest {
    private final SparkSession spark = SparkTests.session();

    static KilnEstimator blobEstimator(int workers) {
        return new KilnEstimator()
                .setModelFactory(() -> new Sequential(new Linear(4, 16), new ReLU(), new Linear(16, 3)))
                .setNumWorkers(workers).setEpochs(3).setBatchSize(16).setLearningRate(0.05).setSeed(7);
    }

    @Test
    void oneWorkerLearnsBlobs() {
        List<Row> rows = Blobs.rows(600, 4, 3, 1);
        Dataset<Row> df = Blobs.frame(spark, rows, 1);
        KilnModel model = blobEstimator(1).fit(df);
        assertEquals(3, model.history().size());
        double acc = model.history().get(2).accuracy();
        assertTrue(acc > 0.95, "training accuracy " + acc);
        long correct = model.transform(df).where("prediction = label").count();
        assertTrue(correct > 570, "transform got " + correct + "/600 right");
        try (TensorScope scope = TensorScope.open()) {
            Tensor out = model.predict(Tensor.zeros(2, 4));
            assertEquals(List.of(2L, 3L), List.of(out.size(0), out.size(1)));
        }
    }
}

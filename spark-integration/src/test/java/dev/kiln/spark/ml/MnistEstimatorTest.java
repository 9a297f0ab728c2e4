package dev.kiln.spark.ml;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.nn.Linear;
import dev.kiln.nn.ReLU;
import dev.kiln.nn.Sequential;
import dev.kiln.spark.Mnist;
import dev.kiln.spark.SparkTests;
import java.nio.file.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The user's path end to end: MNIST Parquet read by Spark, normalized in SQL, an MLP trained by two barrier workers
 * (global batch 2 x 64, Adam 1e-3, StepLR 0.7 — the plain-Java MnistMlp example's settings), >= 98% on the test set.
 */
class MnistEstimatorTest {
    @Test
    void mlpReaches98PercentWithTwoWorkers(@TempDir Path dir) throws Exception {
        SparkSession spark = SparkTests.session();
        // PyTorch's Normalize((0.1307,), (0.3081,)), as a Spark SQL expression over the pixel arrays
        String normalize = "transform(features, x -> cast((x - 0.1307) / 0.3081 as float)) as features";
        Dataset<Row> train = spark.read().parquet(Mnist.parquet(dir, "train")).selectExpr(normalize, "label");
        Dataset<Row> test = spark.read().parquet(Mnist.parquet(dir, "t10k")).selectExpr(normalize, "label");
        long start = System.nanoTime();
        KilnModel model = new KilnEstimator()
                .setModelFactory(() -> new Sequential(new Linear(784, 256), new ReLU(), new Linear(256, 128),
                        new ReLU(), new Linear(128, 10)))
                .setNumWorkers(2).setEpochs(5).setBatchSize(64).setOptimizer("adam").setLearningRate(1e-3)
                .setLrScheduler("step").setLrStepSize(1).setLrGamma(0.7).setSeed(1)
                .fit(train);
        double seconds = (System.nanoTime() - start) / 1e9;
        long correct = model.transform(test).where("prediction = label").count();
        double accuracy = correct / 10_000.0;
        System.out.printf("MNIST MLP via KilnEstimator.fit, 2 workers local[2]: %.1f s, test accuracy %.2f%%%n",
                seconds, 100 * accuracy);
        assertTrue(accuracy >= 0.98, "test accuracy " + accuracy);
    }
}

package dev.kiln.spark.ml;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.spark.SparkTests;
import dev.kiln.spark.StandaloneCluster;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Training across two executor JVMs of a real standalone cluster matches the same training in local[2]. */
class ClusterTrainingTest {
    @Test
    void twoExecutorJvmsMatchLocalTraining(@TempDir Path dir) throws Exception {
        List<Row> rows = Blobs.rows(160, 4, 3, 21);
        // balancePartitions(false): a shuffle's fetch order differs between local and cluster, so the same rows
        // would reach the ranks in another order; the 2 input partitions are already balanced.
        Map<String, float[]> local = DataParallelTest.weights(KilnEstimatorTest.blobEstimator(2).setShuffle(true)
                .setBalancePartitions(false).fit(Blobs.frame(SparkTests.session(), rows, 2)));
        SparkTests.stop(); // one SparkContext per JVM
        try (StandaloneCluster cluster = new StandaloneCluster(dir, 2)) {
            SparkSession spark = cluster.session(2);
            assertEquals(2, spark.sparkContext().statusTracker().getExecutorInfos().length - 1);
            KilnModel model = KilnEstimatorTest.blobEstimator(2).setShuffle(true).setBalancePartitions(false)
                    .fit(Blobs.frame(spark, rows, 2));
            DataParallelTest.assertStatesClose(local, DataParallelTest.weights(model), 1e-6);
        }
    }
}

package dev.kiln.spark.sql;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.Kiln;
import dev.kiln.backend.Backends;
import dev.kiln.backend.cuda.CudaMemory;
import dev.kiln.nn.Module;
import dev.kiln.spark.SparkTests;
import dev.kiln.spark.ml.KilnModel;
import dev.kiln.spark.ml.ModelSpec;
import dev.kiln.tensor.Device;
import dev.kiln.testing.KilnTest;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Batch scoring on a real GPU (skipped with the reason where CUDA is unusable): equal to the CPU within float32
 * rounding (cuBLAS sums in another order), and every device byte of the replicas back after {@code clear()}. As in
 * DeviceScoringTest, the hook stands in for Spark assigning GPU 0 to each task (local mode assigns none).
 */
class CudaScoringTest extends KilnTest {
    private final SparkSession spark = SparkTests.session();

    @AfterEach
    void reset() {
        TaskDevice.assignedGpusForTests = null;
        ModelReplicas.clear();
    }

    @Test
    void transformOnCudaMatchesTheCpuAndFreesTheDevice() {
        assumeTrue(Device.cudaIsAvailable(), () -> "no CUDA device: "
                + Backends.find(Device.Type.CUDA).unavailableReason());
        Device cuda = Device.cuda(0);
        ModelSpec spec = ModelSpec.mlp(64, 256, 10);
        KilnModel model;
        Kiln.manualSeed(9);
        try (Module m = spec.create()) {
            model = KilnModel.of(spec, m).setBatchSize(256);
        }
        Random r = new Random(10);
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 3000; i++) {
            double[] x = new double[64];
            for (int j = 0; j < x.length; j++) {
                x[j] = r.nextGaussian();
            }
            rows.add(RowFactory.create(Vectors.dense(x)));
        }
        Dataset<Row> df = spark.createDataFrame(new JavaSparkContext(spark.sparkContext()).parallelize(rows, 2),
                new StructType().add("features", SQLDataTypes.VectorType(), false));
        List<Row> onCpu = model.copy(new ParamMap()).setDevice("cpu").transform(df).collectAsList();

        long before = CudaMemory.allocatedBytes(cuda);
        TaskDevice.assignedGpusForTests = new String[] {"0"};
        List<Row> onGpu = model.setDevice("cuda").transform(df).collectAsList();
        assertEquals(onCpu.size(), onGpu.size());
        for (int i = 0; i < onCpu.size(); i++) {
            double[] e = ((Vector) onCpu.get(i).getAs("rawPrediction")).toArray();
            double[] g = ((Vector) onGpu.get(i).getAs("rawPrediction")).toArray();
            for (int j = 0; j < e.length; j++) {
                assertEquals(e[j], g[j], 1e-4 * Math.max(1, Math.abs(e[j])), "row " + i + " logit " + j);
            }
        }
        ModelReplicas.Stats stats = model.replicaStats(cuda);
        assertEquals(2, stats.borrows());
        assertTrue(CudaMemory.allocatedBytes(cuda) - before >= ModelReplicas.deviceBytes()
                && ModelReplicas.deviceBytes() > 0, "replica weights live on the GPU");
        ModelReplicas.clear();
        assertEquals(0, ModelReplicas.deviceBytes());
        assertEquals(before, CudaMemory.allocatedBytes(cuda), "clear() gives every replica byte back to the GPU");
    }
}

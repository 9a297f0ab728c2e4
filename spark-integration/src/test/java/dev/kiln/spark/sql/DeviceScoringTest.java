package dev.kiln.spark.sql;

import static org.apache.spark.sql.functions.col;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.Kiln;
import dev.kiln.nn.Module;
import dev.kiln.spark.SparkTests;
import dev.kiln.spark.ml.KilnModel;
import dev.kiln.spark.ml.ModelSpec;
import dev.kiln.tensor.Device;
import dev.kiln.tensor.Tensor;
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
 * Scoring on the task's GPU, here a stand-in GPU ({@link CountingDevice}: CPU kernels over separately accounted
 * "device" memory). Spark's local mode assigns tasks no GPU resource, so the tests that score on the device tell
 * {@link TaskDevice} which GPU "Spark assigned" ({@code assignedGpusForTests}); the decision from a real
 * assignment is {@code Devices}' (DevicesTest), and without the hook local mode shows the no-GPU behaviour.
 */
class DeviceScoringTest extends KilnTest {
    private static final ModelSpec SPEC = ModelSpec.mlp(8, 32, 4);
    private static final int ROWS = 100;
    private static final int PARTITIONS = 2;
    private static final int BATCH = 16; // 50 rows per partition: batches of 16, 16, 16, 2
    private static final int BATCHES = PARTITIONS * 4;
    private static final int MODEL_TENSORS = 4; // two Linear layers' weights and biases

    private final SparkSession spark = SparkTests.session();

    @AfterEach
    void everyReplicaFreedOnHostAndDevice() {
        TaskDevice.assignedGpusForTests = null;
        ModelReplicas.clear();
        assertEquals(0, ModelReplicas.allocatedBytes(), "host replica memory left after clear()");
        assertEquals(0, ModelReplicas.deviceBytes(), "device replica memory left after clear()");
        assertEquals(0, BatchScoring.leakedTasks(), "a scoring task leaked memory");
    }

    private static KilnModel model(long seed) {
        Kiln.manualSeed(seed);
        try (Module m = SPEC.create()) {
            return KilnModel.of(SPEC, m).setBatchSize(BATCH);
        }
    }

    private Dataset<Row> frame(long seed) {
        Random r = new Random(seed);
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < ROWS; i++) {
            double[] x = new double[8];
            for (int j = 0; j < x.length; j++) {
                x[j] = 3 * r.nextGaussian();
            }
            rows.add(RowFactory.create(Vectors.dense(x)));
        }
        StructType schema = new StructType().add("features", SQLDataTypes.VectorType(), false);
        return spark.createDataFrame(new JavaSparkContext(spark.sparkContext()).parallelize(rows, PARTITIONS),
                schema);
    }

    private static void assertSameScores(List<Row> expected, List<Row> actual) {
        assertEquals(expected.size(), actual.size());
        for (int i = 0; i < expected.size(); i++) {
            Row e = expected.get(i);
            Row a = actual.get(i);
            assertEquals((Vector) e.getAs("features"), a.getAs("features"), "row " + i + " order");
            for (String c : List.of("rawPrediction", "probability")) {
                double[] ev = ((Vector) e.getAs(c)).toArray();
                double[] av = ((Vector) a.getAs(c)).toArray();
                for (int j = 0; j < ev.length; j++) {
                    assertEquals(Double.doubleToRawLongBits(ev[j]), Double.doubleToRawLongBits(av[j]),
                            "row " + i + " " + c + "[" + j + "]: " + ev[j] + " vs " + av[j]);
                }
            }
            assertEquals((double) e.getAs("prediction"), (double) a.getAs("prediction"), 0.0, "row " + i);
        }
    }

    @Test
    void transformOnTheTaskGpuEqualsTheCpuBitForBitWithOneCopyEachWayPerBatch() {
        KilnModel model = model(1);
        Dataset<Row> df = frame(2);
        List<Row> onCpu = model.copy(new ParamMap()).setDevice("cpu").transform(df).collectAsList();
        try (CountingDevice gpu = CountingDevice.install()) {
            TaskDevice.assignedGpusForTests = new String[] {"0"};
            List<Row> onGpu = model.setDevice("cuda").transform(df).collectAsList();
            assertSameScores(onCpu, onGpu);

            ModelReplicas.Stats cuda = model.replicaStats(Device.cuda(0));
            ModelReplicas.Stats cpu = model.replicaStats(Device.CPU);
            assertEquals(PARTITIONS, cuda.borrows(), "one borrow per task on cuda:0");
            assertEquals(PARTITIONS, cpu.borrows(), "the GPU tasks never borrowed the CPU replicas");
            assertTrue(cuda.built() >= 1 && cuda.built() <= PARTITIONS, cuda.toString());
            assertEquals(BATCHES, gpu.reads.get(), "outputs: one device->host copy per batch");
            assertEquals(BATCHES + (long) MODEL_TENSORS * cuda.built(), gpu.transfers.get(),
                    "features: one host->device copy per batch (plus the replicas' weights, once per replica)");
            assertEquals(0, gpu.elements.get(), "no single-element access across the device boundary");
            assertEquals(0, gpu.writes.get());

            long params = 4L * (8 * 32 + 32 + 32 * 4 + 4);
            assertEquals(params * cuda.built(), ModelReplicas.deviceBytes(), "replica weights on the device");
            assertEquals(gpu.bytesInUse(), ModelReplicas.deviceBytes(), "the idle replicas hold all device memory");
            ModelReplicas.clear();
            assertEquals(0, gpu.bytesInUse(), "clear() frees every device byte");
            assertEquals(0, ModelReplicas.deviceBytes());
        }
    }

    @Test
    void autoUsesTheAssignedGpuAndStaysOnTheCpuWithoutOne() {
        KilnModel model = model(3);
        Dataset<Row> df = frame(4);
        List<Row> onCpu = model.copy(new ParamMap()).setDevice("cpu").transform(df).collectAsList();
        assertEquals("auto", model.getDevice());
        try (CountingDevice gpu = CountingDevice.install()) {
            assertSameScores(onCpu, model.transform(df).collectAsList()); // local mode: no GPU assigned
            assertNull(model.replicaStats(Device.cuda(0)), "no GPU assigned: auto scores on the CPU");
            assertEquals(0, gpu.transfers.get() + gpu.reads.get(), "nothing touched the device");

            TaskDevice.assignedGpusForTests = new String[] {"0"};
            assertSameScores(onCpu, model.transform(df).collectAsList());
            assertEquals(PARTITIONS, model.replicaStats(Device.cuda(0)).borrows(), "auto takes the assigned GPU");
            ModelReplicas.clear(); // before the stand-in device goes away
        }
    }

    @Test
    void onTheCpuTheBatchIsNotCopied() {
        Tensor x = Tensor.of(new float[] {1, 2, 3, 4}).view(2, 2);
        assertSame(x, x.to(Device.CPU), "to(cpu) of a CPU tensor is the tensor itself: no copy per batch");
    }

    @Test
    void cudaWithoutAnAssignedGpuFailsNamingTheSparkSettings() {
        KilnModel model = model(5).setDevice("cuda");
        Dataset<Row> df = frame(6);
        for (Runnable scoring : List.<Runnable>of(() -> model.transform(df).collectAsList(),
                () -> df.select(model.udf().apply(col("features"))).collectAsList())) {
            Exception e = assertThrows(Exception.class, scoring::run);
            String m = String.valueOf(e.getMessage());
            assertTrue(m.contains("setDevice(\"cuda\"): Spark assigned this task no GPU")
                    && m.contains("spark.task.resource.gpu.amount") && m.contains("setDevice(\"auto\")"), m);
        }
        assertNull(model.replicaStats(), "no replica was built");
    }

    @Test
    void udfsScoreOnTheTaskGpuBitForBit() {
        KilnModel model = model(7);
        Dataset<Row> df = frame(8);
        KilnUdfs.register(spark, "logits_cpu", model.copy(new ParamMap()).setDevice("cpu"), "rawPrediction");
        try (CountingDevice gpu = CountingDevice.install()) {
            TaskDevice.assignedGpusForTests = new String[] {"0"};
            KilnUdfs.register(spark, "logits_gpu", model.setDevice("cuda"), "rawPrediction");
            df.createOrReplaceTempView("device_rows");
            List<Row> rows = spark.sql("SELECT logits_cpu(features) AS c, logits_gpu(features) AS g FROM device_rows")
                    .collectAsList();
            assertEquals(ROWS, rows.size());
            for (Row r : rows) {
                double[] c = ((Vector) r.getAs("c")).toArray();
                double[] g = ((Vector) r.getAs("g")).toArray();
                for (int j = 0; j < c.length; j++) {
                    assertEquals(Double.doubleToRawLongBits(c[j]), Double.doubleToRawLongBits(g[j]), r.toString());
                }
            }
            ModelReplicas.Stats cuda = model.replicaStats(Device.cuda(0));
            assertEquals(PARTITIONS, cuda.borrows(), "one borrow per task, not per row");
            assertEquals(PARTITIONS, model.replicaStats(Device.CPU).borrows());
            assertEquals(ROWS, gpu.reads.get(), "a scalar UDF copies each row's output back");
            assertEquals(ROWS + (long) MODEL_TENSORS * cuda.built(), gpu.transfers.get(), "and each row's features in");
            ModelReplicas.clear();
            assertEquals(0, gpu.bytesInUse(), "clear() frees every device byte");
        }
    }
}

package dev.kiln.spark.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.data.Batch;
import dev.kiln.distributed.ReduceOp;
import dev.kiln.spark.SparkTests;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/** A custom loop through DistributedTrainer.run sees its rows as tensors and the ranks' collectives. */
class DistributedTrainerTest {
    private final SparkSession spark = SparkTests.session();

    private Dataset<Row> frame(int rows, int partitions) {
        StructType schema = new StructType()
                .add("features", DataTypes.createArrayType(DataTypes.FloatType, false), false)
                .add("y", DataTypes.DoubleType, false);
        List<Row> data = new ArrayList<>();
        for (int i = 0; i < rows; i++) {
            data.add(RowFactory.create(new float[] {i, 2 * i, 3 * i}, (double) i));
        }
        return spark.createDataFrame(new JavaSparkContext(spark.sparkContext()).parallelize(data, partitions),
                schema);
    }

    @Test
    void customLoopSeesItsRowsAndTheCollectives() {
        Dataset<Row> df = frame(10, 2);
        InputColumns cols = InputColumns.resolve(df.schema(), new String[] {"features"}, "y",
                InputColumns.LabelType.FLOAT);
        List<double[]> results = DistributedTrainer.run(df, TrainerConfig.of(2).withBalance(false), cols,
                (ctx, data) -> {
                    try (TensorScope scope = TensorScope.open()) {
                        assertEquals(3, data.featureDim());
                        Tensor sum = data.features().sum(0).to(DType.FLOAT64);
                        ctx.allReduce(sum, ReduceOp.SUM);
                        Tensor mine = Tensor.of((double) ctx.rank() + 1);
                        ctx.broadcast(mine, 1);
                        ctx.barrier();
                        int batches = 0;
                        for (Batch b : data.epoch(0, 4, true, 5)) {
                            try (b) {
                                batches++;
                            }
                        }
                        double[] out = sum.toDoubleArray();
                        return new double[] {out[0], out[1], out[2], mine.item(), batches, data.rows(),
                                data.globalRows(), data.labels().sum().item()};
                    }
                });
        assertEquals(2, results.size());
        for (double[] r : results) {
            assertArrayEquals(new double[] {45, 90, 135, 2, 2}, java.util.Arrays.copyOf(r, 5), 0);
            assertEquals(5, r[5]);
            assertEquals(10, r[6]);
        }
        assertEquals(45.0, results.get(0)[7] + results.get(1)[7], 0);
        assertEquals(0, BarrierTask.leakedTasks(), "a task left Arrow memory allocated");
    }

    @Test
    void aFailingLoopFailsTheRunWithItsMessage() {
        Dataset<Row> df = frame(4, 2);
        InputColumns cols = InputColumns.resolve(df.schema(), new String[] {"features"}, null,
                InputColumns.LabelType.FLOAT);
        Exception e = org.junit.jupiter.api.Assertions.assertThrows(KilnTrainingException.class,
                () -> DistributedTrainer.run(df, TrainerConfig.of(2).withMaxAttempts(1), cols, (ctx, data) -> {
                    if (ctx.rank() == 1) {
                        throw new IllegalStateException("loss is NaN at step 3");
                    }
                    ctx.barrier(); // rank 0 waits for rank 1, which is gone: fails with a clear error, no hang
                    return 1;
                }));
        assertTrue(e.getMessage().contains("rank 1 failed: loss is NaN at step 3"),
                e.getMessage());
    }
}

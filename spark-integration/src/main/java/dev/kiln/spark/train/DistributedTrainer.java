package dev.kiln.spark.train;

import java.io.Serializable;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.SparkContext;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.functions;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;

/**
 * Data-parallel training in one Spark barrier stage: the DataFrame's rows are split into {@code numWorkers}
 * partitions, one task per partition runs a training loop ({@link TrainFn}) on its rows, and the loops average
 * gradients with each other over direct TCP every step. No per-step Spark jobs, no extra daemons.
 *
 * <pre>{@code
 * List<byte[]> results = DistributedTrainer.run(df, 2, (ctx, data) -> {
 *     try (Module model = factory.create(); SGD opt = new SGD(model.parameters(), 0.1)) {
 *         ctx.broadcastState(model);
 *         for (Batch b : data.epoch(0, 64, true, 42)) { ... ctx.allReduceGradients(...); opt.step(); }
 *         return ctx.rank() == 0 ? StateDictBytes.save(model) : null;
 *     }
 * });
 * }</pre>
 *
 * <p>Before any job runs it checks, on the driver, the columns (see {@link InputColumns}), that dynamic allocation
 * is off, and that the cluster has {@code numWorkers} task slots at once — barrier tasks must all run together,
 * and Spark would otherwise wait for slots for many minutes. A task failure fails the stage; Spark retries the
 * whole stage ({@code spark.stage.maxConsecutiveAttempts}); loops resume from their last checkpoint.
 */
public final class DistributedTrainer {
    private DistributedTrainer() {
    }

    /** Runs {@code fn} on {@code numWorkers} ranks over {@code df}'s {@code features} / {@code label} columns. */
    public static <R extends Serializable> List<R> run(Dataset<Row> df, int numWorkers, String featuresCol,
                                                       String labelCol, TrainFn<R> fn) {
        InputColumns cols = InputColumns.resolve(df.schema(), new String[] {featuresCol}, labelCol,
                InputColumns.LabelType.FLOAT);
        return run(df, TrainerConfig.of(numWorkers), cols, fn);
    }

    /**
     * Runs {@code fn} once per rank and returns each rank's result, indexed by rank. The DataFrame is
     * repartitioned to {@code config.numWorkers()} partitions when it has a different number.
     */
    public static <R extends Serializable> List<R> run(Dataset<Row> df, TrainerConfig config, InputColumns columns,
                                                       TrainFn<R> fn) {
        SparkContext sc = df.sparkSession().sparkContext();
        SlotCheck.check(sc, config.numWorkers());
        Dataset<Row> selected = df.select(Arrays.stream(columns.selectedColumns()).map(functions::col)
                .toArray(Column[]::new));
        if (selected.rdd().getNumPartitions() != config.numWorkers()) {
            selected = selected.repartition(config.numWorkers());
        }
        RDD<InternalRow> rows = selected.queryExecution().toRdd();
        byte[] secret = new byte[32];
        new SecureRandom().nextBytes(secret);
        CheckpointStore checkpoints = config.checkpointDir() == null ? null
                : new CheckpointStore(config.checkpointDir(), hadoopConf(sc));
        String previousDescription = sc.getLocalProperty("spark.job.description");
        sc.setJobDescription("Kiln: training on " + config.numWorkers() + " barrier workers (" + columns + ")");
        try (Progress.Tracker progress = new Progress.Tracker(sc)) {
            BarrierTask<R> task = new BarrierTask<>(config, columns, fn, secret, checkpoints, progress.reporter());
            @SuppressWarnings({"unchecked", "rawtypes"})
            ClassTag<BarrierTask.Result<R>> tag = (ClassTag) ClassTag$.MODULE$.apply(BarrierTask.Result.class);
            RDD<BarrierTask.Result<R>> results = rows.barrier().mapPartitions(task, false, tag);
            List<BarrierTask.Result<R>> collected = new ArrayList<>(results.toJavaRDD().collect());
            collected.sort(Comparator.comparingInt(BarrierTask.Result::rank));
            List<R> values = new ArrayList<>(collected.size());
            for (BarrierTask.Result<R> r : collected) {
                values.add(r.value());
            }
            return values;
        } catch (Exception e) { // SparkException is checked in Java's eyes, but Scala throws it from collect()
            throw Failures.explain(e);
        } finally {
            sc.setJobDescription(previousDescription);
        }
    }

    private static Map<String, String> hadoopConf(SparkContext sc) {
        Map<String, String> conf = new HashMap<>();
        for (Map.Entry<String, String> e : sc.hadoopConfiguration()) {
            conf.put(e.getKey(), e.getValue());
        }
        return conf;
    }
}

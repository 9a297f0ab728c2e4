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
 * and Spark would otherwise wait for slots for many minutes. A task failure fails the stage, and the whole stage is
 * resubmitted (up to {@code spark.stage.maxConsecutiveAttempts} attempts; bad input fails at once, since a retry
 * would meet it again); loops resume from their newest checkpoint.
 */
public final class DistributedTrainer {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(DistributedTrainer.class);
    private DistributedTrainer() {
    }

    /**
     * Runs {@code fn} on {@code numWorkers} ranks over {@code df}'s {@code features} column and, when the DataFrame
     * has one, its {@code label} column (float32 targets); returns every rank's result, indexed by rank.
     */
    public static <R extends Serializable> List<R> run(Dataset<Row> df, int numWorkers, TrainFn<R> fn) {
        String label = Arrays.asList(df.schema().fieldNames()).contains("label") ? "label" : null;
        return run(df, numWorkers, "features", label, fn);
    }

    /** Runs {@code fn} on {@code numWorkers} ranks over the given feature and label ({@code null}: none) columns. */
    public static <R extends Serializable> List<R> run(Dataset<Row> df, int numWorkers, String featuresCol,
                                                       String labelCol, TrainFn<R> fn) {
        InputColumns cols = InputColumns.resolve(df.schema(), new String[] {featuresCol}, labelCol,
                InputColumns.LabelType.FLOAT);
        return run(df, TrainerConfig.of(numWorkers), cols, fn);
    }

    /**
     * Runs {@code fn} once per rank and returns each rank's result, indexed by rank. The DataFrame is
     * repartitioned round-robin into {@code config.numWorkers()} equal partitions (see {@link TrainerConfig#balance}).
     */
    public static <R extends Serializable> List<R> run(Dataset<Row> df, TrainerConfig config, InputColumns columns,
                                                       TrainFn<R> fn) {
        SparkContext sc = df.sparkSession().sparkContext();
        SlotCheck.check(sc, config.numWorkers());
        Dataset<Row> selected = df.select(Arrays.stream(columns.selectedColumns()).map(functions::col)
                .toArray(Column[]::new));
        if (config.balance() || selected.rdd().getNumPartitions() != config.numWorkers()) {
            selected = selected.repartition(config.numWorkers());
        }
        RDD<InternalRow> rows = selected.queryExecution().toRdd();
        byte[] secret = new byte[32];
        new SecureRandom().nextBytes(secret);
        CheckpointStore checkpoints = config.checkpointDir() == null ? null
                : new CheckpointStore(config.checkpointDir(), hadoopConf(sc));
        int maxAttempts = config.maxAttempts() > 0 ? config.maxAttempts()
                : Math.max(1, sc.getConf().getInt("spark.stage.maxConsecutiveAttempts", 4));
        String previousDescription = sc.getLocalProperty("spark.job.description");
        try (Progress.Tracker progress = new Progress.Tracker(sc)) {
            for (int attempt = 0; ; attempt++) {
                sc.setJobDescription("Kiln: training on " + config.numWorkers() + " barrier workers (" + columns
                        + ")" + (attempt > 0 ? ", attempt " + (attempt + 1) : ""));
                BarrierTask<R> task = new BarrierTask<>(config, columns, fn, secret, checkpoints,
                        progress.reporter(), attempt);
                try {
                    return collect(rows, task);
                } catch (Exception e) { // SparkException is checked in Java's eyes, but Scala throws it from collect()
                    RuntimeException explained = Failures.explain(e);
                    if (explained instanceof KilnInputException || explained instanceof IllegalArgumentException
                            || attempt + 1 >= maxAttempts) {
                        throw explained;
                    }
                    LOG.warn("Kiln training attempt {} of {} failed ({}); resubmitting the barrier stage{}",
                            attempt + 1, maxAttempts, explained.getMessage(),
                            checkpoints == null ? " from the start (no checkpointDir)"
                                    : ", resuming from the newest checkpoint in " + checkpoints.directory());
                }
            }
        } finally {
            sc.setJobDescription(previousDescription);
        }
    }

    /**
     * One barrier stage over {@code rows}. NOTE: Spark aborts, rather than retries, a failed barrier stage that is
     * a ResultStage (it may have committed output), so the retry of the whole stage is this class's loop above,
     * bounded by {@code spark.stage.maxConsecutiveAttempts} like Spark's own stage retries.
     */
    private static <R extends Serializable> List<R> collect(RDD<InternalRow> rows, BarrierTask<R> task) {
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
    }

    private static Map<String, String> hadoopConf(SparkContext sc) {
        Map<String, String> conf = new HashMap<>();
        for (Map.Entry<String, String> e : sc.hadoopConfiguration()) {
            conf.put(e.getKey(), e.getValue());
        }
        return conf;
    }
}

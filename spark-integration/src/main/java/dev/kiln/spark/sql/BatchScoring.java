package dev.kiln.spark.sql;

import dev.kiln.spark.train.InputColumns;
import java.io.Serializable;
import java.util.Locale;
import org.apache.spark.TaskContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.types.StructType;
import scala.collection.Iterator;
import scala.jdk.javaapi.CollectionConverters;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;
import scala.runtime.AbstractFunction1;

/**
 * Batched scoring of a DataFrame, partition by partition: rows are read straight from Spark's {@code InternalRow}s
 * into one reused Arrow buffer of {@code batchSize} rows, wrapped as a tensor without a copy, run through a replica of
 * the model (eval mode, {@code noGrad}), and the outputs are appended to the rows. On a GPU (the one Spark assigned
 * to the task, {@link Config#device()}) the batch is copied to the device once, the forward pass runs there, and the
 * outputs come back to the host once per batch; on the CPU nothing is copied. The input rows pass through
 * untouched (one copy each, since Spark reuses row objects while a batch is being filled).
 *
 * <p>The result is an opaque scan of the scored rows, so Spark cannot prune the model away: {@code count()} on it
 * runs the model too.
 */
public final class BatchScoring {
    private BatchScoring() {
    }

    /** Scoring tasks in this JVM that ended with memory still allocated (a bug if not 0). */
    public static long leakedTasks() {
        return ScoringIterator.LEAKS.get();
    }

    /**
     * Where the scoring tasks of this JVM spent their time, summed over tasks since the last {@link #resetProfile}:
     * {@code fillSeconds} pulling rows from the upstream plan, reading their features into the Arrow batch and
     * copying them aside; {@code forwardSeconds} in the model's forward pass (and reading its output); the rest of
     * {@code taskSeconds} is handing out the scored rows (output vectors, Spark's projection) and whatever consumes
     * them downstream in the same task.
     */
    public record Profile(long rows, double fillSeconds, double forwardSeconds, double taskSeconds) {
    }

    public static Profile profile() {
        return new Profile(ScoringIterator.ROWS.sum(), ScoringIterator.FILL_NANOS.sum() / 1e9,
                ScoringIterator.FORWARD_NANOS.sum() / 1e9, ScoringIterator.TASK_NANOS.sum() / 1e9);
    }

    public static void resetProfile() {
        ScoringIterator.ROWS.reset();
        ScoringIterator.FILL_NANOS.reset();
        ScoringIterator.FORWARD_NANOS.reset();
        ScoringIterator.TASK_NANOS.reset();
    }

    /**
     * How to score: which columns in, which out, batch size, the null policy, and the device mode (cpu | cuda | auto,
     * resolved per task to the GPU Spark assigned to it, see {@code dev.kiln.spark.train.Devices}).
     */
    public record Config(InputColumns features, OutputLayout outputs, int batchSize, NullPolicy nulls,
                         int numFeatures, String device) implements Serializable {
        public Config {
            if (batchSize < 1) {
                throw new IllegalArgumentException("batchSize must be >= 1, got " + batchSize);
            }
            if (!dev.kiln.spark.train.Devices.MODES.contains(device)) {
                throw new IllegalArgumentException("device must be one of cpu, cuda, auto; got '" + device + "'");
            }
        }

        /** On the CPU. */
        public Config(InputColumns features, OutputLayout outputs, int batchSize, NullPolicy nulls, int numFeatures) {
            this(features, outputs, batchSize, nulls, numFeatures, "cpu");
        }
    }

    /** {@code handleInvalid}: what a row whose features are null gives. */
    public enum NullPolicy {
        /** Fail the task, naming the column, partition and row (the default). */
        ERROR,
        /** Drop the row from the output. */
        SKIP,
        /** Keep the row with null outputs. */
        KEEP;

        public static NullPolicy of(String s) {
            return valueOf(s.toUpperCase(Locale.ROOT));
        }
    }

    /**
     * Appends {@code config.outputs()} to every row of {@code df}. {@code outputSchema} must be
     * {@code config.outputs().appendTo(df.schema())} (validated by the caller before any work).
     */
    public static Dataset<Row> transform(Dataset<?> df, Broadcast<ScoringPayload> model, Config config,
                                         StructType outputSchema) {
        RDD<InternalRow> rows = df.toDF().queryExecution().toRdd();
        Scorer scorer = new Scorer(model, new FeatureReader(config.features(), df.schema()), config);
        ClassTag<InternalRow> tag = ClassTag$.MODULE$.apply(InternalRow.class);
        RDD<InternalRow> scored = rows.mapPartitions(scorer, true, tag);
        var session = (org.apache.spark.sql.classic.SparkSession) df.sparkSession();
        return session.internalCreateDataFrame(scored, outputSchema, false);
    }

    /** The per-partition function shipped to the tasks. */
    static final class Scorer extends AbstractFunction1<Iterator<InternalRow>, Iterator<InternalRow>>
            implements Serializable {
        private static final long serialVersionUID = 1L;
        private final Broadcast<ScoringPayload> model;
        private final FeatureReader reader;
        private final Config config;

        Scorer(Broadcast<ScoringPayload> model, FeatureReader reader, Config config) {
            this.model = model;
            this.reader = reader;
            this.config = config;
        }

        @Override
        public Iterator<InternalRow> apply(Iterator<InternalRow> rows) {
            TaskContext task = TaskContext.get();
            dev.kiln.tensor.Device device = TaskDevice.resolve(config.device(), task);
            ScoringIterator it = new ScoringIterator(CollectionConverters.asJava(rows), model.value(), reader, config,
                    task == null ? 0 : task.partitionId(), task == null ? 1 : Math.max(1, task.cpus()), device);
            if (task != null) {
                task.addTaskCompletionListener((org.apache.spark.util.TaskCompletionListener) ctx -> it.close());
            }
            return CollectionConverters.asScala(it);
        }
    }
}

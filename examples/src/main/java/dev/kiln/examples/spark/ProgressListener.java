package dev.kiln.examples.spark;

import dev.kiln.examples.cli.ProgressLine;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.AccumulableInfo;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorMetricsUpdate;
import org.apache.spark.util.LongAccumulator;
import scala.Tuple4;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Progress within an epoch for a Spark training job, without touching the trainer: the model's first layer
 * ({@link MnistInput}) adds the rows of every training batch to a {@link LongAccumulator}; executors ship running
 * tasks' accumulator values to the driver with each heartbeat ({@code spark.executor.heartbeatInterval}); this
 * listener sums the latest value of every task and prints a {@link ProgressLine} at each quarter of an epoch. The
 * estimator itself logs one line per finished epoch.
 */
final class ProgressListener extends SparkListener implements AutoCloseable {
    private final SparkContext sc;
    private final LongAccumulator rows;
    private final long rowsPerEpoch;
    private final int epochs;
    private final ProgressLine line;
    private final Map<Long, Long> perTask = new ConcurrentHashMap<>();
    private long started;
    private long firstSeen;
    private int epoch;
    private int stageAttempt = -1;

    ProgressListener(SparkContext sc, long rowsPerEpoch, int epochs, ProgressLine line) {
        this.sc = sc;
        this.rows = sc.longAccumulator("kiln.rowsSeen");
        this.rowsPerEpoch = rowsPerEpoch;
        this.epochs = epochs;
        this.line = line;
        sc.addSparkListener(this);
    }

    /** The accumulator the model's first layer counts into. */
    LongAccumulator accumulator() {
        return rows;
    }

    @Override
    public void onExecutorMetricsUpdate(SparkListenerExecutorMetricsUpdate update) {
        boolean changed = false;
        for (Tuple4<Object, Object, Object, scala.collection.immutable.Seq<AccumulableInfo>> t
                : CollectionConverters.asJava(update.accumUpdates())) {
            for (AccumulableInfo info : CollectionConverters.asJava(t._4())) {
                if (info.id() == rows.id() && info.update().isDefined()
                        && info.update().get() instanceof Number n) {
                    int attempt = (Integer) t._3();
                    if (attempt != stageAttempt) { // a retried stage starts counting again (from its checkpoint)
                        stageAttempt = attempt;
                        perTask.clear();
                    }
                    perTask.put((Long) t._1(), n.longValue());
                    changed = true;
                }
            }
        }
        if (changed) {
            report(perTask.values().stream().mapToLong(Long::longValue).sum());
        }
    }

    synchronized void report(long seen) {
        if (seen <= 0 || rowsPerEpoch <= 0) {
            return;
        }
        long now = System.nanoTime();
        if (started == 0) {
            started = now;
            firstSeen = seen;
        }
        int current = (int) Math.min(epochs, seen / rowsPerEpoch + 1);
        if (current != epoch) {
            epoch = current;
            line.startEpoch();
        }
        long done = seen - (current - 1) * rowsPerEpoch;
        double seconds = (now - started) / 1e9;
        // NOTE: the rate counts from the first heartbeat that carried rows, so it excludes Spark's start-up.
        double rate = seconds > 1 ? (seen - firstSeen) / seconds : 0;
        line.update(current, epochs, done, rowsPerEpoch, Double.NaN, rate);
    }

    @Override
    public void close() {
        sc.removeSparkListener(this);
    }
}

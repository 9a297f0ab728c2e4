package dev.kiln.spark.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.Serializable;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.AccumulableInfo;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorMetricsUpdate;
import org.apache.spark.util.CollectionAccumulator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Tuple4;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Per-epoch progress where Spark users look. Rank 0 appends one JSON line per epoch to a named accumulator
 * ({@code kiln.progress}, visible on the stage page of the Spark UI); executors ship running tasks' accumulator
 * values to the driver with every heartbeat ({@code spark.executor.heartbeatInterval}, 10 s by default), where a
 * listener logs each new epoch once through SLF4J (Spark's log4j2 picks it up), e.g.
 * {@code Kiln epoch 3/10: loss 0.1234, accuracy 96.10%, 41,000 samples/s, ETA 1m12s}. Epochs not yet seen when
 * the job ends are logged then, so every epoch appears exactly once.
 */
public final class Progress {
    private static final Logger LOG = LoggerFactory.getLogger("dev.kiln.spark.Progress");
    private static final ObjectMapper JSON = new ObjectMapper();

    private Progress() {
    }

    /** One epoch's metrics, over all ranks. {@code accuracy} is NaN when the loop does not measure it. */
    public record Epoch(int epoch, int epochs, double loss, double accuracy, long samples, double seconds,
                        double etaSeconds) implements Serializable {
        public double samplesPerSecond() {
            return seconds > 0 ? samples / seconds : 0;
        }

        /** The log line: {@code Kiln epoch 3/10: loss 0.1234, accuracy 96.10%, 41,000 samples/s, ETA 1m12s}. */
        public String line() {
            StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "Kiln epoch %d/%d: loss %.4f", epoch,
                    epochs, loss));
            if (!Double.isNaN(accuracy)) {
                b.append(String.format(Locale.ROOT, ", accuracy %.2f%%", 100 * accuracy));
            }
            b.append(String.format(Locale.ROOT, ", %,.0f samples/s, ETA %s", samplesPerSecond(), eta(etaSeconds)));
            return b.toString();
        }

        String toJson() {
            try {
                return JSON.writeValueAsString(this);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }

        static Epoch fromJson(String s) {
            try {
                return JSON.readValue(s, Epoch.class);
            } catch (Exception e) {
                throw new IllegalArgumentException("not a progress line: " + s, e);
            }
        }

        private static String eta(double seconds) {
            long s = Math.round(seconds);
            return s >= 60 ? (s / 60) + "m" + String.format(Locale.ROOT, "%02d", s % 60) + "s" : s + "s";
        }
    }

    /** Task side: rank 0 reports through the accumulator. */
    static final class Reporter implements Serializable {
        private static final long serialVersionUID = 1L;
        private final CollectionAccumulator<String> accumulator;

        Reporter(CollectionAccumulator<String> accumulator) {
            this.accumulator = accumulator;
        }

        void report(Epoch e) {
            accumulator.add(e.toJson());
            LOG.debug("rank 0: {}", e.line()); // the driver logs it at INFO
        }
    }

    /** Driver side: registers the accumulator and a listener that logs epochs as heartbeats bring them. */
    static final class Tracker extends SparkListener implements AutoCloseable {
        private final SparkContext sc;
        private final CollectionAccumulator<String> accumulator;
        private final Set<Integer> logged = ConcurrentHashMap.newKeySet();

        Tracker(SparkContext sc) {
            this.sc = sc;
            this.accumulator = sc.collectionAccumulator("kiln.progress");
            sc.addSparkListener(this);
        }

        Reporter reporter() {
            return new Reporter(accumulator);
        }

        @Override
        public void onExecutorMetricsUpdate(SparkListenerExecutorMetricsUpdate update) {
            for (Tuple4<Object, Object, Object, scala.collection.immutable.Seq<AccumulableInfo>> t
                    : CollectionConverters.asJava(update.accumUpdates())) {
                for (AccumulableInfo info : CollectionConverters.asJava(t._4())) {
                    if (info.id() == accumulator.id() && info.update().isDefined()
                            && info.update().get() instanceof List<?> lines) {
                        logNew(lines);
                    }
                }
            }
        }

        private void logNew(List<?> lines) {
            for (Object o : lines) {
                Epoch e = Epoch.fromJson(String.valueOf(o));
                if (logged.add(e.epoch())) {
                    LOG.info(e.line());
                }
            }
        }

        /** Logs what the heartbeats did not bring, and stops listening. */
        @Override
        public void close() {
            sc.removeSparkListener(this);
            logNew(accumulator.value());
        }
    }
}

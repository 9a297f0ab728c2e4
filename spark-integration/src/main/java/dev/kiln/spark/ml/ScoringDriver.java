package dev.kiln.spark.ml;

import dev.kiln.Kiln;
import dev.kiln.nn.Module;
import dev.kiln.spark.sql.ScoringPayload;
import dev.kiln.spark.train.StateDictBytes;
import dev.kiln.tensor.TensorScope;
import java.util.HashMap;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;

/**
 * A model's driver-side state, shared by its copies (they have the same weights): the module built once on the
 * driver (to validate the weights, probe the output width and serve {@code predict}), and the broadcast of the
 * weights, made once per SparkContext.
 */
final class ScoringDriver {
    /** Driver-side modules live here, not in whatever scope the caller has open (they outlive it). */
    private static final BufferAllocator ALLOCATOR = Kiln.rootAllocator().newChildAllocator("kiln-driver-models", 0,
            Long.MAX_VALUE);

    private final ScoringPayload payload;
    private final Map<Integer, Integer> widths = new HashMap<>();
    private Module module;
    private int inferredNumFeatures = -1;
    private Broadcast<ScoringPayload> broadcast;
    private SparkContext broadcastContext;

    ScoringDriver(ScoringPayload payload) {
        this.payload = payload;
    }

    ScoringPayload payload() {
        return payload;
    }

    /** The module with the weights, built once, in eval mode; do not close it. */
    synchronized Module module() {
        if (module == null) {
            Module m;
            try (TensorScope scope = TensorScope.open(ALLOCATOR)) {
                m = payload.factory().create();
                try {
                    StateDictBytes.load(payload.weights(), m);
                } catch (RuntimeException e) {
                    m.close();
                    throw e;
                }
            }
            m.eval();
            module = m;
        }
        return module;
    }

    /** Input features read from the architecture (a first Linear layer), or 0 when it does not say. */
    synchronized int inferredNumFeatures() {
        if (inferredNumFeatures < 0) {
            inferredNumFeatures = ModelInfo.inferNumFeatures(module());
        }
        return inferredNumFeatures;
    }

    /** The output width for {@code numFeatures} inputs, probed once with a row of zeros. */
    synchronized int outputWidth(int numFeatures) {
        Module m = module();
        synchronized (m) {
            return widths.computeIfAbsent(numFeatures, n -> ModelInfo.outputWidth(m, n));
        }
    }

    /** The payload broadcast to {@code jsc}'s executors: made once, again only if the SparkContext changed. */
    synchronized Broadcast<ScoringPayload> broadcast(JavaSparkContext jsc) {
        SparkContext sc = jsc.sc();
        if (broadcast == null || broadcastContext != sc || sc.isStopped()) {
            broadcast = jsc.broadcast(payload);
            broadcastContext = sc;
        }
        return broadcast;
    }
}

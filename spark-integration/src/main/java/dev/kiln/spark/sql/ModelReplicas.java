package dev.kiln.spark.sql;

import dev.kiln.Kiln;
import dev.kiln.nn.Module;
import dev.kiln.spark.train.StateDictBytes;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;

/**
 * The models an executor JVM has built for scoring, so a model is built once per JVM and reused by every later task
 * (the weights arrive once per executor as a broadcast; building a replica parses them and fills a module).
 *
 * <p>Thread safety: a replica is lent to one task at a time ({@link #borrow}, closed to give it back), so
 * concurrent tasks in one executor never share a module, its buffers or its autograd state. Replicas are pooled per
 * model: a JVM running {@code k} scoring tasks at once builds {@code k} replicas of that model and no more, and reuses
 * them for all later tasks. Memory per executor is therefore (concurrent tasks) x (parameter bytes) per model, which
 * is what PyTorch-on-Spark's one-model-per-Python-worker pattern costs too; at most {@value #MAX_MODELS} models are
 * kept (least recently used beyond that are dropped).
 *
 * <p>Replica memory comes from one child allocator of the root ({@code kiln-inference-replicas}), so leaks are
 * visible: {@link #clear()} then {@link #allocatedBytes()} must read zero.
 */
public final class ModelReplicas {
    static final int MAX_MODELS = 8;
    private static final Map<String, Pool> POOLS = new LinkedHashMap<>(16, 0.75f, true);
    private static BufferAllocator allocator;

    private ModelReplicas() {
    }

    /** Counters of one model's pool: replicas built, times lent, replicas idle now. */
    public record Stats(int built, long borrows, int idle) {
    }

    /** A built module lent to one caller; {@link #close()} gives it back to its pool. */
    public static final class Replica implements AutoCloseable {
        private final Module module;
        private final DType dtype;
        private final Pool pool;
        private boolean lent;

        private Replica(Module module, DType dtype, Pool pool) {
            this.module = module;
            this.dtype = dtype;
            this.pool = pool;
        }

        /** The module, in eval mode; use it from the borrowing thread only and do not close it. */
        public Module module() {
            return module;
        }

        /** The dtype of the model's parameters (inputs are cast to it). */
        public DType dtype() {
            return dtype;
        }

        @Override
        public void close() {
            pool.release(this);
        }
    }

    private static final class Pool {
        private final ScoringPayload payload;
        private final Deque<Replica> idle = new ArrayDeque<>();
        private int built;
        private long borrows;
        private boolean retired;

        Pool(ScoringPayload payload) {
            this.payload = payload;
        }

        Replica borrow() {
            synchronized (this) {
                borrows++;
                Replica r = idle.poll();
                if (r != null) {
                    r.lent = true;
                    return r;
                }
            }
            Replica r = build(); // outside the lock: a second concurrent task needs its own replica anyway
            synchronized (this) {
                built++;
                r.lent = true;
                return r;
            }
        }

        private Replica build() {
            Module m;
            try (TensorScope scope = TensorScope.open(allocator())) {
                m = payload.factory().create();
                try {
                    StateDictBytes.load(payload.weights(), m);
                } catch (RuntimeException e) {
                    m.close();
                    throw e;
                }
            }
            m.eval();
            List<Tensor> params = m.parameters();
            return new Replica(m, params.isEmpty() ? DType.FLOAT32 : params.get(0).dtype(), this);
        }

        synchronized void release(Replica r) {
            if (!r.lent) {
                return; // closed twice
            }
            r.lent = false;
            if (retired) {
                r.module.close();
            } else {
                idle.push(r);
            }
        }

        synchronized void retire() {
            retired = true;
            idle.forEach(r -> r.module.close());
            idle.clear();
        }
    }

    /** Lends a replica of {@code payload}'s model, building one if none is idle. */
    public static Replica borrow(ScoringPayload payload) {
        Pool pool;
        synchronized (POOLS) {
            pool = POOLS.get(payload.key());
            if (pool == null) {
                pool = new Pool(payload);
                POOLS.put(payload.key(), pool);
                evictBeyondLimit();
            }
        }
        return pool.borrow();
    }

    private static void evictBeyondLimit() {
        Iterator<Map.Entry<String, Pool>> it = POOLS.entrySet().iterator();
        while (POOLS.size() > MAX_MODELS && it.hasNext()) {
            Pool eldest = it.next().getValue();
            it.remove();
            eldest.retire();
        }
    }

    /** Counters for the model with this key, or null if this JVM has not scored it. */
    public static Stats stats(String key) {
        Pool p;
        synchronized (POOLS) {
            p = POOLS.get(key);
        }
        if (p == null) {
            return null;
        }
        synchronized (p) {
            return new Stats(p.built, p.borrows, p.idle.size());
        }
    }

    /** Drops every pool: idle replicas are closed now, lent ones when they are given back. */
    public static void clear() {
        synchronized (POOLS) {
            POOLS.values().forEach(Pool::retire);
            POOLS.clear();
        }
    }

    /** Bytes held by replicas in this JVM. */
    public static long allocatedBytes() {
        return allocator().getAllocatedMemory();
    }

    private static synchronized BufferAllocator allocator() {
        if (allocator == null) {
            allocator = Kiln.rootAllocator().newChildAllocator("kiln-inference-replicas", 0, Long.MAX_VALUE);
        }
        return allocator;
    }
}

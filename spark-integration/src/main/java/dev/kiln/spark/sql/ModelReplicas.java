package dev.kiln.spark.sql;

import dev.kiln.Kiln;
import dev.kiln.nn.Module;
import dev.kiln.spark.train.StateDictBytes;
import dev.kiln.memory.Storage;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Device;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.arrow.memory.BufferAllocator;

/**
 * The models an executor JVM has built for scoring, so a model is built once per JVM and reused by every later task
 * (the weights arrive once per executor as a broadcast; building a replica parses them and fills a module).
 *
 * <p>Thread safety: a replica is lent to one task at a time ({@link #borrow}, closed to give it back), so
 * concurrent tasks in one executor never share a module, its buffers or its autograd state. Replicas are pooled per
 * model and device: a JVM running {@code k} scoring tasks at once builds {@code k} replicas of that model and no
 * more, and reuses them for all later tasks; a replica built on {@code cuda:1} is only ever lent to tasks scoring on
 * {@code cuda:1} (never to one on {@code cuda:0} or the CPU). Memory per executor is therefore (concurrent tasks) x
 * (parameter bytes) per model, which is what PyTorch-on-Spark's one-model-per-Python-worker pattern costs too; at most
 * {@value #MAX_MODELS} (model, device) pools are kept (least recently used beyond that are dropped).
 *
 * <p>Host replica memory comes from one child allocator of the root ({@code kiln-inference-replicas}), so leaks are
 * visible: {@link #clear()} then {@link #allocatedBytes()} must read zero. A replica on a GPU is built there (on the
 * host, then moved with {@code module.to(device)}, which frees its host copy): its parameters and buffers live in
 * the device backend's accounted memory (for CUDA, {@code CudaMemory.allocatedBytes(device)}), and
 * {@link #deviceBytes()} counts what the replicas hold there; {@link #clear()} frees that too.
 */
public final class ModelReplicas {
    static final int MAX_MODELS = 8;
    private static final Map<PoolKey, Pool> POOLS = new LinkedHashMap<>(16, 0.75f, true);
    private static final AtomicLong DEVICE_BYTES = new AtomicLong();
    private static BufferAllocator allocator;

    private record PoolKey(String model, Device device) {
    }

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
        private final long deviceBytes;
        private boolean lent;

        private Replica(Module module, DType dtype, Pool pool, long deviceBytes) {
            this.module = module;
            this.dtype = dtype;
            this.pool = pool;
            this.deviceBytes = deviceBytes;
        }

        /** Where the module's parameters live: inputs must be moved here. */
        public Device device() {
            return pool.device;
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

        private void free() {
            module.close();
            DEVICE_BYTES.addAndGet(-deviceBytes);
        }
    }

    private static final class Pool {
        private final ScoringPayload payload;
        private final Device device;
        private final Deque<Replica> idle = new ArrayDeque<>();
        private int built;
        private long borrows;
        private boolean retired;

        Pool(ScoringPayload payload, Device device) {
            this.payload = payload;
            this.device = device;
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
                    m.to(device); // no-op on the CPU; elsewhere frees the host copy as it goes
                } catch (RuntimeException | Error e) {
                    m.close();
                    throw e;
                }
            }
            m.eval();
            List<Tensor> params = m.parameters();
            long onDevice = device.isCuda() ? storageBytes(m) : 0;
            DEVICE_BYTES.addAndGet(onDevice);
            return new Replica(m, params.isEmpty() ? DType.FLOAT32 : params.get(0).dtype(), this, onDevice);
        }

        synchronized void release(Replica r) {
            if (!r.lent) {
                return; // closed twice
            }
            r.lent = false;
            if (retired) {
                r.free();
            } else {
                idle.push(r);
            }
        }

        synchronized void retire() {
            retired = true;
            idle.forEach(Replica::free);
            idle.clear();
        }
    }

    /** Bytes of the distinct storages of {@code m}'s parameters and buffers (tied weights count once). */
    private static long storageBytes(Module m) {
        Set<Storage> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        long bytes = 0;
        for (Tensor t : m.parameters()) {
            bytes += seen.add(t.storage()) ? t.storage().byteSize() : 0;
        }
        for (Tensor t : m.namedBuffers().values()) {
            bytes += seen.add(t.storage()) ? t.storage().byteSize() : 0;
        }
        return bytes;
    }

    /** Lends a replica of {@code payload}'s model on the CPU, building one if none is idle. */
    public static Replica borrow(ScoringPayload payload) {
        return borrow(payload, Device.CPU);
    }

    /**
     * Lends a replica of {@code payload}'s model whose parameters live on {@code device}, building one there if none
     * is idle; replicas on other devices are never lent.
     */
    public static Replica borrow(ScoringPayload payload, Device device) {
        Pool pool;
        PoolKey key = new PoolKey(payload.key(), device);
        synchronized (POOLS) {
            pool = POOLS.get(key);
            if (pool == null) {
                pool = new Pool(payload, device);
                POOLS.put(key, pool);
                evictBeyondLimit();
            }
        }
        return pool.borrow();
    }

    private static void evictBeyondLimit() {
        Iterator<Map.Entry<PoolKey, Pool>> it = POOLS.entrySet().iterator();
        while (POOLS.size() > MAX_MODELS && it.hasNext()) {
            Pool eldest = it.next().getValue();
            it.remove();
            eldest.retire();
        }
    }

    /** Counters for the model with this key, summed over devices, or null if this JVM has not scored it. */
    public static Stats stats(String key) {
        List<Pool> pools;
        synchronized (POOLS) {
            pools = POOLS.entrySet().stream().filter(e -> e.getKey().model().equals(key)).map(Map.Entry::getValue)
                    .toList();
        }
        if (pools.isEmpty()) {
            return null;
        }
        int built = 0;
        long borrows = 0;
        int idle = 0;
        for (Pool p : pools) {
            synchronized (p) {
                built += p.built;
                borrows += p.borrows;
                idle += p.idle.size();
            }
        }
        return new Stats(built, borrows, idle);
    }

    /** Counters for the model with this key on {@code device}, or null if this JVM has not scored it there. */
    public static Stats stats(String key, Device device) {
        Pool p;
        synchronized (POOLS) {
            p = POOLS.get(new PoolKey(key, device));
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

    /** Host bytes held by replicas in this JVM (replicas on a GPU hold none once built). */
    public static long allocatedBytes() {
        return allocator().getAllocatedMemory();
    }

    /**
     * Device bytes held by the parameters and buffers of replicas on GPUs in this JVM (idle or lent), as the device
     * backend allocated them; 0 after {@link #clear()} once every lent replica is given back.
     */
    public static long deviceBytes() {
        return DEVICE_BYTES.get();
    }

    private static synchronized BufferAllocator allocator() {
        if (allocator == null) {
            allocator = Kiln.rootAllocator().newChildAllocator("kiln-inference-replicas", 0, Long.MAX_VALUE);
        }
        return allocator;
    }
}

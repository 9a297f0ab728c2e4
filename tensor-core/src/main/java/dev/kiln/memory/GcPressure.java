package dev.kiln.memory;

import dev.kiln.KilnContext;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.arrow.memory.BufferAllocator;

/**
 * Asks the JVM for a garbage collection when off-heap tensor memory keeps growing, so that tensors dropped without
 * {@code close()} (a training loop written without a {@code TensorScope}, as PyTorch users write it) are found
 * by the GC safety net before native memory runs out. The JVM cannot see off-heap bytes: a tiny heap full of
 * tensor handles may never trigger a collection on its own while gigabytes of Arrow memory wait behind them.
 *
 * <p>Cheap and inert in well-scoped code: it looks at the root allocator every {@link #CHECK_EVERY_BYTES}
 * allocated, and collects only when live bytes exceed twice what was live after the previous collection (and at
 * least {@code kiln.gcFloorBytes}, default 512 MiB). Scoped code keeps live bytes flat and never gets there.
 * With {@code -XX:+DisableExplicitGC} this does nothing.
 *
 * <p>A documented share: the byte counters and the threshold are process-wide and measured on the root allocator,
 * and a full GC stalls every thread of the JVM, so one unscoped loop can pause all Spark tasks of an executor.
 * Allocations made inside a {@link KilnContext} opened with {@code gcPressure(false)} are not counted and never
 * trigger a collection (for loops that scope their steps and need no valve); everything else (plain programs,
 * contexts that do not say) keeps the valve on.
 */
final class GcPressure {
    static final long CHECK_EVERY_BYTES = 16L << 20;
    private static volatile long floor = Long.getLong("kiln.gcFloorBytes", 512L << 20);
    private static final AtomicLong SINCE_CHECK = new AtomicLong();
    private static volatile long nextGcAt = floor;
    private static volatile boolean rebaseline;
    private static final AtomicLong COLLECTIONS = new AtomicLong();

    private GcPressure() {
    }

    static void onAllocate(BufferAllocator allocator, long bytes) {
        if (!KilnContext.gcPressureEnabled()) {
            return; // this loop opted out: its allocations neither count nor trigger a collection
        }
        if (SINCE_CHECK.addAndGet(bytes) < CHECK_EVERY_BYTES) {
            return;
        }
        SINCE_CHECK.set(0);
        long live = allocator.getRoot().getAllocatedMemory();
        if (rebaseline) { // the previous collection's cleaners have had time to run: measure what really lives
            rebaseline = false;
            nextGcAt = Math.max(floor, 2 * live);
            return;
        }
        if (live > nextGcAt) {
            COLLECTIONS.incrementAndGet();
            rebaseline = true;
            System.gc();
        }
    }

    /** How many collections this has requested (for tests and diagnostics). */
    static long collections() {
        return COLLECTIONS.get();
    }

    /** Test hook: lower the floor so the mechanism can be exercised with small allocations. */
    static void setFloorForTesting(long bytes) {
        floor = bytes;
        nextGcAt = bytes;
    }
}

package dev.kiln;

import dev.kiln.tensor.Generator;
import dev.kiln.memory.HostMemoryPool;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

/**
 * Process-wide settings: the root Arrow allocator, the default random generator and the CPU thread count. A
 * {@link KilnContext} open on the calling thread overrides the generator, thread count, allocator and GC valve for
 * that thread (one training loop among several in a JVM); the methods here answer for the calling thread.
 */
public final class Kiln {
    static { dev.kiln.memory.ArrowAccess.check(); } // fail at once, naming the JVM flags Arrow needs, not mid-training
    private static final BufferAllocator ROOT = new RootAllocator(RootAllocator.configBuilder()
            .allocationManagerFactory(HostMemoryPool.FACTORY)
            .maxAllocation(Long.MAX_VALUE)
            .build());
    private static volatile int numThreads = Math.max(1, Runtime.getRuntime().availableProcessors());

    private Kiln() {
    }

    /**
     * The process root allocator; tensors made outside any {@code TensorScope} with its own allocator use it. Its
     * memory comes from {@link HostMemoryPool}, which recycles large blocks between training steps.
     */
    public static BufferAllocator rootAllocator() {
        return ROOT;
    }

    /**
     * Seeds {@link Generator#defaultGenerator()}, like {@code torch.manual_seed}: inside a {@link KilnContext} only
     * that context's generator, otherwise the process-wide one.
     */
    public static void manualSeed(long seed) {
        Generator.defaultGenerator().manualSeed(seed);
    }

    /**
     * Host memory at a glance, like {@code torch.cuda.memory_stats()}'s headline numbers.
     *
     * @param allocatedBytes bytes held by live buffers of every allocator (the root allocator's count)
     * @param peakAllocatedBytes the root allocator's high-water mark
     * @param cachedBytes bytes of released blocks kept by {@link HostMemoryPool} for reuse; not in any allocator's
     *                    count (a cached block counts as released), still taken from the system
     */
    public record MemoryStats(long allocatedBytes, long peakAllocatedBytes, long cachedBytes) {
        /** Bytes taken from the system for host tensors: allocated plus cached. */
        public long reservedBytes() {
            return allocatedBytes + cachedBytes;
        }
    }

    /** The root allocator's bytes next to the host block cache's (process-wide; see {@link MemoryStats}). */
    public static MemoryStats memoryStats() {
        return new MemoryStats(ROOT.getAllocatedMemory(), ROOT.getPeakMemoryAllocation(), HostMemoryPool.cachedBytes());
    }

    /** Returns cached host memory blocks to the system, like {@code torch.cuda.empty_cache()}. */
    public static void emptyCache() {
        HostMemoryPool.emptyCache();
    }

    /**
     * Threads CPU kernels started on this thread may use (like {@code torch.get_num_threads}): the current
     * {@link KilnContext}'s count if one is open, else the process-wide setting.
     */
    public static int numThreads() {
        KilnContext ctx = KilnContext.current();
        return ctx == null ? numThreads : ctx.numThreads();
    }

    /** The process-wide thread count, ignoring any {@link KilnContext}. */
    static int processNumThreads() {
        return numThreads;
    }

    /**
     * Sets the process-wide thread count (like {@code torch.set_num_threads}); a {@link KilnContext} with its own
     * {@code numThreads} still overrides it on its thread.
     */
    public static void setNumThreads(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("numThreads must be >= 1, got " + n);
        }
        numThreads = n;
    }
}

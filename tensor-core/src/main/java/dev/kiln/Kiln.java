package dev.kiln;

import dev.kiln.tensor.Generator;
import dev.kiln.memory.HostMemoryPool;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

/**
 * Process-wide settings: the root Arrow allocator, the default random generator and the CPU thread count.
 */
public final class Kiln {
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

    /** Seeds the default generator, like {@code torch.manual_seed}. */
    public static void manualSeed(long seed) {
        Generator.defaultGenerator().manualSeed(seed);
    }

    /** Returns cached host memory blocks to the system, like {@code torch.cuda.empty_cache()}. */
    public static void emptyCache() {
        HostMemoryPool.emptyCache();
    }

    /** Threads CPU kernels may use (like {@code torch.set_num_threads}). */
    public static int numThreads() {
        return numThreads;
    }

    public static void setNumThreads(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("numThreads must be >= 1, got " + n);
        }
        numThreads = n;
    }
}

package dev.kiln;

import dev.kiln.tensor.Generator;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

/**
 * Process-wide settings: the root Arrow allocator, the default random generator and the CPU thread count.
 */
public final class Kiln {
    private static final BufferAllocator ROOT = new RootAllocator(Long.MAX_VALUE);
    private static volatile int numThreads = Math.max(1, Runtime.getRuntime().availableProcessors());

    private Kiln() {
    }

    /** The process root allocator; tensors made outside any {@code TensorScope} with its own allocator use it. */
    public static BufferAllocator rootAllocator() {
        return ROOT;
    }

    /** Seeds the default generator, like {@code torch.manual_seed}. */
    public static void manualSeed(long seed) {
        Generator.defaultGenerator().manualSeed(seed);
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

package dev.kiln.backend.cuda;

import dev.kiln.tensor.Device;

/**
 * The CUDA caching allocator's public face, like {@code torch.cuda.memory_allocated} / {@code memory_reserved} /
 * {@code max_memory_allocated} / {@code empty_cache}. Device memory is accounted per GPU by Kiln's caching allocator
 * (see {@link CudaMemoryStats}); Arrow's allocators account only host memory.
 */
public final class CudaMemory {
    private CudaMemory() {
    }

    /** The allocator's counters for {@code device} (opening it on first use); all zero when CUDA is unavailable. */
    public static CudaMemoryStats stats(Device device) {
        if (!device.isCuda() || CudaRuntime.deviceCount() <= device.index()) {
            return new CudaMemoryStats(0, 0, 0, 0, 0, 0);
        }
        return CudaRuntime.device(device).allocator().stats();
    }

    /** Bytes held by live tensors on {@code device} ({@code torch.cuda.memory_allocated}). */
    public static long allocatedBytes(Device device) {
        return stats(device).allocatedBytes();
    }

    /**
     * Returns every cached (unused) block of every opened GPU to the driver ({@code torch.cuda.empty_cache}), after
     * the queued work finishes; memory held by live tensors stays. Returns the bytes released.
     */
    public static long emptyCache() {
        long released = 0;
        for (CudaDevice d : CudaRuntime.openDevices()) {
            released += d.allocator().emptyCache();
        }
        return released;
    }

    /**
     * Restarts {@code device}'s peak tracking from its current allocation
     * ({@code torch.cuda.reset_peak_memory_stats}).
     */
    public static void resetPeakStats(Device device) {
        if (device.isCuda() && CudaRuntime.deviceCount() > device.index()) {
            CudaRuntime.device(device).allocator().resetPeak();
        }
    }

    /**
     * Waits for all work queued on {@code device} ({@code torch.cuda.synchronize}); surfaces asynchronous kernel
     * errors.
     */
    public static void synchronize(Device device) {
        CudaRuntime.device(device).synchronize();
    }
}

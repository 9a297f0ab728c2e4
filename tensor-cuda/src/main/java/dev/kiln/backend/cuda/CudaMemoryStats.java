package dev.kiln.backend.cuda;

/**
 * A snapshot of one device's caching allocator, in PyTorch's terms.
 *
 * @param allocatedBytes bytes in blocks handed out and not yet freed ({@code torch.cuda.memory_allocated}); blocks
 *     are rounded up (512 B for small requests, 2 MiB for large), so this counts what is held, not what was asked
 * @param reservedBytes bytes obtained from the driver and not returned: in use plus cached
 *     ({@code torch.cuda.memory_reserved})
 * @param peakAllocatedBytes the highest {@code allocatedBytes} since the last reset
 *     ({@code torch.cuda.max_memory_allocated})
 * @param activeBlocks blocks handed out and not yet freed (0 once every tensor on the device is closed)
 * @param deviceMallocs {@code cuMemAlloc} calls so far: flat across training steps once the cache is warm
 * @param deviceFrees {@code cuMemFree} calls so far (only {@code emptyCache} and the out-of-memory retry free)
 */
public record CudaMemoryStats(long allocatedBytes, long reservedBytes, long peakAllocatedBytes, long activeBlocks,
                              long deviceMallocs, long deviceFrees) {

    /** Bytes held in the cache for reuse, {@code reserved - allocated}. */
    public long cachedBytes() {
        return reservedBytes - allocatedBytes;
    }
}

package dev.kiln.backend.cuda;

import dev.kiln.memory.DeviceBlock;
import dev.kiln.tensor.Device;
import java.util.ArrayDeque;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One device's caching allocator, after PyTorch's {@code CUDACachingAllocator} (much simplified): freed blocks go
 * to a free list keyed by size instead of back to the driver, so once a training step has run, later steps find
 * every block they need in the cache and make no {@code cuMemAlloc}/{@code cuMemFree} calls (both synchronize the
 * device and cost far more than a kernel).
 *
 * <p>Sizes are rounded up so that slightly different requests share blocks: to a multiple of {@link #SMALL_ROUND}
 * up to {@link #SMALL_LIMIT}, to a multiple of {@link #LARGE_ROUND} above. A request takes the smallest cached
 * block that fits and wastes at most a quarter of it; blocks are never split or merged.
 *
 * <p>{@link DeviceBlock#free()} may run on the Cleaner thread (a tensor nobody closed), so it only puts the block
 * back on the free list and makes no CUDA call. That is safe because every kernel and copy of a device runs in
 * order on the device's one stream: work that a later owner of the block queues runs after all work queued by
 * the previous owner. Only {@link #emptyCache()} returns memory to the driver, after synchronizing the stream.
 *
 * <p>Thread-safe: all bookkeeping is under this object's lock.
 */
final class CudaCachingAllocator {
    static final long SMALL_LIMIT = 1L << 20;
    static final long SMALL_ROUND = 512;
    static final long LARGE_ROUND = 2L << 20;

    private final Device device;
    private final RawAllocator raw;
    private final TreeMap<Long, ArrayDeque<Long>> cache = new TreeMap<>(); // block size -> free block addresses
    private long allocated;
    private long reserved;
    private long peak;
    private long activeBlocks;
    private long mallocs;
    private long frees;
    private long releases;
    private final Runnable reclaim;

    CudaCachingAllocator(Device device, RawAllocator raw) {
        this.device = device;
        this.raw = raw;
        this.reclaim = this::collectGarbage;
    }

    /** @param reclaim what to try, without the lock, before giving up on an allocation (tests pass a fake GC) */
    CudaCachingAllocator(Device device, RawAllocator raw, Runnable reclaim) {
        this.device = device;
        this.raw = raw;
        this.reclaim = reclaim;
    }

    /** The block size a request of {@code bytes} is served with. */
    static long roundUp(long bytes) {
        long unit = bytes <= SMALL_LIMIT ? SMALL_ROUND : LARGE_ROUND;
        return (bytes + unit - 1) / unit * unit;
    }

    /**
     * A block of at least {@code bytes} bytes, from the cache when one fits, else from the driver. When the driver is
     * out of memory: the cache is emptied and the allocation retried; if that fails too, the garbage collector is
     * asked to find tensors dropped without {@code close()} (their Cleaners free their blocks; the GC cannot see
     * device memory, so it would not run on its own), and the allocation retried once more before
     * {@link CudaOutOfMemoryException}. A zero-byte request gets an empty block at address 0 (still counted as
     * active until freed).
     */
    DeviceBlock allocate(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("cannot allocate " + bytes + " bytes on " + device);
        }
        Block b = tryAllocate(bytes);
        if (b == null) {
            reclaim.run(); // without the lock: the Cleaner's frees need it
            b = tryAllocate(bytes);
        }
        if (b == null) {
            throw outOfMemory(bytes);
        }
        return b;
    }

    /** The cache, else the driver, else the driver after emptying the cache; null when all fail. */
    private synchronized Block tryAllocate(long bytes) {
        Block b = bytes == 0 ? new Block(0, 0, 0) : fromCache(bytes);
        if (b == null) {
            long size = roundUp(bytes);
            long address = raw.malloc(size);
            if (address == 0) {
                emptyCache();
                address = raw.malloc(size);
            }
            if (address == 0) {
                return null;
            }
            mallocs++;
            reserved += size;
            b = new Block(address, size, bytes);
        }
        allocated += b.size;
        activeBlocks++;
        peak = Math.max(peak, allocated);
        return b;
    }

    /** Blocks freed so far (the reclaim step watches it settle). */
    synchronized long releases() {
        return releases;
    }

    /**
     * The default reclaim step: a full GC, then waiting (up to half a second) until the Cleaner thread has stopped
     * returning blocks for 20 ms.
     */
    private void collectGarbage() {
        System.gc();
        long seen = releases();
        long quietSince = System.nanoTime();
        long deadline = quietSince + 500_000_000L;
        while (System.nanoTime() < deadline && System.nanoTime() - quietSince < 20_000_000L) {
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            long now = releases();
            if (now != seen) {
                seen = now;
                quietSince = System.nanoTime();
            }
        }
    }

    /** The smallest cached block holding {@code bytes} with at most a quarter wasted, off its list; or null. */
    private Block fromCache(long bytes) {
        long size = roundUp(bytes);
        Map.Entry<Long, ArrayDeque<Long>> e = cache.ceilingEntry(size);
        if (e == null || e.getKey() > size + size / 4) {
            return null;
        }
        long address = e.getValue().pop();
        if (e.getValue().isEmpty()) {
            cache.remove(e.getKey());
        }
        return new Block(address, e.getKey(), bytes);
    }

    private synchronized void release(Block b) {
        releases++;
        allocated -= b.size;
        activeBlocks--;
        if (b.size > 0) {
            cache.computeIfAbsent(b.size, k -> new ArrayDeque<>()).push(b.address);
        }
    }

    /**
     * Returns every cached block to the driver ({@code torch.cuda.empty_cache}), after waiting for queued work that
     * may still use them. Blocks in use are untouched. Returns the bytes released.
     */
    synchronized long emptyCache() {
        if (cache.isEmpty()) {
            return 0;
        }
        raw.synchronize();
        long released = 0;
        for (Map.Entry<Long, ArrayDeque<Long>> e : cache.entrySet()) {
            for (long address : e.getValue()) {
                raw.free(address);
                frees++;
                released += e.getKey();
            }
        }
        cache.clear();
        reserved -= released;
        return released;
    }

    synchronized CudaMemoryStats stats() {
        return new CudaMemoryStats(allocated, reserved, peak, activeBlocks, mallocs, frees);
    }

    /** Starts peak tracking afresh from the current allocation ({@code torch.cuda.reset_peak_memory_stats}). */
    synchronized void resetPeak() {
        peak = allocated;
    }

    private synchronized CudaOutOfMemoryException outOfMemory(long bytes) {
        long[] info = raw.memInfo();
        String capacity = info == null ? "" : formatSize(info[1]) + " total capacity; ";
        String free = info == null ? "" : formatSize(info[0]) + " free; ";
        return new CudaOutOfMemoryException("CUDA out of memory. Tried to allocate " + formatSize(bytes) + " (GPU "
                + Math.max(device.index(), 0) + "; " + capacity + formatSize(allocated) + " already allocated; " + free
                + formatSize(reserved) + " reserved in total by Kiln)");
    }

    /** PyTorch's {@code format_size}: bytes, KiB, MiB or GiB with two decimals. */
    static String formatSize(long bytes) {
        if (bytes <= 1024) {
            return bytes + " bytes";
        }
        if (bytes <= 1048576) {
            return String.format(Locale.ROOT, "%.2f KiB", bytes / 1024.0);
        }
        if (bytes <= 1073741824) {
            return String.format(Locale.ROOT, "%.2f MiB", bytes / 1048576.0);
        }
        return String.format(Locale.ROOT, "%.2f GiB", bytes / 1073741824.0);
    }

    /**
     * A handed-out block: {@code size} bytes held (what the accounting counts), of which the first {@code requested}
     * were asked for (what the storage sees). A second {@link #free()} throws instead of caching the block twice.
     */
    private final class Block implements DeviceBlock {
        private final long address;
        private final long size;
        private final long requested;
        private final AtomicBoolean freed = new AtomicBoolean();

        Block(long address, long size, long requested) {
            this.address = address;
            this.size = size;
            this.requested = requested;
        }

        @Override
        public Device device() {
            return device;
        }

        @Override
        public long address() {
            return address;
        }

        @Override
        public long byteSize() {
            return requested;
        }

        @Override
        public void free() {
            if (!freed.compareAndSet(false, true)) {
                throw new IllegalStateException("device block of " + size + " bytes on " + device
                        + " was freed twice");
            }
            release(this);
        }
    }
}

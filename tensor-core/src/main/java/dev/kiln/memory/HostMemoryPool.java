package dev.kiln.memory;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.arrow.memory.AllocationManager;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.ReferenceManager;

/**
 * Kiln's host allocation manager for Arrow: native memory from {@code malloc}, with a cache of freed large
 * blocks keyed by exact size, the host counterpart of PyTorch's CUDA caching allocator.
 *
 * <p>Why: a training step allocates the same activation and gradient sizes every iteration. Fresh large blocks
 * come from {@code mmap}, and the first write to each page costs a page fault (about 16 ms per 64 MiB here), which
 * made {@code a.add(b)} on large tensors 4–6x slower than its kernel. Reusing a freed block of the same size avoids
 * that. Arrow's accounting is unaffected: a cached block counts as released, so allocator leak checks still hold.
 *
 * <p>Only blocks of at least {@link #MIN_CACHED_BYTES} are cached (malloc already recycles small ones quickly), and
 * the cache holds at most {@code kiln.hostCacheBytes} bytes (system property; default 1 GiB); beyond that, blocks
 * are freed. {@link #emptyCache()} returns all cached blocks to the system, like {@code torch.cuda.empty_cache}.
 *
 * <p>A documented share: the cache is process-wide (one per JVM, like PyTorch's caching allocator is one per
 * device), so Spark tasks in one executor recycle each other's blocks; that is safe because a block is only handed
 * out after Arrow released it. Its bytes are not in any allocator's count; {@code Kiln.memoryStats()} reports them
 * next to the root allocator's.
 */
public final class HostMemoryPool extends AllocationManager {
    public static final long MIN_CACHED_BYTES = 1L << 20;
    private static final long CACHE_LIMIT = Long.getLong("kiln.hostCacheBytes", 1L << 30);
    private static final ConcurrentHashMap<Long, ConcurrentLinkedDeque<Long>> FREE = new ConcurrentHashMap<>();
    private static final AtomicLong CACHED_BYTES = new AtomicLong();
    private static final ArrowBuf EMPTY = new ArrowBuf(ReferenceManager.NO_OP, null, 0, 0);

    /** The factory to configure a {@code RootAllocator} with. */
    public static final Factory FACTORY = new Factory() {
        @Override
        public AllocationManager create(BufferAllocator accountingAllocator, long size) {
            return new HostMemoryPool(accountingAllocator, size);
        }

        @Override
        public ArrowBuf empty() {
            return EMPTY;
        }
    };

    private final long address;
    private final long size;

    private HostMemoryPool(BufferAllocator accountingAllocator, long size) {
        super(accountingAllocator);
        this.size = size;
        this.address = acquire(size);
    }

    private static long acquire(long size) {
        if (size >= MIN_CACHED_BYTES) {
            ConcurrentLinkedDeque<Long> blocks = FREE.get(size);
            Long cached = blocks == null ? null : blocks.pollFirst();
            if (cached != null) {
                CACHED_BYTES.addAndGet(-size);
                return cached; // never with guards on: released blocks are quarantined, not cached
            }
        }
        return GuardBytes.arm(Unsafe.allocateMemory(GuardBytes.rawSize(size)), size);
    }

    @Override
    public long getSize() {
        return size;
    }

    @Override
    protected long memoryAddress() {
        return address;
    }

    /**
     * Caches the block, or frees it when it is small or the cache is full. NOTE: the counter is reserved before the
     * block is queued and every path that removes a block subtracts exactly that block's size, so once threads are
     * quiet {@code CACHED_BYTES} equals the bytes in the deques. Queueing happens inside {@code FREE.compute}, the
     * same per-key lock {@link #emptyCache} removes empty deques under, so a block can never land in a deque that
     * was just dropped from the map (an orphan nobody would free).
     */
    @Override
    protected void release0() {
        if (GuardBytes.enabled()) {
            for (long raw : GuardBytes.quarantine(address, size)) {
                Unsafe.freeMemory(raw); // debugging: no cache, blocks leave the quarantine checked
            }
            return;
        }
        if (size >= MIN_CACHED_BYTES) {
            if (CACHED_BYTES.addAndGet(size) <= CACHE_LIMIT) {
                FREE.compute(size, (s, blocks) -> {
                    ConcurrentLinkedDeque<Long> d = blocks == null ? new ConcurrentLinkedDeque<>() : blocks;
                    d.addFirst(address);
                    return d;
                });
                return;
            }
            CACHED_BYTES.addAndGet(-size);
        }
        Unsafe.freeMemory(address);
    }

    /** Bytes held in the cache (released by Arrow, not yet returned to the system). */
    public static long cachedBytes() {
        return CACHED_BYTES.get();
    }

    /**
     * Frees every cached block. Safe while other threads allocate and release: each freed block is subtracted from
     * the counter on its own, and a deque is dropped from the map only if it is still empty under its key's lock.
     */
    public static void emptyCache() {
        for (long raw : GuardBytes.drain()) {
            Unsafe.freeMemory(raw);
        }
        for (var e : FREE.entrySet()) {
            long size = e.getKey();
            Long address;
            while ((address = e.getValue().pollFirst()) != null) {
                CACHED_BYTES.addAndGet(-size);
                Unsafe.freeMemory(address);
            }
            FREE.computeIfPresent(size, (s, blocks) -> blocks.isEmpty() ? null : blocks);
        }
    }

    /** The bytes actually queued in the cache, counted block by block (for tests: must equal the counter). */
    static long scanCachedBytes() {
        long total = 0;
        for (var e : FREE.entrySet()) {
            total += e.getKey() * e.getValue().size();
        }
        return total;
    }

    /** Number of distinct block sizes with a queue in the cache (for tests). */
    static int bucketCount() {
        return FREE.size();
    }
}

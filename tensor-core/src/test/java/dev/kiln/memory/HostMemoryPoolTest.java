package dev.kiln.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dev.kiln.Kiln;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import org.apache.arrow.memory.BufferAllocator;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** Large blocks are recycled by exact size; Arrow's accounting still returns to zero; emptyCache frees them. */
class HostMemoryPoolTest {
    @org.junit.jupiter.api.BeforeEach
    void cacheIsOn() {
        assumeFalse(GuardBytes.enabled(), "kiln.debug.guardBytes quarantines released blocks instead of caching them");
    }


    @Test
    void freedLargeBlockIsReusedForTheSameSize() {
        try (BufferAllocator alloc = Kiln.rootAllocator().newChildAllocator("pool", 0, Long.MAX_VALUE)) {
            long[] shape = {3, 1 << 20}; // 12 MiB, an odd size so no other test shares the bucket
            Tensor first = Tensor.allocate(alloc, DType.FLOAT32, shape, false);
            long address = first.dataAddress();
            first.close();
            assertEquals(0, alloc.getAllocatedMemory(), "a cached block must count as released");
            assertTrue(HostMemoryPool.cachedBytes() >= 12L << 20);
            Tensor second = Tensor.allocate(alloc, DType.FLOAT32, shape, true);
            assertEquals(address, second.dataAddress(), "same-size allocation should reuse the cached block");
            assertEquals(0, second.sum().item(), "zeroed allocation must be zero even when recycled");
            second.close();
            Kiln.emptyCache();
            assertEquals(0, HostMemoryPool.cachedBytes());
            assertEquals(0, alloc.getAllocatedMemory());
        }
    }

    @Test
    void smallBlocksAreNotCached() {
        try (BufferAllocator alloc = Kiln.rootAllocator().newChildAllocator("small", 0, Long.MAX_VALUE)) {
            Kiln.emptyCache();
            Tensor t = Tensor.allocate(alloc, DType.FLOAT32, new long[] {1000}, true);
            t.close();
            assertEquals(0, HostMemoryPool.cachedBytes());
        }
    }

    @Test
    void concurrentReleaseAndEmptyCacheKeepTheCounterExact() throws Exception {
        Kiln.emptyCache();
        int threads = 3;
        ExecutorService pool = Executors.newFixedThreadPool(threads + 1);
        AtomicBoolean stop = new AtomicBoolean();
        try (BufferAllocator alloc = Kiln.rootAllocator().newChildAllocator("race", 0, Long.MAX_VALUE)) {
            List<Future<?>> work = new ArrayList<>();
            for (int k = 0; k < threads; k++) {
                int seed = k;
                work.add(pool.submit(() -> {
                    for (int i = 0; i < 3000; i++) { // 1, 2 and 4 MiB buckets (Arrow rounds to powers of two)
                        long elems = 1L << (18 + (i + seed) % 3);
                        Tensor.allocate(alloc, DType.FLOAT32, new long[] {elems}, false).close();
                    }
                }));
            }
            Future<?> emptier = pool.submit(() -> {
                while (!stop.get()) {
                    Kiln.emptyCache();
                }
            });
            for (Future<?> f : work) {
                f.get(60, TimeUnit.SECONDS);
            }
            stop.set(true);
            emptier.get(60, TimeUnit.SECONDS);
            assertEquals(HostMemoryPool.scanCachedBytes(), HostMemoryPool.cachedBytes(),
                    "cached-byte counter drifted from the blocks really cached (or a block was orphaned)");
            assertEquals(0, alloc.getAllocatedMemory());
            Kiln.emptyCache();
            assertEquals(0, HostMemoryPool.cachedBytes());
            assertEquals(0, HostMemoryPool.scanCachedBytes());
            assertEquals(0, HostMemoryPool.bucketCount(), "emptyCache leaves no empty queues behind");
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void memoryStatsReportCachedBytesNextToTheAllocator() {
        try (BufferAllocator alloc = Kiln.rootAllocator().newChildAllocator("stats", 0, Long.MAX_VALUE)) {
            Kiln.emptyCache();
            Tensor t = Tensor.allocate(alloc, DType.FLOAT32, new long[] {4, 1 << 18}, false); // 4 MiB
            Kiln.MemoryStats live = Kiln.memoryStats();
            assertTrue(live.allocatedBytes() >= 4L << 20);
            t.close();
            Kiln.MemoryStats after = Kiln.memoryStats();
            assertEquals(4L << 20, after.cachedBytes());
            assertEquals(after.allocatedBytes() + after.cachedBytes(), after.reservedBytes());
            Kiln.emptyCache();
            assertEquals(0, Kiln.memoryStats().cachedBytes());
        }
    }
}

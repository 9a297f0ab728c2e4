package dev.kiln.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.memory.DeviceBlock;
import dev.kiln.tensor.Device;
import dev.kiln.testing.KilnTest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** The caching allocator's bookkeeping over a fake device (no GPU needed). */
class CudaCachingAllocatorTest extends KilnTest {
    private static final long MIB = 1 << 20;

    private final FakeRawAllocator raw = new FakeRawAllocator(64 * MIB);
    private final List<DeviceBlock> garbage = new ArrayList<>(); // dropped without free(): the fake GC frees them
    private int collections;
    private final CudaCachingAllocator alloc = new CudaCachingAllocator(Device.cuda(0), raw, () -> {
        collections++;
        garbage.forEach(DeviceBlock::free);
        garbage.clear();
    });

    @Test
    void roundsSmallRequestsTo512BytesAndLargeOnesTo2MiB() {
        assertEquals(512, CudaCachingAllocator.roundUp(1));
        assertEquals(512, CudaCachingAllocator.roundUp(512));
        assertEquals(1024, CudaCachingAllocator.roundUp(513));
        assertEquals(MIB, CudaCachingAllocator.roundUp(MIB));
        assertEquals(2 * MIB, CudaCachingAllocator.roundUp(MIB + 1));
        assertEquals(4 * MIB, CudaCachingAllocator.roundUp(2 * MIB + 1));
    }

    @Test
    void aBlockSeesTheRequestedSizeWhileTheAccountingCountsTheRoundedOne() {
        DeviceBlock b = alloc.allocate(100);
        assertEquals(100, b.byteSize());
        assertEquals(512, alloc.stats().allocatedBytes());
        assertEquals(512, alloc.stats().reservedBytes());
        b.free();
        assertEquals(0, alloc.stats().allocatedBytes());
        assertEquals(512, alloc.stats().reservedBytes());
        assertEquals(512, alloc.stats().cachedBytes());
    }

    /** A training step's allocations repeated: after the first step every block comes from the cache. */
    @Test
    void steadyStateStepsMakeNoDriverCalls() {
        long[] sizes = {4000, 4000, 123_456, 3 * MIB, 17, 3 * MIB + 5, 800_000};
        for (int step = 0; step < 5; step++) {
            List<DeviceBlock> live = new ArrayList<>();
            for (long s : sizes) {
                live.add(alloc.allocate(s));
            }
            live.forEach(DeviceBlock::free);
            assertEquals(sizes.length, raw.mallocs, "driver allocations after step " + step);
        }
        CudaMemoryStats s = alloc.stats();
        assertEquals(0, s.allocatedBytes());
        assertEquals(0, s.activeBlocks());
        assertEquals(sizes.length, s.deviceMallocs());
        assertEquals(0, s.deviceFrees());
    }

    @Test
    void reusesALargerCachedBlockOnlyWhenLittleIsWasted() {
        alloc.allocate(4 * MIB).free();
        DeviceBlock close = alloc.allocate(4 * MIB - 100 * 1024); // rounds to 4 MiB: exact hit
        assertEquals(1, raw.mallocs);
        close.free();
        DeviceBlock small = alloc.allocate(MIB); // 4 MiB would waste 75%: a new block
        assertEquals(2, raw.mallocs);
        small.free();
    }

    @Test
    void peakTracksTheHighestAllocationUntilReset() {
        DeviceBlock a = alloc.allocate(MIB);
        DeviceBlock b = alloc.allocate(MIB);
        a.free();
        assertEquals(2 * MIB, alloc.stats().peakAllocatedBytes());
        alloc.resetPeak();
        assertEquals(MIB, alloc.stats().peakAllocatedBytes());
        b.free();
    }

    @Test
    void emptyCacheSynchronizesThenReturnsOnlyCachedBlocks() {
        DeviceBlock kept = alloc.allocate(MIB);
        alloc.allocate(2 * MIB).free();
        alloc.allocate(512).free();
        long released = alloc.emptyCache();
        assertEquals(2 * MIB + 512, released);
        assertEquals("sync", raw.calls.get(raw.calls.size() - 3), "the stream drains before any cuMemFree");
        assertEquals(MIB, alloc.stats().reservedBytes());
        assertEquals(2, alloc.stats().deviceFrees());
        assertEquals(0, alloc.emptyCache(), "nothing cached: no sync, no free");
        kept.free();
    }

    @Test
    void outOfMemoryEmptiesTheCacheAndRetriesOnce() {
        alloc.allocate(40 * MIB).free(); // cached, so 40 of 64 MiB are taken
        DeviceBlock b = alloc.allocate(30 * MIB); // fails, empties the cache, succeeds
        assertEquals(List.of("malloc " + 40 * MIB, "malloc " + 30 * MIB + " -> out of memory", "sync",
                "free " + 40 * MIB, "malloc " + 30 * MIB), raw.calls);
        b.free();
    }

    @Test
    void outOfMemoryAfterTheRetryHasPyTorchsMessage() {
        DeviceBlock held = alloc.allocate(50 * MIB);
        CudaOutOfMemoryException e = assertThrows(CudaOutOfMemoryException.class, () -> alloc.allocate(20 * MIB));
        assertEquals("CUDA out of memory. Tried to allocate 20.00 MiB (GPU 0; 64.00 MiB total capacity; "
                + "50.00 MiB already allocated; 14.00 MiB free; 50.00 MiB reserved in total by Kiln)", e.getMessage());
        assertEquals(1, alloc.stats().activeBlocks(), "the failed request holds nothing");
        assertEquals(1, collections, "a garbage collection was tried first");
        held.free();
    }

    /** Tensors dropped without close() hold device memory the JVM cannot see: the allocator asks for a GC. */
    @Test
    void outOfMemoryCollectsGarbageBeforeGivingUp() {
        garbage.add(alloc.allocate(50 * MIB));
        DeviceBlock b = alloc.allocate(20 * MIB);
        assertEquals(1, collections);
        assertEquals(20 * MIB, alloc.stats().allocatedBytes());
        assertEquals(1, alloc.stats().deviceFrees(), "the garbage's block went back to the driver");
        b.free();
    }

    @Test
    void zeroByteBlocksNeedNoDriverCallButAreAccounted() {
        DeviceBlock z = alloc.allocate(0);
        assertEquals(0, z.address());
        assertEquals(1, alloc.stats().activeBlocks());
        z.free();
        assertEquals(0, alloc.stats().activeBlocks());
        assertEquals(0, raw.mallocs);
    }

    @Test
    void aSecondFreeThrowsInsteadOfCachingTheBlockTwice() {
        DeviceBlock b = alloc.allocate(1000);
        b.free();
        assertThrows(IllegalStateException.class, b::free);
        assertEquals(0, alloc.stats().activeBlocks());
        DeviceBlock again = alloc.allocate(1000);
        DeviceBlock other = alloc.allocate(1000);
        assertTrue(again.address() != other.address(), "the block was cached once, not twice");
        again.free();
        other.free();
    }

    /** The Cleaner frees on its own thread: the bookkeeping must stay exact under concurrent use. */
    @Test
    void freesFromOtherThreadsKeepTheBooksExact() {
        List<CompletableFuture<Void>> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            threads.add(CompletableFuture.runAsync(() -> {
                for (int i = 0; i < 300; i++) {
                    DeviceBlock b = alloc.allocate(512L * (1 + i % 7));
                    CompletableFuture.runAsync(b::free).join();
                }
            }));
        }
        threads.forEach(CompletableFuture::join);
        CudaMemoryStats s = alloc.stats();
        assertEquals(0, s.allocatedBytes());
        assertEquals(0, s.activeBlocks());
        assertTrue(s.deviceMallocs() <= 4 * 7, "blocks were reused: " + s.deviceMallocs() + " driver allocations");
    }

    @Test
    void formatsSizesLikePyTorch() {
        assertEquals("1000 bytes", CudaCachingAllocator.formatSize(1000));
        assertEquals("1.50 KiB", CudaCachingAllocator.formatSize(1536));
        assertEquals("20.00 MiB", CudaCachingAllocator.formatSize(20 * MIB));
        assertEquals("1.25 GiB", CudaCachingAllocator.formatSize(1280 * MIB));
    }
}

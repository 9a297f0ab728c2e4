package dev.kiln.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.Kiln;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import org.apache.arrow.memory.BufferAllocator;
import org.junit.jupiter.api.Test;

/** Large blocks are recycled by exact size; Arrow's accounting still returns to zero; emptyCache frees them. */
class HostMemoryPoolTest {

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
}

package dev.kiln.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.Kiln;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import org.apache.arrow.memory.BufferAllocator;
import org.junit.jupiter.api.Test;

/**
 * Tensors dropped without close() in a loop (no TensorScope) must not grow off-heap memory without bound: the
 * GC pressure valve asks for collections and the safety net releases them.
 */
class GcPressureTest {

    @Test
    void droppedTensorsAreReclaimedWhileTheLoopRuns() throws InterruptedException {
        long before = GcPressure.collections();
        GcPressure.setFloorForTesting(64L << 20);
        try (BufferAllocator alloc = Kiln.rootAllocator().newChildAllocator("pressure", 0, Long.MAX_VALUE)) {
            long peak = 0;
            for (int i = 0; i < 300; i++) { // 300 x 8 MiB = 2.4 GiB allocated, none closed
                Tensor t = Tensor.allocate(alloc, DType.FLOAT32, new long[] {2 << 20}, false);
                t.fill_(i);
                peak = Math.max(peak, alloc.getAllocatedMemory());
            }
            assertTrue(GcPressure.collections() > before, "no collection was requested");
            assertTrue(peak < (1L << 30), "live off-heap bytes reached " + (peak >> 20) + " MiB");
            for (int i = 0; i < 50 && alloc.getAllocatedMemory() > 0; i++) {
                System.gc();
                Thread.sleep(20);
            }
            assertEquals(0, alloc.getAllocatedMemory());
        } finally {
            GcPressure.setFloorForTesting(512L << 20);
        }
    }
}

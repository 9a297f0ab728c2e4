package dev.kiln.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.Kiln;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import org.apache.arrow.memory.BufferAllocator;
import org.junit.jupiter.api.Test;

/** A tensor dropped without close() is released once the GC finds it unreachable. */
class GcSafetyNetTest {

    @Test
    void unreachableTensorsAreReleasedByTheSafetyNet() throws InterruptedException {
        try (BufferAllocator alloc = Kiln.rootAllocator().newChildAllocator("gc", 0, Long.MAX_VALUE)) {
            allocateAndForget(alloc);
            assertTrue(alloc.getAllocatedMemory() > 0, "tensors should hold memory before GC");
            for (int i = 0; i < 50 && alloc.getAllocatedMemory() > 0; i++) {
                System.gc();
                Thread.sleep(20);
            }
            assertEquals(0, alloc.getAllocatedMemory(), "safety net did not release dropped tensors");
        }
    }

    private static void allocateAndForget(BufferAllocator alloc) {
        for (int i = 0; i < 10; i++) {
            Tensor t = Tensor.allocate(alloc, DType.FLOAT32, new long[] {1024}, true);
            Tensor view = t.view(32, 32);
            assertEquals(32, view.size(0));
        }
    }

    @Test
    void closingTwiceAndClosingViewsIsSafe() {
        try (BufferAllocator alloc = Kiln.rootAllocator().newChildAllocator("views", 0, Long.MAX_VALUE)) {
            Tensor base = Tensor.allocate(alloc, DType.FLOAT32, new long[] {4, 4}, true);
            Tensor row = base.select(0, 1);
            base.close();
            base.close();
            row.fill_(3); // the view keeps the storage alive after its base is closed
            assertEquals(3, row.get(2));
            row.close();
            assertEquals(0, alloc.getAllocatedMemory());
        }
    }
}

package dev.kiln.tensor;

import static dev.kiln.testing.Assertions.assertValues;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.testing.KilnTest;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.TinyIntVector;
import org.junit.jupiter.api.Test;

/** Scopes, views and Arrow interop: who owns which bytes, and that every byte goes back to the allocator. */
class MemoryTest extends KilnTest {

    @Test
    void innerScopeFreesItsTensorsAndKeepMovesOneOut() {
        long before = allocator.getAllocatedMemory();
        Tensor kept;
        Tensor dropped;
        try (TensorScope outer = TensorScope.open()) {
            try (TensorScope inner = TensorScope.open()) {
                dropped = Tensor.ones(100);
                kept = TensorScope.keep(Tensor.ones(100).mul(3));
            }
            assertTrue(dropped.isClosed());
            assertFalse(kept.isClosed());
            assertValues(kept.sum(), 300);
        }
        assertTrue(kept.isClosed());
        assertEquals(before, allocator.getAllocatedMemory());
    }

    @Test
    void keepTwiceReachesTheOutermostScope() {
        Tensor t;
        try (TensorScope a = TensorScope.open()) {
            try (TensorScope b = TensorScope.open()) {
                try (TensorScope c = TensorScope.open()) {
                    t = TensorScope.keep(Tensor.zeros(4));
                }
                TensorScope.keep(t);
            }
            assertFalse(t.isClosed());
        }
        assertTrue(t.isClosed());
    }

    @Test
    void scopeWithOwnAllocatorIsLeakFreeAfterAutograd() {
        try (BufferAllocator child = allocator.newChildAllocator("step", 0, Long.MAX_VALUE)) {
            try (TensorScope s = TensorScope.open(child)) {
                Tensor w = Tensor.randn(4, 3).requiresGrad_(true);
                Tensor loss = Tensor.randn(2, 4).matmul(w).relu().softmax(-1).logsumexp(0, false).mean();
                loss.backward();
                assertTrue(w.grad() != null);
                assertTrue(child.getAllocatedMemory() > 0);
            }
            assertEquals(0, child.getAllocatedMemory());
        }
    }

    @Test
    void scopesMustCloseInOrder() {
        TensorScope outer = TensorScope.open();
        TensorScope inner = TensorScope.open();
        assertThrows(IllegalStateException.class, outer::close);
        inner.close();
        outer.close();
    }

    @Test
    void viewsKeepStorageAliveAfterBaseIsClosed() {
        Tensor base = Tensor.arange(6).to(DType.FLOAT32);
        Tensor view = base.view(2, 3).t();
        long used = allocator.getAllocatedMemory();
        base.close();
        assertEquals(used, allocator.getAllocatedMemory()); // storage still referenced by the view
        assertValues(view, 0, 3, 1, 4, 2, 5);
        view.set(9, 0, 0);
        assertEquals(9, view.get(0, 0));
    }

    @Test
    void closingAllViewsReturnsTheBytes() {
        try (BufferAllocator child = allocator.newChildAllocator("views", 0, Long.MAX_VALUE)) {
            Tensor base = Tensor.allocate(child, DType.FLOAT32, new long[] {8}, true);
            Tensor v1 = base.narrow(0, 2, 3);
            Tensor u = v1.unsqueeze(0);
            Tensor v2 = u.expand(2, 3);
            base.close();
            v1.close();
            u.close();
            assertTrue(child.getAllocatedMemory() > 0);
            v2.close();
            assertEquals(0, child.getAllocatedMemory());
        }
    }

    @Test
    void gradIsFreedWithItsLeaf() {
        try (BufferAllocator child = allocator.newChildAllocator("grad", 0, Long.MAX_VALUE)) {
            Tensor x = Tensor.allocate(child, DType.FLOAT32, new long[] {3}, true).requiresGrad_(true);
            try (TensorScope s = TensorScope.open(child)) {
                x.mul(2).sum().backward();
            }
            assertValues(x.grad(), 2, 2, 2); // the gradient outlives the step's scope
            x.close();
            assertTrue(x.grad() == null);
            assertEquals(0, child.getAllocatedMemory());
        }
    }

    @Test
    void clearingGradReleasesIt() {
        // Like optimizer.zero_grad(set_to_none=True) every step: the dropped gradient must not leak.
        try (BufferAllocator child = allocator.newChildAllocator("zero_grad", 0, Long.MAX_VALUE)) {
            Tensor x = Tensor.allocate(child, DType.FLOAT32, new long[] {3}, true).requiresGrad_(true);
            for (int step = 0; step < 3; step++) {
                try (TensorScope s = TensorScope.open(child)) {
                    x.mul(2).sum().backward();
                    x.setGrad(null);
                }
            }
            x.close();
            assertEquals(0, child.getAllocatedMemory());
        }
    }

    @Test
    void higherOrderAccumulationDoesNotLeakReplacedGrads() {
        try (BufferAllocator child = allocator.newChildAllocator("create_graph", 0, Long.MAX_VALUE)) {
            Tensor x = Tensor.allocate(child, DType.FLOAT64, new long[] {2}, true).requiresGrad_(true);
            try (TensorScope s = TensorScope.open(child)) {
                x.add(1).pow(3).sum().backward(null, false, true);
                x.add(1).pow(3).sum().backward(null, false, true); // replaces x.grad with a new graph-carrying sum
                assertValues(x.grad(), 6, 6);
                assertTrue(x.grad().requiresGrad());
            }
            x.close();
            assertEquals(0, child.getAllocatedMemory());
        }
    }

    @Test
    void fromArrowIsZeroCopy() {
        try (Float4Vector v = new Float4Vector("x", allocator)) {
            v.allocateNew(4);
            for (int i = 0; i < 4; i++) {
                v.set(i, i + 0.5f);
            }
            v.setValueCount(4);
            try (Tensor t = Tensor.fromArrow(v)) {
                assertEquals(v.getDataBuffer().memoryAddress(), t.dataAddress());
                assertEquals(DType.FLOAT32, t.dtype());
                assertValues(t, 0.5, 1.5, 2.5, 3.5);
                t.set(42, 2);
                assertEquals(42f, v.get(2));
                v.set(0, -1f);
                assertEquals(-1, t.get(0));
            }
        }
    }

    @Test
    void fromArrowTensorOutlivesItsVector() {
        Tensor t;
        try (BigIntVector v = new BigIntVector("ids", allocator)) {
            v.allocateNew(3);
            v.set(0, 7);
            v.set(1, 8);
            v.set(2, 9);
            v.setValueCount(3);
            t = Tensor.fromArrow(v).view(3, 1);
        }
        assertEquals("tensor([[7],\n        [8],\n        [9]])", t.toString());
        t.close();
    }

    @Test
    void fromArrowRejectsNullsAndSignedBytes() {
        try (Float8Vector v = new Float8Vector("d", allocator)) {
            v.allocateNew(2);
            v.set(0, 1.0);
            v.setNull(1);
            v.setValueCount(2);
            var e = assertThrows(IllegalArgumentException.class, () -> Tensor.fromArrow(v));
            assertTrue(e.getMessage().contains("'d' has 1 null values"), e.getMessage());
        }
        try (TinyIntVector v = new TinyIntVector("b", allocator)) {
            v.allocateNew(1);
            v.set(0, -1);
            v.setValueCount(1);
            // int8 has no Kiln dtype; reading it as uint8 would turn -1 into 255.
            var e = assertThrows(IllegalArgumentException.class, () -> Tensor.fromArrow(v));
            assertTrue(e.getMessage().contains("'b'"), e.getMessage());
        }
    }

    @Test
    void toArrowSharesContiguousData() {
        Tensor t = Tensor.of(1f, 2f, 3f, 4f, 5f, 6f).view(2, 3);
        try (FieldVector v = t.toArrow("t")) {
            assertEquals(6, v.getValueCount());
            assertEquals(t.dataAddress(), v.getDataBuffer().memoryAddress());
            assertEquals(5f, ((Float4Vector) v).get(4));
            assertEquals(0, v.getNullCount());
        }
    }

    @Test
    void toArrowOfOffsetAndStridedViews() {
        Tensor t = Tensor.arange(6).view(2, 3);
        try (FieldVector row = t.select(0, 1).toArrow("row"); FieldVector col = t.select(1, 2).toArrow("col")) {
            BigIntVector r = (BigIntVector) row;
            assertEquals(3, r.getValueCount());
            assertEquals(3, r.get(0));
            assertEquals(5, r.get(2));
            BigIntVector c = (BigIntVector) col;
            assertEquals(2, c.get(0));
            assertEquals(5, c.get(1));
        }
    }

    @Test
    void arrowVectorOutlivesTheTensor() {
        FieldVector v;
        try (Tensor t = Tensor.of(1.0, 2.0)) {
            v = t.toArrow("d");
        }
        assertEquals(2.0, ((Float8Vector) v).get(1));
        v.close();
    }

    @Test
    void roundTripThroughArrow() {
        Tensor t = Tensor.of(1.5f, -2f, 3f);
        try (FieldVector v = t.toArrow("x"); Tensor back = Tensor.fromArrow(v)) {
            assertEquals(t.dataAddress(), back.dataAddress());
            assertValues(back, 1.5, -2, 3);
        }
    }
}

package dev.kiln.seeds;

import static dev.kiln.testing.Assertions.assertShape;
import static dev.kiln.testing.Assertions.assertValues;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.tensor.Tensor;
import dev.kiln.testing.KilnTest;
import org.junit.jupiter.api.Test;

/** Tutorial 000 §2.6 (memory layout, data sharing) and 003 (reshape/view, squeeze/unsqueeze). */
class ViewsAndContiguityTest extends KilnTest {

    @Test
    void viewSharesDataWithItsBase() {
        Tensor x = Tensor.of(1L, 2L, 3L);
        Tensor y = x.view(3, 1);
        x.select(0, 0).fill_(10); // x[0] = 10
        assertEquals("tensor([[10],\n        [ 2],\n        [ 3]])", y.toString());
        x.set(7, 1);
        assertEquals(7, y.get(1, 0));
        y.set(-1, 2, 0);
        assertEquals("tensor([10,  7, -1])", x.toString());
    }

    @Test
    void transposeIsNotContiguousAndViewOnItFails() {
        Tensor x = Tensor.of(1L, 2L, 3L, 4L).view(2, 2);
        Tensor y = x.t();
        assertTrue(x.isContiguous());
        assertFalse(y.isContiguous());
        var e = assertThrows(RuntimeException.class, () -> y.view(4));
        assertTrue(e.getMessage().startsWith("view size is not compatible with input tensor's size and stride (at least"
                + " one dimension spans across two contiguous subspaces). Use .reshape(...) instead."), e.getMessage());
        assertEquals("tensor([1, 3, 2, 4])", y.reshape(4).toString());
        Tensor c = y.contiguous();
        assertTrue(c.isContiguous());
        assertEquals("tensor([1, 3, 2, 4])", c.view(-1).toString());
    }

    @Test
    void reshapeSharesStorageWhenItCanAndCopiesWhenItMust() {
        Tensor x = Tensor.of(1f, 2f, 3f, 4f, 5f, 6f).view(2, 3);
        Tensor r = x.reshape(3, 2);
        assertEquals(x.dataAddress(), r.dataAddress());
        Tensor copy = x.t().reshape(6);
        assertValues(copy, 1, 4, 2, 5, 3, 6);
        copy.set(100, 0);
        assertEquals(1, x.get(0, 0)); // the copy is independent
    }

    @Test
    void squeezeAndUnsqueeze() {
        Tensor x = Tensor.zeros(1, 2, 3);
        assertShape(x.squeeze(), 2, 3);
        assertShape(x.squeeze(0), 2, 3);
        assertShape(x.squeeze(1), 1, 2, 3); // not size 1: unchanged
        assertShape(x.unsqueeze(1), 1, 1, 2, 3);
        assertShape(x.unsqueeze(-1), 1, 2, 3, 1);
    }

    @Test
    void stridesOfTransposeAndSlice() {
        Tensor x = Tensor.arange(12).view(3, 4);
        assertEquals(4, x.stride(0));
        Tensor t = x.t();
        assertEquals(1, t.stride(0));
        assertEquals(4, t.stride(1));
        Tensor s = x.slice(1, 0, 4, 2);
        assertEquals("tensor([[ 0,  2],\n        [ 4,  6],\n        [ 8, 10]])", s.toString());
        assertEquals(2, s.stride(1));
    }
}

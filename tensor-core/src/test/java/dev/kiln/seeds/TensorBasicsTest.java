package dev.kiln.seeds;

import static dev.kiln.testing.Assertions.assertShape;
import static dev.kiln.testing.Assertions.assertValues;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Device;
import dev.kiln.tensor.Tensor;
import dev.kiln.testing.KilnTest;
import org.junit.jupiter.api.Test;

/** Tutorials 000 and 002 (tensor creation, arithmetic, broadcasting, indexing, attributes), with PyTorch's output. */
class TensorBasicsTest extends KilnTest {

    @Test
    void creationPrintsLikePyTorch() {
        assertEquals("tensor([1, 2, 3, 4])", Tensor.of(1L, 2L, 3L, 4L).toString());
        assertEquals("tensor([[0., 0., 0.],\n        [0., 0., 0.],\n        [0., 0., 0.]])",
                Tensor.zeros(3, 3).toString());
        assertEquals("tensor([[1., 1., 1., 1.],\n        [1., 1., 1., 1.]])", Tensor.ones(2, 4).toString());
        assertEquals("tensor([[1., 0., 0., 0.],\n        [0., 1., 0., 0.],\n        [0., 0., 1., 0.],\n"
                + "        [0., 0., 0., 1.]])", Tensor.eye(4).toString());
        // torch.full((2, 3), 5) infers int64 from the integer fill value; Kiln takes the dtype explicitly.
        assertEquals("tensor([[5, 5, 5],\n        [5, 5, 5]])",
                Tensor.full(new long[] {2, 3}, 5, DType.INT64).toString());
    }

    @Test
    void randIsUniformInUnitInterval() {
        Tensor r = Tensor.rand(3, 3);
        assertShape(r, 3, 3);
        for (double v : r.toDoubleArray()) {
            assertTrue(v >= 0 && v < 1, "rand value " + v);
        }
        assertEquals(DType.FLOAT32, r.dtype());
    }

    @Test
    void elementwiseAddAndMatmulOfIntegerTensors() {
        Tensor z = Tensor.of(1L, 2L, 3L).add(Tensor.of(4L, 5L, 6L));
        assertEquals("tensor([5, 7, 9])", z.toString());
        Tensor a = Tensor.of(1L, 2L, 3L, 4L).view(2, 2);
        Tensor b = Tensor.of(5L, 6L, 7L, 8L).view(2, 2);
        Tensor c = a.matmul(b);
        assertEquals(DType.INT64, c.dtype());
        assertEquals("tensor([[19, 22],\n        [43, 50]])", c.toString());
    }

    @Test
    void matmulShapeOfRandomMatrices() {
        assertShape(Tensor.randn(2, 3).matmul(Tensor.randn(3, 4)), 2, 4);
    }

    @Test
    void scalarBroadcastsToEveryElement() {
        Tensor z = Tensor.of(1L, 2L, 3L).add(Tensor.scalar(2, DType.INT64));
        assertEquals("tensor([3, 4, 5])", z.toString());
    }

    @Test
    void broadcastingFollowsTheThreeRules() {
        // [3,1] and [4] -> align to [1,4] -> expand both to [3,4]
        Tensor c = Tensor.of(0f, 10f, 20f).view(3, 1).add(Tensor.of(1f, 2f, 3f, 4f));
        assertShape(c, 3, 4);
        assertValues(c, 1, 2, 3, 4, 11, 12, 13, 14, 21, 22, 23, 24);
    }

    @Test
    void nonBroadcastableShapesFailWithPyTorchMessage() {
        Tensor a = Tensor.of(1L, 2L, 3L, 4L, 5L, 6L).view(2, 3);
        Tensor b = Tensor.of(10L, 20L);
        var e = assertThrows(IllegalArgumentException.class, () -> a.add(b));
        assertEquals("The size of tensor a (3) must match the size of tensor b (2) at non-singleton dimension 1",
                e.getMessage());
    }

    @Test
    void indexingAndSlicing() {
        Tensor x = Tensor.of(1L, 2L, 3L, 4L).view(2, 2);
        assertEquals(2, x.get(0, 1));
        assertEquals("tensor(2)", x.select(0, 0).select(0, 1).toString());
        assertEquals("tensor([2, 4])", x.select(1, 1).toString()); // x[:, 1]
    }

    @Test
    void shapeDimDtypeDevice() {
        Tensor x = Tensor.of(1L, 2L, 3L, 4L, 5L, 6L).view(2, 3);
        assertArrayEquals(new long[] {2, 3}, x.shape());
        assertEquals(2, x.dim());
        assertEquals("torch.float32", Tensor.of(1f, 2f, 3f).dtype().torchName());
        assertEquals("cpu", Tensor.of(1L, 2L, 3L).device().toString());
        assertEquals(Device.CPU, Tensor.of(1L).to(Device.CPU).device());
    }

    @Test
    void itemAndToList() {
        Tensor x = Tensor.of(-0.4717f);
        assertEquals(-0.4717, x.item(), 1e-6);
        Tensor y = Tensor.of(1f, 2f, 3f, 4f).view(2, 2);
        assertArrayEquals(new double[] {1, 2, 3, 4}, y.toDoubleArray());
    }

    @Test
    void dtypeConversionWithTo() {
        Tensor x = Tensor.of(1L, 2L, 3L).to(DType.FLOAT32);
        assertEquals("tensor([1., 2., 3.])", x.toString());
        assertEquals("tensor([1.5000, 2.0000], dtype=torch.float64)", Tensor.of(1.5, 2.0).toString());
    }
}

package dev.kiln.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.testing.KilnTest;
import org.junit.jupiter.api.Test;

/** {@code toString} against what PyTorch's {@code repr} prints for the same tensors. */
class PrintingTest extends KilnTest {

    @Test
    void floats() {
        assertEquals("tensor([1., 2.])", Tensor.of(1f, 2f).toString());
        assertEquals("tensor([-1.,  2.])", Tensor.of(-1f, 2f).toString());
        assertEquals("tensor([ 0.5000, -0.2500])", Tensor.of(0.5f, -0.25f).toString());
        assertEquals("tensor([[1.0000, 2.5000],\n        [3.0000, 4.0000]])",
                Tensor.of(new float[][] {{1, 2.5f}, {3, 4}}).toString());
        assertEquals("tensor([ 0., 10.])", Tensor.of(0f, 10f).toString());
    }

    @Test
    void scientificNotation() {
        assertEquals("tensor([1.0000e-05, 1.0000e+00])", Tensor.of(1e-5f, 1f).toString());
        assertEquals("tensor([1.0000e+10])", Tensor.of(1e10f).toString());
        // PyTorch switches to scientific only above 1e8 (strictly) for whole numbers.
        assertEquals("tensor([100000000.])", Tensor.of(1e8f).toString());
        // Whole numbers spanning more than 1000x also print in scientific notation.
        assertEquals("tensor([1.0000e+00, 1.0000e+04])", Tensor.of(1f, 1e4f).toString());
        assertEquals("tensor([   1., 1000.])", Tensor.of(1f, 1000f).toString());
        assertEquals("tensor([0., nan])", Tensor.of(0f, Float.NaN).toString());
        assertEquals("tensor([0.0000e+00, 1.0000e-05])", Tensor.of(0f, 1e-5f).toString());
    }

    @Test
    void nonFiniteValuesDoNotWidenColumns() {
        // PyTorch measures the column width on finite values only: tensor([1., inf]) and tensor([nan, 1., inf]).
        assertEquals("tensor([1., inf])", Tensor.of(1f, Float.POSITIVE_INFINITY).toString());
        assertEquals("tensor([nan, 1., inf])", Tensor.of(Float.NaN, 1f, Float.POSITIVE_INFINITY).toString());
        assertEquals("tensor([0.5000,    nan])", Tensor.of(0.5f, Float.NaN).toString());
        assertEquals("tensor([-inf, 1.])", Tensor.of(Float.NEGATIVE_INFINITY, 1f).toString());
    }

    @Test
    void integersAndBooleans() {
        assertEquals("tensor([1, 2, 3])", Tensor.of(1L, 2L, 3L).toString());
        assertEquals("tensor([  1, -20, 300])", Tensor.of(1L, -20L, 300L).toString());
        assertEquals("tensor([1, 2], dtype=torch.int32)", Tensor.of(1, 2).toString());
        assertEquals("tensor([ True, False])", Tensor.of(true, false).toString());
        assertEquals("tensor([True, True])", Tensor.of(true, true).toString());
    }

    @Test
    void zeroDimensional() {
        assertEquals("tensor(3.)", Tensor.scalar(3).toString());
        assertEquals("tensor(3.5000)", Tensor.scalar(3.5).toString());
        assertEquals("tensor(7)", Tensor.scalar(7, DType.INT64).toString());
        assertEquals("tensor(True)", Tensor.scalar(1, DType.BOOL).toString());
        assertEquals("tensor(2.5000, dtype=torch.float64)", Tensor.scalar(2.5, DType.FLOAT64).toString());
    }

    @Test
    void emptyTensors() {
        assertEquals("tensor([])", Tensor.zeros(0).toString());
        assertEquals("tensor([], size=(0, 3))", Tensor.zeros(0, 3).toString());
    }

    @Test
    void threeDimensional() {
        assertEquals("tensor([[[0, 1],\n         [2, 3]],\n\n        [[4, 5],\n         [6, 7]]])",
                Tensor.arange(8).view(2, 2, 2).toString());
    }

    @Test
    void autogradSuffixes() {
        Tensor x = Tensor.of(1f, 2f).requiresGrad_(true);
        assertEquals("tensor([1., 2.], requires_grad=True)", x.toString());
        assertEquals("tensor([2., 4.], grad_fn=<MulBackward0>)", x.mul(2).toString());
        assertEquals("tensor(3., grad_fn=<SumBackward1>)", x.sum().toString());
        assertEquals("tensor([1., 2.], dtype=torch.float64, requires_grad=True)",
                Tensor.of(1.0, 2.0).requiresGrad_(true).toString());
        assertEquals("tensor([1., 2.])", x.detach().toString());
    }

    @Test
    void longTensorsAreSummarized() {
        String s = Tensor.arange(2000).toString();
        assertEquals("tensor([   0,    1,    2,  ..., 1997, 1998, 1999])", s);
        String m = Tensor.arange(2000).view(1000, 2).toString();
        assertEquals("tensor([[   0,    1],\n        [   2,    3],\n        [   4,    5],\n        ...,\n"
                + "        [1994, 1995],\n        [1996, 1997],\n        [1998, 1999]])", m);
        String cube = Tensor.arange(2000).view(1000, 1, 2).toString();
        assertEquals("tensor([[[   0,    1]],\n\n        [[   2,    3]],\n\n        [[   4,    5]],\n\n        ...,\n\n"
                + "        [[1994, 1995]],\n\n        [[1996, 1997]],\n\n        [[1998, 1999]]])", cube);
    }

    @Test
    void nonContiguousPrintsLogicalOrder() {
        assertEquals("tensor([[0, 2],\n        [1, 3]])", Tensor.arange(4).view(2, 2).t().toString());
    }

    @Test
    void releasedTensor() {
        Tensor t = Tensor.zeros(2);
        t.close();
        assertEquals("tensor(<released>, shape=[2])", t.toString());
    }
}

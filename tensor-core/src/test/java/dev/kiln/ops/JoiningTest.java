package dev.kiln.ops;

import static dev.kiln.testing.Assertions.assertShape;
import static dev.kiln.testing.Assertions.assertValues;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kiln.autograd.GradCheck;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Generator;
import dev.kiln.tensor.Tensor;
import dev.kiln.testing.KilnTest;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

class JoiningTest extends KilnTest {

    private static Tensor randn(long seed, long... shape) {
        return Tensor.randn(shape, DType.FLOAT64, new Generator(seed)).requiresGrad_(true);
    }

    private static Tensor matrix(double[][] rows) {
        return Tensor.of(rows);
    }

    private static void assertError(Class<? extends Throwable> type, String message, Executable call) {
        Throwable e = assertThrows(type, call);
        assertEquals(message, e.getMessage());
    }

    // -------------------------------------------------------------- cat

    @Test
    void catAlongRowsAndColumns() {
        Tensor a = matrix(new double[][] {{1, 2}, {3, 4}});
        Tensor b = matrix(new double[][] {{5, 6}});
        Tensor rows = Tensor.cat(List.of(a, b), 0);
        assertShape(rows, 3, 2);
        assertValues(rows, 1, 2, 3, 4, 5, 6);
        Tensor c = matrix(new double[][] {{7}, {8}});
        Tensor cols = Tensor.cat(List.of(a, c), -1);
        assertShape(cols, 2, 3);
        assertValues(cols, 1, 2, 7, 3, 4, 8);
    }

    @Test
    void catOfNonContiguousInputsCopiesTheirLogicalOrder() {
        Tensor a = matrix(new double[][] {{1, 2}, {3, 4}}).t(); // [[1, 3], [2, 4]]
        Tensor out = Tensor.cat(List.of(a, a), 1);
        assertValues(out, 1, 3, 1, 3, 2, 4, 2, 4);
    }

    @Test
    void catPromotesDtypes() {
        Tensor ints = Tensor.of(1L, 2L);
        Tensor floats = Tensor.of(0.5f);
        Tensor out = Tensor.cat(List.of(ints, floats), 0);
        assertEquals(DType.FLOAT32, out.dtype());
        assertValues(out, 1, 2, 0.5);
        Tensor bools = Tensor.of(true, false);
        Tensor mixed = Tensor.cat(List.of(bools, Tensor.of(7)), 0);
        assertEquals(DType.INT32, mixed.dtype());
        assertValues(mixed, 1, 0, 7);
    }

    @Test
    void catSkipsLegacyEmptyVectors() {
        Tensor a = matrix(new double[][] {{1, 2}});
        Tensor empty = Tensor.zeros(DType.FLOAT64, 0);
        Tensor out = Tensor.cat(List.of(empty, a, empty, a), 0);
        assertShape(out, 2, 2);
        assertValues(out, 1, 2, 1, 2);
    }

    @Test
    void catErrorsMatchPyTorch() {
        Tensor a = Tensor.zeros(2, 2);
        Tensor b = Tensor.zeros(3, 3);
        assertError(IllegalArgumentException.class, "torch.cat(): expected a non-empty list of Tensors",
                () -> Tensor.cat(List.of(), 0));
        assertError(IllegalArgumentException.class, "Sizes of tensors must match except in dimension 1. Expected size"
                + " 2 but got size 3 for tensor number 1 in the list.", () -> Tensor.cat(List.of(a, b), 1));
        assertError(IllegalArgumentException.class, "Tensors must have same number of dimensions: got 2 and 1",
                () -> Tensor.cat(List.of(a, Tensor.zeros(2)), 0));
        assertError(IllegalArgumentException.class, "zero-dimensional tensor (at position 1) cannot be concatenated",
                () -> Tensor.cat(List.of(a, Tensor.scalar(1)), 0));
        assertError(IndexOutOfBoundsException.class,
                "Dimension out of range (expected to be in range of [-2, 1], but got 2)",
                () -> Tensor.cat(List.of(a, a), 2));
    }

    @Test
    void catGradientNarrowsTheGradientPerInput() {
        Tensor a = randn(1, 2, 3);
        Tensor b = randn(2, 2, 1);
        Tensor c = randn(3, 2, 2);
        GradCheck.check(in -> Tensor.cat(in, 1), List.of(a, b, c));
        assertEquals("CatBackward0", Tensor.cat(List.of(a, b, c), 1).gradFn().name());
    }

    @Test
    void catGradientFlowsBackInEachInputsDtype() {
        Tensor f32 = Tensor.of(1f, 2f).requiresGrad_(true);
        Tensor f64 = Tensor.of(3.0).requiresGrad_(true);
        Tensor out = Tensor.cat(List.of(f32, f64), 0);
        out.mul(Tensor.of(1.0, 2.0, 3.0)).sum().backward();
        assertEquals(DType.FLOAT32, f32.grad().dtype());
        assertValues(f32.grad(), 1, 2);
        assertValues(f64.grad(), 3);
    }

    @Test
    void catOfTheSameTensorTwiceSumsBothGradients() {
        Tensor a = Tensor.of(1.0, 2.0).requiresGrad_(true);
        Tensor out = Tensor.cat(List.of(a, a), 0);
        out.mul(Tensor.of(1.0, 2.0, 3.0, 4.0)).sum().backward();
        assertValues(a.grad(), 4, 6);
    }

    // -------------------------------------------------------------- stack

    @Test
    void stackAddsANewDim() {
        Tensor a = Tensor.of(1.0, 2.0);
        Tensor b = Tensor.of(3.0, 4.0);
        Tensor rows = Tensor.stack(List.of(a, b), 0);
        assertShape(rows, 2, 2);
        assertValues(rows, 1, 2, 3, 4);
        Tensor cols = Tensor.stack(List.of(a, b), -1);
        assertShape(cols, 2, 2);
        assertValues(cols, 1, 3, 2, 4);
        Tensor scalars = Tensor.stack(List.of(Tensor.scalar(5), Tensor.scalar(6)), 0);
        assertShape(scalars, 2);
        assertValues(scalars, 5, 6);
    }

    @Test
    void stackErrorsMatchPyTorch() {
        assertError(IllegalArgumentException.class, "stack expects a non-empty TensorList",
                () -> Tensor.stack(List.of(), 0));
        assertError(IllegalArgumentException.class,
                "stack expects each tensor to be equal size, but got [2, 3] at entry 0 and [2, 4] at entry 1",
                () -> Tensor.stack(List.of(Tensor.zeros(2, 3), Tensor.zeros(2, 4)), 0));
        assertError(IndexOutOfBoundsException.class,
                "Dimension out of range (expected to be in range of [-3, 2], but got 3)",
                () -> Tensor.stack(List.of(Tensor.zeros(2, 3)), 3));
    }

    @Test
    void stackGradcheck() {
        GradCheck.check(in -> Tensor.stack(in, 1), List.of(randn(4, 2, 3), randn(5, 2, 3)));
    }

    // -------------------------------------------------------------- split / chunk

    @Test
    void splitBySizeLeavesASmallerLastPiece() {
        Tensor t = Tensor.arange(10).view(5, 2);
        List<Tensor> pieces = t.split(2, 0);
        assertEquals(3, pieces.size());
        assertShape(pieces.get(0), 2, 2);
        assertShape(pieces.get(2), 1, 2);
        assertValues(pieces.get(1), 4, 5, 6, 7);
        assertValues(pieces.get(2), 8, 9);
        List<Tensor> columns = t.split(1, -1);
        assertEquals(2, columns.size());
        assertValues(columns.get(1), 1, 3, 5, 7, 9);
    }

    @Test
    void splitPiecesAreViewsThatShareStorage() {
        Tensor t = Tensor.zeros(DType.FLOAT64, 4, 3);
        List<Tensor> pieces = t.split(new long[] {1, 3}, 0);
        assertSame(t.storage(), pieces.get(1).storage());
        assertEquals(3, pieces.get(1).storageOffset());
        pieces.get(1).set(42, 1, 2); // row 2 of t
        assertEquals(42, t.get(2, 2));
        List<Tensor> chunks = t.chunk(3, 1);
        assertSame(t.storage(), chunks.get(2).storage());
        chunks.get(2).set(7, 0, 0);
        assertEquals(7, t.get(0, 2));
    }

    @Test
    void splitWithSizes() {
        Tensor t = Tensor.arange(5);
        List<Tensor> pieces = t.split(new long[] {2, 0, 3}, 0);
        assertEquals(3, pieces.size());
        assertValues(pieces.get(0), 0, 1);
        assertShape(pieces.get(1), 0);
        assertValues(pieces.get(2), 2, 3, 4);
    }

    @Test
    void splitErrorsMatchPyTorch() {
        Tensor t = Tensor.zeros(5, 2);
        assertError(IllegalArgumentException.class, "split expects split_size be non-negative, but got split_size=-1",
                () -> t.split(-1, 0));
        assertError(IllegalArgumentException.class,
                "split_size can only be 0 if dimension size is 0, but got dimension size of 5", () -> t.split(0, 0));
        assertError(IllegalArgumentException.class, "split_with_sizes expects split_sizes to sum exactly to 5 (input "
                + "tensor's size at dimension 0), but got split_sizes=[2, 2]", () -> t.split(new long[] {2, 2}, 0));
        assertError(IllegalArgumentException.class, "split_with_sizes expects split_sizes have only non-negative "
                + "entries, but got split_sizes=[-1, 6]", () -> t.split(new long[] {-1, 6}, 0));
        assertError(IllegalArgumentException.class, "split expects at least a 1-dimensional tensor",
                () -> Tensor.scalar(1).split(1, 0));
    }

    @Test
    void splitGradcheck() {
        Tensor x = randn(6, 5, 2);
        GradCheck.check(in -> {
            List<Tensor> p = in.get(0).split(2, 0); // sizes 2, 2, 1
            return p.get(0).mul(p.get(1)).add(p.get(2).mul(3.0));
        }, List.of(x));
    }

    @Test
    void chunkMayReturnFewerChunks() {
        Tensor t = Tensor.arange(6);
        List<Tensor> four = t.chunk(4, 0);
        assertEquals(3, four.size()); // ceil(6 / 4) = 2 per chunk, as torch.chunk
        assertValues(four.get(2), 4, 5);
        List<Tensor> three = Tensor.arange(5).chunk(3, 0);
        assertEquals(3, three.size());
        assertValues(three.get(2), 4);
        List<Tensor> empties = Tensor.zeros(0, 2).chunk(3, 0);
        assertEquals(3, empties.size());
        assertShape(empties.get(0), 0, 2);
    }

    @Test
    void chunkErrorsMatchPyTorch() {
        assertError(IllegalArgumentException.class, "chunk expects `chunks` to be greater than 0, got: 0",
                () -> Tensor.zeros(4).chunk(0, 0));
        assertError(IllegalArgumentException.class, "chunk expects at least a 1-dimensional tensor",
                () -> Tensor.scalar(1).chunk(2, 0));
    }

    @Test
    void chunkGradcheck() {
        Tensor x = randn(7, 3, 4);
        GradCheck.check(in -> {
            List<Tensor> p = in.get(0).chunk(2, 1);
            return p.get(0).sub(p.get(1).mul(p.get(1)));
        }, List.of(x));
    }
}

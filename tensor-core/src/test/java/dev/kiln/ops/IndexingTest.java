package dev.kiln.ops;

import static dev.kiln.testing.Assertions.assertShape;
import static dev.kiln.testing.Assertions.assertValues;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.autograd.Autograd;
import dev.kiln.autograd.GradCheck;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Generator;
import dev.kiln.tensor.Tensor;
import dev.kiln.testing.KilnTest;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

class IndexingTest extends KilnTest {

    private static Tensor randn(long seed, long... shape) {
        return Tensor.randn(shape, DType.FLOAT64, new Generator(seed)).requiresGrad_(true);
    }

    private static Tensor longs(long[] shape, long... values) {
        return Tensor.of(values).view(shape);
    }

    private static void assertError(Class<? extends Throwable> type, String message, Executable call) {
        Throwable e = assertThrows(type, call);
        assertEquals(message, e.getMessage());
    }

    private static void assertErrorStartsWith(Class<? extends Throwable> type, String prefix, Executable call) {
        Throwable e = assertThrows(type, call);
        assertTrue(e.getMessage().startsWith(prefix), () -> "message '" + e.getMessage() + "' should start with '"
                + prefix + "'");
    }

    // -------------------------------------------------------------- golden values (numpy, checked-in generator)

    /** Lines of indexing_golden.txt keyed by "case name"; tensors are built per test so the scope owns them. */
    private static final Map<String, String[]> GOLDEN = loadGolden();

    private static Map<String, String[]> loadGolden() {
        Map<String, String[]> lines = new HashMap<>();
        try (var in = IndexingTest.class.getResourceAsStream("indexing_golden.txt");
             var reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            reader.lines().map(l -> l.split(" ")).forEach(f -> lines.put(f[0] + " " + f[1], f));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return lines;
    }

    private static Tensor golden(String key) {
        String[] f = GOLDEN.get(key);
        long[] shape = f[3].isEmpty() ? new long[0] : Arrays.stream(f[3].split(",")).mapToLong(Long::parseLong).toArray();
        String[] values = Arrays.copyOfRange(f, 4, f.length);
        if (f[2].equals("int64")) {
            return Tensor.of(Arrays.stream(values).mapToLong(Long::parseLong).toArray()).view(shape);
        }
        return Tensor.of(Arrays.stream(values).mapToDouble(Double::parseDouble).toArray()).view(shape);
    }

    private static void assertMatchesGolden(Tensor actual, String key) {
        Tensor expected = golden(key);
        assertArrayEquals(expected.shape(), actual.shape(), key + " shape");
        assertValues(actual, expected.toDoubleArray());
    }

    @Test
    void goldenGatherScatterIndexSelectOneHot() {
        assertMatchesGolden(golden("gather_dim1 input").gather(1, golden("gather_dim1 index")),
                "gather_dim1 expected");
        assertMatchesGolden(golden("scatter_add_dim2 input").scatterAdd(2, golden("scatter_add_dim2 index"),
                golden("scatter_add_dim2 src")), "scatter_add_dim2 expected");
        assertMatchesGolden(golden("scatter_dim0 input").scatter(0, golden("scatter_dim0 index"),
                golden("scatter_dim0 src")), "scatter_dim0 expected");
        assertMatchesGolden(golden("index_select_dim1 input").indexSelect(1, golden("index_select_dim1 index")),
                "index_select_dim1 expected");
        Tensor oneHot = Tensor.oneHot(golden("one_hot labels"), -1);
        assertEquals(DType.INT64, oneHot.dtype());
        assertMatchesGolden(oneHot, "one_hot expected");
    }

    // -------------------------------------------------------------- gather

    @Test
    void gatherAlongEachDim() {
        Tensor t = Tensor.of(new double[][] {{1, 2}, {3, 4}});
        assertValues(t.gather(1, longs(new long[] {2, 2}, 0, 0, 1, 0)), 1, 1, 4, 3);
        assertValues(t.gather(0, longs(new long[] {2, 2}, 0, 1, 1, 0)), 1, 4, 3, 2);
        assertValues(t.gather(-1, longs(new long[] {2, 1}, 1, 0)), 2, 3);
    }

    @Test
    void gatherWithSmallerIndexStridedInputAndInt32Index() {
        Tensor t = Tensor.arange(9).view(3, 3); // int64 data
        Tensor out = t.gather(1, longs(new long[] {2, 1}, 2, 0));
        assertEquals(DType.INT64, out.dtype());
        assertValues(out, 2, 3);
        Tensor transposed = Tensor.of(new double[][] {{1, 2}, {3, 4}}).t(); // [[1, 3], [2, 4]]
        assertValues(transposed.gather(1, longs(new long[] {2, 1}, 1, 0)), 3, 2);
        Tensor int32Index = Tensor.of(1, 0).view(2, 1);
        assertValues(transposed.gather(1, int32Index), 3, 2);
    }

    @Test
    void gatherErrorsMatchPyTorch() {
        Tensor t = Tensor.zeros(3, 2);
        assertErrorStartsWith(IllegalArgumentException.class, "gather(): Expected dtype int64 for index",
                () -> t.gather(0, Tensor.zeros(3, 2)));
        assertErrorStartsWith(IllegalArgumentException.class,
                "Index tensor must have the same number of dimensions as input tensor",
                () -> t.gather(0, Tensor.of(0L)));
        assertError(IllegalArgumentException.class, "Size does not match at dimension 1 expected index [1, 3] to be "
                + "smaller than self [3, 2] apart from dimension 0", () -> t.gather(0, longs(new long[] {1, 3}, 0, 0, 0)));
        assertError(IndexOutOfBoundsException.class, "index 5 is out of bounds for dimension 0 with size 3",
                () -> t.gather(0, longs(new long[] {1, 2}, 0, 5)));
        assertError(IndexOutOfBoundsException.class, "index -1 is out of bounds for dimension 1 with size 2",
                () -> t.gather(1, longs(new long[] {1, 1}, -1)));
    }

    @Test
    void gatherGradcheckAccumulatesRepeatedIndices() {
        Tensor x = randn(11, 3, 4);
        Tensor index = longs(new long[] {3, 3}, 0, 0, 3, 1, 1, 1, 2, 0, 2);
        GradCheck.check(in -> in.get(0).gather(1, index), List.of(x));
        assertEquals("GatherBackward0", x.gather(1, index).gradFn().name());
    }

    @Test
    void gatherSupportsDoubleBackward() {
        Tensor x = randn(12, 2, 3);
        Tensor index = longs(new long[] {2, 2}, 2, 2, 0, 1);
        // d/dx sum(gather(x)^2) = scatter_add(2 * gather(x)); its own gradient w.r.t. x is again linear in x.
        GradCheck.check(in -> {
            try (var g = Autograd.enableGrad()) { // gradcheck's finite differences run under noGrad
                Tensor y = in.get(0).gather(1, index);
                Tensor s = y.mul(y).sum();
                return Autograd.grad(List.of(s), List.of(in.get(0)), null, true, true).get(0);
            }
        }, List.of(x));
    }

    // -------------------------------------------------------------- scatter / scatter_add

    @Test
    void scatterReturnsACopyWithSrcWritten() {
        Tensor t = Tensor.zeros(DType.FLOAT64, 2, 3);
        Tensor src = Tensor.of(new double[][] {{1, 2, 3}, {4, 5, 6}});
        Tensor out = t.scatter(1, longs(new long[] {2, 2}, 2, 0, 1, 2), src);
        assertValues(out, 2, 0, 1, 0, 4, 5);
        assertValues(t, 0, 0, 0, 0, 0, 0); // out-of-place
        Tensor ints = Tensor.zeros(DType.INT32, 3).scatter(0, Tensor.of(2L), Tensor.of(9));
        assertValues(ints, 0, 0, 9);
    }

    @Test
    void scatterAddAccumulatesRepeatedIndicesInEveryDtype() {
        Tensor idx = Tensor.of(0L, 2L, 0L, 0L);
        assertValues(Tensor.zeros(3).scatterAdd(0, idx, Tensor.of(1f, 2f, 3f, 4f)), 8, 0, 2);
        assertValues(Tensor.ones(DType.INT64, 3).scatterAdd(0, idx, Tensor.of(1L, 2L, 3L, 4L)), 9, 1, 3);
        assertValues(Tensor.zeros(DType.INT32, 3).scatterAdd(0, idx, Tensor.of(1, 2, 3, 4)), 8, 0, 2);
        assertValues(Tensor.zeros(DType.BOOL, 3).scatterAdd(0, idx, Tensor.of(false, true, true, false)), 1, 0, 1);
    }

    @Test
    void scatterErrorsMatchPyTorch() {
        Tensor t = Tensor.zeros(3, 2);
        assertErrorStartsWith(IllegalArgumentException.class, "scatter(): Expected self.dtype to be equal to src.dtype",
                () -> t.scatter(0, longs(new long[] {1, 1}, 0), Tensor.zeros(DType.FLOAT64, 1, 1)));
        assertErrorStartsWith(IllegalArgumentException.class, "scatter(): Expected dtype int64 for index",
                () -> t.scatterAdd(0, Tensor.zeros(1, 1), Tensor.zeros(1, 1)));
        assertError(IllegalArgumentException.class, "Expected index [1, 3] to be smaller than self [3, 2] apart from "
                + "dimension 0 and to be smaller size than src [1, 3]",
                () -> t.scatter(0, longs(new long[] {1, 3}, 0, 0, 0), Tensor.zeros(1, 3)));
        assertError(IllegalArgumentException.class, "Expected index [2, 1] to be smaller than self [3, 2] apart from "
                + "dimension 0 and to be smaller size than src [1, 1]",
                () -> t.scatterAdd(0, longs(new long[] {2, 1}, 0, 0), Tensor.zeros(1, 1)));
        assertErrorStartsWith(IllegalArgumentException.class,
                "Index tensor must have the same number of dimensions as src tensor",
                () -> t.scatter(0, longs(new long[] {1, 1}, 0), Tensor.zeros(1)));
        assertError(IndexOutOfBoundsException.class, "index 3 is out of bounds for dimension 0 with size 3",
                () -> t.scatter(0, longs(new long[] {1, 1}, 3), Tensor.zeros(1, 1)));
    }

    @Test
    void scatterGradcheckForSelfAndSrc() {
        Tensor x = randn(21, 4, 3);
        Tensor src = randn(22, 3, 3); // larger than the index along dim 0: its last row gets no gradient
        Tensor index = longs(new long[] {2, 3}, 3, 0, 2, 1, 2, 0); // unique per column
        GradCheck.check(in -> in.get(0).scatter(0, index, in.get(1)), List.of(x, src));
        assertEquals("ScatterBackward0", x.scatter(0, index, src).gradFn().name());
    }

    @Test
    void scatterAddGradcheckForSelfAndSrc() {
        Tensor x = randn(23, 2, 4);
        Tensor src = randn(24, 2, 5);
        Tensor index = longs(new long[] {2, 5}, 0, 0, 3, 1, 0, 2, 2, 2, 3, 1);
        GradCheck.check(in -> in.get(0).scatterAdd(1, index, in.get(1)), List.of(x, src));
        assertEquals("ScatterAddBackward0", x.scatterAdd(1, index, src).gradFn().name());
    }

    // -------------------------------------------------------------- index_select / index_add

    @Test
    void indexSelectRowsTakesTheContiguousFastPath() {
        Tensor weight = Tensor.of(new float[][] {{0, 1, 2}, {3, 4, 5}, {6, 7, 8}, {9, 10, 11}});
        Tensor out = weight.indexSelect(0, Tensor.of(3L, 0L, 3L));
        assertShape(out, 3, 3);
        assertEquals(DType.FLOAT32, out.dtype());
        assertValues(out, 9, 10, 11, 0, 1, 2, 9, 10, 11);
        Tensor strided = weight.slice(0, 0, 4, 2); // rows 0 and 2; each row still contiguous
        assertValues(strided.indexSelect(0, Tensor.of(1)), 6, 7, 8);
    }

    @Test
    void indexSelectAlongInnerDimsOfStridedInputsInEveryDtype() {
        Tensor t = Tensor.arange(6).view(2, 3);
        assertValues(t.indexSelect(1, Tensor.of(2L, 0L)), 2, 0, 5, 3);
        assertValues(t.t().indexSelect(0, Tensor.of(2L, 2L)), 2, 5, 2, 5); // transposed: rows not contiguous
        assertValues(t.to(DType.UINT8).indexSelect(1, Tensor.of(1L)), 1, 4);
        assertValues(t.to(DType.FLOAT64).indexSelect(-1, Tensor.of(1L)), 1, 4);
        assertValues(Tensor.of(true, false, true).indexSelect(0, Tensor.of(1L, 2L)), 0, 1);
        Tensor picked = Tensor.of(5.0, 6.0).indexSelect(0, Tensor.scalar(1, DType.INT64));
        assertShape(picked, 1);
        assertValues(picked, 6);
    }

    @Test
    void largeIndexSelectSplitsAcrossThreadsOnBothPaths() {
        int rows = 1000;
        int cols = 64;
        Tensor weight = Tensor.randn(new long[] {rows, cols}, DType.FLOAT32, new Generator(61));
        Tensor index = Tensor.randint(0, rows, new long[] {600}, new Generator(62));
        float[] w = weight.toFloatArray();
        long[] ix = index.toLongArray();
        float[] byRows = weight.indexSelect(0, index).toFloatArray(); // contiguous rows: memory copies
        float[] byColumns = weight.t().indexSelect(1, index).t().toFloatArray(); // strided slices: element walk
        for (int k = 0; k < ix.length; k++) {
            for (int c = 0; c < cols; c++) {
                float expected = w[(int) ix[k] * cols + c];
                assertEquals(expected, byRows[k * cols + c], "row path at " + k + "," + c);
                assertEquals(expected, byColumns[k * cols + c], "strided path at " + k + "," + c);
            }
        }
    }

    @Test
    void indexSelectErrorsMatchPyTorch() {
        Tensor t = Tensor.zeros(3, 2);
        assertErrorStartsWith(IndexOutOfBoundsException.class, "index_select(): Index is supposed to be a vector",
                () -> t.indexSelect(0, longs(new long[] {1, 1}, 0)));
        assertErrorStartsWith(IllegalArgumentException.class, "index_select(): Expected dtype int32 or int64 for index",
                () -> t.indexSelect(0, Tensor.of(0f)));
        assertError(IndexOutOfBoundsException.class,
                "index out of range in self: index 3 is out of bounds for dimension 0 with size 3",
                () -> t.indexSelect(0, Tensor.of(0L, 3L)));
        assertError(IndexOutOfBoundsException.class, "index_select(): Index to scalar can have only 1 value, got 2 "
                + "value(s)", () -> Tensor.scalar(1).indexSelect(0, Tensor.of(0L, 0L)));
    }

    @Test
    void indexSelectGradcheckAccumulatesRepeatedIndices() {
        Tensor x = randn(31, 4, 3);
        Tensor index = Tensor.of(2L, 0L, 2L, 2L);
        GradCheck.check(in -> in.get(0).indexSelect(0, index), List.of(x));
        GradCheck.check(in -> in.get(0).indexSelect(1, Tensor.of(1L, 1L)), List.of(x));
        assertEquals("IndexSelectBackward0", x.indexSelect(0, index).gradFn().name());
    }

    @Test
    void indexAddAccumulatesSlicesAndHasAGradient() {
        Tensor t = Tensor.zeros(DType.FLOAT64, 3, 2);
        Tensor src = Tensor.of(new double[][] {{1, 2}, {3, 4}, {5, 6}});
        assertValues(Indexing.indexAdd(t, 0, Tensor.of(2L, 0L, 2L), src), 3, 4, 0, 0, 6, 8);
        assertError(IllegalArgumentException.class, "index_add_(): Number of indices (2) should be equal to "
                + "source.size(dim) (3)", () -> Indexing.indexAdd(t, 0, Tensor.of(0L, 1L), src));
        Tensor x = randn(41, 3, 2);
        Tensor s = randn(42, 3, 4);
        GradCheck.check(in -> Indexing.indexAdd(in.get(0), 1, Tensor.of(1L, 0L, 1L, 1L), in.get(1)), List.of(x, s));
    }

    // -------------------------------------------------------------- one_hot

    @Test
    void oneHotWithExplicitClassCount() {
        Tensor out = Tensor.oneHot(Tensor.of(2L, 0L), 4);
        assertShape(out, 2, 4);
        assertEquals(DType.INT64, out.dtype());
        assertValues(out, 0, 0, 1, 0, 1, 0, 0, 0);
        assertShape(Tensor.oneHot(Tensor.zeros(DType.INT64, 0), 3), 0, 3);
        assertValues(Tensor.oneHot(Tensor.of(1), -1), 0, 1); // int32 labels are accepted
    }

    @Test
    void oneHotErrorsMatchPyTorch() {
        assertError(IllegalArgumentException.class, "Class values must be smaller than num_classes.",
                () -> Tensor.oneHot(Tensor.of(0L, 3L), 3));
        assertError(IllegalArgumentException.class, "Class values must be non-negative.",
                () -> Tensor.oneHot(Tensor.of(-1L), 3));
        assertError(IllegalArgumentException.class, "Can not infer total number of classes from empty tensor.",
                () -> Tensor.oneHot(Tensor.zeros(DType.INT64, 0), -1));
        assertErrorStartsWith(IllegalArgumentException.class,
                "one_hot is only applicable to index tensor of type LongTensor.",
                () -> Tensor.oneHot(Tensor.of(1f), -1));
    }

    // -------------------------------------------------------------- max(dim) backward uses scatterAdd

    @Test
    void maxAlongDimBackpropagatesToTheArgmax() {
        Tensor x = randn(51, 3, 4);
        GradCheck.check(in -> in.get(0).max(1, false).values(), List.of(x));
        GradCheck.check(in -> in.get(0).max(0, true).values(), List.of(x));
        GradCheck.check(in -> in.get(0).min(-1, false).values(), List.of(x));
        Tensor y = Tensor.of(new double[][] {{1, 5, 2}, {7, 0, 3}}).requiresGrad_(true);
        y.max(1, false).values().sum().backward();
        assertValues(y.grad(), 0, 1, 0, 1, 0, 0);
    }
}

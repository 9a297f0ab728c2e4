package dev.kiln.ops;

import static dev.kiln.ops.MatmulReference.assertMatches;
import static dev.kiln.testing.Assertions.assertShape;
import static dev.kiln.testing.Assertions.assertValues;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kiln.autograd.GradCheck;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Generator;
import dev.kiln.tensor.Tensor;
import dev.kiln.testing.KilnTest;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code matmul}'s PyTorch semantics (shapes, broadcasting, layouts, errors, gradients) against a float64 loop. */
class LinalgTest extends KilnTest {
    private static final double F32_TOL = 1e-4;
    private static final double F64_TOL = 1e-12;

    private final Generator gen = new Generator(42);

    private Tensor randn(DType t, long... shape) {
        return Tensor.randn(shape, t, gen);
    }

    @ParameterizedTest(name = "{0}x{1} @ {1}x{2}")
    @CsvSource({"1,1,1", "2,3,4", "7,13,5", "33,65,129", "64,300,257", "128,128,128"})
    void float32MatchesFloat64Reference(long m, long k, long n) {
        Tensor a = randn(DType.FLOAT32, m, k);
        Tensor b = randn(DType.FLOAT32, k, n);
        Tensor c = a.matmul(b);
        assertShape(c, m, n);
        assertEquals(DType.FLOAT32, c.dtype());
        assertMatches(c, MatmulReference.matmul(a, b), F32_TOL * Math.sqrt(k));
    }

    @ParameterizedTest(name = "{0}x{1} @ {1}x{2}")
    @CsvSource({"1,1,1", "5,3,2", "33,65,129", "100,40,270"})
    void float64MatchesReference(long m, long k, long n) {
        Tensor a = randn(DType.FLOAT64, m, k);
        Tensor b = randn(DType.FLOAT64, k, n);
        assertMatches(a.matmul(b), MatmulReference.matmul(a, b), F64_TOL * k);
    }

    @Test
    void knownSmallProduct() {
        Tensor a = Tensor.of(new float[][] {{1, 2, 3}, {4, 5, 6}});
        Tensor b = Tensor.of(new float[][] {{7, 8}, {9, 10}, {11, 12}});
        assertValues(a.matmul(b), 58, 64, 139, 154);
    }

    @Test
    void transposedOperandsGiveTheSameAsTheirContiguousCopies() {
        for (DType t : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
            Tensor a = randn(t, 37, 21);
            Tensor b = randn(t, 45, 37);
            Tensor at = a.t(); // 21x37, strides (1, 21)
            Tensor bt = b.t(); // 37x45, strides (1, 37)
            assertMatches(at.matmul(bt), MatmulReference.matmul(at, bt), F32_TOL * 10);
            assertMatches(at.matmul(bt), MatmulReference.matmul(at.contiguous(), bt.contiguous()), F32_TOL * 10);
            Tensor c = randn(t, 21, 45);
            assertMatches(a.matmul(c.mT().mT()), MatmulReference.matmul(a, c), F32_TOL * 10);
            assertMatches(c.t().matmul(at), MatmulReference.matmul(c.t(), at), F32_TOL * 10);
        }
    }

    @Test
    void batchedTransposeOfLastTwoDims() {
        Tensor a = randn(DType.FLOAT32, 3, 5, 4).transpose(-1, -2); // [3,4,5] column-major
        Tensor b = randn(DType.FLOAT32, 3, 6, 5).transpose(-1, -2); // [3,5,6]
        Tensor c = a.matmul(b);
        assertShape(c, 3, 4, 6);
        assertMatches(c, MatmulReference.matmul(a, b), F32_TOL);
    }

    @Test
    void stridedViewsThatNeedACopy() {
        Tensor big = randn(DType.FLOAT32, 12, 20);
        Tensor a = big.slice(0, 0, 12, 2).slice(1, 0, 20, 3); // [6,7], strides (40, 3): not GEMM-compatible
        Tensor b = randn(DType.FLOAT32, 14, 9).slice(0, 0, 14, 2); // [7,9], strides (18, 1): row-major, ld 18
        assertMatches(a.matmul(b), MatmulReference.matmul(a, b), F32_TOL);
        Tensor p = randn(DType.FLOAT32, 4, 2, 3).permute(1, 2, 0); // [2,3,4] with strides (3,1,6)
        Tensor q = randn(DType.FLOAT32, 2, 4, 5);
        assertMatches(p.matmul(q), MatmulReference.matmul(p, q), F32_TOL);
    }

    @Test
    void oneDimensionalOperandsFollowPyTorch() {
        Tensor v = randn(DType.FLOAT64, 4);
        Tensor w = randn(DType.FLOAT64, 4);
        Tensor mat = randn(DType.FLOAT64, 3, 4);
        Tensor dot = v.matmul(w);
        assertShape(dot);
        assertMatches(dot, MatmulReference.matmul(v.unsqueeze(0), w.unsqueeze(1)), F64_TOL);
        Tensor mv = mat.matmul(w);
        assertShape(mv, 3);
        assertMatches(mv, MatmulReference.matmul(mat, w.unsqueeze(1)), F64_TOL);
        Tensor vm = v.matmul(mat.t());
        assertShape(vm, 3);
        assertMatches(vm, MatmulReference.matmul(v.unsqueeze(0), mat.t()), F64_TOL);
        Tensor batch = randn(DType.FLOAT64, 2, 5, 3, 4);
        assertShape(batch.matmul(w), 2, 5, 3);
        assertMatches(batch.matmul(w), MatmulReference.matmul(batch, w.unsqueeze(1)), F64_TOL);
        Tensor u = randn(DType.FLOAT64, 3);
        assertShape(u.matmul(batch), 2, 5, 4);
        assertMatches(u.matmul(batch), MatmulReference.matmul(u.unsqueeze(0), batch), F64_TOL);
    }

    @Test
    void batchDimsBroadcast() {
        Tensor a = randn(DType.FLOAT32, 2, 1, 3, 4);
        Tensor b = randn(DType.FLOAT32, 5, 4, 6);
        Tensor c = a.matmul(b);
        assertShape(c, 2, 5, 3, 6);
        assertMatches(c, MatmulReference.matmul(a, b), F32_TOL);
        Tensor x = randn(DType.FLOAT32, 7, 3, 4); // nn.Linear shape: one GEMM over all 21 rows
        Tensor w = randn(DType.FLOAT32, 4, 9);
        assertShape(x.matmul(w), 7, 3, 9);
        assertMatches(x.matmul(w), MatmulReference.matmul(x, w), F32_TOL);
        Tensor wb = randn(DType.FLOAT32, 1, 4, 9);
        assertMatches(x.matmul(wb), MatmulReference.matmul(x, wb), F32_TOL);
        assertMatches(w.t().matmul(x.mT()), MatmulReference.matmul(w.t(), x.mT()), F32_TOL);
    }

    @Test
    void mixedAndIntegerDtypes() {
        Tensor a = Tensor.of(new double[][] {{1, 2}, {3, 4}});
        Tensor b = Tensor.of(new float[][] {{1, 0}, {0, 1}});
        Tensor c = a.matmul(b);
        assertEquals(DType.FLOAT64, c.dtype());
        assertValues(c, 1, 2, 3, 4);
        Tensor i = Tensor.arange(6).view(2, 3);
        Tensor j = Tensor.arange(6).view(3, 2);
        Tensor ij = i.matmul(j);
        assertEquals(DType.INT64, ij.dtype());
        assertValues(ij, 10, 13, 28, 40);
        assertValues(i.t().matmul(i), 9, 12, 15, 12, 17, 22, 15, 22, 29);
    }

    @Test
    void emptyDimensions() {
        Tensor z = Tensor.ones(3, 0).matmul(Tensor.ones(0, 2));
        assertShape(z, 3, 2);
        assertValues(z, 0, 0, 0, 0, 0, 0);
        assertShape(Tensor.ones(0, 4).matmul(Tensor.ones(4, 2)), 0, 2);
        assertShape(Tensor.ones(2, 0, 4).matmul(Tensor.ones(4, 5)), 2, 0, 5);
    }

    @Test
    void shapeMismatchNamesBothShapes() {
        Tensor a = Tensor.zeros(2, 3);
        Tensor b = Tensor.zeros(4, 5);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> a.matmul(b));
        assertEquals("mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(3).matmul(Tensor.zeros(4)));
        assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(2, 3).mm(Tensor.zeros(2, 3, 4)));
        assertThrows(IllegalArgumentException.class, () -> Tensor.scalar(1).matmul(Tensor.zeros(1)));
    }

    @Test
    void gradients2d() {
        Tensor a = randn(DType.FLOAT64, 3, 4).requiresGrad_(true);
        Tensor b = randn(DType.FLOAT64, 4, 5).requiresGrad_(true);
        GradCheck.check(in -> in.get(0).matmul(in.get(1)), List.of(a, b));
        GradCheck.check(in -> in.get(0).t().matmul(in.get(1).t()), List.of(randn(DType.FLOAT64, 4, 3)
                .requiresGrad_(true), randn(DType.FLOAT64, 5, 4).requiresGrad_(true)));
    }

    @Test
    void gradientsBatchedBroadcastAndVectors() {
        Tensor a = randn(DType.FLOAT64, 2, 1, 3, 4).requiresGrad_(true);
        Tensor b = randn(DType.FLOAT64, 3, 4, 2).requiresGrad_(true);
        GradCheck.check(in -> in.get(0).matmul(in.get(1)), List.of(a, b));
        Tensor v = randn(DType.FLOAT64, 4).requiresGrad_(true);
        GradCheck.check(in -> in.get(0).matmul(in.get(1)), List.of(a, v));
        GradCheck.check(in -> in.get(1).matmul(in.get(0).mT()), List.of(a, v));
        Tensor w = randn(DType.FLOAT64, 4).requiresGrad_(true);
        GradCheck.check(in -> in.get(0).matmul(in.get(1)), List.of(v, w));
    }
}

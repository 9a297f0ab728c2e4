package dev.kiln.backend.cpu;

import static dev.kiln.ops.MatmulReference.assertMatches;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.Kiln;
import dev.kiln.ops.MatmulReference;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Generator;
import dev.kiln.tensor.Tensor;
import dev.kiln.testing.KilnTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The CPU {@code bmm} kernel itself: OpenBLAS and the Java fallback against each other and against the float64
 * reference, over the layouts GEMM takes without copying (row-major, transposed, padded leading dims) and those
 * it must copy.
 */
class MatmulTest extends KilnTest {
    private final Generator gen = new Generator(7);
    private final CpuLinalg blas = new CpuLinalg(true);
    private final CpuLinalg java = new CpuLinalg(false);

    @Test
    void openBlasLoads() {
        // The build ships org.bytedeco:openblas for linux-x86_64; if this fails, every matmul silently runs the
        // slow fallback, which is worth a red test.
        assertTrue(Blas.available(), "OpenBLAS failed to load: " + Blas.describe());
    }

    @ParameterizedTest(name = "{0} [{1},{2},{3}]x[{1},{3},{4}] transA={5} transB={6}")
    @CsvSource({
        "FLOAT32, 1, 1, 1, 1, false, false",
        "FLOAT32, 3, 17, 9, 33, false, false",
        "FLOAT32, 2, 70, 300, 530, false, true",
        "FLOAT32, 2, 40, 129, 257, true, false",
        "FLOAT32, 4, 31, 65, 31, true, true",
        "FLOAT64, 3, 17, 9, 33, false, false",
        "FLOAT64, 2, 70, 150, 300, true, true",
        "FLOAT64, 1, 5, 260, 7, false, true",
    })
    void blasAndFallbackAgreeWithReference(DType t, long batch, long m, long k, long n, boolean ta, boolean tb) {
        Tensor a = operand(t, batch, m, k, ta);
        Tensor b = operand(t, batch, k, n, tb);
        assertTrue(CpuLinalg.gemmCompatible(a.arg()) && CpuLinalg.gemmCompatible(b.arg()), "layouts should go to GEMM as-is");
        double[] expected = MatmulReference.matmul(a, b);
        double tol = (t == DType.FLOAT32 ? 1e-5 : 1e-13) * k;
        assertMatches(run(blas, a, b), expected, tol);
        assertMatches(run(java, a, b), expected, tol);
    }

    @Test
    void paddedLeadingDimensionsAndBroadcastBatch() {
        // Column slices keep stride 1 with a leading dim larger than the row length.
        Tensor a = Tensor.randn(new long[] {2, 9, 20}, DType.FLOAT32, gen).narrow(2, 3, 11); // [2,9,11] ld 20
        Tensor b = Tensor.randn(new long[] {1, 30, 13}, DType.FLOAT32, gen).narrow(1, 2, 11).expand(2, 11, 13);
        assertTrue(CpuLinalg.gemmCompatible(a.arg()) && CpuLinalg.gemmCompatible(b.arg()));
        double[] expected = MatmulReference.matmul(a, b);
        assertMatches(run(blas, a, b), expected, 1e-4);
        assertMatches(run(java, a, b), expected, 1e-4);
    }

    @Test
    void layoutsThatNeedACopy() {
        Tensor a = Tensor.randn(new long[] {2, 8, 12}, DType.FLOAT64, gen).slice(2, 0, 12, 2); // col stride 2
        Tensor b = Tensor.randn(new long[] {2, 6, 5}, DType.FLOAT64, gen);
        Tensor rowBroadcast = Tensor.randn(new long[] {2, 1, 6}, DType.FLOAT64, gen).expand(2, 8, 6);
        assertFalse(CpuLinalg.gemmCompatible(a.arg()));
        assertFalse(CpuLinalg.gemmCompatible(rowBroadcast.arg()));
        assertMatches(run(blas, a, b), MatmulReference.matmul(a, b), 1e-12);
        assertMatches(run(java, a, b), MatmulReference.matmul(a, b), 1e-12);
        assertMatches(run(blas, rowBroadcast, b), MatmulReference.matmul(rowBroadcast, b), 1e-12);
    }

    @Test
    void sizeOneDimsWithOddStridesAreStillZeroCopy() {
        Tensor col = Tensor.randn(new long[] {3, 8}, DType.FLOAT32, gen).t().unsqueeze(0).narrow(2, 0, 1); // [1,8,1]
        Tensor row = Tensor.randn(new long[] {5, 4}, DType.FLOAT32, gen).t().narrow(0, 1, 1).unsqueeze(0); // [1,1,5]
        assertTrue(CpuLinalg.gemmCompatible(col.arg()));
        assertTrue(CpuLinalg.gemmCompatible(row.arg()));
        assertMatches(run(blas, col, row), MatmulReference.matmul(col, row), 1e-5);
        assertMatches(run(java, col, row), MatmulReference.matmul(col, row), 1e-5);
    }

    @Test
    void fallbackAgreesWithBlasOnLargeRandomProblems() {
        for (boolean ta : new boolean[] {false, true}) {
            Tensor a = operand(DType.FLOAT32, 1, 300, 513, ta);
            Tensor b = operand(DType.FLOAT32, 1, 513, 270, !ta);
            double[] viaBlas = run(blas, a, b).toDoubleArray();
            Tensor viaJava = run(java, a, b);
            assertMatches(viaJava, viaBlas, 1e-3);
        }
    }

    @Test
    void resultDoesNotDependOnThreadCount() {
        int before = Kiln.numThreads();
        Tensor a = operand(DType.FLOAT64, 2, 150, 90, false);
        Tensor b = operand(DType.FLOAT64, 2, 90, 140, true);
        double[] expected = MatmulReference.matmul(a, b);
        try {
            Kiln.setNumThreads(1);
            assertMatches(run(blas, a, b), expected, 1e-11);
            assertMatches(run(java, a, b), expected, 1e-11);
        } finally {
            Kiln.setNumThreads(before);
        }
        assertMatches(run(blas, a, b), expected, 1e-11);
    }

    @Test
    void integerProductsAreExact() {
        Tensor a = Tensor.randint(-1000, 1000, new long[] {2, 7, 5}, gen);
        Tensor b = Tensor.randint(-1000, 1000, new long[] {2, 9, 5}, gen).transpose(1, 2);
        double[] expected = MatmulReference.matmul(a, b);
        assertMatches(run(blas, a, b), expected, 0);
    }

    /** A [batch, rows, cols] tensor, stored transposed (column-major) when asked. */
    private Tensor operand(DType t, long batch, long rows, long cols, boolean transposed) {
        if (transposed) {
            return Tensor.randn(new long[] {batch, cols, rows}, t, gen).transpose(1, 2);
        }
        return Tensor.randn(new long[] {batch, rows, cols}, t, gen);
    }

    private static Tensor run(CpuLinalg kernels, Tensor a, Tensor b) {
        Tensor out = Tensor.empty(a.dtype(), a.size(0), a.size(1), b.size(2));
        kernels.bmm(a.arg(), b.arg(), out.arg());
        return out;
    }
}

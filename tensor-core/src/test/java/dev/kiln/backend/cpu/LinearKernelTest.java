package dev.kiln.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.backend.KernelArg;
import dev.kiln.backend.LinalgKernels;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Generator;
import dev.kiln.tensor.Tensor;
import dev.kiln.testing.KilnTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The CPU fused linear kernel ({@link CpuLinalg#linear}: GEMM then {@link LinearEpilogue}) against a float64 loop,
 * through OpenBLAS and through the Java GEMM, over the layouts it takes: row-major and transposed weights, inputs
 * that GEMM reads as they are, inputs it must copy, rows wider than the epilogue's tile, products large enough for
 * oneDNN's GEMM and for a parallel epilogue, no bias, an empty inner dim.
 */
class LinearKernelTest extends KilnTest {
    private final Generator gen = new Generator(11);
    private final CpuLinalg blas = new CpuLinalg(true);
    private final CpuLinalg javaGemm = new CpuLinalg(false);

    @ParameterizedTest(name = "{0} M={1} K={2} N={3} layout={4} bias={5} relu={6}")
    @CsvSource({
        "FLOAT32, 1, 1, 1, plain, true, true",
        "FLOAT32, 7, 13, 5, plain, true, false",
        "FLOAT32, 1000, 9, 10, plain, true, true", // narrow rows: 102 per tile, a partial last tile
        "FLOAT32, 2000, 3, 1023, plain, true, true", // one row per tile, 1 element short
        "FLOAT32, 7, 13, 5, plain, false, true",
        "FLOAT32, 9, 20, 2500, plain, true, true", // rows of three epilogue tiles
        "FLOAT32, 300, 40, 600, plain, true, true",
        "FLOAT32, 2100, 2, 2000, plain, true, true", // 4.2M outputs: the epilogue splits across threads
        "FLOAT32, 256, 256, 256, transposedInput, true, true", // 2^24 multiply-adds: oneDNN's GEMM where it loads
        "FLOAT32, 6, 11, 9, transposedWeight, true, true",
        "FLOAT32, 6, 11, 9, transposedInput, true, true",
        "FLOAT32, 6, 11, 9, stridedInput, true, true", // every other column: GEMM needs a copy
        "FLOAT32, 5, 0, 4, plain, true, true",
        "FLOAT64, 7, 13, 5, plain, true, true",
        "FLOAT64, 300, 40, 600, transposedWeight, true, false",
        "FLOAT64, 6, 11, 9, stridedInput, false, true",
    })
    void matchesTheFloat64Loop(DType t, long m, long k, long n, String layout, boolean withBias, boolean relu) {
        Tensor x = switch (layout) {
            case "transposedInput" -> Tensor.randn(new long[] {k, m}, t, gen).t();
            case "stridedInput" -> Tensor.randn(new long[] {m, 2 * k}, t, gen).slice(1, 0, 2 * k, 2);
            default -> Tensor.randn(new long[] {m, k}, t, gen);
        };
        Tensor w = layout.equals("transposedWeight") ? Tensor.randn(new long[] {k, n}, t, gen).t()
                : Tensor.randn(new long[] {n, k}, t, gen);
        Tensor b = withBias ? Tensor.randn(new long[] {n}, t, gen) : null;
        double[] expected = reference(x, w, b, relu);
        double tol = (t == DType.FLOAT32 ? 2e-6 : 1e-14) * Math.max(k, 1);
        for (CpuLinalg kernels : new CpuLinalg[] {blas, javaGemm}) {
            Tensor out = Tensor.empty(t, m, n);
            assertTrue(kernels.linear(x.arg(), w.arg(), b == null ? null : b.arg(), relu, out.arg()));
            double[] got = out.toDoubleArray();
            for (int i = 0; i < got.length; i++) {
                assertEquals(expected[i], got[i], tol * (1 + Math.abs(expected[i])), "element " + i);
            }
        }
    }

    @Test
    void reluPropagatesNaNAndTheBiasIsAddedToEachRow() {
        Tensor x = Tensor.of(new float[][] {{Float.NaN, 1}, {2, -3}});
        Tensor w = Tensor.of(new float[][] {{1, 0}, {0, 1}, {1, 1}});
        Tensor b = Tensor.of(new float[] {0.5f, Float.NEGATIVE_INFINITY, -2});
        Tensor out = Tensor.empty(DType.FLOAT32, 2, 3);
        assertTrue(blas.linear(x.arg(), w.arg(), b.arg(), true, out.arg()));
        float[] got = out.toFloatArray();
        // row 0 is NaN everywhere (NaN * 0 is NaN); row 1: [2, -3, -1] + [0.5, -inf, -2], then ReLU
        assertTrue(Float.isNaN(got[0]) && Float.isNaN(got[1]) && Float.isNaN(got[2]), java.util.Arrays.toString(got));
        assertEquals(2.5f, got[3]);
        assertEquals(0f, got[4]);
        assertEquals(0f, got[5]);
        assertEquals(0, Float.floatToRawIntBits(got[5]), "ReLU gives +0, never -0");
    }

    @Test
    void declinesWhatItDoesNotFuseAndRejectsBadShapes() {
        Tensor xi = Tensor.ones(DType.INT64, 2, 3);
        Tensor wi = Tensor.ones(DType.INT64, 4, 3);
        Tensor oi = Tensor.empty(DType.INT64, 2, 4);
        assertFalse(blas.linear(xi.arg(), wi.arg(), null, false, oi.arg()), "integers are composed by the op layer");
        Tensor x = Tensor.ones(DType.FLOAT32, 2, 3);
        Tensor w64 = Tensor.ones(DType.FLOAT64, 4, 3);
        Tensor o = Tensor.empty(DType.FLOAT32, 2, 4);
        assertFalse(blas.linear(x.arg(), w64.arg(), null, false, o.arg()), "mixed dtypes are composed");
        Tensor w = Tensor.ones(DType.FLOAT32, 4, 5);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> blas.linear(x.arg(), w.arg(), null, false, o.arg()));
        assertTrue(e.getMessage().contains("weight [4, 5]"), e.getMessage());
    }

    @Test
    void theSpiDefaultIsNotHandled() {
        LinalgKernels bmmOnly = (a, b, out) -> {
            throw new AssertionError("not called");
        };
        Tensor x = Tensor.ones(DType.FLOAT32, 2, 3);
        Tensor w = Tensor.ones(DType.FLOAT32, 4, 3);
        Tensor o = Tensor.empty(DType.FLOAT32, 2, 4);
        KernelArg none = null;
        assertFalse(bmmOnly.linear(x.arg(), w.arg(), none, true, o.arg()));
    }

    /** {@code act(x @ w^T + b)} in float64 from the tensors' values, row-major. */
    private static double[] reference(Tensor x, Tensor w, Tensor b, boolean relu) {
        long m = x.size(0);
        long k = x.size(1);
        long n = w.size(0);
        double[] xv = x.contiguous().toDoubleArray();
        double[] wv = w.contiguous().toDoubleArray();
        double[] bv = b == null ? null : b.toDoubleArray();
        double[] out = new double[(int) (m * n)];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double acc = 0;
                for (int p = 0; p < k; p++) {
                    acc += xv[(int) (i * k + p)] * wv[(int) (j * k + p)];
                }
                if (bv != null) {
                    acc += bv[j];
                }
                out[(int) (i * n + j)] = relu ? Math.max(acc, 0) : acc;
            }
        }
        return out;
    }
}

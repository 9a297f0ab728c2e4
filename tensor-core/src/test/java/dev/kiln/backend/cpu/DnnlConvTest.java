package dev.kiln.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.autograd.Autograd;
import dev.kiln.nn.functional.F;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Generator;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import dev.kiln.testing.KilnTest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * oneDNN's direct convolution ({@link DnnlConv}) against the float64 im2col + GEMM path, through the public
 * {@code F.conv2d}, in every layout policy, over strides, asymmetric padding, dilation, groups, odd sizes, batch 1,
 * no bias; plus concurrent use from several threads with more shapes than the primitive cache holds.
 */
class DnnlConvTest extends KilnTest {
    private static final String[] LAYOUTS = {"any/any/any", "plain/any/plain", "nhwc/any/nhwc"};

    @AfterEach
    void restoreLayout() {
        System.clearProperty("kiln.dnnl.conv");
    }

    @Test
    void oneDnnLoadsHere() {
        // The build ships org.bytedeco:dnnl for linux-x86_64 and the tests run with every core: if this fails, the
        // rest of this class tests nothing.
        assertTrue(DnnlConv.use(), "oneDNN convolution is not in use on this thread");
    }

    @ParameterizedTest(name = "x[{0},{1},{2},{3}] w[{4},{1}/{5},{6},{7}] stride {8}x{9} pad {10}x{11} dil {12}x{13} bias {14}")
    @CsvSource({
        // n, c, h, w, o, groups, kh, kw, sh, sw, ph, pw, dh, dw, bias
        "1, 1, 28, 28, 32, 1, 5, 5, 1, 1, 2, 2, 1, 1, true",   // MnistCnn conv1, batch 1
        "3, 32, 14, 14, 64, 1, 5, 5, 1, 1, 2, 2, 1, 1, true",  // MnistCnn conv2
        "2, 6, 14, 14, 16, 1, 5, 5, 1, 1, 0, 0, 1, 1, false",  // LeNet-5 conv2, no bias
        "2, 3, 11, 9, 5, 1, 3, 2, 2, 3, 1, 0, 1, 1, true",     // odd sizes, strides, one-sided padding
        "1, 4, 13, 10, 6, 2, 3, 3, 1, 2, 2, 1, 2, 1, true",    // groups, dilation
        "2, 6, 9, 9, 6, 6, 3, 3, 1, 1, 1, 1, 1, 1, true",      // depthwise
        "2, 8, 7, 12, 4, 4, 1, 3, 2, 1, 0, 2, 1, 3, false",    // 1xk kernel, dilation 3
        "1, 3, 5, 5, 2, 1, 5, 5, 1, 1, 0, 0, 1, 1, true",      // kernel = image: 1x1 output
        "5, 17, 6, 7, 19, 1, 2, 2, 2, 2, 0, 0, 1, 1, true",    // stride = kernel, odd channel counts
    })
    void matchesIm2colInEveryLayout(long n, long c, long h, long w, long o, long groups, long kh, long kw, long sh,
                                    long sw, long ph, long pw, long dh, long dw, boolean bias) {
        assumeTrue(DnnlConv.use());
        Generator g = new Generator(n * 1000 + c * 31 + o);
        Tensor x = Tensor.randn(new long[] {n, c, h, w}, DType.FLOAT32, g);
        Tensor wt = Tensor.randn(new long[] {o, c / groups, kh, kw}, DType.FLOAT32, g);
        Tensor b = bias ? Tensor.randn(new long[] {o}, DType.FLOAT32, g) : null;
        long[] s = {sh, sw};
        long[] p = {ph, pw};
        long[] d = {dh, dw};
        double[] expected = reference(x, wt, b, s, p, d, groups, null);
        double tol = 2e-6 * Math.sqrt((double) c / groups * kh * kw) * 10;
        for (String layout : LAYOUTS) {
            System.setProperty("kiln.dnnl.conv", layout);
            long before = DnnlConv.executed();
            try (TensorScope scope = TensorScope.open(); var ng = Autograd.noGrad()) {
                assertClose(expected, F.conv2d(x, wt, b, s, p, d, groups).toFloatArray(), tol, layout);
            }
            assertEquals(before + 1, DnnlConv.executed(), layout + ": oneDNN did not run this convolution");
        }
    }

    @Test
    void samePaddingWithAnEvenKernelPadsTheEnd() {
        assumeTrue(DnnlConv.use());
        Generator g = new Generator(3);
        Tensor x = Tensor.randn(new long[] {2, 3, 8, 7}, DType.FLOAT32, g);
        Tensor wt = Tensor.randn(new long[] {4, 3, 4, 2}, DType.FLOAT32, g);
        Tensor b = Tensor.randn(new long[] {4}, DType.FLOAT32, g);
        long[] one = {1};
        double[] expected = reference(x, wt, b, one, null, new long[] {1, 2}, 1, "same");
        long before = DnnlConv.executed();
        try (var ng = Autograd.noGrad()) {
            Tensor y = F.conv2d(x, wt, b, one, "same", new long[] {1, 2}, 1);
            assertEquals(before + 1, DnnlConv.executed(), "oneDNN did not run the convolution");
            assertEquals(List.of(2L, 4L, 8L, 7L), List.of(y.size(0), y.size(1), y.size(2), y.size(3)));
            assertClose(expected, y.toFloatArray(), 1e-4, "same");
        }
    }

    @Test
    void concurrentThreadsShareTheCacheAcrossEvictions() throws Exception {
        assumeTrue(DnnlConv.use());
        // 40 shapes > the cache's 32 entries, run by 4 threads at once: evictions happen while other threads
        // execute; every result must still match its own reference.
        int shapes = 40;
        List<Tensor[]> cases = new ArrayList<>();
        List<double[]> expected = new ArrayList<>();
        Generator g = new Generator(11);
        long[] one = {1};
        for (int i = 0; i < shapes; i++) {
            Tensor x = Tensor.randn(new long[] {2, 3, 6 + i % 7, 5 + i / 7}, DType.FLOAT32, g);
            Tensor wt = Tensor.randn(new long[] {4 + i % 3, 3, 3, 3}, DType.FLOAT32, g);
            cases.add(new Tensor[] {x, wt});
            expected.add(reference(x, wt, null, one, one, one, 1, null));
        }
        long before = DnnlConv.executed();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int start = t * 7;
                done.add(pool.submit(() -> {
                    for (int r = 0; r < 3 * shapes; r++) {
                        int i = (start + r) % shapes;
                        try (TensorScope scope = TensorScope.open(); var ng = Autograd.noGrad()) {
                            Tensor[] a = cases.get(i);
                            assertClose(expected.get(i), F.conv2d(a[0], a[1], null, one, one, one, 1).toFloatArray(),
                                    1e-4, "shape " + i);
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(120, TimeUnit.SECONDS);
            }
            assertTrue(DnnlConv.executed() - before >= 4 * 3 * shapes, "oneDNN did not run every convolution");
        } finally {
            pool.shutdownNow();
            assertTrue(pool.awaitTermination(30, TimeUnit.SECONDS));
        }
    }

    /** The float64 im2col + GEMM convolution of float64 copies of the operands. */
    private static double[] reference(Tensor x, Tensor w, Tensor b, long[] s, long[] p, long[] d, long groups,
                                      String padding) {
        try (TensorScope scope = TensorScope.open(); var ng = Autograd.noGrad()) {
            Tensor x64 = x.to(DType.FLOAT64);
            Tensor w64 = w.to(DType.FLOAT64);
            Tensor b64 = b == null ? null : b.to(DType.FLOAT64);
            Tensor y = padding == null ? F.conv2d(x64, w64, b64, s, p, d, groups)
                    : F.conv2d(x64, w64, b64, s, padding, d, groups);
            return y.toDoubleArray();
        }
    }

    private static void assertClose(double[] expected, float[] actual, double tol, String what) {
        assertEquals(expected.length, actual.length, what + ": element count");
        for (int i = 0; i < expected.length; i++) {
            if (Math.abs(expected[i] - actual[i]) > tol * Math.max(1, Math.abs(expected[i]))) {
                throw new AssertionError(what + ": element " + i + " is " + actual[i] + ", expected " + expected[i]
                        + " (tolerance " + tol + ")");
            }
        }
    }
}

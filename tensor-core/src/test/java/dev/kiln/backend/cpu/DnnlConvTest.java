package dev.kiln.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.autograd.Autograd;
import dev.kiln.autograd.GradCheck;
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
import org.junit.jupiter.params.provider.MethodSource;

/**
 * oneDNN's direct convolution ({@link DnnlConv}) against the float64 im2col + GEMM path, through the public
 * {@code F.conv2d}, in every layout policy, over strides, asymmetric padding, dilation, groups, odd sizes, batch 1,
 * no bias; plus concurrent use from several threads with more shapes than the primitive cache holds.
 */
class DnnlConvTest extends KilnTest {
    private static final String[] LAYOUTS = {"any/any/any", "plain/any/plain", "nhwc/any/nhwc",
        "any/any/any;plain/any/plain;nhwc/any/nhwc"}; // the last: one policy per kind

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

    /** One convolution: input {@code [n, c, h, w]}, {@code o} outputs, groups, kernel, stride, padding, dilation. */
    record Conv(long n, long c, long h, long w, long o, long groups, long kh, long kw, long sh, long sw, long ph,
                long pw, long dh, long dw, boolean bias) {
        @Override
        public String toString() {
            return "x[" + n + "," + c + "," + h + "," + w + "] w[" + o + "," + c / groups + "," + kh + "," + kw
                    + "] groups " + groups + " stride " + sh + "x" + sw + " pad " + ph + "x" + pw + " dil " + dh
                    + "x" + dw + (bias ? "" : " no bias");
        }
    }

    static List<Conv> convs() {
        return List.of(
                new Conv(1, 1, 28, 28, 32, 1, 5, 5, 1, 1, 2, 2, 1, 1, true),   // MnistCnn conv1, batch 1
                new Conv(3, 32, 14, 14, 64, 1, 5, 5, 1, 1, 2, 2, 1, 1, true),  // MnistCnn conv2
                new Conv(2, 6, 14, 14, 16, 1, 5, 5, 1, 1, 0, 0, 1, 1, false),  // LeNet-5 conv2, no bias
                new Conv(2, 3, 11, 9, 5, 1, 3, 2, 2, 3, 1, 0, 1, 1, true),     // odd sizes, strides, one-sided pad
                new Conv(1, 4, 13, 10, 6, 2, 3, 3, 1, 2, 2, 1, 2, 1, true),    // groups, dilation
                new Conv(2, 6, 9, 9, 6, 6, 3, 3, 1, 1, 1, 1, 1, 1, true),      // depthwise
                new Conv(2, 8, 7, 12, 4, 4, 1, 3, 2, 1, 0, 2, 1, 3, false),    // 1xk kernel, dilation 3
                new Conv(1, 3, 5, 5, 2, 1, 5, 5, 1, 1, 0, 0, 1, 1, true),      // kernel = image: 1x1 output
                new Conv(5, 17, 6, 7, 19, 1, 2, 2, 2, 2, 0, 0, 1, 1, true),    // stride = kernel, odd channels
                new Conv(2, 5, 8, 8, 3, 1, 3, 3, 3, 3, 1, 1, 1, 1, true));     // stride 3: rows the window skips
    }

    /** Shapes small enough for finite differences over every element. */
    static List<Conv> smallConvs() {
        return List.of(
                new Conv(1, 2, 5, 4, 3, 1, 3, 2, 2, 1, 1, 0, 1, 1, true),      // strides, one-sided padding
                new Conv(1, 4, 5, 5, 4, 2, 3, 3, 1, 1, 2, 1, 2, 1, true),      // groups, dilation
                new Conv(2, 3, 4, 4, 2, 1, 2, 2, 1, 1, 0, 0, 1, 1, false),     // no bias
                new Conv(1, 3, 5, 5, 2, 1, 5, 5, 1, 1, 0, 0, 1, 1, true));     // kernel = image
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("convs")
    void forwardMatchesTheFloat64PathInEveryLayout(Conv k) {
        assumeTrue(DnnlConv.use());
        Tensor[] in = operands(k, DType.FLOAT32, false);
        double[] expected;
        try (TensorScope scope = TensorScope.open(); var ng = Autograd.noGrad()) {
            expected = run(k, to64(in)).toDoubleArray();
        }
        double tol = 2e-5 * Math.sqrt((double) k.c / k.groups * k.kh * k.kw);
        for (String layout : LAYOUTS) {
            System.setProperty("kiln.dnnl.conv", layout);
            long before = DnnlConv.executed();
            try (TensorScope scope = TensorScope.open(); var ng = Autograd.noGrad()) {
                assertClose(expected, run(k, in).toFloatArray(), tol, layout);
            }
            assertEquals(before + 1, DnnlConv.executed(), layout + ": oneDNN did not run this convolution");
        }
    }

    /**
     * Training: oneDNN's forward, backward-data and backward-weights (one ConvolutionBackward0 node) against the
     * float64 path, whose formulas the op table's gradcheck verifies.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("convs")
    void gradientsMatchTheFloat64PathInEveryLayout(Conv k) {
        assumeTrue(DnnlConv.use());
        Tensor[] in = operands(k, DType.FLOAT32, true);
        List<double[]> expected = grads(k, to64(in));
        double terms = Math.max(k.n * k.h * k.w, (double) k.o * k.kh * k.kw);
        double tol = 2e-5 * Math.sqrt(terms);
        for (String layout : LAYOUTS) {
            System.setProperty("kiln.dnnl.conv", layout);
            long before = DnnlConv.executed();
            List<double[]> actual = grads(k, in);
            assertEquals(before + 3, DnnlConv.executed(), layout + ": oneDNN did not run forward and both backwards");
            for (int i = 0; i < expected.size(); i++) {
                assertClose(expected.get(i), actual.get(i), tol, layout + " gradient " + i);
            }
        }
    }

    /** With create_graph the node differentiates its own formulas: second-order gradcheck in float64. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("smallConvs")
    void doubleBackwardPassesGradcheck(Conv k) {
        Tensor[] in = operands(k, DType.FLOAT64, true);
        Tensor y0 = run(k, in);
        Tensor g = Tensor.randn(y0.shape(), DType.FLOAT64, new Generator(3)).requiresGrad_(true);
        List<Tensor> args = new ArrayList<>(List.of(in[0], in[1], g));
        GradCheck.check(a -> {
            try (var eg = Autograd.enableGrad()) {
                Tensor y = run(k, new Tensor[] {a.get(0), a.get(1), in[2]});
                List<Tensor> first = Autograd.grad(List.of(y), List.of(a.get(0), a.get(1)), List.of(a.get(2)), true,
                        true);
                return first.get(0).mul(first.get(0)).sum().add(first.get(1).mul(first.get(1)).sum());
            }
        }, args);
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

    private static Tensor[] operands(Conv k, DType t, boolean grad) {
        Generator g = new Generator(k.n * 1000 + k.c * 31 + k.o);
        Tensor x = Tensor.randn(new long[] {k.n, k.c, k.h, k.w}, t, g).requiresGrad_(grad);
        Tensor w = Tensor.randn(new long[] {k.o, k.c / k.groups, k.kh, k.kw}, t, g).requiresGrad_(grad);
        Tensor b = k.bias ? Tensor.randn(new long[] {k.o}, t, g).requiresGrad_(grad) : null;
        return new Tensor[] {x, w, b};
    }

    private static Tensor[] to64(Tensor[] in) {
        Tensor[] out = new Tensor[in.length];
        for (int i = 0; i < in.length; i++) {
            out[i] = in[i] == null ? null : in[i].detach().to(DType.FLOAT64).requiresGrad_(in[i].requiresGrad());
        }
        return out;
    }

    private static Tensor run(Conv k, Tensor[] in) {
        return F.conv2d(in[0], in[1], in[2], new long[] {k.sh, k.sw}, new long[] {k.ph, k.pw},
                new long[] {k.dh, k.dw}, k.groups);
    }

    /** x, w (and b) gradients of {@code sum(y * G)} for a fixed {@code G}, as doubles. */
    private static List<double[]> grads(Conv k, Tensor[] in) {
        List<double[]> out = new ArrayList<>();
        try (TensorScope scope = TensorScope.open()) {
            Tensor y = run(k, in);
            Tensor g = Tensor.randn(y.shape(), DType.FLOAT64, new Generator(9)).to(y.dtype());
            y.backward(g);
            for (Tensor t : in) {
                if (t != null) {
                    out.add(t.grad().to(DType.FLOAT64).toDoubleArray());
                    t.grad().close();
                    t.setGrad(null);
                }
            }
        }
        return out;
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

    private static void assertClose(double[] expected, double[] actual, double tol, String what) {
        float[] f = new float[actual.length];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) actual[i];
        }
        assertClose(expected, f, tol, what);
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

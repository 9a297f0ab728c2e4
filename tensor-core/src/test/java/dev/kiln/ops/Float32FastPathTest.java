package dev.kiln.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.nn.functional.F;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.ValuesIndices;
import dev.kiln.testing.KilnTest;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The float32-only CPU kernels (2x2 max pooling and its gradient, ReLU's gradient over dense rows, im2col) against the
 * generic paths float64 takes, bit for bit: inputs are small multiples of 1/4 (exact in both dtypes, with many
 * ties), so every sum is exact and the float32 results must equal the float64 ones exactly, indices included,
 * with NaN, -inf, and -0 placed where they test PyTorch's tie and NaN rules.
 */
class Float32FastPathTest extends KilnTest {

    private static double[] quarters(int n, long seed) {
        Random r = new Random(seed);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = (r.nextInt(9) - 4) / 4.0;
        }
        return v;
    }

    private static void assertSameAsFloat64(Tensor f32, Tensor f64, String what) {
        assertEquals(DType.FLOAT32, f32.dtype());
        double[] a = f32.toDoubleArray();
        double[] b = f64.to(DType.FLOAT32).toDoubleArray();
        for (int i = 0; i < a.length; i++) {
            assertEquals(Double.doubleToLongBits(b[i]), Double.doubleToLongBits(a[i]), what + " at " + i + ": "
                    + a[i] + " vs " + b[i]);
        }
    }

    /** Ties (first cell wins), NaN (wins, and the last NaN), an all -inf window (first cell's index), -0. */
    private static double[] withSpecials(double[] v, int w) {
        v[0] = Double.NaN;            // window (0,0): NaN in the first cell
        v[3] = Double.NaN;            // window (0,1): NaN in the second cell ...
        v[w + 3] = Double.NaN;        // ... and in the last: the last NaN's index wins
        v[4] = v[5] = v[w + 4] = v[w + 5] = Double.NEGATIVE_INFINITY; // window (0,2): all -inf
        v[6] = v[7] = v[w + 6] = v[w + 7] = 0.5; // window (0,3): four-way tie
        v[2 * w] = -0.0;
        return v;
    }

    @Test
    void maxPool2x2Float32EqualsGenericPathWithTiesNanAndInfinity() {
        for (long[] shape : new long[][] {{2, 3, 8, 10}, {1, 2, 9, 11}, {3, 1, 28, 28}}) {
            int n = (int) (shape[0] * shape[1] * shape[2] * shape[3]);
            Tensor x64 = Tensor.of(withSpecials(quarters(n, n), (int) shape[3])).view(shape);
            for (boolean ceil : new boolean[] {false, true}) {
                ValuesIndices r64 = F.maxPool2dWithIndices(x64, new long[] {2}, new long[] {}, new long[] {0},
                        new long[] {1}, ceil);
                ValuesIndices r32 = F.maxPool2dWithIndices(x64.to(DType.FLOAT32), new long[] {2}, new long[] {},
                        new long[] {0}, new long[] {1}, ceil);
                assertSameAsFloat64(r32.values(), r64.values(), "max_pool2d values");
                assertArrayEquals(r64.indices().toLongArray(), r32.indices().toLongArray(), "max_pool2d indices");
            }
        }
    }

    @Test
    void maxPool2dFloat32GradientEqualsGenericPath() {
        // Overlapping windows (3x3 stride 2) so several gradients land on one input cell, and MaxPool2d(2).
        for (long[] ks : new long[][] {{3, 2}, {2, 2}}) {
            long[] shape = {2, 3, 9, 10};
            double[] v = quarters(2 * 3 * 9 * 10, 7);
            Tensor x64 = Tensor.of(v).view(shape).requiresGrad_(true);
            Tensor x32 = Tensor.of(v).view(shape).to(DType.FLOAT32).requiresGrad_(true);
            Tensor y64 = F.maxPool2d(x64, new long[] {ks[0]}, new long[] {ks[1]}, new long[] {0}, new long[] {1},
                    false);
            Tensor y32 = F.maxPool2d(x32, new long[] {ks[0]}, new long[] {ks[1]}, new long[] {0}, new long[] {1},
                    false);
            Tensor g = Tensor.of(quarters((int) y64.numel(), 11)).view(y64.shape());
            y64.backward(g);
            y32.backward(g.to(DType.FLOAT32));
            assertSameAsFloat64(x32.grad(), x64.grad(), "max_pool2d gradient, kernel " + ks[0]);
        }
    }

    /**
     * float32 im2col (heap-assembled rows) against float64's off-heap path, through conv2d forward and backward:
     * padding on all sides, stride 2, dilation 2 and an asymmetric "same" padding; quarter-valued data makes every
     * GEMM sum exact, so the two dtypes must agree to the bit.
     */
    @Test
    void conv2dFloat32Im2colEqualsFloat64Path() {
        long[][] cases = {{1, 1, 2, 2, 1, 1}, {2, 1, 1, 0, 1, 1}, {1, 2, 2, 1, 2, 2}, {1, 1, 1, 2, 1, 3}};
        for (long[] k : cases) { // stride h/w, padding h/w, dilation h/w
            double[] xv = quarters(2 * 3 * 9 * 8, k[0] + 31 * k[2]);
            double[] wv = quarters(4 * 3 * 3 * 4, 13);
            Tensor x64 = Tensor.of(xv).view(2, 3, 9, 8).requiresGrad_(true);
            Tensor w64 = Tensor.of(wv).view(4, 3, 3, 4).requiresGrad_(true);
            Tensor x32 = Tensor.of(xv).view(2, 3, 9, 8).to(DType.FLOAT32).requiresGrad_(true);
            Tensor w32 = Tensor.of(wv).view(4, 3, 3, 4).to(DType.FLOAT32).requiresGrad_(true);
            long[] stride = {k[0], k[1]};
            long[] pad = {k[2], k[3]};
            long[] dil = {k[4], k[5]};
            Tensor y64 = F.conv2d(x64, w64, null, stride, pad, dil, 1);
            Tensor y32 = F.conv2d(x32, w32, null, stride, pad, dil, 1);
            assertSameAsFloat64(y32, y64, "conv2d " + Arrays.toString(k));
            Tensor g = Tensor.of(quarters((int) y64.numel(), 17)).view(y64.shape());
            y64.backward(g);
            y32.backward(g.to(DType.FLOAT32));
            assertSameAsFloat64(w32.grad(), w64.grad(), "conv2d weight grad " + Arrays.toString(k));
            assertSameAsFloat64(x32.grad(), x64.grad(), "conv2d input grad " + Arrays.toString(k));
        }
        Tensor x = Tensor.of(quarters(1 * 2 * 5 * 6, 3)).view(1, 2, 5, 6);
        Tensor w = Tensor.of(quarters(3 * 2 * 4 * 3, 4)).view(3, 2, 4, 3);
        assertSameAsFloat64(F.conv2d(x.to(DType.FLOAT32), w.to(DType.FLOAT32), null, new long[] {1}, "same",
                new long[] {1}, 1), F.conv2d(x, w, null, new long[] {1}, "same", new long[] {1}, 1), "same padding");
    }

    @Test
    void reluGradientFloat32EqualsFloat64AcrossTiles() {
        int n = 2500; // more than two 1024-element tiles, with a partial last one
        double[] v = quarters(n, 3);
        v[1] = -0.0;
        v[2] = Double.NaN; // NaN > 0 is false: gradient 0
        v[1023] = Double.POSITIVE_INFINITY;
        v[1024] = Float.MIN_VALUE; // the smallest subnormal is > 0: the bit mask must keep its gradient
        v[1025] = -Float.MIN_VALUE;
        v[2400] = Double.NEGATIVE_INFINITY;
        double[] gv = quarters(n, 5);
        gv[1023] = Double.NaN; // passes through where the input is positive
        Tensor x64 = Tensor.of(v).requiresGrad_(true);
        Tensor x32 = Tensor.of(v).to(DType.FLOAT32).requiresGrad_(true);
        F.relu(x64).backward(Tensor.of(gv));
        F.relu(x32).backward(Tensor.of(gv).to(DType.FLOAT32));
        assertSameAsFloat64(x32.grad(), x64.grad(), "relu gradient");
    }
}

package dev.kiln.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.autograd.Autograd;
import dev.kiln.nn.functional.F;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.ValuesIndices;
import dev.kiln.testing.KilnTest;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Max pooling on windows full of ties, signed zeros, infinities and NaNs, against PyTorch's CPU rule written out
 * here (row-major scan, {@code if (v > max || isnan(v))}: the first of equal maxima wins, -0 and +0 tie, the last
 * NaN wins): the float32 2x2 fast path with indices (training), its values-only variant (no grad), and the generic
 * path (3x3 windows, float64) must all give exactly the values (bit for bit, so -0 stays -0) and indices the rule
 * gives.
 */
class MaxPoolSpecialValuesTest extends KilnTest {
    private static final float[] SPECIAL = {Float.NaN, -0f, 0f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 1f,
        1f, -1f, 2f};

    @Test
    void fastPathsFollowPyTorchsRuleOnSpecialValues() {
        Random r = new Random(7);
        for (int trial = 0; trial < 20; trial++) {
            float[] x = specialValues(r, 3 * 2 * 8 * 10);
            checkAgainstRule(x, new long[] {3, 2, 8, 10}, 2);
            checkAgainstRule(x, new long[] {3, 2, 8, 10}, 3);
        }
    }

    private static void checkAgainstRule(float[] x, long[] shape, int k) {
        Object[] expected = rule(x, shape, k);
        float[] values = (float[]) expected[0];
        long[] indices = (long[]) expected[1];
        for (DType t : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
            Tensor in = Tensor.of(x).reshape(shape).to(t).requiresGrad_(true);
            ValuesIndices r = F.maxPool2dWithIndices(in, new long[] {k}, new long[] {}, new long[] {0},
                    new long[] {1}, false);
            assertBits(values, r.values(), t + " k=" + k + " with indices");
            assertArrayEquals(indices, r.indices().toLongArray(), t + " k=" + k + " indices");
            try (var g = Autograd.noGrad()) {
                assertBits(values, F.maxPool2d(in, k), t + " k=" + k + " values only");
            }
        }
    }

    private static void assertBits(float[] expected, Tensor actual, String what) {
        float[] got = actual.to(DType.FLOAT32).toFloatArray();
        assertEquals(expected.length, got.length, what);
        for (int i = 0; i < got.length; i++) {
            assertEquals(Float.floatToIntBits(expected[i]), Float.floatToIntBits(got[i]),
                    what + " at " + i + ": expected " + expected[i] + ", got " + got[i]);
        }
    }

    private static float[] specialValues(Random r, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = r.nextInt(3) == 0 ? (float) r.nextGaussian() : SPECIAL[r.nextInt(SPECIAL.length)];
        }
        return x;
    }

    /** PyTorch's CPU max-pool loop, k x k windows, stride k, no padding: {values, indices}. */
    private static Object[] rule(float[] x, long[] shape, int k) {
        int planes = (int) (shape[0] * shape[1]);
        int h = (int) shape[2];
        int w = (int) shape[3];
        int oh = h / k;
        int ow = w / k;
        float[] values = new float[planes * oh * ow];
        long[] indices = new long[values.length];
        for (int p = 0; p < planes; p++) {
            for (int oy = 0; oy < oh; oy++) {
                for (int ox = 0; ox < ow; ox++) {
                    float max = Float.NEGATIVE_INFINITY;
                    int arg = oy * k * w + ox * k;
                    for (int iy = oy * k; iy < oy * k + k; iy++) {
                        for (int ix = ox * k; ix < ox * k + k; ix++) {
                            float v = x[p * h * w + iy * w + ix];
                            if (v > max || Float.isNaN(v)) {
                                max = v;
                                arg = iy * w + ix;
                            }
                        }
                    }
                    int o = (p * oh + oy) * ow + ox;
                    values[o] = max;
                    indices[o] = arg;
                }
            }
        }
        return new Object[] {values, indices};
    }
}

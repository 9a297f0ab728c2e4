package dev.kiln.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import dev.kiln.testing.KilnTest;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** ReLU's gradient kernel ({@code threshold_backward}) on the values where the rule matters: zeros, NaN, inf. */
class ReluGradientSpecialValuesTest extends KilnTest {
    /**
     * ReLU's gradient zeroes exactly where the output is {@code <= 0}: torch 1.13's
     * {@code threshold_backward(arange(1, 11), y, 0)} for {@code y} = +0, -0, NaN, -NaN, +inf, -inf, +-min subnormal,
     * +-1 is {@code [0, 0, 3, 4, 5, 0, 7, 0, 9, 0]} (a NaN output passes the gradient on). Checked on the dense int-tile
     * path (with the specials spread across tiles), the strided path and the float64 scalar path.
     */
    @ParameterizedTest(name = "path={0}")
    @ValueSource(strings = {"dense", "strided", "float64"})
    void reluGradientFollowsPyTorchOnSpecialValues(String path) {
        float[] y = {0f, -0f, Float.NaN, Float.intBitsToFloat(0xFFC00000), Float.POSITIVE_INFINITY,
            Float.NEGATIVE_INFINITY, Float.MIN_VALUE, -Float.MIN_VALUE, 1f, -1f};
        float[] expected = {0, 0, 3, 4, 5, 0, 7, 0, 9, 0};
        int reps = path.equals("dense") ? 250 : 1; // 2,500 elements: three tiles, specials at every offset mod 10
        float[] ys = new float[y.length * reps];
        float[] gs = new float[ys.length];
        for (int i = 0; i < ys.length; i++) {
            ys[i] = y[i % y.length];
            gs[i] = i % y.length + 1;
        }
        Tensor out = Tensor.of(ys);
        Tensor g = Tensor.of(gs);
        if (path.equals("strided")) {
            out = Tensor.zeros(ys.length, 2).select(1, 0).add(out);
            g = Tensor.zeros(ys.length, 3).select(1, 2).add(g);
        } else if (path.equals("float64")) {
            out = out.to(DType.FLOAT64);
            g = g.to(DType.FLOAT64);
        }
        float[] r = Pointwise.thresholdBackward(g, out).to(DType.FLOAT32).toFloatArray();
        for (int i = 0; i < r.length; i++) {
            assertEquals(expected[i % y.length], r[i], 0f, "element " + i + ", y = " + ys[i]);
        }
    }
}

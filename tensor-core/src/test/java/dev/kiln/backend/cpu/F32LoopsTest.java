package dev.kiln.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Generator;
import dev.kiln.tensor.Tensor;
import dev.kiln.testing.KilnTest;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The tiled float32 fast paths give bit-identical results to the scalar definitions, on dense rows of lengths
 * around the tile size and on strided views, including relu's NaN and -0 cases.
 */
class F32LoopsTest extends KilnTest {
    private final Generator gen = new Generator(3);

    @ParameterizedTest(name = "n={0}")
    @ValueSource(ints = {1, 1023, 1024, 1025, 3000, 200_000})
    void denseBinaryAndUnaryMatchScalarMath(int n) {
        Tensor a = Tensor.randn(new long[] {n}, DType.FLOAT32, gen);
        Tensor b = Tensor.randn(new long[] {n}, DType.FLOAT32, gen).add(0.5);
        float[] x = a.toFloatArray();
        float[] y = b.toFloatArray();
        float[] sum = a.add(b).toFloatArray();
        float[] diff = a.sub(b).toFloatArray();
        float[] prod = a.mul(b).toFloatArray();
        float[] quot = a.div(b).toFloatArray();
        float[] relu = a.relu().toFloatArray();
        float[] neg = a.neg().toFloatArray();
        for (int i = 0; i < n; i++) {
            assertEquals(x[i] + y[i], sum[i], 0f);
            assertEquals(x[i] - y[i], diff[i], 0f);
            assertEquals(x[i] * y[i], prod[i], 0f);
            assertEquals(x[i] / y[i], quot[i], 0f);
            assertEquals(x[i] > 0 ? x[i] : 0f, relu[i], 0f);
            assertEquals(-x[i], neg[i], 0f);
        }
    }

    @ParameterizedTest(name = "n={0}")
    @ValueSource(ints = {3, 700})
    void stridedViewsUseTheScalarPathWithTheSameResults(int n) {
        Tensor m = Tensor.randn(new long[] {n, 4}, DType.FLOAT32, gen);
        Tensor col = m.select(1, 1); // stride 4 elements
        float[] x = col.contiguous().toFloatArray();
        float[] y = m.select(1, 2).contiguous().toFloatArray();
        float[] sum = col.add(m.select(1, 2)).toFloatArray();
        float[] relu = col.relu().toFloatArray();
        for (int i = 0; i < n; i++) {
            assertEquals(x[i] + y[i], sum[i], 0f);
            assertEquals(Math.max(x[i], 0f), relu[i], 0f);
        }
    }

    @ParameterizedTest(name = "dense={0}")
    @ValueSource(booleans = {true, false})
    void reluKeepsNaNAndMapsNegativeZeroToZero(boolean dense) {
        Tensor in = Tensor.of(Float.NaN, -0f, 0f, -1f, 2f, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, -1e-30f);
        Tensor src = dense ? in : Tensor.zeros(8, 2).select(1, 0).add(in);
        float[] r = src.relu().toFloatArray();
        assertEquals(Float.NaN, r[0]);
        assertEquals(Float.floatToRawIntBits(0f), Float.floatToRawIntBits(r[1]), "-0 must become +0");
        assertEquals(0f, r[2]);
        assertEquals(0f, r[3]);
        assertEquals(2f, r[4]);
        assertEquals(0f, r[5]);
        assertEquals(Float.POSITIVE_INFINITY, r[6]);
        assertEquals(0f, r[7]);
    }

    @org.junit.jupiter.api.Test
    void thresholdKeepMaskMatchesTheFloatRuleOnEveryBitPatternClass() {
        int[] samples = {0, 0x80000000, 1, 0x80000001, 0x007FFFFF, 0x807FFFFF, 0x3F800000, 0xBF800000, 0x7F7FFFFF,
            0xFF7FFFFF, 0x7F800000, 0xFF800000, 0x7F800001, 0xFF800001, 0x7FC00000, 0xFFC00000, 0x7FFFFFFF, 0xFFFFFFFF};
        for (int bits : samples) {
            float y = Float.intBitsToFloat(bits);
            assertEquals(y <= 0 ? 0 : -1, F32MaskLoops.thresholdKeep(bits), "bits 0x" + Integer.toHexString(bits));
        }
    }
}

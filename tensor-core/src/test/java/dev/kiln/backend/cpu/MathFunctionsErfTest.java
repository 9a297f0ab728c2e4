package dev.kiln.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import dev.kiln.testing.Golden;
import dev.kiln.testing.KilnTest;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link MathFunctions#erf} against mpmath (40 digits, {@code gen_erf_mpmath.py}): within 1 ulp of the exact value
 * at every float64 point (dense in [-6, 6], tiny and subnormal arguments, both sides of every switch point, large
 * arguments), correctly rounded float32 through {@code Tensor.erf}, and the IEEE edge cases exactly.
 */
class MathFunctionsErfTest extends KilnTest {
    private static final Golden REF = Golden.load("/dev/kiln/backend/erf_mpmath.txt", "gen_erf_mpmath.py");
    /** Range edges for the error report: subnormal, tiny, then the implementation's intervals, then erf = +-1. */
    private static final double[] EDGES = {0, Double.MIN_NORMAL, 0x1p-28, 0.75, 1.25, 2, 3, 6,
        Double.POSITIVE_INFINITY};

    /** Error of {@code got} in ulps of the exact value {@code hi + frac * ulp(hi)}. */
    static double ulpError(double got, double hi, double frac) {
        double ulp = Math.ulp(hi);
        double err = (got - hi) / ulp - frac; // got - hi is exact for nearby values
        // Just below a power of two the spacing halves: measure in the exact value's own ulps.
        boolean powerOfTwo = hi != 0 && Math.getExponent(hi) > Double.MIN_EXPONENT
                && hi == Math.scalb(Math.signum(hi), Math.getExponent(hi));
        return Math.abs(powerOfTwo && frac < 0 ? 2 * err : err);
    }

    @Test
    void float64WithinOneUlpOfMpmathEverywhere() {
        double[] x = REF.values("f64.x");
        double[] hi = REF.values("f64.hi");
        double[] frac = REF.values("f64.frac");
        int ranges = EDGES.length - 1;
        double[] max = new double[ranges];
        double[] sum = new double[ranges];
        double[] worstAt = new double[ranges];
        int[] count = new int[ranges];
        for (int i = 0; i < x.length; i++) {
            if (Double.isNaN(x[i])) {
                continue;
            }
            double e = ulpError(MathFunctions.erf(x[i]), hi[i], frac[i]);
            int r = range(Math.abs(x[i]));
            count[r]++;
            sum[r] += e;
            if (e > max[r]) {
                max[r] = e;
                worstAt[r] = x[i];
            }
        }
        List<String> report = new ArrayList<>();
        double worst = 0;
        for (int r = 0; r < ranges; r++) {
            report.add(String.format("|x| in [%s, %s): %d points, max %.3f ulp (at %s), mean %.3f ulp", EDGES[r],
                    EDGES[r + 1], count[r], max[r], worstAt[r], count[r] == 0 ? 0 : sum[r] / count[r]));
            worst = Math.max(worst, max[r]);
        }
        System.out.println("MathFunctions.erf vs mpmath:\n  " + String.join("\n  ", report));
        assertTrue(worst <= 1, "erf is more than 1 ulp off:\n  " + String.join("\n  ", report));
    }

    private static int range(double ax) {
        for (int r = 0; r < EDGES.length - 2; r++) {
            if (ax < EDGES[r + 1]) {
                return r;
            }
        }
        return EDGES.length - 2;
    }

    @Test
    void float32IsCorrectlyRoundedThroughTensorErf() {
        double[] x = REF.values("f32.x");
        double[] want = REF.values("f32.erf");
        float[] in = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            in[i] = (float) x[i];
        }
        float[] got;
        try (Tensor t = Tensor.of(in); Tensor e = t.erf()) {
            assertEquals(DType.FLOAT32, e.dtype());
            got = e.toFloatArray();
        }
        List<String> wrong = new ArrayList<>();
        for (int i = 0; i < x.length; i++) {
            if (Float.floatToIntBits(got[i]) != Float.floatToIntBits((float) want[i])) {
                wrong.add("erf(" + in[i] + "f) = " + got[i] + ", want " + (float) want[i]);
            }
        }
        assertTrue(wrong.isEmpty(), wrong.size() + " of " + x.length + " float32 results are not correctly rounded: "
                + wrong.subList(0, Math.min(10, wrong.size())));
    }

    @Test
    void signedZerosInfinitiesNaNAndOddSymmetry() {
        assertEquals(Double.doubleToRawLongBits(0.0), Double.doubleToRawLongBits(MathFunctions.erf(0.0)));
        assertEquals(Double.doubleToRawLongBits(-0.0), Double.doubleToRawLongBits(MathFunctions.erf(-0.0)));
        assertEquals(1.0, MathFunctions.erf(Double.POSITIVE_INFINITY));
        assertEquals(-1.0, MathFunctions.erf(Double.NEGATIVE_INFINITY));
        assertTrue(Double.isNaN(MathFunctions.erf(Double.NaN)));
        assertEquals(1.0, MathFunctions.erf(6.0));
        assertEquals(1.0, MathFunctions.erf(Double.MAX_VALUE));
        assertEquals(Double.MIN_VALUE, MathFunctions.erf(Double.MIN_VALUE)); // 2/sqrt(pi) * 2^-1074 rounds to 2^-1074
        for (double v : REF.values("f64.x")) {
            assertEquals(Double.doubleToRawLongBits(-MathFunctions.erf(v)),
                    Double.doubleToRawLongBits(MathFunctions.erf(-v)), () -> "erf(-x) != -erf(x) at x = " + v);
        }
    }
}

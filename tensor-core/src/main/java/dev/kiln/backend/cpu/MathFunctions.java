package dev.kiln.backend.cpu;

/** Scalar special functions the JDK lacks, accurate to double precision (needed for float64 gradchecks). */
public final class MathFunctions {
    /** 2^54 and 2^-54: subnormal arguments are scaled into the normal range so {@code x P} keeps its bits. */
    private static final double TWO_54 = 0x1p54;
    private static final double TWO_MINUS_54 = 0x1p-54;

    // Polynomials (highest degree first) from src/test/python/fit_erf_coefficients.py: Chebyshev interpolation of
    // erf at 40 digits with mpmath, rounded to double. The interval split follows fdlibm's s_erf.c and W. J. Cody,
    // "Rational Chebyshev approximations for the error function", Math. Comp. 23 (1969); the polynomials are ours.
    /** P(t), t = x^2 in [0, 0.75^2]: degree 11, max error 1.2e-17 */
    private static final double[] SMALL = {
        -9.502840894774706e-10, 1.4413879289095029e-08, -1.63332293434337e-07, 1.646038320985815e-06,
        -1.4925589383821143e-05, 0.00012055331545294116, -0.0008548327001135946, 0.005223977625222192,
        -0.026866170645118446, 0.11283791670955087, -0.37612638903183754, 0.1283791670955126
    };
    /** erf(1) rounded to double. */
    private static final double ERF_ONE = 0.8427007929497149;
    /** Q(s), s = |x| - 1 in [-0.25, 0.25]: degree 14, max error 6.5e-18 */
    private static final double[] NEAR_ONE = {
        2.3223403690206044e-05, 1.7460309704996226e-05, -0.0002000099255644986, 8.564092990878897e-05,
        0.001226285424406479, -0.0018851939338077092, -0.00477703066919661, 0.015154718301776353,
        0.004612305526172784, -0.06918458290529376, 0.06918458290343663, 0.13836916580687567, -0.4151074974205947,
        0.41510749742059466, -2.4801011789118602e-17
    };
    /** F(m + s) for |x| in [1.25, 2.0), m = 1.625: degree 13, max error 2.6e-17 */
    private static final double[] TAIL0 = {
        -3.800687020466049e-07, 1.3512787165173065e-06, -4.4930669928436464e-06, 1.5099518336215553e-05,
        -4.927939871192791e-05, 0.00015562644275927165, -0.000474647565976947, 0.0013938042459434039,
        -0.00392619850073242, 0.010561485442423916, -0.026977910093249322, 0.06496207478417834,
        -0.14603023666418335, 0.30226120936348594
    };
    /** F(m + s) for |x| in [2.0, 3.0), m = 2.5: degree 13, max error 4e-17 */
    private static final double[] TAIL1 = {
        -1.696411408635626e-08, 7.05750661898197e-08, -2.726770726930534e-07, 1.0840311055681113e-06,
        -4.214343130963489e-06, 1.596205712687532e-05, -5.886896055724396e-05, 0.00021101980639242626,
        -0.0007335909373117802, 0.0024670368164479654, -0.008001569382098908, 0.024937997086645233,
        -0.07434734678979468, 0.21080636406114361
    };
    /** F(m + s) for |x| in [3.0, 6.0), m = 4.5: degree 15, max error 9.7e-15 */
    private static final double[] TAIL2 = {
        -2.166239027063042e-12, 1.2752347155665385e-11, -5.470596250566415e-11, 3.1183804259638267e-10,
        -1.8259813431827113e-09, 1.0161728654988694e-08, -5.5646832401511234e-08, 3.0110268308105365e-07,
        -1.6054992914112449e-06, 8.42925566083678e-06, -4.355082792216068e-05, 0.00022126645066794002,
        -0.0011045761168586993, 0.005413125435026951, -0.026015928630938604, 0.12248480427383412
    };

    private MathFunctions() {
    }

    /**
     * The error function {@code erf(x) = 2/sqrt(pi) int_0^x e^{-t^2} dt}, within 1 ulp of the exact value
     * (MathFunctionsErfTest measures it against mpmath). erf(+-0) = +-0, erf(+-inf) = +-1, NaN stays NaN, and
     * erf(-x) = -erf(x) exactly.
     *
     * <p>{@code |x| < 0.75}: {@code x + x P(x^2)} (the small correction {@code x P} carries the rounding error);
     * up to 1.25: {@code erf(1) + Q(|x| - 1)}; up to 6: {@code 1 - exp(-x^2) F(|x|)} with {@code F = erfc e^{x^2}}
     * smooth and slowly varying, so erfc's relative error (a few ulps) shrinks with erfc against the result's ulp;
     * from 6 on erfc is below half an ulp of 1 and the result is +-1.
     */
    public static double erf(double x) {
        if (Double.isNaN(x)) {
            return x;
        }
        double ax = Math.abs(x);
        double r;
        if (ax < 0.75) {
            r = ax < 0x1p-1000 ? small(ax * TWO_54) * TWO_MINUS_54 : small(ax);
        } else if (ax < 1.25) {
            r = ERF_ONE + horner(NEAR_ONE, ax - 1);
        } else if (ax < 6) {
            // x*x's rounding moves erfc by at most erfc * x^2 * 2^-53, under 0.06 ulp of the result here, so
            // x^2 needs no exact split (which erfc alone would)
            r = 1 - Math.exp(-ax * ax) * tail(ax);
        } else {
            r = 1;
        }
        return Math.copySign(r, x); // odd, and -0 keeps its sign
    }

    /** erf(a) for 0 <= a < 0.75: a + a P(a^2). */
    private static double small(double a) {
        return a + a * horner(SMALL, a * a);
    }

    /** erfc(a) e^{a^2} for 1.25 <= a < 6, on the interval's own polynomial around its middle. */
    private static double tail(double a) {
        if (a < 2) {
            return horner(TAIL0, a - 1.625);
        }
        return a < 3 ? horner(TAIL1, a - 2.5) : horner(TAIL2, a - 4.5);
    }

    /** c[0] s^n + c[1] s^(n-1) + ... + c[n]. */
    private static double horner(double[] c, double s) {
        double p = c[0];
        for (int i = 1; i < c.length; i++) {
            p = p * s + c[i];
        }
        return p;
    }
}

package dev.kiln.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.tensor.Shapes;
import dev.kiln.tensor.Tensor;

/** Tensor assertions with messages that show shapes and values. */
public final class Assertions {
    private Assertions() {
    }

    public static void assertShape(Tensor t, long... expected) {
        assertArrayEquals(expected, t.shape(), () -> "shape " + Shapes.str(t.shape()) + " != " + Shapes.str(expected));
    }

    public static void assertClose(Tensor t, double tol, double... expected) {
        double[] got = t.toDoubleArray();
        assertEquals(expected.length, got.length, "element count of " + t);
        for (int i = 0; i < got.length; i++) {
            double e = expected[i];
            if (Double.isNaN(e)) {
                if (!Double.isNaN(got[i])) {
                    throw new AssertionError("element " + i + ": expected NaN, got " + got[i] + " in " + t);
                }
                continue;
            }
            if (Math.abs(got[i] - e) > tol * Math.max(1, Math.abs(e))) {
                throw new AssertionError("element " + i + ": expected " + e + ", got " + got[i] + " in " + t);
            }
        }
    }

    public static void assertValues(Tensor t, double... expected) {
        assertClose(t, 1e-6, expected);
    }
}

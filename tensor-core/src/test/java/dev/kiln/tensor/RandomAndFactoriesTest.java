package dev.kiln.tensor;

import static dev.kiln.testing.Assertions.assertShape;
import static dev.kiln.testing.Assertions.assertValues;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.Kiln;
import dev.kiln.testing.KilnTest;
import org.junit.jupiter.api.Test;

/** Factories: constants, ranges, seeded random draws and their statistics. */
class RandomAndFactoriesTest extends KilnTest {

    @Test
    void manualSeedMakesDrawsReproducible() {
        Kiln.manualSeed(42);
        float[] a = Tensor.randn(100).toFloatArray();
        Kiln.manualSeed(42);
        float[] b = Tensor.randn(100).toFloatArray();
        assertArrayEquals(a, b);
        assertNotEquals(a[0], Tensor.randn(1).toFloatArray()[0]);
    }

    @Test
    void generatorStateRoundTrips() {
        Generator g = new Generator(7);
        Tensor.rand(new long[] {10}, DType.FLOAT32, g);
        long[] state = g.getState();
        double[] first = Tensor.rand(new long[] {5}, DType.FLOAT64, g).toDoubleArray();
        g.setState(state);
        assertArrayEquals(first, Tensor.rand(new long[] {5}, DType.FLOAT64, g).toDoubleArray());
    }

    @Test
    void distributionsHaveTheRightMoments() {
        Generator g = new Generator(1);
        double[] u = Tensor.rand(new long[] {200_000}, DType.FLOAT64, g).toDoubleArray();
        double[] n = Tensor.randn(new long[] {200_000}, DType.FLOAT64, g).toDoubleArray();
        assertEquals(0.5, mean(u), 0.005);
        assertEquals(1.0 / 12, variance(u), 0.002);
        assertEquals(0.0, mean(n), 0.01);
        assertEquals(1.0, variance(n), 0.01);
        for (double x : u) {
            assertTrue(x >= 0 && x < 1);
        }
        long[] ints = Tensor.randint(-3, 4, new long[] {10_000}, g).toLongArray();
        long[] counts = new long[7];
        for (long v : ints) {
            assertTrue(v >= -3 && v < 4, "randint out of range: " + v);
            counts[(int) (v + 3)]++;
        }
        for (long c : counts) {
            assertEquals(10_000 / 7.0, c, 200);
        }
    }

    @Test
    void constantsAndRanges() {
        assertValues(Tensor.zeros(2, 2), 0, 0, 0, 0);
        assertValues(Tensor.ones(DType.INT32, 3), 1, 1, 1);
        assertValues(Tensor.full(new long[] {2}, 2.5), 2.5, 2.5);
        assertValues(Tensor.eye(3), 1, 0, 0, 0, 1, 0, 0, 0, 1);
        Tensor r = Tensor.arange(5);
        assertEquals(DType.INT64, r.dtype());
        assertValues(r, 0, 1, 2, 3, 4);
        assertValues(Tensor.arange(0, 1, 0.25), 0, 0.25, 0.5, 0.75);
        assertValues(Tensor.linspace(-1, 1, 5), -1, -0.5, 0, 0.5, 1);
        assertShape(Tensor.scalar(3));
        assertEquals(3, Tensor.scalar(3).item());
        Tensor like = Tensor.onesLike(Tensor.zeros(DType.FLOAT64, 2, 3));
        assertEquals(DType.FLOAT64, like.dtype());
        assertShape(like, 2, 3);
        assertThrows(IllegalArgumentException.class, () -> Tensor.arange(0, 5, 0));
        assertThrows(IllegalArgumentException.class, () -> Tensor.randint(3, 3, 2));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(2, -1));
        assertTrue(e.getMessage().contains("negative dimension"), e.getMessage());
    }

    private static double mean(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x;
        }
        return s / v.length;
    }

    private static double variance(double[] v) {
        double m = mean(v);
        double s = 0;
        for (double x : v) {
            s += (x - m) * (x - m);
        }
        return s / (v.length - 1);
    }
}

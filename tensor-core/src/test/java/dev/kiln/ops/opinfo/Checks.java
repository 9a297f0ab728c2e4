package dev.kiln.ops.opinfo;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Shapes;
import dev.kiln.tensor.Tensor;
import java.util.Arrays;

/** Comparisons shared by the table's harnesses; every failure names the sample, the tensor and the element. */
final class Checks {
    private Checks() {
    }

    /**
     * Reference tolerance for results computed in {@code dtype} against a float64 reference. For float16 and
     * bfloat16 it covers the rounding of the inputs to the type (the float64 reference sees the unrounded ones) plus
     * the rounding of each op's result, over the table's sums of up to a few dozen products: a few ulps of the type
     * (2^-11 and 2^-8 relative). PyTorch's own half results are compared with PyTorch's tolerances in
     * {@code HalfPrecisionTest}.
     */
    static double tol(DType dtype) {
        return switch (dtype) {
            case FLOAT64 -> 1e-10;
            case FLOAT16 -> 3e-3;
            case BFLOAT16 -> 3e-2;
            default -> 2e-5;
        };
    }

    /** {@code |got - expected| <= tol * max(1, |expected|)} elementwise, NaN only where NaN is expected. */
    static void assertClose(String what, Tensor got, long[] shape, double[] expected, double tol) {
        if (!Arrays.equals(shape, got.shape())) {
            throw new AssertionError(what + ": shape " + Shapes.str(got.shape()) + ", expected " + Shapes.str(shape));
        }
        double[] g = got.contiguous().toDoubleArray();
        for (int i = 0; i < g.length; i++) {
            double e = expected[i];
            boolean ok = Double.isNaN(e) ? Double.isNaN(g[i])
                    : g[i] == e || Math.abs(g[i] - e) <= tol * Math.max(1, Math.abs(e));
            if (!ok) {
                throw new AssertionError(what + ": element " + i + " is " + g[i] + ", expected " + e + " (tolerance "
                        + tol + ")");
            }
        }
    }

    /**
     * {@code f32} against {@code f64} rounded to float32, at most {@code ulps} float32 ulps apart (0: the same bits;
     * every NaN counts as the same NaN). Integer results must be equal.
     */
    static void assertFloat32Matches(String what, Tensor f32, Tensor f64, int ulps) {
        if (!Arrays.equals(f32.shape(), f64.shape())) {
            throw new AssertionError(what + ": float32 shape " + Shapes.str(f32.shape()) + " vs float64 "
                    + Shapes.str(f64.shape()));
        }
        if (!f64.dtype().isFloatingPoint()) {
            if (!Arrays.equals(f32.contiguous().toLongArray(), f64.contiguous().toLongArray())) {
                throw new AssertionError(what + ": integer results differ between float32 and float64 inputs");
            }
            return;
        }
        if (f32.dtype() != DType.FLOAT32) {
            throw new AssertionError(what + ": float32 inputs gave " + f32.dtype().torchName());
        }
        double[] a = f32.contiguous().toDoubleArray();
        double[] b = f64.contiguous().toDoubleArray();
        for (int i = 0; i < a.length; i++) {
            float x = (float) a[i];
            float y = (float) b[i];
            long apart = Math.abs(ordered(x) - ordered(y));
            boolean same = Float.floatToIntBits(x) == Float.floatToIntBits(y);
            if (!same && (ulps == 0 || Float.isNaN(x) || Float.isNaN(y) || apart > ulps)) {
                throw new AssertionError(what + " at " + i + ": float32 " + x + " vs float64 " + b[i] + " (as float32 "
                        + y + ", " + apart + " ulps apart, allowed " + ulps + ")");
            }
        }
    }

    /** Maps float bits to integers that are consecutive for adjacent floats (so ulp distances subtract). */
    private static long ordered(float f) {
        int bits = Float.floatToIntBits(f);
        return bits >= 0 ? bits : (long) Integer.MIN_VALUE - bits;
    }
}

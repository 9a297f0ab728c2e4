package dev.kiln.nn.utils;

import dev.kiln.autograd.Autograd;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * Gradient clipping, like {@code torch.nn.utils.clip_grad_norm_} and {@code clip_grad_value_}: both edit the
 * parameters' {@code .grad} in place and skip parameters without one.
 */
public final class ClipGrad {
    private ClipGrad() {
    }

    /** {@link #clipGradNorm_(Iterable, double, double, boolean)} with the 2-norm, not failing on non-finite norms. */
    public static Tensor clipGradNorm_(Iterable<Tensor> parameters, double maxNorm) {
        return clipGradNorm_(parameters, maxNorm, 2.0, false);
    }

    /**
     * Scales all gradients together so their joint norm is at most {@code maxNorm}, as PyTorch does:
     * <pre>
     * total = || (||g_1||_p, ..., ||g_n||_p) ||_p        (p = inf: max |g|)
     * coef  = min(1, max_norm / (total + 1e-6));   g_i = g_i * coef
     * </pre>
     * Norms are accumulated in float64 (PyTorch uses the gradients' dtype). Returns {@code total} as a scalar
     * tensor of the first gradient's dtype (float32 {@code 0} when no parameter has a gradient).
     *
     * @param normType p &gt; 0, or {@code Double.POSITIVE_INFINITY}
     * @param errorIfNonfinite throw instead of scaling when {@code total} is NaN or infinite
     */
    public static Tensor clipGradNorm_(Iterable<Tensor> parameters, double maxNorm, double normType,
                                       boolean errorIfNonfinite) {
        if (!(normType > 0)) {
            throw new IllegalArgumentException("clip_grad_norm_ supports norm_type > 0 or inf, got " + normType);
        }
        List<Tensor> grads = grads(parameters);
        if (grads.isEmpty()) {
            return Tensor.scalar(0.0, DType.FLOAT32);
        }
        double[] norms = new double[grads.size()];
        for (int i = 0; i < norms.length; i++) {
            norms[i] = vectorNorm(grads.get(i).toDoubleArray(), normType);
        }
        double total = vectorNorm(norms, normType);
        if (errorIfNonfinite && !Double.isFinite(total)) {
            throw new IllegalStateException("The total norm of order " + pyFloat(normType) + " for gradients from "
                    + "`parameters` is non-finite, so it cannot be clipped. To disable this error and scale the "
                    + "gradients by the non-finite norm anyway, set `error_if_nonfinite=False`");
        }
        double coef = Math.min(1.0, maxNorm / (total + 1e-6));
        if (coef != 1.0) { // PyTorch multiplies by the clamped 1.0 too; x * 1.0 == x, so skipping is exact
            try (var noGrad = Autograd.noGrad()) {
                for (Tensor g : grads) {
                    g.mul_(coef);
                }
            }
        }
        return Tensor.scalar(total, grads.get(0).dtype());
    }

    /** Clamps every gradient element into {@code [-clipValue, clipValue]}, like {@code clip_grad_value_}. */
    public static void clipGradValue_(Iterable<Tensor> parameters, double clipValue) {
        if (Double.isNaN(clipValue)) {
            throw new IllegalArgumentException("clip_value must be a number, got NaN");
        }
        try (var noGrad = Autograd.noGrad()) {
            for (Tensor g : grads(parameters)) {
                g.clamp_(-clipValue, clipValue);
            }
        }
    }

    private static List<Tensor> grads(Iterable<Tensor> parameters) {
        List<Tensor> out = new ArrayList<>();
        for (Tensor p : parameters) {
            if (p.grad() != null) {
                out.add(p.grad());
            }
        }
        return out;
    }

    /** {@code (sum |x|^p)^(1/p)}, or {@code max |x|} for p = inf; NaN propagates. */
    static double vectorNorm(double[] x, double p) {
        double acc = 0;
        for (double v : x) {
            double a = Math.abs(v);
            if (Double.isNaN(a)) {
                return Double.NaN;
            }
            acc = p == Double.POSITIVE_INFINITY ? Math.max(acc, a) : p == 2 ? acc + a * a : p == 1 ? acc + a
                    : acc + Math.pow(a, p);
        }
        if (p == Double.POSITIVE_INFINITY || p == 1) {
            return acc;
        }
        return p == 2 ? Math.sqrt(acc) : Math.pow(acc, 1 / p);
    }

    /** Python's float repr for the error text ({@code 2.0}, {@code inf}). */
    private static String pyFloat(double v) {
        return v == Double.POSITIVE_INFINITY ? "inf" : Double.toString(v);
    }
}

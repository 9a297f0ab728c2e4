package dev.kiln.nn.utils;

import dev.kiln.autograd.Autograd;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
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
     * Scales all gradients together so their joint norm is at most {@code maxNorm}, exactly as PyTorch 1.13 does,
     * with tensor ops on the gradients' own device and dtype (no copy to the host):
     * <pre>
     * total = || (||g_1||_p, ..., ||g_n||_p) ||_p       (p = inf: max_i max |g_i|)
     * coef  = min(1, max_norm / (total + 1e-6));   g_i = g_i * coef
     * </pre>
     * {@code ||x||_p} is {@code torch.linalg.vector_norm}: {@code (sum |x|^p)^(1/p)}, {@code max |x|} for
     * {@code p = inf}, {@code min |x|} for {@code -inf}, the count of non-zeros for {@code 0}. Returns {@code total}
     * as a 0-d tensor of the gradients' (promoted) dtype, or float32 {@code 0} when no parameter has a gradient.
     *
     * @param normType any p but NaN, or {@code Double.POSITIVE_INFINITY}
     * @param errorIfNonfinite throw instead of scaling when {@code total} is NaN or infinite (the only check that
     *                         reads the norm back to the host)
     */
    public static Tensor clipGradNorm_(Iterable<Tensor> parameters, double maxNorm, double normType,
                                       boolean errorIfNonfinite) {
        if (Double.isNaN(normType)) {
            throw new IllegalArgumentException("clip_grad_norm_ got norm_type NaN; expected a number or inf");
        }
        List<Tensor> grads = grads(parameters);
        if (grads.isEmpty()) {
            return Tensor.scalar(0.0, DType.FLOAT32);
        }
        Tensor total;
        try (var noGrad = Autograd.noGrad(); var scope = TensorScope.open()) {
            List<Tensor> norms = new ArrayList<>();
            for (Tensor g : grads) {
                norms.add(normType == Double.POSITIVE_INFINITY ? g.abs().max() : vectorNorm(g, normType));
            }
            Tensor stacked = Tensor.stack(norms, 0);
            total = TensorScope.keep(normType == Double.POSITIVE_INFINITY ? stacked.max()
                    : vectorNorm(stacked, normType));
            if (errorIfNonfinite && !Double.isFinite(total.item())) {
                throw new IllegalStateException("The total norm of order " + pyFloat(normType) + " for gradients from "
                        + "`parameters` is non-finite, so it cannot be clipped. To disable this error and scale the "
                        + "gradients by the non-finite norm anyway, set `error_if_nonfinite=False`");
            }
            Tensor coef = Tensor.scalar(maxNorm, total.dtype()).div(total.add(1e-6)).clampMax(1.0);
            for (Tensor g : grads) {
                g.mul_(coef); // by 1.0 too, as PyTorch: exact, and no host read to decide
            }
        }
        return total;
    }

    /** {@code torch.linalg.vector_norm(x, p)} over all elements, as a 0-d tensor of {@code x}'s dtype. */
    static Tensor vectorNorm(Tensor x, double p) {
        if (p == Double.POSITIVE_INFINITY) {
            return x.abs().max();
        }
        if (p == Double.NEGATIVE_INFINITY) {
            return x.abs().min();
        }
        if (p == 0) {
            return x.ne(0).to(x.dtype()).sum();
        }
        if (p == 1) {
            return x.abs().sum();
        }
        if (p == 2) {
            return x.mul(x).sum().sqrt();
        }
        return x.abs().pow(p).sum().pow(1 / p);
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

    /** Python's float repr for the error text ({@code 2.0}, {@code inf}). */
    private static String pyFloat(double v) {
        return v == Double.POSITIVE_INFINITY ? "inf" : v == Double.NEGATIVE_INFINITY ? "-inf" : Double.toString(v);
    }
}

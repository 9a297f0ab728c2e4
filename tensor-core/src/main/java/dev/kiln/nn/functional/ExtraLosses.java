package dev.kiln.nn.functional;

import dev.kiln.amp.Autocast;
import dev.kiln.tensor.Tensor;
import java.util.Arrays;

/**
 * Smooth L1, Huber and Kullback-Leibler losses with PyTorch's formulas, options and messages
 * ({@code torch/nn/functional.py}, {@code aten/src/ATen/native/Loss.cpp}); composed of differentiable ops. The
 * core losses are in {@link Losses}.
 */
public final class ExtraLosses {
    private ExtraLosses() {
    }

    /**
     * {@code 0.5 d^2 / beta if |d| < beta else |d| - 0.5 beta} with {@code d = x - y}, like
     * {@code F.smooth_l1_loss}; {@code beta = 0} is exactly L1.
     */
    public static Tensor smoothL1(Tensor input, Tensor target, Reduction reduction, double beta) {
        if (Autocast.anyOpen()) { // the op's compute dtype under autocast (PyTorch's op lists)
            Tensor cast = Autocast.apply("smooth_l1_loss", c -> smoothL1(c[0], c[1], reduction, beta), input, target);
            if (cast != null) {
                return cast;
            }
        }
        if (!(beta >= 0)) {
            throw new IllegalArgumentException("smooth_l1_loss does not support negative values for beta.");
        }
        warnIfBroadcast(input, target, "smooth_l1_loss");
        Tensor d = input.sub(target);
        Tensor abs = d.abs();
        if (beta == 0) {
            return reduction.apply(abs);
        }
        Tensor quadratic = d.mul(d).mul(0.5 / beta);
        return reduction.apply(Tensor.where(abs.lt(beta), quadratic, abs.sub(0.5 * beta)));
    }

    /**
     * {@code 0.5 d^2 if |d| <= delta else delta (|d| - 0.5 delta)}, like {@code F.huber_loss}; equals
     * {@code delta * smoothL1(beta = delta)}.
     */
    public static Tensor huber(Tensor input, Tensor target, Reduction reduction, double delta) {
        if (Autocast.anyOpen()) { // the op's compute dtype under autocast (PyTorch's op lists)
            Tensor cast = Autocast.apply("huber_loss", c -> huber(c[0], c[1], reduction, delta), input, target);
            if (cast != null) {
                return cast;
            }
        }
        if (!(delta > 0)) {
            throw new IllegalArgumentException("huber_loss does not support non-positive values for delta.");
        }
        warnIfBroadcast(input, target, "huber_loss");
        Tensor d = input.sub(target);
        Tensor abs = d.abs();
        Tensor linear = abs.sub(0.5 * delta).mul(delta);
        return reduction.apply(Tensor.where(abs.le(delta), d.mul(d).mul(0.5), linear));
    }

    /**
     * Kullback-Leibler divergence with {@code input} as log-probabilities, like {@code F.kl_div}:
     * {@code xlogy(y, y) - y * x} (so {@code y = 0} contributes 0), or with {@code logTarget}
     * {@code exp(y) * (y - x)}. Reductions: {@code "none"}, {@code "sum"}, {@code "mean"} (over all elements,
     * which is not the true KL; PyTorch warns), {@code "batchmean"} ({@code sum / input.size(0)}, the KL
     * divergence per sample).
     */
    public static Tensor klDiv(Tensor input, Tensor target, String reduction, boolean logTarget) {
        if (Autocast.anyOpen()) { // the op's compute dtype under autocast (PyTorch's op lists)
            Tensor cast = Autocast.apply("kl_div", c -> klDiv(c[0], c[1], reduction, logTarget), input, target);
            if (cast != null) {
                return cast;
            }
        }
        if (!Arrays.asList("none", "mean", "sum", "batchmean").contains(reduction)) {
            throw new IllegalArgumentException(reduction + " is not a valid value for reduction");
        }
        Tensor loss;
        if (logTarget) {
            loss = target.exp().mul(target.sub(input));
        } else {
            // NOTE: log of a where-guarded target, so y = 0 gives 0 (not 0 * -inf = NaN) in value and gradient.
            Tensor zero = target.eq(0);
            Tensor safe = Tensor.where(zero, Tensor.ones(target.dtype(), target.device()), target);
            Tensor xlogy = Tensor.where(zero, Tensor.zeros(target.dtype(), target.device()), target.mul(safe.log()));
            loss = xlogy.sub(target.mul(input));
        }
        return switch (reduction) {
            case "none" -> loss;
            case "sum" -> loss.sum();
            case "mean" -> loss.mean();
            default -> input.dim() == 0 ? loss.sum() : loss.sum().div((double) input.size(0));
        };
    }

    public static Tensor klDiv(Tensor input, Tensor target, Reduction reduction, boolean logTarget) {
        return klDiv(input, target, reduction.torchName(), logTarget);
    }

    private static void warnIfBroadcast(Tensor input, Tensor target, String op) {
        if (!Arrays.equals(input.shape(), target.shape())) {
            System.getLogger("dev.kiln.nn").log(System.Logger.Level.WARNING, "Using a target size ("
                    + Losses.torchSize(target) + ") that is different to the input size (" + Losses.torchSize(input)
                    + "). This will likely lead to incorrect results due to broadcasting. Please ensure they have the "
                    + "same size. (" + op + ")");
        }
    }
}

package dev.kiln.nn.functional;

import dev.kiln.amp.Autocast;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Shapes;
import dev.kiln.tensor.Tensor;
import java.util.Arrays;

/**
 * Loss functions with PyTorch's formulas, options and error messages ({@code torch/nn/functional.py},
 * {@code aten/src/ATen/native/LossNLL.cpp}, {@code Loss.cpp}). All are composed of differentiable ops.
 *
 * <p>NOTE: class-index losses pick {@code logp[n, y_n]} with a boolean mask {@code arange(C) == y} and a sum
 * over the class dim instead of {@code gather}. It costs O(N·C), the same as the log-softmax before it, works
 * for any number of spatial dims, and an ignored target matches no class (an {@code ignore_index} that is a real
 * class number is masked out first).
 */
public final class Losses {
    /** PyTorch's default {@code ignore_index}. */
    public static final long DEFAULT_IGNORE_INDEX = -100;

    private Losses() {
    }

    /** {@code (x - y)^2}, reduced. */
    public static Tensor mse(Tensor input, Tensor target, Reduction reduction) {
        if (Autocast.anyOpen()) { // the op's compute dtype under autocast (PyTorch's op lists)
            Tensor cast = Autocast.apply("mse_loss", c -> mse(c[0], c[1], reduction), input, target);
            if (cast != null) {
                return cast;
            }
        }
        warnIfBroadcast(input, target, "mse_loss");
        Tensor d = input.sub(target);
        return reduction.apply(d.mul(d));
    }

    /** {@code |x - y|}, reduced. */
    public static Tensor l1(Tensor input, Tensor target, Reduction reduction) {
        if (Autocast.anyOpen()) { // the op's compute dtype under autocast (PyTorch's op lists)
            Tensor cast = Autocast.apply("l1_loss", c -> l1(c[0], c[1], reduction), input, target);
            if (cast != null) {
                return cast;
            }
        }
        warnIfBroadcast(input, target, "l1_loss");
        return reduction.apply(input.sub(target).abs());
    }

    private static void warnIfBroadcast(Tensor input, Tensor target, String op) {
        if (!Arrays.equals(input.shape(), target.shape())) {
            // PyTorch only warns here; a [N, 1] vs [N] broadcast is a classic silent bug, so say so loudly.
            System.getLogger("dev.kiln.nn").log(System.Logger.Level.WARNING, "Using a target size ("
                    + torchSize(target) + ") that is different to the input size (" + torchSize(input) + "). This will "
                    + "likely lead to incorrect results due to broadcasting. Please ensure they have the same size. ("
                    + op + ")");
        }
    }

    /**
     * Negative log-likelihood of class indices, like {@code F.nll_loss}. For {@code logp [N, C, d...]} (or
     * {@code [C]}) and {@code y [N, d...]} int64: {@code l_n = -w_{y_n} logp[n, y_n]} with {@code w_{y_n} = 0}
     * where {@code y_n == ignoreIndex}; {@code MEAN} is {@code sum(l_n) / sum(w_{y_n})} (a weighted mean, so all
     * ignored gives NaN as in PyTorch), {@code SUM} is {@code sum(l_n)}.
     *
     * @param weight per-class weights {@code [C]} or null for all ones
     */
    public static Tensor nll(Tensor logp, Tensor target, Tensor weight, long ignoreIndex, Reduction reduction) {
        if (Autocast.anyOpen()) { // the op's compute dtype under autocast (PyTorch's op lists)
            Tensor cast = Autocast.apply("nll_loss", c -> nll(c[0], target, c[1], ignoreIndex, reduction),
                    logp, weight);
            if (cast != null) {
                return cast;
            }
        }
        checkClassTarget(logp, target, weight, ignoreIndex);
        int classDim = logp.dim() == 1 ? 0 : 1;
        // The mask is saved by where's backward, so it is left to the enclosing scope rather than closed here.
        Tensor mask = classMask(logp, target, classDim, ignoreIndex);
        Tensor picked = Tensor.where(mask, logp, zero(logp)).sum(classDim);
        Tensor w = sampleWeights(mask, weight, logp, classDim);
        Tensor losses = picked.neg().mul(w);
        return reduction == Reduction.MEAN ? losses.sum().div(w.sum()) : reduction.apply(losses);
    }

    /**
     * Cross entropy of logits, like {@code F.cross_entropy}; {@code logp = logSoftmax(input, classDim)} keeps it
     * stable. Class-index targets (int64, shape {@code [N, d...]}):
     * {@code loss = (1 - eps) * nll(logp, y) + (eps / C) * smooth}, where {@code smooth_n = -sum_c w_c logp[n, c]}
     * (zero for ignored samples), reduced with the same denominator as nll ({@code sum w_{y_n}}) for MEAN.
     * Probability targets (floating, same shape as input): {@code y' = (1 - eps) y + eps / C},
     * {@code l_n = -sum_c w_c y'_nc logp_nc}, MEAN divides by the number of samples.
     */
    public static Tensor crossEntropy(Tensor input, Tensor target, Tensor weight, long ignoreIndex,
                                      Reduction reduction, double labelSmoothing) {
        if (Autocast.anyOpen()) { // the op's compute dtype under autocast (PyTorch's op lists)
            Tensor cast = Autocast.apply("cross_entropy",
                    c -> crossEntropy(c[0], c[1], c[2], ignoreIndex, reduction, labelSmoothing),
                    input, target, weight);
            if (cast != null) {
                return cast;
            }
        }
        if (!(labelSmoothing >= 0 && labelSmoothing <= 1)) {
            throw new IllegalArgumentException("label_smoothing must be between 0.0 and 1.0. Got: " + labelSmoothing);
        }
        int classDim = input.dim() == 1 ? 0 : 1;
        Tensor logp = input.logSoftmax(classDim);
        if (target.dtype().isFloatingPoint() && Arrays.equals(target.shape(), input.shape())) {
            return crossEntropyProbs(logp, target, weight, reduction, labelSmoothing, classDim);
        }
        Tensor nll = nll(logp, target, weight, ignoreIndex, reduction);
        if (labelSmoothing == 0) {
            return nll;
        }
        long c = input.size(classDim);
        Tensor mask = classMask(logp, target, classDim, ignoreIndex);
        Tensor w = sampleWeights(mask, weight, logp, classDim);
        Tensor weighted = weight == null ? logp : logp.mul(classView(weight.to(logp.dtype()), logp.dim(), classDim));
        Tensor smooth = Tensor.where(targetValid(mask, classDim), weighted.sum(classDim).neg(), zero(logp));
        Tensor smoothRed = reduction == Reduction.MEAN ? smooth.sum().div(w.sum()) : reduction.apply(smooth);
        return nll.mul(1 - labelSmoothing).add(smoothRed.mul(labelSmoothing / c));
    }

    private static Tensor crossEntropyProbs(Tensor logp, Tensor target, Tensor weight, Reduction reduction,
                                            double labelSmoothing, int classDim) {
        long c = logp.size(classDim);
        Tensor y = labelSmoothing == 0 ? target : target.mul(1 - labelSmoothing).add(labelSmoothing / c);
        Tensor terms = logp.mul(y);
        if (weight != null) {
            checkWeight(weight, c);
            terms = terms.mul(classView(weight.to(logp.dtype()), logp.dim(), classDim));
        }
        Tensor losses = terms.sum(classDim).neg();
        if (reduction == Reduction.MEAN) {
            return losses.sum().div((double) (logp.numel() / c));
        }
        return reduction.apply(losses);
    }

    /**
     * Binary cross entropy on logits, like {@code F.binary_cross_entropy_with_logits}:
     * {@code softplus(x) - x y} (= {@code max(x, 0) - x y + log(1 + exp(-|x|))}); with {@code posWeight}
     * {@code p} (broadcast over the last dim): {@code (1 - y) x + (1 + (p - 1) y) softplus(-x)}. Then times
     * {@code weight}.
     */
    public static Tensor bceWithLogits(Tensor input, Tensor target, Tensor weight, Tensor posWeight,
                                       Reduction reduction) {
        if (Autocast.anyOpen()) { // the op's compute dtype under autocast (PyTorch's op lists)
            Tensor cast = Autocast.apply("binary_cross_entropy_with_logits",
                    c -> bceWithLogits(c[0], c[1], c[2], c[3], reduction),
                    input, target, weight, posWeight);
            if (cast != null) {
                return cast;
            }
        }
        if (!Arrays.equals(input.shape(), target.shape())) {
            throw new IllegalArgumentException("Target size (" + torchSize(target) + ") must be the same as input size ("
                    + torchSize(input) + ")");
        }
        Tensor loss;
        if (posWeight == null) {
            loss = softplus(input).sub(input.mul(target));
        } else {
            Tensor logWeight = posWeight.sub(1).mul(target).add(1);
            loss = target.rsub(1).mul(input).add(logWeight.mul(softplus(input.neg())));
        }
        if (weight != null) {
            loss = loss.mul(weight);
        }
        return reduction.apply(loss);
    }

    /**
     * {@code log(1 + exp(z))} without overflow. NOTE: written as a {@code where} of two branches rather than
     * {@code max(z, 0) + log(1 + exp(-|z|))}: that form's pieces have kinks at 0 whose subgradients sum to 1
     * instead of sigmoid(0) = 0.5, and logits of exactly 0 are common (zero-initialized heads). Each branch
     * clamps its exp argument to {@code <= 0}, so the unselected branch cannot overflow and poison the gradient.
     */
    static Tensor softplus(Tensor z) {
        Tensor positive = z.add(z.clampMin(0).neg().exp().add(1).log());
        Tensor negative = z.clampMax(0).exp().add(1).log();
        return Tensor.where(z.gt(0), positive, negative);
    }

    /**
     * Binary cross entropy on probabilities, like {@code F.binary_cross_entropy}:
     * {@code -w (y log p + (1 - y) log(1 - p))}, with each log clamped to {@code >= -100} as PyTorch does so
     * {@code p = 0} or {@code 1} gives a finite loss.
     */
    public static Tensor binaryCrossEntropy(Tensor input, Tensor target, Tensor weight, Reduction reduction) {
        if (Autocast.anyOpen()) { // the op's compute dtype under autocast (PyTorch's op lists)
            Tensor cast = Autocast.apply("binary_cross_entropy", c -> binaryCrossEntropy(c[0], c[1], c[2], reduction),
                    input, target, weight);
            if (cast != null) {
                return cast;
            }
        }
        if (!Arrays.equals(input.shape(), target.shape())) {
            throw new IllegalArgumentException("Using a target size (" + torchSize(target) + ") that is different to "
                    + "the input size (" + torchSize(input) + ") is deprecated. Please ensure they have the same size.");
        }
        double min = input.min().item();
        double max = input.max().item();
        if (!(min >= 0 && max <= 1)) {
            throw new IllegalArgumentException("all elements of input should be between 0 and 1");
        }
        Tensor logP = input.log().clampMin(-100);
        Tensor log1mP = input.rsub(1).log().clampMin(-100);
        Tensor loss = target.mul(logP).add(target.rsub(1).mul(log1mP)).neg();
        if (weight != null) {
            loss = loss.mul(weight);
        }
        return reduction.apply(loss);
    }

    // ---------------------------------------------------------------- class-index helpers

    /**
     * {@code mask[n, c, d...] = (y[n, d...] == c)}; all false where the target is {@code ignoreIndex}, also when
     * that is a real class number (ignored targets are first replaced by -1, which matches no class).
     */
    private static Tensor classMask(Tensor logp, Tensor target, int classDim, long ignoreIndex) {
        long c = logp.size(classDim);
        Tensor kept = ignoreIndex >= 0 && ignoreIndex < c ? target.maskedFill(target.eq(ignoreIndex), -1) : target;
        try (Tensor classes = Tensor.arange(c).to(target.device())) {
            long[] shape = new long[logp.dim()];
            Arrays.fill(shape, 1);
            shape[classDim] = c;
            return classes.view(shape).eq(kept.unsqueeze(classDim));
        }
    }

    /** {@code w_{y_n}}: the target class's weight (1 without weights), 0 for ignored samples. */
    private static Tensor sampleWeights(Tensor mask, Tensor weight, Tensor logp, int classDim) {
        if (weight == null) {
            return mask.to(logp.dtype()).sum(classDim);
        }
        Tensor w = classView(weight.to(logp.dtype()), logp.dim(), classDim);
        return Tensor.where(mask, w, zero(logp)).sum(classDim);
    }

    /** True where the sample's target is a real class (not {@code ignoreIndex}). */
    private static Tensor targetValid(Tensor mask, int classDim) {
        return mask.to(DType.INT64).sum(classDim).gt(0);
    }

    private static Tensor classView(Tensor weight, int ndim, int classDim) {
        long[] shape = new long[ndim];
        Arrays.fill(shape, 1);
        shape[classDim] = weight.numel();
        return weight.reshape(shape);
    }

    private static Tensor zero(Tensor like) {
        return Tensor.zeros(like.dtype(), like.device());
    }

    private static void checkClassTarget(Tensor logp, Tensor target, Tensor weight, long ignoreIndex) {
        LossChecks.checkClassTargetShape(logp, target);
        long c = logp.size(logp.dim() == 1 ? 0 : 1);
        if (weight != null) {
            checkWeight(weight, c);
        }
        LossChecks.checkTargetValues(target, c, ignoreIndex);
    }

    private static void checkWeight(Tensor weight, long c) {
        if (weight.dim() != 1 || weight.numel() != c) {
            throw new IllegalArgumentException("weight tensor should be defined either for all " + c + " classes or no "
                    + "classes but got weight tensor of shape: " + Shapes.str(weight.shape()));
        }
    }

    static String torchSize(Tensor t) {
        return "torch.Size(" + Shapes.str(t.shape()) + ")";
    }
}

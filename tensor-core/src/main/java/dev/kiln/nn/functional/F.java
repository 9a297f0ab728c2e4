package dev.kiln.nn.functional;

import dev.kiln.ops.Convolution;
import dev.kiln.ops.Linalg;
import dev.kiln.ops.Pooling;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Generator;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import dev.kiln.tensor.ValuesIndices;

/**
 * Stateless functions behind the layers and losses, like {@code torch.nn.functional}. Everything is composed of
 * differentiable tensor ops, so no function here needs its own backward. Losses live in {@link Losses}; the
 * shortcuts below forward to it so users find everything under {@code F}.
 */
public final class F {
    private F() {
    }

    // ---------------------------------------------------------------- activations

    public static Tensor relu(Tensor x) {
        return x.relu();
    }

    /** {@code x if x > 0 else slope * x}. */
    public static Tensor leakyRelu(Tensor x, double negativeSlope) {
        try (TensorScope temps = TensorScope.openTemporaries()) {
            return temps.handOut(Tensor.where(x.gt(0), x, x.mul(negativeSlope)));
        }
    }

    public static Tensor leakyRelu(Tensor x) {
        return leakyRelu(x, 0.01);
    }

    /**
     * {@code x if x > 0 else alpha * (exp(x) - 1)}. NOTE: the exp branch sees {@code min(x, 0)}, so large
     * positive inputs cannot overflow to inf and turn the (unselected) branch's gradient into {@code 0 * inf = NaN}.
     */
    public static Tensor elu(Tensor x, double alpha) {
        try (TensorScope temps = TensorScope.openTemporaries()) {
            Tensor negative = x.clampMax(0).exp().sub(1).mul(alpha);
            return temps.handOut(Tensor.where(x.gt(0), x, negative));
        }
    }

    public static Tensor elu(Tensor x) {
        return elu(x, 1.0);
    }

    /**
     * GELU. {@code "none"}: {@code x * 0.5 * (1 + erf(x / sqrt(2)))}; {@code "tanh"}:
     * {@code 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))}, as in {@code torch.nn.functional.gelu}.
     */
    public static Tensor gelu(Tensor x, String approximate) {
        checkGeluApproximate(approximate);
        if (approximate.equals("none")) {
            return x.gelu();
        }
        try (TensorScope temps = TensorScope.openTemporaries()) {
            Tensor inner = x.add(x.pow(3).mul(0.044715)).mul(Math.sqrt(2 / Math.PI));
            return temps.handOut(x.mul(0.5).mul(inner.tanh().add(1)));
        }
    }

    public static Tensor gelu(Tensor x) {
        return x.gelu();
    }

    public static void checkGeluApproximate(String approximate) {
        if (!"none".equals(approximate) && !"tanh".equals(approximate)) {
            throw new IllegalArgumentException("approximate argument must be either none or tanh, got " + approximate);
        }
    }

    /** {@code x * sigmoid(x)}. */
    public static Tensor silu(Tensor x) {
        try (TensorScope temps = TensorScope.openTemporaries()) {
            return temps.handOut(x.mul(x.sigmoid()));
        }
    }

    public static Tensor softmax(Tensor x, long dim) {
        return x.softmax(dim);
    }

    public static Tensor logSoftmax(Tensor x, long dim) {
        return x.logSoftmax(dim);
    }

    // ---------------------------------------------------------------- layers

    /**
     * {@code y = x W^T + b} for {@code x [*, in]}, {@code W [out, in]}, {@code b [out]} (or null), like
     * {@code F.linear}: one GEMM with the bias added in the same pass where the backend fuses it
     * ({@link Linalg#linear}).
     */
    public static Tensor linear(Tensor x, Tensor weight, Tensor bias) {
        return Linalg.linear(x, weight, bias);
    }

    /**
     * Inverted dropout: in training, {@code x * m / (1 - p)} with {@code m ~ Bernoulli(1 - p)} per element drawn
     * from the default generator; otherwise {@code x} itself. {@code p = 1} zeroes everything.
     */
    public static Tensor dropout(Tensor x, double p, boolean training) {
        return dropout(x, p, training, Generator.defaultGenerator());
    }

    public static Tensor dropout(Tensor x, double p, boolean training, Generator gen) {
        checkDropoutP(p);
        if (!training || p == 0) {
            return x;
        }
        DType dt = x.dtype().toFloating();
        try (TensorScope temps = TensorScope.openTemporaries()) {
            Tensor keep = Tensor.rand(x.shape(), dt, gen).lt(1 - p).to(dt);
            return temps.handOut(p == 1 ? x.mul(keep) : x.mul(keep.mul(1 / (1 - p))));
        }
    }

    public static void checkDropoutP(double p) {
        if (!(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException("dropout probability has to be between 0 and 1, but got " + p);
        }
    }

    // ---------------------------------------------------------------- losses (see Losses for the formulas)

    public static Tensor mseLoss(Tensor input, Tensor target) {
        return temporaries(() -> Losses.mse(input, target, Reduction.MEAN));
    }

    public static Tensor mseLoss(Tensor input, Tensor target, Reduction reduction) {
        return temporaries(() -> Losses.mse(input, target, reduction));
    }

    public static Tensor l1Loss(Tensor input, Tensor target) {
        return temporaries(() -> Losses.l1(input, target, Reduction.MEAN));
    }

    public static Tensor l1Loss(Tensor input, Tensor target, Reduction reduction) {
        return temporaries(() -> Losses.l1(input, target, reduction));
    }

    public static Tensor nllLoss(Tensor logProbs, Tensor target) {
        return temporaries(() -> Losses.nll(logProbs, target, null, Losses.DEFAULT_IGNORE_INDEX, Reduction.MEAN));
    }

    public static Tensor nllLoss(Tensor logProbs, Tensor target, Tensor weight, long ignoreIndex, Reduction reduction) {
        return temporaries(() -> Losses.nll(logProbs, target, weight, ignoreIndex, reduction));
    }

    public static Tensor crossEntropy(Tensor input, Tensor target) {
        return temporaries(() -> Losses.crossEntropy(input, target, null, Losses.DEFAULT_IGNORE_INDEX,
                Reduction.MEAN, 0.0));
    }

    public static Tensor crossEntropy(Tensor input, Tensor target, Tensor weight, long ignoreIndex,
                                      Reduction reduction, double labelSmoothing) {
        return temporaries(() -> Losses.crossEntropy(input, target, weight, ignoreIndex, reduction, labelSmoothing));
    }

    public static Tensor bceWithLogits(Tensor input, Tensor target) {
        return temporaries(() -> Losses.bceWithLogits(input, target, null, null, Reduction.MEAN));
    }

    public static Tensor bceWithLogits(Tensor input, Tensor target, Tensor weight, Tensor posWeight,
                                       Reduction reduction) {
        return temporaries(() -> Losses.bceWithLogits(input, target, weight, posWeight, reduction));
    }

    public static Tensor binaryCrossEntropy(Tensor input, Tensor target) {
        return temporaries(() -> Losses.binaryCrossEntropy(input, target, null, Reduction.MEAN));
    }

    public static Tensor binaryCrossEntropy(Tensor input, Tensor target, Tensor weight, Reduction reduction) {
        return temporaries(() -> Losses.binaryCrossEntropy(input, target, weight, reduction));
    }

    /**
     * Runs a composite loss in a temporaries scope: its masks, logs and partial sums are freed when it returns (the
     * ones autograd saved move out with the loss), as PyTorch's refcounting would free them.
     */
    private static Tensor temporaries(java.util.function.Supplier<Tensor> loss) {
        try (TensorScope temps = TensorScope.openTemporaries()) {
            return temps.handOut(loss.get());
        }
    }

    // ---- normalization, embedding, extra losses (formulas in Normalization, Embeddings, ExtraLosses)

    public static Tensor batchNorm(Tensor x, Tensor runningMean, Tensor runningVar, Tensor weight, Tensor bias,
                                   boolean training, double momentum, double eps) {
        return Normalization.batchNorm(x, runningMean, runningVar, weight, bias, training, momentum, eps);
    }

    public static Tensor layerNorm(Tensor x, long[] normalizedShape, Tensor weight, Tensor bias, double eps) {
        return Normalization.layerNorm(x, normalizedShape, weight, bias, eps);
    }

    public static Tensor groupNorm(Tensor x, long numGroups, Tensor weight, Tensor bias, double eps) {
        return Normalization.groupNorm(x, numGroups, weight, bias, eps);
    }

    public static Tensor embedding(Tensor input, Tensor weight) {
        return Embeddings.embedding(input, weight, null);
    }

    /** @param paddingIdx the row that receives no gradient (negative counts from the end), or null */
    public static Tensor embedding(Tensor input, Tensor weight, Long paddingIdx) {
        return Embeddings.embedding(input, weight, paddingIdx);
    }

    public static Tensor smoothL1Loss(Tensor input, Tensor target) {
        return temporaries(() -> ExtraLosses.smoothL1(input, target, Reduction.MEAN, 1.0));
    }

    public static Tensor smoothL1Loss(Tensor input, Tensor target, Reduction reduction, double beta) {
        return temporaries(() -> ExtraLosses.smoothL1(input, target, reduction, beta));
    }

    public static Tensor huberLoss(Tensor input, Tensor target) {
        return temporaries(() -> ExtraLosses.huber(input, target, Reduction.MEAN, 1.0));
    }

    public static Tensor huberLoss(Tensor input, Tensor target, Reduction reduction, double delta) {
        return temporaries(() -> ExtraLosses.huber(input, target, reduction, delta));
    }

    /** @param reduction {@code "none" | "mean" | "sum" | "batchmean"} */
    public static Tensor klDiv(Tensor input, Tensor target, String reduction, boolean logTarget) {
        return temporaries(() -> ExtraLosses.klDiv(input, target, reduction, logTarget));
    }

    // ---- convolution and pooling (formulas and PyTorch references in dev.kiln.ops.Convolution and Pooling)

    /** {@code F.conv2d(input, weight, bias)}: stride 1, no padding, dilation 1, one group. */
    public static Tensor conv2d(Tensor input, Tensor weight, Tensor bias) {
        return conv2d(input, weight, bias, new long[] {1}, new long[] {0}, new long[] {1}, 1);
    }

    public static Tensor conv2d(Tensor input, Tensor weight, Tensor bias, long stride, long padding) {
        return conv2d(input, weight, bias, new long[] {stride}, new long[] {padding}, new long[] {1}, 1);
    }

    /** {@code stride}, {@code padding}, {@code dilation}: one value (used for both dims) or two. */
    public static Tensor conv2d(Tensor input, Tensor weight, Tensor bias, long[] stride, long[] padding,
                                long[] dilation, long groups) {
        return Convolution.conv2d(input, weight, bias, stride, padding, dilation, groups);
    }

    /** {@code padding="same"} (output size = input size; stride 1 only) or {@code "valid"} (no padding). */
    public static Tensor conv2d(Tensor input, Tensor weight, Tensor bias, long[] stride, String padding,
                                long[] dilation, long groups) {
        return Convolution.conv2d(input, weight, bias, stride, padding, dilation, groups);
    }

    public static Tensor conv1d(Tensor input, Tensor weight, Tensor bias) {
        return conv1d(input, weight, bias, new long[] {1}, new long[] {0}, new long[] {1}, 1);
    }

    public static Tensor conv1d(Tensor input, Tensor weight, Tensor bias, long[] stride, long[] padding,
                                long[] dilation, long groups) {
        return Convolution.conv1d(input, weight, bias, stride, padding, dilation, groups);
    }

    public static Tensor conv1d(Tensor input, Tensor weight, Tensor bias, long[] stride, String padding,
                                long[] dilation, long groups) {
        return Convolution.conv1d(input, weight, bias, stride, padding, dilation, groups);
    }

    public static Tensor convTranspose2d(Tensor input, Tensor weight, Tensor bias) {
        return convTranspose2d(input, weight, bias, new long[] {1}, new long[] {0}, new long[] {0}, 1, new long[] {1});
    }

    /** PyTorch's argument order: stride, padding, output_padding, groups, dilation. */
    public static Tensor convTranspose2d(Tensor input, Tensor weight, Tensor bias, long[] stride, long[] padding,
                                         long[] outputPadding, long groups, long[] dilation) {
        return Convolution.convTranspose2d(input, weight, bias, stride, padding, outputPadding, groups, dilation);
    }

    /** {@code F.max_pool2d(input, kernel_size)}: stride = kernel, no padding. */
    public static Tensor maxPool2d(Tensor input, long kernelSize) {
        return maxPool2d(input, new long[] {kernelSize}, new long[0], new long[] {0}, new long[] {1}, false);
    }

    /** An empty {@code stride} means {@code stride = kernelSize}. */
    public static Tensor maxPool2d(Tensor input, long[] kernelSize, long[] stride, long[] padding, long[] dilation,
                                   boolean ceilMode) {
        return Pooling.maxPool2d(input, kernelSize, stride, padding, dilation, ceilMode);
    }

    /** {@code F.max_pool2d(..., return_indices=True)}. */
    public static ValuesIndices maxPool2dWithIndices(Tensor input, long[] kernelSize, long[] stride, long[] padding,
                                                     long[] dilation, boolean ceilMode) {
        return Pooling.maxPool2dWithIndices(input, kernelSize, stride, padding, dilation, ceilMode);
    }

    public static Tensor avgPool2d(Tensor input, long kernelSize) {
        return avgPool2d(input, new long[] {kernelSize}, new long[0], new long[] {0}, false, true);
    }

    public static Tensor avgPool2d(Tensor input, long[] kernelSize, long[] stride, long[] padding, boolean ceilMode,
                                   boolean countIncludePad) {
        return Pooling.avgPool2d(input, kernelSize, stride, padding, ceilMode, countIncludePad);
    }

    /** {@code outputSize}: one value (square) or two. */
    public static Tensor adaptiveAvgPool2d(Tensor input, long... outputSize) {
        return Pooling.adaptiveAvgPool2d(input, outputSize);
    }
}

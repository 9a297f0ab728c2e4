package dev.kiln.nn.functional;

import dev.kiln.amp.Autocast;
import dev.kiln.autograd.Autograd;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Shapes;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import java.util.Arrays;

/**
 * Batch, layer and group normalization, like {@code F.batch_norm}, {@code F.layer_norm}, {@code F.group_norm}.
 * Each is composed of differentiable ops ({@code mean}, {@code var}, {@code sub}, {@code rsqrt}, {@code mul}), so
 * autograd derives the (well-known, three-term) backward: no fused kernel is needed at the sizes Kiln trains.
 *
 * <p>All three compute {@code y = (x - E[x]) / sqrt(Var[x] + eps) * gamma + beta} with the biased variance
 * ({@code correction = 0}), differing only in which elements form a group: batch norm reduces over every dim but
 * the channel dim 1, layer norm over the trailing {@code normalizedShape} dims, group norm over
 * {@code C / G} channels and all spatial positions of one sample.
 */
public final class Normalization {
    private Normalization() {
    }

    /**
     * Batch normalization of {@code x [N, C, *]} per channel, like {@code F.batch_norm}.
     *
     * <p>Training (or no running stats): normalizes by the batch mean and biased batch variance, and, when
     * running stats are given, updates them in place under {@code noGrad} with
     * {@code r = (1 - m) r + m s}, using the unbiased variance {@code var * n / (n - 1)} for {@code running_var}
     * (as PyTorch documents). Eval: normalizes by {@code runningMean}, {@code runningVar}.
     *
     * @param runningMean {@code [C]} or null (then batch statistics are always used)
     * @param weight      {@code gamma [C]} or null for 1
     * @param bias        {@code beta [C]} or null for 0
     * @param momentum    the factor {@code m} of the running update
     */
    public static Tensor batchNorm(Tensor x, Tensor runningMean, Tensor runningVar, Tensor weight, Tensor bias,
                                   boolean training, double momentum, double eps) {
        if (x.dim() < 2) {
            throw new IllegalArgumentException("batch_norm: expected input with at least 2 dims [N, C, *], got "
                    + Shapes.str(x.shape()));
        }
        checkFloating(x, "batch_norm");
        long c = x.size(1);
        checkPerChannel(runningMean, "running_mean", c);
        checkPerChannel(runningVar, "running_var", c);
        checkPerChannel(weight, "weight", c);
        checkPerChannel(bias, "bias", c);
        try (TensorScope temps = TensorScope.openTemporaries()) { // statistics and partial products
            if (x.dtype().isHalf() && !allOfType(x.dtype(), runningMean, runningVar, weight, bias)) {
                // PyTorch's mixed batch norm (e.g. under autocast): a half input with float32 parameters and running
                // statistics is normalized in float32, and the result has the input's type
                return temps.handOut(batchNormInScope(x.to(DType.FLOAT32), runningMean, runningVar, weight, bias,
                        training, momentum, eps).to(x.dtype()));
            }
            return temps.handOut(batchNormInScope(x, runningMean, runningVar, weight, bias, training, momentum, eps));
        }
    }

    private static boolean allOfType(DType dtype, Tensor... tensors) {
        for (Tensor t : tensors) {
            if (t != null && t.dtype() != dtype) {
                return false;
            }
        }
        return true;
    }

    private static Tensor batchNormInScope(Tensor x, Tensor runningMean, Tensor runningVar, Tensor weight,
                                           Tensor bias, boolean training, double momentum, double eps) {
        long c = x.size(1);
        long[] dims = allBut1(x.dim());
        long[] channelShape = channelShape(x.dim(), c);
        Tensor normalized;
        if (training || runningMean == null || runningVar == null) {
            long n = x.numel() / Math.max(c, 1);
            if (n <= 1) {
                throw new IllegalArgumentException("Expected more than 1 value per channel when training, got input "
                        + "size " + Losses.torchSize(x));
            }
            Tensor mean = x.mean(dims, true);
            Tensor var = x.var(dims, 0, true);
            normalized = x.sub(mean).mul(var.add(eps).rsqrt());
            if (training && runningMean != null && runningVar != null) {
                updateRunningStats(runningMean, runningVar, mean, var, momentum, n);
            }
        } else {
            Tensor rm = runningMean.to(x.dtype()).view(channelShape);
            Tensor rv = runningVar.to(x.dtype()).view(channelShape);
            normalized = x.sub(rm).mul(rv.add(eps).rsqrt());
        }
        return affine(normalized, weight, bias, channelShape);
    }

    /** {@code r = (1 - m) r + m s} in place, with the unbiased batch variance for {@code running_var}. */
    private static void updateRunningStats(Tensor runningMean, Tensor runningVar, Tensor mean, Tensor var,
                                           double momentum, long n) {
        try (var g = Autograd.noGrad()) {
            Tensor m = mean.reshape(runningMean.shape()).to(runningMean.dtype());
            Tensor v = var.reshape(runningVar.shape()).mul((double) n / (n - 1)).to(runningVar.dtype());
            runningMean.mul_(1 - momentum).add_(m.mul(momentum));
            runningVar.mul_(1 - momentum).add_(v.mul(momentum));
        }
    }

    /**
     * Layer normalization over the last {@code normalizedShape.length} dims, like {@code F.layer_norm};
     * {@code weight} and {@code bias} (or null) have shape {@code normalizedShape}.
     */
    public static Tensor layerNorm(Tensor x, long[] normalizedShape, Tensor weight, Tensor bias, double eps) {
        if (Autocast.anyOpen()) { // the op's compute dtype under autocast (PyTorch's op lists)
            Tensor cast = Autocast.apply("layer_norm", c -> layerNorm(c[0], normalizedShape, c[1], c[2], eps),
                    x, weight, bias);
            if (cast != null) {
                return cast;
            }
        }
        checkFloating(x, "layer_norm");
        int k = normalizedShape.length;
        boolean ok = k > 0 && x.dim() >= k && Arrays.equals(
                Arrays.copyOfRange(x.shape(), x.dim() - k, x.dim()), normalizedShape);
        if (!ok) {
            throw new IllegalArgumentException("Given normalized_shape=" + Shapes.str(normalizedShape)
                    + ", expected input with shape [*" + trailing(normalizedShape) + "], but got input of size"
                    + Shapes.str(x.shape()));
        }
        checkShape(weight, "weight", normalizedShape);
        checkShape(bias, "bias", normalizedShape);
        long[] dims = new long[k];
        for (int i = 0; i < k; i++) {
            dims[i] = x.dim() - k + i;
        }
        try (TensorScope temps = TensorScope.openTemporaries()) {
            Tensor normalized = x.sub(x.mean(dims, true)).mul(x.var(dims, 0, true).add(eps).rsqrt());
            Tensor y = weight == null ? normalized : normalized.mul(weight);
            return temps.handOut(bias == null ? y : y.add(bias));
        }
    }

    /**
     * Group normalization of {@code x [N, C, *]}: channels split into {@code numGroups} groups of {@code C / G},
     * each sample's group normalized over its channels and positions, then a per-channel affine, like
     * {@code F.group_norm}.
     */
    public static Tensor groupNorm(Tensor x, long numGroups, Tensor weight, Tensor bias, double eps) {
        if (Autocast.anyOpen()) { // the op's compute dtype under autocast (PyTorch's op lists)
            Tensor cast = Autocast.apply("group_norm", c -> groupNorm(c[0], numGroups, c[1], c[2], eps),
                    x, weight, bias);
            if (cast != null) {
                return cast;
            }
        }
        checkFloating(x, "group_norm");
        if (x.dim() < 2 || numGroups <= 0 || x.size(1) % numGroups != 0) {
            throw new IllegalArgumentException("Expected number of channels in input to be divisible by num_groups, "
                    + "but got input of shape " + Shapes.str(x.shape()) + " and num_groups=" + numGroups);
        }
        long c = x.size(1);
        checkPerChannel(weight, "weight", c);
        checkPerChannel(bias, "bias", c);
        try (TensorScope temps = TensorScope.openTemporaries()) {
            Tensor grouped = x.reshape(x.size(0), numGroups, -1);
            Tensor normalized = grouped.sub(grouped.mean(2, true)).mul(grouped.var(new long[] {2}, 0, true).add(eps)
                    .rsqrt()).reshape(x.shape());
            return temps.handOut(affine(normalized, weight, bias, channelShape(x.dim(), c)));
        }
    }

    // ---------------------------------------------------------------- helpers

    private static Tensor affine(Tensor normalized, Tensor weight, Tensor bias, long[] channelShape) {
        Tensor y = weight == null ? normalized : normalized.mul(weight.view(channelShape));
        return bias == null ? y : y.add(bias.view(channelShape));
    }

    /** Dims {@code 0, 2, 3, ...}: every dim but the channel dim. */
    private static long[] allBut1(int ndim) {
        long[] dims = new long[ndim - 1];
        dims[0] = 0;
        for (int i = 2; i < ndim; i++) {
            dims[i - 1] = i;
        }
        return dims;
    }

    /** {@code [1, C, 1, ...]}, so a per-channel vector broadcasts against {@code [N, C, *]}. */
    private static long[] channelShape(int ndim, long c) {
        long[] shape = new long[ndim];
        Arrays.fill(shape, 1);
        shape[1] = c;
        return shape;
    }

    private static String trailing(long[] shape) {
        StringBuilder sb = new StringBuilder();
        for (long s : shape) {
            sb.append(", ").append(s);
        }
        return sb.toString();
    }

    private static void checkPerChannel(Tensor t, String what, long c) {
        if (t != null && (t.dim() != 1 || t.numel() != c)) {
            throw new IllegalArgumentException(what + " should contain " + c + " elements not " + t.numel());
        }
    }

    private static void checkShape(Tensor t, String what, long[] shape) {
        if (t != null && !Arrays.equals(t.shape(), shape)) {
            throw new IllegalArgumentException("Expected " + what + " to be of same shape as normalized_shape, but got "
                    + what + " of shape " + Shapes.str(t.shape()) + " and normalized_shape = " + Shapes.str(shape));
        }
    }

    private static void checkFloating(Tensor x, String op) {
        if (!x.dtype().isFloatingPoint()) {
            throw new IllegalArgumentException(op + ": expected a floating point input, got "
                    + x.dtype().torchName());
        }
    }
}

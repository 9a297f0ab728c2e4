package dev.kiln.nn;

import dev.kiln.autograd.Autograd;
import dev.kiln.nn.functional.Normalization;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;

/**
 * Shared body of {@link BatchNorm1d} and {@link BatchNorm2d}, like {@code torch.nn.modules.batchnorm._BatchNorm}:
 * {@code y = (x - E[x]) / sqrt(Var[x] + eps) * gamma + beta} per channel (dim 1).
 *
 * <p>State, registered under PyTorch's names so state dicts interchange: parameters {@code weight} (gamma, ones)
 * and {@code bias} (beta, zeros) when {@code affine}; buffers {@code running_mean} (zeros), {@code running_var}
 * (ones) and {@code num_batches_tracked} (int64 0) when {@code trackRunningStats}.
 *
 * <p>In training mode (or when not tracking) the batch statistics normalize; while training and tracking, each
 * forward increments {@code num_batches_tracked} and updates the running stats with factor {@code momentum}, or
 * with {@code 1 / num_batches_tracked} when momentum is null (a cumulative moving average). In eval mode the
 * running statistics normalize. See {@link Normalization#batchNorm}.
 */
public abstract class BatchNorm extends Module {
    private final long numFeatures;
    private final double eps;
    private final Double momentum;
    private final boolean affine;
    private final boolean trackRunningStats;

    /**
     * @param momentum the running-update factor (PyTorch's default 0.1), or null for a cumulative average
     */
    protected BatchNorm(long numFeatures, double eps, Double momentum, boolean affine, boolean trackRunningStats,
                        DType dtype) {
        if (numFeatures <= 0) {
            throw new IllegalArgumentException("num_features must be positive, got " + numFeatures);
        }
        this.numFeatures = numFeatures;
        this.eps = eps;
        this.momentum = momentum;
        this.affine = affine;
        this.trackRunningStats = trackRunningStats;
        registerParameter("weight", affine ? Tensor.ones(dtype, numFeatures) : null);
        registerParameter("bias", affine ? Tensor.zeros(dtype, numFeatures) : null);
        registerBuffer("running_mean", trackRunningStats ? Tensor.zeros(dtype, numFeatures) : null);
        registerBuffer("running_var", trackRunningStats ? Tensor.ones(dtype, numFeatures) : null);
        registerBuffer("num_batches_tracked", trackRunningStats ? Tensor.zeros(DType.INT64) : null);
    }

    /** Throws PyTorch's message when {@code input} has the wrong number of dims for this flavour. */
    protected abstract void checkInputDim(Tensor input);

    @Override
    public Tensor forward(Tensor input) {
        checkInputDim(input);
        double factor = momentum == null ? 0.0 : momentum;
        boolean update = isTraining() && trackRunningStats;
        if (update) {
            Tensor tracked = buffer("num_batches_tracked");
            try (var g = Autograd.noGrad()) {
                tracked.add_(1);
            }
            if (momentum == null) {
                factor = 1.0 / tracked.item();
            }
        }
        boolean useBatchStats = isTraining() || !trackRunningStats;
        return Normalization.batchNorm(input, update || !useBatchStats ? buffer("running_mean") : null,
                update || !useBatchStats ? buffer("running_var") : null, weight(), bias(), useBatchStats, factor, eps);
    }

    /** Restores the running statistics to their initial values (mean 0, var 1, count 0). */
    public void resetRunningStats() {
        if (trackRunningStats) {
            try (var g = Autograd.noGrad()) {
                buffer("running_mean").zero_();
                buffer("running_var").fill_(1);
                buffer("num_batches_tracked").zero_();
            }
        }
    }

    /** gamma, or null when {@code affine = false}. */
    public Tensor weight() {
        return parameter("weight");
    }

    /** beta, or null when {@code affine = false}. */
    public Tensor bias() {
        return parameter("bias");
    }

    public Tensor runningMean() {
        return buffer("running_mean");
    }

    public Tensor runningVar() {
        return buffer("running_var");
    }

    public Tensor numBatchesTracked() {
        return buffer("num_batches_tracked");
    }

    public long numFeatures() {
        return numFeatures;
    }

    @Override
    protected String extraRepr() {
        return numFeatures + ", eps=" + ModuleRepr.pyFloat(eps) + ", momentum="
                + (momentum == null ? "None" : ModuleRepr.pyFloat(momentum)) + ", affine=" + py(affine)
                + ", track_running_stats=" + py(trackRunningStats);
    }

    static String py(boolean b) {
        return b ? "True" : "False";
    }
}

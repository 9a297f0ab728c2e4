package dev.kiln.optim.lr;

import dev.kiln.optim.Optimizer;

/**
 * Linear warm-up (or decay) of the lr by a factor going from {@code startFactor} to {@code endFactor} over
 * {@code totalIters} epochs, then constant, like {@code torch.optim.lr_scheduler.LinearLR}. Closed form
 * {@code lr_t = base_lr * (start + (end - start) * min(t, total_iters) / total_iters)}; computed recursively:
 * <pre>
 * lr_0 = lr * start_factor
 * lr_t = lr_{t-1} * (1 + (end - start) / (total_iters * start + (t - 1) * (end - start)))    for 0 < t <= total_iters
 * </pre>
 */
public class LinearLR extends LRScheduler {
    private final double startFactor;
    private final double endFactor;
    private final int totalIters;

    /** PyTorch's defaults: {@code start_factor=1/3, end_factor=1, total_iters=5}. */
    public LinearLR(Optimizer optimizer) {
        this(optimizer, 1.0 / 3, 1.0, 5, -1);
    }

    public LinearLR(Optimizer optimizer, double startFactor, double endFactor, int totalIters) {
        this(optimizer, startFactor, endFactor, totalIters, -1);
    }

    public LinearLR(Optimizer optimizer, double startFactor, double endFactor, int totalIters, int lastEpoch) {
        super(optimizer, lastEpoch);
        if (!(startFactor > 0 && startFactor <= 1)) {
            throw new IllegalArgumentException(
                    "Starting multiplicative factor expected to be greater than 0 and less or equal to 1.");
        }
        if (!(endFactor >= 0 && endFactor <= 1)) {
            throw new IllegalArgumentException("Ending multiplicative factor expected to be between 0 and 1.");
        }
        this.startFactor = startFactor;
        this.endFactor = endFactor;
        this.totalIters = totalIters;
        initialStep();
    }

    @Override
    protected double[] closedFormAtZero() {
        return scaledBaseLrs(startFactor);
    }

    @Override
    protected double[] computeLr() {
        double[] out = new double[numGroups()];
        for (int i = 0; i < out.length; i++) {
            double lr = groupLr(i);
            if (lastEpoch == 0) {
                out[i] = lr * startFactor;
            } else if (lastEpoch > totalIters) {
                out[i] = lr;
            } else {
                out[i] = lr * (1.0 + (endFactor - startFactor)
                        / (totalIters * startFactor + (lastEpoch - 1) * (endFactor - startFactor)));
            }
        }
        return out;
    }
}

package dev.kiln.optim.lr;

import dev.kiln.optim.Optimizer;

/**
 * Multiplies each group's lr by {@code gamma} every {@code stepSize} epochs, like
 * {@code torch.optim.lr_scheduler.StepLR}: {@code lr_t = base_lr * gamma^floor(t / step_size)}, computed
 * recursively ({@code lr_t = lr_{t-1} * gamma} when {@code t > 0} and {@code t % step_size == 0}).
 */
public class StepLR extends LRScheduler {
    private final int stepSize;
    private final double gamma;

    public StepLR(Optimizer optimizer, int stepSize) {
        this(optimizer, stepSize, 0.1, -1);
    }

    public StepLR(Optimizer optimizer, int stepSize, double gamma) {
        this(optimizer, stepSize, gamma, -1);
    }

    public StepLR(Optimizer optimizer, int stepSize, double gamma, int lastEpoch) {
        super(optimizer, lastEpoch);
        if (stepSize <= 0) {
            throw new IllegalArgumentException("step_size must be a positive integer, got " + stepSize);
        }
        this.stepSize = stepSize;
        this.gamma = gamma;
        initialStep();
    }

    @Override
    protected double[] closedFormAtZero() {
        return scaledBaseLrs(1.0);
    }

    @Override
    protected double[] computeLr() {
        double[] out = new double[numGroups()];
        boolean decay = lastEpoch != 0 && lastEpoch % stepSize == 0;
        for (int i = 0; i < out.length; i++) {
            out[i] = decay ? groupLr(i) * gamma : groupLr(i);
        }
        return out;
    }
}

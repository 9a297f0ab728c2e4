package dev.kiln.optim.lr;

import dev.kiln.optim.Optimizer;

/**
 * Multiplies each group's lr by {@code gamma} every epoch, like {@code torch.optim.lr_scheduler.ExponentialLR}:
 * {@code lr_t = base_lr * gamma^t}, computed recursively.
 */
public class ExponentialLR extends LRScheduler {
    private final double gamma;

    public ExponentialLR(Optimizer optimizer, double gamma) {
        this(optimizer, gamma, -1);
    }

    public ExponentialLR(Optimizer optimizer, double gamma, int lastEpoch) {
        super(optimizer, lastEpoch);
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
        for (int i = 0; i < out.length; i++) {
            out[i] = lastEpoch == 0 ? groupLr(i) : groupLr(i) * gamma;
        }
        return out;
    }
}

package dev.kiln.optim.lr;

import dev.kiln.optim.Optimizer;

/**
 * Cosine annealing (SGDR without restarts, Loshchilov & Hutter 2017), like
 * {@code torch.optim.lr_scheduler.CosineAnnealingLR}. The closed form is
 * <pre>
 * lr_t = eta_min + (base_lr - eta_min) * (1 + cos(pi * t / T_max)) / 2
 * </pre>
 * but, as in PyTorch, each step computes the rate recursively from the group's current lr, so it composes with
 * other schedulers and continues past {@code T_max} as a cosine of period {@code 2 T_max}:
 * <pre>
 * lr_t = eta_min + (lr_{t-1} - eta_min) * (1 + cos(pi t / T_max)) / (1 + cos(pi (t-1) / T_max))
 * lr_t = lr_{t-1} + (base_lr - eta_min) * (1 - cos(pi / T_max)) / 2     when (t - 1 - T_max) % (2 T_max) == 0
 * </pre>
 * In steady use the two agree to rounding.
 */
public class CosineAnnealingLR extends LRScheduler {
    private final int tMax;
    private final double etaMin;

    public CosineAnnealingLR(Optimizer optimizer, int tMax) {
        this(optimizer, tMax, 0.0, -1);
    }

    public CosineAnnealingLR(Optimizer optimizer, int tMax, double etaMin) {
        this(optimizer, tMax, etaMin, -1);
    }

    public CosineAnnealingLR(Optimizer optimizer, int tMax, double etaMin, int lastEpoch) {
        super(optimizer, lastEpoch);
        if (tMax <= 0) {
            throw new IllegalArgumentException("T_max must be a positive integer, got " + tMax);
        }
        this.tMax = tMax;
        this.etaMin = etaMin;
        initialStep();
    }

    /** The closed form at epoch {@code t} for group {@code i} (PyTorch's {@code _get_closed_form_lr}). */
    public double closedFormLr(int group, int t) {
        return etaMin + (baseLrs.get(group) - etaMin) * (1 + Math.cos(Math.PI * t / tMax)) / 2;
    }

    @Override
    protected double[] closedFormAtZero() {
        return scaledBaseLrs(1.0);
    }

    @Override
    protected double[] computeLr() {
        double[] out = new double[numGroups()];
        for (int i = 0; i < out.length; i++) {
            double lr = groupLr(i);
            if (lastEpoch == 0) {
                out[i] = lr;
            } else if (stepCount == 1 && lastEpoch > 0) {
                out[i] = closedFormLr(i, lastEpoch); // resuming at a given last_epoch
            } else if (Math.floorMod(lastEpoch - 1 - tMax, 2 * tMax) == 0) {
                out[i] = lr + (baseLrs.get(i) - etaMin) * (1 - Math.cos(Math.PI / tMax)) / 2;
            } else {
                out[i] = (1 + Math.cos(Math.PI * lastEpoch / tMax)) / (1 + Math.cos(Math.PI * (lastEpoch - 1) / tMax))
                        * (lr - etaMin) + etaMin;
            }
        }
        return out;
    }
}

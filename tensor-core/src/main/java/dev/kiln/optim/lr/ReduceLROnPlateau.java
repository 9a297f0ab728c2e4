package dev.kiln.optim.lr;

import dev.kiln.optim.Optimizer;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Cuts the lr by {@code factor} when a metric stops improving, like
 * {@code torch.optim.lr_scheduler.ReduceLROnPlateau}. Each {@link #step(double)} compares the metric with the best
 * so far: in mode {@code min}, better means {@code m < best * (1 - threshold)} ({@code rel}) or
 * {@code m < best - threshold} ({@code abs}); in mode {@code max}, {@code m > best * (1 + threshold)} or
 * {@code m > best + threshold}. After more than {@code patience} bad epochs each group's lr becomes
 * {@code max(lr * factor, min_lr)} (skipped when that changes it by no more than {@code eps}), then
 * {@code cooldown} epochs pass in which bad epochs are not counted.
 */
public class ReduceLROnPlateau extends LRScheduler {
    private final boolean modeMin;
    private final boolean relative;
    private final double factor;
    private final int patience;
    private final double threshold;
    private final int cooldown;
    private final double[] minLrs;
    private final double eps;
    private double best;
    private int numBadEpochs;
    private int cooldownCounter;

    /** PyTorch's defaults: {@code mode=min, factor=0.1, patience=10, threshold=1e-4 rel, cooldown=0, min_lr=0}. */
    public ReduceLROnPlateau(Optimizer optimizer) {
        this(optimizer, "min", 0.1, 10, 1e-4, "rel", 0, new double[] {0.0}, 1e-8);
    }

    /** {@code minLrs} holds one value for all groups or one per group. */
    public ReduceLROnPlateau(Optimizer optimizer, String mode, double factor, int patience, double threshold,
                             String thresholdMode, int cooldown, double[] minLrs, double eps) {
        super(optimizer, -1);
        if (factor >= 1.0) {
            throw new IllegalArgumentException("Factor should be < 1.0.");
        }
        if (!mode.equals("min") && !mode.equals("max")) {
            throw new IllegalArgumentException("mode " + mode + " is unknown!");
        }
        if (!thresholdMode.equals("rel") && !thresholdMode.equals("abs")) {
            throw new IllegalArgumentException("threshold mode " + thresholdMode + " is unknown!");
        }
        int n = numGroups();
        if (minLrs.length != 1 && minLrs.length != n) {
            throw new IllegalArgumentException("expected " + n + " min_lrs, got " + minLrs.length);
        }
        this.modeMin = mode.equals("min");
        this.relative = thresholdMode.equals("rel");
        this.factor = factor;
        this.patience = patience;
        this.threshold = threshold;
        this.cooldown = cooldown;
        this.minLrs = new double[n];
        for (int i = 0; i < n; i++) {
            this.minLrs[i] = minLrs[minLrs.length == 1 ? 0 : i];
        }
        this.eps = eps;
        this.lastEpoch = 0; // PyTorch takes no initial step here
        this.best = modeMin ? Double.POSITIVE_INFINITY : Double.NEGATIVE_INFINITY;
    }

    /** Not meaningful without a metric; use {@link #step(double)}. */
    @Override
    public void step() {
        throw new UnsupportedOperationException("ReduceLROnPlateau.step needs the metric: call step(metric)");
    }

    @Override
    protected double[] computeLr() {
        throw new UnsupportedOperationException("ReduceLROnPlateau computes its rates in step(metric)");
    }

    /** Records one epoch's metric and reduces the rates if it has plateaued. */
    public void step(double metric) {
        lastEpoch++;
        stepCount++;
        if (isBetter(metric)) {
            best = metric;
            numBadEpochs = 0;
        } else {
            numBadEpochs++;
        }
        if (cooldownCounter > 0) {
            cooldownCounter--;
            numBadEpochs = 0;
        }
        double[] lrs = new double[numGroups()];
        for (int i = 0; i < lrs.length; i++) {
            lrs[i] = groupLr(i);
        }
        if (numBadEpochs > patience) {
            for (int i = 0; i < lrs.length; i++) {
                double next = Math.max(lrs[i] * factor, minLrs[i]);
                if (lrs[i] - next > eps) {
                    lrs[i] = next;
                }
            }
            cooldownCounter = cooldown;
            numBadEpochs = 0;
        }
        applyLrs(lrs);
    }

    private boolean isBetter(double m) {
        if (modeMin) {
            return relative ? m < best * (1 - threshold) : m < best - threshold;
        }
        return relative ? m > best * (threshold + 1) : m > best + threshold;
    }

    public double best() {
        return best;
    }

    /** Adds {@code best} (non-finite values as strings), {@code num_bad_epochs} and {@code cooldown_counter}. */
    @Override
    public LinkedHashMap<String, Object> stateDict() {
        LinkedHashMap<String, Object> out = super.stateDict();
        out.put("best", Double.isFinite(best) ? (Object) best : Double.toString(best));
        out.put("num_bad_epochs", numBadEpochs);
        out.put("cooldown_counter", cooldownCounter);
        return out;
    }

    @Override
    public void loadStateDict(Map<String, Object> state) {
        super.loadStateDict(state);
        best = doubleValue(state, "best");
        numBadEpochs = intValue(state, "num_bad_epochs");
        cooldownCounter = intValue(state, "cooldown_counter");
    }
}

package dev.kiln.optim.lr;

import dev.kiln.optim.Optimizer;
import dev.kiln.optim.ParamGroup;
import java.util.List;

/**
 * The 1cycle policy (Smith &amp; Topin 2018), like {@code torch.optim.lr_scheduler.OneCycleLR}; step it after every
 * batch. The lr rises from {@code initial_lr = max_lr / div_factor} to {@code max_lr} over the first
 * {@code pct_start} of {@code total_steps}, then falls to {@code min_lr = initial_lr / final_div_factor}; momentum
 * (SGD's {@code momentum}, or Adam's {@code beta1}) moves inversely between {@code max_momentum} and
 * {@code base_momentum}. Phases end at step {@code pct_start*total - 1} and {@code total - 1} (two-phase) or
 * {@code pct_start*total - 1}, {@code 2*pct_start*total - 2} and {@code total - 1} (three-phase: up, down to
 * initial_lr, then annihilate to min_lr). Within a phase, with {@code pct} the fraction done:
 * <pre>
 * cos:    v = end + (start - end) / 2 * (1 + cos(pi * pct))
 * linear: v = start + (end - start) * pct
 * </pre>
 * Like PyTorch it stores {@code initial_lr}, {@code max_lr}, {@code min_lr}, {@code max_momentum} and
 * {@code base_momentum} in each parameter group.
 */
public class OneCycleLR extends LRScheduler {
    /** The knobs beside {@code max_lr} and {@code total_steps}, with PyTorch's defaults. */
    public static final class Config {
        double pctStart = 0.3;
        String annealStrategy = "cos";
        boolean cycleMomentum = true;
        double baseMomentum = 0.85;
        double maxMomentum = 0.95;
        double divFactor = 25.0;
        double finalDivFactor = 1e4;
        boolean threePhase = false;

        public Config pctStart(double v) {
            pctStart = v;
            return this;
        }

        /** {@code "cos"} or {@code "linear"}. */
        public Config annealStrategy(String v) {
            annealStrategy = v;
            return this;
        }

        public Config cycleMomentum(boolean v) {
            cycleMomentum = v;
            return this;
        }

        public Config baseMomentum(double v) {
            baseMomentum = v;
            return this;
        }

        public Config maxMomentum(double v) {
            maxMomentum = v;
            return this;
        }

        public Config divFactor(double v) {
            divFactor = v;
            return this;
        }

        public Config finalDivFactor(double v) {
            finalDivFactor = v;
            return this;
        }

        public Config threePhase(boolean v) {
            threePhase = v;
            return this;
        }
    }

    private record Phase(double endStep, String startLr, String endLr, String startMomentum, String endMomentum) {
    }

    public static Config config() {
        return new Config();
    }

    private final int totalSteps;
    private final boolean cos;
    private final boolean cycleMomentum;
    private final String momentumKey;
    private final List<Phase> phases;

    public OneCycleLR(Optimizer optimizer, double maxLr, int totalSteps) {
        this(optimizer, new double[] {maxLr}, totalSteps, new Config());
    }

    /** {@code maxLrs} holds one value for all groups or one per group. */
    public OneCycleLR(Optimizer optimizer, double[] maxLrs, int totalSteps, Config c) {
        super(prepare(optimizer, maxLrs, totalSteps, c), -1);
        this.totalSteps = totalSteps;
        this.cos = c.annealStrategy.equals("cos");
        this.cycleMomentum = c.cycleMomentum;
        this.momentumKey = c.cycleMomentum ? momentumKey(optimizer) : null;
        double p = c.pctStart;
        this.phases = c.threePhase
                ? List.of(new Phase(p * totalSteps - 1, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                        new Phase(2 * p * totalSteps - 2, "max_lr", "initial_lr", "base_momentum", "max_momentum"),
                        new Phase(totalSteps - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum"))
                : List.of(new Phase(p * totalSteps - 1, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                        new Phase(totalSteps - 1, "max_lr", "min_lr", "base_momentum", "max_momentum"));
        initialStep();
    }

    /** {@code total_steps = epochs * steps_per_epoch}. */
    public OneCycleLR(Optimizer optimizer, double[] maxLrs, int epochs, int stepsPerEpoch, Config c) {
        this(optimizer, maxLrs, checkPositive(epochs, "epochs") * checkPositive(stepsPerEpoch, "steps_per_epoch"), c);
    }

    private static int checkPositive(int v, String name) {
        if (v <= 0) {
            throw new IllegalArgumentException("Expected positive integer " + name + ", but got " + v);
        }
        return v;
    }

    /** Validates and writes the per-group values before the base constructor reads {@code initial_lr}. */
    private static Optimizer prepare(Optimizer optimizer, double[] maxLrs, int totalSteps, Config c) {
        checkPositive(totalSteps, "total_steps");
        if (!(c.pctStart >= 0 && c.pctStart <= 1)) {
            throw new IllegalArgumentException("Expected float between 0 and 1 pct_start, but got " + c.pctStart);
        }
        if (!c.annealStrategy.equals("cos") && !c.annealStrategy.equals("linear")) {
            throw new IllegalArgumentException("anneal_strategy must be one of 'cos' or 'linear', instead got "
                    + c.annealStrategy);
        }
        List<ParamGroup> groups = optimizer.paramGroups();
        if (maxLrs.length != 1 && maxLrs.length != groups.size()) {
            throw new IllegalArgumentException("expected " + groups.size() + " values for max_lr, got " + maxLrs.length);
        }
        String key = c.cycleMomentum ? momentumKey(optimizer) : null;
        for (int i = 0; i < groups.size(); i++) {
            double maxLr = maxLrs[maxLrs.length == 1 ? 0 : i];
            ParamGroup g = groups.get(i);
            g.set("initial_lr", maxLr / c.divFactor);
            g.set("max_lr", maxLr);
            g.set("min_lr", maxLr / c.divFactor / c.finalDivFactor);
            if (key != null) {
                g.set(key, c.maxMomentum);
                g.set("max_momentum", c.maxMomentum);
                g.set("base_momentum", c.baseMomentum);
            }
        }
        return optimizer;
    }

    /** Adam-style optimizers cycle {@code beta1}; SGD-style ones {@code momentum}. */
    private static String momentumKey(Optimizer optimizer) {
        var options = optimizer.paramGroups().get(0).options();
        if (options.containsKey("beta1")) {
            return "beta1";
        }
        if (options.containsKey("momentum")) {
            return "momentum";
        }
        throw new IllegalArgumentException("optimizer must support momentum or beta1 with `cycle_momentum` option enabled");
    }

    private double anneal(double start, double end, double pct) {
        return cos ? end + (start - end) / 2.0 * (Math.cos(Math.PI * pct) + 1) : (end - start) * pct + start;
    }

    @Override
    protected double[] computeLr() {
        if (lastEpoch > totalSteps) {
            throw new IllegalStateException("Tried to step " + lastEpoch + " times. The specified number of total steps is "
                    + totalSteps);
        }
        double[] out = new double[numGroups()];
        for (int i = 0; i < out.length; i++) {
            ParamGroup g = optimizer.paramGroups().get(i);
            double start = 0;
            for (int k = 0; k < phases.size(); k++) {
                Phase ph = phases.get(k);
                if (lastEpoch <= ph.endStep() || k == phases.size() - 1) {
                    double pct = (lastEpoch - start) / (ph.endStep() - start);
                    out[i] = anneal(g.getDouble(ph.startLr()), g.getDouble(ph.endLr()), pct);
                    if (cycleMomentum) {
                        g.set(momentumKey, anneal(g.getDouble(ph.startMomentum()), g.getDouble(ph.endMomentum()), pct));
                    }
                    break;
                }
                start = ph.endStep();
            }
        }
        return out;
    }
}

package dev.kiln.optim.lr;

import dev.kiln.optim.Optimizer;
import dev.kiln.optim.ParamGroup;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Base of the learning-rate schedulers, like {@code torch.optim.lr_scheduler.LRScheduler}: each {@link #step()}
 * advances {@code last_epoch} by one and writes a new {@code lr} into every parameter group of the optimizer.
 *
 * <p>Lifecycle (PyTorch's): the constructor records each group's {@code initial_lr} (set only if absent, so
 * chained schedulers share it) as {@link #baseLrs()}, then takes an initial step to {@code last_epoch = 0}. Call
 * {@link #step()} after {@code optimizer.step()}, once per epoch (or per batch for OneCycleLR). Subclasses compute
 * the new rates in {@link #computeLr()} from the groups' current rates (PyTorch's recursive, chainable form), so
 * two schedulers on one optimizer compose.
 *
 * <p>State is explicit data: {@link #stateDict()} holds {@code last_epoch}, {@code _step_count},
 * {@code base_lrs} and {@code _last_lr} (PyTorch's keys) plus any counters a subclass keeps; hyper-parameters
 * come from the constructor, as when PyTorch users rebuild a scheduler before {@code load_state_dict}.
 */
public abstract class LRScheduler {
    protected final Optimizer optimizer;
    protected List<Double> baseLrs;
    protected int lastEpoch;
    protected int stepCount;
    private List<Double> lastLr;

    /**
     * Records {@code initial_lr} per group. With {@code lastEpoch = -1} (a fresh start) it is set from the current
     * {@code lr} where absent; when resuming ({@code lastEpoch >= 0}) every group must already carry it.
     */
    protected LRScheduler(Optimizer optimizer, int lastEpoch) {
        if (optimizer == null) {
            throw new IllegalArgumentException("optimizer must not be null");
        }
        this.optimizer = optimizer;
        List<ParamGroup> groups = optimizer.paramGroups();
        List<Double> base = new ArrayList<>();
        for (int i = 0; i < groups.size(); i++) {
            ParamGroup g = groups.get(i);
            if (!g.options().containsKey("initial_lr")) {
                if (lastEpoch != -1) {
                    throw new IllegalArgumentException("param 'initial_lr' is not specified in param_groups[" + i
                            + "] when resuming an optimizer");
                }
                g.set("initial_lr", g.getDouble("lr"));
            }
            base.add(g.getDouble("initial_lr"));
        }
        this.baseLrs = base;
        this.lastEpoch = lastEpoch;
        this.lastLr = currentLrs();
    }

    /** PyTorch's {@code _initial_step}: subclasses call it last in their constructor, once their fields are set. */
    protected final void initialStep() {
        stepCount = 0;
        step();
    }

    /** The rates for {@code lastEpoch} (already advanced), one per parameter group. */
    protected abstract double[] computeLr();

    /** Advances one epoch and writes the new rates into the optimizer's parameter groups. */
    public void step() {
        stepCount++;
        lastEpoch++;
        applyLrs(computeLr());
    }

    /**
     * Jumps to {@code last_epoch = 0}, as PyTorch's {@code step(0)} does when {@link SequentialLR} hands over to this
     * scheduler at a milestone: the rates become {@link #closedFormAtZero()}.
     */
    final void restartAtEpochZero() {
        stepCount++;
        lastEpoch = 0;
        applyLrs(closedFormAtZero());
    }

    /**
     * The rates at epoch 0 from the closed form where PyTorch has one ({@code _get_closed_form_lr}); otherwise
     * {@link #computeLr()} at epoch 0, which is PyTorch's fallback.
     */
    protected double[] closedFormAtZero() {
        return computeLr();
    }

    /** {@code base_lrs * factor}, for closed forms. */
    protected final double[] scaledBaseLrs(double factor) {
        double[] out = new double[baseLrs.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = baseLrs.get(i) * factor;
        }
        return out;
    }

    /** Writes {@code lrs} into the groups and remembers them as {@link #getLastLr()}. */
    protected final void applyLrs(double[] lrs) {
        List<ParamGroup> groups = optimizer.paramGroups();
        for (int i = 0; i < groups.size(); i++) {
            groups.get(i).set("lr", lrs[i]);
        }
        lastLr = currentLrs();
    }

    protected final List<Double> currentLrs() {
        List<Double> out = new ArrayList<>();
        for (ParamGroup g : optimizer.paramGroups()) {
            out.add(g.getDouble("lr"));
        }
        return out;
    }

    /** The current lr of group {@code i}. */
    protected final double groupLr(int i) {
        return optimizer.paramGroups().get(i).getDouble("lr");
    }

    protected final int numGroups() {
        return optimizer.paramGroups().size();
    }

    /** The rates the last {@link #step()} set, like {@code get_last_lr()}. */
    public List<Double> getLastLr() {
        return Collections.unmodifiableList(lastLr);
    }

    public List<Double> baseLrs() {
        return Collections.unmodifiableList(baseLrs);
    }

    public int lastEpoch() {
        return lastEpoch;
    }

    public Optimizer optimizer() {
        return optimizer;
    }

    // ---------------------------------------------------------------- state

    /** Counters and rates as plain values (Integer, Double, List of Double), PyTorch's keys. */
    public LinkedHashMap<String, Object> stateDict() {
        LinkedHashMap<String, Object> out = new LinkedHashMap<>();
        out.put("last_epoch", lastEpoch);
        out.put("_step_count", stepCount);
        out.put("base_lrs", new ArrayList<>(baseLrs));
        out.put("_last_lr", new ArrayList<>(lastLr));
        return out;
    }

    /** Restores what {@link #stateDict()} saved (numbers may arrive as any {@link Number}, e.g. from JSON). */
    public void loadStateDict(Map<String, Object> state) {
        lastEpoch = intValue(state, "last_epoch");
        stepCount = intValue(state, "_step_count");
        baseLrs = doubles(state, "base_lrs");
        lastLr = doubles(state, "_last_lr");
        if (baseLrs.size() != numGroups() || lastLr.size() != numGroups()) {
            throw new IllegalArgumentException("scheduler state has " + baseLrs.size() + " base_lrs for an optimizer"
                    + " with " + numGroups() + " parameter groups");
        }
    }

    protected static Object require(Map<String, Object> state, String key) {
        Object v = state.get(key);
        if (v == null) {
            throw new IllegalArgumentException("scheduler state dict has no '" + key + "'; it has " + state.keySet());
        }
        return v;
    }

    protected static int intValue(Map<String, Object> state, String key) {
        return ((Number) require(state, key)).intValue();
    }

    /** A double, accepting the strings {@code Infinity}, {@code -Infinity} and {@code NaN} JSON cannot spell. */
    protected static double doubleValue(Map<String, Object> state, String key) {
        Object v = require(state, key);
        return v instanceof String s ? Double.parseDouble(s) : ((Number) v).doubleValue();
    }

    protected static List<Double> doubles(Map<String, Object> state, String key) {
        Object v = require(state, key);
        if (!(v instanceof List<?> l)) {
            throw new IllegalArgumentException("scheduler state '" + key + "' must be a list, got " + v);
        }
        List<Double> out = new ArrayList<>();
        for (Object o : l) {
            out.add(((Number) o).doubleValue());
        }
        return out;
    }
}

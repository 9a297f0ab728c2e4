package dev.kiln.optim.lr;

import dev.kiln.optim.Optimizer;
import dev.kiln.optim.ParamGroup;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs schedulers one after another, switching at milestone epochs, like
 * {@code torch.optim.lr_scheduler.SequentialLR} (e.g. a LinearLR warm-up, then CosineAnnealingLR). At construction
 * the groups' lr is reset to {@code initial_lr}, every child's initial step is undone and only the first one's is
 * redone. At epoch {@code milestones[i]} scheduler {@code i+1} restarts at its epoch 0 (its closed form there, as
 * PyTorch's {@code step(0)}); between milestones the active scheduler steps normally.
 */
public class SequentialLR extends LRScheduler {
    private final List<LRScheduler> schedulers;
    private final int[] milestones;

    public SequentialLR(Optimizer optimizer, List<LRScheduler> schedulers, int[] milestones) {
        super(optimizer, -1);
        if (schedulers.isEmpty()) {
            throw new IllegalArgumentException("SequentialLR expects at least one scheduler");
        }
        for (int i = 0; i < schedulers.size(); i++) {
            if (schedulers.get(i).optimizer() != optimizer) {
                throw new IllegalArgumentException("Sequential Schedulers expects all schedulers to belong to the same "
                        + "optimizer, but got scheduler at index " + i + " to be different than the optimizer passed in.");
            }
        }
        if (milestones.length != schedulers.size() - 1) {
            throw new IllegalArgumentException("Sequential Schedulers expects number of schedulers provided to be one "
                    + "more than the number of milestone points, but got number of schedulers " + schedulers.size()
                    + " and the number of milestones to be equal to " + milestones.length);
        }
        this.schedulers = List.copyOf(schedulers);
        this.milestones = milestones.clone();
        this.lastEpoch = 0;
        for (ParamGroup g : optimizer.paramGroups()) {
            g.set("lr", g.getDouble("initial_lr"));
        }
        for (LRScheduler s : schedulers) {
            s.lastEpoch -= 1;
        }
        schedulers.get(0).initialStep();
        applyLrs(toArray(schedulers.get(0).getLastLr()));
    }

    private static double[] toArray(List<Double> l) {
        return l.stream().mapToDouble(Double::doubleValue).toArray();
    }

    @Override
    protected double[] computeLr() {
        throw new UnsupportedOperationException("SequentialLR delegates to its schedulers");
    }

    @Override
    public void step() {
        lastEpoch++;
        stepCount++;
        int idx = bisectRight(lastEpoch);
        LRScheduler active = schedulers.get(idx);
        if (idx > 0 && milestones[idx - 1] == lastEpoch) {
            active.restartAtEpochZero();
        } else {
            active.step();
        }
        applyLrs(toArray(active.getLastLr()));
    }

    /** Number of milestones {@code <= epoch}, as Python's {@code bisect_right} on the sorted milestones. */
    private int bisectRight(int epoch) {
        int n = 0;
        for (int m : milestones) {
            if (m <= epoch) {
                n++;
            }
        }
        return n;
    }

    /** Adds {@code _milestones} and {@code _schedulers} (each child's own state dict). */
    @Override
    public LinkedHashMap<String, Object> stateDict() {
        LinkedHashMap<String, Object> out = super.stateDict();
        List<Integer> ms = new ArrayList<>();
        Arrays.stream(milestones).forEach(ms::add);
        out.put("_milestones", ms);
        List<Object> children = new ArrayList<>();
        for (LRScheduler s : schedulers) {
            children.add(s.stateDict());
        }
        out.put("_schedulers", children);
        return out;
    }

    @Override
    @SuppressWarnings("unchecked")
    public void loadStateDict(Map<String, Object> state) {
        super.loadStateDict(state);
        Object children = require(state, "_schedulers");
        if (!(children instanceof List<?> l) || l.size() != schedulers.size()) {
            throw new IllegalArgumentException("SequentialLR state has " + (children instanceof List<?> c ? c.size() : 0)
                    + " schedulers, expected " + schedulers.size());
        }
        for (int i = 0; i < schedulers.size(); i++) {
            schedulers.get(i).loadStateDict((Map<String, Object>) l.get(i));
        }
    }
}

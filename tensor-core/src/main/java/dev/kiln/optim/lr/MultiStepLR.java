package dev.kiln.optim.lr;

import dev.kiln.optim.Optimizer;
import java.util.List;

/**
 * Multiplies each group's lr by {@code gamma} at every milestone epoch, like
 * {@code torch.optim.lr_scheduler.MultiStepLR}: {@code lr_t = base_lr * gamma^(number of milestones <= t)}. A
 * milestone listed k times decays by {@code gamma^k} (PyTorch keeps a Counter).
 */
public class MultiStepLR extends LRScheduler {
    private final List<Integer> milestones;
    private final double gamma;

    public MultiStepLR(Optimizer optimizer, List<Integer> milestones, double gamma) {
        this(optimizer, milestones, gamma, -1);
    }

    public MultiStepLR(Optimizer optimizer, List<Integer> milestones, double gamma, int lastEpoch) {
        super(optimizer, lastEpoch);
        this.milestones = List.copyOf(milestones);
        this.gamma = gamma;
        initialStep();
    }

    @Override
    protected double[] closedFormAtZero() {
        long atOrBefore = milestones.stream().filter(m -> m <= 0).count();
        return scaledBaseLrs(Math.pow(gamma, atOrBefore));
    }

    @Override
    protected double[] computeLr() {
        int k = 0;
        for (int m : milestones) {
            if (m == lastEpoch) {
                k++;
            }
        }
        double[] out = new double[numGroups()];
        for (int i = 0; i < out.length; i++) {
            out[i] = groupLr(i) * Math.pow(gamma, k);
        }
        return out;
    }
}

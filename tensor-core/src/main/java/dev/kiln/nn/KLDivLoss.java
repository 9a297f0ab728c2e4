package dev.kiln.nn;

import dev.kiln.nn.functional.F;
import dev.kiln.nn.functional.Reduction;
import dev.kiln.tensor.Tensor;

/**
 * Kullback-Leibler divergence of log-probability inputs, like {@code torch.nn.KLDivLoss}; reduction
 * {@code "none" | "mean" | "sum" | "batchmean"} (batchmean is the mathematically correct KL per sample). See
 * {@link F#klDiv}.
 */
public class KLDivLoss extends Loss {
    private final String reductionName;
    private final boolean logTarget;

    public KLDivLoss() {
        this("mean", false);
    }

    public KLDivLoss(String reduction, boolean logTarget) {
        super(reduction.equals("batchmean") ? Reduction.SUM : parse(reduction));
        this.reductionName = reduction;
        this.logTarget = logTarget;
    }

    private static Reduction parse(String reduction) {
        for (Reduction r : Reduction.values()) {
            if (r.torchName().equals(reduction)) {
                return r;
            }
        }
        throw new IllegalArgumentException(reduction + " is not a valid value for reduction");
    }

    /** PyTorch's reduction string; {@link #reduction()} reports SUM for batchmean (a scaled sum). */
    public String reductionName() {
        return reductionName;
    }

    @Override
    public Tensor forward(Tensor input, Tensor target) {
        return F.klDiv(input, target, reductionName, logTarget);
    }
}

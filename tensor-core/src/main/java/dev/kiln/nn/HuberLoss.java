package dev.kiln.nn;

import dev.kiln.nn.functional.F;
import dev.kiln.nn.functional.Reduction;
import dev.kiln.tensor.Tensor;

/** {@code 0.5 d^2 if |d| <= delta else delta (|d| - 0.5 delta)}, reduced; like {@code torch.nn.HuberLoss}. See {@link F#huberLoss}. */
public class HuberLoss extends Loss {
    private final double delta;

    public HuberLoss() {
        this(Reduction.MEAN, 1.0);
    }

    public HuberLoss(Reduction reduction, double delta) {
        super(reduction);
        this.delta = delta;
    }

    @Override
    public Tensor forward(Tensor input, Tensor target) {
        return F.huberLoss(input, target, reduction, delta);
    }
}

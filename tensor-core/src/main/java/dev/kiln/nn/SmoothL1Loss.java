package dev.kiln.nn;

import dev.kiln.nn.functional.F;
import dev.kiln.nn.functional.Reduction;
import dev.kiln.tensor.Tensor;

/** {@code 0.5 d^2 / beta if |d| < beta else |d| - 0.5 beta}, reduced; like {@code torch.nn.SmoothL1Loss}. See {@link F#smoothL1Loss}. */
public class SmoothL1Loss extends Loss {
    private final double beta;

    public SmoothL1Loss() {
        this(Reduction.MEAN, 1.0);
    }

    public SmoothL1Loss(Reduction reduction, double beta) {
        super(reduction);
        this.beta = beta;
    }

    @Override
    public Tensor forward(Tensor input, Tensor target) {
        return F.smoothL1Loss(input, target, reduction, beta);
    }
}

package dev.kiln.nn;

import dev.kiln.nn.functional.F;
import dev.kiln.tensor.Tensor;

/**
 * Zeroes each element with probability {@code p} during training and scales survivors by {@code 1/(1-p)} so the
 * expected value is unchanged; the identity in eval mode. Like {@code torch.nn.Dropout}; draws from the default
 * generator.
 */
public class Dropout extends Module {
    private final double p;

    public Dropout() {
        this(0.5);
    }

    public Dropout(double p) {
        F.checkDropoutP(p);
        this.p = p;
    }

    @Override
    public Tensor forward(Tensor input) {
        return F.dropout(input, p, isTraining());
    }

    public double p() {
        return p;
    }

    @Override
    protected String extraRepr() {
        return "p=" + ModuleRepr.pyFloat(p) + ", inplace=False";
    }
}

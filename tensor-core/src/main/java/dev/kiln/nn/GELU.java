package dev.kiln.nn;

import dev.kiln.nn.functional.F;
import dev.kiln.tensor.Tensor;

/** {@code x * Phi(x)} (exact, erf-based) or the tanh approximation, like {@code torch.nn.GELU}. */
public class GELU extends Module {
    private final String approximate;

    public GELU() {
        this("none");
    }

    /** @param approximate {@code "none"} (exact) or {@code "tanh"} */
    public GELU(String approximate) {
        F.checkGeluApproximate(approximate);
        this.approximate = approximate;
    }

    @Override
    public Tensor forward(Tensor input) {
        return F.gelu(input, approximate);
    }

    @Override
    protected String extraRepr() {
        return "approximate='" + approximate + "'";
    }
}

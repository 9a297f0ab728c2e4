package dev.kiln.nn;

import dev.kiln.nn.functional.F;
import dev.kiln.nn.functional.Reduction;
import dev.kiln.tensor.Tensor;

/** Negative log-likelihood of class indices given log-probabilities; like {@code torch.nn.NLLLoss}. See {@link F#nllLoss}. */
public class NLLLoss extends Loss {
    private final long ignoreIndex;

    public NLLLoss() {
        this(null, -100, Reduction.MEAN);
    }

    /** @param weight per-class weights {@code [C]} or null */
    public NLLLoss(Tensor weight, long ignoreIndex, Reduction reduction) {
        super(reduction);
        ownedBuffer("weight", weight);
        this.ignoreIndex = ignoreIndex;
    }

    @Override
    public Tensor forward(Tensor input, Tensor target) {
        return F.nllLoss(input, target, buffer("weight"), ignoreIndex, reduction);
    }
}

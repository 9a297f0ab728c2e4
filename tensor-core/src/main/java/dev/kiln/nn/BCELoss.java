package dev.kiln.nn;

import dev.kiln.nn.functional.F;
import dev.kiln.nn.functional.Reduction;
import dev.kiln.tensor.Tensor;

/** Binary cross entropy on probabilities; like {@code torch.nn.BCELoss}. See {@link F#binaryCrossEntropy}. */
public class BCELoss extends Loss {

    public BCELoss() {
        this(null, Reduction.MEAN);
    }

    /** @param weight per-element rescaling weight broadcast to the input, or null */
    public BCELoss(Tensor weight, Reduction reduction) {
        super(reduction);
        ownedBuffer("weight", weight);
    }

    @Override
    public Tensor forward(Tensor input, Tensor target) {
        return F.binaryCrossEntropy(input, target, buffer("weight"), reduction);
    }
}

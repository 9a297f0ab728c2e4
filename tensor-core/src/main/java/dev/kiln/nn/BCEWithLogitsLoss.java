package dev.kiln.nn;

import dev.kiln.nn.functional.F;
import dev.kiln.nn.functional.Reduction;
import dev.kiln.tensor.Tensor;

/** Sigmoid + binary cross entropy in one numerically stable expression; like {@code torch.nn.BCEWithLogitsLoss}. See {@link F#bceWithLogits}. */
public class BCEWithLogitsLoss extends Loss {

    public BCEWithLogitsLoss() {
        this(null, null, Reduction.MEAN);
    }

    /**
     * @param weight per-element rescaling weight, or null
     * @param posWeight weight of positive examples per class (broadcast over the last dim), or null
     */
    public BCEWithLogitsLoss(Tensor weight, Tensor posWeight, Reduction reduction) {
        super(reduction);
        ownedBuffer("weight", weight);
        ownedBuffer("pos_weight", posWeight);
    }

    @Override
    public Tensor forward(Tensor input, Tensor target) {
        return F.bceWithLogits(input, target, buffer("weight"), buffer("pos_weight"), reduction);
    }
}

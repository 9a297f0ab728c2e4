package dev.kiln.nn;

import dev.kiln.nn.functional.F;
import dev.kiln.nn.functional.Reduction;
import dev.kiln.tensor.Tensor;

/** Log-softmax + NLL over logits, with class weights, {@code ignoreIndex} and label smoothing; like {@code torch.nn.CrossEntropyLoss}. See {@link F#crossEntropy}. */
public class CrossEntropyLoss extends Loss {
    private final long ignoreIndex;
    private final double labelSmoothing;

    public CrossEntropyLoss() {
        this(null, -100, Reduction.MEAN, 0.0);
    }

    /** @param weight per-class weights {@code [C]} or null */
    public CrossEntropyLoss(Tensor weight, long ignoreIndex, Reduction reduction, double labelSmoothing) {
        super(reduction);
        ownedBuffer("weight", weight);
        this.ignoreIndex = ignoreIndex;
        this.labelSmoothing = labelSmoothing;
    }

    @Override
    public Tensor forward(Tensor input, Tensor target) {
        return F.crossEntropy(input, target, buffer("weight"), ignoreIndex, reduction, labelSmoothing);
    }
}

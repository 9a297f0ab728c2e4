package dev.kiln.optim;

import dev.kiln.tensor.Tensor;
import java.util.Collection;
import java.util.List;

/**
 * Adam with decoupled weight decay (Loshchilov & Hutter 2019), like {@code torch.optim.AdamW}: before the Adam
 * update, {@code p = p * (1 - lr * weight_decay)}, and the gradient carries no L2 term. Default
 * {@code weight_decay=1e-2}; otherwise as {@link Adam}.
 */
public class AdamW extends Adam {

    /** Adam's defaults with {@code weight_decay=1e-2}. */
    public static Options options() {
        return new Options("AdamW", defaults(1e-2));
    }

    public AdamW(Collection<Tensor> params, double lr) {
        this(params, options().lr(lr));
    }

    public AdamW(Collection<Tensor> params, Options options) {
        super("AdamW", oneGroup(params), options);
    }

    public AdamW(List<ParamGroup> groups, Options options) {
        super("AdamW", groups, options);
    }

    @Override
    protected boolean decoupledWeightDecay() {
        return true;
    }
}

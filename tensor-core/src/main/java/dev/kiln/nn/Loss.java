package dev.kiln.nn;

import dev.kiln.nn.functional.Reduction;
import dev.kiln.tensor.Tensor;

/**
 * Base of the loss modules ({@code torch.nn.modules.loss._Loss}): holds the reduction and takes
 * {@code forward(input, target)}. Optional class/element weights are cloned into buffers, so the loss owns its
 * copy (closed with it) and the caller keeps ownership of the tensor passed in.
 */
public abstract class Loss extends Module {
    protected final Reduction reduction;

    protected Loss(Reduction reduction) {
        this.reduction = reduction;
    }

    public abstract Tensor forward(Tensor input, Tensor target);

    public Reduction reduction() {
        return reduction;
    }

    /** Registers a private copy of {@code t} (or null) as a buffer. */
    protected final Tensor ownedBuffer(String name, Tensor t) {
        if (t == null) {
            return registerBuffer(name, null);
        }
        try (Tensor detached = t.detach()) {
            return registerBuffer(name, detached.clone());
        }
    }
}

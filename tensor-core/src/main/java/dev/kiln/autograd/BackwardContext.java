package dev.kiln.autograd;

import dev.kiln.tensor.Tensor;

/** What a {@link BackwardFn} may read: the incoming gradient, saved tensors, and which inputs need grads. */
public final class BackwardContext {
    private final Node node;
    private final Tensor grad;

    BackwardContext(Node node, Tensor grad) {
        this.node = node;
        this.grad = grad;
    }

    /** Gradient of the loss with respect to this op's output. */
    public Tensor grad() {
        return grad;
    }

    /** Saved tensor {@code i}, after checking it was not modified in place since it was saved. */
    public Tensor saved(int i) {
        return node.unpackSaved(i);
    }

    /** Whether input {@code i} needs a gradient; formulas skip the others. */
    public boolean needs(int i) {
        return node.needsInputGrad(i);
    }

    /** Shape of input {@code i} at forward time. */
    public long[] inputShape(int i) {
        return node.inputShape(i);
    }
}

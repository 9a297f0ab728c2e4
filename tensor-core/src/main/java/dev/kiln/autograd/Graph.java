package dev.kiln.autograd;

import dev.kiln.tensor.Tensor;

/**
 * How ops record themselves: after computing {@code out}, an op calls {@link #record} with its inputs, the
 * tensors its gradient formula needs, and the formula. Nothing is recorded when grad mode is off or no input
 * requires grad, so the formula costs nothing at inference time.
 */
public final class Graph {
    private Graph() {
    }

    /** True if an op on these inputs must record a node. */
    public static boolean needsGrad(Tensor... inputs) {
        if (!GradMode.isEnabled()) {
            return false;
        }
        for (Tensor t : inputs) {
            if (t != null && t.requiresGrad()) {
                return true;
            }
        }
        return false;
    }

    /** Attaches a node named {@code name} to {@code out} if any input requires grad; returns {@code out}. */
    public static Tensor record(Tensor out, String name, Tensor[] inputs, Tensor[] saved, BackwardFn fn) {
        if (needsGrad(inputs)) {
            out.setGradFn(Node.op(name, inputs, saved, fn));
        }
        return out;
    }

    public static Tensor[] inputs(Tensor... tensors) {
        return tensors;
    }

    public static Tensor[] saved(Tensor... tensors) {
        return tensors;
    }

    public static final Tensor[] NONE = new Tensor[0];
}

package dev.kiln.autograd;

import dev.kiln.tensor.Tensor;
import java.util.regex.Pattern;

/**
 * How ops record themselves: after computing {@code out}, an op calls {@link #record} with its inputs, the
 * tensors its gradient formula needs, and the formula. Nothing is recorded when grad mode is off or no input
 * requires grad, so the formula costs nothing at inference time.
 */
public final class Graph {
    /**
     * PyTorch's node names ({@code MulBackward0}, {@code CopySlices}). Names must be string literals of this form:
     * the op table's coverage test finds every formula by reading them from the compiled classes.
     */
    private static final Pattern NODE_NAME = Pattern.compile("[A-Z][A-Za-z0-9]*Backward[0-9]+|CopySlices");

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
        assert NODE_NAME.matcher(name).matches() : "node name " + name + " is not of the form <Op>Backward<N>";
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

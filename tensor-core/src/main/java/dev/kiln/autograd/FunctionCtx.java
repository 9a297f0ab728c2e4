package dev.kiln.autograd;

import dev.kiln.tensor.Tensor;

/** The {@code ctx} of a custom {@link Function}: tensors saved in forward for use in backward. */
public final class FunctionCtx {
    private Tensor[] toSave = new Tensor[0];
    private Node node;
    private boolean[] needs = new boolean[0];

    /** Saves tensors for backward; their in-place modification afterwards makes backward fail loudly. */
    public void saveForBackward(Tensor... tensors) {
        toSave = tensors.clone();
    }

    /** The saved tensors, checked against in-place modification since they were saved. */
    public Tensor[] savedTensors() {
        if (node == null) {
            return toSave.clone();
        }
        Tensor[] out = new Tensor[toSave.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = node.unpackSaved(i);
        }
        return out;
    }

    /** Whether input {@code i} of {@code apply} needs a gradient, like {@code ctx.needs_input_grad[i]}. */
    public boolean needsInputGrad(int i) {
        return i < needs.length && needs[i];
    }

    Tensor[] toSave() {
        return toSave;
    }

    void bind(Node node, boolean[] needs) {
        this.node = node;
        this.needs = needs;
    }
}

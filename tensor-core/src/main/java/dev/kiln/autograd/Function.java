package dev.kiln.autograd;

import dev.kiln.tensor.Tensor;

/**
 * A user-defined differentiable operation, like {@code torch.autograd.Function}.
 *
 * <pre>{@code
 * class MyReLU extends Function {
 *     protected Tensor forward(FunctionCtx ctx, Tensor... in) {
 *         ctx.saveForBackward(in[0]);
 *         return in[0].clampMin(0);
 *     }
 *     protected Tensor[] backward(FunctionCtx ctx, Tensor gradOutput) {
 *         Tensor x = ctx.savedTensors()[0];
 *         return new Tensor[] {gradOutput.maskedFill(x.lt(0), 0)};
 *     }
 * }
 * Tensor y = new MyReLU().apply(x);
 * }</pre>
 *
 * <p>{@code forward} runs with grad mode off; {@code backward} returns one gradient per input (null for inputs
 * that need none). One instance may be applied many times; each call gets its own context.
 */
public abstract class Function {
    protected abstract Tensor forward(FunctionCtx ctx, Tensor... inputs);

    protected abstract Tensor[] backward(FunctionCtx ctx, Tensor gradOutput);

    /** Runs forward and, if any input requires grad, records a node whose formula is {@link #backward}. */
    public final Tensor apply(Tensor... inputs) {
        FunctionCtx ctx = new FunctionCtx();
        Tensor out;
        try (var g = Autograd.noGrad()) {
            out = forward(ctx, inputs);
        }
        if (out == null) {
            throw new IllegalStateException(getClass().getName() + ".forward returned null");
        }
        if (!Graph.needsGrad(inputs)) {
            return out;
        }
        for (Tensor in : inputs) {
            if (out == in) {
                out = in.detach(); // an input returned as-is becomes a new node's output, as in PyTorch
                break;
            }
        }
        String name = getClass().getSimpleName().isEmpty() ? "FunctionBackward" : getClass().getSimpleName() + "Backward";
        Node node = Node.op(name, inputs, ctx.toSave(), c -> {
            Tensor[] grads = backward(ctx, c.grad());
            if (grads == null || grads.length != inputs.length) {
                throw new IllegalStateException("function " + getClass().getName() + " returned "
                        + (grads == null ? "null" : grads.length + " gradients") + " from backward, expected "
                        + inputs.length + " (one per input, null where none)");
            }
            return grads;
        });
        boolean[] needs = new boolean[inputs.length];
        for (int i = 0; i < needs.length; i++) {
            needs[i] = node.needsInputGrad(i);
        }
        node.markUserDefined();
        ctx.bind(node, needs);
        out.setGradFn(node);
        return out;
    }
}

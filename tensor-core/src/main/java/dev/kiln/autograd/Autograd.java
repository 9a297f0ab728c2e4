package dev.kiln.autograd;

import dev.kiln.tensor.Tensor;
import java.util.List;
import java.util.function.Consumer;

/**
 * Entry points of the autograd engine that are not methods of {@link Tensor}: grad-mode guards and the
 * functional {@link #grad} API.
 *
 * <pre>{@code
 * try (var g = Autograd.noGrad()) {
 *     Tensor y = model.forward(x);   // y.requiresGrad() == false, no graph is kept
 * }
 * }</pre>
 */
public final class Autograd {
    private Autograd() {
    }

    /** A guard that disables graph recording on this thread until closed, like {@code torch.no_grad()}. */
    public static Guard noGrad() {
        return new Guard(GradMode.set(false));
    }

    /** A guard that re-enables recording inside a {@link #noGrad()} region, like {@code torch.enable_grad()}. */
    public static Guard enableGrad() {
        return new Guard(GradMode.set(true));
    }

    public static boolean isGradEnabled() {
        return GradMode.isEnabled();
    }

    /** Restores the previous grad mode on close. */
    public static final class Guard implements AutoCloseable {
        private final boolean previous;
        private boolean closed;

        private Guard(boolean previous) {
            this.previous = previous;
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                GradMode.set(previous);
            }
        }
    }

    /**
     * Gradients of {@code outputs} with respect to {@code inputs}, without touching any {@code .grad}, like
     * {@code torch.autograd.grad}. {@code gradOutputs} may be null for scalar outputs. An input that the
     * outputs do not depend on yields null (PyTorch's {@code allow_unused=True}).
     */
    public static List<Tensor> grad(List<Tensor> outputs, List<Tensor> inputs, List<Tensor> gradOutputs,
                                    boolean retainGraph, boolean createGraph) {
        return Engine.grad(outputs, inputs, gradOutputs, retainGraph, createGraph);
    }

    public static List<Tensor> grad(Tensor output, List<Tensor> inputs) {
        return Engine.grad(List.of(output), inputs, null, false, false);
    }

    /**
     * Queues {@code callback} to run when the backward pass now running on this thread has accumulated its last
     * gradient, before {@code backward()} returns, like PyTorch's
     * {@code Variable._execution_engine.queue_callback}. Only valid during backward (from a gradient hook or a
     * custom function's backward); see {@link GradHooks} for the ordering rules.
     *
     * @throws IllegalStateException outside a backward pass
     */
    public static void queueCallback(Runnable callback) {
        GradHooks.queueCallback(callback);
    }

    /**
     * Registers a post-accumulate-grad hook on {@code leaf}, the same as
     * {@link Tensor#registerPostAccumulateGradHook}.
     *
     * @throws IllegalStateException if {@code leaf} does not require grad or is not a leaf
     */
    public static RemovableHandle registerPostAccumulateGradHook(Tensor leaf, Consumer<Tensor> hook) {
        return GradHooks.registerPostAccumulateGradHook(leaf, hook);
    }
}

package dev.kiln.autograd;

import dev.kiln.tensor.Shapes;
import dev.kiln.tensor.Tensor;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The engine's two extension points for code that must react while a backward pass runs (data-parallel
 * gradient averaging starts communicating a bucket as soon as its gradients are final):
 *
 * <ul>
 *   <li><b>post-accumulate-grad hooks</b> on a leaf, like PyTorch 2's
 *       {@code Tensor.register_post_accumulate_grad_hook}: called with the leaf once its {@code .grad} holds the
 *       whole gradient of this backward pass (every path summed and added into {@code .grad}). Not called when
 *       no gradient reached the leaf, nor by {@link Autograd#grad}, which does not touch {@code .grad}.</li>
 *   <li><b>final callbacks</b>, like {@code Variable._execution_engine.queue_callback}: queued while a backward
 *       pass runs (from a hook or a custom function's backward), run on the same thread, in queue order, after
 *       the last gradient of that pass was accumulated and before {@code backward()} returns. A callback may
 *       queue further callbacks. If the pass fails, its queued callbacks are dropped.</li>
 * </ul>
 *
 * <p>Both run on the thread that called {@code backward()}; an exception they throw propagates out of it.
 */
final class GradHooks {
    /** One frame per backward pass running on this thread (a hook may itself call backward). */
    private static final ThreadLocal<ArrayDeque<List<Runnable>>> CALLBACKS = ThreadLocal.withInitial(ArrayDeque::new);

    private GradHooks() {
    }

    static RemovableHandle registerPostAccumulateGradHook(Tensor leaf, Consumer<Tensor> hook) {
        if (hook == null) {
            throw new IllegalArgumentException("hook must not be null");
        }
        if (!leaf.requiresGrad()) {
            throw new IllegalStateException("cannot register a hook on a tensor that doesn't require gradient (shape "
                    + Shapes.str(leaf.shape()) + ")");
        }
        if (!leaf.isLeaf()) {
            throw new IllegalStateException("post accumulate grad hooks cannot be registered on non-leaf tensors "
                    + "(shape " + Shapes.str(leaf.shape()) + ", grad_fn " + leaf.gradFn().name() + ")");
        }
        Node accumulator = leaf.gradAccumulator();
        accumulator.addPostAccumulateHook(hook);
        return new RemovableHandle(() -> accumulator.removePostAccumulateHook(hook));
    }

    static void queueCallback(Runnable callback) {
        if (callback == null) {
            throw new IllegalArgumentException("callback must not be null");
        }
        List<Runnable> frame = CALLBACKS.get().peek();
        if (frame == null) {
            throw new IllegalStateException("Final callbacks can only be installed during backward pass.");
        }
        frame.add(callback);
    }

    /** Opens the callback frame of a backward pass starting on this thread. */
    static List<Runnable> enterBackward() {
        List<Runnable> frame = new ArrayList<>();
        CALLBACKS.get().push(frame);
        return frame;
    }

    /** Runs the frame's callbacks, including those queued by callbacks, in order. */
    static void runCallbacks(List<Runnable> frame) {
        for (int i = 0; i < frame.size(); i++) {
            frame.get(i).run();
        }
    }

    /** Closes the frame opened by {@link #enterBackward}, whether the pass succeeded or not. */
    static void exitBackward(List<Runnable> frame) {
        ArrayDeque<List<Runnable>> stack = CALLBACKS.get();
        if (stack.peek() == frame) {
            stack.pop();
        } else {
            stack.remove(frame); // defensive: never leave a stale frame that would accept callbacks forever
        }
        frame.clear();
    }
}

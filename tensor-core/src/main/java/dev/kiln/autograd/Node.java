package dev.kiln.autograd;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * One recorded op in the graph ({@code grad_fn}): edges to the nodes of its inputs, the tensors it saved, and
 * its gradient formula. A leaf that requires grad gets an {@code AccumulateGrad} node, which adds incoming
 * gradients into the leaf's {@code .grad}.
 */
public final class Node {
    private final String name;
    private final Node[] next;
    private final boolean[] needs;
    private final long[][] inputShapes;
    private final DType[] inputDtypes;
    private final SavedTensor[] saved;
    private final BackwardFn fn;
    private final Tensor accumulateInto;
    private List<Tensor> retainGradTargets;
    private boolean userDefined;
    /** Post-accumulate-grad hooks of an AccumulateGrad node; replaced, never mutated, so firing needs no lock. */
    private volatile List<Consumer<Tensor>> postAccumulateHooks = List.of();

    private Node(String name, Node[] next, boolean[] needs, long[][] inputShapes, DType[] inputDtypes,
                 SavedTensor[] saved, BackwardFn fn, Tensor accumulateInto) {
        this.name = name;
        this.next = next;
        this.needs = needs;
        this.inputShapes = inputShapes;
        this.inputDtypes = inputDtypes;
        this.saved = saved;
        this.fn = fn;
        this.accumulateInto = accumulateInto;
    }

    /** The node that accumulates gradients into {@code leaf.grad}. */
    public static Node accumulateGrad(Tensor leaf) {
        return new Node("AccumulateGrad", new Node[0], new boolean[0], new long[0][], new DType[0], new SavedTensor[0],
                null, leaf);
    }

    static Node op(String name, Tensor[] inputs, Tensor[] savedTensors, BackwardFn fn) {
        Node[] next = new Node[inputs.length];
        boolean[] needs = new boolean[inputs.length];
        long[][] shapes = new long[inputs.length][];
        DType[] dtypes = new DType[inputs.length];
        for (int i = 0; i < inputs.length; i++) {
            Tensor in = inputs[i];
            if (in == null) {
                continue;
            }
            shapes[i] = in.shape();
            dtypes[i] = in.dtype();
            if (in.requiresGrad()) {
                needs[i] = true;
                next[i] = in.gradFn() != null ? in.gradFn() : in.gradAccumulator();
            }
        }
        SavedTensor[] saved = new SavedTensor[savedTensors.length];
        for (int i = 0; i < saved.length; i++) {
            saved[i] = savedTensors[i] == null ? null : new SavedTensor(savedTensors[i]);
        }
        return new Node(name, next, needs, shapes, dtypes, saved, fn, null);
    }

    /** PyTorch-style name, e.g. {@code MulBackward0}. */
    public String name() {
        return name;
    }

    /** The nodes this one sends gradients to, one per input (null for inputs that need none). */
    public List<Node> nextFunctions() {
        return java.util.Arrays.asList(next.clone());
    }

    /** Marks a node made by a user-defined {@link Function}, whose formula may keep what it creates or receives. */
    void markUserDefined() {
        userDefined = true;
    }

    boolean isUserDefined() {
        return userDefined;
    }

    boolean isAccumulator() {
        return accumulateInto != null;
    }

    Tensor accumulateTarget() {
        return accumulateInto;
    }

    Node[] edges() {
        return next;
    }

    boolean needsInputGrad(int i) {
        return i < needs.length && needs[i];
    }

    long[] inputShape(int i) {
        return inputShapes[i].clone();
    }

    DType inputDtype(int i) {
        return inputDtypes[i];
    }

    Tensor unpackSaved(int i) {
        return saved[i].unpack(this);
    }

    Tensor[] apply(Tensor grad) {
        return fn.apply(new BackwardContext(this, grad));
    }

    /** Frees saved tensors after a backward pass that did not ask to retain the graph. */
    void releaseSaved() {
        for (SavedTensor s : saved) {
            if (s != null) {
                s.free();
            }
        }
    }

    /** Registers a non-leaf tensor whose {@code .grad} should be kept ({@code retainGrad()}). */
    public void retainGradFor(Tensor t) {
        if (retainGradTargets == null) {
            retainGradTargets = new ArrayList<>(1);
        }
        if (!retainGradTargets.contains(t)) {
            retainGradTargets.add(t);
        }
    }

    List<Tensor> retainGradTargets() {
        return retainGradTargets == null ? List.of() : retainGradTargets;
    }

    // ---------------------------------------------------------------- hooks (see GradHooks)

    synchronized void addPostAccumulateHook(Consumer<Tensor> hook) {
        List<Consumer<Tensor>> copy = new ArrayList<>(postAccumulateHooks);
        copy.add(hook);
        postAccumulateHooks = List.copyOf(copy);
    }

    synchronized void removePostAccumulateHook(Consumer<Tensor> hook) {
        List<Consumer<Tensor>> copy = new ArrayList<>(postAccumulateHooks);
        copy.remove(hook);
        postAccumulateHooks = List.copyOf(copy);
    }

    /** Calls the post-accumulate-grad hooks with the leaf, in registration order. */
    void runPostAccumulateHooks() {
        for (Consumer<Tensor> hook : postAccumulateHooks) {
            hook.accept(accumulateInto);
        }
    }

    @Override
    public String toString() {
        return "<" + name + ">";
    }
}

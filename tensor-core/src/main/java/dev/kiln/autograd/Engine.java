package dev.kiln.autograd;

import dev.kiln.amp.Autocast;
import dev.kiln.tensor.Shapes;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs backward passes: counts each node's consumers, then visits nodes in dependency order (Kahn), summing the
 * gradients that arrive at a node before applying its formula. Formulas run with grad mode off unless
 * {@code createGraph} is set, in which case the backward pass is itself recorded (higher-order gradients).
 *
 * <p>Memory, as in PyTorch: a gradient flowing between nodes is freed as soon as the node that consumed it has run
 * (and every other node it was passed to), and the temporaries a built-in formula makes are freed when it returns,
 * so a backward pass holds about one layer's gradients at a time, not the whole graph's (see
 * {@link InFlightGradients} for what is never freed: leaf {@code .grad}, retained grads, what
 * {@link Autograd#grad} returns, the caller's seed, anything a user-defined {@link Function} touches). Saved tensors
 * are dropped after their node ran unless {@code retainGraph}; they belong to the forward pass's scope (or the
 * caller), which frees them. With {@code createGraph} nothing is freed: the new graph may have saved any gradient.
 */
public final class Engine {
    private Engine() {
    }

    /**
     * The pass runs inside one temporaries scope, closed when it ends: gradients are freed as soon as they are
     * consumed ({@link InFlightGradients}), and whatever the pass made that is still open at its end goes with the
     * scope; only the {@code .grad} tensors (owned by their leaves), results of {@link #grad} (handed out) and,
     * with {@code createGraph}, what the new graph saved outlive it.
     */
    public static void backward(Tensor root, Tensor gradient, boolean retainGraph, boolean createGraph) {
        try (TensorScope pass = TensorScope.openTemporaries()) {
            Tensor seed = seedGradient(root, gradient, 0);
            run(pass, List.of(rootNode(root, 0)), List.of(seed), retainGraph, createGraph, null,
                    gradient == null ? List.of(seed) : List.of());
        }
    }

    static List<Tensor> grad(List<Tensor> outputs, List<Tensor> inputs, List<Tensor> gradOutputs,
                             boolean retainGraph, boolean createGraph) {
        try (TensorScope pass = TensorScope.openTemporaries()) {
            List<Tensor> result = gradInScope(pass, outputs, inputs, gradOutputs, retainGraph, createGraph);
            result.forEach(t -> {
                if (t != null) {
                    pass.handOut(t);
                }
            });
            return result;
        }
    }

    private static List<Tensor> gradInScope(TensorScope pass, List<Tensor> outputs, List<Tensor> inputs,
                                            List<Tensor> gradOutputs, boolean retainGraph, boolean createGraph) {
        List<Node> roots = new ArrayList<>();
        List<Tensor> seeds = new ArrayList<>();
        List<Tensor> implicitSeeds = new ArrayList<>();
        for (int i = 0; i < outputs.size(); i++) {
            roots.add(rootNode(outputs.get(i), i));
            Tensor given = gradOutputs == null ? null : gradOutputs.get(i);
            seeds.add(seedGradient(outputs.get(i), given, i));
            if (given == null) {
                implicitSeeds.add(seeds.get(i));
            }
        }
        Map<Node, Tensor> captured = new IdentityHashMap<>();
        for (Tensor in : inputs) {
            if (!in.requiresGrad()) {
                throw new IllegalArgumentException("One of the differentiated Tensors (shape " + Shapes.str(in.shape())
                        + ") does not require grad");
            }
            captured.put(in.isLeaf() ? in.gradAccumulator() : in.gradFn(), null);
        }
        run(pass, roots, seeds, retainGraph, createGraph, captured, implicitSeeds);
        List<Tensor> result = new ArrayList<>();
        for (Tensor in : inputs) {
            result.add(captured.get(in.isLeaf() ? in.gradAccumulator() : in.gradFn()));
        }
        return result;
    }

    private static Node rootNode(Tensor root, int index) {
        if (!root.requiresGrad()) {
            throw new IllegalStateException("element " + index + " of tensors does not require grad and does not have "
                    + "a grad_fn");
        }
        return root.gradFn() != null ? root.gradFn() : root.gradAccumulator();
    }

    private static Tensor seedGradient(Tensor root, Tensor gradient, int index) {
        if (gradient == null) {
            if (root.numel() != 1) {
                throw new IllegalStateException("grad can be implicitly created only for scalar outputs; output "
                        + index + " has shape " + Shapes.str(root.shape()) + ", so pass a gradient of that shape");
            }
            return Tensor.onesLike(root);
        }
        if (!Arrays.equals(gradient.shape(), root.shape())) {
            throw new IllegalArgumentException("Mismatch in shape: grad_output[" + index + "] has a shape of "
                    + Shapes.str(gradient.shape()) + " and output[" + index + "] has a shape of "
                    + Shapes.str(root.shape()) + ".");
        }
        return gradient;
    }

    /**
     * Propagates {@code seeds} from {@code roots}. With {@code captured} non-null (functional grad), gradients
     * arriving at the captured nodes are stored there instead of accumulating into {@code .grad}.
     */
    private static void run(TensorScope pass, List<Node> roots, List<Tensor> seeds, boolean retainGraph,
                            boolean createGraph, Map<Node, Tensor> captured, List<Tensor> implicitSeeds) {
        List<Runnable> callbacks = GradHooks.enterBackward();
        // Backward runs each op's gradient in the dtypes its forward used: autocast must not recast them.
        try (Autocast off = Autocast.suspend()) {
            propagate(pass, roots, seeds, retainGraph, createGraph, captured, implicitSeeds);
            GradHooks.runCallbacks(callbacks); // queued by hooks during the pass; dropped if the pass threw
        } finally {
            GradHooks.exitBackward(callbacks);
        }
    }

    private static void propagate(TensorScope pass, List<Node> roots, List<Tensor> seeds, boolean retainGraph,
                                  boolean createGraph, Map<Node, Tensor> captured, List<Tensor> implicitSeeds) {
        Map<Node, Integer> dependencies = countDependencies(roots);
        InFlightGradients flight = new InFlightGradients(!createGraph);
        for (int i = 0; i < roots.size(); i++) {
            Tensor seed = seeds.get(i);
            if (implicitSeeds.stream().anyMatch(t -> t == seed)) {
                flight.own(seed); // made by seedGradient (onesLike), not by the caller
            }
            flight.hold(seed);
            flight.add(roots.get(i), seed);
        }
        ArrayDeque<Node> ready = new ArrayDeque<>();
        for (Node r : roots) {
            if (dependencies.getOrDefault(r, 0) == 0 && !ready.contains(r)) {
                ready.add(r);
            }
        }
        boolean previousMode = GradMode.set(createGraph);
        boolean done = false;
        try {
            while (!ready.isEmpty()) {
                Node node = ready.poll();
                Tensor grad = flight.take(node);
                if (grad == null) {
                    // No gradient reached this node (all its consumers passed null): only release dependents.
                    releaseDependents(node, dependencies, ready);
                    continue;
                }
                if (captured != null && captured.containsKey(node)) {
                    captured.put(node, grad);
                    flight.escape(grad);
                }
                if (node.isAccumulator()) {
                    if (captured == null) {
                        accumulate(node.accumulateTarget(), grad, createGraph);
                        flight.drop(grad);
                        node.runPostAccumulateHooks(); // Kahn order: every path into this leaf was summed above
                    } else {
                        flight.drop(grad);
                    }
                    continue;
                }
                for (Tensor t : captured == null ? node.retainGradTargets() : List.<Tensor>of()) {
                    accumulate(t, grad, createGraph); // torch.autograd.grad leaves retained .grad alone, too
                }
                Tensor[] inputGrads = apply(node, grad, flight, pass);
                if (!retainGraph) {
                    node.releaseSaved();
                }
                sendToInputs(node, inputGrads, flight, dependencies, ready);
                flight.drop(grad); // consumed: freed here unless it was passed on, captured or not ours
            }
            done = true;
        } finally {
            GradMode.set(previousMode);
            if (!done) {
                flight.closeAll();
            }
        }
    }

    /**
     * Runs {@code node}'s formula. When the pass frees gradients, a built-in formula runs in a scope of its own: its
     * temporaries are freed as soon as it returns, and the gradients it made are handed to {@code flight} (moved to
     * the caller's scope, so they are freed even if the pass fails). User-defined functions may keep what they create
     * or receive, so their results and their incoming gradient are never freed by the pass: they move to the scope
     * around the backward call.
     */
    private static Tensor[] apply(Node node, Tensor grad, InFlightGradients flight, TensorScope pass) {
        if (node.isUserDefined()) {
            // A user's backward may keep what it sees and makes: neither the in-flight accounting nor the pass's
            // temporaries scope may free those. They move to the scope around the backward call (to no scope when
            // there is none), which frees them as it frees the forward pass; handOut leaves a tensor the pass does
            // not own (the caller's seed, a tensor the user returned as is) with its owner.
            flight.escape(grad);
            pass.handOut(grad);
            Tensor[] out = node.apply(grad);
            for (Tensor g : out) {
                if (g != null) {
                    pass.handOut(g);
                }
            }
            return out;
        }
        if (!flight.frees()) {
            flight.escape(grad);
            return node.apply(grad);
        }
        try (TensorScope scope = TensorScope.open()) {
            Tensor[] inputGrads = node.apply(grad);
            for (Tensor g : inputGrads) {
                if (g != null && scope.owns(g)) {
                    TensorScope.keep(g);
                    flight.own(g);
                }
            }
            return inputGrads;
        }
    }

    /** Adds each input's gradient (in the input's dtype) to its node's pending sum; releases ready dependents. */
    private static void sendToInputs(Node node, Tensor[] inputGrads, InFlightGradients flight,
                                     Map<Node, Integer> dependencies, ArrayDeque<Node> ready) {
        for (Tensor g : inputGrads) {
            if (g != null) {
                flight.hold(g);
            }
        }
        Node[] edges = node.edges();
        for (int i = 0; i < Math.max(edges.length, inputGrads.length); i++) {
            Tensor g = i < inputGrads.length ? inputGrads[i] : null;
            Node target = i < edges.length ? edges[i] : null;
            if (g != null && target == null) {
                flight.drop(g); // computed for an input that needs none
            } else if (g != null) {
                checkGradShape(node, i, g);
                if (g.dtype() != node.inputDtype(i)) {
                    Tensor converted = g.to(node.inputDtype(i)); // gradients flow back in each input's own dtype
                    flight.own(converted);
                    flight.hold(converted);
                    flight.drop(g);
                    g = converted;
                }
                flight.add(target, g);
            }
            if (target != null && dependencies.merge(target, -1, Integer::sum) == 0) {
                ready.add(target);
            }
        }
    }

    private static void releaseDependents(Node node, Map<Node, Integer> dependencies, ArrayDeque<Node> ready) {
        for (Node target : node.edges()) {
            if (target != null && dependencies.merge(target, -1, Integer::sum) == 0) {
                ready.add(target);
            }
        }
    }

    private static Map<Node, Integer> countDependencies(List<Node> roots) {
        Map<Node, Integer> deps = new IdentityHashMap<>();
        Map<Node, Boolean> seen = new IdentityHashMap<>();
        ArrayDeque<Node> stack = new ArrayDeque<>();
        for (Node r : roots) {
            if (seen.put(r, Boolean.TRUE) == null) {
                stack.push(r);
            }
        }
        while (!stack.isEmpty()) {
            Node n = stack.pop();
            for (Node next : n.edges()) {
                if (next == null) {
                    continue;
                }
                deps.merge(next, 1, Integer::sum);
                if (seen.put(next, Boolean.TRUE) == null) {
                    stack.push(next);
                }
            }
        }
        return deps;
    }

    private static void checkGradShape(Node node, int input, Tensor g) {
        long[] expected = node.inputShape(input);
        if (!Arrays.equals(expected, g.shape())) {
            throw new IllegalStateException("Function " + node.name() + " returned an invalid gradient at index " + input
                    + " - got " + Shapes.str(g.shape()) + " but expected shape compatible with " + Shapes.str(expected));
        }
    }

    /** Adds {@code g} into {@code t.grad}; the stored gradient is owned by the tensor, not by any scope. */
    private static void accumulate(Tensor t, Tensor g, boolean createGraph) {
        Tensor existing = t.grad();
        if (createGraph) {
            t.setGrad(TensorScope.detach(existing == null ? g.add(0.0) : existing.add(g)));
            return;
        }
        try (Tensor alias = g.detach()) { // a handle cut from g's history; closing it leaves g to its owner
            if (existing == null) {
                t.setGrad(TensorScope.detach(alias.clone()));
            } else {
                existing.add_(alias);
            }
        }
    }
}

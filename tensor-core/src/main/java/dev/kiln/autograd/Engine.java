package dev.kiln.autograd;

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
 */
public final class Engine {
    private Engine() {
    }

    /**
     * Every tensor the pass makes (the seed, each formula's temporaries and outputs, sums of gradients arriving at
     * a node) lives in one temporaries scope that closes when the pass ends; only the {@code .grad} tensors (owned
     * by their leaves), captured results of {@link #grad} and, with {@code createGraph}, tensors the new graph saved
     * outlive it.
     */
    public static void backward(Tensor root, Tensor gradient, boolean retainGraph, boolean createGraph) {
        try (TensorScope pass = TensorScope.openTemporaries()) {
            Tensor seed = seedGradient(root, gradient, 0);
            run(List.of(rootNode(root, 0)), List.of(seed), retainGraph, createGraph, null);
        }
    }

    static List<Tensor> grad(List<Tensor> outputs, List<Tensor> inputs, List<Tensor> gradOutputs,
                             boolean retainGraph, boolean createGraph) {
        try (TensorScope pass = TensorScope.openTemporaries()) {
            List<Tensor> result = gradInScope(outputs, inputs, gradOutputs, retainGraph, createGraph);
            result.forEach(pass::handOut);
            return result;
        }
    }

    private static List<Tensor> gradInScope(List<Tensor> outputs, List<Tensor> inputs, List<Tensor> gradOutputs,
                                            boolean retainGraph, boolean createGraph) {
        List<Node> roots = new ArrayList<>();
        List<Tensor> seeds = new ArrayList<>();
        for (int i = 0; i < outputs.size(); i++) {
            roots.add(rootNode(outputs.get(i), i));
            seeds.add(seedGradient(outputs.get(i), gradOutputs == null ? null : gradOutputs.get(i), i));
        }
        Map<Node, Tensor> captured = new IdentityHashMap<>();
        for (Tensor in : inputs) {
            if (!in.requiresGrad()) {
                throw new IllegalArgumentException("One of the differentiated Tensors (shape " + Shapes.str(in.shape())
                        + ") does not require grad");
            }
            captured.put(in.isLeaf() ? in.gradAccumulator() : in.gradFn(), null);
        }
        run(roots, seeds, retainGraph, createGraph, captured);
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
    private static void run(List<Node> roots, List<Tensor> seeds, boolean retainGraph, boolean createGraph,
                            Map<Node, Tensor> captured) {
        Map<Node, Integer> dependencies = countDependencies(roots);
        Map<Node, Tensor> pending = new IdentityHashMap<>();
        for (int i = 0; i < roots.size(); i++) {
            pending.merge(roots.get(i), seeds.get(i), Engine::sum);
        }
        ArrayDeque<Node> ready = new ArrayDeque<>();
        for (Node r : roots) {
            if (dependencies.getOrDefault(r, 0) == 0 && !ready.contains(r)) {
                ready.add(r);
            }
        }
        boolean previousMode = GradMode.set(createGraph);
        try {
            while (!ready.isEmpty()) {
                Node node = ready.poll();
                Tensor grad = pending.remove(node);
                if (grad == null) {
                    // No gradient reached this node (all its consumers passed null): only release dependents.
                    releaseDependents(node, dependencies, ready);
                    continue;
                }
                if (captured != null && captured.containsKey(node)) {
                    captured.put(node, grad);
                }
                if (node.isAccumulator()) {
                    if (captured == null) {
                        accumulate(node.accumulateTarget(), grad, createGraph);
                    }
                    continue;
                }
                for (Tensor t : node.retainGradTargets()) {
                    accumulate(t, grad, createGraph);
                }
                Tensor[] inputGrads = node.apply(grad);
                if (!retainGraph) {
                    node.releaseSaved();
                }
                Node[] edges = node.edges();
                for (int i = 0; i < edges.length; i++) {
                    Node target = edges[i];
                    if (target == null) {
                        continue;
                    }
                    Tensor g = i < inputGrads.length ? inputGrads[i] : null;
                    if (g != null) {
                        checkGradShape(node, i, g);
                        if (g.dtype() != node.inputDtype(i)) {
                            g = g.to(node.inputDtype(i)); // gradients flow back in each input's own dtype
                        }
                        pending.merge(target, g, Engine::sum);
                    }
                    if (dependencies.merge(target, -1, Integer::sum) == 0) {
                        ready.add(target);
                    }
                }
            }
        } finally {
            GradMode.set(previousMode);
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

    private static Tensor sum(Tensor a, Tensor b) {
        return a.add(b);
    }

    /** Adds {@code g} into {@code t.grad}; the stored gradient is owned by the tensor, not by any scope. */
    private static void accumulate(Tensor t, Tensor g, boolean createGraph) {
        Tensor existing = t.grad();
        if (existing == null) {
            Tensor owned = createGraph ? g.add(0.0) : g.detach().clone();
            t.setGrad(TensorScope.detach(owned));
        } else if (createGraph) {
            t.setGrad(TensorScope.detach(existing.add(g)));
        } else {
            existing.add_(g.detach()); // the detached view is closed with the pass's scope
        }
    }
}

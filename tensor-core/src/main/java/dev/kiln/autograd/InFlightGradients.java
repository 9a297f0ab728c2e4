package dev.kiln.autograd;

import dev.kiln.tensor.Tensor;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The gradients of one backward pass that are on their way between nodes, and which of them the pass may free.
 *
 * <p>PyTorch frees an intermediate gradient when its last reference goes away, i.e. right after the node that
 * consumed it ran; Kiln's tensors are closed explicitly, so the engine counts its own references instead. A
 * gradient is <em>owned</em> when the pass itself made it: a built-in formula created it (see {@link Engine}), the
 * engine summed two gradients into it or converted it to an input's dtype, or it is the implicit {@code 1} seed.
 * Every slot that holds a gradient counts once: a pending entry for a node, and each place a formula's result is
 * "in hand" until it is added to its target. When the count of an owned gradient drops to zero it is closed. Never
 * owned, so never closed: the caller's explicit seed, gradients returned to the caller by {@link Autograd#grad}
 * ({@link #escape}), and anything a user-defined {@link Function} returns or receives.
 */
final class InFlightGradients {
    private final boolean frees;
    private final Map<Node, Tensor> pending = new IdentityHashMap<>();
    private final Map<Tensor, Integer> refs = new IdentityHashMap<>();
    private final Set<Tensor> owned = Collections.newSetFromMap(new IdentityHashMap<>());

    /** @param frees false when the pass records a graph ({@code createGraph}): its gradients may be saved by it */
    InFlightGradients(boolean frees) {
        this.frees = frees;
    }

    boolean frees() {
        return frees;
    }

    /** Marks {@code t} as made by this pass, so it is closed once no slot holds it. */
    void own(Tensor t) {
        if (frees) {
            owned.add(t);
        }
    }

    /** {@code t} was handed to the caller: it must outlive the pass. */
    void escape(Tensor t) {
        owned.remove(t);
    }

    /** One more slot holds {@code t} (a formula's result, before it is added to its target). */
    void hold(Tensor t) {
        refs.merge(t, 1, Integer::sum);
    }

    /** One slot let go of {@code t}: closes it if it is owned and nothing holds it any more. */
    void drop(Tensor t) {
        Integer left = refs.merge(t, -1, Integer::sum);
        if (left != null && left <= 0) {
            refs.remove(t);
            if (owned.remove(t)) {
                t.close();
            }
        }
    }

    /** Moves one held reference of {@code g} into {@code target}'s pending sum. */
    void add(Node target, Tensor g) {
        Tensor existing = pending.get(target);
        if (existing == null) {
            pending.put(target, g);
            return;
        }
        Tensor sum = existing.add(g);
        own(sum);
        hold(sum);
        pending.put(target, sum);
        drop(existing);
        drop(g);
    }

    /** Removes and returns {@code node}'s summed gradient (or null); its reference stays held by the caller. */
    Tensor take(Node node) {
        return pending.remove(node);
    }

    /** After a failed pass: closes every owned gradient still waiting, so unscoped code leaks nothing. */
    void closeAll() {
        for (Tensor t : owned) {
            t.close();
        }
        owned.clear();
        pending.clear();
        refs.clear();
    }
}

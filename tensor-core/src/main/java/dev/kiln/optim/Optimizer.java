package dev.kiln.optim;

import dev.kiln.autograd.Autograd;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Base of the optimizers, with PyTorch's lifecycle ({@code torch.optim.Optimizer}): parameters in groups with
 * per-group options, {@link #zeroGrad()} before backward, {@link #step()} after it. Per-parameter state is
 * explicit data ({@link ParamState}, Optax-style) created lazily on a parameter's first step, so it can be saved
 * with {@link #stateDict()} and restored with {@link #loadStateDict}.
 *
 * <p>Updates run under {@code noGrad} with in-place ops inside a private {@link TensorScope}, so a step leaves no
 * temporaries behind; state tensors belong to the optimizer and are freed by {@link #close()}.
 */
public abstract class Optimizer implements AutoCloseable {
    private final String name;
    private final Map<String, Object> defaults;
    private final List<ParamGroup> groups = new ArrayList<>();
    private final Map<Tensor, ParamState> state = new IdentityHashMap<>();

    protected Optimizer(String name, List<ParamGroup> groups, Options defaults) {
        this.name = name;
        this.defaults = defaults.asMap();
        validate(this.defaults);
        if (groups.isEmpty()) {
            throw new IllegalArgumentException("optimizer got an empty parameter list");
        }
        for (ParamGroup g : groups) {
            addParamGroup(g);
        }
    }

    protected static List<ParamGroup> oneGroup(Collection<Tensor> params) {
        return ParamGroup.single(new ArrayList<>(params));
    }

    /** Checks option values (learning rate >= 0, ...) with PyTorch's messages; called for defaults and each group. */
    protected abstract void validate(Map<String, Object> options);

    /** Updates one parameter in place from its gradient; runs under noGrad inside the step's scope. */
    protected abstract void update(Tensor param, Tensor grad, ParamGroup group, ParamState state);

    /** Adds a group (e.g. when unfreezing layers), filling unset options from the defaults. */
    public void addParamGroup(ParamGroup group) {
        if (group.params().isEmpty()) {
            throw new IllegalArgumentException("optimizer got an empty parameter list");
        }
        Set<Tensor> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (ParamGroup g : groups) {
            seen.addAll(g.params());
        }
        for (Tensor p : group.params()) {
            if (!p.isLeaf()) {
                throw new IllegalArgumentException("can't optimize a non-leaf Tensor");
            }
            if (!seen.add(p)) {
                throw new IllegalArgumentException("some parameters appear in more than one parameter group");
            }
        }
        group.fillDefaults(defaults);
        validate(group.options());
        groups.add(group);
    }

    public List<ParamGroup> paramGroups() {
        return Collections.unmodifiableList(groups);
    }

    /** Closes and clears every parameter's gradient (PyTorch's default {@code set_to_none=True}). */
    public void zeroGrad() {
        for (ParamGroup g : groups) {
            for (Tensor p : g.params()) {
                Tensor grad = p.grad();
                if (grad != null) {
                    p.setGrad(null);
                    grad.close();
                }
            }
        }
    }

    /** One update of every parameter that has a gradient; parameters without one are skipped, as in PyTorch. */
    public void step() {
        try (var noGrad = Autograd.noGrad(); var scope = TensorScope.open()) {
            for (ParamGroup g : groups) {
                for (Tensor p : g.params()) {
                    if (p.grad() != null) {
                        update(p, p.grad(), g, state.computeIfAbsent(p, k -> new ParamState()));
                    }
                }
            }
        }
    }

    /** The state of {@code param} (empty before its first step). */
    public ParamState state(Tensor param) {
        ParamState s = state.get(param);
        return s == null ? new ParamState() : s;
    }

    /**
     * PyTorch's layout: {@code state} maps each parameter's index (counting across groups in order) to its
     * named tensors and numbers; {@code paramGroups} holds each group's options plus {@code params}, the list
     * of its indices. Tensors are the optimizer's live state (not copies), as in PyTorch.
     */
    public record StateDict(LinkedHashMap<Integer, LinkedHashMap<String, Object>> state,
                            List<LinkedHashMap<String, Object>> paramGroups) {
    }

    public StateDict stateDict() {
        LinkedHashMap<Integer, LinkedHashMap<String, Object>> packed = new LinkedHashMap<>();
        List<LinkedHashMap<String, Object>> packedGroups = new ArrayList<>();
        int index = 0;
        for (ParamGroup g : groups) {
            List<Integer> ids = new ArrayList<>();
            for (Tensor p : g.params()) {
                ParamState s = state.get(p);
                if (s != null && !s.isEmpty()) {
                    LinkedHashMap<String, Object> entry = new LinkedHashMap<>(s.numbers());
                    entry.putAll(s.tensors());
                    packed.put(index, entry);
                }
                ids.add(index++);
            }
            LinkedHashMap<String, Object> options = g.options();
            options.put("params", ids);
            packedGroups.add(options);
        }
        return new StateDict(packed, packedGroups);
    }

    /**
     * Restores options and state saved by {@link #stateDict()} from an optimizer over parameters of the same
     * group structure; state tensors are copied, so {@code saved} stays the caller's.
     */
    public void loadStateDict(StateDict saved) {
        if (saved.paramGroups().size() != groups.size()) {
            throw new IllegalArgumentException("loaded state dict has a different number of parameter groups");
        }
        List<Tensor> flat = new ArrayList<>();
        for (int i = 0; i < groups.size(); i++) {
            Object ids = saved.paramGroups().get(i).get("params");
            if (!(ids instanceof List<?> l) || l.size() != groups.get(i).params().size()) {
                throw new IllegalArgumentException("loaded state dict contains a parameter group that doesn't match "
                        + "the size of optimizer's group");
            }
            flat.addAll(groups.get(i).params());
        }
        Map<Tensor, ParamState> restored = restoreState(saved, flat);
        for (int i = 0; i < groups.size(); i++) {
            LinkedHashMap<String, Object> options = new LinkedHashMap<>(saved.paramGroups().get(i));
            options.remove("params");
            groups.get(i).replaceOptions(options);
        }
        closeState();
        state.putAll(restored);
    }

    /**
     * A copy of a saved state tensor where its parameter lives, as PyTorch's {@code load_state_dict} casts it:
     * the parameter's device, and its dtype for floating state (a checkpoint written on the CPU resumes on a GPU).
     */
    private static Tensor onParamsDevice(Tensor saved, Tensor param) {
        Tensor typed = saved.dtype().isFloatingPoint() && param.dtype().isFloatingPoint()
                && saved.dtype() != param.dtype() ? saved.to(param.dtype()) : saved;
        if (typed.device().equals(param.device())) {
            return typed == saved ? saved.clone() : typed;
        }
        return typed.to(param.device());
    }

    private static Map<Tensor, ParamState> restoreState(StateDict saved, List<Tensor> flat) {
        Map<Tensor, ParamState> out = new IdentityHashMap<>();
        try (var noGrad = Autograd.noGrad(); var scope = TensorScope.open()) {
            for (Map.Entry<Integer, LinkedHashMap<String, Object>> e : saved.state().entrySet()) {
                ParamState s = new ParamState();
                Tensor param = flat.get(e.getKey());
                for (Map.Entry<String, Object> v : e.getValue().entrySet()) {
                    if (v.getValue() instanceof Tensor t) {
                        s.putTensor(v.getKey(), onParamsDevice(t.detach(), param));
                    } else {
                        s.putNumber(v.getKey(), ((Number) v.getValue()).doubleValue());
                    }
                }
                out.put(flat.get(e.getKey()), s);
            }
        }
        return out;
    }

    private void closeState() {
        for (ParamState s : state.values()) {
            s.close();
        }
        state.clear();
    }

    /** Frees all state tensors. Parameters belong to their module and are not touched. */
    @Override
    public void close() {
        closeState();
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(name).append(" (");
        for (int i = 0; i < groups.size(); i++) {
            sb.append("\nParameter Group ").append(i);
            for (Map.Entry<String, Object> o : groups.get(i).options().entrySet()) {
                sb.append("\n    ").append(o.getKey()).append(": ").append(o.getValue());
            }
        }
        return sb.append("\n)").toString();
    }

    // ---------------------------------------------------------------- validation helpers for subclasses

    protected static void requireNonNegative(Map<String, Object> options, String key, String what) {
        Object v = options.get(key);
        if (v instanceof Double d && !(d >= 0)) {
            throw new IllegalArgumentException("Invalid " + what + ": " + d);
        }
    }
}

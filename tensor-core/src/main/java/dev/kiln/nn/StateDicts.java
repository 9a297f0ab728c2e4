package dev.kiln.nn;

import dev.kiln.tensor.Shapes;
import dev.kiln.tensor.LeakTracking;
import dev.kiln.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Saving and loading a {@link Module}'s state dict with PyTorch's key order and error messages
 * ({@code torch/nn/modules/module.py}: {@code _save_to_state_dict}, {@code load_state_dict}).
 */
public final class StateDicts {
    private StateDicts() {
    }

    /** Keys the checkpoint lacked and keys the model does not have, like PyTorch's {@code _IncompatibleKeys}. */
    public record IncompatibleKeys(List<String> missingKeys, List<String> unexpectedKeys) {
    }

    /** Thrown by a failed load; the message lists every problem, as PyTorch's RuntimeError does. */
    public static final class LoadError extends IllegalArgumentException {
        LoadError(String message) {
            super(message);
        }
    }

    static LinkedHashMap<String, Tensor> save(Module root) {
        LinkedHashMap<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : slots(root).entrySet()) {
            out.put(e.getKey(), LeakTracking.handedOut(e.getValue().detach())); // results, even if unused
        }
        return out;
    }

    /**
     * Every non-null parameter and buffer by dotted name: per module (pre-order) its parameters, then its
     * buffers. Unlike {@code namedParameters()}, tied tensors appear under each name, as in PyTorch.
     */
    static LinkedHashMap<String, Tensor> slots(Module root) {
        LinkedHashMap<String, Tensor> out = new LinkedHashMap<>();
        collect(root, "", out);
        return out;
    }

    private static void collect(Module m, String prefix, Map<String, Tensor> out) {
        putAll(m.ownParameters(), prefix, out);
        putAll(m.ownBuffers(), prefix, out);
        for (Map.Entry<String, Module> c : m.ownChildren().entrySet()) {
            if (c.getValue() != null) {
                collect(c.getValue(), Module.qualify(prefix, c.getKey()), out);
            }
        }
    }

    private static void putAll(Map<String, Tensor> own, String prefix, Map<String, Tensor> out) {
        for (Map.Entry<String, Tensor> e : own.entrySet()) {
            if (e.getValue() != null) {
                out.put(Module.qualify(prefix, e.getKey()), e.getValue());
            }
        }
    }

    /** Validates everything first, so a failed load leaves the model untouched; then copies (caller disables grad). */
    static IncompatibleKeys load(Module root, Map<String, Tensor> stateDict, boolean strict) {
        LinkedHashMap<String, Tensor> own = slots(root);
        List<String> missing = new ArrayList<>();
        List<String> sizeErrors = new ArrayList<>();
        for (Map.Entry<String, Tensor> e : own.entrySet()) {
            Tensor src = stateDict.get(e.getKey());
            if (src == null) {
                missing.add(e.getKey());
            } else if (!Arrays.equals(src.shape(), e.getValue().shape())) {
                sizeErrors.add("size mismatch for " + e.getKey() + ": copying a param with shape "
                        + Shapes.str(src.shape()) + " from checkpoint, the shape in current model is "
                        + Shapes.str(e.getValue().shape()) + ".");
            }
        }
        Set<String> unexpected = new LinkedHashSet<>(stateDict.keySet());
        unexpected.removeAll(own.keySet());
        List<String> errors = new ArrayList<>();
        if (strict && !missing.isEmpty()) {
            errors.add("Missing key(s) in state_dict: " + quoted(missing) + ". "); // trailing space as in PyTorch
        }
        if (strict && !unexpected.isEmpty()) {
            errors.add("Unexpected key(s) in state_dict: " + quoted(unexpected) + ". ");
        }
        errors.addAll(sizeErrors); // PyTorch reports size mismatches even when strict=False
        if (!errors.isEmpty()) {
            throw new LoadError("Error(s) in loading state_dict for " + root.name() + ":\n\t"
                    + String.join("\n\t", errors));
        }
        for (Map.Entry<String, Tensor> e : own.entrySet()) {
            Tensor src = stateDict.get(e.getKey());
            if (src != null) {
                e.getValue().copy_(src);
            }
        }
        return new IncompatibleKeys(List.copyOf(missing), List.copyOf(unexpected));
    }

    private static String quoted(Iterable<String> keys) {
        List<String> q = new ArrayList<>();
        for (String k : keys) {
            q.add("\"" + k + "\"");
        }
        return String.join(", ", q);
    }
}

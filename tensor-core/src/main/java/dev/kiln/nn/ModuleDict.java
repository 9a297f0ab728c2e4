package dev.kiln.nn;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Holds submodules by name, in insertion order, so they are registered (state-dict keys {@code key.weight}),
 * like {@code torch.nn.ModuleDict}. It has no forward: the owner looks modules up.
 */
public class ModuleDict extends Module {
    public ModuleDict() {
    }

    /** Registers every entry of {@code modules} in its iteration order (pass a {@link LinkedHashMap}). */
    public ModuleDict(Map<String, ? extends Module> modules) {
        modules.forEach(this::put);
    }

    /**
     * Adds {@code module} under {@code key}, like {@code dict[key] = module}. Replacing an existing key keeps its
     * position (as a Python dict does) and returns the old module, which the caller now owns; otherwise null.
     */
    public Module put(String key, Module module) {
        if (ownChildren().containsKey(key)) {
            return ownChildren().put(key, module);
        }
        registerModule(key, module);
        return null;
    }

    /** The module under {@code key}; PyTorch's {@code KeyError} text when absent. */
    public Module get(String key) {
        Module m = ownChildren().get(key);
        if (m == null) {
            throw new java.util.NoSuchElementException("'" + key + "'");
        }
        return m;
    }

    public boolean containsKey(String key) {
        return ownChildren().containsKey(key);
    }

    /** Removes and returns the module under {@code key} (the caller now owns it), like {@code pop}. */
    public Module pop(String key) {
        Module m = get(key);
        ownChildren().remove(key);
        return m;
    }

    public List<String> keys() {
        return new ArrayList<>(ownChildren().keySet());
    }

    public List<Module> values() {
        return children();
    }

    public int size() {
        return ownChildren().size();
    }
}

package dev.kiln.optim;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An optimizer's default hyper-parameters, PyTorch's {@code defaults} dict: a fixed set of named options
 * (known keys only, so a typo fails instead of being ignored), e.g.
 * {@code SGD.options().lr(0.1).set("momentum", 0.9).set("nesterov", true)}.
 */
public final class Options {
    private final String optimizer;
    private final LinkedHashMap<String, Object> values = new LinkedHashMap<>();

    Options(String optimizer, Map<String, Object> defaults) {
        this.optimizer = optimizer;
        values.putAll(defaults);
    }

    public Options lr(double lr) {
        return set("lr", lr);
    }

    public Options weightDecay(double weightDecay) {
        return set("weight_decay", weightDecay);
    }

    /** Sets a known option; numbers may be given as any {@link Number}, flags as {@link Boolean}. */
    public Options set(String name, Object value) {
        Object old = values.get(name);
        if (old == null) {
            throw new IllegalArgumentException(optimizer + " has no option '" + name + "'; options are " + values.keySet());
        }
        if (old instanceof Double && value instanceof Number n) {
            values.put(name, n.doubleValue());
        } else if (old instanceof Boolean && value instanceof Boolean) {
            values.put(name, value);
        } else {
            throw new IllegalArgumentException(optimizer + " option '" + name + "' expects a "
                    + old.getClass().getSimpleName() + ", got " + value);
        }
        return this;
    }

    Map<String, Object> asMap() {
        return new LinkedHashMap<>(values);
    }
}

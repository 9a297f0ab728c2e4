package dev.kiln.optim;

import dev.kiln.tensor.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parameters that share hyper-parameters, like an entry of PyTorch's {@code optimizer.param_groups}. Options
 * set here override the optimizer's defaults for this group only (e.g. a smaller {@code lr} for a pretrained
 * backbone); unset ones are filled from the defaults when the group is added. Values are {@code Double} or
 * {@code Boolean}, named as in PyTorch ({@code lr}, {@code weight_decay}, {@code beta1}/{@code beta2} for
 * {@code betas}).
 */
public final class ParamGroup {
    private final List<Tensor> params;
    private final LinkedHashMap<String, Object> options = new LinkedHashMap<>();

    public ParamGroup(List<Tensor> params) {
        this.params = List.copyOf(params);
    }

    /** Sets an option (returns this for chaining), e.g. {@code new ParamGroup(ps).set("lr", 1e-4)}. */
    public ParamGroup set(String name, Object value) {
        if (!(value instanceof Double || value instanceof Boolean)) {
            throw new IllegalArgumentException("option " + name + " must be a Double or Boolean, got " + value);
        }
        options.put(name, value);
        return this;
    }

    public List<Tensor> params() {
        return params;
    }

    public double getDouble(String name) {
        return (Double) require(name);
    }

    public boolean getBoolean(String name) {
        return (Boolean) require(name);
    }

    private Object require(String name) {
        Object v = options.get(name);
        if (v == null) {
            throw new IllegalArgumentException("param group has no option '" + name + "'; it has " + options.keySet());
        }
        return v;
    }

    /** A copy of the options (no params), e.g. for a state dict. */
    public LinkedHashMap<String, Object> options() {
        return new LinkedHashMap<>(options);
    }

    void fillDefaults(Map<String, Object> defaults) {
        for (Map.Entry<String, Object> d : defaults.entrySet()) {
            options.putIfAbsent(d.getKey(), d.getValue());
        }
    }

    void replaceOptions(Map<String, Object> values) {
        options.clear();
        options.putAll(values);
    }

    static List<ParamGroup> single(List<Tensor> params) {
        List<ParamGroup> out = new ArrayList<>();
        out.add(new ParamGroup(params));
        return out;
    }
}

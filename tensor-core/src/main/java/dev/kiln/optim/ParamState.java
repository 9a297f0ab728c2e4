package dev.kiln.optim;

import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One parameter's optimizer state as plain data (Optax-style): named tensors ({@code momentum_buffer},
 * {@code exp_avg}, ...) and named numbers ({@code step}). The tensors are owned by the optimizer: detached from
 * every scope, closed by {@link #close()}.
 */
public final class ParamState implements AutoCloseable {
    private final LinkedHashMap<String, Tensor> tensors = new LinkedHashMap<>();
    private final LinkedHashMap<String, Double> numbers = new LinkedHashMap<>();

    public Tensor tensor(String name) {
        return tensors.get(name);
    }

    /** Stores {@code t} (taking ownership, closing any tensor it replaces). */
    public void putTensor(String name, Tensor t) {
        Tensor old = tensors.put(name, TensorScope.detach(t));
        if (old != null && old != t) {
            old.close();
        }
    }

    public double number(String name, double ifAbsent) {
        return numbers.getOrDefault(name, ifAbsent);
    }

    public void putNumber(String name, double value) {
        numbers.put(name, value);
    }

    public Map<String, Tensor> tensors() {
        return java.util.Collections.unmodifiableMap(tensors);
    }

    public Map<String, Double> numbers() {
        return java.util.Collections.unmodifiableMap(numbers);
    }

    public boolean isEmpty() {
        return tensors.isEmpty() && numbers.isEmpty();
    }

    @Override
    public void close() {
        for (Tensor t : tensors.values()) {
            t.close();
        }
        tensors.clear();
    }
}

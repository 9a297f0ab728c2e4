package dev.kiln.data;

import dev.kiln.tensor.Tensor;
import java.util.List;

/**
 * One collated mini-batch: its tensors in sample-field order (for {@code (features, label)} samples,
 * {@link #features()} then {@link #labels()}), optionally named ({@link ParquetDataset} names its fields
 * {@code features}, {@code categories} and {@code label}, whichever it has). The batch owns its tensors, which
 * belong to no {@code TensorScope}; {@link #close()} frees them, so consume batches in try-with-resources:
 *
 * <pre>{@code
 * for (Batch batch : loader) {
 *     try (batch) {
 *         Tensor loss = lossFn(model.forward(batch.features()), batch.labels());
 *         ...
 *     }
 * }
 * }</pre>
 *
 * @param tensors the batch's tensors, each with the batch as its first dimension
 * @param names the fields' names, one per tensor, or empty for unnamed (positional) batches
 */
public record Batch(List<Tensor> tensors, List<String> names) implements AutoCloseable {
    public Batch {
        tensors = List.copyOf(tensors);
        names = names == null ? List.of() : List.copyOf(names);
        if (!names.isEmpty() && names.size() != tensors.size()) {
            throw new IllegalArgumentException("a batch of " + tensors.size() + " tensors needs as many names, got "
                    + names);
        }
    }

    /** An unnamed batch: fields by position. */
    public Batch(List<Tensor> tensors) {
        this(tensors, List.of());
    }

    public static Batch of(Tensor... tensors) {
        return new Batch(List.of(tensors));
    }

    /** The {@code i}-th field of the samples, stacked. */
    public Tensor get(int i) {
        if (i < 0 || i >= tensors.size()) {
            throw new IndexOutOfBoundsException("batch has " + tensors.size() + " tensors, no index " + i);
        }
        return tensors.get(i);
    }

    /** The field called {@code name} (a named batch only). */
    public Tensor get(String name) {
        int i = names.indexOf(name);
        if (i < 0) {
            throw new IllegalArgumentException("batch has no field '" + name + "'; it has "
                    + (names.isEmpty() ? tensors.size() + " unnamed tensors" : names));
        }
        return tensors.get(i);
    }

    /** The inputs: the field {@code features} of a named batch, else the first field. */
    public Tensor features() {
        return names.isEmpty() ? get(0) : get("features");
    }

    /** The targets: the field {@code label} of a named batch, else the second field. */
    public Tensor labels() {
        if (!names.isEmpty()) {
            return get("label");
        }
        if (tensors.size() < 2) {
            throw new IllegalStateException("batch has " + tensors.size() + " tensor(s) and no labels; samples were "
                    + "single tensors, not (features, label) pairs");
        }
        return tensors.get(1);
    }

    /** Number of samples (the first dimension of the first tensor). */
    public long batchSize() {
        return tensors.isEmpty() || tensors.get(0).dim() == 0 ? 0 : tensors.get(0).size(0);
    }

    /** Frees every tensor of the batch; idempotent. */
    @Override
    public void close() {
        for (Tensor t : tensors) {
            t.close();
        }
    }
}
